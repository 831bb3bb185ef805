"""Articles cut into search chunks that keep their headings with their text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.articles import ArticleRecord

MAX_CHARS = 800
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Chunk:
    article: ArticleRecord
    ordinal: int
    heading: str  # "Title › Section › Subsection": what the text is about
    text: str  # what a draft may quote

    @property
    def chunk_id(self) -> str:
        return f"{self.article.id}#{self.ordinal}"

    @property
    def search_text(self) -> str:
        """Embedded and full-text indexed: the heading path gives a short paragraph context."""
        return f"{self.heading}\n{self.text}"


def chunk_article(article: ArticleRecord, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """One chunk per Markdown section (split further at paragraphs when long), then one per
    Q&A pair. A body without headings is one section under the title."""
    pieces: list[tuple[str, str]] = []
    for path, text in _sections(article.title, article.body):
        pieces.extend((path, part) for part in _split(text, max_chars))
    pieces.extend((f"{article.title} › {pair.question}", pair.answer) for pair in article.qa)
    return [
        Chunk(article, ordinal, heading, text)
        for ordinal, (heading, text) in enumerate(p for p in pieces if p[1].strip())
    ]


def _sections(title: str, body: str) -> list[tuple[str, str]]:
    trail: list[tuple[int, str]] = []
    sections: list[tuple[str, str]] = []
    lines: list[str] = []

    def close() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append((" › ".join([title, *(h for _, h in trail)]), text))
        lines.clear()

    fenced = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        close()
        level = len(match.group(1))
        trail = [(lvl, h) for lvl, h in trail if lvl < level]
        trail.append((level, match.group(2)))
    close()
    return sections


def _split(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    parts: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        while len(paragraph) > max_chars:  # one very long paragraph: cut at a sentence end
            cut = max(paragraph.rfind(end, 0, max_chars) for end in (". ", "。", "！", "？", "\n"))
            cut = cut + 1 if cut > max_chars // 2 else max_chars
            if current:
                parts.append(current)
                current = ""
            parts.append(paragraph[:cut].strip())
            paragraph = paragraph[cut:].strip()
        if current and len(current) + len(paragraph) + 2 > max_chars:
            parts.append(current)
            current = paragraph
        else:
            current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        parts.append(current)
    return parts
