"""Ros2Driver: a RobotDriver for ROS 2 robots running Nav2, through rosbridge (roslibpy).

Two ways to send a goal:

* ``mode="action"`` (default): a ``nav2_msgs/action/NavigateToPose`` goal on ``/navigate_to_pose`` —
  feedback (``distance_remaining``, ``current_pose``) and a result whose GoalStatus is 4 SUCCEEDED,
  5 CANCELED or 6 ABORTED; cancel with ``cancel_action_goal``.
* ``mode="topic"``: publish ``geometry_msgs/msg/PoseStamped`` on ``/goal_pose`` (what RViz does) and
  watch ``/amcl_pose`` to decide arrival within ``arrive_tolerance_m``.

Speech goes out as ``std_msgs/msg/String`` on ``speech_topic`` for the robot's own TTS node.

roslibpy runs a Twisted reactor in a background thread; the reactor cannot be restarted, so ``close``
only closes this connection and ``shutdown_transport`` (call once, at process exit) stops the reactor.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Literal

from robot.base import Listener, NavGoal, NavState, NavStatus, Pose, RobotEvent
from robot.errors import DriverError, RetryableDriverError

STATUS_SUCCEEDED, STATUS_CANCELED, STATUS_ABORTED = 4, 5, 6


def pose_stamped(pose: Pose) -> dict[str, Any]:
    """A geometry_msgs/msg/PoseStamped dict for ``pose`` (yaw -> quaternion)."""
    return {
        "header": {"frame_id": pose.frame_id, "stamp": {"sec": 0, "nanosec": 0}},
        "pose": {
            "position": {"x": pose.x, "y": pose.y, "z": 0.0},
            "orientation": {"x": 0.0, "y": 0.0, "z": math.sin(pose.theta / 2), "w": math.cos(pose.theta / 2)},
        },
    }


def _pose_from_msg(msg: dict[str, Any], floor: int) -> Pose | None:
    p = msg.get("pose", {})
    p = p.get("pose", p)  # PoseWithCovarianceStamped nests once more
    pos, q = p.get("position"), p.get("orientation", {})
    if not pos:
        return None
    theta = 2 * math.atan2(float(q.get("z", 0.0)), float(q.get("w", 1.0)))
    return Pose(float(pos["x"]), float(pos["y"]), theta, floor)


class Ros2Driver:
    """Nav2 over rosbridge. Use as a context manager or call ``close``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9090,
        *,
        mode: Literal["action", "topic"] = "action",
        action: str = "/navigate_to_pose",
        goal_topic: str = "/goal_pose",
        pose_topic: str = "/amcl_pose",
        speech_topic: str = "/govguide/speech",
        dock_goal: NavGoal | None = None,
        arrive_tolerance_m: float = 0.3,
        connect_timeout: float = 5.0,
    ) -> None:
        try:
            import roslibpy
        except ImportError as e:  # pragma: no cover - depends on the install
            raise DriverError("Ros2Driver needs roslibpy: pip install roslibpy==2.1.0") from e
        self._roslibpy = roslibpy
        self.mode, self.dock_goal, self.tolerance = mode, dock_goal, arrive_tolerance_m
        self.ros = roslibpy.Ros(host=host, port=port)
        try:
            self.ros.run(timeout=connect_timeout)
        except Exception as e:
            self.ros.factory.stopTrying()  # else Twisted keeps reconnecting in the background
            raise RetryableDriverError(f"cannot reach rosbridge at ws://{host}:{port}: {e}") from e
        self._lock = threading.RLock()
        self._done = threading.Event()
        self._done.set()
        self._listeners: list[Listener] = []
        self._status = NavStatus()
        self._goal_id: str | None = None
        self._docking = False
        self._action = roslibpy.ActionClient(self.ros, action, "nav2_msgs/action/NavigateToPose")
        self._goal_pub = roslibpy.Topic(self.ros, goal_topic, "geometry_msgs/msg/PoseStamped")
        self._speech_pub = roslibpy.Topic(self.ros, speech_topic, "std_msgs/msg/String")
        self._pose_sub = roslibpy.Topic(self.ros, pose_topic, "geometry_msgs/msg/PoseWithCovarianceStamped")
        self._pose_sub.subscribe(self._on_pose)

    # --- RobotDriver ------------------------------------------------------------------------------

    def speak(self, text: str) -> None:
        self._speech_pub.publish(self._roslibpy.Message({"data": text}))
        self._emit("spoke", text=text)

    def navigate_to(self, goal: NavGoal) -> None:
        self._send(goal, docking=False)

    def dock(self) -> None:
        if self.dock_goal is None:
            raise DriverError("Ros2Driver has no dock_goal configured")
        self._emit("docking")
        self._send(self.dock_goal, docking=True)

    def cancel(self) -> None:
        with self._lock:
            if self._done.is_set():
                return
            if self.mode == "action" and self._goal_id:
                # The action server answers with a result of status 5, which finishes the goal.
                self._action.cancel_goal(self._goal_id)
            else:
                self._goal_pub.publish(self._roslibpy.Message(pose_stamped(self._status.pose or Pose(0, 0))))
                self._finish(NavState.CANCELED, "已停止")

    def status(self) -> NavStatus:
        with self._lock:
            s = self._status
            return NavStatus(s.state, s.goal, s.pose, s.location, s.battery, s.distance_remaining, s.message)

    def wait(self, timeout: float | None = None) -> NavStatus:
        self._done.wait(timeout)
        return self.status()

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def close(self) -> None:
        """Close this connection (the shared reactor keeps running; see ``shutdown_transport``)."""
        try:
            self._pose_sub.unsubscribe()
            self.ros.close()
        except Exception:  # closing a dead link must not raise during cleanup
            pass

    def __enter__(self) -> Ros2Driver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals ----------------------------------------------------------------------------------

    def _emit(self, kind: str, **data: Any) -> None:
        ev = RobotEvent(kind, data)
        for listener in list(self._listeners):
            listener(ev)

    def _send(self, goal: NavGoal, docking: bool) -> None:
        with self._lock:
            if not self._done.is_set() and self.mode == "action" and self._goal_id:
                self._action.cancel_goal(self._goal_id)  # Nav2 would preempt; be explicit
            self._done.clear()
            self._docking = docking
            self._status = NavStatus(
                NavState.NAVIGATING, goal, self._status.pose, self._status.location, self._status.battery
            )
            if self.mode == "action":
                gid = self._action.send_goal(
                    self._roslibpy.Goal({"pose": pose_stamped(goal.pose), "behavior_tree": ""}),
                    lambda result, g=goal: self._on_result(g, result),
                    self._on_feedback,
                    lambda err, g=goal: self._on_error(g, err),
                )
                self._goal_id = gid
            else:
                self._goal_pub.publish(self._roslibpy.Message(pose_stamped(goal.pose)))
        self._emit("nav_started", point=goal.point, label=goal.label)

    def _on_feedback(self, fb: Any) -> None:
        with self._lock:
            dist = fb.get("distance_remaining")
            if dist is not None:
                self._status.distance_remaining = float(dist)
            if "current_pose" in fb:
                floor = self._status.goal.pose.floor if self._status.goal else 1
                self._status.pose = _pose_from_msg(fb["current_pose"], floor) or self._status.pose
        self._emit("progress", distance_remaining=dist)

    def _on_result(self, goal: NavGoal, result: Any) -> None:
        status = result.get("status")
        code = int(getattr(status, "value", status) or 0)
        with self._lock:
            if self._status.goal is not goal:
                return  # the result of a goal we already replaced
            if code == STATUS_SUCCEEDED:
                self._status.location, self._status.distance_remaining = goal.point, 0.0
                self._status.pose = goal.pose
                if self._docking:
                    self._finish(NavState.DOCKED, "已回到充电桩")
                    self._emit("docked", point=goal.point)
                else:
                    self._finish(NavState.SUCCEEDED, f"已到达{goal.label or goal.point}")
                    self._emit("arrived", point=goal.point, label=goal.label)
            elif code == STATUS_CANCELED:
                self._finish(NavState.CANCELED, "已停止")
            else:
                self._finish(
                    NavState.FAILED, f"导航失败（状态 {code}），去{goal.label or goal.point}的路走不通"
                )

    def _on_error(self, goal: NavGoal, err: Any) -> None:
        with self._lock:
            if self._status.goal is goal:
                self._finish(NavState.FAILED, f"导航出错：{err}")

    def _on_pose(self, msg: Any) -> None:
        with self._lock:
            goal = self._status.goal
            pose = _pose_from_msg(dict(msg), goal.pose.floor if goal else 1)
            if pose is None:
                return
            self._status.pose = pose
            if self.mode == "topic" and goal and not self._done.is_set():
                d = math.dist((pose.x, pose.y), (goal.pose.x, goal.pose.y))
                self._status.distance_remaining = d
                if d <= self.tolerance:
                    self._on_result(goal, {"status": STATUS_SUCCEEDED})

    def _finish(self, state: NavState, message: str) -> None:
        self._status.state, self._status.message = state, message
        self._goal_id = None
        if state == NavState.CANCELED:
            self._emit("canceled")
        elif state == NavState.FAILED:
            self._emit("failed", message=message)
        self._done.set()


def shutdown_transport() -> None:
    """Stop roslibpy's Twisted reactor. Call once per process, after every Ros2Driver is closed."""
    from twisted.internet import reactor as _reactor

    reactor: Any = _reactor  # twisted types the module, not the installed reactor
    if reactor.running:
        reactor.callFromThread(reactor.stop)
