import datetime as dt
from pathlib import Path

import pytest

from dialogue.forms import (
    extract_slots,
    form_card_data,
    handle_form_utterance,
    materials_to_bring,
    opening_prompt,
    start_form,
)
from dialogue.knowledge import CorpusKnowledge
from dialogue.store import DialogueStore

TODAY = dt.date(2026, 11, 25)


@pytest.fixture()
def store() -> DialogueStore:
    s = DialogueStore()
    s.seed_samples()
    return s


def test_many_slots_from_one_utterance(knowledge: CorpusKnowledge) -> None:
    form = knowledge.matter("market.individual_business").forms[0]
    got = extract_slots(
        form,
        "我叫张三，身份证511602198503151234，电话138 8123 4567，个体户名称叫三哥小卖部，"
        "经营场所在云溪县城南街道政务路20号，从业人数3人，2026年12月1日开业，男",
    )
    assert got == {
        "name": "张三",
        "id_number": "511602198503151234",
        "phone": "138 8123 4567",
        "shop_name": "三哥小卖部",
        "address": "云溪县城南街道政务路20号",
        "employees": "3人",
        "start_date": "2026年12月1日",
        "gender": "男",
    }


def test_name_not_taken_from_shop_name_or_self(knowledge: CorpusKnowledge) -> None:
    form = knowledge.matter("market.individual_business").forms[0]
    assert "name" not in extract_slots(form, "名称叫三哥小卖部")
    assert "name" not in extract_slots(form, "我是本人办理")


def test_prefill_confirm_correct_and_submit(knowledge: CorpusKnowledge, store: DialogueStore) -> None:
    facts = knowledge.matter("market.individual_business")
    form = facts.forms[0]
    state = start_form(form, facts.id, store.profile("c001"), store.elicenses("c001"))
    assert state.pending["name"] == "王建国" and state.sources["name"] == "elicense"
    first = opening_prompt(form, state)
    assert "511602********1234" in first.text and "511602198503151234" not in first.text
    turn = handle_form_utterance(form, state, "不对，电话是13990876543", TODAY)
    assert turn.state.values["phone"] == "13990876543" and "phone" not in turn.state.pending
    turn = handle_form_utterance(form, turn.state, "对", TODAY)
    assert turn.state.values["name"] == "王建国" and not turn.state.pending
    assert turn.state.asking == "shop_name"
    turn = handle_form_utterance(
        form, turn.state, "名称是建国小卖部，经营场所在云溪县城南街道政务路20号", TODAY
    )
    assert turn.state.values["shop_name"] == "建国小卖部" and turn.state.asking == "employees"
    turn = handle_form_utterance(form, turn.state, "3个", TODAY)
    turn = handle_form_utterance(form, turn.state, "明天", TODAY)
    assert turn.complete and not turn.submit_requested and turn.state.values["start_date"] == "2026-11-26"
    turn = handle_form_utterance(form, turn.state, "提交", TODAY)
    assert turn.submit_requested
    assert set(turn.state.typed) == {"phone", "shop_name", "address", "employees", "start_date"}


def test_validation_message_and_retry(knowledge: CorpusKnowledge) -> None:
    form = knowledge.matter("hrss.ss_card").forms[0]
    state = start_form(form, "hrss.ss_card", {}, {})
    turn = handle_form_utterance(form, state, "我叫赵六，身份证511602198503151235", TODAY)
    assert turn.errors and "校验位" in turn.errors[0] and turn.state.asking == "id_number"
    assert turn.state.values["name"] == "赵六"
    turn = handle_form_utterance(form, turn.state, "511602198503151234", TODAY)
    assert turn.state.values["id_number"] == "511602198503151234" and not turn.errors


