"""The dialogue engine: ``Engine.handle(session_id, utterance, channel) -> Reply``.

One turn: load state → safety → pending guide question / active form → intent → resolve the matter
(finder, context) → skill (answer, guide, form, navigate, bundle, dispatch, hand-off) → optional LLM
phrasing + grounding check → save state. The engine returns data only; adapters act on ``Reply.actions``.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import jieba

from dialogue import safety
from dialogue.answer import build_evidence, citation, compose, speech_of
from dialogue.base import Action, Card, ChatModel, Knowledge, MatterFacts, MatterFinder, Reply, StreamEvent
from dialogue.context import DialogueState, resolve_reference
from dialogue.errors import DialogueError, UnknownMatterError
from dialogue.form_skills import FormSkills
from dialogue.grounding import check
from dialogue.guide import build_guide, guide_card, guide_text, next_question, parse_option
from dialogue.intents import _FOLLOW_UP_MATTER, IntentResult, aspects_in, classify
from dialogue.llm import SYSTEM_PROMPT, build_user_prompt
from dialogue.privacy import mask_text
from dialogue.skills import LobbySkills
from dialogue.store import DialogueStore
from dialogue.streaming import StreamingChatModel, stream_grounded

log = logging.getLogger(__name__)

_ASPECT = {
    "ask_materials": "materials",
    "ask_where": "where",
    "ask_time": "time",
    "ask_fee": "fee",
    "ask_online": "online",
    "ask_how": "how",
}
_WEAK_HIT = 0.1
# How far down the finder's list the matter in context may stand and still be the one meant.
_CONTEXT_TOP_K = 5
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")


def _sentence_events(text: str) -> Iterator[StreamEvent]:
    for sentence in _SENTENCE.findall(text):
        if sentence.strip():
            yield StreamEvent(type="sentence", text=sentence)


def _words(facts: MatterFacts) -> set[str]:
    """The words of a matter's name, aliases and colloquial names."""
    return {w for phrase in (facts.name, *facts.aliases, *facts.colloquial) for w in jieba.lcut(phrase)}


def _public_state(state: DialogueState, intent: str) -> dict[str, Any]:
    """The part of the dialogue state a reply shows its channel."""
    return {
        "matter_id": state.matter_id,
        "intent": intent,
        "turns": state.turns,
        "guide_matter": state.guide_matter,
        "form": state.form.form_id if state.form else None,
    }


