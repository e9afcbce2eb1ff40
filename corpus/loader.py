"""Load and validate the corpus directory: typed records, every cross-file reference checked.

Layout of a corpus directory (each YAML file holds a list of records, except lobby.yaml)::

    departments.yaml  windows.yaml  themes.yaml  bundles.yaml  lobby.yaml
    materials/*.yaml  situations/*.yaml  forms/*.yaml  matters/*.yaml  faqs/*.yaml  policies/*.yaml

Problems are collected, not raised one by one, so a curator sees every error of a file at once, each
with file, record index, record id and YAML line.
"""

from __future__ import annotations

import functools
import hashlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from corpus.errors import CorpusProblem, CorpusValidationError
from corpus.models import (
    FAQ,
    Bundle,
    Department,
    Form,
    LobbyMap,
    Material,
    Matter,
    Policy,
    Situation,
    Theme,
    Window,
)

M = TypeVar("M", bound=BaseModel)

# file or folder name -> model; folders hold any number of *.yaml files of that kind.
LIST_FILES: dict[str, type[BaseModel]] = {
    "departments.yaml": Department,
    "windows.yaml": Window,
    "themes.yaml": Theme,
    "bundles.yaml": Bundle,
}
LIST_DIRS: dict[str, type[BaseModel]] = {
    "materials": Material,
    "situations": Situation,
    "forms": Form,
    "matters": Matter,
    "faqs": FAQ,
    "policies": Policy,
}


@dataclass
class Corpus:
    """The whole validated catalogue, plus where each record came from (for citations)."""

    departments: list[Department] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)
    bundles: list[Bundle] = field(default_factory=list)
    materials: list[Material] = field(default_factory=list)
    situations: list[Situation] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    matters: list[Matter] = field(default_factory=list)
    faqs: list[FAQ] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    lobby: LobbyMap | None = None
    # record id -> "relative/file.yaml#index" (the citation source of every record)
    sources: dict[str, str] = field(default_factory=dict)
    version: str = ""

    def by_id(self, kind: str) -> dict[str, Any]:
        """Records of one kind keyed by id (kind is an attribute name, e.g. "matters")."""
        return {r.id: r for r in getattr(self, kind)}


_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it: ~10x faster


@functools.lru_cache(maxsize=512)
def parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """Data and node tree of one file from one parse; cached by content, so re-checking the corpus after
    an edit re-parses only the changed files. Callers must not mutate the result."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def item_lines(node: yaml.Node | None) -> list[int]:
    """1-based line of each top-level sequence item (for error messages)."""
    return [n.start_mark.line + 1 for n in node.value] if isinstance(node, yaml.SequenceNode) else []


def _read_yaml(
    root: Path, rel: str, overrides: Mapping[str, str], problems: list[CorpusProblem]
) -> tuple[Any, list[int]]:
    try:
        text = overrides[rel] if rel in overrides else (root / rel).read_text(encoding="utf-8")
        data, node = parse_yaml(text)
        return data, item_lines(node)
    except (OSError, UnicodeDecodeError) as e:
        problems.append(CorpusProblem(rel, None, None, None, f"cannot read file: {e}"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problems.append(CorpusProblem(rel, None, None, line, f"YAML syntax error: {e}"))
    return None, []


def _validate_list(
    model: type[M], data: Any, lines: list[int], rel: str, problems: list[CorpusProblem]
) -> list[tuple[int, M]]:
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(CorpusProblem(rel, None, None, 1, "the file must hold a YAML list of records"))
        return []
    out: list[tuple[int, M]] = []
    for i, raw in enumerate(data):
        line = lines[i] if i < len(lines) else None
        rid = raw.get("id") if isinstance(raw, dict) else None
        try:
            out.append((i, model.model_validate(raw)))
        except ValidationError as e:
            for err in e.errors():
                loc = ".".join(str(p) for p in err["loc"])
                problems.append(
                    CorpusProblem(rel, i, rid, line, f"{loc}: {err['msg']}" if loc else err["msg"])
                )
    return out


def corpus_files(root: Path, overrides: Mapping[str, str]) -> list[tuple[str, type[BaseModel]]]:
    """The list files in load order: fixed files, then each folder's ``*.yaml`` and ``*.yml`` (each sorted),
    including files that exist only in ``overrides``."""
    out = [(name, model) for name, model in LIST_FILES.items() if name in overrides or (root / name).exists()]
    for folder, model in LIST_DIRS.items():
        names = {p.name for p in (root / folder).glob("*.y*ml")}
        names |= {r.split("/", 1)[1] for r in overrides if r.startswith(folder + "/")}
        out += [
            (f"{folder}/{n}", model)
            for ext in (".yaml", ".yml")
            for n in sorted(x for x in names if x.endswith(ext))
        ]
    return out


def corpus_version(root: Path) -> str:
    """Content hash of every corpus file: the version the graph and the indexes are built from."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.y*ml")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def load_corpus(root: Path, overrides: Mapping[str, str] | None = None) -> Corpus:
    """Read, validate and cross-check a corpus directory.

    ``overrides`` maps relative paths to the text they would hold (new paths are new files): the corpus as
    it would be after writing them, without writing (``corpus.writer`` checks edits this way). Its
    ``version`` is then left empty, since the files on disk are not what was checked.

    Raises:
        CorpusValidationError: with every problem found (file, record, line, message).
    """
    root = Path(root)
    problems: list[CorpusProblem] = []
    if not root.is_dir():
        raise CorpusValidationError(
            [CorpusProblem(str(root), None, None, None, "corpus directory not found")]
        )
    corpus = Corpus()
    attr_of = {
        m: a for a, m in [*((k.removesuffix(".yaml"), v) for k, v in LIST_FILES.items()), *LIST_DIRS.items()]
    }
    ov = dict(overrides or {})
    for rel, model in corpus_files(root, ov):
        data, lines = _read_yaml(root, rel, ov, problems)
        for i, rec in _validate_list(model, data, lines, rel, problems):
            rid = rec.id  # type: ignore[attr-defined]
            if rid in corpus.sources:
                problems.append(
                    CorpusProblem(
                        rel,
                        i,
                        rid,
                        lines[i] if i < len(lines) else None,
                        f"duplicate id, first defined in {corpus.sources[rid]}",
                    )
                )
                continue
            corpus.sources[rid] = f"{rel}#{i}"
            getattr(corpus, attr_of[model]).append(rec)
    if "lobby.yaml" in ov or (root / "lobby.yaml").exists():
        data, _ = _read_yaml(root, "lobby.yaml", ov, problems)
        if data is not None:
            try:
                corpus.lobby = LobbyMap.model_validate(data)
                for i, loc in enumerate(corpus.lobby.locations):
                    if loc.id in corpus.sources:
                        problems.append(CorpusProblem("lobby.yaml", i, loc.id, None, "duplicate id"))
                    corpus.sources[loc.id] = f"lobby.yaml#locations/{i}"
            except ValidationError as e:
                for err in e.errors():
                    loc_s = ".".join(str(p) for p in err["loc"])
                    problems.append(CorpusProblem("lobby.yaml", None, None, None, f"{loc_s}: {err['msg']}"))
    else:
        problems.append(CorpusProblem("lobby.yaml", None, None, None, "lobby map file is missing"))
    if not problems:
        problems.extend(check_references(corpus))
    if problems:
        raise CorpusValidationError(problems)
    corpus.version = "" if ov else corpus_version(root)
    return corpus


