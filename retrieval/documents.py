"""Turn catalogue records into searchable ``Document``s.

Accepts the graph read models (``MatterSummary``, ``FAQEntry``, ``PolicyEntry``) or corpus records
(``corpus.models.Matter`` …): only attribute names are used, so both work and tests can pass plain objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from retrieval.base import Document


def _get(rec: Any, name: str, default: Any = None) -> Any:
    if isinstance(rec, dict):
        return rec.get(name, default)
    return getattr(rec, name, default)


def _matter_ids(rec: Any) -> tuple[str, ...]:
    ids = _get(rec, "matter_ids")
    if ids is None:
        ids = _get(rec, "matters", [])
    return tuple(ids or ())


def matter_document(rec: Any) -> Document:
    """Name, aliases, colloquial phrasings and description of a matter, in one text."""
    name = _get(rec, "name", "")
    aliases = [a for a in (_get(rec, "aliases") or []) if a]
    colloquial = [c for c in (_get(rec, "colloquial") or []) if c]
    parts = [name]
    if aliases:
        parts.append("又称：" + "、".join(aliases))
    if colloquial:
        parts.append("常见说法：" + "；".join(colloquial))
    desc = _get(rec, "description", "")
    if desc:
        parts.append(desc)
    return Document(
        id=_get(rec, "id"),
        kind="matter",
        text="。".join(parts),
        matter_ids=(_get(rec, "id"),),
        title=name,
        source=_get(rec, "source", "") or "",
    )


PHRASE_SEP = "#"


def base_id(doc_id: str) -> str:
    """The record id behind a document id (a phrase view maps to its matter)."""
    return doc_id.split(PHRASE_SEP, 1)[0]


def is_phrase(doc_id: str) -> bool:
    """Phrase views (``<matter>#name``, ``<matter>#c0`` …) are extra vectors of a matter, not records."""
    return PHRASE_SEP in doc_id


def phrase_documents(rec: Any) -> list[Document]:
    """Short views of a matter for the vector index: its name with aliases, and each colloquial phrasing.

    A short question matches a short phrase more sharply than a long description (measured on the dev
    questions: the sum of the best full-document and best phrase similarity beat either alone).
    """
    mid, name = _get(rec, "id"), _get(rec, "name", "")
    source = _get(rec, "source", "") or ""
    aliases = [a for a in (_get(rec, "aliases") or []) if a]
    text = f"{name}（{'、'.join(aliases)}）" if aliases else name
    out = [Document(f"{mid}{PHRASE_SEP}name", "matter", text, (mid,), name, source)]
    for i, phrase in enumerate(c for c in (_get(rec, "colloquial") or []) if c):
        out.append(Document(f"{mid}{PHRASE_SEP}c{i}", "matter", phrase, (mid,), name, source))
    return out


def faq_document(rec: Any) -> Document:
    """An FAQ is matched on its question (the answer holds facts the graph already has)."""
    q = _get(rec, "question", "")
    return Document(
        id=_get(rec, "id"),
        kind="faq",
        text=q,
        matter_ids=_matter_ids(rec),
        title=q,
        source=_get(rec, "source", "") or "",
    )


def policy_document(rec: Any) -> Document:
    title = _get(rec, "title", "")
    return Document(
        id=_get(rec, "id"),
        kind="policy",
        text=f"{title}。{_get(rec, 'excerpt', '')}",
        matter_ids=_matter_ids(rec),
        title=title,
        source=_get(rec, "source", "") or "",
    )


def build_documents(
    matters: Iterable[Any], faqs: Iterable[Any] = (), policies: Iterable[Any] = ()
) -> list[Document]:
    """All documents of a catalogue: matters and their phrase views first, then FAQs and policies
    (those about no known matter are dropped)."""
    matters = list(matters)
    docs = [matter_document(m) for m in matters]
    known = {d.id for d in docs}
    docs += [p for m in matters for p in phrase_documents(m)]
    for rec in faqs:
        d = faq_document(rec)
        if any(m in known for m in d.matter_ids):
            docs.append(
                Document(
                    d.id, d.kind, d.text, tuple(m for m in d.matter_ids if m in known), d.title, d.source
                )
            )
    for rec in policies:
        d = policy_document(rec)
        if any(m in known for m in d.matter_ids):
            docs.append(
                Document(
                    d.id, d.kind, d.text, tuple(m for m in d.matter_ids if m in known), d.title, d.source
                )
            )
    return docs
