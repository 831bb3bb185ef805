"""Text every surface must refuse before it reaches storage or a customer."""

from __future__ import annotations


def is_valid_unicode(value: str) -> bool:
    """JSON can smuggle lone surrogates ("\\ud800") that no UTF-8 store or client accepts."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
