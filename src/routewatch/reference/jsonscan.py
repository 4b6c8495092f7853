"""Elements of a JSON array read one at a time, so that a damaged element costs only itself.

Role: PeeringDB responses and Spoofer pages are single JSON documents, and ``json.loads`` of a
document with one bad line loses the whole file. :func:`array_elements` decodes the elements
of one array in turn; after an element that does not decode it skips to that element's end
(brackets counted outside strings; a JSON string never spans a line, so a stray quote only
reaches the end of its line), or to the next element laid out like it (same indentation,
same bracket) if that comes first (an element cut short never closes), and goes on.

Inputs: the document text and the offset just after the array's ``[``. Outputs: (1-based line,
decoded value) per element. Failure modes: nothing is raised; each skipped element or stray
text becomes a :class:`~routewatch.reference.base.LineProblem` with its line; damage after
which no element ends (a cut-off document) ends the array with one problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from routewatch.reference.base import LineProblem

__all__ = ["array_elements", "array_start"]

_SEPARATORS = " \t\r\n,"
_OPEN, _CLOSE = "{[", "}]"
_STRAY_END = re.compile(r"[\n{\[\]]")


def array_start(text: str, key: str) -> int | None:
    """The offset just after ``"key": [`` in ``text`` (the first such array), or None."""
    match = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text)
    return match.end() if match else None


def array_elements(
    text: str, start: int, file: str, problems: list[LineProblem]
) -> Iterator[tuple[int, object]]:
    """(line, value) of each element of the array whose first element may start at ``start``."""
    decoder = json.JSONDecoder()
    pos, line, counted = start, 1 + text.count("\n", 0, start), start
    while True:
        while pos < len(text) and text[pos] in _SEPARATORS:
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            end = _skip(text, pos)
            if end is None:
                problems.append(
                    LineProblem(file, line, f"malformed JSON, rest of the array skipped: {exc.msg}")
                )
                return
            what = "element" if text[pos] in _OPEN else "text"
            problems.append(LineProblem(file, line, f"malformed JSON {what} skipped: {exc.msg}"))
            pos = end
            continue
        yield line, value


def _skip(text: str, pos: int) -> int | None:
    """Where reading resumes after the damaged element or stray text at ``pos``.

    An element is skipped to its closing bracket, or to the start of the next sibling if that
    comes first: an element cut short (a lost line, a file joined from two) never closes, and
    counting brackets alone would run through every later element to the array's end.
    """
    if text[pos] not in _OPEN:
        stray = _STRAY_END.search(text, pos + 1)
        return stray.start() if stray else None
    closed = _closing(text, pos)
    sibling = _next_sibling(text, pos)
    if sibling is not None and (closed is None or sibling < closed):
        return sibling
    return closed


def _closing(text: str, pos: int) -> int | None:
    """Just after the bracket that closes the one at ``pos`` (brackets counted outside
    strings); at a closing bracket of the other kind, that bracket (it closes what holds the
    element, which was cut short); None if it never closes."""
    opened: list[str] = []
    in_string, i = False, pos
    while i < len(text):
        char = text[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char in '"\n':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in _OPEN:
            opened.append(_CLOSE[_OPEN.index(char)])
        elif char in _CLOSE:
            if char != opened.pop():
                return i
            if not opened:
                return i + 1
        i += 1
    return None


def _next_sibling(text: str, pos: int) -> int | None:
    """The start of the next element laid out like the one at ``pos``: a later line that
    begins with the same indentation (and separators) and the same bracket. None when the
    element does not begin its line (a document on one line has no layout to go by)."""
    line_start = text.rfind("\n", 0, pos) + 1
    lead = text[line_start:pos]
    if lead.strip(_SEPARATORS):
        return None
    found = text.find("\n" + lead + text[pos], pos)
    return None if found < 0 else found + 1 + len(lead)
