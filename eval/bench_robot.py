"""Robot benchmark: navigation target accuracy over every window, named place and matter of the demo map.

For each target the query is resolved from the dock, planned, and driven by a SimulatedRobot on a
manual clock (instant and deterministic); it counts as correct when the robot stops at the expected
location. Unknown places must be refused (a spoken reply, no move). Also: planning time and a
rosbridge goal round trip against the local fake rosbridge (protocol overhead, not robot motion).
Run: ``govguide bench robot [--json]``.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from robot.base import NavState
from robot.map import KIND_WORDS, LobbyMap, MatterRef, Resolved, Unresolved
from robot.sim import ManualClock, SimulatedRobot, goal_for

UNKNOWN_PLACES = ["停车场", "食堂", "火车站", "Z99窗口", "三楼会议室", "银行"]


def _matters(corpus_dir: Path) -> tuple[list[MatterRef], str]:
    try:
        from corpus.loader import load_corpus

        c = load_corpus(corpus_dir)
    except Exception as e:  # the catalogue may be mid-edit; windows and places are still measured
        return [], f"matters skipped: corpus does not load ({str(e).splitlines()[0]})"
    return [MatterRef(m.id, m.name, tuple(m.windows), tuple(m.aliases)) for m in c.matters], ""


def _cases(lobby: LobbyMap) -> list[tuple[str, str, str]]:
    """(kind, query, expected location id) for every window, place name/alias and matter."""
    cases: list[tuple[str, str, str]] = []
    for wid, loc in sorted(lobby.windows.items()):
        cases += [
            ("window", wid, loc),
            ("window", f"带我去{wid}窗口", loc),
            ("window", f"{wid.lower()}在哪", loc),
        ]
    for name, loc in sorted(lobby.named_places().items()):
        point = lobby.point(loc)
        generic = next((k for w, k in KIND_WORDS.items() if w in name), None)
        if generic and not any(f in name for f in ("一楼", "二楼")):
            # A generic word ("洗手间") means the nearest of its kind: expected = nearest from the dock.
            same = [p for p in lobby.points.values() if p.kind == point.kind]
            assert lobby.dock is not None
            loc = min(same, key=lambda p: lobby.shortest_path(lobby.dock, p.id).distance).id  # type: ignore[arg-type]
        cases.append(("place", name, loc))
    for m in lobby.matters.values():
        win = next((w for w in m.windows if w in lobby.windows), None)
        if win:
            cases.append(("matter", m.name, lobby.windows[win]))
    return cases


def run(corpus_dir: Path, settings: Any = None) -> dict[str, Any]:
    """Resolution + simulated navigation accuracy; with ``settings`` the map comes from the graph."""
    if settings is not None:
        from robot.simrun import load_lobby

        lobby = load_lobby(settings)
        note = ""
    else:
        matters, note = _matters(corpus_dir)
        lobby = LobbyMap.from_lobby_files(corpus_dir, matters)
    cases = _cases(lobby)
    per_kind: dict[str, list[int]] = {}
    failures: list[dict[str, str]] = []
    plan_us: list[float] = []
    travel_s: list[float] = []
    for kind, query, expected in cases:
        clock = ManualClock()
        robot = SimulatedRobot(lobby, clock=clock)
        t0 = time.perf_counter()
        res = lobby.resolve(query, near=robot.location)
        ok = False
        if isinstance(res, Resolved):
            lobby.shortest_path(robot.location, res.location.id)
            plan_us.append((time.perf_counter() - t0) * 1e6)
            robot.navigate_to(goal_for(lobby, res.location.id))
            st = robot.wait()
            travel_s.append(clock.now())
            ok = st.state == NavState.SUCCEEDED and st.location == expected
        per_kind.setdefault(kind, []).append(int(ok))
        if not ok:
            got = res.location.id if isinstance(res, Resolved) else "unresolved"
            failures.append({"query": query, "expected": expected, "got": got})
    refused = sum(isinstance(lobby.resolve(q), Unresolved) for q in UNKNOWN_PLACES)
    total = sum(sum(v) for v in per_kind.values())
    out: dict[str, Any] = {
        "targets": len(cases),
        "accuracy": total / len(cases) if cases else 0.0,
        "accuracy_by_kind": {k: {"n": len(v), "accuracy": sum(v) / len(v)} for k, v in per_kind.items()},
        "windows": len(lobby.windows),
        "named_places": len(lobby.named_places()),
        "matters": len(lobby.matters),
        "unknown_refused": f"{refused}/{len(UNKNOWN_PLACES)}",
        "plan_us_p50": statistics.median(plan_us) if plan_us else None,
        "plan_us_max": max(plan_us) if plan_us else None,
        "sim_travel_s_mean": statistics.mean(travel_s) if travel_s else None,
        "failures": failures[:20],
        "note": note,
    }
    out.update(_rosbridge_round_trip(lobby))
    return out


def _rosbridge_round_trip(lobby: LobbyMap, n: int = 20) -> dict[str, Any]:
    """Goal -> result round trip over the fake rosbridge (protocol + roslibpy overhead, no motion)."""
    try:
        from robot.ros2 import Ros2Driver
        from robot.testing import FakeRosbridge
    except ImportError as e:
        return {"rosbridge": f"skipped: {e}"}
    times: list[float] = []
    with FakeRosbridge(feedback_steps=1, step_s=0.0) as server:
        driver = Ros2Driver(port=server.port)
        try:
            for i in range(n):
                point = sorted(lobby.windows.values())[i % len(lobby.windows)]
                t0 = time.perf_counter()
                driver.navigate_to(goal_for(lobby, point))
                st = driver.wait(5)
                times.append((time.perf_counter() - t0) * 1000)
                if st.state != NavState.SUCCEEDED:
                    return {"rosbridge": f"goal {i} ended {st.state.value}"}
        finally:
            driver.close()
    return {"rosbridge_goal_round_trip_ms_p50": statistics.median(times), "rosbridge_goals": n}


def format_report(r: dict[str, Any]) -> str:
    lines = [
        "Robot benchmark — navigation target accuracy on the demo lobby (SimulatedRobot, from the dock)",
        f"  targets: {r['targets']} ({r['windows']} windows x 3 phrasings, {r['named_places']} place names, "
        f"{r['matters']} matters) — accuracy {r['accuracy']:.1%} (target 100%)",
    ]
    for kind, v in r["accuracy_by_kind"].items():
        lines.append(f"    {kind:7s} n={v['n']:4d}  accuracy {v['accuracy']:.1%}")
    lines.append(f"  unknown places refused with a reply (no move): {r['unknown_refused']}")
    if r.get("plan_us_p50") is not None:
        lines.append(
            f"  resolve + plan: p50 {r['plan_us_p50']:.0f} µs, max {r['plan_us_max']:.0f} µs; "
            f"mean simulated trip {r['sim_travel_s_mean']:.1f} s at 0.8 m/s"
        )
    if "rosbridge_goal_round_trip_ms_p50" in r:
        lines.append(
            f"  rosbridge goal round trip (fake server, no motion): p50 "
            f"{r['rosbridge_goal_round_trip_ms_p50']:.1f} ms over {r['rosbridge_goals']} goals"
        )
    elif "rosbridge" in r:
        lines.append(f"  rosbridge: {r['rosbridge']}")
    for f in r["failures"]:
        lines.append(f"  FAIL {f['query']!r}: expected {f['expected']}, got {f['got']}")
    if r.get("note"):
        lines.append(f"  note: {r['note']}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys

    from govguide.config import DEFAULT_CORPUS_DIR

    result = run(DEFAULT_CORPUS_DIR)
    print(json.dumps(result, ensure_ascii=False, indent=2) if "--json" in sys.argv else format_report(result))
    from robot.ros2 import shutdown_transport

    shutdown_transport()
