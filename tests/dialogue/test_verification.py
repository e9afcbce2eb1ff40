"""实名认证 before submission, the reply to a verification, and the sample e-licences' field names."""

import datetime as dt
import re
from pathlib import Path

import pytest

from corpus.loader import load_corpus
from dialogue.engine import Engine
from dialogue.finder import LexicalMatterFinder
from dialogue.forms import start_form
from dialogue.knowledge import CorpusKnowledge
from dialogue.samples import SAMPLE_ELICENSES
from dialogue.store import DialogueStore
from dialogue.testing import REPO

TODAY = dt.date(2026, 11, 25)


@pytest.fixture()
def engine(knowledge: CorpusKnowledge) -> Engine:
    store = DialogueStore()
    store.seed_samples()
    return Engine(knowledge, LexicalMatterFinder(knowledge), store, today=lambda: TODAY)


def _cases(engine: Engine) -> int:
    from sqlalchemy import func, select

    from dialogue.store import CaseRow

    with engine.store._tx() as s:  # counting rows has no public API; read-only
        return int(s.scalar(select(func.count()).select_from(CaseRow)) or 0)


def test_unverified_session_cannot_submit_until_verified(engine: Engine) -> None:
    start = engine.handle("u", "帮我填社保卡申请表")
    assert start.intent == "form_start" and "实名认证" in start.text and "电子身份证" in start.text
    assert [a.type for a in start.actions] == ["VerifyIdentity"]
    # The citizen fills everything by voice anyway: the form is complete but is not submitted.
    engine.handle(
        "u", "我叫赵六，身份证511602199604120626，电话13990876543，首次申领，地址是云溪县北城街道和平路56号"
    )
    refused = engine.handle("u", "提交")
    assert refused.intent == "form_verify" and "实名认证" in refused.text
    assert _cases(engine) == 0 and refused.cards[0].type == "form_state"  # the draft is kept
    assert [a.type for a in refused.actions] == ["VerifyIdentity"]  # the channel starts its verification
    shown = engine.login("u", "c004")  # ID card swipe
    assert shown.intent == "verified" and shown.text.startswith("实名认证成功")
    done = engine.handle("u", "提交")
    assert done.intent == "form_submit"
    case = engine.store.case(done.cards[0].data["receipt_no"])
    assert case is not None and case["citizen_id"] == "c004" and case["data"]["phone"] == "13990876543"


def test_verification_reply_prefills_in_one_turn(engine: Engine) -> None:
    engine.handle("p", "我要补领社保卡，帮我填申请表")
    shown = engine.login("p", "c004")
    # Name and ID number from the ID card chip; what only the citizen knows is asked in the same prompt.
    assert "赵六" in shown.text and "联系电话" in shown.text and "通讯地址" in shown.text
    assert "511602199604120626" not in shown.speech  # masked on the loudspeaker
    fields = {f["id"]: f for f in next(c for c in shown.cards if c.type == "form_state").data["fields"]}
    assert fields["id_number"]["status"] == "pending" and fields["apply_kind"]["value"] == "补领"
    done = engine.handle("p", "都对，电话13990876543，通讯地址是云溪县北城街道和平路56号，提交")
    assert done.intent == "form_submit"
    case = engine.store.case(done.cards[0].data["receipt_no"])
    assert case is not None and case["data"]["id_number"] == "511602199604120626"


def test_verified_identity_replaces_a_typed_one(engine: Engine) -> None:
    engine.handle("i", "帮我填个体户的申请书")
    engine.handle("i", "我叫赵六，身份证511602199211084564")  # someone else's number
    shown = engine.login("i", "c004")
    fields = {f["id"]: f for f in next(c for c in shown.cards if c.type == "form_state").data["fields"]}
    assert (
        fields["id_number"]["value"] == "511602199604120626" and fields["id_number"]["source"] == "elicense"
    )
    assert fields["gender"]["status"] == "empty"  # derived again from the verified number once confirmed
    r = engine.handle("i", "都对，电话13990876543，六六便利店，云溪县北城街道和平路56号，1个人，明天开业")
    fields = {f["id"]: f for f in next(c for c in r.cards if c.type == "form_state").data["fields"]}
    assert fields["gender"]["value"] == "女" and fields["gender"]["source"] == "id_number"


@pytest.mark.parametrize(
    ("channel", "words"),
    [("voice", ("读卡区", "刷脸")), ("text", ("电子身份证",)), ("rasa", ("电子身份证",))],
)
def test_verification_request_fits_the_channel(engine: Engine, channel: str, words: tuple[str, ...]) -> None:
    r = engine.handle(f"c-{channel}", "帮我填社保卡申请表", channel)
    assert all(w in r.text for w in words)


def test_login_without_a_form_greets_by_name(engine: Engine) -> None:
    r = engine.login("g", "c004")
    assert r.intent == "verified" and "赵六" in r.text and r.state["turns"] == 1


@pytest.fixture(scope="module")
def product() -> CorpusKnowledge:
    return CorpusKnowledge(load_corpus(REPO / "corpus" / "data"))


def test_social_security_card_elicense_prefills_the_card_number(
    product: CorpusKnowledge, store_with_samples: DialogueStore
) -> None:
    mid = "hrss.resident_pension_benefit"
    form = next(f for f in product.matter(mid).forms if f.id == "form.pension_benefit_apply")
    state = start_form(form, mid, store_with_samples.profile("c002"), store_with_samples.elicenses("c002"))
    assert state.pending["social_card_no"] == "S51160200123" and state.sources["social_card_no"] == "elicense"


def test_verified_identity_prefills_a_form_mapped_to_another_licence(
    product: CorpusKnowledge, store_with_samples: DialogueStore
) -> None:
    # The ID-card application maps name / ID number to the 居民户口簿, which 赵六 has no e-licence of.
    mid, form = next(
        (m, f)
        for m in product.matter_ids()
        for f in product.matter(m).forms
        if any(x.elicense_key == "居民户口簿.name" and x.id == "name" for x in f.fields)
    )
    state = start_form(form, mid, {}, store_with_samples.elicenses("c004"))
    assert state.pending["name"] == "赵六" and state.pending["id_number"] == "511602199604120626"
    assert start_form(form, mid, {}, {}).pending == {}  # unverified: nothing to prefill


def test_catalogue_elicense_keys_name_fields_of_the_sample_records() -> None:
    fields_of: dict[str, set[str]] = {}
    for _, type_, _, fields in SAMPLE_ELICENSES:
        fields_of.setdefault(type_, set()).update(fields)
    keys = {
        m.group(1)
        for path in (REPO / "corpus" / "data" / "forms").glob("*.yaml")
        for m in re.finditer(r"elicense_key: ([^,}\s]+)", path.read_text(encoding="utf-8"))
    }
    checked = [k for k in keys if k.partition(".")[0] in fields_of]
    assert "社会保障卡.card_number" in checked
    unresolved = {k for k in checked if k.partition(".")[2] not in fields_of[k.partition(".")[0]]}
    assert unresolved == set()


@pytest.fixture()
def store_with_samples(tmp_path: Path) -> DialogueStore:
    s = DialogueStore(f"sqlite:///{tmp_path / 'd.db'}")
    s.seed_samples()
    return s
