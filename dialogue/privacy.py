"""Mask personal data (ID numbers, phones) in any text, and a logging Filter that does it for every record."""

from __future__ import annotations

import logging
import re

# 18-digit ID (last may be X) and 15-digit legacy IDs, not inside a longer digit run.
_ID = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)|(?<!\d)(\d{6})\d{6}(\d{3})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}-?)\d{3,4}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """Replace the middle of ID numbers and phone numbers: 511602********1234, 138****5678."""

    def _id(m: re.Match[str]) -> str:
        if m.group(1):
            return f"{m.group(1)}********{m.group(2)}"
        return f"{m.group(3)}******{m.group(4)}"

    text = _ID.sub(_id, text)
    text = _MOBILE.sub(r"\1****\2", text)
    return _LANDLINE.sub(r"\1****\2", text)


class MaskingFilter(logging.Filter):
    """Rewrites each record's message with ``mask_text`` (attach to handlers that leave the process)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install_masking(logger: logging.Logger | None = None) -> MaskingFilter:
    """Add a ``MaskingFilter`` to every handler of ``logger`` (root by default) and return it."""
    target = logger or logging.getLogger()
    flt = MaskingFilter()
    for handler in target.handlers:
        handler.addFilter(flt)
    target.addFilter(flt)
    return flt
