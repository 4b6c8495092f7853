"""Elements of a JSON array read one at a time, so that a damaged element costs only itself.

Role: PeeringDB responses and Spoofer pages are single JSON documents, and ``json.loads`` of a
document with one bad line loses the whole file. :func:`array_elements` decodes the elements
of one array in turn; after an element that does not decode it skips to that element's end
(brackets counted outside strings; a JSON string never spans a line, so a stray quote only
reaches the end of its line) and goes on with the next one.

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
    """Where reading resumes after the damaged element or stray text at ``pos``."""
    if text[pos] not in _OPEN:
        stray = _STRAY_END.search(text, pos + 1)
        return stray.start() if stray else None
    depth, in_string, i = 0, False, pos
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
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None
