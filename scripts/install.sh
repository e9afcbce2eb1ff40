#!/usr/bin/env bash
# One-step install for a fresh Debian/Ubuntu machine: system packages (when root or sudo is available),
# a Python 3.11 virtualenv in .venv, the CPU build of torch (pinned), and GovGuide with its dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."

# espeak-ng: Mandarin TTS; chromium + fonts-wqy-microhei: widget tests in a real browser (CJK font).
APT_PACKAGES=(espeak-ng chromium fonts-wqy-microhei)
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# An unpinned torch can pull a multi-GB CUDA build: take the pinned CPU build first.
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[dev,postgres]"
# The Rasa action server's own environment (see requirements-rasa.txt).
[ -x .venv-rasa/bin/python ] || "$PY" -m venv .venv-rasa
.venv-rasa/bin/python -m pip install -q -r requirements-rasa.txt
echo "installed: $(.venv/bin/govguide --help >/dev/null && echo 'govguide command ok')"
