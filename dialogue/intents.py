"""Intent classification: ordered keyword rules plus features (matter hit, place hit, window id).

Deterministic and fast (< 1 ms): the rules read like the service desk's own triage. The matter finder
and the lobby places are features, so "社保卡坏了" (a matter) and "路灯坏了" (a complaint) separate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dialogue.base import FinderResult, Place

INTENTS = (
    "ask_materials",
    "ask_where",
    "ask_time",
    "ask_fee",
    "ask_online",
    "ask_how",
    "guide",
    "form_start",
    "form_continue",
    "form_correct",
    "form_submit",
    "navigate",
    "bundle",
    "complaint",
    "handoff",
    "chitchat",
    "out_of_scope",
    "follow_up",
)

_WINDOW_ID = re.compile(r"(?<![A-Za-z])([A-Ea-eZz]\d{2})(?!\d)")
_HANDOFF = re.compile(r"人工|工作人员|真人|客服|负责人|找个人|叫个人|找人帮")
_SUBMIT = re.compile(r"^(确认|可以|就这样)?提交")
_CONTINUE = re.compile(r"继续(填|办|写)|接着.*(填|办)|(表|申请).*没填完|刚才的表")
_FORM_START = re.compile(
    r"填(表|写|一下|申请)|帮我填|(我要|帮我|我想)(在线|网上)申请|边聊边办|帮我申请|现在就帮我办|直接.*申请"
    r"|申请书填|帮我.*(申请表|申请书)|我要在线|开始填"
)
_CORRECT = re.compile(r"(不对|错了|写错|改成|改为|改一下|更正|应该是)")
_NAVIGATE = re.compile(
    r"带我去|领我去|带我到|领我到|陪我到|带路|怎么走|怎么过去|陪我去|引我去|带我过去|能带我"
)
_WHERE_PLACE = re.compile(r"在哪|在什么地方|哪里|几楼|在哪儿")
_BUNDLE = re.compile(r"一件事|一起办|一次办|联办|一次把.*都办|一并办")
_COMPLAINT_STRONG = re.compile(
    r"投诉|举报|反映|建议|意见|拖欠|欠薪|不给发工资|扰民|噪音|油烟|偷排|违章|违建|占道|乱收费"
    r"|拒载|假药|过期食品|没人管|不管|没人清理|坑坑洼洼|态度差|路灯|井盖|红绿灯|信号灯"
)
_COMPLAINT_WEAK = re.compile(r"坏了|丢了|漏水|停水|停电|堵|垃圾|污水|没修")
_GUIDE = re.compile(r"指南|打印|清单|一步一步|按我的情况|根据我的情况|个性化|定制")
_ASPECTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ask_online", re.compile(r"网上|线上|手机上|app|APP|网办|不跑腿|不用跑|在家办|小程序|在线办|在线")),
    ("ask_fee", re.compile(r"多少钱|收费|费用|要钱|免费|工本费|花钱|交费|收不收|要不要钱|收多少")),
    ("ask_time", re.compile(r"多久|几天|多长时间|时限|什么时候能|多快|当天|即办|几个工作日|等多")),
    (
        "ask_where",
        re.compile(r"在哪|哪里办|去哪|哪个窗口|几号窗口|哪个部门|几楼|什么地方|找哪|哪领|在哪儿|哪个单位"),
    ),
    (
        "ask_materials",
        re.compile(
            r"材料|带什么|准备什么|需要什么|要什么|要啥|带啥|证件|资料|哪些东西|什么手续|"
            r"要带|需要带|证明|照片吗|原卡吗|户口本吗|提供什么"
        ),
    ),
)
_HOW = re.compile(r"怎么|如何|流程|步骤|条件|要求|办理|想|我要|咋办|怎样")
_FOLLOW_UP = re.compile(
    r"^(那)?(第[一二三四五六七八九十\d]+个|这个|那个|上一个|下一个|它)(呢|怎么办)?[？?]?$"
)
_FOLLOW_UP_MATTER = re.compile(r"^(那|那么|还有)[^，。？?]{1,10}(呢|的话呢)[？?]?$")
_CHITCHAT = re.compile(
    r"^(你好|您好|谢谢|再见|拜拜|早上好|下午好|晚上好|哈哈|辛苦了|好的谢谢|你是谁|你叫什么|你几岁|"
    r"你是机器人|你会干什么|你能做什么|你真|厉害|不客气)"
)
_ELLIPSIS = re.compile(r"^(那|那么|那个|这个)")


def aspects_in(text: str) -> list[str]:
    """Every matter aspect the question asks about, in the order asked ("要带什么？在哪个窗口？")."""
    found = []
    for intent, pattern in _ASPECTS:
        m = pattern.search(text)
        if m:
            found.append((m.start(), intent))
    return [intent for _, intent in sorted(found)]


@dataclass
class IntentResult:
    intent: str
    confidence: float
    matter_hit: str | None = None
    place_id: str | None = None
    window_id: str | None = None
    features: dict[str, object] = field(default_factory=dict)


def find_place(text: str, places: list[Place]) -> Place | None:
    """A non-window lobby place named in the text (longest name or alias wins)."""
    best: tuple[int, Place] | None = None
    for p in places:
        if p.kind == "window":
            continue
        for name in (p.name, *p.aliases):
            if len(name) >= 2 and name in text and (best is None or len(name) > best[0]):
                best = (len(name), p)
    generic = {"洗手间": "restroom", "厕所": "restroom", "卫生间": "restroom", "电梯": "elevator"}
    if best is None:
        for word, kind in generic.items():
            if word in text:
                floor = 2 if "二楼" in text else 1
                cands = [p for p in places if p.kind == kind]
                cands.sort(key=lambda p: (p.floor != floor, p.id))
                if cands:
                    return cands[0]
    return best[1] if best else None


def classify(
    text: str, finder_result: FinderResult, places: list[Place], in_form: bool = False
) -> IntentResult:
    """Classify one utterance; ``in_form`` makes confirmations/corrections form turns."""
    t = text.strip()
    matter = finder_result.hits[0][0] if finder_result.hits else None
    matter_score = finder_result.hits[0][1] if finder_result.hits else 0.0
    place = find_place(t, places)
    win = _WINDOW_ID.search(t)
    window_id = win.group(1).upper() if win else None

    def res(intent: str, conf: float) -> IntentResult:
        return IntentResult(
            intent, conf, matter, place.id if place else None, window_id, {"matter_score": matter_score}
        )

    if _HANDOFF.search(t) and not _COMPLAINT_STRONG.search(t):
        return res("handoff", 0.95)
    if _SUBMIT.search(t):
        return res("form_submit", 0.95)
    if _CONTINUE.search(t):
        return res("form_continue", 0.9)
    if re.search(r"\d{6,}|[年月日]", t) and _CORRECT.search(t) or (in_form and _CORRECT.search(t)):
        return res("form_correct", 0.9)
    if _CORRECT.search(t) and re.search(r"名字|姓名|电话|地址|身份证|日期", t):
        return res("form_correct", 0.85)
    if _FORM_START.search(t):
        return res("form_start", 0.9)
    if _NAVIGATE.search(t) or ((place or window_id) and _WHERE_PLACE.search(t)):
        return res("navigate", 0.9)
    if _BUNDLE.search(t):
        return res("bundle", 0.9)
    if _COMPLAINT_STRONG.search(t) or (_COMPLAINT_WEAK.search(t) and matter_score < 0.4):
        return res("complaint", 0.85)
    if _GUIDE.search(t):
        return res("guide", 0.9)
    if _FOLLOW_UP.match(t):
        return res("follow_up", 0.9)
    if matter and _FOLLOW_UP_MATTER.match(t):  # "那离婚呢": same question, another matter
        return res("follow_up", 0.85)
    for intent, pattern in _ASPECTS:
        if pattern.search(t) and (matter or _ELLIPSIS.match(t) or len(t) <= 12):
            return res(intent, 0.9 if matter else 0.7)
    if _CHITCHAT.search(t):
        return res("chitchat", 0.9)
    # The retriever's out-of-scope verdict vetoes a bare "how": its best guess for "今天天气怎么样" is a hit.
    if (
        matter
        and not finder_result.out_of_scope
        and (_HOW.search(t) or matter_score >= 0.5 or _COMPLAINT_WEAK.search(t))
    ):
        return res("ask_how", 0.8)
    return res("out_of_scope", 0.6)