def test_bare_no_asks_which_and_named_field_is_dropped(
    knowledge: CorpusKnowledge, store: DialogueStore
) -> None:
    form = knowledge.matter("hrss.ss_card").forms[0]
    state = start_form(form, "hrss.ss_card", store.profile("c001"), store.elicenses("c001"))
    turn = handle_form_utterance(form, state, "不对", TODAY)
    assert "哪一项" in turn.text
    turn = handle_form_utterance(form, turn.state, "地址不对", TODAY)
    assert "address" not in turn.state.pending
    turn = handle_form_utterance(form, turn.state, "对", TODAY)
    assert turn.state.asking == "apply_kind"
    turn = handle_form_utterance(form, turn.state, "补领", TODAY)
    assert turn.state.values["apply_kind"] == "补领" and turn.state.asking == "address"
    card = form_card_data(form, turn.state)
    assert [f["status"] for f in card["fields"]][:4] == ["filled"] * 4


def test_materials_to_bring(knowledge: CorpusKnowledge, store: DialogueStore) -> None:
    facts = knowledge.matter("hrss.ss_card")
    lic = store.elicenses("c001")
    assert materials_to_bring(facts, {"sit.new_renew_lost": "new", "sit.agent": "self"}, {}, lic) == [
        "一寸免冠彩色照片"
    ]  # the ID card comes from the e-licence
    assert materials_to_bring(facts, {}, {}, {}) == [
        "居民身份证",
        "一寸免冠彩色照片（如适用）",
        "社会保障卡（如适用）",
        "代理人居民身份证（如适用）",
        "授权委托书（如适用）",
    ]


def test_one_turn_confirms_prefill_and_answers_the_grouped_question(
    knowledge: CorpusKnowledge, store: DialogueStore
) -> None:
    form = knowledge.matter("market.individual_business").forms[0]
    state = start_form(form, "market.individual_business", store.profile("c001"), store.elicenses("c001"))
    first = opening_prompt(form, state)
    # every open field asked at once, after the prefilled values
    assert all(label in first.text for label in ("个体户名称", "经营场所", "从业人数", "开业日期"))
    assert first.state.asking_group == ["shop_name", "address", "employees", "start_date"]
    turn = handle_form_utterance(
        form, first.state, "都对，建国小卖部，云溪县城南街道政务路20号，2个人，明天开业", TODAY
    )
    assert turn.complete and not turn.state.pending
    assert turn.state.values["shop_name"] == "建国小卖部"
    assert turn.state.values["address"] == "云溪县城南街道政务路20号"
    assert turn.state.values["employees"] == "2" and turn.state.values["start_date"] == "2026-11-26"
    assert set(turn.state.typed) == {"shop_name", "address", "employees", "start_date"}


def test_enum_options_inline_and_gender_birth_derived_not_asked(knowledge: CorpusKnowledge) -> None:
    form = knowledge.matter("market.individual_business").forms[0]
    first = opening_prompt(form, start_form(form, "market.individual_business", {}, {}))
    assert "性别" not in first.text  # comes with the ID number
    ss = knowledge.matter("hrss.ss_card").forms[0]
    assert "申请类型（首次申领/补领/换领）" in opening_prompt(ss, start_form(ss, "hrss.ss_card", {}, {})).text
    turn = handle_form_utterance(form, first.state, "身份证511602199211084564", TODAY)
    assert turn.state.values["gender"] == "女" and turn.state.sources["gender"] == "id_number"
    assert "gender" not in turn.state.typed


def test_verification_mid_form_prefills_the_empty_fields(knowledge: CorpusKnowledge, tmp_path: Path) -> None:
    from dialogue.engine import Engine
    from dialogue.finder import LexicalMatterFinder

    s = DialogueStore(f"sqlite:///{tmp_path / 'd.db'}")
    s.seed_samples()
    engine = Engine(knowledge, LexicalMatterFinder(knowledge), s, today=lambda: TODAY)
    start = engine.handle("v", "我要补领社保卡，帮我填申请表")
    assert "实名认证" in start.text
    engine.login("v", "c002")
    shown = engine.handle("v", "刷好了")
    assert "预填" in shown.text and "李秀英" in shown.text
    done = engine.handle("v", "都对，提交")  # 补领 came with the opening sentence
    assert done.intent == "form_submit"
    case = s.case(done.cards[0].data["receipt_no"])
    assert case is not None and case["data"]["apply_kind"] == "补领" and case["data"]["name"] == "李秀英"
