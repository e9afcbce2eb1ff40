"""Curator edits: validate with the corpus models, write the corpus YAML files and the graph, update the
vector index incrementally, refresh the served engine and write the audit log (who, when, before/after).

The record → graph rows mapping is ``corpus.ingest.corpus_rows`` over a one-record ``Corpus``; only the
edited node and the relationships it owns are written, so neighbours are never touched.

Write-back (``api.write_back``, on by default when the corpus directory is writable): the corpus files
are the source of truth ``govguide ingest`` reloads, so an edit that only reached the graph would be
lost by the next ingest. Order of one edit: validate the record → under the corpus directory lock,
validate the whole corpus with the change and write the file (``corpus.writer``) → graph transaction
→ release the lock → index and engine refresh. If the graph transaction fails, the file is restored
before the lock is released. The file goes first because it is the copy that must never be behind:
a crash between the two steps leaves an edit in the files that the next ingest applies, whereas the
opposite order could leave an acknowledged edit only in the graph, to be dropped by that ingest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from api.errors import Conflict, CurationError, NotFound, Unavailable
from api.runtime import Runtime
from corpus.errors import CorpusProblem, CorpusValidationError
from corpus.ingest import META_ID, corpus_rows
from corpus.loader import Corpus
from corpus.models import FAQ, LobbyMap, Location, Material, Matter, Policy, Situation, Window
from corpus.writer import CorpusWriteError, CorpusWriter, RecordChange, WriteResult, corpus_writable
from govguide.config import Settings
from graph.errors import GraphError
from graph.queries import matter_detail
from graph.writer import check_label, replace_relationships, upsert_nodes

log = logging.getLogger(__name__)

# kind -> (model, graph label, Corpus attribute)
KINDS: dict[str, tuple[type[BaseModel], str, str]] = {
    "matter": (Matter, "Matter", "matters"),
    "material": (Material, "Material", "materials"),
    "situation": (Situation, "Situation", "situations"),
    "window": (Window, "Window", "windows"),
    "faq": (FAQ, "FAQ", "faqs"),
    "policy": (Policy, "Policy", "policies"),
}
INDEXED = ("matter", "faq", "policy")  # the kinds that are retrieval documents
# Relationships that point *into* a node of another kind which must not vanish with it.
_USED_BY = {
    "material": "MATCH (m:Matter)-[:REQUIRES]->(:Material {id: $id}) RETURN m.id AS id",
    "situation": "MATCH (m:Matter)-[:HAS_SITUATION]->(:Situation {id: $id}) RETURN m.id AS id",
    "window": "MATCH (m:Matter)-[:SERVED_AT]->(:Window {id: $id}) RETURN m.id AS id",
}


def _where(p: CorpusProblem) -> str:
    return p.file + (f":{p.line}" if p.line else "") + (f" {p.record_id}" if p.record_id else "")


def corpus_writer(settings: Settings) -> CorpusWriter | None:
    """The corpus files edits are written back to, per ``api.write_back`` (None: graph only)."""
    mode = settings.api.write_back
    root = Path(settings.corpus_dir)
    if mode is False or (mode is None and not corpus_writable(root)):
        return None
    return CorpusWriter(root)


class Curator:
    """Create / update / delete catalogue records for the knowledge staff."""

    def __init__(self, runtime: Runtime) -> None:
        if runtime.graph is None:
            raise CurationError("curation needs the graph backend")
        self.rt = runtime
        self.graph = runtime.graph
        self.writer = corpus_writer(runtime.settings)

    # ---------------------------------------------------------------- reading
    def _node(self, label: str, record_id: str) -> dict[str, Any] | None:
        rows = self.graph.query(f"MATCH (n:{label} {{id: $id}}) RETURN n {{.*}} AS n", {"id": record_id})
        return {k: v for k, v in rows[0]["n"].items() if v is not None} if rows else None

    def _targets(self, cypher: str, record_id: str) -> list[str]:
        return sorted(r["id"] for r in self.graph.query(cypher, {"id": record_id}))

    def get(self, kind: str, record_id: str) -> dict[str, Any]:
        """The record in its corpus shape (what ``save`` accepts back)."""
        model, label, _ = self._kind(kind)
        node = self._node(label, record_id)
        if node is None:
            raise NotFound(f"{kind} {record_id!r} not found")
        node.pop("source", None)
        if kind == "matter":
            d = matter_detail(self.graph, record_id)
            assert d is not None
            out = {k: node[k] for k in Matter.model_fields if k in node}
            out.update(
                department=d.department.id if d.department else "",
                windows=[w.id for w in d.windows],
                situations=[s.id for s in d.situations],
                forms=[f.id for f in d.forms],
                themes=[t.id for t in d.themes],
                materials=[
                    {
                        "material": m.id,
                        "copies": m.copies,
                        "original": m.original,
                        "elicense": m.elicense,
                        "required": m.required,
                        "when": m.when,
                        "note": m.note,
                    }
                    for m in d.materials
                ],
            )
            return out
        if kind == "situation":
            labels = node.pop("option_labels", [])
            node["options"] = [
                {"value": v, "label": lab} for v, lab in zip(node.get("options", []), labels, strict=False)
            ]
        elif kind == "window":
            node.pop("floor", None)
            loc = self._targets(
                "MATCH (:Window {id: $id})-[:LOCATED_AT]->(l:Location) RETURN l.id AS id", record_id
            )
            node["location"] = loc[0] if loc else ""
            node["departments"] = self._targets(
                "MATCH (:Window {id: $id})-[:BELONGS_TO]->(d:Department) RETURN d.id AS id", record_id
            )
        elif kind == "faq":
            node["matters"] = self._targets(
                "MATCH (:FAQ {id: $id})-[:ABOUT]->(m:Matter) RETURN m.id AS id", record_id
            )
        elif kind == "policy":
            node["matters"] = self._targets(
                "MATCH (:Policy {id: $id})-[:GOVERNS]->(m:Matter) RETURN m.id AS id", record_id
            )
        return {k: v for k, v in node.items() if k in model.model_fields}

    def _kind(self, kind: str) -> tuple[type[BaseModel], str, str]:
        if kind not in KINDS:
            raise NotFound(f"unknown record kind {kind!r} (one of {', '.join(KINDS)})")
        return KINDS[kind]

    # ---------------------------------------------------------------- writing
    def validate(self, kind: str, data: dict[str, Any]) -> BaseModel:
        model, _, _ = self._kind(kind)
        try:
            record = model.model_validate(data)
        except ValidationError as e:
            errors = [{"loc": ".".join(str(p) for p in err["loc"]), "msg": err["msg"]} for err in e.errors()]
            raise CurationError(f"{kind} record is invalid", extra={"errors": errors}) from None
        if isinstance(record, Matter):
            self._check_situation_values(record)
        return record

    def _check_situation_values(self, m: Matter) -> None:
        if not m.situations:
            return
        rows = self.graph.query(
            "MATCH (s:Situation) WHERE s.id IN $ids RETURN s.id AS id, s.options AS options",
            {"ids": m.situations},
        )
        options = {r["id"]: set(r["options"] or []) for r in rows}
        missing = sorted(set(m.situations) - set(options))
        if missing:
            raise CurationError(f"unknown situations {missing}")
        for req in m.materials:
            for sid, values in req.when.items():
                bad = sorted(set(values) - options[sid])
                if bad:
                    raise CurationError(f"material {req.material}: {sid} has no option(s) {bad}")

    def _rows(self, kind: str, record: BaseModel, source: str) -> Any:
        _, label, attr = KINDS[kind]
        corpus = Corpus(sources={record.id: source})  # type: ignore[attr-defined]
        setattr(corpus, attr, [record])
        if isinstance(record, Window):
            loc = self._node("Location", record.location)
            if loc is None:
                raise CurationError(f"window {record.id}: unknown location {record.location!r}")
            corpus.sources[record.location] = loc.get("source", "")
            corpus.lobby = LobbyMap(
                centre_name="",
                address="",
                opening_hours="",
                floors={},
                edges=[],
                locations=[Location.model_validate({k: v for k, v in loc.items() if k != "source"})],
            )
        return corpus_rows(corpus)

    def save(self, kind: str, data: dict[str, Any], user: str) -> dict[str, Any]:
        """Create or replace one record; returns ``{"record", "action", "indexed", "audit_id"}``.

        Raises:
            CurationError: invalid record or a reference to a record that does not exist (nothing written).
        """
        record = self.validate(kind, data)
        _, label, _ = KINDS[kind]
        rid: str = record.id  # type: ignore[attr-defined]
        existing = self._node(label, rid)
        before = self.get(kind, rid) if existing is not None else None
        source = (existing or {}).get("source") or f"curation:{kind}/{rid}"
        rows = self._rows(kind, record, source)

        def write_graph(result: WriteResult | None) -> None:
            if result is not None and rid in result.sources:
                rows.nodes[label][0]["source"] = result.sources[rid]  # its place in the corpus files
            with self.graph.atomic():
                upsert_nodes(self.graph, label, rows.nodes[label])
                for (rel, frm, to), (rel_rows, _owners) in rows.rels.items():
                    if frm == label:
                        replace_relationships(self.graph, rel, frm, to, rel_rows, [rid])
                if isinstance(record, Matter):  # theme membership is owned by the theme side
                    self.graph.write("MATCH (:Theme)-[r:INCLUDES]->(:Matter {id: $id}) DELETE r", {"id": rid})
                    if record.themes:
                        replace_relationships(
                            self.graph,
                            "INCLUDES",
                            "Theme",
                            "Matter",
                            [{"from": t, "to": rid, "props": {}} for t in record.themes]
                            + self._theme_members(record.themes, rid),
                            list(record.themes),
                        )
                self._sync_positions(label, rid, result)

        try:
            self._commit(RecordChange.upsert(kind, record), write_graph, refused=CurationError)
        except GraphError as e:
            raise CurationError(f"{kind} {rid}: {e}") from e
        after = record.model_dump(mode="json", by_alias=False)
        audit_id = self.rt.db.audit(user, "update" if before else "create", kind, rid, before, after)
        indexed = self.apply_change(kind, rid, deleted=False, audit_id=audit_id)
        return {
            "record": after,
            "action": "update" if before else "create",
            "indexed": indexed,
            "audit_id": audit_id,
        }

    def _theme_members(self, themes: list[str], rid: str) -> list[dict[str, Any]]:
        # replace_relationships is authoritative for the owners: keep their other members.
        rows = self.graph.query(
            "MATCH (t:Theme)-[:INCLUDES]->(m:Matter) WHERE t.id IN $ids AND m.id <> $id "
            "RETURN t.id AS t, m.id AS m",
            {"ids": themes, "id": rid},
        )
        return [{"from": r["t"], "to": r["m"], "props": {}} for r in rows]

    def delete(self, kind: str, record_id: str, user: str) -> dict[str, Any]:
        """Delete one record (refused while matters still use a material, situation or window)."""
        _, label, _ = self._kind(kind)
        check_label(label)
        before = self.get(kind, record_id)
        if kind in _USED_BY:
            users = self._targets(_USED_BY[kind], record_id)
            if users:
                raise Conflict(
                    f"{kind} {record_id} is used by {len(users)} matter(s): {', '.join(users[:10])}"
                )
        affected = self._affected_matters(kind, record_id)

        def write_graph(result: WriteResult | None) -> None:
            with self.graph.atomic():
                self.graph.write(f"MATCH (n:{label} {{id: $id}}) DETACH DELETE n", {"id": record_id})
                self._sync_positions(label, record_id, result)

        # The files drop it from other records' lists as DETACH DELETE drops the relationships (a bundle's
        # or a multi-matter FAQ's); refused (409) when that would leave a record invalid (an FAQ about
        # this matter only), since `govguide ingest` could not load those files.
        self._commit(RecordChange.delete(kind, record_id, detach=True), write_graph, refused=Conflict)
        audit_id = self.rt.db.audit(user, "delete", kind, record_id, before, None)
        indexed = self.apply_change(kind, record_id, deleted=True, affected=affected, audit_id=audit_id)
        return {"record": None, "action": "delete", "indexed": indexed, "audit_id": audit_id}

    def check_batch(self, items: list[tuple[str, BaseModel]]) -> None:
        """Before an import writes its first record: the corpus files must stay valid with all of them
        (cross-record references included), so an import is not left half done by a late bad record.

        Raises:
            CurationError: the batch would make the corpus invalid (nothing written).
        """
        if self.writer is None or not items:
            return
        try:
            self.writer.check([RecordChange.upsert(kind, record) for kind, record in items])
        except CorpusValidationError as e:
            errors = [{"loc": _where(p), "msg": p.message} for p in e.problems[:50]]
            shown = "; ".join(f"{x['loc']}: {x['msg']}" for x in errors[:5])
            raise CurationError(
                f"nothing imported: the corpus files would become invalid ({shown})", extra={"errors": errors}
            ) from None
        except CorpusWriteError as e:
            raise Unavailable(f"nothing imported: cannot read the corpus files: {e}") from e

    def _commit(
        self,
        change: RecordChange,
        write_graph: Callable[[WriteResult | None], None],
        *,
        refused: type[CurationError] | type[Conflict],
    ) -> None:
        """Write the corpus files (when write-back is on) and the graph, in the order the module explains."""
        if self.writer is None:
            write_graph(None)
            return
        try:
            self.writer.apply([change], commit=write_graph)
        except CorpusValidationError as e:
            errors = [{"loc": _where(p), "msg": p.message} for p in e.problems[:50]]
            shown = "; ".join(f"{x['loc']}: {x['msg']}" for x in errors[:5])
            raise refused(
                f"{change.kind} {change.record_id}: the corpus files would become invalid ({shown})",
                extra={"errors": errors},
            ) from None
        except CorpusWriteError as e:
            raise Unavailable(f"{change.kind} {change.record_id}: cannot write the corpus files: {e}") from e

    def _sync_positions(self, label: str, rid: str, result: WriteResult | None) -> None:
        """Inside the graph transaction: citation sources of records whose file position moved, and the
        corpus version when the graph was in step with the files before the edit."""
        if result is None or not result.files:
            return
        moved = [{"id": i, "source": src} for i, src in result.sources.items() if i != rid]
        if moved:
            self.graph.write(
                f"UNWIND $rows AS r MATCH (n:{label} {{id: r.id}}) SET n.source = r.source", {"rows": moved}
            )
        self.graph.write(
            "MATCH (n:Meta {id: $id}) WHERE n.corpus_version = $old SET n.corpus_version = $new",
            {"id": META_ID, "old": result.version_before, "new": result.version_after},
        )

    def _affected_matters(self, kind: str, record_id: str) -> list[str]:
        if kind == "matter":
            return [record_id]
        if kind in _USED_BY:
            return self._targets(_USED_BY[kind], record_id)
        return []

    def apply_change(
        self,
        kind: str,
        rid: str,
        *,
        deleted: bool,
        affected: list[str] | None = None,
        audit_id: int | None = None,
        persist: bool = True,
    ) -> bool:
        """Bring the served state (vector index, knowledge, engine) in line with a committed edit.

        The editing worker calls it with the edit's ``audit_id`` and persists the index; other workers
        call it from their change feed (``api.sync``) with ``persist=False``. The graph is already
        committed, so failures are reported (False), not raised.
        """
        with self.rt.change_lock:
            matters = affected if affected is not None else self._affected_matters(kind, rid)
            indexed = True
            if self.rt.indexer is not None:
                try:
                    if kind in INDEXED:
                        if deleted:
                            self.rt.indexer.remove_record(kind, rid, persist=persist)
                        else:
                            self.rt.indexer.sync_record(kind, rid, persist=persist)
                    for mid in matters if kind != "matter" else []:
                        # a renamed material changes matter texts
                        self.rt.indexer.sync_record("matter", mid, persist=persist)
                except Exception as e:  # noqa: BLE001 - the edit is committed; say the index lags
                    log.warning("index update failed for %s %s: %s", kind, rid, e)
                    indexed = False
            self.rt.refresh(matters)
        if audit_id is not None and self.rt.follower is not None:
            self.rt.follower.mark_applied(audit_id)
        return indexed
