"""Robot fixtures: the demo lobby map, a manual-clock SimulatedRobot, and a fake rosbridge server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from robot.map import LobbyMap, MatterRef
from robot.sim import ManualClock, SimulatedRobot

NURSE = MatterRef(
    "health.nurse_reregistration", "护士执业延续注册", ("B01",), ("护士证到期换证", "护士证到期了怎么办")
)


@pytest.fixture(scope="session")
def lobby(demo_corpus_dir: Path) -> LobbyMap:
    return LobbyMap.from_lobby_files(demo_corpus_dir, [NURSE])


@pytest.fixture()
def sim(lobby: LobbyMap) -> SimulatedRobot:
    return SimulatedRobot(lobby, clock=ManualClock())


@pytest.fixture(scope="session")
def twisted_reactor() -> Iterator[None]:
    """roslibpy's Twisted reactor cannot restart: connections close per test, the reactor stops once."""
    pytest.importorskip("roslibpy", reason="roslibpy not installed (pip install roslibpy==2.1.0)")
    yield
    from robot.ros2 import shutdown_transport

    shutdown_transport()
