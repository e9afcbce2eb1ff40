"""Rasa action server module exposing GovGuide's skills to a Rasa assistant.

Run (loopback only)::

    SANIC_HOST=127.0.0.1 python -m rasa_sdk --actions dialogue.rasa_actions --port 5055

Actions: ``action_govguide_answer`` (grounded answers, bundles, dispatch, hand-off: the whole engine),
``action_govguide_guide`` (personalised guide), ``action_govguide_navigate`` (NavigateTo), and one
``FormValidationAction`` per sample form (``validate_ss_card_form``, ``validate_individual_business_form``)
that fills several slots from one message and validates them with ``dialogue.validators``.
Actions stay pure: they return events and messages through the dispatcher; the robot/API acts on the
``json_message`` actions. The sample domain is ``dialogue/rasa/domain.yml``.

rasa-sdk 3.21 pins pydantic < 2.14 and websockets < 16, so it runs in its own environment (see the test).
The engine is built on first use from ``Settings`` (this module is an edge) unless ``configure`` was called.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from corpus.models import Form
from dialogue.base import Reply
from dialogue.engine import Engine
from dialogue.errors import FieldValidationError, UnknownMatterError
from dialogue.forms import extract_slots
from dialogue.validators import validate_field

_runtime: dict[str, Engine] = {}  # the action server process's engine (rasa-sdk instantiates actions bare)


def configure(engine: Engine) -> None:
    """Use this engine for every action (tests and embedding apps)."""
    _runtime["engine"] = engine


def engine() -> Engine:
    """The configured engine, built from ``Settings`` on first use."""
    if "engine" not in _runtime:
        from corpus.loader import load_corpus
        from dialogue.finder import LexicalMatterFinder
        from dialogue.knowledge import CorpusKnowledge
        from dialogue.store import DialogueStore
        from govguide.config import Settings

        settings = Settings()
        knowledge = CorpusKnowledge(load_corpus(settings.corpus_dir))
        url = os.environ.get("GOVGUIDE_DIALOGUE_DB") or f"sqlite:///{settings.data_dir / 'dialogue.db'}"
        store = DialogueStore(url)
        store.seed_samples()
        _runtime["engine"] = Engine(knowledge, LexicalMatterFinder(knowledge), store)
    return _runtime["engine"]


def _send(dispatcher: CollectingDispatcher, reply: Reply) -> list[EventType]:
    dispatcher.utter_message(
        text=reply.text,
        json_message={
            "speech": reply.speech,
            "intent": reply.intent,
            "cards": [c.model_dump() for c in reply.cards],
            "actions": [a.model_dump() for a in reply.actions],
            "citations": [c.model_dump() for c in reply.citations],
        },
    )
    return [SlotSet("matter_id", reply.matter_id)] if reply.matter_id else []


def _text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


class ActionAnswer(Action):  # type: ignore[misc]
    def name(self) -> str:
        return "action_govguide_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return _send(dispatcher, engine().handle(tracker.sender_id, _text(tracker), "rasa"))


class ActionGuide(Action):  # type: ignore[misc]
    def name(self) -> str:
        return "action_govguide_guide"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        eng = engine()
        text = _text(tracker)
        matter_id = tracker.get_slot("matter_id")
        if matter_id and not eng.finder.search(text).hits:
            try:  # "帮我出个指南" with the matter already known from the slot
                text = f"帮我生成一份{eng.knowledge.matter(matter_id).name}的办事指南"
            except UnknownMatterError:
                pass
        return _send(dispatcher, eng.handle(tracker.sender_id, text, "rasa"))


class ActionNavigate(Action):  # type: ignore[misc]
    def name(self) -> str:
        return "action_govguide_navigate"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        target = next(tracker.get_latest_entity_values("place"), None) or next(
            tracker.get_latest_entity_values("window"), None
        )
        text = f"带我去{target}" if target else _text(tracker)
        return _send(dispatcher, engine().handle(tracker.sender_id, text, "rasa"))


class _CatalogueFormValidation(FormValidationAction):  # type: ignore[misc]
    """Extracts every field a message mentions and validates it; the schema comes from the catalogue."""

    form_id = ""
    matter_id = ""

    @abstractmethod
    def name(self) -> str:
        """Subclasses name themselves (abstract, so the executor does not register this base)."""

    def _form(self) -> Form:
        facts = engine().knowledge.matter(self.matter_id)
        return next(f for f in facts.forms if f.id == self.form_id)

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return [f.id for f in self._form().fields if f.required] or domain_slots

    def __getattr__(self, attr: str) -> Any:
        # rasa-sdk looks up extract_<slot> / validate_<slot>; one generic implementation serves every field.
        if attr.startswith("extract_"):
            return lambda dispatcher, tracker, domain: self._extract(attr[len("extract_") :], tracker)
        if attr.startswith("validate_") and attr != "validate":
            return lambda value, dispatcher, tracker, domain: self._validate(
                attr[len("validate_") :], value, dispatcher
            )
        raise AttributeError(attr)

    def _extract(self, slot: str, tracker: Tracker) -> dict[str, Any]:
        if tracker.get_slot(slot):
            return {}
        found = extract_slots(self._form(), _text(tracker), tracker.get_slot("requested_slot"))
        return {slot: found[slot]} if slot in found else {}

    def _validate(self, slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        field = next((f for f in self._form().fields if f.id == slot), None)
        if field is None or value is None:
            return {slot: value}
        try:
            return {slot: validate_field(field, str(value))}
        except FieldValidationError as e:
            dispatcher.utter_message(text=e.message)
            return {slot: None}


class ValidateSsCardForm(_CatalogueFormValidation):
    form_id = "form.ss_card"
    matter_id = "hrss.ss_card"

    def name(self) -> str:
        return "validate_ss_card_form"


class ValidateIndividualBusinessForm(_CatalogueFormValidation):
    form_id = "form.individual_business"
    matter_id = "market.individual_business"

    def name(self) -> str:
        return "validate_individual_business_form"