class Engine(LobbySkills, FormSkills):
    """Stateless between calls: all memory lives in the store, keyed by session id."""

    def __init__(
        self,
        knowledge: Knowledge,
        finder: MatterFinder,
        store: DialogueStore,
        chat_model: ChatModel | None = None,
        *,
        llm_timeout_s: float = 8.0,
        session_ttl_s: float = 1800,
        today: Callable[[], dt.date] = dt.date.today,
        secrets: list[str] | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.finder = finder
        self.store = store
        self.chat_model = chat_model
        self.llm_timeout_s = llm_timeout_s
        self.session_ttl_s = session_ttl_s
        self._today = today
        self._secrets = list(secrets or [])
        self._local = threading.local()  # per-thread sentence sink of a streaming turn
        self._places = knowledge.places()
        self._materials = {r.name for mid in knowledge.matter_ids() for r in knowledge.matter(mid).materials}

    # ------------------------------------------------------------------ public API
    def login(self, session_id: str, citizen_id: str, channel: str = "text") -> Reply:
        """Bind a verified citizen (ID-card reader, 电子身份证, face check) to a session (实名认证).

        The channel calls this once the identity is verified; it is the citizen's turn as much as an
        utterance is. Prefill uses only this citizen's data, and only a verified session can submit a
        form. Returns the reply to show: with a form open, the prefilled values to confirm in one turn.
        """
        state = self._load(session_id)
        if state.citizen_id and state.citizen_id != citizen_id:
            state = DialogueState()  # a different person: nothing of the previous citizen carries over
        state.citizen_id = citizen_id
        state.turns += 1
        reply = self._after_login(session_id, state)
        if channel == "voice":
            reply.speech = speech_of(reply.speech, 80)
        state.remember("[实名认证]", reply.intent, reply.text)
        reply.state = _public_state(state, reply.intent)
        self._save(session_id, state)
        log.info("session %s verified", session_id)
        return reply

    def handle(self, session_id: str, utterance: str, channel: str = "text") -> Reply:
        """Answer one utterance; never raises for citizen input (errors become a polite reply)."""
        state = self._load(session_id)
        state.turns += 1
        self._local.channel = channel  # how this citizen can verify their identity, if asked
        try:
            reply = self._turn(session_id, utterance, state)
        except DialogueError as e:
            log.warning("turn failed in %s: %s", session_id, mask_text(str(e)))
            reply = Reply(
                text="抱歉，刚才没有处理好，请再说一遍，或者说“转人工”。",
                speech="抱歉，请再说一遍。",
                intent="error",
            )
        if channel == "voice":
            reply.speech = speech_of(reply.speech, 80)  # shorter for a loudspeaker; keeps its masking
        state.remember(utterance, reply.intent, reply.text)
        reply.state = _public_state(state, reply.intent)
        self._save(session_id, state)
        log.info("turn %s intent=%s text=%s", session_id, reply.intent, mask_text(utterance))
        return reply

    def stream(self, session_id: str, utterance: str, channel: str = "text") -> Iterator[StreamEvent]:
        """The turn as sentence events (each already grounding-checked), then the full reply.

        With a streaming LLM the sentences leave while the model is still writing; otherwise they are
        the sentences of the finished reply.
        """
        if not isinstance(self.chat_model, StreamingChatModel):
            reply = self.handle(session_id, utterance, channel)
            yield from _sentence_events(reply.text)
            yield StreamEvent(type="reply", reply=reply)
            return
        q: queue.Queue[tuple[str, Any]] = queue.Queue()

        def work() -> None:
            self._local.sink = lambda s: q.put(("sentence", s))
            try:
                q.put(("reply", self.handle(session_id, utterance, channel)))
            except Exception as e:  # noqa: BLE001 - re-raised in the consumer
                q.put(("error", e))
            finally:
                self._local.sink = None

        threading.Thread(target=work, daemon=True).start()
        streamed = ""
        while True:
            kind, value = q.get()
            if kind == "sentence":
                streamed += value
                yield StreamEvent(type="sentence", text=value)
            elif kind == "error":
                raise value
            else:
                # Whatever the reply says beyond the streamed sentences (fallback text, follow-up offers).
                if value.text.startswith(streamed):
                    yield from _sentence_events(value.text[len(streamed) :])
                yield StreamEvent(type="reply", reply=value)
                return

    # ------------------------------------------------------------------ state
    def _load(self, session_id: str) -> DialogueState:
        raw = self.store.load_session(session_id)
        return DialogueState.model_validate(raw) if raw else DialogueState()

    def _save(self, session_id: str, state: DialogueState) -> None:
        self.store.save_session(
            session_id, state.model_dump(mode="json"), self.session_ttl_s, state.citizen_id
        )

    def _profile(self, state: DialogueState) -> dict[str, object]:
        return self.store.profile(state.citizen_id) if state.citizen_id else {}

    def _channel(self) -> str:
        return str(getattr(self._local, "channel", "text"))

    # ------------------------------------------------------------------ one turn
    def _turn(self, session_id: str, utterance: str, state: DialogueState) -> Reply:
        text, injected = safety.sanitize(utterance)
        if injected and not text:
            return Reply(text=safety.REFUSAL, speech=safety.REFUSAL, intent="refused")
        found = self.finder.search(text)
        intent = classify(text, found, self._places, in_form=state.form is not None)
        intent.features["text"] = text
        if state.guide_matter and state.guide_question:
            reply = self._guide_answer(text, state, intent)
            if reply is not None:
                return reply
        if state.form is not None:
            leaves_form = intent.intent in (
                "handoff",
                "navigate",
                "complaint",
                "form_continue",
                "guide",
                "bundle",
            )
            asks_about_matter = intent.intent in _ASPECT and intent.intent != "ask_how" and bool(found.hits)
            if not (leaves_form or asks_about_matter):
                return self._form_turn(session_id, text, state)
        return self._dispatch(session_id, text, state, intent, found.hits)

    def _dispatch(
        self,
        session_id: str,
        text: str,
        state: DialogueState,
        intent: IntentResult,
        hits: list[tuple[str, float]],
    ) -> Reply:
        name = intent.intent
        if name == "follow_up":
            ref = intent.matter_hit if _FOLLOW_UP_MATTER.match(text) else resolve_reference(text, state)
            if ref is None:
                return Reply(text="请问您指的是哪一个事项？", speech="请问您指的是哪一个事项？", intent=name)
            state.matter_id = ref
            name = state.last_intent if state.last_intent in _ASPECT else "ask_how"
            return self._answer(name, self.knowledge.matter(ref), text, state)
        if name in _ASPECT:
            facts = self._matter(intent, hits, state)
            if facts is None:
                return self._unknown(session_id, text, name)
            if len(hits) > 1 and hits[1][1] >= hits[0][1] - 0.05:
                state.last_list = [m for m, _ in hits[:3]]  # ambiguous: "第二个呢" can pick another
            return self._answer(name, facts, text, state)
        handler = {
            "guide": self._guide_start,
            "form_start": self._form_start,
            "form_continue": self._form_continue,
            "form_submit": self._form_intent,
            "form_correct": self._form_intent,
            "navigate": self._navigate,
            "bundle": self._bundle,
            "complaint": self._complaint,
            "handoff": self._handoff,
            "chitchat": self._chitchat,
        }.get(name)
        if handler is None:
            return self._unknown(session_id, text, "out_of_scope")
        return handler(session_id, text, state, intent, hits)

    def _matter(
        self, intent: IntentResult, hits: list[tuple[str, float]], state: DialogueState
    ) -> MatterFacts | None:
        """The matter of this turn: named in the utterance, else the one in context (ellipsis)."""
        # A near-zero hit is the retriever's best guess for a question naming no matter ("帮我生成指南"):
        # the matter in context wins over it.
        weak = float(intent.features.get("matter_score", 1.0) or 0.0) < _WEAK_HIT  # type: ignore[arg-type]
        matter_id = (state.matter_id or intent.matter_hit) if weak else (intent.matter_hit or state.matter_id)
        if matter_id != state.matter_id and self._stays_in_context(
            str(intent.features.get("text", "")), hits, state
        ):
            matter_id = state.matter_id
        if matter_id is None:
            return None
        try:
            facts = self.knowledge.matter(matter_id)
        except UnknownMatterError:
            return None
        state.matter_id = facts.id
        return facts

    def _stays_in_context(self, text: str, hits: list[tuple[str, float]], state: DialogueState) -> bool:
        """Keep talking about the matter in context unless the citizen names what sets another one apart.

        "帮我填护士执业注册申请表" while discussing 护士执业延续注册 ranks 首次注册 first, but says
        nothing that distinguishes 首次注册 (its name's own words, e.g. 首次) from the matter in
        context, which is among the hits: the context wins. "护士首次注册呢" does name 首次, so the
        conversation moves on.
        """
        if not state.matter_id or not hits or state.matter_id not in {m for m, _ in hits[:_CONTEXT_TOP_K]}:
            return False
        try:
            current = self.knowledge.matter(state.matter_id)
            other = self.knowledge.matter(hits[0][0])
        except UnknownMatterError:
            return False
        # Words of the current matter's own forms are not distinguishing either ("护士执业注册申请表").
        own_words = (
            _words(other)
            - _words(current)
            - {w for f in current.forms for w in (f.name, *jieba.lcut(f.name))}
        )
        return not any(w in text for w in own_words if len(w) > 1)

    # ------------------------------------------------------------------ answers
    def _answer(self, intent: str, facts: MatterFacts, question: str, state: DialogueState) -> Reply:
        # A question can ask several things at once ("要带什么？在哪个窗口？"): answer each, in order.
        asked = [i for i in aspects_in(question) if i != "ask_how"] if intent != "ask_how" else []
        aspects = [_ASPECT[i] for i in dict.fromkeys(asked or [intent])]
        answers = state.answers.get(facts.id, {})
        draft = "".join(compose(facts, a, answers) for a in aspects)
        state.last_intent = intent
        text, grounded, flagged, used = self._phrase(facts, question, draft, answers)
        cards = [
            Card(
                type="matter_guide",
                title=facts.name,
                data={
                    "matter_id": facts.id,
                    "windows": [w.id for w in facts.windows],
                    "fee": facts.fee,
                    "online": facts.online_level,
                    "phone": facts.phone,
                },
            )
        ]
        if "materials" in aspects:
            cards.append(
                Card(
                    type="material_checklist",
                    title=f"{facts.name} 材料清单",
                    data={
                        "materials": [
                            {
                                "name": r.name,
                                "copies": r.copies,
                                "original": r.original,
                                "when": r.when,
                                "elicense": r.elicense,
                            }
                            for r in facts.materials
                        ]
                    },
                )
            )
        actions: list[Action] = []
        if "where" in aspects and facts.windows and facts.windows[0].location:
            loc = facts.windows[0].location
            cards.append(Card(type="map", title=loc.name, data=loc.model_dump()))
        if facts.situations and "materials" in aspects and not answers:
            text += "如果您愿意，我可以根据您的情况列出准确的材料清单，请说“帮我生成指南”。"
        return Reply(
            text=text,
            speech=speech_of(text),
            intent=intent,
            matter_id=facts.id,
            cards=cards,
            actions=actions,
            citations=[citation(facts)],
            grounded=grounded,
            flagged=flagged,
            llm_used=used,
        )

    def _phrase(
        self, facts: MatterFacts, question: str, draft: str, answers: dict[str, str]
    ) -> tuple[str, bool, list[str], bool]:
        """LLM phrasing with the post-check; the deterministic draft on any failure."""
        if self.chat_model is None:
            return draft, True, [], False
        ev = build_evidence(facts, answers)
        reference = f"{ev.facts_text}\n{draft}\n{question}"  # what a rephrasing may draw on
        sink = getattr(self._local, "sink", None)
        if sink is not None and isinstance(self.chat_model, StreamingChatModel):
            user = build_user_prompt(ev.facts_text, question, draft)
            try:
                text, flagged = stream_grounded(
                    self.chat_model,
                    SYSTEM_PROMPT,
                    user,
                    self.llm_timeout_s,
                    ev,
                    self._materials,
                    self._secrets,
                    sink,
                    reference,
                )
            except DialogueError as e:
                log.warning("LLM stream fallback for %s: %s", facts.id, e)
                return draft, True, [], False
            if not text:
                return draft, True, flagged, False
            return text, not flagged, flagged, True
        try:
            raw = self.chat_model.complete(
                SYSTEM_PROMPT, build_user_prompt(ev.facts_text, question, draft), self.llm_timeout_s
            )
        except DialogueError as e:
            log.warning("LLM fallback for %s: %s", facts.id, e)
            return draft, True, [], False
        if safety.leaks_config(raw, self._secrets):
            return draft, True, ["配置泄露"], False
        result = check(raw, ev, self._materials, reference)
        if not result.text:
            return draft, True, result.flagged, False
        return result.text, result.grounded, result.flagged, True

    def _unknown(self, session_id: str, text: str, intent: str) -> Reply:
        self.store.record_unanswered(session_id, mask_text(text))
        msg = (
            "抱歉，这个问题我暂时回答不了，已经记录下来。您可以换个说法，或者到咨询导办台找工作人员。"
            if intent == "out_of_scope"
            else "请问您要办理的是什么事项？例如“办社保卡”“补身份证”。"
        )
        return Reply(text=msg, speech=msg, intent=intent)

    # ------------------------------------------------------------------ personalised guide
    def _guide_start(
        self,
        session_id: str,
        text: str,
        state: DialogueState,
        intent: IntentResult,
        hits: list[tuple[str, float]],
    ) -> Reply:
        facts = self._matter(intent, hits, state)
        if facts is None:
            return self._unknown(session_id, text, "guide")
        if "打印" in text and state.guide_matter is None and facts.id in state.answers:
            guide = build_guide(facts, state.answers[facts.id], self._profile(state))
            return Reply(
                text="好的，正在为您打印办事指南。",
                speech="好的，正在为您打印办事指南。",
                intent="guide",
                matter_id=facts.id,
                cards=[guide_card(guide)],
                actions=[Action(type="PrintGuide", target=facts.id, label=facts.name)],
                citations=[citation(facts)],
            )
        return self._guide_next(state, facts, prefix="")

    def _guide_next(self, state: DialogueState, facts: MatterFacts, prefix: str) -> Reply:
        answers = state.answers.setdefault(facts.id, {})
        question = next_question(facts, answers, self._profile(state))
        if question is not None:
            state.guide_matter, state.guide_question = facts.id, question.id
            options = "、".join(label for _, label in question.options)
            msg = f"{prefix}{question.question}（{options}）"
            return Reply(
                text=msg,
                speech=speech_of(msg),
                intent="guide",
                matter_id=facts.id,
                cards=[
                    Card(
                        type="question",
                        title=question.question,
                        data={"situation": question.id, "options": question.options},
                    )
                ],
                citations=[citation(facts)],
            )
        state.guide_matter = state.guide_question = None
        guide = build_guide(facts, answers, self._profile(state))
        state.answers[facts.id] = dict(answers)
        state.last_intent = "ask_materials"
        text = prefix + guide_text(guide)
        actions = [Action(type="PrintGuide", target=facts.id, label=facts.name)] if "打印" in prefix else []
        return Reply(
            text=text,
            speech=speech_of(text),
            intent="guide",
            matter_id=facts.id,
            cards=[guide_card(guide)],
            actions=actions,
            citations=[citation(facts)],
        )

    def _guide_answer(self, text: str, state: DialogueState, intent: IntentResult) -> Reply | None:
        facts = self.knowledge.matter(state.guide_matter or "")
        sit = next((s for s in facts.situations if s.id == state.guide_question), None)
        value = parse_option(sit, text) if sit else None
        if value is None or sit is None:
            if intent.intent in ("out_of_scope", "chitchat", "follow_up") and sit is not None:
                options = "、".join(label for _, label in sit.options)
                msg = f"没有听明白，请问{sit.question}可以回答：{options}。"
                return Reply(text=msg, speech=speech_of(msg), intent="guide", matter_id=facts.id)
            state.guide_matter = state.guide_question = None  # the citizen moved on
            return None
        state.answers.setdefault(facts.id, {})[sit.id] = value
        return self._guide_next(state, facts, prefix="")
