"""Knowledge files in and out: Markdown folders with front matter, CSV and JSON.

Reading never stops at a bad entry: each problem is reported with file, line and reason,
and every good entry still comes through. Writing emits every field, so exporting and
importing again changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from knowledge.articles import ArticleRecord, QAPair, Status, path_slug, question_slug

FORMATS = ("md", "csv", "json")
SCOPE_FIELDS = ("store", "brand", "region", "language", "campaign")
_FIELDS = {
    "id", "title", "topic", "body", "question", "answer", "qa", "variables", "status",
    "valid_from", "valid_until", "author", "approver", *SCOPE_FIELDS,
}  # fmt: skip
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Defaults:
    """Scope given on the command line; a file's own fields win over these."""

    store: str | None = None
    brand: str | None = None
    region: str | None = None
    language: str | None = None
    campaign: str | None = None
    author: str = ""


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class ReadResult:
    articles: list[ArticleRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # (file, line) of each article, so a later refusal (unknown store, duplicate id) can
    # still name where the entry came from.
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)


class EntryError(ValueError):
    pass


def source_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".md", ".csv", ".json")
    )


@dataclass(frozen=True)
class ReadProgress:
    """Where reading stands: the file being read, its rows, and the totals so far."""

    file: str
    file_number: int
    files_total: int
    rows_done: int
    rows_total: int  # entries in this file (a Markdown file is one)
    articles: int
    problems: int

    @property
    def fraction(self) -> float:
        within = self.rows_done / self.rows_total if self.rows_total else 1.0
        return (self.file_number - 1 + within) / max(self.files_total, 1)


ReadProgressCallback = Callable[[ReadProgress], None]
ROW_STEP = 50  # rows between reports inside one file: a big CSV moves, a small one is quiet


def read_files(
    files: list[Path],
    root: Path,
    defaults: Defaults,
    progress: ReadProgressCallback | None = None,
) -> ReadResult:
    result = ReadResult()
    for number, file in enumerate(files, start=1):
        entries = _entries_of(file, root, result)
        for done, (line, raw, problem) in enumerate(entries):
            if progress is not None and done and done % ROW_STEP == 0:
                progress(_where(file, number, len(files), done, len(entries), result))
            _take_entry(file, root, defaults, result, line, raw, problem)
        if progress is not None:
            progress(_where(file, number, len(files), len(entries), len(entries), result))
    return result


def _where(
    file: Path, number: int, files: int, done: int, rows: int, result: ReadResult
) -> ReadProgress:
    return ReadProgress(
        str(file), number, files, done, rows, len(result.articles), len(result.problems)
    )


def _entries_of(
    file: Path, root: Path, result: ReadResult
) -> list[tuple[int, dict[str, Any], str | None]]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        result.problems.append(Problem(str(file), 0, f"cannot be read: {problem}"))
        return []
    suffix = file.suffix.lower()
    if suffix == ".md":
        return [(1, *_markdown_entry(text, file, root))]
    if suffix == ".csv":
        return list(_csv_entries(text))
    return list(_json_entries(text))


def _take_entry(
    file: Path,
    root: Path,
    defaults: Defaults,
    result: ReadResult,
    line: int,
    raw: dict[str, Any],
    problem: str | None,
) -> None:
    name = str(file)
    if problem is None:
        try:
            article = article_from(raw, defaults, fallback_id=_fallback_id(file, root))
        except EntryError as refused:
            problem = str(refused)
        else:
            if article.id in result.origins:
                first = result.origins[article.id]
                problem = f"id {article.id} is already used at {first[0]}:{first[1]}"
            else:
                result.origins[article.id] = (name, line)
                result.articles.append(article)
                return
    result.problems.append(Problem(name, line, problem))


def _fallback_id(file: Path, root: Path) -> str:
    relative = file.relative_to(root) if file != root else Path(file.name)
    return "/".join(path_slug(p) for p in relative.with_suffix("").parts)


