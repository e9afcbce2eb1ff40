"""Ros2Driver against a fake rosbridge speaking the real rosbridge v2 JSON protocol."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from robot.base import NavGoal, NavState, Pose
from robot.errors import RetryableDriverError

pytestmark = pytest.mark.usefixtures("twisted_reactor")


@pytest.fixture()
def server() -> Iterator[object]:
    from robot.testing import FakeRosbridge

    with FakeRosbridge() as s:
        yield s


GOAL = NavGoal("loc.win_b01", Pose(12.0, 38.0, theta=1.5708), "B01窗口")


def test_action_goal_message_is_a_nav2_navigate_to_pose(server) -> None:  # type: ignore[no-untyped-def]
    from robot.ros2 import Ros2Driver

    with Ros2Driver(port=server.port) as d:
        d.navigate_to(GOAL)
        st = d.wait(5)
    (goal,) = server.ops("send_action_goal")
    assert goal["action"] == "/navigate_to_pose"
    assert goal["action_type"] == "nav2_msgs/action/NavigateToPose"
    assert goal["feedback"] is True and goal["args"]["behavior_tree"] == ""
    pose = goal["args"]["pose"]
    assert pose["header"]["frame_id"] == "map"
    assert pose["pose"]["position"] == {"x": 12.0, "y": 38.0, "z": 0.0}
    assert pose["pose"]["orientation"]["z"] == pytest.approx(0.7071, abs=1e-3)
    assert st.state == NavState.SUCCEEDED and st.distance_remaining == 0.0


def test_feedback_updates_distance_and_pose(server) -> None:  # type: ignore[no-untyped-def]
    from robot.ros2 import Ros2Driver

    server.outcome = "hold"
    with Ros2Driver(port=server.port) as d:
        d.navigate_to(GOAL)
        deadline = time.monotonic() + 5
        while (
            d.status().distance_remaining != pytest.approx(10 / 3, abs=0.01) and time.monotonic() < deadline
        ):
            time.sleep(0.01)
        st = d.status()
        assert st.state == NavState.NAVIGATING
        assert st.pose is not None and st.pose.y == 38.0
        d.cancel()
        assert d.wait(5).state == NavState.CANCELED
    assert server.ops("cancel_action_goal")[0]["action"] == "/navigate_to_pose"


def test_aborted_goal_fails_with_a_message(server) -> None:  # type: ignore[no-untyped-def]
    from robot.ros2 import Ros2Driver

    server.outcome = "abort"
    with Ros2Driver(port=server.port) as d:
        d.navigate_to(GOAL)
        st = d.wait(5)
    assert st.state == NavState.FAILED and "B01窗口" in st.message


def test_topic_mode_publishes_goal_pose_and_arrives_by_amcl_pose(server) -> None:  # type: ignore[no-untyped-def]
    from robot.ros2 import Ros2Driver

    with Ros2Driver(port=server.port, mode="topic") as d:
        d.navigate_to(GOAL)
        deadline = time.monotonic() + 5
        while not server.published("/goal_pose") and time.monotonic() < deadline:
            time.sleep(0.01)
        (msg,) = server.published("/goal_pose")
        assert msg["pose"]["position"]["x"] == 12.0
        assert d.status().state == NavState.NAVIGATING
        server.publish_to_subscribers(
            "/amcl_pose",
            {
                "header": {"frame_id": "map"},
                "pose": {
                    "pose": {"position": {"x": 12.1, "y": 37.9, "z": 0}, "orientation": {"z": 0, "w": 1}}
                },
            },
        )
        assert d.wait(5).state == NavState.SUCCEEDED
    assert [m["topic"] for m in server.ops("subscribe")] == ["/amcl_pose"]


def test_speak_publishes_text_for_the_robot_tts(server) -> None:  # type: ignore[no-untyped-def]
    from robot.ros2 import Ros2Driver

    with Ros2Driver(port=server.port) as d:
        d.speak("B01窗口到了")
        deadline = time.monotonic() + 5
        while not server.published("/govguide/speech") and time.monotonic() < deadline:
            time.sleep(0.01)
    assert server.published("/govguide/speech") == [{"data": "B01窗口到了"}]


def test_unreachable_rosbridge_is_a_retryable_error() -> None:
    import socket

    from robot.ros2 import Ros2Driver

    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RetryableDriverError):
        Ros2Driver(port=port, connect_timeout=0.5)
