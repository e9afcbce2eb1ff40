"""Errors of the robot package.

Exception tree::

    RobotError
    ├── MapError                 the lobby map is inconsistent (unknown location, dangling edge)
    ├── NoPathError              no walkable path between two locations (e.g. every route blocked)
    ├── DriverError              a robot driver failed to carry out a command
    │   └── RetryableDriverError the link to the robot dropped or timed out; retrying may help
    └── RuntimeConfigError       the robot runtime was started with missing pieces (model, audio)

An unknown *target* is not an error: ``LobbyMap.resolve`` returns an ``Unresolved`` with a spoken reply,
because a citizen asking for a place we do not know must get an answer, never a move.
"""

from __future__ import annotations


class RobotError(Exception):
    """Root of every error raised by ``robot``."""


class MapError(RobotError):
    """The lobby map is inconsistent."""


class NoPathError(RobotError):
    """No walkable path between two locations."""


class DriverError(RobotError):
    """A robot driver failed to carry out a command."""


class RetryableDriverError(DriverError):
    """A transient driver failure (connection dropped, time-out)."""


class RuntimeConfigError(RobotError):
    """The runtime lacks something it needs (a model directory, an audio file)."""
