"""The lobby map: points, walkable adjacency, shortest paths and target resolution.

A ``LobbyMap`` is a pure value built either from the knowledge graph (production: Location nodes,
ADJACENT relationships, Window-LOCATED_AT->Location, Matter-SERVED_AT->Window) or from the corpus
records (lobby.yaml + windows.yaml + matters). Resolution turns what a citizen or the dialogue engine
names — a window id ("B01"), a location id, a matter id or name ("护士证到期换证"), or a place
("洗手间", "取号机") — into one lobby location; anything else yields an ``Unresolved`` with a reply to
speak, never a move.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from robot.base import Pose
from robot.errors import MapError, NoPathError

WINDOW_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z])\s*0?([0-9]{1,2})(?:\s*号)?(?:\s*窗口?)?(?![0-9])")
FLOOR_WORDS = {1: ("一楼", "1楼", "一层", "1层"), 2: ("二楼", "2楼", "二层", "2层")}

# Generic place words: when the query names a kind of place rather than one point, go to the nearest
# point of that kind (on the floor asked for, if any).
KIND_WORDS: dict[str, str] = {
    "洗手间": "restroom",
    "厕所": "restroom",
    "卫生间": "restroom",
    "茅房": "restroom",
    "取号机": "queue_machine",
    "排队机": "queue_machine",
    "叫号机": "queue_machine",
    "电梯": "elevator",
    "楼梯": "stairs",
    "等候区": "waiting",
    "休息区": "waiting",
}


@dataclass(frozen=True)
class MapPoint:
    """One lobby location."""

    id: str
    name: str
    kind: str
    floor: int
    x: float
    y: float
    aliases: tuple[str, ...] = ()

    @property
    def pose(self) -> Pose:
        return Pose(x=self.x, y=self.y, floor=self.floor)


@dataclass(frozen=True)
class MatterRef:
    """What the map needs to know about a matter: names to match and the windows serving it."""

    id: str
    name: str
    windows: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """A planned path: location ids in order and the walking distance in metres."""

    points: tuple[str, ...]
    distance: float


@dataclass(frozen=True)
class Resolved:
    """A target resolved to a lobby location. ``via`` says which rule matched (for tests and logs)."""

    location: MapPoint
    label: str
    via: str
    window: str | None = None
    matter: str | None = None


@dataclass(frozen=True)
class Unresolved:
    """A target we cannot place; ``reply`` is what the robot says instead of moving."""

    query: str
    reply: str


def unresolved_reply(query: str) -> str:
    shown = query.strip() or "这个地方"
    return f"抱歉，我没有找到“{shown}”的位置，不能带您过去。您可以到咨询导办台问问工作人员。"


@dataclass
class LobbyMap:
    """Points, undirected weighted edges, window and matter lookups."""

    points: dict[str, MapPoint]
    edges: dict[str, dict[str, float]]  # adjacency: a -> {b: metres}
    windows: dict[str, str] = field(default_factory=dict)  # window id -> location id
    matters: dict[str, MatterRef] = field(default_factory=dict)
    dock: str | None = None
    edge_kinds: dict[frozenset[str], str] = field(default_factory=dict)  # "walk" | "elevator" | "stairs"

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        points: Iterable[MapPoint],
        edges: Iterable[tuple[str, str, float | None] | tuple[str, str, float | None, str]],
        windows: Mapping[str, str] | None = None,
        matters: Iterable[MatterRef] = (),
    ) -> LobbyMap:
        """Build and check a map; an edge without distance gets the straight-line distance."""
        pts = {p.id: p for p in points}
        adj: dict[str, dict[str, float]] = {pid: {} for pid in pts}
        kinds: dict[frozenset[str], str] = {}
        for edge in edges:
            a, b, dist = edge[0], edge[1], edge[2]
            kinds[frozenset((a, b))] = edge[3] if len(edge) > 3 else "walk"
            if a not in pts or b not in pts:
                raise MapError(f"edge {a} -> {b} names an unknown location")
            d = dist if dist else math.dist((pts[a].x, pts[a].y), (pts[b].x, pts[b].y))
            adj[a][b] = adj[b][a] = float(d)
        wins = dict(windows or {})
        for wid, loc in wins.items():
            if loc not in pts:
                raise MapError(f"window {wid} stands at unknown location {loc}")
        docks = [p.id for p in pts.values() if p.kind == "dock"]
        return cls(
            points=pts,
            edges=adj,
            windows=wins,
            matters={m.id: m for m in matters},
            dock=docks[0] if docks else None,
            edge_kinds=kinds,
        )

    @classmethod
    def from_records(
        cls,
        locations: Sequence[Any],
        edges: Sequence[Any],
        windows: Sequence[Any] = (),
        matters: Sequence[Any] = (),
    ) -> LobbyMap:
        """From corpus model objects (``corpus.models.Location``, ``Edge``, ``Window``, ``Matter``)."""
        return cls.build(
            (
                MapPoint(loc.id, loc.name, loc.kind, loc.floor, loc.x, loc.y, tuple(loc.aliases))
                for loc in locations
            ),
            ((e.a, e.b, e.distance, e.kind) for e in edges),
            {w.id: w.location for w in windows},
            (
                MatterRef(m.id, m.name, tuple(m.windows), tuple(m.aliases) + tuple(m.colloquial))
                for m in matters
            ),
        )

    @classmethod
    def from_corpus(cls, corpus: Any) -> LobbyMap:
        """From a loaded ``corpus.loader.Corpus``."""
        if corpus.lobby is None:
            raise MapError("the corpus has no lobby.yaml")
        return cls.from_records(corpus.lobby.locations, corpus.lobby.edges, corpus.windows, corpus.matters)

    @classmethod
    def from_lobby_files(cls, corpus_dir: Path, matters: Iterable[MatterRef] = ()) -> LobbyMap:
        """From ``lobby.yaml`` + ``windows.yaml`` alone (validated by the corpus models) plus given matters.

        Useful when the rest of the catalogue is not needed (simulation, map checks).
        """
        from corpus.models import LobbyMap as LobbyRecord
        from corpus.models import Window

        lobby = LobbyRecord.model_validate(yaml.safe_load((corpus_dir / "lobby.yaml").read_text("utf-8")))
        windows = [
            Window.model_validate(w) for w in yaml.safe_load((corpus_dir / "windows.yaml").read_text("utf-8"))
        ]
        built = cls.from_records(lobby.locations, lobby.edges, windows)
        built.matters = {m.id: m for m in matters}
        return built

    @classmethod
    def from_graph(cls, store: Any) -> LobbyMap:
        """From a ``graph.base.GraphStore`` holding the ingested corpus (the production path)."""
        from graph import queries

        lobby = queries.lobby_graph(store)
        window_ids = [e.id for e in queries.entity_names(store) if e.label == "Window"]
        windows: dict[str, str] = {}
        for wid in window_ids:
            info = queries.window_location(store, wid)
            if info is not None and info.location is not None:
                windows[wid] = info.location.id
        return cls.build(
            (
                MapPoint(
                    loc.id,
                    loc.name,
                    loc.kind,
                    int(loc.floor or 1),
                    float(loc.x or 0.0),
                    float(loc.y or 0.0),
                    tuple(loc.aliases),
                )
                for loc in lobby.locations
            ),
            ((e.from_id, e.to_id, e.distance, e.kind) for e in lobby.edges),
            windows,
            (
                MatterRef(m.id, m.name, tuple(sorted(m.window_ids)), tuple(m.aliases) + tuple(m.colloquial))
                for m in queries.list_matters(store)
            ),
        )

    # --- geometry -------------------------------------------------------------------------------

    def point(self, point_id: str) -> MapPoint:
        try:
            return self.points[point_id]
        except KeyError as e:
            raise MapError(f"unknown location {point_id!r}") from e

    def nearest_point(self, pose: Pose) -> str:
        """The location closest to ``pose`` on its floor."""
        same_floor = [p for p in self.points.values() if p.floor == pose.floor] or list(self.points.values())
        return min(same_floor, key=lambda p: math.dist((p.x, p.y), (pose.x, pose.y))).id

    def shortest_path(
        self,
        start: str,
        goal: str,
        blocked: Iterable[frozenset[str]] = (),
        avoid: Iterable[str] = ("stairs",),
    ) -> Route:
        """Dijkstra over walkable edges.

        Args:
            start: location id.
            goal: location id.
            blocked: edges to skip, each a frozenset of two location ids.
            avoid: edge kinds to skip; a wheeled robot cannot take stairs (pass ``()`` for people).
        """
        avoided = set(avoid)
        self.point(start)
        self.point(goal)
        closed = set(blocked)
        dist: dict[str, float] = {start: 0.0}
        prev: dict[str, str] = {}
        heap: list[tuple[float, str]] = [(0.0, start)]
        while heap:
            d, node = heapq.heappop(heap)
            if node == goal:
                break
            if d > dist.get(node, math.inf):
                continue
            for nxt, w in self.edges[node].items():
                key = frozenset((node, nxt))
                if key in closed or self.edge_kinds.get(key, "walk") in avoided:
                    continue
                nd = d + w
                if nd < dist.get(nxt, math.inf):
                    dist[nxt], prev[nxt] = nd, node
                    heapq.heappush(heap, (nd, nxt))
        if goal not in dist:
            raise NoPathError(f"no walkable path from {start} to {goal}")
        path = [goal]
        while path[-1] != start:
            path.append(prev[path[-1]])
        return Route(points=tuple(reversed(path)), distance=dist[goal])

    def route_polyline(self, route: Route) -> list[dict[str, float]]:
        """The route as points for the head display's map."""
        return [
            {"x": self.points[p].x, "y": self.points[p].y, "floor": self.points[p].floor}
            for p in route.points
        ]

    # --- target resolution ----------------------------------------------------------------------

    def named_places(self) -> dict[str, str]:
        """Every alias and name of a non-window location -> its location id (what a citizen may ask for)."""
        out: dict[str, str] = {}
        for p in self.points.values():
            if p.kind == "window":
                continue
            for name in (p.name, *p.aliases):
                out.setdefault(name, p.id)
        return out

    def resolve(self, query: str, near: str | None = None) -> Resolved | Unresolved:
        """Resolve a target to one location.

        Args:
            query: a window id, location id, matter id, matter name/alias, or free text naming a place.
            near: the location the robot stands at; generic places (洗手间) resolve to the nearest one.

        Returns:
            ``Resolved`` or ``Unresolved`` (with a reply to speak instead of moving).
        """
        q = query.strip()
        if not q:
            return Unresolved(query, unresolved_reply(query))
        if q in self.points:
            p = self.points[q]
            return Resolved(p, p.name, "location", window=self._window_at(p.id))
        if q in self.matters:
            return self._matter(self.matters[q], "matter_id")
        window = self._window_in(q)
        if window:
            p = self.points[self.windows[window]]
            return Resolved(p, f"{window}窗口", "window", window=window)
        # The longer name wins: "既有住宅加装电梯提取住房公积金" is a matter, not the elevator.
        matter, matter_len = self._matter_in(q)
        place_len = max((len(n) for n in self.named_places() if n and n in q), default=0)
        if matter is not None and matter_len > place_len:
            return self._matter(matter, "matter_name")
        place = self._place_in(q, near)
        if place:
            return place
        return Unresolved(query, unresolved_reply(query))

    def _window_at(self, location: str) -> str | None:
        return next((w for w, loc in self.windows.items() if loc == location), None)

    def _window_in(self, q: str) -> str | None:
        for m in WINDOW_RE.finditer(q):
            wid = f"{m.group(1).upper()}{int(m.group(2)):02d}"
            if wid in self.windows:
                return wid
        return None

    def _floor_in(self, q: str) -> int | None:
        return next((f for f, words in FLOOR_WORDS.items() if any(w in q for w in words)), None)

    def _place_in(self, q: str, near: str | None) -> Resolved | None:
        hits = [(name, pid) for name, pid in self.named_places().items() if name and name in q]
        if not hits:
            return None
        name, pid = max(hits, key=lambda h: len(h[0]))
        kind = next((k for w, k in KIND_WORDS.items() if w in name), None)
        if kind:
            floor = self._floor_in(q)
            candidates = [
                p for p in self.points.values() if p.kind == kind and (floor is None or p.floor == floor)
            ]
            if candidates and (floor is not None or near):
                best = min(candidates, key=lambda p: self._distance_or_inf(near, p.id) if near else p.floor)
                return Resolved(best, best.name, "kind")
        p = self.points[pid]
        return Resolved(p, p.name, "alias", window=self._window_at(p.id))

    def _distance_or_inf(self, start: str | None, goal: str) -> float:
        if start is None or start not in self.points:
            return math.inf
        try:
            return self.shortest_path(start, goal).distance
        except NoPathError:
            return math.inf

    def _matter_in(self, q: str) -> tuple[MatterRef | None, int]:
        best: tuple[int, MatterRef] | None = None
        for m in self.matters.values():
            for name in (m.name, *m.aliases):
                if len(name) >= 2 and name in q and (best is None or len(name) > best[0]):
                    best = (len(name), m)
        return (best[1], best[0]) if best else (None, 0)

    def _matter(self, m: MatterRef, via: str) -> Resolved | Unresolved:
        win = next((w for w in m.windows if w in self.windows), None)
        if win is None:
            return Unresolved(m.name, f"抱歉，{m.name}的办理窗口不在本大厅，请到咨询导办台咨询。")
        p = self.points[self.windows[win]]
        return Resolved(p, f"{win}窗口", via, window=win, matter=m.id)