def check_references(c: Corpus) -> list[CorpusProblem]:
    """Every id a record mentions must exist, with the right kind; the lobby must be connected."""
    problems: list[CorpusProblem] = []
    ids = {
        k: set(c.by_id(k)) for k in ("departments", "themes", "materials", "situations", "forms", "matters")
    }
    windows = {w.id for w in c.windows}
    locations = {loc.id: loc for loc in (c.lobby.locations if c.lobby else [])}
    situations = c.by_id("situations")

    def bad(rec_id: str, msg: str) -> None:
        src = c.sources.get(rec_id, "?#")
        rel, _, idx = src.partition("#")
        problems.append(CorpusProblem(rel, int(idx) if idx.isdigit() else None, rec_id, None, msg))

    def need(rec_id: str, kind: str, ref: str, what: str) -> None:
        if ref not in ids[kind]:
            bad(rec_id, f"unknown {what} {ref!r}")

    for w in c.windows:
        if w.location not in locations:
            bad(w.id, f"unknown location {w.location!r}")
        for d in w.departments:
            need(w.id, "departments", d, "department")
    for m in c.matters:
        need(m.id, "departments", m.department, "department")
        for wid in m.windows:
            if wid not in windows:
                bad(m.id, f"unknown window {wid!r}")
        for s in m.situations:
            need(m.id, "situations", s, "situation")
        for f in m.forms:
            need(m.id, "forms", f, "form")
        for t in m.themes:
            need(m.id, "themes", t, "theme")
        seen: set[str] = set()
        for req in m.materials:
            need(m.id, "materials", req.material, "material")
            # One REQUIRES relationship per (matter, material): list a material once, with its conditions.
            if req.material in seen:
                bad(
                    m.id,
                    f"material {req.material!r} listed twice; "
                    "list it once and put every condition in its `when`",
                )
            seen.add(req.material)
            for sid, values in req.when.items():
                sit = situations.get(sid)
                if sit is None:
                    continue
                allowed = {o.value for o in sit.options}
                for v in values:
                    if v not in allowed:
                        bad(
                            m.id,
                            f"material {req.material!r}: {sid} has no option {v!r} "
                            f"(options: {sorted(allowed)})",
                        )
    for b in c.bundles:
        for mid in b.matters:
            need(b.id, "matters", mid, "matter")
        for wid in b.windows:
            if wid not in windows:
                bad(b.id, f"unknown window {wid!r}")
        if b.theme:
            need(b.id, "themes", b.theme, "theme")
    for faq in c.faqs:
        for mid in faq.matters:
            need(faq.id, "matters", mid, "matter")
    for p in c.policies:
        for mid in p.matters:
            need(p.id, "matters", mid, "matter")
    if c.lobby:
        adj: dict[str, set[str]] = {k: set() for k in locations}
        for e in c.lobby.edges:
            for end in (e.a, e.b):
                if end not in locations:
                    problems.append(
                        CorpusProblem("lobby.yaml", None, None, None, f"edge to unknown location {end!r}")
                    )
            if e.a in adj and e.b in adj:
                adj[e.a].add(e.b)
                adj[e.b].add(e.a)
        entrances = [k for k, v in locations.items() if v.kind == "entrance"]
        if not entrances:
            problems.append(CorpusProblem("lobby.yaml", None, None, None, "the map has no entrance"))
        else:
            reached, todo = {entrances[0]}, deque([entrances[0]])
            while todo:
                for nxt in adj[todo.popleft()] - reached:
                    reached.add(nxt)
                    todo.append(nxt)
            for lost in sorted(set(locations) - reached):
                problems.append(
                    CorpusProblem("lobby.yaml", None, lost, None, "location not reachable from the entrance")
                )
    return problems
