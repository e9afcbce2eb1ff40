"""LobbyMap: planning and target resolution over the demo lobby (every window and named place)."""

from __future__ import annotations

import pytest

from robot.errors import MapError, NoPathError
from robot.map import LobbyMap, MapPoint, Resolved, Unresolved


def test_every_window_resolves_to_its_own_point(lobby: LobbyMap) -> None:
    assert len(lobby.windows) >= 40
    for wid, loc in lobby.windows.items():
        for query in (wid, wid.lower(), f"{wid}窗口在哪", f"带我去{wid[0]}{int(wid[1:])}号窗口"):
            res = lobby.resolve(query)
            assert isinstance(res, Resolved), query
            assert (res.location.id, res.window) == (loc, wid), query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("洗手间在哪里", "loc.restroom_1f"),
        ("厕所", "loc.restroom_1f"),
        ("卫生间", "loc.restroom_1f"),
        ("二楼厕所在哪", "loc.restroom_2f"),
        ("我想去二楼洗手间", "loc.restroom_2f"),
        ("自助机", "loc.self_service_1f"),
        ("取号机在哪", "loc.queue_1f"),
        ("二楼取号机", "loc.queue_2f"),
        ("咨询台", "loc.help_desk"),
        ("母婴室", "loc.baby_room"),
        ("loc.win_e03", "loc.win_e03"),
    ],
)
def test_named_places(lobby: LobbyMap, query: str, expected: str) -> None:
    res = lobby.resolve(query, near="loc.dock")
    assert isinstance(res, Resolved)
    assert res.location.id == expected


def test_generic_place_goes_to_the_nearest_of_its_kind(lobby: LobbyMap) -> None:
    # Standing on the second floor, "洗手间" means the second-floor one.
    res = lobby.resolve("洗手间", near="loc.win_e05")
    assert isinstance(res, Resolved) and res.location.id == "loc.restroom_2f" and res.via == "kind"


def test_matter_resolves_through_its_window(lobby: LobbyMap) -> None:
    for query in ("health.nurse_reregistration", "我要办护士执业延续注册", "护士证到期了怎么办"):
        res = lobby.resolve(query)
        assert isinstance(res, Resolved)
        assert (res.window, res.matter, res.location.id) == (
            "B01",
            "health.nurse_reregistration",
            "loc.win_b01",
        )


@pytest.mark.parametrize("query", ["火星", "Z99窗口", "", "带我去停车场"])
def test_unknown_targets_get_a_spoken_reply_not_a_move(lobby: LobbyMap, query: str) -> None:
    res = lobby.resolve(query)
    assert isinstance(res, Unresolved)
    assert "抱歉" in res.reply and "导办台" in res.reply


def test_named_places_cover_every_non_window_alias(lobby: LobbyMap) -> None:
    places = lobby.named_places()
    assert {"洗手间", "自助机", "取号机", "电梯", "充电桩"} <= set(places)
    for name, loc in places.items():
        res = lobby.resolve(name)
        assert isinstance(res, Resolved), name
        # Generic words may pick another point of the same kind; specific names must land exactly.
        assert res.location.id == loc or res.location.kind == lobby.point(loc).kind, name


def test_robot_route_crosses_floors_by_elevator_never_stairs(lobby: LobbyMap) -> None:
    walking = lobby.shortest_path("loc.dock", "loc.win_e03", avoid=())
    assert "loc.stairs_1f" in walking.points  # stairs are shorter for people
    route = lobby.shortest_path("loc.dock", "loc.win_e03")
    assert route.points[0] == "loc.dock" and route.points[-1] == "loc.win_e03"
    assert "loc.elevator_1f" in route.points and "loc.elevator_2f" in route.points
    # Each hop is an edge, and the total is the sum of hops.
    total = sum(lobby.edges[a][b] for a, b in zip(route.points, route.points[1:], strict=False))
    assert route.distance == pytest.approx(total) and route.distance > walking.distance


def test_blocked_edge_forces_a_detour_or_no_path(lobby: LobbyMap) -> None:
    direct = lobby.shortest_path("loc.dock", "loc.win_c05")
    assert ("loc.self_service_1f", "loc.corridor_c") == direct.points[1:3][
        -2:
    ] or "loc.self_service_1f" in direct.points
    detour = lobby.shortest_path(
        "loc.dock", "loc.win_c05", [frozenset(("loc.self_service_1f", "loc.corridor_c"))]
    )
    assert detour.distance > direct.distance and "loc.hall_center_1f" in detour.points
    with pytest.raises(NoPathError):
        lobby.shortest_path("loc.dock", "loc.win_b01", [frozenset(("loc.hall_center_1f", "loc.corridor_b"))])


def test_build_rejects_dangling_edges() -> None:
    with pytest.raises(MapError):
        LobbyMap.build([MapPoint("loc.a", "A", "hall", 1, 0, 0)], [("loc.a", "loc.b", None)])


@pytest.mark.slow
def test_map_from_graph_matches_map_from_records(embedded_store, test_corpus_dir) -> None:  # type: ignore[no-untyped-def]
    from corpus.ingest import ingest_corpus
    from corpus.loader import load_corpus

    corpus = load_corpus(test_corpus_dir)
    ingest_corpus(embedded_store, corpus)
    from_graph = LobbyMap.from_graph(embedded_store)
    from_records = LobbyMap.from_corpus(corpus)
    assert from_graph.points == from_records.points
    assert from_graph.windows == from_records.windows
    assert set(from_graph.matters) == set(from_records.matters)
    for a, nbrs in from_records.edges.items():
        assert from_graph.edges[a] == pytest.approx(nbrs, abs=0.01)  # the graph rounds to cm
    matter = next(iter(from_records.matters.values()))
    res = from_graph.resolve(matter.name)
    assert isinstance(res, Resolved) and res.window in matter.windows


def test_a_longer_matter_name_beats_a_place_word_inside_it(lobby: LobbyMap) -> None:
    from robot.map import MatterRef

    lift = MatterRef("fund.lift", "既有住宅加装电梯提取住房公积金", ("A07",))
    with_matter = LobbyMap(
        lobby.points, lobby.edges, lobby.windows, {lift.id: lift}, lobby.dock, lobby.edge_kinds
    )
    res = with_matter.resolve("既有住宅加装电梯提取住房公积金")
    assert isinstance(res, Resolved) and res.window == "A07"
    res = with_matter.resolve("电梯在哪")
    assert isinstance(res, Resolved) and res.location.kind == "elevator"
