"""A flat WeCom XML document read safely: no DTD, no entities, nothing nested deeper.

WeCom's callbacks are one `<xml>` element with simple children; a document declaring a DTD
or entities is refused outright (the expansion and external-entity attacks need one), so no
third-party parser is needed for this one shape.
"""

from __future__ import annotations

from xml.parsers import expat

MAX_DEPTH = 3


class MalformedXml(Exception):
    """Not a flat WeCom XML document."""


def parse_fields(data: bytes) -> dict[str, str]:
    """The root's children as {tag: text}; nested children (e.g. `SelectedItems`) skipped."""
    fields: dict[str, str] = {}
    stack: list[str] = []
    text: list[str] = []

    def refuse(*_args: object) -> None:
        raise MalformedXml("DTDs and entities are not accepted")

    def start(name: str, _attrs: object) -> None:
        if len(stack) >= MAX_DEPTH:
            raise MalformedXml("nested too deeply")
        stack.append(name)
        text.clear()

    def end(name: str) -> None:
        if len(stack) == 2:
            fields[name] = "".join(text)
        stack.pop()
        text.clear()

    def chars(data: str) -> None:
        text.append(data)

    parser = expat.ParserCreate(encoding="utf-8")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as problem:
        raise MalformedXml(f"not well-formed XML: {problem}") from None
    return fields
