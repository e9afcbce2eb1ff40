"""Real /webhook payloads against a running rasa-sdk action server (loopback, separate process).

rasa-sdk 3.21 pins pydantic < 2.14 and websockets < 16, so it lives in its own environment: set
GOVGUIDE_RASA_PYTHON to that interpreter (e.g. a venv with rasa-sdk==3.21.1, sqlalchemy, rapidfuzz,
pyyaml, pydantic-settings), or install rasa-sdk in the current one.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from dialogue.testing import REPO, assemble_corpus_dir

pytestmark = pytest.mark.slow


def _python() -> str:
    explicit = os.environ.get("GOVGUIDE_RASA_PYTHON")
    if explicit:
        return explicit
    if importlib.util.find_spec("rasa_sdk") is not None:
        return sys.executable
    pytest.skip(
        "rasa-sdk not installed here; set GOVGUIDE_RASA_PYTHON to an interpreter that has rasa-sdk==3.21.1"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    python = _python()
    tmp = tmp_path_factory.mktemp("rasa")
    corpus_dir = assemble_corpus_dir(tmp / "corpus")
    port = _free_port()
    env = {
        **os.environ,
        "SANIC_HOST": "127.0.0.1",
        "PYTHONPATH": str(REPO),
        "GOVGUIDE_CORPUS_DIR": str(corpus_dir),
        "GOVGUIDE_DATA_DIR": str(tmp / "data"),
        "GOVGUIDE_DIALOGUE_DB": f"sqlite:///{tmp / 'dialogue.db'}",
    }
    proc = subprocess.Popen(
        [python, "-m", "rasa_sdk", "--actions", "dialogue.rasa_actions", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=tmp,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            proc.kill()
            out = proc.stdout.read().decode() if proc.stdout else ""
            pytest.fail(f"action server did not start:\n{out[-2000:]}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


DOMAIN = yaml.safe_load((REPO / "dialogue" / "rasa" / "domain.yml").read_text(encoding="utf-8"))


def _post(
    url: str,
    action: str,
    text: str,
    sender: str = "s1",
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
) -> dict[str, Any]:
    slots = dict.fromkeys(DOMAIN["slots"]) | {"requested_slot": None} | (slots or {})
    tracker = {
        "sender_id": sender,
        "slots": slots,
        "latest_message": {"text": text, "intent": {}, "entities": []},
        "events": [{"event": "user", "text": text}],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    }
    body = json.dumps(
        {
            "next_action": action,
            "sender_id": sender,
            "tracker": tracker,
            "domain": DOMAIN,
            "version": "3.21.1",
        }
    ).encode()
    req = urllib.request.Request(f"{url}/webhook", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return dict(json.loads(r.read()))


def test_answer_action(action_server: str) -> None:
    out = _post(action_server, "action_govguide_answer", "补办身份证多少钱")
    assert "工本费20元" in out["responses"][0]["text"]
    assert out["responses"][0]["custom"]["citations"][0]["id"] == "police.id_card"
    assert {"event": "slot", "timestamp": None, "name": "matter_id", "value": "police.id_card"} in out[
        "events"
    ]


def test_navigate_action_uses_entities(action_server: str) -> None:
    sender = "nav"
    slots = dict.fromkeys(DOMAIN["slots"])
    tracker_text = "带我去那里"
    tracker = {
        "sender_id": sender,
        "slots": slots,
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
        "latest_message": {
            "text": tracker_text,
            "intent": {},
            "entities": [{"entity": "window", "value": "B01"}],
        },
    }
    body = json.dumps(
        {"next_action": "action_govguide_navigate", "sender_id": sender, "tracker": tracker, "domain": DOMAIN}
    ).encode()
    req = urllib.request.Request(
        f"{action_server}/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        out = json.loads(r.read())
    action = out["responses"][0]["custom"]["actions"][0]
    assert action == {"type": "NavigateTo", "target": "loc.win_b01", "label": "B01窗口"}


def test_guide_action_uses_matter_slot(action_server: str) -> None:
    out = _post(
        action_server,
        "action_govguide_guide",
        "帮我出个指南",
        sender="g",
        slots={"matter_id": "hrss.ss_card"},
    )
    assert "首次办理" in out["responses"][0]["text"]


def test_form_validation_fills_several_slots_and_rejects_bad_id(action_server: str) -> None:
    out = _post(
        action_server,
        "validate_ss_card_form",
        "我叫赵六，身份证511602199211084564，电话139 9087 6543",
        slots={"requested_slot": "name"},
        active_loop="ss_card_form",
    )
    got = {e["name"]: e["value"] for e in out["events"] if e["event"] == "slot"}
    assert (
        got["name"] == "赵六" and got["id_number"] == "511602199211084564" and got["phone"] == "13990876543"
    )
    assert "apply_kind" not in got  # not said: Rasa's own FormAction asks for it next
    out = _post(
        action_server,
        "validate_ss_card_form",
        "511602199211084565",
        slots={"requested_slot": "id_number", "name": "赵六"},
        active_loop="ss_card_form",
    )
    got = {e["name"]: e["value"] for e in out["events"] if e["event"] == "slot"}
    assert got["id_number"] is None and "校验位" in out["responses"][0]["text"]


def test_unknown_action_is_404(action_server: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as e:
        _post(action_server, "action_does_not_exist", "你好")
    assert e.value.code == 404
