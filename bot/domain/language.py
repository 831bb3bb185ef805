"""Cheap script-based language guess: enough to pick tone and knowledge language."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)  # letters only: order numbers do not count


def detect_language(text: str, default: str = "en") -> str:
    letters = len(_LETTER.findall(text)) or 1
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    if len(_CJK.findall(text)) / letters >= 0.2:
        return "zh"
    if len(_CYRILLIC.findall(text)) / letters >= 0.3:
        return "ru"
    return default
