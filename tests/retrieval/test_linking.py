"""Entity linking: exact, alias, fuzzy, window ids in many spellings."""

from __future__ import annotations

import pytest

from retrieval.linking import EntityLinker, EntityName


@pytest.fixture()
def linker(entity_list: list[EntityName]) -> EntityLinker:
    return EntityLinker.from_names(entity_list)


@pytest.mark.parametrize(
    "query", ["B01在哪", "b01窗口", "Ｂ０１", "B-01号窗口", "去b1", "B零一", "b 一号窗口", "到B01号"]
)
def test_window_ids(linker: EntityLinker, query: str) -> None:
    windows = [link.id for link in linker.link(query) if link.kind == "window"]
    assert windows == ["B01"]


def test_window_pattern_needs_a_known_window(linker: EntityLinker) -> None:
    assert not [lnk for lnk in linker.link("A12窗口和B五十") if lnk.kind == "window"]
    assert [lnk.id for lnk in linker.link("C十二号窗口") if lnk.kind == "window"] == ["C12"]


def test_exact_alias_and_colloquial(linker: EntityLinker) -> None:
    links = {(lnk.kind, lnk.id): lnk for lnk in linker.link("我想办出生登记")}
    assert links[("matter", "hukou.newborn")].method == "exact"
    links = {(lnk.kind, lnk.id): lnk for lnk in linker.link("老人坐车免费的卡怎么办")}
    assert links[("matter", "transport.elderly_bus_card")].method == "alias"
    links = {(lnk.kind, lnk.id) for lnk in linker.link("生娃了去派出所户籍")}
    assert ("theme", "theme.birth") in links and ("department", "dept.hukou") in links


def test_fuzzy_catches_typos(linker: EntityLinker) -> None:
    links = linker.link("营业执照变跟登记")  # 更 -> 跟
    assert links and links[0].id == "market.license_change" and links[0].method == "fuzzy"
    assert not [lnk for lnk in linker.link("营业执照变跟登记", fuzzy=False) if lnk.kind == "matter"]


def test_remove_and_nothing_on_empty(linker: EntityLinker) -> None:
    linker.remove("matter", "hukou.newborn")
    assert all(lnk.id != "hukou.newborn" for lnk in linker.link("出生登记"))
    assert linker.link("") == [] and linker.link("   ") == []
