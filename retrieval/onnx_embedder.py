"""The sentence-transformers model run by ONNX Runtime (int8): the served default embedder.

Same model directory, same tokenizer, same mean pooling and prompts as ``SentenceTransformerEmbedder``;
only the transformer runs in ONNX Runtime with int8 weights instead of torch. On the 2-core machine a
question embeds in ~7 ms instead of ~13 ms (torch int8), and the embedding is most of a query's time.
The ONNX file is exported once from the local model directory (``ensure_onnx_model``) and kept inside it,
so nothing is downloaded and the sentence-transformers directory stays the single source of the model.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np

from retrieval.errors import ModelBuildError
from retrieval.model_build import PASSAGE_PROMPT, QUERY_PROMPT

ONNX_FILE = Path("onnx") / "model_qint8.onnx"  # inside the sentence-transformers directory
MAX_TOKENS = 512


def ensure_onnx_model(model_dir: Path) -> Path:
    """The int8 ONNX export of ``model_dir``'s transformer, exporting it on first use (~1 minute).

    Raises:
        ModelBuildError: the model cannot be loaded, exported or quantised.
    """
    target = Path(model_dir) / ONNX_FILE
    if target.exists():
        return target
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        transformer = cast(torch.nn.Module, st[0].auto_model)
        transformer.eval()

        class _Encoder(torch.nn.Module):  # positional inputs for the exporter
            def __init__(self) -> None:
                super().__init__()
                self.m = transformer

            def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
                return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

        sample = st.tokenizer(["query: 护照"], return_tensors="pt")
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            fp32 = Path(tmp) / "model.onnx"
            axes = {0: "batch", 1: "tokens"}
            # The tracer warns about Python control flow in the model; the export is checked against
            # the torch model's vectors (tests/retrieval/test_model_build.py), so silence it here.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    _Encoder(),
                    (sample["input_ids"], sample["attention_mask"]),
                    str(fp32),
                    input_names=["input_ids", "attention_mask"],
                    output_names=["last_hidden_state"],
                    dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                    opset_version=17,
                    dynamo=False,
                )
            q8 = Path(tmp) / "model_qint8.onnx"
            quantize_dynamic(str(fp32), str(q8), weight_type=QuantType.QInt8)
            os.replace(q8, target)  # atomic: a half-written file is never loaded
    except (OSError, ValueError, RuntimeError, ImportError) as e:
        raise ModelBuildError(f"exporting {model_dir} to ONNX failed: {e}") from e
    return target


class OnnxEmbedder:
    """``Embedder`` over a sentence-transformers directory (Transformer -> mean pooling -> normalise)."""

    def __init__(self, model_dir: Path, *, threads: int = 1, batch_size: int = 32) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        if pooling.get("pooling_mode") != "mean":  # the only pooling this runner implements
            raise ModelBuildError(f"{model_dir}: pooling {pooling.get('pooling_mode')!r}, expected mean")
        self.dim = int(pooling["embedding_dimension"])
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(ensure_onnx_model(model_dir)), options, providers=["CPUExecutionProvider"]
        )
        self._batch_size = batch_size
        self.name = f"{model_dir.name}-onnx-int8"

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for start in range(0, len(texts), self._batch_size):
            batch = self._tokenizer.encode_batch(list(texts[start : start + self._batch_size]))
            width = max(len(e.ids) for e in batch)
            ids = np.zeros((len(batch), width), np.int64)
            mask = np.zeros((len(batch), width), np.int64)
            for i, e in enumerate(batch):
                ids[i, : len(e.ids)] = e.ids
                mask[i, : len(e.ids)] = 1
            (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out[start : start + len(batch)] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([QUERY_PROMPT + t for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([PASSAGE_PROMPT + t for t in texts])
