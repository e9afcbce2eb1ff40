"""One contract suite for RobotDriver, run against SimulatedRobot and Ros2Driver (via a fake rosbridge)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from robot.base import NavState, RobotDriver, RobotEvent
from robot.map import LobbyMap
from robot.sim import ManualClock, SimulatedRobot, goal_for


@dataclass
class Rig:
    driver: Any
    hold: Any  # call to make the next goal run until cancelled
    events: list[RobotEvent]


@pytest.fixture(params=["simulated", "rosbridge", "named_point"])
def rig(request: pytest.FixtureRequest, lobby: LobbyMap) -> Iterator[Rig]:
    events: list[RobotEvent] = []
    if request.param == "simulated":
        sim = SimulatedRobot(lobby, clock=ManualClock(), speed=20.0)  # wait(10) is in simulated seconds
        sim.subscribe(events.append)
        # No hold needed: the cancel test stops a simulated goal mid-way by controlling its clock.
        yield Rig(sim, lambda: None, events)
        return
    if request.param == "named_point":
        from robot.named_point import NamedPointDriver
        from robot.testing import FakePointRobot

        vendor = FakePointRobot(auto_arrive_s=0.05)  # the vendor robot drives and reports by itself
        named = NamedPointDriver(vendor)
        named.subscribe(events.append)

        def hold_named() -> None:
            vendor.auto_arrive_s = None

        yield Rig(named, hold_named, events)
        return
    request.getfixturevalue("twisted_reactor")
    from robot.ros2 import Ros2Driver
    from robot.testing import FakeRosbridge

    with FakeRosbridge() as server:
        driver = Ros2Driver(port=server.port, dock_goal=goal_for(lobby, "loc.dock"))
        driver.subscribe(events.append)

        def hold_ros() -> None:
            server.outcome = "hold"

        try:
            yield Rig(driver, hold_ros, events)
        finally:
            driver.close()


def test_is_a_robot_driver(rig: Rig) -> None:
    assert isinstance(rig.driver, RobotDriver)


def test_navigate_succeeds_and_reports_events(rig: Rig, lobby: LobbyMap) -> None:
    rig.driver.navigate_to(goal_for(lobby, "loc.win_b01"))
    st = rig.driver.wait(10)
    assert st.state == NavState.SUCCEEDED
    assert st.goal is not None and st.goal.point == "loc.win_b01"
    kinds = [e.kind for e in rig.events]
    assert kinds[0] == "nav_started" and "progress" in kinds and kinds[-1] == "arrived"


def test_cancel_ends_a_running_goal(rig: Rig, lobby: LobbyMap) -> None:
    if isinstance(rig.driver, SimulatedRobot):
        rig.driver.navigate_to(goal_for(lobby, "loc.win_a03"))
        assert isinstance(rig.driver.clock, ManualClock)
        rig.driver.clock.advance(0.5)
    else:
        rig.hold()
        rig.driver.navigate_to(goal_for(lobby, "loc.win_a03"))
        time.sleep(0.1)  # rosbridge: let the goal reach the server
    assert rig.driver.status().state == NavState.NAVIGATING
    rig.driver.cancel()
    st = rig.driver.wait(10)
    assert st.state == NavState.CANCELED
    assert rig.events[-1].kind == "canceled"


def test_dock_returns_docked(rig: Rig, lobby: LobbyMap) -> None:
    rig.driver.navigate_to(goal_for(lobby, "loc.win_c01"))
    rig.driver.wait(10)
    rig.driver.dock()
    st = rig.driver.wait(10)
    assert st.state == NavState.DOCKED
    assert [e.kind for e in rig.events][-1] == "docked"


def test_wait_from_another_thread_sees_the_end(rig: Rig, lobby: LobbyMap) -> None:
    results: list[NavState] = []
    rig.driver.navigate_to(goal_for(lobby, "loc.help_desk"))
    t = threading.Thread(target=lambda: results.append(rig.driver.wait(10).state))
    t.start()
    t.join(15)
    assert results == [NavState.SUCCEEDED]


def test_named_point_driver_uses_point_names_and_reports_unknown_points(lobby: LobbyMap) -> None:
    from robot.named_point import NamedPointDriver
    from robot.testing import FakePointRobot

    vendor = FakePointRobot(points={"B01窗口", "一楼洗手间"})
    d = NamedPointDriver(vendor, point_names={"loc.restroom_1f": "一楼洗手间"})
    d.navigate_to(goal_for(lobby, "loc.win_b01"))  # default: the location's display name
    vendor.finish("arrived")
    assert d.wait(1).state == NavState.SUCCEEDED and vendor.calls[-1] == ("go_to", "B01窗口")
    d.navigate_to(goal_for(lobby, "loc.win_c01"))
    st = d.wait(1)
    assert st.state == NavState.FAILED and "C01窗口" in st.message
    d.speak("您好")
    assert vendor.calls[-1] == ("speak", "您好")
