"""Fixtures: a tiny corpus (shared base files + tests/data/dialogue) and its Knowledge."""

from __future__ import annotations

import pytest

from corpus.loader import Corpus, load_corpus
from dialogue.knowledge import CorpusKnowledge
from dialogue.testing import assemble_corpus_dir


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return load_corpus(assemble_corpus_dir(tmp_path_factory.mktemp("corpus")))


@pytest.fixture(scope="session")
def knowledge(corpus: Corpus) -> CorpusKnowledge:
    return CorpusKnowledge(corpus)
