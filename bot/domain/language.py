"""Cheap language guess: scripts first, then common words for the big Latin-script languages.

Enough to pick tone and knowledge language. Latin text with no clear common-word majority
(a product name, "ok", an order number) keeps the store's language.
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)  # letters only: order numbers do not count
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)

# Function words: frequent, short, and rarely shared between these languages.
_COMMON_WORDS = {
    "en": "the is are my you your i it and to of for with where when how what can do does "
    "have has was not this that please order thanks",
    "fr": "le la les est je mon ma mes vous votre et pour avec où quand comment pas une des "
    "du ce cette merci commande bonjour",
    "de": "der die das ist ich mein meine sie ihr und für mit wo wann wie nicht ein eine "
    "bitte danke bestellung hallo",
    "es": "el la los las es mi mis usted su y para con dónde donde cuándo cómo no una por "
    "gracias pedido hola qué",
    "it": "il lo la gli le è mio mia voi vostro e per con dove quando come non una grazie "
    "ordine ciao sono",
    "pt": "o a os as é meu minha você seu e para com onde quando como não uma obrigado "
    "obrigada pedido olá",
    "nl": "de het is mijn jij u uw en voor met waar wanneer hoe niet een bedankt bestelling "
    "hallo ik",
}
_WORD_SETS = {lang: frozenset(words.split()) for lang, words in _COMMON_WORDS.items()}


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
    return _latin_language(text) or default


def _latin_language(text: str) -> str | None:
    words = [w.lower() for w in _WORD.findall(text)]
    counts = {lang: sum(w in vocab for w in words) for lang, vocab in _WORD_SETS.items()}
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    # Two hits and a clear lead: one shared word ("de", "la") decides nothing.
    return best if top >= 2 and top > second else None