def _markdown_entry(text: str, file: Path, root: Path) -> tuple[dict[str, Any], str | None]:
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    body = text
    if match:
        try:
            loaded = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as problem:
            return {}, f"front matter is not valid YAML: {problem}"
        if not isinstance(loaded, dict):
            return {}, "front matter must be a mapping of fields"
        meta = loaded
        body = text[match.end() :]
    if "title" not in meta:
        first = body.lstrip().splitlines()[0] if body.strip() else ""
        if first.startswith("# "):
            meta["title"] = first[2:].strip()
            body = body.lstrip()[len(first) :]
        else:
            meta["title"] = file.stem.replace("-", " ").replace("_", " ")
    meta["body"] = body.strip()
    meta.setdefault("_path_id", True)
    return meta, None


def _csv_entries(text: str) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = {"question", "answer"} - set(header)
    if missing:
        yield 1, {}, f"CSV header needs columns question and answer (missing {sorted(missing)})"
        return
    unknown = set(header) - _FIELDS
    if unknown:
        yield 1, {}, f"unknown CSV columns {sorted(unknown)}"
        return
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as problem:
            yield reader.line_num, {}, f"malformed CSV: {problem}"
            return
        start, line = line + 1, reader.line_num
        if None in row:
            yield start, {}, "more cells than header columns"
            continue
        cleaned = {k.strip(): v for k, v in row.items() if v not in (None, "")}
        if "variables" in cleaned:
            try:
                cleaned["variables"] = json.loads(cleaned["variables"])
            except ValueError:
                yield start, {}, "variables: must be a JSON object"
                continue
        yield start, cleaned, None


def _json_entries(text: str) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    """Items of a JSON array (or of {"articles": [...]}) with the line each starts on."""
    decoder = json.JSONDecoder()
    try:
        whole = json.loads(text)
    except ValueError as problem:
        # Decode item by item, so the good items before a broken one still import.
        yield from _json_prefix(text, decoder, problem)
        return
    items = whole.get("articles") if isinstance(whole, dict) else whole
    if not isinstance(items, list):
        yield 1, {}, 'JSON must be an array of articles or {"articles": [...]}'
        return
    starts = _item_lines(text, decoder)
    for index, item in enumerate(items):
        line = starts[index] if index < len(starts) else 1
        if not isinstance(item, dict):
            yield line, {}, f"item {index + 1}: must be an object"
        else:
            yield line, item, None


def _item_lines(text: str, decoder: json.JSONDecoder) -> list[int]:
    position = text.find("[")
    lines: list[int] = []
    if position < 0:
        return lines
    position += 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            return lines
        lines.append(text.count("\n", 0, position) + 1)
        try:
            _, position = decoder.raw_decode(text, position)
        except ValueError:
            return lines


def _json_prefix(
    text: str, decoder: json.JSONDecoder, problem: ValueError
) -> Iterator[tuple[int, dict[str, Any], str | None]]:
    position = text.find("[")
    if position < 0:
        yield 1, {}, f"not valid JSON: {problem}"
        return
    position += 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        line = text.count("\n", 0, position) + 1
        if position >= len(text) or text[position] == "]":
            return
        try:
            item, position = decoder.raw_decode(text, position)
        except ValueError as broken:
            yield line, {}, f"not valid JSON: {broken.args[0].split(':')[0]}"
            return
        if isinstance(item, dict):
            yield line, item, None
        else:
            yield line, {}, "must be an object"


