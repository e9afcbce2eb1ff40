"""Edit one record of a corpus YAML file in place: parse (libyaml, cached), dump one record, splice.

The file is *spliced* at the span the parser reports for the record, so every other byte (order, other
records, comments, flow or block style, quoting) stays as it was. ruamel.yaml is not installed and a
PyYAML re-dump would drop every comment; with splicing only comments *inside* a replaced record are lost.
A dumped record keeps the keys, key order, collection styles and double quotes the file gave it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel

from corpus.errors import CorpusError
from corpus.loader import parse_yaml


class CorpusWriteError(CorpusError):
    """The change cannot be written: unknown kind or record, unsupported file layout, lock, I/O."""


# ------------------------------------------------------------------------------------------ dumping
class _Flow(dict):  # type: ignore[type-arg]
    """A mapping dumped on one line: ``{material: mat.id_card, copies: 0}``."""


class _Block(dict):  # type: ignore[type-arg]
    """A mapping dumped one key per line."""


class _FlowList(list):  # type: ignore[type-arg]
    """A list dumped on one line: ``[A01, Z03]``."""


class _BlockList(list):  # type: ignore[type-arg]
    """A list dumped one item per line."""


class _Quoted(str):
    """A string the file had in double quotes (``"yes"``, ``"60%"``): kept quoted."""

    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key (``materials:\n  - ...``), as most hand-written files have them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # a record is written out in full, never as &anchor / *alias

    def choose_scalar_style(self) -> str:
        style: str = super().choose_scalar_style()
        return '"' if style == "'" else style  # the corpus quotes with double quotes

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


class _IndentlessDumper(_Dumper):
    """Lists level with their key (``departments:\n- ...``), PyYAML's own style."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        yaml.SafeDumper.increase_indent(self, flow, indentless)


def _represent(dumper: yaml.SafeDumper, data: Any) -> yaml.Node:
    if isinstance(data, _Quoted):
        return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')
    if isinstance(data, dict):
        return dumper.represent_mapping(
            "tag:yaml.org,2002:map", data.items(), flow_style=isinstance(data, _Flow)
        )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=isinstance(data, _FlowList))


for _cls in (_Flow, _Block, _FlowList, _BlockList, _Quoted):
    _Dumper.add_representer(_cls, _represent)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _children(node: yaml.Node | None) -> dict[str, yaml.Node]:
    return {str(k.value): v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}


def _plain(model: BaseModel, original: Mapping[str, Any] | None, node: yaml.Node | None) -> dict[str, Any]:
    """The record as YAML data: the keys the file already had plus non-defaults, in schema order, each
    collection in the flow/block style its original node had (new ones: scalars inline, records listed)."""
    out: dict[str, Any] = {}
    nodes = _children(node)
    fields = type(model).model_fields
    by_key = {f.alias or n: n for n, f in fields.items()}
    # The file's key order first, then the schema's for keys it did not have.
    order = [by_key[k] for k in (original or {}) if k in by_key]
    for name in [*order, *(n for n in fields if n not in order)]:
        f = fields[name]
        key = f.alias or name
        value = getattr(model, name)
        present = original is not None and key in original
        if not present and not f.is_required() and value == f.get_default(call_default_factory=True):
            continue
        orig = original.get(key) if present and original is not None else None
        if name == "date" and isinstance(value, str) and _ISO_DATE.match(value):
            value = dt.date.fromisoformat(value)  # unquoted in YAML, as curators write dates
        out[key] = _plain_value(value, orig, nodes.get(key))
    return out


def _plain_value(value: Any, orig: Any, node: yaml.Node | None) -> Any:
    flow = getattr(node, "flow_style", None) if isinstance(node, yaml.CollectionNode) else None
    if isinstance(value, BaseModel):
        data = _plain(value, orig if isinstance(orig, Mapping) else None, node)
        return _Block(data) if flow is False else _Flow(data)
    if isinstance(value, list):
        pairs: dict[Any, tuple[Any, yaml.Node | None]] = {}
        if value and isinstance(value[0], BaseModel) and isinstance(orig, list):
            key0 = next(iter(type(value[0]).model_fields))  # identity field: material / value / id
            item_nodes = list(node.value) if isinstance(node, yaml.SequenceNode) else []
            for i, o in enumerate(orig):
                if isinstance(o, Mapping):
                    pairs[o.get(key0)] = (o, item_nodes[i] if i < len(item_nodes) else None)
            items = [_plain_value(v, *pairs.get(getattr(v, key0), (None, None))) for v in value]
        else:  # scalars: an unchanged item keeps its quoting
            item_nodes = list(node.value) if isinstance(node, yaml.SequenceNode) else []
            olds = (
                list(zip(orig, item_nodes, strict=True))
                if isinstance(orig, list) and len(orig) == len(item_nodes)
                else []
            )
            items = [
                _plain_value(v, *(olds[i] if i < len(olds) and olds[i][0] == v else (None, None)))
                for i, v in enumerate(value)
            ]
        if flow is None:
            flow = not any(isinstance(v, BaseModel | list | dict) for v in value)
        return _FlowList(items) if flow else _BlockList(items)
    if isinstance(value, dict):
        data = {k: _plain_value(v, None, None) for k, v in value.items()}
        return _Block(data) if flow is False else _Flow(data) if flow else data
    if isinstance(value, float) and value.is_integer():
        return int(value)  # min: 0 stays 0, not 0.0
    if (
        isinstance(value, str)
        and isinstance(node, yaml.ScalarNode)
        and node.style == '"'
        and node.value == value
    ):
        return _Quoted(value)
    return value


