"""The local ``transformers`` LLM path end to end, on a tiny random-weight model built in the test.

No hub, no network: a character-level tokenizer is built with ``tokenizers`` and a 2-layer GPT-2 with
random weights is saved to a temporary directory, then loaded through the settings path
(``GOVGUIDE_LLM__BACKEND=transformers``, ``GOVGUIDE_LLM__MODEL_PATH``) by the real
``TransformersChatModel``. Its output is junk, so the grounding post-check must drop it and the turn must
answer with the deterministic draft.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dialogue.answer import build_evidence
from dialogue.engine import Engine
from dialogue.finder import LexicalMatterFinder
from dialogue.knowledge import CorpusKnowledge
from dialogue.llm import SYSTEM_PROMPT, TransformersChatModel, build_chat_model, build_user_prompt
from dialogue.store import DialogueStore

pytest.importorskip("transformers")
TODAY = dt.date(2026, 11, 25)
QUESTION = "补办身份证多少钱"


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, knowledge: CorpusKnowledge) -> Path:
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    # Every character of a real prompt, so the model "speaks" the prompt's alphabet.
    ev = build_evidence(knowledge.matter("police.id_card"))
    text = SYSTEM_PROMPT + build_user_prompt(ev.facts_text, QUESTION, "") + "0123456789ABCDEFGHIJ回答："
    vocab = {"[UNK]": 0, "[PAD]": 1, "[EOS]": 2}
    for ch in sorted(set(text)):
        vocab.setdefault(ch, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")  # one char, one token
    tok.decoder = decoders.Fuse()  # characters back together without spaces
    out = tmp_path_factory.mktemp("tiny-gpt2")
    PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]"
    ).save_pretrained(out)
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(vocab),
        n_positions=2048,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=2,
        eos_token_id=2,
        pad_token_id=1,
    )
    GPT2LMHeadModel(config).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def chat(tiny_model_dir: Path) -> Iterator[TransformersChatModel]:
    from govguide.config import Settings

    with pytest.MonkeyPatch.context() as mp:  # module scope: the model loads once for these tests
        mp.setenv("GOVGUIDE_LLM__BACKEND", "transformers")
        mp.setenv("GOVGUIDE_LLM__MODEL_PATH", str(tiny_model_dir))
        mp.setenv("GOVGUIDE_LLM__MAX_NEW_TOKENS", "32")
        mp.setenv("HF_HUB_OFFLINE", "1")
        model = build_chat_model(Settings().llm)
    assert isinstance(model, TransformersChatModel)
    yield model


def test_tiny_local_model_generates(chat: TransformersChatModel, knowledge: CorpusKnowledge) -> None:
    ev = build_evidence(knowledge.matter("police.id_card"))
    raw = chat.complete(SYSTEM_PROMPT, build_user_prompt(ev.facts_text, QUESTION, "工本费20元。"), 10.0)
    # Real generation: new characters of the model's vocabulary (random weights, so no sentence).
    assert raw and len(raw) <= 32 and "[UNK]" not in raw


def test_junk_from_the_local_model_falls_back_to_the_deterministic_answer(
    chat: TransformersChatModel, knowledge: CorpusKnowledge
) -> None:
    def engine(model: TransformersChatModel | None) -> Engine:
        return Engine(knowledge, LexicalMatterFinder(knowledge), DialogueStore(), model, today=lambda: TODAY)

    plain = engine(None).handle("d", QUESTION)
    reply = engine(chat).handle("l", QUESTION)
    # The model answered (its output reached the post-check and was flagged), nothing of it was kept.
    assert reply.flagged and not reply.llm_used
    assert reply.text == plain.text and "工本费20元" in reply.text and reply.grounded
    assert all(re.match(r"^(离题|材料|窗口|时限|收费):", f) for f in reply.flagged)


def test_missing_local_model_directory_is_an_llm_error(tmp_path: Path) -> None:
    from dialogue.errors import LLMError
    from dialogue.llm import LLMSettings

    with pytest.raises(LLMError, match="not found"):
        build_chat_model(LLMSettings(backend="transformers", model_path=tmp_path / "absent"))
