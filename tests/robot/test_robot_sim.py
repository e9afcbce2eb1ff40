"""SimulatedRobot: motion in time, battery, blocked corridors (replan or give up), cancel, dock."""

from __future__ import annotations

import pytest

from robot.base import NavState
from robot.map import LobbyMap
from robot.sim import ManualClock, SimulatedRobot, goal_for


def test_trip_takes_distance_over_speed_and_drains_battery(lobby: LobbyMap, sim: SimulatedRobot) -> None:
    route = lobby.shortest_path("loc.dock", "loc.win_b01")
    sim.navigate_to(goal_for(lobby, "loc.win_b01"))
    assert sim.status().state == NavState.NAVIGATING
    assert isinstance(sim.clock, ManualClock)
    sim.clock.advance(route.distance / sim.speed / 2)
    half = sim.status()
    assert half.state == NavState.NAVIGATING
    assert half.distance_remaining == pytest.approx(route.distance / 2, abs=0.01)
    end = sim.wait()
    assert end.state == NavState.SUCCEEDED and end.location == "loc.win_b01"
    assert sim.clock.now() == pytest.approx(route.distance / sim.speed, abs=0.06)
    assert end.battery == pytest.approx(1.0 - route.distance * sim.drain_per_metre, abs=1e-3)
    kinds = [e.kind for e in sim.events]
    assert kinds[0] == "nav_started" and kinds[-1] == "arrived"
    visited = [e.data["location"] for e in sim.events if e.kind == "progress"]
    assert visited == list(route.points[1:])


def test_blocked_corridor_is_replanned(lobby: LobbyMap, sim: SimulatedRobot) -> None:
    sim.block("loc.self_service_1f", "loc.corridor_c")
    sim.navigate_to(goal_for(lobby, "loc.win_c05"))
    end = sim.wait()
    assert end.state == NavState.SUCCEEDED and end.location == "loc.win_c05"
    replans = [e for e in sim.events if e.kind == "replanned"]
    assert len(replans) == 1 and "loc.hall_center_1f" in replans[0].data["route"]


def test_no_way_round_gives_up_with_a_message(lobby: LobbyMap, sim: SimulatedRobot) -> None:
    sim.block("loc.hall_center_1f", "loc.corridor_b")
    sim.navigate_to(goal_for(lobby, "loc.win_b03"))
    end = sim.wait()
    assert end.state == NavState.FAILED
    assert "走不通" in end.message and end.location == "loc.hall_center_1f"


def test_cancel_stops_mid_way_and_new_goal_continues_from_there(lobby: LobbyMap, sim: SimulatedRobot) -> None:
    sim.navigate_to(goal_for(lobby, "loc.win_a01"))
    assert isinstance(sim.clock, ManualClock)
    sim.clock.advance(10)
    sim.cancel()
    st = sim.status()
    assert st.state == NavState.CANCELED and st.location != "loc.win_a01"
    sim.clock.advance(30)
    assert sim.status().pose == st.pose  # a cancelled robot stays put
    sim.navigate_to(goal_for(lobby, "loc.win_a01"))
    assert sim.wait().state == NavState.SUCCEEDED


def test_dock_charges_and_low_battery_is_reported(lobby: LobbyMap) -> None:
    sim = SimulatedRobot(lobby, clock=ManualClock(), battery=0.22, drain_per_metre=0.002)
    sim.navigate_to(goal_for(lobby, "loc.win_e08"))
    sim.wait()
    assert any(e.kind == "battery_low" for e in sim.events)
    sim.dock()
    st = sim.wait()
    assert st.state == NavState.DOCKED and st.location == lobby.dock
    before = st.battery
    assert isinstance(sim.clock, ManualClock)
    sim.clock.advance(100)
    assert sim.status().battery == pytest.approx(before + 100 * sim.charge_per_second, abs=1e-3)
    assert ("dock", None) in sim.commands


def test_speak_is_recorded(sim: SimulatedRobot) -> None:
    sim.speak("您好")
    assert sim.spoken == ["您好"] and sim.events[-1].kind == "spoke"
