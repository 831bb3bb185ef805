"""Log lines never carry customers' emails, phones, card numbers or addresses."""

from __future__ import annotations

import logging

from bot.domain.pii import mask_pii


class PiiMaskingFilter(logging.Filter):
    """Formats the record's message once, masked; handlers then print it as is."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a broken format string is logging's own problem to report
        record.msg, record.args = mask_pii(message), None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """On every handler of the logger (root by default), once."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, PiiMaskingFilter) for f in handler.filters):
            handler.addFilter(PiiMaskingFilter())