def dump_record(
    record: BaseModel,
    original: Mapping[str, Any] | None = None,
    node: yaml.Node | None = None,
    *,
    flow: bool = False,
    indentless: bool = False,
) -> str:
    """One record as a top-level YAML list item (``- id: ...``), ending with a newline.

    ``original``/``node`` are the record as the file had it: its keys and collection styles are kept.
    """
    data = _plain(record, original, node)
    item = _Flow(data) if flow else _Block(data)
    dumper = _IndentlessDumper if indentless else _Dumper
    return yaml.dump([item], Dumper=dumper, allow_unicode=True, sort_keys=False, width=10**6)


def _indentless(node: yaml.Node | None) -> bool:
    """Whether the file writes block lists level with their key (the first such list decides)."""
    for item in node.value if isinstance(node, yaml.SequenceNode) else []:
        for k, v in item.value if isinstance(item, yaml.MappingNode) else []:
            if isinstance(v, yaml.SequenceNode) and not v.flow_style and v.value:
                return bool(v.start_mark.column == k.start_mark.column)
    return False


# ------------------------------------------------------------------------------------------ splicing
def _leaf_end(node: yaml.Node) -> int:
    """Index just past the last character of a node's content (block collections end at the next token)."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return int(node.end_mark.index)
    children: list[yaml.Node] = []
    if isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    elif isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    return max((_leaf_end(c) for c in children), default=int(node.start_mark.index))


def _spans(text: str, node: yaml.Node) -> list[tuple[int, int, int]]:
    """(start, end, indent) of each top-level item: from the start of its ``-`` line to the end of its last
    content line; comment lines between items belong to no span."""
    spans: list[tuple[int, int, int]] = []
    for item in node.value:
        pos = item.start_mark.index - 1
        while pos >= 0 and text[pos] in " \t\r\n":
            pos -= 1
        if pos < 0 or text[pos] != "-":
            raise CorpusWriteError("a list item whose dash is followed by a comment is not supported")
        start = text.rfind("\n", 0, pos) + 1
        if text[start:pos].strip():
            raise CorpusWriteError("list items must start their own line")
        end_content = _leaf_end(item)
        nl = text.find("\n", max(end_content - 1, start))
        end = len(text) if nl < 0 else nl + 1
        spans.append((start, end, pos - start))
    return spans


def _indent(block: str, n: int) -> str:
    return "".join(" " * n + line if line.strip() else line for line in block.splitlines(keepends=True))


def splice(
    text: str, record_id: str, new_item: BaseModel | None, model: type[BaseModel] | None = None
) -> str:
    """The file text with one record replaced, appended (not found) or removed (``new_item`` None).

    When the result no longer parses because the record defined an ``&anchor`` other records use,
    every record of the file is written out in full instead (comments between records still kept);
    that needs ``model``, the kind's schema.
    """
    out = _splice(text, record_id, new_item)
    try:
        parse_yaml(out)
    except yaml.YAMLError:
        if model is None:
            raise
        return _rewrite_all(text, record_id, new_item, model)
    return out


def _rewrite_all(text: str, record_id: str, new_item: BaseModel | None, model: type[BaseModel]) -> str:
    data, node = parse_yaml(text)
    assert isinstance(node, yaml.SequenceNode)
    indentless = _indentless(node)
    pieces: list[str] = []
    pos = 0
    for raw, item_node, (start, end, indent) in zip(data, node.value, _spans(text, node), strict=True):
        pieces.append(text[pos:start])
        pos = end
        rec: BaseModel | None = new_item
        if not (isinstance(raw, dict) and str(raw.get("id")) == record_id):
            try:
                rec = model.model_validate(raw)
            except ValueError:  # pydantic ValidationError: keep the hand-written text as it is
                pieces.append(text[start:end])
                continue
        if rec is not None:
            dumped = dump_record(rec, raw, item_node, flow=bool(item_node.flow_style), indentless=indentless)
            pieces.append(_indent(dumped, indent))
    pieces.append(text[pos:])
    out = "".join(pieces)
    if new_item is not None and not any(isinstance(r, dict) and str(r.get("id")) == record_id for r in data):
        out = _splice(out, record_id, new_item)
    return out


def _splice(text: str, record_id: str, new_item: BaseModel | None) -> str:
    data, node = parse_yaml(text)
    if node is not None and not (isinstance(node, yaml.SequenceNode) and not node.flow_style):
        raise CorpusWriteError("the file does not hold a block list of records")
    items = list(data or [])
    spans = _spans(text, node) if node is not None else []
    index = next(
        (i for i, r in enumerate(items) if isinstance(r, dict) and str(r.get("id")) == record_id), None
    )
    if new_item is None:
        if index is None:
            return text
        start, end, _ = spans[index]
        return text[:start] + text[end:]
    indentless = _indentless(node)
    if index is not None:
        start, end, indent = spans[index]
        item_node = node.value[index]  # type: ignore[union-attr]
        dumped = dump_record(
            new_item, items[index], item_node, flow=bool(item_node.flow_style), indentless=indentless
        )
        return text[:start] + _indent(dumped, indent) + text[end:]
    flow = False
    if spans:  # after the last record, before any trailing comments; styled like it
        _, end, indent = spans[-1]
        flow = bool(node.value[-1].flow_style)  # type: ignore[union-attr]
        head, tail = text[:end], text[end:]
    else:
        indent, head, tail = 0, text, ""
    if head and not head.endswith("\n"):
        head += "\n"
    return head + _indent(dump_record(new_item, flow=flow, indentless=indentless), indent) + tail
