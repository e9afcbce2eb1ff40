"""Behaviour state machine: the guided visit, interruptions, time-outs, unknown targets, low battery."""

from __future__ import annotations

from robot.behaviour import (
    Ask,
    BatteryLow,
    Behaviour,
    Cancel,
    Command,
    Dock,
    Docked,
    Heard,
    NavArrived,
    NavFailed,
    Navigate,
    PersonDetected,
    Replied,
    Say,
    Show,
    State,
    Tick,
)
from robot.map import LobbyMap


def says(cmds: list[Command]) -> list[str]:
    return [c.text for c in cmds if isinstance(c, Say)]


def test_full_guided_visit_and_return(lobby: LobbyMap) -> None:
    b = Behaviour(lobby)
    greet = b.handle(PersonDetected(0))
    assert says(greet) == [b.config.greeting] and b.state == State.LISTEN
    ask = b.handle(Heard("护士证到期了去哪办", 1))
    assert [c for c in ask if isinstance(c, Ask)] == [Ask("护士证到期了去哪办")] and b.state == State.ANSWER
    go = b.handle(Replied("护士执业延续注册在B01窗口办理。", ["B01"], now=2))
    nav = [c for c in go if isinstance(c, Navigate)]
    assert len(nav) == 1 and nav[0].goal.point == "loc.win_b01" and nav[0].window == "B01"
    route = next(c for c in go if isinstance(c, Show) and c.kind == "route")
    assert route.payload["points"][-1] == {"x": 12.0, "y": 38.0, "floor": 1}
    assert b.state == State.GUIDE
    arrived = b.handle(NavArrived("loc.win_b01", 60))
    assert says(arrived) == ["B01窗口到了，请准备好身份证。"] and b.state == State.ARRIVED
    assert b.handle(Tick(60 + b.config.arrived_timeout_s - 1)) == []
    back = b.handle(Tick(60 + b.config.arrived_timeout_s))
    assert any(isinstance(c, Dock) for c in back) and b.state == State.RETURNING
    b.handle(Docked(120))
    assert b.state == State.IDLE
    assert [s.value for s in b.history] == [
        "idle",
        "greet",
        "listen",
        "answer",
        "guide",
        "arrived",
        "returning",
        "idle",
    ]


def test_wait_a_moment_cancels_the_move(lobby: LobbyMap) -> None:
    b = Behaviour(lobby)
    b.handle(Heard("带我去洗手间", 0))
    b.handle(Replied("洗手间在一楼东北角。", ["洗手间"], now=1))
    assert b.state == State.GUIDE
    cmds = b.handle(Heard("等一下", 5))
    assert isinstance(cmds[0], Cancel) and says(cmds) == ["好的，我停下来等您。"]
    assert b.state == State.LISTEN
    # A later arrival event of the cancelled goal must not announce anything.
    assert b.handle(NavArrived("loc.restroom_1f", 9)) == []


def test_unknown_target_is_answered_never_moved(lobby: LobbyMap) -> None:
    b = Behaviour(lobby)
    b.handle(Heard("带我去停车场", 0))
    cmds = b.handle(Replied("", ["停车场"], now=1))
    assert not any(isinstance(c, Navigate) for c in cmds)
    assert any("抱歉" in s for s in says(cmds)) and b.state == State.LISTEN


def test_listen_timeout_returns_to_dock_or_idles_at_dock(lobby: LobbyMap) -> None:
    at_dock = Behaviour(lobby)
    at_dock.handle(PersonDetected(0))
    at_dock.handle(Tick(at_dock.config.listen_timeout_s))
    assert at_dock.state == State.IDLE
    away = Behaviour(lobby, location="loc.help_desk")
    away.handle(PersonDetected(0))
    cmds = away.handle(Tick(away.config.listen_timeout_s + 1))
    assert any(isinstance(c, Dock) for c in cmds) and away.state == State.RETURNING


def test_low_battery_while_guiding_cancels_and_docks(lobby: LobbyMap) -> None:
    b = Behaviour(lobby)
    b.handle(Heard("B05在哪", 0))
    b.handle(Replied("B05窗口在一楼B区。", ["B05"], now=1))
    cmds = b.handle(BatteryLow(0.15, 10))
    assert isinstance(cmds[0], Cancel) and isinstance(cmds[-1], Dock)
    assert "B05窗口" in says(cmds)[0] and b.state == State.DOCKING
    # While going to charge it declines new requests.
    assert "电量不足" in says(b.handle(Heard("社保卡怎么办", 11)))[0]
    assert b.handle(BatteryLow(0.1, 12)) == []
    b.handle(Docked(50))
    assert b.state == State.IDLE


def test_navigation_failure_is_spoken(lobby: LobbyMap) -> None:
    b = Behaviour(lobby)
    b.handle(Heard("B01在哪", 0))
    b.handle(Replied("", ["B01"], now=1))
    cmds = b.handle(NavFailed("前方通道被挡住了", 20))
    assert says(cmds) == ["前方通道被挡住了"] and b.state == State.LISTEN


def test_question_while_walking_is_answered_without_stopping(lobby: LobbyMap) -> None:
    b = Behaviour(lobby)
    b.handle(Heard("带我去A01", 0))
    b.handle(Replied("", ["A01"], now=1))
    cmds = b.handle(Heard("要带户口本吗", 3))
    assert Ask("要带户口本吗") in cmds and not any(isinstance(c, Cancel) for c in cmds)
    after = b.handle(Replied("需要带户口本。", [], now=4))
    assert says(after) == ["需要带户口本。"] and b.state == State.GUIDE
    assert "A01窗口到了" in says(b.handle(NavArrived("loc.win_a01", 30)))[0]