def article_from(raw: Mapping[str, Any], defaults: Defaults, fallback_id: str) -> ArticleRecord:
    unknown = set(raw) - _FIELDS - {"_path_id"}
    if unknown:
        raise EntryError(f"unknown fields {sorted(unknown)}")
    title = _text(raw, "title") or _text(raw, "question")
    body = _text(raw, "body") or _text(raw, "answer")
    if not title:
        raise EntryError("needs a title (or question)")
    if not body:
        raise EntryError("needs a body (or answer)")
    # A field the entry names wins, even empty ("all"); otherwise the command line's.
    scope = {
        name: (_text(raw, name) or None) if name in raw else getattr(defaults, name)
        for name in SCOPE_FIELDS
    }
    article_id = _text(raw, "id")
    if not article_id:
        prefix = scope["store"] or scope["brand"] or scope["region"] or "all"
        parts = [prefix, *([scope["campaign"]] if scope["campaign"] else [])]
        slug = fallback_id if raw.get("_path_id") else question_slug(title)
        article_id = "/".join([*parts, slug])
    valid_from, valid_until = _when(raw, "valid_from"), _when(raw, "valid_until")
    if valid_from and valid_until and valid_until <= valid_from:
        raise EntryError("valid_until must be after valid_from")
    status = _text(raw, "status") or Status.ACTIVE.value
    if status not in {s.value for s in Status}:
        raise EntryError(f"status must be one of {[s.value for s in Status]}")
    return ArticleRecord(
        id=article_id,
        version=0,
        store_id=scope["store"],
        language=scope["language"],
        title=title,
        body=body,
        brand=scope["brand"],
        region=scope["region"],
        campaign=scope["campaign"],
        topic=_text(raw, "topic"),
        qa=_qa(raw.get("qa")),
        variables=_variables(raw.get("variables")),
        status=Status(status),
        valid_from=valid_from,
        valid_until=valid_until,
        author=_text(raw, "author") or defaults.author,
        approver=_text(raw, "approver"),
        source="import",
    )


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise EntryError(f"{name}: must be text")
    return str(value).strip()


def _when(raw: Mapping[str, Any], name: str) -> datetime | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise EntryError(f"{name}: not an ISO date or time: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _qa(value: Any) -> tuple[QAPair, ...]:
    if value in (None, ""):
        return ()
    if not isinstance(value, list):
        raise EntryError("qa: must be a list of {question, answer}")
    pairs = []
    for item in value:
        if not isinstance(item, dict) or not item.get("question") or not item.get("answer"):
            raise EntryError("qa: each item needs a question and an answer")
        pairs.append(QAPair(str(item["question"]).strip(), str(item["answer"]).strip()))
    return tuple(pairs)


def _variables(value: Any) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise EntryError("variables: must be a mapping of names to text")
    return {str(k): str(v) for k, v in value.items()}


# --- writing -------------------------------------------------------------------------------


def fields_of(article: ArticleRecord) -> dict[str, Any]:
    """Every field an import reads, explicit, so a re-import yields the same content."""
    values: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "topic": article.topic,
        "store": article.store_id,
        "brand": article.brand,
        "region": article.region,
        "language": article.language,
        "campaign": article.campaign,
        "status": article.status.value,
        "valid_from": article.valid_from.isoformat() if article.valid_from else None,
        "valid_until": article.valid_until.isoformat() if article.valid_until else None,
        "author": article.author or None,
        "approver": article.approver or None,
        "qa": [{"question": p.question, "answer": p.answer} for p in article.qa] or None,
        "variables": dict(article.variables) or None,
    }
    # Scope fields are always written ("" = all), so a default given at re-import
    # cannot narrow them.
    return {
        k: ("" if v is None else v)
        for k, v in values.items()
        if v is not None or k in (*SCOPE_FIELDS, "store")
    }


def write_markdown(articles: list[ArticleRecord], folder: Path) -> list[Path]:
    written = []
    for article in articles:
        path = folder / (article.id.replace("\\", "_") + ".md")
        if not path.resolve().is_relative_to(folder.resolve()):
            raise ValueError(f"article id {article.id!r} would leave the export folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        front = yaml.safe_dump(fields_of(article), allow_unicode=True, sort_keys=False)
        path.write_text(f"---\n{front}---\n{article.body}\n", encoding="utf-8")
        written.append(path)
    return written


def write_csv(articles: list[ArticleRecord], path: Path) -> None:
    columns = ["id", "question", "answer", "topic", *SCOPE_FIELDS, "status",
               "valid_from", "valid_until", "author", "approver", "variables"]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for article in articles:
            if article.qa:
                raise ValueError(f"{article.id}: Q&A pairs do not fit CSV; export md or json")
            values = fields_of(article)
            values["question"] = values.pop("title")
            values["answer"] = article.body
            if "variables" in values:
                values["variables"] = json.dumps(values["variables"], ensure_ascii=False)
            writer.writerow(values)


def write_json(articles: list[ArticleRecord], path: Path) -> None:
    items = [{**fields_of(a), "body": a.body} for a in articles]
    path.write_text(
        json.dumps({"articles": items}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
