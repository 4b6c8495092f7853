"""What a network should fix for Action 4: which announced pairs, and what to do about each.

Role: the one rule and the one set of words behind "what to fix" — on the dashboard's network
page, in its JSON twin (``/api/v1/networks/{asn}``) and in ``routewatch report``. Readers of
the store select pairs with :data:`TO_FIX_SQL` in :data:`TO_FIX_ORDER_SQL` order and turn each
into advice with :func:`advise`.

The rule follows the scores (METHODOLOGY §5, Action 4). Over an AS's announced (prefix,
origin) pairs, ``M7RPKI = max(0, valid share − 10 × invalid share)`` and ``M7IRR = registered
share``. So *every* pair that is not RPKI-valid lowers M7RPKI — an invalid one through both
terms, a not-found one through the valid share (a network whose pairs are all not-found
scores 0) — and every pair that is not IRR-registered lowers M7IRR. A pair is to be fixed
exactly when ``rov_state <> 'valid' OR irr_state <> 'registered'``; leaving the not-found
pairs out (as the dashboard once did) hides the most common reason a network is not ready.
Pairs are listed invalid first (they cost eleven times their share), then not-found, then
pairs whose only problem is the IRR, each group by prefix.

The words name the RPKI reason exactly (RFC 6811 states, the reasons of routinator): ``as``
(ROAs cover the prefix for other ASes only), ``length`` (a ROA names this AS but does not
allow so long a prefix; a ROA for the announced prefix is advised over a longer maxLength,
RFC 9319), ``as-length`` (both); and the IRR state (no route object, or objects for other
origins only).

Pure; no failure modes (unknown states give no advice for that part).
"""

from __future__ import annotations

from dataclasses import dataclass

from routewatch.reference.irr import IrrState
from routewatch.reference.rov import RovReason, RovState

__all__ = ["TO_FIX_ORDER_SQL", "TO_FIX_SQL", "PairAdvice", "advise", "needs_fixing"]

#: SQL condition on ``announced_pairs`` selecting the pairs to fix (see the module doc).
TO_FIX_SQL = f"(rov_state <> '{RovState.VALID}' OR irr_state <> '{IrrState.REGISTERED}')"
#: SQL order of the pairs to fix: invalid, not-found, then IRR-only problems; by prefix.
TO_FIX_ORDER_SQL = (f"CASE rov_state WHEN '{RovState.INVALID}' THEN 0 "
                    f"WHEN '{RovState.NOT_FOUND}' THEN 1 ELSE 2 END, prefix")

_ROV: dict[tuple[str, str | None], str] = {
    (RovState.INVALID, RovReason.AS):
        "RPKI invalid: ROAs cover {prefix} for other ASes only; create a ROA for AS{asn} "
        "(max length /{length}) if it should originate {prefix}, or stop announcing it",
    (RovState.INVALID, RovReason.AS_LENGTH):
        "RPKI invalid: ROAs cover {prefix} for other ASes and shorter prefixes only; create a "
        "ROA for AS{asn} (max length /{length}) if it should originate {prefix}, or stop "
        "announcing it",
    (RovState.INVALID, RovReason.LENGTH):
        "RPKI invalid: the ROA for AS{asn} does not allow /{length}; create a ROA for "
        "{prefix} itself (rather than a longer max length, RFC 9319), or announce the "
        "covering prefix instead",
    (RovState.NOT_FOUND, None):
        "no ROA covers {prefix}: create a ROA for AS{asn} (max length /{length})",
}
_IRR: dict[str, str] = {
    IrrState.NOT_REGISTERED: "no IRR route{six} object: create one for {prefix} with origin "
                             "AS{asn}",
    IrrState.OTHER_ORIGIN: "IRR route{six} objects for {prefix} name other origins only: add "
                           "one with origin AS{asn}",
}


@dataclass(frozen=True)
class PairAdvice:
    """One announced pair to fix and what to do, one sentence per problem."""

    prefix: str
    origin_asn: int
    rov_state: str
    rov_reason: str | None
    irr_state: str
    advice: tuple[str, ...]


def needs_fixing(rov_state: str, irr_state: str) -> bool:
    """Whether a pair lowers an Action 4 score (the Python twin of :data:`TO_FIX_SQL`)."""
    return rov_state != RovState.VALID or irr_state != IrrState.REGISTERED


def advise(prefix: str, origin_asn: int, rov_state: str, rov_reason: str | None,
           irr_state: str) -> PairAdvice:
    """The advice for one announced pair (empty when it is valid and registered)."""
    fill = {"prefix": prefix, "asn": origin_asn, "length": prefix.rsplit("/", 1)[-1],
            "six": "6" if ":" in prefix else ""}
    reason = rov_reason if rov_state == RovState.INVALID else None
    words = []
    if (rov_state, reason) in _ROV:
        words.append(_ROV[(rov_state, reason)].format(**fill))
    elif rov_state == RovState.INVALID:
        words.append("RPKI invalid: check the ROAs covering {prefix}".format(**fill))
    if irr_state in _IRR:
        words.append(_IRR[irr_state].format(**fill))
    return PairAdvice(prefix, origin_asn, rov_state, rov_reason, irr_state, tuple(words))
