"""The one rule that says when a conflicting origin is no hijack (M2 exemptions).

Role: :mod:`.hijacks` asks :func:`exemption` for every conflicting interval and counts the
answer in ``HijackReport.exempt``; :mod:`.compact` asks the same function which intervals can
never be marked, so folding and judging cannot disagree (issue 14 item 3: compaction used to
re-derive these rules). The verdict state codes both modules compare against live here too.

Inputs: the pair's verdict codes (:func:`~routewatch.detect.verdicts.pair_verdicts`), whether
its origin is a bogon ASN, the other origins it conflicts with, the origin's direct upstreams,
the reference data and the methodology. Output: the first :class:`Exemption` that holds, or
None (a conflict the caller judges). Checked in this order (METHODOLOGY §4.3):

1. ``bogon-origin``: the origin is a bogon ASN (an artefact of the AS before it; M4 judges it);
2. ``rpki-valid``: a VRP covers the pair with this origin;
3. ``irr-registered``: an IRR route object for the prefix or a less specific names the
   origin — from any registry, or only from an authoritative (RIR-run) one when the
   methodology's ``irr_authoritative`` is set (``rw-2026.2``): a
   non-authoritative object (RADB, ``*-NONAUTH``, ...) can be registered by anyone;
4. ``related-origin``: a conflicting origin is a sibling (same organisation), customer or
   provider of the origin;
5. ``origin-is-upstream``: a conflicting origin is the origin's direct upstream in one of its
   paths (the old origin itself carries the route).

Every input is fixed for the run (reference data) or only grows with data (upstreams), so an
exemption once given is never undone: :mod:`.compact` relies on that.

Pure: no I/O. Failure modes: none (missing reference data exempts nothing).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum

from routewatch.detect.verdicts import References, Rel
from routewatch.methodology import Methodology

__all__ = [
    "IRR_REGISTERED",
    "ROV_INVALID",
    "ROV_VALID",
    "Exemption",
    "exemption",
    "origin_exemption",
    "pair_exemption",
]

#: ``reference.rov.STATE_CODES``: 1 valid, 2 invalid (0 not-found, -1 no VRPs loaded).
ROV_VALID, ROV_INVALID = 1, 2
#: ``reference.irr.IRR_STATES``: 2 registered (0 not-registered, 1 other-origin, -1 no IRR).
IRR_REGISTERED = 2
_RELATED = frozenset({Rel.P2C, Rel.C2P, Rel.SIBLING})


class Exemption(StrEnum):
    """Why a conflicting origin is no hijack (counted in ``HijackReport.exempt``)."""

    BOGON_ORIGIN = "bogon-origin"
    RPKI_VALID = "rpki-valid"
    IRR_REGISTERED = "irr-registered"
    RELATED_ORIGIN = "related-origin"
    ORIGIN_IS_UPSTREAM = "origin-is-upstream"


def pair_exemption(
    method: Methodology, *, bogon_origin: bool, rov: int, irr: int, irr_authoritative: bool
) -> Exemption | None:
    """Rules 1-3: what the pair's own verdicts exempt, whatever the other origins are.

    ``irr_authoritative``: an authoritative registry's object names the origin.
    """
    if bogon_origin:
        return Exemption.BOGON_ORIGIN
    if rov == ROV_VALID:
        return Exemption.RPKI_VALID
    if irr == IRR_REGISTERED and (irr_authoritative or not method.irr_authoritative):
        return Exemption.IRR_REGISTERED
    return None


def origin_exemption(
    refs: References, x: int, others: Iterable[int], upstreams: Collection[int]
) -> Exemption | None:
    """Rules 4-5: whether origin ``x`` is related to, or carried by, one of ``others``."""
    others = list(others)
    if any(refs.relation_of(x, y) in _RELATED for y in others):
        return Exemption.RELATED_ORIGIN
    if any(y in upstreams for y in others):
        return Exemption.ORIGIN_IS_UPSTREAM
    return None


def exemption(
    method: Methodology,
    refs: References,
    *,
    x: int,
    bogon_origin: bool,
    rov: int,
    irr: int,
    irr_authoritative: bool,
    others: Iterable[int],
    upstreams: Collection[int],
) -> Exemption | None:
    """The first exemption that holds for origin ``x`` against ``others`` (module doc)."""
    found = pair_exemption(method, bogon_origin=bogon_origin, rov=rov, irr=irr,
                           irr_authoritative=irr_authoritative)  # fmt: skip
    return found or origin_exemption(refs, x, others, upstreams)
