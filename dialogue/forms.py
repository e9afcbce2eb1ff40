"""Chat-while-doing form filling (边聊边办).

The form schema is the corpus/graph ``Form`` (ordered ``FormField`` with type, required, validator
settings, profile and e-licence keys). One free utterance can fill several slots; values prefilled from
the profile and e-licences wait in ``pending`` until the citizen confirms them; "不对，电话是…" corrects;
every value goes through ``dialogue.validators``. The state is a plain pydantic model so the engine can
persist it as a draft and resume after a restart.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, Field

from corpus.models import Form, FormField
from dialogue.base import MatterFacts
from dialogue.errors import FieldValidationError
from dialogue.guide import known_answers
from dialogue.identity import IDENTITY_LICENCE, OTHER_PERSON, derive_from_id, derived_key, own_id_field
from dialogue.privacy import mask_text
from dialogue.validators import validate_field

_ID_RE = re.compile(r"(?<![\dA-Za-z])(\d{6}\s?\d{4}\s?\d{4}\s?\d{3}[\dXx])(?![\dA-Za-z])")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}-\d{7,8})(?!\d)")
_PHONE_SAID = re.compile(r"(?:电话|手机|手机号|联系方式)(?:号码)?(?:是|为|：|:)?\s*([\d\s-]{5,})")
_DATE_RE = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?|(?<!\d)\d{8}(?!\d)"
    r"|[〇零○一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}[日号]"
    r"|今天|明天|后天|昨天"
)
_NAME_RE = re.compile(
    r"(?:我叫|我是|名字叫|名字是|姓名是|姓名|名叫|(?<![称名字号])叫)[:：]?\s*([\u4e00-\u9fa5·]{2,5})"
)
_NAME_STOP = re.compile(r"(身份|电话|手机|住|地址|今年|性别|联系|号码|出生|邮箱|的|，)")
_NOT_NAMES = ("本人", "自己", "代办", "他人", "帮", "来", "想", "要", "外地", "本地", "本县", "个人", "第一")
_CLAUSE_SPLIT = re.compile(r"[，,。；;！!？?\n]+")
_CONNECTOR = re.compile(r"^(?:的|是|为|叫|在|写|填|改成|改为|应该是|：|:|\s)+")
_YES = (
    *("其他都对", "其余都对", "其他没问题", "都对", "对", "是的", "确认", "没错", "没问题", "正确"),
    *("好的", "可以", "嗯", "行"),
)
_NO = ("不对", "不是", "错了", "有误", "不正确", "错")
# Said after swiping the ID card / scanning the app code: nothing to fill, show the prefilled values.
_VERIFIED = re.compile(r"^(?:我?(?:已经)?(?:刷|扫|登录|认证|放)(?:好|完)?了|好了)[。！!]?$")
_SUBMIT = ("提交", "确认提交", "可以提交", "提交吧", "就这样提交")

# Words a citizen uses for each field type, besides the field label.
_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "phone": ("电话", "手机", "手机号", "联系方式"),
    "id_number": ("身份证", "身份证号"),
    "address": ("地址", "住址", "住在", "家住"),
    "email": ("邮箱", "电子邮箱", "邮件"),
}
_IDENTITY_KEYS = ("name", "id_number", "gender", "birth_date")  # what the ID card says of its holder
_LABEL_PREFIXES = ("经营者", "申请人", "联系", "通讯", "电子")


class FormState(BaseModel):
    """Where a form stands; persisted as a draft after every turn."""

    form_id: str
    matter_id: str
    values: dict[str, str] = Field(default_factory=dict)
    pending: dict[str, str] = Field(default_factory=dict)  # prefilled, awaiting confirmation
    sources: dict[str, str] = Field(default_factory=dict)  # field -> profile | elicense | citizen
    asking: str | None = None
    asking_group: list[str] = Field(default_factory=list)  # fields asked together in the last prompt
    typed: list[str] = Field(default_factory=list)  # fields whose value the citizen said or typed
    turns: int = 0
    receipt_no: str | None = None


class FormTurn(BaseModel):
    text: str
    state: FormState
    filled: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    complete: bool = False
    submit_requested: bool = False


def field_keywords(field: FormField) -> list[str]:
    """Words that announce this field in free speech (label, label without prefixes, type words)."""
    words = [field.label]
    bare = re.sub(r"（[^）]*）|\([^)]*\)", "", field.label)  # "资金数额（万元）" is said "资金数额"
    if bare != field.label and len(bare) >= 2:
        words.append(bare)
    if bare.startswith("选择") and len(bare) > 3:
        words.append(bare[2:])
    for p in _LABEL_PREFIXES:
        if field.label.startswith(p) and len(field.label) > len(p) + 1:
            words.append(field.label[len(p) :])
    if field.label.endswith("日期") and len(field.label) > 2:
        words.append(field.label[:-2])
    if field.label.endswith("号码"):
        words.append(field.label[:-2])
    if field.label.endswith("名称"):
        words.extend(("名称", "店名", "字号"))
        if len(field.label) > 5:  # "执业机构是…" names 执业机构名称 (not "个体户的申请书")
            words.append(field.label[:-2])
    words.extend(_TYPE_WORDS.get(field.type, ()))
    return sorted(set(words), key=len, reverse=True)


def start_form(
    form: Form, matter_id: str, profile: dict[str, Any], elicenses: dict[str, dict[str, Any]]
) -> FormState:
    """A new draft with values prefilled (pending confirmation) from e-licences, then the profile, then
    the verified identity (the 居民身份证 read at 实名认证) for the applicant's own name, ID number, gender
    and birth date — a form mapping them to another licence (居民户口簿) still gets them."""
    state = FormState(form_id=form.id, matter_id=matter_id)
    identity = elicenses.get(IDENTITY_LICENCE.rstrip("."), {})
    for f in form.fields:
        value: Any = None
        source = ""
        if f.elicense_key:
            lic_type, _, key = f.elicense_key.partition(".")
            value, source = elicenses.get(lic_type, {}).get(key), "elicense"
        if value in (None, "") and f.profile_key:
            value, source = profile.get(f.profile_key), "profile"
        if value in (None, "") and f.profile_key in _IDENTITY_KEYS and not f.label.startswith(OTHER_PERSON):
            value, source = identity.get(f.profile_key), "elicense"
        if value not in (None, ""):
            try:
                state.pending[f.id] = validate_field(f, str(value))
                state.sources[f.id] = source
            except FieldValidationError:
                pass  # a stale profile value is simply asked again
    return state


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_SPLIT.split(text) if c.strip()]


def extract_slots(
    form: Form, text: str, asking: str | None = None, group: list[str] | None = None
) -> dict[str, str]:
    """Raw values for as many fields as the utterance mentions (validated later).

    ``asking`` is the single field just asked (a plain answer fills it); ``group`` the fields asked
    together, to which unlabeled clauses are assigned by their shape (number, address, free text).
    """
    fields = {f.id: f for f in form.fields}
    out: dict[str, str] = {}
    rest = text

    def first_of(kind: str) -> list[FormField]:
        return [f for f in form.fields if f.type == kind]

    for kind, pattern in (("id_number", _ID_RE), ("email", _EMAIL_RE), ("phone", _PHONE_RE)):
        targets = first_of(kind)
        for m in pattern.finditer(rest):
            if targets:
                out.setdefault(targets[0].id, m.group(0))
        rest = pattern.sub("，", rest)
    # "电话1399087654" (a digit short): kept so validation can say what is wrong instead of ignoring it.
    phones = first_of("phone")
    said = _PHONE_SAID.search(rest)
    if phones and said and phones[0].id not in out:
        out[phones[0].id] = said.group(1)
        rest = rest.replace(said.group(0), "，")
    # Dates: assigned by a nearby keyword, else to the asked / single date field.
    date_fields = first_of("date")
    for clause in _clauses(rest):
        for m in _DATE_RE.finditer(clause):
            target = next(
                (f for f in date_fields if any(k in clause for k in field_keywords(f) if k not in ("日期",))),
                None,
            )
            if target is None and asking in {f.id for f in date_fields}:
                target = fields[asking]
            if target is None and len(date_fields) == 1:
                target = date_fields[0]
            if target is not None:
                out.setdefault(target.id, m.group(0))
    rest = _DATE_RE.sub("，", rest)
    # Name by "我叫…" patterns.
    name_field = next((f for f in form.fields if f.id == "name" or f.label.endswith("姓名")), None)
    if name_field is not None:
        nm = _NAME_RE.search(rest)
        if nm:
            name = _NAME_STOP.split(nm.group(1))[0]
            if len(name) >= 2 and not name.startswith(_NOT_NAMES):
                out.setdefault(name_field.id, name)
    # "<label>是<value>" clauses for the other fields.
    for clause in _clauses(rest):
        # One clause, one field: the one named by the longest label ("本县居住地址是…" is not 户籍地址).
        best: tuple[FormField, str] | None = None
        for f in form.fields:
            if f.id in out or f.type in ("id_number", "email", "phone", "date"):
                continue
            kw = next((k for k in field_keywords(f) if k in clause), None)
            if kw is not None and (best is None or len(kw) > len(best[1])):
                best = (f, kw)
        if best is not None:
            value = _CONNECTOR.sub("", clause.split(best[1], 1)[1])
            if value and not _is(value, _NO + _YES):
                out[best[0].id] = value
    # Enum options said without their label ("补领", "男性").
    for f in form.fields:
        if f.type != "enum" or f.id in out:
            continue
        hits = [o for o in f.options if o in text and (len(o) > 1 or _single_char_ok(o, text, f))]
        if hits:
            out[f.id] = max(hits, key=len)
    # Answers to a grouped question given without labels ("建国小卖部，政务路20号，2个人").
    if group:
        out.update(_assign_unlabeled(form, [fields[g] for g in group if g in fields and g not in out], rest))
    # Address said plainly ("住在…" handled above; "在城南街道…" when asked).
    if asking and asking not in out and asking in fields:
        plain = _CONNECTOR.sub("", text.strip())
        words = "|".join(map(re.escape, field_keywords(fields[asking])))
        plain = re.sub(rf"^(?:我的|我)?(?:{words})", "", plain)
        plain = _CONNECTOR.sub("", plain).strip("。，, ")
        if plain and not out:
            out[asking] = plain
    return out


_ADDRESS_HINT = re.compile(r"(省|市|县|区|镇|乡|街道|路|街|巷|村|组|号|栋|单元|室)")
_NUMBER_ANSWER = re.compile(
    r"^(?:大概|大约|一共|共|有)?[\d一二两三四五六七八九十百]+\s*(?:个人|人|个|名|位|万元|万块|万)?$"
)
_NOT_ANSWERS = re.compile(r"^(?:开业|开张|营业|开始|左右|的时候|就这些|谢谢|麻烦了|帮我填一下)$")


def _assign_unlabeled(form: Form, asked: list[FormField], rest: str) -> dict[str, str]:
    """Clauses without a field label, matched to the asked fields by shape, in the order spoken."""
    keywords = [k for f in form.fields for k in field_keywords(f)]
    options = [o for f in form.fields for o in f.options if len(o) > 1]
    out: dict[str, str] = {}
    for clause in _clauses(rest):
        c = _CONNECTOR.sub("", clause).strip()
        if (
            len(c) < 2
            or _is(c, _YES + _NO)
            or _NOT_ANSWERS.match(c)
            or _NAME_RE.search(c)
            or any(k in c for k in keywords)
            or any(o in c for o in options)
            or any(w in c for w in _SUBMIT)
        ):
            continue
        left = [f for f in asked if f.id not in out]
        number = _NUMBER_ANSWER.match(c) is not None
        if number:
            target = next((f for f in left if f.type == "number"), None)
        elif _ADDRESS_HINT.search(c) and len(c) >= 5:
            target = next((f for f in left if f.type == "address"), None)
            target = target or next((f for f in left if f.type == "text"), None)
        else:
            target = next((f for f in left if f.type == "text"), None)
        if target is not None:
            out[target.id] = c
    return out


def _single_char_ok(option: str, text: str, f: FormField) -> bool:
    """One-character options (男/女) only count with their label or as the whole answer."""
    clauses = _clauses(text)
    return (
        any(c in (option, f"{option}的", f"{option}性") for c in clauses)
        or any(k in text for k in field_keywords(f))
        or f"{option}性" in text
    )


def _is(text: str, words: tuple[str, ...]) -> bool:
    t = text.strip("。，,！! ")
    return any(t.startswith(w) for w in words)


def required_missing(form: Form, state: FormState) -> list[FormField]:
    return [f for f in form.fields if f.required and f.id not in state.values]


def describe_values(form: Form, values: dict[str, str], masked: bool) -> str:
    labels = {f.id: f.label for f in form.fields}
    parts = [f"{labels[k]}{mask_text(v) if masked else v}" for k, v in values.items() if k in labels]
    return "，".join(parts)


def apply_slots(
    form: Form, state: FormState, text: str, asking: str | None, today: dt.date | None = None
) -> tuple[list[str], list[str], dict[str, str]]:
    """Fill every slot the utterance carries (validated); returns (filled, error messages, raw slots)."""
    raw = extract_slots(form, text, asking, state.asking_group)
    fields = {f.id: f for f in form.fields}
    filled: list[str] = []
    errors: list[str] = []
    for fid, value in raw.items():
        try:
            state.values[fid] = validate_field(fields[fid], value, today)
        except FieldValidationError as e:
            errors.append(e.message)
            state.asking = fid
            continue
        state.pending.pop(fid, None)
        state.sources[fid] = "citizen"
        if fid not in state.typed:
            state.typed.append(fid)
        filled.append(fid)
    filled.extend(derive_from_id(form, state))
    return filled, errors, raw


def handle_form_utterance(form: Form, state: FormState, text: str, today: dt.date | None = None) -> FormTurn:
    """Apply one citizen utterance to the form: confirm/correct prefilled values, fill slots, validate.

    One turn can do all of it: "都对，补领" confirms the prefilled values and answers the open question;
    "都对，补领，提交" also submits.
    """
    state = state.model_copy(deep=True)
    state.turns += 1
    negative = _is(text, _NO) or any(w in text for w in ("不对", "错了", "有误", "不正确"))
    affirmative = not negative and _is(text, _YES)
    submit = any(w in text for w in _SUBMIT) and not negative
    if _VERIFIED.match(text.strip()):
        return _prompt(form, state, [], [], submit=False)  # "刷好了": show what verification prefilled
    asking = None if (affirmative or negative or submit) else state.asking
    filled, errors, raw = apply_slots(form, state, text, asking, today)
    if state.pending and affirmative:
        state.values.update(state.pending)
        filled.extend(state.pending)
        state.pending = {}
        filled.extend(derive_from_id(form, state))  # a just-confirmed ID number settles gender, birth date
    elif state.pending and negative and not raw:
        # "地址不对" drops that prefilled value so it is asked; a bare "不对" asks which one.
        named = [
            f.id for f in form.fields if f.id in state.pending and any(k in text for k in field_keywords(f))
        ]
        for fid in named:
            state.pending.pop(fid)
        if named:
            state.asking = named[0]
        else:
            return FormTurn(
                text="请问哪一项不对？您可以直接说正确的内容，例如“电话是13800000000”。", state=state
            )
    return _prompt(form, state, filled, errors, submit)


def _prompt(form: Form, state: FormState, filled: list[str], errors: list[str], submit: bool) -> FormTurn:
    labels = {f.id: f.label for f in form.fields}
    done = [labels[f] for f in dict.fromkeys(filled)]
    head = f"已记录{'、'.join(done)}。" if done else ""
    if errors:
        return FormTurn(text=head + " ".join(errors), state=state, filled=filled, errors=errors)
    missing = [f for f in required_missing(form, state) if f.id not in state.pending]
    own_id = own_id_field(form)
    if (
        own_id is not None
        and own_id.id not in state.values
        and (own_id.required or own_id.id in state.pending)
    ):
        missing = [f for f in missing if derived_key(f) is None]  # gender, birth date come with the ID
    # Every open field in one question (enum options inline), so one answer can settle them all.
    ask = "、".join(f"{f.label}{_options(f)}" for f in missing)
    state.asking_group = [f.id for f in missing]
    state.asking = missing[0].id if missing else None
    if state.pending:
        prefilled = describe_values(form, state.pending, masked=True)
        if missing:
            tail = f"还需要您补充：{ask}。核对无误请说“都对”，并在同一句里告诉我需要补充的内容。"
        else:
            tail = "核对无误请说“都对”。"
        return FormTurn(
            text=head
            + f"根据您的实名认证信息，已为您预填：{prefilled}。"
            + tail
            + "有不对的直接说正确的内容，例如“电话是13800000000”。",
            state=state,
            filled=filled,
        )
    if missing:
        together = "，可以一句话说完" if len(missing) > 1 else ""
        return FormTurn(text=f"{head}请告诉我{ask}{together}。", state=state, filled=filled)
    if submit:
        return FormTurn(text=head, state=state, filled=filled, complete=True, submit_requested=True)
    return FormTurn(
        text=f"{head}{form.name}已填好：{describe_values(form, state.values, masked=True)}。"
        "确认无误请说“提交”，需要修改请直接说，例如“电话改成…”。",
        state=state,
        filled=filled,
        complete=True,
    )


def _options(f: FormField) -> str:
    options = f"（{'/'.join(f.options)}）" if f.options else ""
    hint = f"（{f.help}）" if f.help else ""
    return options + hint


def prefill_verified(
    form: Form, state: FormState, profile: dict[str, Any], elicenses: dict[str, dict[str, Any]]
) -> FormState:
    """After identity verification mid-form: prefill (pending confirmation) the fields still empty.

    The application is bound to the verified person: an identity field (from the 居民身份证) typed
    before verification with another value is replaced by the verified one, also pending confirmation.
    """
    fresh = start_form(form, state.matter_id, profile, elicenses)
    identity = {f.id for f in form.fields if (f.elicense_key or "").startswith(IDENTITY_LICENCE)}
    state = state.model_copy(deep=True)
    for fid, value in fresh.pending.items():
        if fid in state.values and not (fid in identity and state.values[fid] != value):
            continue
        state.values.pop(fid, None)
        if fid in state.typed:
            state.typed.remove(fid)
        state.pending[fid] = value
        state.sources[fid] = fresh.sources[fid]
    if identity & set(state.pending):
        # Gender, birth date … derived from a replaced ID number are derived again once it is confirmed.
        for f in form.fields:
            if state.sources.get(f.id) == "id_number":
                state.values.pop(f.id, None)
                state.sources.pop(f.id, None)
    return state


def opening_prompt(form: Form, state: FormState, filled: list[str] | None = None) -> FormTurn:
    """The message after starting (or resuming) a form: prefilled values to confirm, open fields asked
    together; ``filled`` names fields the opening utterance already answered."""
    return _prompt(form, state, list(filled or []), [], submit=False)


def form_card_data(form: Form, state: FormState) -> dict[str, Any]:
    """Field-by-field state for the form card (values shown to their owner on screen)."""
    return {
        "form_id": form.id,
        "matter_id": state.matter_id,
        "receipt_no": state.receipt_no,
        "fields": [
            {
                "id": f.id,
                "label": f.label,
                "type": f.type,
                "required": f.required,
                "value": state.values.get(f.id, state.pending.get(f.id)),
                "status": "filled"
                if f.id in state.values
                else "pending"
                if f.id in state.pending
                else "empty",
                "source": state.sources.get(f.id),
            }
            for f in form.fields
        ],
    }


def materials_to_bring(
    facts: MatterFacts, answers: dict[str, str], profile: dict[str, Any], elicenses: dict[str, dict[str, Any]]
) -> list[str]:
    """What the citizen must still bring after submitting online.

    The filled form replaces the application form, and an e-licence on file replaces its paper document
    where the matter accepts e-licences; materials whose situation is still unknown are listed "如适用".
    """
    known = known_answers(facts, answers, profile)
    out = []
    for r in facts.materials:
        if r.material_id == "mat.application_form":
            continue
        if r.elicense and r.elicense_type and r.elicense_type in elicenses:
            continue
        holds = None
        undecided = False
        for sid, values in r.when.items():
            if sid not in known:
                undecided = True
            elif known[sid] not in values:
                holds = False
        if holds is False:
            continue
        out.append(f"{r.name}（如适用）" if undecided else r.name)
    return out
