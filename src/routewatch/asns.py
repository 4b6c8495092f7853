"""AS numbers as people and files write them: the one parser every stage uses.

Role: turn ``64500``, ``"64500"``, ``"AS64500"`` / ``"as64500"`` or asdot ``"AS1.10"`` /
``"1.10"`` (RFC 5396: high and low 16 bits, = 65546) into an integer in 0 … 4,294,967,295
(RFC 6793). Reference loaders (RPSL, RPKI JSON/CSV, CAIDA, MANRS), the CLI and the web API's
parameters all call :func:`parse_asn`, so one input means one AS everywhere. A format that
fixes the notation says so with :class:`Notation`: RPSL requires ``AS<number>``
(``origin: AS64500``), CAIDA's files hold plain numbers only.

Inputs: a Python ``int`` or text (surrounding white space ignored). Output: an ``int``.

Failure modes: :class:`ValueError` whose message starts ``not an ASN:``, names the value and
says what was expected, for anything else — ``bool``, negative or larger numbers, asdot halves
above 65535, signs, inner spaces, non-ASCII digits such as ``"²"``, or more digits than any AS
number has (refused before converting, so a huge string costs nothing). Callers turn it into
their own error (a problem line with ``file:line``, a 400 answer).
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["MAX_ASN", "Notation", "parse_asn"]

#: The largest AS number (32 bits, RFC 6793).
MAX_ASN = 0xFFFFFFFF

_AS_OR_ASDOT = re.compile(r"(AS)?([0-9]{1,10})(?:\.([0-9]{1,5}))?", re.IGNORECASE | re.ASCII)


class Notation(StrEnum):
    """Which ways of writing an AS number a format allows; the value says it to people."""

    ANY = "an AS number such as 64500, AS64500 or AS1.10"
    #: RPSL (RFC 2622): ``AS64500`` or asdot ``AS1.10``
    AS_PREFIX = "an AS number written AS<number>, as RPSL requires"
    #: digits only (RFC 5396 asplain), as CAIDA writes them
    ASPLAIN = "an AS number written as plain digits, e.g. 64500"


def parse_asn(value: object, *, notation: Notation = Notation.ANY) -> int:
    """The AS number ``value`` names, written in ``notation``; ValueError for anything else."""
    numbers_allowed = notation is not Notation.AS_PREFIX
    if isinstance(value, int) and not isinstance(value, bool) and numbers_allowed:
        return _in_range(value, value)
    text = value.strip() if isinstance(value, str) else ""
    if numbers_allowed and text.isascii() and text.isdigit() and len(text) <= 10:
        return _in_range(int(text), value)  # the common case, without the regular expression
    match = _AS_OR_ASDOT.fullmatch(text)
    if (
        match is None
        or (notation is Notation.AS_PREFIX and match[1] is None)
        or (notation is Notation.ASPLAIN and (match[1] is not None or match[3] is not None))
    ):
        raise ValueError(f"not an ASN: {value!r} (expected {notation.value})")
    high, low = int(match[2]), match[3]
    if low is not None and (high > 0xFFFF or int(low) > 0xFFFF):
        raise ValueError(f"not an ASN: {value!r} (out of range: each half of an asdot AS number "
                         "is 0 to 65535)")  # fmt: skip
    return _in_range(high * 65536 + int(low) if low is not None else high, value)


def _in_range(number: int, value: object) -> int:
    if not 0 <= number <= MAX_ASN:
        raise ValueError(f"not an ASN: {value!r} (out of range: an AS number is 0 to {MAX_ASN})")
    return number
