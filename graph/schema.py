"""The knowledge graph schema as code: labels, relationship types, properties, constraints, indexes.

Every node has a unique business ``id`` (the corpus id, or the window id such as ``B01``) and a
``source`` ("file.yaml#index") used for citations. Relationship properties:

    (:Matter)-[:REQUIRES {copies, original, elicense, required, when, note, order}]->(:Material)
        ``when`` is a list of strings "situation_id=opt1|opt2": the material applies only when every
        listed situation has one of the listed answers (empty list: always).
    (:Matter)-[:HANDLED_BY]->(:Department)
    (:Matter)-[:SERVED_AT]->(:Window)          (:Bundle)-[:SERVED_AT]->(:Window)
    (:Window)-[:LOCATED_AT]->(:Location)       (:Window)-[:BELONGS_TO]->(:Department)
    (:Matter)-[:HAS_SITUATION {order}]->(:Situation)
    (:Matter)-[:HAS_FORM]->(:Form)             (:Form)-[:HAS_FIELD {order}]->(:FormField)
    (:Bundle)-[:INCLUDES {order}]->(:Matter)   (:Theme)-[:INCLUDES]->(:Matter|:Bundle)
    (:FAQ)-[:ABOUT]->(:Matter)                 (:Policy)-[:GOVERNS]->(:Matter)
    (:Location)-[:ADJACENT {distance, kind}]->(:Location)   (stored both ways: walkable both ways)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NodeSpec:
    label: str
    properties: tuple[str, ...]
    indexed: tuple[str, ...] = ()  # extra range indexes besides the unique id
    fulltext: tuple[str, ...] = ()  # Chinese full-text indexed properties


NODES: tuple[NodeSpec, ...] = (
    NodeSpec(
        "Matter",
        (
            "id",
            "name",
            "code",
            "aliases",
            "colloquial",
            "description",
            "target",
            "type",
            "legal_limit_days",
            "promised_limit_days",
            "fee",
            "fee_basis",
            "online_level",
            "max_visits",
            "legal_basis",
            "phone",
            "conditions",
            "steps",
            "source",
        ),
        indexed=("name", "code"),
        fulltext=("name", "description"),
    ),
    NodeSpec("Material", ("id", "name", "description", "elicense_type", "source"), indexed=("name",)),
    NodeSpec(
        "Department",
        ("id", "name", "short_name", "aliases", "phone", "description", "source"),
        indexed=("name",),
    ),
    NodeSpec("Window", ("id", "name", "description", "hours", "floor", "source")),
    NodeSpec(
        "Location",
        ("id", "name", "kind", "floor", "x", "y", "aliases", "description", "source"),
        indexed=("kind",),
    ),
    NodeSpec("Situation", ("id", "question", "options", "option_labels", "profile_key", "source")),
    NodeSpec("Form", ("id", "name", "description", "source")),
    NodeSpec(
        "FormField",
        (
            "id",
            "form_id",
            "field_id",
            "label",
            "type",
            "required",
            "options",
            "pattern",
            "min",
            "max",
            "max_length",
            "profile_key",
            "elicense_key",
            "help",
            "source",
        ),
    ),
    NodeSpec(
        "Bundle",
        ("id", "name", "aliases", "description", "promised_limit_days", "source"),
        fulltext=("name", "description"),
    ),
    NodeSpec("Theme", ("id", "name", "aliases", "description", "target", "source")),
    NodeSpec("FAQ", ("id", "question", "answer", "style", "source"), fulltext=("question",)),
    NodeSpec(
        "Policy",
        ("id", "title", "doc_no", "issuer", "date", "excerpt", "url", "source"),
        fulltext=("title", "excerpt"),
    ),
    # One node recording which corpus version the graph was last ingested from.
    NodeSpec("Meta", ("id", "corpus_version")),
)

LABELS: tuple[str, ...] = tuple(n.label for n in NODES)

RELATIONSHIPS: dict[str, tuple[tuple[str, str], ...]] = {
    "REQUIRES": (("Matter", "Material"),),
    "HANDLED_BY": (("Matter", "Department"),),
    "SERVED_AT": (("Matter", "Window"), ("Bundle", "Window")),
    "LOCATED_AT": (("Window", "Location"),),
    "BELONGS_TO": (("Window", "Department"),),
    "HAS_SITUATION": (("Matter", "Situation"),),
    "HAS_FORM": (("Matter", "Form"),),
    "HAS_FIELD": (("Form", "FormField"),),
    "INCLUDES": (("Bundle", "Matter"), ("Theme", "Matter"), ("Theme", "Bundle")),
    "ABOUT": (("FAQ", "Matter"),),
    "GOVERNS": (("Policy", "Matter"),),
    "ADJACENT": (("Location", "Location"),),
}

REL_TYPES: tuple[str, ...] = tuple(RELATIONSHIPS)


def encode_when(when: dict[str, list[str]]) -> list[str]:
    """{"sit.agent": ["agent"]} -> ["sit.agent=agent"] (graph properties cannot be maps)."""
    return [f"{sid}={'|'.join(values)}" for sid, values in sorted(when.items())]


def decode_when(encoded: list[str] | None) -> dict[str, list[str]]:
    """Inverse of ``encode_when``."""
    out: dict[str, list[str]] = {}
    for item in encoded or []:
        sid, _, values = item.partition("=")
        out[sid] = values.split("|") if values else []
    return out


def when_holds(encoded: list[str] | None, answers: dict[str, str]) -> bool | None:
    """Does a material's condition hold for these situation answers?

    True/False when decidable; None when a needed situation is still unanswered.
    """
    undecided = False
    for sid, values in decode_when(encoded).items():
        if sid not in answers:
            undecided = True
        elif answers[sid] not in values:
            return False
    return None if undecided else True
