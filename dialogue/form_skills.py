"""Chat-while-doing form skills of the engine (边聊边办): start, continue, fill, correct, submit.

A mixin so ``engine.py`` stays about the turn itself; the form logic proper lives in ``dialogue.forms``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from dialogue.answer import citation, speech_of
from dialogue.base import Action, Card, Knowledge, MatterFacts, Reply
from dialogue.context import DialogueState
from dialogue.forms import (
    FormState,
    apply_slots,
    form_card_data,
    handle_form_utterance,
    materials_to_bring,
    opening_prompt,
    prefill_verified,
    start_form,
)
from dialogue.intents import IntentResult
from dialogue.privacy import mask_text
from dialogue.store import DialogueStore

# 实名认证: an application is bound to a verified person, so a form is never submitted by an unverified
# session. How a citizen verifies depends on the channel: the lobby kiosk/robot has an ID-card reader and
# a face camera; the web/app chat uses the 电子身份证 of the 云溪政务 app.
_VERIFY_HOW = {
    "voice": "请把身份证放到读卡区，或看着屏幕刷脸核验",
    "robot": "请把身份证放到读卡区，或看着屏幕刷脸核验",
    "kiosk": "请把身份证放到读卡区，或看着屏幕刷脸核验",
    "text": "请用“云溪政务”App出示电子身份证扫码认证，或到自助终端刷身份证",
}


def verify_request(channel: str) -> str:
    """The request to verify identity, in the words of the citizen's channel."""
    how = _VERIFY_HOW.get(channel, _VERIFY_HOW["text"])
    return f"办理申请需要先实名认证：{how}。认证后我会用您的证照信息自动填表。"


def _asks_to_verify(reply: Reply) -> Reply:
    """The channel starts its verification (ID-card reader, 电子身份证) on this action."""
    reply.actions.append(Action(type="VerifyIdentity", label="实名认证"))
    return reply


