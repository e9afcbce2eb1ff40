"""Real-browser tests: headless Debian Chromium driven by Playwright against a live uvicorn server.

Screenshots go to artifacts/browser/ (git-ignored). Never `playwright install`: the system chromium is used.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium fonts-wqy-microhei)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_url(graph_runtime: Any) -> Iterator[str]:
    import uvicorn

    from api.app import create_app

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(graph_runtime.settings, runtime=graph_runtime),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 414, "height": 860}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    try:
        yield pg
    finally:
        context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def ask(page: Any, text: str) -> None:
    turns = int(page.get_attribute("#gg-app", "data-turns") or 0)
    page.fill("[data-testid=input]", text)
    page.click("[data-testid=send]")
    page.wait_for_function(f"Number(document.getElementById('gg-app').dataset.turns || 0) > {turns}")


def click_and_wait(page: Any, selector: str) -> None:
    """Click the newest such button and wait for the reply it triggers."""
    turns = int(page.get_attribute("#gg-app", "data-turns") or 0)
    page.locator(selector).last.click()
    page.wait_for_function(f"Number(document.getElementById('gg-app').dataset.turns || 0) > {turns}")


def last_bot(page: Any) -> str:
    return str(page.locator("[data-testid=bot-message]").last.inner_text())


def test_question_streams_an_answer_with_cards(page: Any, live_url: str) -> None:
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    page.goto(f"{live_url}/static/chat.html")
    ask(page, "补办身份证要带什么材料")
    assert "居民户口簿" in last_bot(page)
    assert page.locator("[data-testid=card-material_checklist]").count() == 1
    sentences = [f for f in frames if '"type":"sentence"' in f.replace(" ", "")]
    assert sentences, "the answer was not streamed sentence by sentence"
    assert any('"type":"done"' in f.replace(" ", "") for f in frames)
    shot(page, "01-streamed-answer")


def test_fill_a_form_through_chat(page: Any, live_url: str) -> None:
    page.goto(f"{live_url}/static/chat.html")
    ask(page, "帮我填社保卡申请表")
    assert page.locator("[data-testid=card-form_state]").count() == 1
    ask(page, "我叫王建国，身份证号511602198503151234，电话13881234567")
    ask(page, "补领")
    ask(page, "地址是云溪县城南街道政务路12号")
    assert "已填好" in last_bot(page)
    click_and_wait(page, "[data-testid=form-submit]")
    assert "实名认证" in last_bot(page)
    # Submitting needs 实名认证: the widget offers it (the development identity provider stands in for
    # the portal's), then the verified citizen's data is offered and the citizen confirms and submits.
    click_and_wait(page, "[data-testid=verify]")
    assert "实名认证成功" in last_bot(page)
    page.locator("[data-testid=form-submit]").last.click()
    page.wait_for_selector("[data-testid=card-case]")
    assert "受理编号" in page.locator("[data-testid=card-case]").inner_text()
    shot(page, "02-form-submitted")


def test_elderly_mode_enlarges_text(page: Any, live_url: str) -> None:
    page.goto(f"{live_url}/static/chat.html")
    font_js = "parseFloat(getComputedStyle(document.querySelector('[data-testid=bot-message]')).fontSize)"

    def size() -> float:
        return float(page.evaluate(font_js))

    normal = size()
    page.click("[data-testid=elderly-toggle]")
    assert page.get_attribute("[data-testid=elderly-toggle]", "aria-pressed") == "true"
    assert size() >= normal * 1.3
    ask(page, "社保卡在哪里办")
    assert page.locator("[data-testid=card-map]").count() == 1
    shot(page, "03-elderly-mode")
    page.reload()  # the choice is remembered
    assert page.get_attribute("[data-testid=elderly-toggle]", "aria-pressed") == "true"


def test_widget_embeds_with_one_script_tag(page: Any, live_url: str) -> None:
    page.goto(f"{live_url}/static/embed-demo.html")
    page.click("[data-testid=govguide-launcher]")
    frame = page.frame_locator("[data-testid=govguide-frame]")
    frame.locator("[data-testid=input]").fill("结婚登记要带什么")
    frame.locator("[data-testid=send]").click()
    frame.locator("[data-testid=card-material_checklist]").wait_for()
    shot(page, "04-embedded-widget")


def test_curator_edit_is_reflected_in_the_next_answer(page: Any, browser: Any, live_url: str) -> None:
    page.goto(f"{live_url}/console")
    page.fill("[data-testid=login-user]", "admin")
    page.fill("[data-testid=login-pass]", "admin-pass-123")
    page.click("[data-testid=login-submit]")
    page.wait_for_selector("[data-testid=who]:has-text('admin')")
    page.fill("[data-testid=search-q]", "结婚登记")
    page.click("[data-testid=search-go]")
    page.locator("[data-testid=search-results] button").first.click()
    page.wait_for_selector("[data-testid=edit-id]:has-text('civil.marriage')")
    page.fill("[data-testid=f-fee]", "工本费9元（测试）")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=save-status]:has-text('已保存')")
    page.fill("[data-testid=try-q]", "结婚登记要钱吗")
    page.click("[data-testid=try-go]")
    page.wait_for_selector("[data-testid=try-answer]:has-text('9元')")
    shot(page, "05-curator-console")
    widget = browser.new_page()
    widget.goto(f"{live_url}/static/chat.html")
    ask(widget, "结婚登记要钱吗")
    assert "工本费9元" in last_bot(widget)
    shot(widget, "06-widget-after-edit")
    widget.close()
