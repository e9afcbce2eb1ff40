from corpus.loader import Corpus
from dialogue.base import MatterFinder
from dialogue.finder import LexicalMatterFinder, RetrieverMatterFinder
from dialogue.knowledge import CorpusKnowledge
from retrieval.documents import build_documents
from retrieval.hybrid import HybridRetriever
from retrieval.testing import FakeEmbedder
from retrieval.vector_index import FaissVectorIndex


def test_lexical_finder(knowledge: CorpusKnowledge) -> None:
    finder = LexicalMatterFinder(knowledge)
    assert isinstance(finder, MatterFinder)
    assert finder.search("补办身份证多少钱").hits[0][0] == "police.id_card"
    assert finder.search("给娃上户口去哪个窗口").hits[0][0] == "police.birth_hukou"
    assert finder.search("今天天气怎么样").out_of_scope


def test_retriever_adapter_over_the_hybrid_retriever(corpus: Corpus, knowledge: CorpusKnowledge) -> None:
    embedder = FakeEmbedder()
    docs = build_documents(corpus.matters)
    index = FaissVectorIndex(embedder.dim)
    index.upsert([d.id for d in docs], embedder.embed_passages([d.text for d in docs]))
    finder = RetrieverMatterFinder(HybridRetriever(embedder, index, docs), LexicalMatterFinder(knowledge))
    result = finder.search("社保卡丢了怎么补办")
    assert result.hits and result.hits[0][0] == "hrss.ss_card"
    assert all(0.0 <= s <= 1.0 for _, s in result.hits)


def test_retriever_failure_falls_back_to_lexical(knowledge: CorpusKnowledge) -> None:
    class Broken:
        def search(self, query: str, k: int = 5, *, expand: bool = True) -> object:
            raise RuntimeError("index not built")

    finder = RetrieverMatterFinder(Broken(), LexicalMatterFinder(knowledge))
    assert finder.search("补办身份证多少钱").hits[0][0] == "police.id_card"
