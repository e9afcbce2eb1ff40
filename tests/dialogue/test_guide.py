from dialogue.guide import build_guide, guide_card, guide_html, guide_text, next_question, parse_option
from dialogue.knowledge import CorpusKnowledge


def test_asks_only_questions_that_change_the_list(knowledge: CorpusKnowledge) -> None:
    facts = knowledge.matter("hrss.ss_card")
    q = next_question(facts, {})
    assert q is not None and q.id == "sit.new_renew_lost"
    q2 = next_question(facts, {"sit.new_renew_lost": "lost"})
    assert q2 is not None and q2.id == "sit.agent"
    assert next_question(facts, {"sit.new_renew_lost": "lost", "sit.agent": "self"}) is None
    # No situations: nothing to ask.
    assert next_question(knowledge.matter("police.birth_hukou"), {}) is None


def test_profile_answers_situations(knowledge: CorpusKnowledge) -> None:
    facts = knowledge.matter("civil.marriage")
    assert next_question(facts, {}, {"hukou_local": "nonlocal"}) is None
    guide = build_guide(facts, {}, {"hukou_local": "nonlocal"})
    assert [m.material_id for m in guide.materials] == [
        "mat.id_card",
        "mat.residence_permit",
        "mat.photo_2inch",
    ]
    assert guide.answers == {"sit.hukou_local": "非本县户籍"}


def test_exact_lists_per_situation(knowledge: CorpusKnowledge) -> None:
    facts = knowledge.matter("hrss.ss_card")
    ids = lambda a: [m.material_id for m in build_guide(facts, a).materials]  # noqa: E731
    assert ids({"sit.new_renew_lost": "new", "sit.agent": "self"}) == ["mat.id_card", "mat.photo_1inch"]
    assert ids({"sit.new_renew_lost": "renew", "sit.agent": "agent"}) == [
        "mat.id_card",
        "mat.social_security_card",
        "mat.agent_id_card",
        "mat.power_of_attorney",
    ]
    assert ids({"sit.new_renew_lost": "lost", "sit.agent": "self"}) == ["mat.id_card"]


def test_parse_option_keywords_labels_ordinals(knowledge: CorpusKnowledge) -> None:
    sits = {s.id: s for s in knowledge.matter("police.id_card").situations}
    lost = sits["sit.new_renew_lost"]
    assert parse_option(lost, "我的身份证丢了") == "lost"
    assert parse_option(lost, "过期了要换") == "renew"
    assert parse_option(lost, "第一次办") == "new"
    assert parse_option(lost, "第二个") == "renew"
    assert parse_option(lost, "不知道") is None
    hukou = sits["sit.hukou_local"]
    assert parse_option(hukou, "不是本县的") == "nonlocal"
    assert parse_option(hukou, "是本县户籍") == "local"


def test_card_text_and_printable_html(knowledge: CorpusKnowledge) -> None:
    facts = knowledge.matter("police.id_card")
    guide = build_guide(facts, {"sit.new_renew_lost": "renew", "sit.hukou_local": "local"})
    assert guide.window_ids == ["C02"] and guide.fee == "工本费20元"
    assert guide.time_limit.startswith("承诺15个工作日")
    text = guide_text(guide)
    assert "居民身份证原件1份" in text and "C02号窗口" in text
    page = guide_html(guide, "云溪县政务服务中心")
    assert page.startswith("<!DOCTYPE html>") and "居民身份证" in page and "<script" not in page
    assert guide_card(guide).type == "matter_guide"


def test_guide_pdf_embeds_a_cjk_font(knowledge: CorpusKnowledge) -> None:
    import pytest

    from dialogue.guide_pdf import find_cjk_font, guide_pdf

    if find_cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    guide = build_guide(knowledge.matter("hrss.ss_card"), {"sit.new_renew_lost": "new", "sit.agent": "agent"})
    pdf = guide_pdf(guide, "云溪县政务服务中心")
    assert pdf.startswith(b"%PDF-") and b"/FontFile2" in pdf and pdf.count(b"/Type /Page\n") >= 1
    assert len(pdf) > 5000
