"""GovGuide dialogue: the engine that turns a citizen's utterance into a grounded ``Reply``.

Modules: ``engine`` (one turn), ``intents`` / ``context`` (what was asked, about which matter),
``answer`` / ``grounding`` / ``llm`` (what is said and why it is true), ``guide`` (个性化指南),
``forms`` / ``identity`` / ``validators`` (边聊边办), ``dispatch`` (work orders), ``store`` /
``privacy`` (persistence, masking), ``knowledge`` / ``graph_knowledge`` / ``finder`` (backends),
``rasa_actions`` (Rasa adapter).
"""

from dialogue.base import (
    Action,
    Card,
    ChatModel,
    Citation,
    FinderResult,
    Knowledge,
    MatterFacts,
    MatterFinder,
    Reply,
    StreamEvent,
)
from dialogue.engine import Engine
from dialogue.errors import DialogueError, FieldValidationError, LLMError, StoreError, UnknownMatterError
from dialogue.store import DialogueStore

__all__ = [
    "Action",
    "Card",
    "ChatModel",
    "Citation",
    "DialogueError",
    "DialogueStore",
    "Engine",
    "FieldValidationError",
    "FinderResult",
    "Knowledge",
    "LLMError",
    "MatterFacts",
    "MatterFinder",
    "Reply",
    "StoreError",
    "StreamEvent",
    "UnknownMatterError",
]
