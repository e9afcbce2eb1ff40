"""Lobby skills of the engine that need no form or guide state: navigation, 一件事 bundles, work-order
dispatch, hand-off and small talk (a mixin so ``engine.py`` stays about the turn itself)."""

from __future__ import annotations

import re

from dialogue.answer import citation, speech_of
from dialogue.base import Action, Card, Knowledge, MatterFacts, Place, Reply
from dialogue.context import DialogueState
from dialogue.dispatch import classify_complaint
from dialogue.intents import IntentResult, find_place
from dialogue.privacy import mask_text
from dialogue.store import DialogueStore

_GENERIC_WINDOW = re.compile(
    r"办事窗口|办理窗口|(这个|那个|刚才的?|对应的?)窗口|^带我(去|到)(窗口|那里|那儿)"
)
_CHAT = {
    "你好": "您好！我是政务服务导办助手，可以告诉您办事要带的材料、去哪个窗口，也可以带您过去。",
    "谢谢": "不客气，还有什么可以帮您？",
    "再见": "再见，祝您办事顺利！",
    "拜拜": "再见，祝您办事顺利！",
    "你是谁": "我是政务服务中心的导办机器人，可以解答办事问题、帮您填表、带您去窗口。",
}


class LobbySkills:
    """Mixed into ``Engine``; relies on its knowledge, store, places and matter resolution."""

    knowledge: Knowledge
    store: DialogueStore
    _places: list[Place]

    def _matter(
        self, intent: IntentResult, hits: list[tuple[str, float]], state: DialogueState
    ) -> MatterFacts | None:  # pragma: no cover - implemented by Engine
        raise NotImplementedError

    def _navigate(
        self,
        session_id: str,
        text: str,
        state: DialogueState,
        intent: IntentResult,
        hits: list[tuple[str, float]],
    ) -> Reply:
        target = None
        label = ""
        if intent.window_id:
            try:
                win = next(
                    w
                    for mid in self.knowledge.matter_ids()
                    for w in self.knowledge.matter(mid).windows
                    if w.id == intent.window_id
                )
                target, label = win.location, win.name
            except StopIteration:
                target = next((p for p in self._places if intent.window_id in p.aliases), None)
                label = f"{intent.window_id}窗口"
        if target is None:
            place = find_place(text, self._places)
            if place is not None:
                target, label = place, place.name
        if target is None and state.matter_id and _GENERIC_WINDOW.search(text):
            # "带我到办事窗口": the window of the matter being discussed, not whatever the finder guesses.
            current = self.knowledge.matter(state.matter_id)
            if current.windows and current.windows[0].location:
                target, label = current.windows[0].location, f"{current.name}的{current.windows[0].name}"
        if target is None:
            facts = self._matter(intent, hits, state)
            if facts is not None and facts.windows:
                target, label = facts.windows[0].location, f"{facts.name}的{facts.windows[0].name}"
        if target is None:
            msg = "请问您要去哪里？例如“带我去B01窗口”“洗手间在哪”。"
            return Reply(text=msg, speech=msg, intent="navigate")
        msg = f"{label}在{target.floor}楼。请跟我来，我带您过去。"
        return Reply(
            text=msg,
            speech=msg,
            intent="navigate",
            matter_id=state.matter_id,
            cards=[Card(type="map", title=label, data=target.model_dump())],
            actions=[Action(type="NavigateTo", target=target.id, label=label)],
        )

    def _bundle(
        self,
        session_id: str,
        text: str,
        state: DialogueState,
        intent: IntentResult,
        hits: list[tuple[str, float]],
    ) -> Reply:
        bundles = self.knowledge.bundles()
        chosen = next((b for b in bundles if any(a in text for a in (b.name, *b.aliases))), None)
        if chosen is None and hits:
            chosen = next((b for b in bundles if hits[0][0] in b.matters), None)
        if chosen is None and "出生" in text:
            chosen = next((b for b in bundles if "出生" in b.name), None)
        if chosen is None:
            offered = "、".join(b.name for b in bundles) or "暂无"
            msg = f"目前可以“一件事一次办”的有：{offered}。请问您想办哪一件？"
            return Reply(text=msg, speech=msg, intent="bundle")
        names = [self.knowledge.matter(m).name for m in chosen.matters]
        state.last_list = list(chosen.matters)
        state.matter_id = chosen.matters[0]
        state.last_intent = "ask_how"
        listing = "；".join(f"第{i}个，{n}" for i, n in enumerate(names, 1))
        msg = (
            f"{chosen.name}可以一次申请、一窗受理，包括{len(names)}个事项：{listing}。"
            f"请到{'、'.join(w + '号窗口' for w in chosen.windows)}办理，"
            f"承诺{chosen.promised_limit_days}个工作日内办结。"
        )
        return Reply(
            text=msg,
            speech=speech_of(msg),
            intent="bundle",
            cards=[Card(type="bundle", title=chosen.name, data=chosen.model_dump())],
            citations=[citation(self.knowledge.matter(m)) for m in chosen.matters],
        )

    def _complaint(
        self,
        session_id: str,
        text: str,
        state: DialogueState,
        intent: IntentResult,
        hits: list[tuple[str, float]],
    ) -> Reply:
        d = classify_complaint(text)
        order = self.store.record_work_order(session_id, mask_text(text), d.department_id, d.confidence)
        if d.confidence >= 0.3:
            msg = (
                f"您反映的问题已登记（工单号{order}），将转交{d.department_name}处理，处理结果会电话告知您。"
            )
        else:
            msg = f"您反映的问题已登记（工单号{order}），工作人员会尽快确认由哪个部门处理。"
        return Reply(
            text=msg,
            speech=msg,
            intent="complaint",
            cards=[Card(type="work_order", title="工单", data={"id": order, **d.model_dump()})],
        )

    def _handoff(
        self,
        session_id: str,
        text: str,
        state: DialogueState,
        intent: IntentResult,
        hits: list[tuple[str, float]],
    ) -> Reply:
        msg = "好的，正在为您呼叫工作人员，请稍等，也可以直接到一楼咨询导办台。"
        return Reply(
            text=msg,
            speech=msg,
            intent="handoff",
            actions=[Action(type="HandOff", target="citizen_request", label="转人工")],
        )

    def _chitchat(
        self,
        session_id: str,
        text: str,
        state: DialogueState,
        intent: IntentResult,
        hits: list[tuple[str, float]],
    ) -> Reply:
        msg = next((v for k, v in _CHAT.items() if k in text), "您好，请问有什么可以帮您？")
        return Reply(text=msg, speech=msg, intent="chitchat")
