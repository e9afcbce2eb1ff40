# One task runner for developers and CI (.ci/run calls the same targets).
PY := .venv/bin/python
GOVGUIDE := .venv/bin/govguide

.PHONY: install run test lint types eval bench serve

install:          ## fresh machine: system packages, .venv, torch (CPU, pinned), GovGuide + dev tools
	bash scripts/install.sh

run:              ## the main job on the embedded defaults
	$(GOVGUIDE) demo

test:             ## the whole test suite (the Rasa action server runs from .venv-rasa)
	GOVGUIDE_RASA_PYTHON=$(CURDIR)/.venv-rasa/bin/python $(PY) -m pytest -q

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

types:
	.venv/bin/mypy graph corpus retrieval dialogue voice robot api govguide

eval:
	$(GOVGUIDE) eval retrieval && $(GOVGUIDE) eval dialogue

bench:
	$(GOVGUIDE) bench graph
