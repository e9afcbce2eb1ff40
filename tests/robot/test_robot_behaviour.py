"""Behaviour state machine: the guided visit, interruptions, time-outs, unknown targets, low battery."""

from __future__ import annotations

from robot.behaviour import (
    Ask,
    BatteryLow,
    Behaviour,
    BehaviourConfig,
    Cancel,
    Command,
    Dock,
    Docked,
    Heard,
    NavArrived,
    NavFailed,
    Navigate,
    PersonDetected,
    PersonLeft,
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
    done = b.speaking_until  # the wait starts when the announcement is over
    assert 60 + 3 < done < 60 + 6  # 13 characters at ~0.3 s
    assert b.handle(Tick(done + b.config.arrived_timeout_s - 1)) == []
    back = b.handle(Tick(done + b.config.arrived_timeout_s + 0.01))
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


def test_silence_is_not_absence_the_visit_ends_after_the_absence_window(lobby: LobbyMap) -> None:
    c = Behaviour(lobby).config
    at_dock = Behaviour(lobby)
    at_dock.handle(PersonDetected(0))
    greeted = at_dock.speaking_until  # silence counts once the greeting has been said
    assert at_dock.handle(Tick(greeted + c.listen_timeout_s - 1)) == []
    # Silence: the robot checks on the citizen once and keeps listening.
    assert says(at_dock.handle(Tick(greeted + c.listen_timeout_s + 0.01))) == [c.still_there]
    checked = at_dock.speaking_until
    assert at_dock.handle(Tick(checked + c.absence_timeout_s - 1)) == [] and at_dock.state == State.LISTEN
    at_dock.handle(Tick(checked + c.absence_timeout_s + 0.01))
    assert at_dock.state == State.IDLE  # no sign of anyone for the whole window: idle at the dock
    away = Behaviour(lobby, location="loc.help_desk", config=BehaviourConfig(listen_timeout_s=60))
    away.handle(PersonDetected(0))
    cmds = away.handle(Tick(away.speaking_until + c.absence_timeout_s + 0.01))
    assert any(isinstance(c_, Dock) for c_ in cmds) and away.state == State.RETURNING


def test_a_long_answer_is_not_taken_for_silence(lobby: LobbyMap) -> None:
    b = Behaviour(lobby)
    b.handle(PersonDetected(0))
    b.handle(Heard("护士执业证书重新注册要带什么", 8))
    answer = "办理护士执业延续注册需要准备申请表、居民身份证、护士执业证书、护士执业健康体检证明。" * 2
    b.handle(Replied(answer, [], now=9))
    assert b.speaking_until > 9 + b.config.listen_timeout_s  # it takes longer to say than the time-out
    assert b.handle(Tick(9 + b.config.listen_timeout_s)) == []  # still talking: no "还有什么可以帮您"
    assert says(b.handle(Tick(b.speaking_until + b.config.listen_timeout_s + 0.01))) == [b.config.still_there]


def test_a_citizen_who_pauses_and_asks_again_is_not_greeted_again(lobby: LobbyMap) -> None:
    b = Behaviour(lobby, location="loc.help_desk")
    c = b.config
    assert says(b.handle(PersonDetected(0))) == [c.greeting]
    b.handle(Heard("护士执业证书重新注册要带什么", 8))
    b.handle(Replied("需要带身份证。", [], now=9))
    assert b.state == State.LISTEN
    # Past the listen time-out (the old rule left here), within the absence window.
    quiet = b.speaking_until
    assert says(b.handle(Tick(quiet + c.listen_timeout_s + 0.01))) == [c.still_there]
    t = b.speaking_until + c.absence_timeout_s - 1
    assert b.handle(Tick(t)) == [] and b.state == State.LISTEN
    cmds = b.handle(Heard("带我到办事窗口", t))
    assert c.greeting not in says(cmds) and Ask("带我到办事窗口") in cmds and b.state == State.ANSWER
    # A sensor that keeps seeing the citizen keeps the visit open well past the absence window.
    b.handle(Replied("好的。", [], now=t + 1))
    for now in range(int(t) + 2, int(t) + 2 + 5 * int(c.absence_timeout_s), 5):
        b.handle(PersonDetected(now))
        assert c.greeting not in says(b.handle(Tick(now)))
    assert b.state == State.LISTEN
    assert b.history.count(State.GREET) == 1


def test_a_presence_sensor_ends_the_visit_after_a_grace_period(lobby: LobbyMap) -> None:
    b = Behaviour(lobby, location="loc.help_desk")
    b.handle(PersonDetected(0))
    b.handle(PersonLeft(1))
    assert b.handle(Tick(1 + b.config.left_grace_s / 2)) == []  # just stepped aside?
    b.handle(PersonDetected(2))  # back: the departure is forgotten
    assert b.handle(Tick(2 + b.config.left_grace_s)) == [] and b.state == State.LISTEN
    b.handle(PersonLeft(5))
    cmds = b.handle(Tick(5 + b.config.left_grace_s))
    assert b.config.goodbye in says(cmds) and b.state == State.RETURNING
    assert b.handle(PersonLeft(9)) == []  # nothing to end outside a visit


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


def test_follow_me_is_said_once_when_the_dialogue_already_says_it(lobby: LobbyMap) -> None:
    b = Behaviour(lobby)
    b.handle(Heard("带我到办事窗口", 0))
    cmds = b.handle(Replied("B01号窗口在1楼。请跟我来，我带您过去。", ["B01"], now=1))
    assert sum("跟我来" in s for s in says(cmds)) == 1 and any(isinstance(c, Navigate) for c in cmds)


def test_asking_for_the_place_where_the_robot_stands_is_not_a_trip(lobby: LobbyMap) -> None:
    b = Behaviour(lobby, location="loc.win_b01")
    b.handle(Heard("带我去B01窗口", 0))
    cmds = b.handle(Replied("B01窗口在1楼。", ["B01"], now=1))
    assert not any(isinstance(c, Navigate) for c in cmds)
    assert says(cmds)[-1] == "我们就在B01窗口这里。" and b.state == State.LISTEN