class FormSkills:
    """Mixed into ``Engine``; relies on its knowledge, store, clock and matter resolution."""

    knowledge: Knowledge
    store: DialogueStore
    _today: Callable[[], dt.date]

    def _matter(
        self, intent: IntentResult, hits: list[tuple[str, float]], state: DialogueState
    ) -> MatterFacts | None:  # pragma: no cover - implemented by Engine
        raise NotImplementedError

    def _unknown(self, session_id: str, text: str, intent: str) -> Reply:  # pragma: no cover - Engine
        raise NotImplementedError

    def _profile(self, state: DialogueState) -> dict[str, object]:  # pragma: no cover - Engine
        raise NotImplementedError

    def _channel(self) -> str:  # pragma: no cover - implemented by Engine
        raise NotImplementedError

    def _form_for(self, facts: MatterFacts) -> Reply | None:
        if not facts.forms:
            msg = f"{facts.name}暂时不能在这里在线填表，请到{'、'.join(w.name for w in facts.windows)}办理。"
            return Reply(
                text=msg, speech=msg, intent="form_start", matter_id=facts.id, citations=[citation(facts)]
            )
        return None

    def _form_start(
        self,
        session_id: str,
        text: str,
        state: DialogueState,
        intent: IntentResult,
        hits: list[tuple[str, float]],
    ) -> Reply:
        facts = self._matter(intent, hits, state)
        if facts is None:
            return self._unknown(session_id, text, "form_start")
        refusal = self._form_for(facts)
        if refusal is not None:
            return refusal
        form = facts.forms[0]
        lic = self.store.elicenses(state.citizen_id) if state.citizen_id else {}
        state.form = start_form(form, facts.id, self._profile(state), lic)
        # "我要补领社保卡，帮我填表" already answers a field: take it from the opening utterance too.
        filled, _, _ = apply_slots(form, state.form, text, None, self._today())
        turn = opening_prompt(form, state.form, filled)
        state.form = turn.state
        self._persist_draft(session_id, state)
        if not state.citizen_id:
            # Verify first: it is required to submit, and it fills most fields, so asking for the name and
            # ID number now would only make the citizen type what the ID card already says.
            said = [f.label for f in form.fields if f.id in filled]
            head = f"已记录{'、'.join(said)}。" if said else ""
            return _asks_to_verify(
                self._form_reply(
                    form.name, head + verify_request(self._channel()), state, "form_start", facts
                )
            )
        return self._form_reply(form.name, turn.text, state, "form_start", facts)

    def _after_login(self, session_id: str, state: DialogueState) -> Reply:
        """The reply to a verification: with a form open, the citizen's own data offered for it (one turn
        to confirm); otherwise a greeting."""
        assert state.citizen_id
        if state.form is None:
            lic = self.store.elicenses(state.citizen_id)
            name = self._profile(state).get("name") or lic.get("居民身份证", {}).get("name") or ""
            offer = "请问您要办理什么事项？"
            if state.matter_id:
                facts = self.knowledge.matter(state.matter_id)
                if facts.forms:  # the matter just discussed: offer its form
                    offer = f"需要的话，我可以帮您填写{facts.forms[0].name}，请说“帮我填表”。"
            msg = f"实名认证成功，{name}您好。{offer}"
            return Reply(text=msg, speech=msg, intent="verified", matter_id=state.matter_id)
        facts = self.knowledge.matter(state.form.matter_id)
        form = next(f for f in facts.forms if f.id == state.form.form_id)
        lic = self.store.elicenses(state.citizen_id)
        turn = opening_prompt(form, prefill_verified(form, state.form, self._profile(state), lic))
        state.form = turn.state
        self._persist_draft(session_id, state)
        return self._form_reply(form.name, "实名认证成功。" + turn.text, state, "verified", facts)

    def _form_continue(
        self,
        session_id: str,
        text: str,
        state: DialogueState,
        intent: IntentResult,
        hits: list[tuple[str, float]],
    ) -> Reply:
        if state.form is None:
            for mid in ([state.matter_id] if state.matter_id else []) + self.knowledge.matter_ids():
                facts = self.knowledge.matter(mid)
                for form in facts.forms:
                    draft = self.store.load_draft(session_id, form.id, state.citizen_id)
                    if draft is not None:
                        state.form = FormState(
                            form_id=form.id, matter_id=mid, values=draft["values"], pending=draft["pending"]
                        )
                        break
                if state.form is not None:
                    break
        if state.form is None:
            msg = "没有找到您未完成的申请表。要开始新的申请，请说“帮我填XX申请表”。"
            return Reply(text=msg, speech=msg, intent="form_continue")
        facts = self.knowledge.matter(state.form.matter_id)
        form = next(f for f in facts.forms if f.id == state.form.form_id)
        turn = opening_prompt(form, state.form)
        state.form = turn.state
        return self._form_reply(form.name, "好的，我们继续。" + turn.text, state, "form_continue", facts)

    def _form_turn(self, session_id: str, text: str, state: DialogueState) -> Reply:
        assert state.form is not None
        facts = self.knowledge.matter(state.form.matter_id)
        form = next(f for f in facts.forms if f.id == state.form.form_id)
        turn = handle_form_utterance(form, state.form, text, self._today())
        state.form = turn.state
        self._persist_draft(session_id, state)
        if turn.submit_requested:
            return self._submit(session_id, state, facts)
        return self._form_reply(form.name, turn.text, state, "form_fill", facts)

    def _form_intent(
        self,
        session_id: str,
        text: str,
        state: DialogueState,
        intent: IntentResult,
        hits: list[tuple[str, float]],
    ) -> Reply:
        if state.form is None:
            msg = "目前没有正在填写的申请表。"
            return Reply(text=msg, speech=msg, intent=intent.intent)
        return self._form_turn(session_id, text, state)

    def _submit(self, session_id: str, state: DialogueState, facts: MatterFacts) -> Reply:
        assert state.form is not None
        if not state.citizen_id:
            # The draft stays; once verified, the citizen confirms the prefill and submits.
            form = next(f for f in facts.forms if f.id == state.form.form_id)
            msg = f"{form.name}还不能提交。" + verify_request(self._channel())
            return _asks_to_verify(self._form_reply(form.name, msg, state, "form_verify", facts))
        lic = self.store.elicenses(state.citizen_id) if state.citizen_id else {}
        missing = materials_to_bring(facts, state.answers.get(facts.id, {}), self._profile(state), lic)
        window = facts.windows[0] if facts.windows else None
        receipt = self.store.submit_case(
            session_id,
            state.form.form_id,
            facts.id,
            state.form.values,
            window.id if window else "",
            missing,
            state.citizen_id,
        )
        form_state = state.form.model_copy(update={"receipt_no": receipt})
        state.form = None
        bring = "、".join(missing) if missing else "无需再带其他材料"
        where = window.name if window else "综合受理窗口"
        text = f"已提交，受理编号{receipt}。请到{where}办理，还需要带：{bring}。"
        actions = (
            [Action(type="NavigateTo", target=window.location.id, label=where)]
            if window and window.location
            else []
        )
        form = next(f for f in facts.forms if f.id == form_state.form_id)
        return Reply(
            text=text,
            speech=speech_of(text),
            intent="form_submit",
            matter_id=facts.id,
            cards=[
                Card(
                    type="case",
                    title="受理回执",
                    data={"receipt_no": receipt, "window": where, "missing_materials": missing},
                ),
                Card(type="form_state", title=form.name, data=form_card_data(form, form_state)),
            ],
            actions=actions,
            citations=[citation(facts)],
        )

    def _persist_draft(self, session_id: str, state: DialogueState) -> None:
        if state.form is not None:
            self.store.save_draft(
                session_id,
                state.form.form_id,
                state.form.matter_id,
                state.form.values,
                state.form.pending,
                state.citizen_id,
            )

    def _form_reply(
        self, title: str, text: str, state: DialogueState, intent: str, facts: MatterFacts
    ) -> Reply:
        assert state.form is not None
        form = next(f for f in facts.forms if f.id == state.form.form_id)
        return Reply(
            text=text,
            speech=speech_of(mask_text(text)),
            intent=intent,
            matter_id=facts.id,
            cards=[Card(type="form_state", title=title, data=form_card_data(form, state.form))],
            citations=[citation(facts)],
        )
