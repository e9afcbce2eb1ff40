"""Printable PDF of an HTML page through headless Chromium (``--print-to-pdf``), when it is installed.

Chromium renders the same page the citizen sees, with the CJK font from fonts-wqy-microhei, so no
second layout engine is needed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from api.errors import Unavailable

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--no-pdf-header-footer",
)


def chromium_path() -> str | None:
    for c in CHROMIUM_CANDIDATES:
        found = shutil.which(c)
        if found:
            return found
    return None


def html_to_pdf(html: str, timeout_s: float = 30.0) -> bytes:
    """Render ``html`` to PDF bytes. Raises ``Unavailable`` without Chromium or when rendering fails."""
    exe = chromium_path()
    if exe is None:
        raise Unavailable(
            "PDF rendering needs Chromium (Debian package chromium); the HTML guide is available"
        )
    with tempfile.TemporaryDirectory(prefix="gg-pdf-") as tmp:
        src, out = Path(tmp) / "guide.html", Path(tmp) / "guide.pdf"
        src.write_text(html, encoding="utf-8")
        cmd = [exe, *FLAGS, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}", src.as_uri()]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as e:
            raise Unavailable("PDF rendering timed out") from e
        if not out.exists() or out.stat().st_size == 0:
            raise Unavailable("PDF rendering failed")
        return out.read_bytes()
