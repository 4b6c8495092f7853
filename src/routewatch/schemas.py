"""Arrow schemas of the tables the stages hand each other — the one place they are declared.

Every table that crosses a module boundary or is stored has its schema here, in the order of
the data flow: elems (ingest), reference tables (reference), detection output (detect), and the
tables of a month — scores, roll-ups and what the store keeps with them (metrics, store). Column
names of the incident metrics come from :data:`routewatch.methodology.INCIDENT_METRICS`.

Column names follow the BGPStream / BGPKIT "elem" vocabulary. Prefixes are carried twice: as
text (``prefix``) for people, and as address bits + length (``prefix_hi``, ``prefix_lo``,
``prefix_len``, ``afi``) for joins. The address is left-aligned in 128 bits: an IPv4 address
a.b.c.d sits in the top 32 bits of ``prefix_hi`` (``prefix_hi = addr << 32``, ``prefix_lo = 0``),
an IPv6 address fills both words, so "the first n bits" means the same for both families and a
prefix bucket is simply a range of ``prefix_hi``.

ELEMS (one row per RIB entry, announced prefix, withdrawn prefix or session state change):

===================== ============================ =============================================
column                type                         meaning
===================== ============================ =============================================
timestamp             timestamp[us, UTC]           record time (microseconds for BGP4MP_ET)
elem_type             dictionary<int8,string>      ``R`` RIB entry, ``A`` announce, ``W`` withdraw,
                                                   ``S`` peer state change
record_type           dictionary<int8,string>      bgpdump's first column (RECORD_TYPES):
                                                   TABLE_DUMP, TABLE_DUMP2, BGP4MP, BGP4MP_ET,
                                                   their ADD-PATH / LOCAL variants, BGP (type 5)
collector             dictionary<int32,string>     collector name (from the caller or file name)
peer_ip               dictionary<int32,string>     collector peer address, canonical text
peer_asn              uint32                       collector peer AS
prefix                string (null for S)          canonical text, e.g. ``192.0.2.0/24``
afi                   uint8 (null for S)           4 or 6
prefix_hi, prefix_lo  uint64 (null for S)          left-aligned address bits (see above)
prefix_len            uint8 (null for S)           prefix length
path_id               uint32 (null w/o ADD-PATH)   RFC 8050 path identifier
as_path               string (null for W and S)    path text as bgpdump prints it (sets in {})
path_asns             list<uint32>                 every ASN of the path in order, sets inlined
as_set                bool                         the path has an AS_SET / AS_CONFED_SET segment
origin_asns           list<uint32>                 last segment's ASNs (one, or the set members)
origin_asn            uint32 (null if set/empty)   RFC 6811 origin: last AS of a final AS_SEQUENCE
origin                dictionary<int8,string>      ORIGIN attribute: IGP, EGP, INCOMPLETE
next_hop              string                       next hop (IPv6 global next hop for MP_REACH)
local_pref            uint32 (null if absent)      LOCAL_PREF
med                   uint32 (null if absent)      MULTI_EXIT_DISC
communities           list<uint32>                 RFC 1997 communities, ``asn << 16 | value``
large_communities     list<struct<global_admin,    RFC 8092 large communities
                      local_data_1,local_data_2>>
atomic_aggregate      bool                         ATOMIC_AGGREGATE present
aggr_asn              uint32 (null if absent)      AGGREGATOR / AS4_AGGREGATOR AS
aggr_ip               string (null if absent)      AGGREGATOR address
only_to_customer      uint32 (null if absent)      RFC 9234 OTC attribute value
unknown_attrs         list<binary>                 raw bytes (flags, type, length, value) of every
                                                   attribute routewatch does not decode
old_state, new_state  uint8 (null unless S)        BGP FSM states of a state change
record_offset         uint64                       offset of the MRT record in the decompressed
                                                   stream — evidence can point to the bytes
===================== ============================ =============================================

ORDERED_ELEMS (the lake, and what detection reads) adds the total elem order
(:mod:`routewatch.ingest.order`): ``source_order`` (uint64, one value per source file: RIB
before updates, then the file's first second, then its id) and ``elem_seq`` (uint64, the
elem's position in its file); elems sort by ``(timestamp, source_order, elem_seq)``.
"""

from __future__ import annotations

import pyarrow as pa

from routewatch.methodology import INCIDENT_METRICS

__all__ = [
    "ACTION_SCORES",
    "ANNOUNCED_PAIRS",
    "AREA_READINESS",
    "AREA_SUMMARIES",
    "ASN_AREAS",
    "ASN_METRICS",
    "ASN_VISIBILITY",
    "ASPAS",
    "AS_ORGS",
    "AS_RELATIONSHIPS",
    "AS_TAXONOMY",
    "BOGON_ASNS",
    "BOGON_PREFIXES",
    "COHORT_IMPACT",
    "CUSTOMER_CONES",
    "DELEGATIONS",
    "DID_IMPACT",
    "ELEMS",
    "ELEM_ORDER",
    "ELEM_TYPES",
    "FINDINGS",
    "INCIDENTS",
    "IRR_AS_SETS",
    "IRR_AUT_NUMS",
    "IRR_ROUTES",
    "LARGE_COMMUNITY",
    "MANRS_JOINS",
    "MANRS_OBSERVATORY",
    "MANRS_PARTICIPANTS",
    "MONTH_COVERAGE",
    "NETWORKS",
    "NETWORK_PANEL",
    "OBSERVED_PATHS",
    "ORDERED_ELEMS",
    "ORIGINS",
    "PEERINGDB_NETWORKS",
    "RECORD_TYPES",
    "ROUTE_PATHS",
    "ROUTE_SPANS",
    "SPOOFABLE_PREFIXES",
    "SPOOFER_TESTS",
    "VRPS",
    "WINDOW_ASNS",
    "WINDOW_PAIRS",
    "prefix_fields",
]

ELEM_TYPES: tuple[str, ...] = ("R", "A", "W", "S")
#: Values of ``record_type``: bgpdump's first column, including the ADD-PATH (``_AP``) and
#: LOCAL variants and ``BGP``, the deprecated MRT type 5 of 1999-2000.
RECORD_TYPES: tuple[str, ...] = (
    "TABLE_DUMP",
    "TABLE_DUMP2",
    "TABLE_DUMP2_AP",
    "BGP4MP",
    "BGP4MP_ET",
    "BGP4MP_AP",
    "BGP4MP_ET_AP",
    "BGP4MP_LOCAL",
    "BGP4MP_ET_LOCAL",
    "BGP4MP_LOCAL_AP",
    "BGP4MP_ET_LOCAL_AP",
    "BGP",
)
ORIGINS: tuple[str, ...] = ("IGP", "EGP", "INCOMPLETE")

LARGE_COMMUNITY = pa.struct(
    [
        pa.field("global_admin", pa.uint32(), nullable=False),
        pa.field("local_data_1", pa.uint32(), nullable=False),
        pa.field("local_data_2", pa.uint32(), nullable=False),
    ]
)

ELEMS = pa.schema(
    [
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("elem_type", pa.dictionary(pa.int8(), pa.string()), nullable=False),
        pa.field("record_type", pa.dictionary(pa.int8(), pa.string()), nullable=False),
        pa.field("collector", pa.dictionary(pa.int32(), pa.string())),
        pa.field("peer_ip", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("peer_asn", pa.uint32(), nullable=False),
        pa.field("prefix", pa.string()),
        pa.field("afi", pa.uint8()),
        pa.field("prefix_hi", pa.uint64()),
        pa.field("prefix_lo", pa.uint64()),
        pa.field("prefix_len", pa.uint8()),
        pa.field("path_id", pa.uint32()),
        pa.field("as_path", pa.string()),
        pa.field("path_asns", pa.list_(pa.uint32())),
        pa.field("as_set", pa.bool_()),
        pa.field("origin_asns", pa.list_(pa.uint32())),
        pa.field("origin_asn", pa.uint32()),
        pa.field("origin", pa.dictionary(pa.int8(), pa.string())),
        pa.field("next_hop", pa.string()),
        pa.field("local_pref", pa.uint32()),
        pa.field("med", pa.uint32()),
        pa.field("communities", pa.list_(pa.uint32())),
        pa.field("large_communities", pa.list_(LARGE_COMMUNITY)),
        pa.field("atomic_aggregate", pa.bool_()),
        pa.field("aggr_asn", pa.uint32()),
        pa.field("aggr_ip", pa.string()),
        pa.field("only_to_customer", pa.uint32()),
        pa.field("unknown_attrs", pa.list_(pa.binary())),
        pa.field("old_state", pa.uint8()),
        pa.field("new_state", pa.uint8()),
        pa.field("record_offset", pa.uint64(), nullable=False),
    ],
    metadata={"routewatch.schema": "elems/1"},
)

#: The total elem order (:mod:`routewatch.ingest.order`): appended to ELEMS in the lake and
#: in every stream detection reads; sort key ``(timestamp, source_order, elem_seq)``.
ELEM_ORDER = pa.schema(
    [
        pa.field("source_order", pa.uint64(), nullable=False),
        pa.field("elem_seq", pa.uint64(), nullable=False),
    ]
)
#: ELEMS with the order columns: what the lake stores and detection reads.
ORDERED_ELEMS = pa.schema([*ELEMS, *ELEM_ORDER], metadata={"routewatch.schema": "elems/2"})


# --------------------------------------------------------------------------------------------
# Reference tables (produced by routewatch.reference loaders; every snapshot also carries its
# as-of date and source files in routewatch.reference.base.Snapshot).
# --------------------------------------------------------------------------------------------


def prefix_fields() -> list[pa.Field]:
    """The five prefix columns shared by every table that holds prefixes (see module doc)."""
    return [
        pa.field("prefix", pa.string(), nullable=False),
        pa.field("afi", pa.uint8(), nullable=False),
        pa.field("prefix_hi", pa.uint64(), nullable=False),
        pa.field("prefix_lo", pa.uint64(), nullable=False),
        pa.field("prefix_len", pa.uint8(), nullable=False),
    ]


#: Validated ROA payloads (RFC 6811 inputs). ``asn`` 0 is an AS0 VRP (RFC 7607).
VRPS = pa.schema(
    [
        *prefix_fields(),
        pa.field("max_length", pa.uint8(), nullable=False),
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("ta", pa.string()),
        pa.field("expires", pa.timestamp("s", tz="UTC")),
    ],
    metadata={"routewatch.schema": "vrps/1"},
)

#: ASPA objects: a customer AS and the set of its providers.
ASPAS = pa.schema(
    [
        pa.field("customer_asn", pa.uint32(), nullable=False),
        pa.field("provider_asns", pa.list_(pa.uint32()), nullable=False),
        pa.field("ta", pa.string()),
        pa.field("expires", pa.timestamp("s", tz="UTC")),
    ],
    metadata={"routewatch.schema": "aspas/1"},
)

#: IRR route / route6 objects. ``authoritative`` is true for RIR-run registries.
IRR_ROUTES = pa.schema(
    [
        *prefix_fields(),
        pa.field("origin", pa.uint32(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("authoritative", pa.bool_(), nullable=False),
        pa.field("mnt_by", pa.list_(pa.string())),
        pa.field("last_modified", pa.timestamp("s", tz="UTC")),
    ],
    metadata={"routewatch.schema": "irr-routes/1"},
)

#: IRR aut-num objects. ``contact_roles`` lists which of admin-c, tech-c, abuse-c and notify
#: the object fills (coordination asks whether a registry contact is present).
IRR_AUT_NUMS = pa.schema(
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("as_name", pa.string()),
        pa.field("org", pa.string()),
        pa.field("contact_roles", pa.list_(pa.string()), nullable=False),
        pa.field("mnt_by", pa.list_(pa.string())),
        pa.field("source", pa.string(), nullable=False),
        pa.field("authoritative", pa.bool_(), nullable=False),
        pa.field("last_modified", pa.timestamp("s", tz="UTC")),
    ],
    metadata={"routewatch.schema": "irr-aut-nums/1"},
)

#: IRR as-set objects: ``members`` as written (upper case), split into ASNs and set names.
IRR_AS_SETS = pa.schema(
    [
        pa.field("name", pa.string(), nullable=False),
        pa.field("members", pa.list_(pa.string()), nullable=False),
        pa.field("member_asns", pa.list_(pa.uint32()), nullable=False),
        pa.field("member_sets", pa.list_(pa.string()), nullable=False),
        pa.field("mbrs_by_ref", pa.list_(pa.string())),
        pa.field("mnt_by", pa.list_(pa.string())),
        pa.field("source", pa.string(), nullable=False),
        pa.field("authoritative", pa.bool_(), nullable=False),
        pa.field("last_modified", pa.timestamp("s", tz="UTC")),
    ],
    metadata={"routewatch.schema": "irr-as-sets/1"},
)

#: Bogon prefixes. ``category`` is ``full`` (scored), ``administrative`` (reported only) or
#: ``exempt`` (globally reachable special-purpose space inside bogon space, e.g. AS112 and
#: 64:ff9b::/96: never a bogon; the most specific row containing a prefix decides).
BOGON_PREFIXES = pa.schema(
    [
        *prefix_fields(),
        pa.field("category", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
    ],
    metadata={"routewatch.schema": "bogon-prefixes/1"},
)

#: Bogon ASN ranges, inclusive at both ends.
BOGON_ASNS = pa.schema(
    [
        pa.field("asn_first", pa.uint32(), nullable=False),
        pa.field("asn_last", pa.uint32(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
    ],
    metadata={"routewatch.schema": "bogon-asns/1"},
)

#: AS relationships as CAIDA writes them: ``relationship`` -1 = asn_a is provider of asn_b,
#: 0 = peers, 2 = siblings (only older CAIDA as-rank files). ``source`` is serial-2's source
#: column (null in serial-1).
AS_RELATIONSHIPS = pa.schema(
    [
        pa.field("asn_a", pa.uint32(), nullable=False),
        pa.field("asn_b", pa.uint32(), nullable=False),
        pa.field("relationship", pa.int8(), nullable=False),
        pa.field("source", pa.string()),
    ],
    metadata={"routewatch.schema": "as-relationships/1"},
)

#: Distinct AS paths of a period as collector peers saw them: the input of relationship
#: inference (:mod:`routewatch.reference.relinfer`). ``path_asns`` is the path in elem order
#: (collector peer first, origin last, sets inlined); ``count`` how many RIB entries and
#: announcements carried it.
OBSERVED_PATHS = pa.schema(
    [
        pa.field("peer_asn", pa.uint32(), nullable=False),
        pa.field("path_asns", pa.list_(pa.uint32()), nullable=False),
        pa.field("as_set", pa.bool_(), nullable=False),
        pa.field("count", pa.uint64(), nullable=False),
    ],
    metadata={"routewatch.schema": "observed-paths/1"},
)

#: CAIDA provider-peer customer cones (``ppdc-ases``): an AS and the ASes in its cone.
CUSTOMER_CONES = pa.schema(
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("members", pa.list_(pa.uint32()), nullable=False),
    ],
    metadata={"routewatch.schema": "customer-cones/1"},
)

#: CAIDA AS-taxonomy attributes (``as2attr``, 2006): inferred neighbour counts, advertised
#: space (``slash24s`` = /24 equivalents), prefixes and class (t1, t2, edu, ix, nic, comp,
#: abstained).
AS_TAXONOMY = pa.schema(
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("description", pa.string()),
        pa.field("providers", pa.uint32(), nullable=False),
        pa.field("peers", pa.uint32(), nullable=False),
        pa.field("customers", pa.uint32(), nullable=False),
        pa.field("slash24s", pa.uint32(), nullable=False),
        pa.field("prefixes", pa.uint32(), nullable=False),
        pa.field("as_class", pa.string(), nullable=False),
    ],
    metadata={"routewatch.schema": "as-taxonomy/1"},
)

#: ASN to organisation (CAIDA AS-to-organisation); ASes sharing ``org_id`` are siblings.
AS_ORGS = pa.schema(
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("org_id", pa.string(), nullable=False),
        pa.field("org_name", pa.string()),
        pa.field("as_name", pa.string()),
        pa.field("country", pa.string()),
        pa.field("source", pa.string()),
    ],
    metadata={"routewatch.schema": "as-orgs/1"},
)


# --------------------------------------------------------------------------------------------
# Registries, PeeringDB, MANRS, Spoofer (routewatch.reference.registry / peeringdb / manrs /
# spoofer).
# --------------------------------------------------------------------------------------------

#: RIR statistics exchange records. ASN records keep their range (``asn_first``..``asn_last``,
#: prefix columns null); IPv4 ranges (start + count) are split into CIDR prefixes, one row each;
#: IPv6 records are one prefix. ``status`` is allocated / assigned / available / reserved.
#: ``line`` is the record's line number in its file (evidence).
DELEGATIONS = pa.schema(
    [
        pa.field("registry", pa.string(), nullable=False),
        pa.field("cc", pa.string()),
        pa.field("type", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("date", pa.date32()),
        pa.field("opaque_id", pa.string()),
        pa.field("asn_first", pa.uint32()),
        pa.field("asn_last", pa.uint32()),
        pa.field("prefix", pa.string()),
        pa.field("afi", pa.uint8()),
        pa.field("prefix_hi", pa.uint64()),
        pa.field("prefix_lo", pa.uint64()),
        pa.field("prefix_len", pa.uint8()),
        pa.field("line", pa.uint32(), nullable=False),
    ],
    metadata={"routewatch.schema": "delegations/1"},
)

#: PeeringDB per ASN: contact roles present (``NOC``, ``Technical``, ``Policy``, ``Abuse``, ...:
#: a poc with an email or phone) and IXP presence (distinct IXPs and their names).
PEERINGDB_NETWORKS = pa.schema(
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("net_id", pa.uint32()),
        pa.field("name", pa.string()),
        pa.field("contact_roles", pa.list_(pa.string()), nullable=False),
        pa.field("ix_count", pa.uint32(), nullable=False),
        pa.field("ix_ids", pa.list_(pa.uint32()), nullable=False),
        pa.field("ix_names", pa.list_(pa.string()), nullable=False),
    ],
    metadata={"routewatch.schema": "peeringdb-networks/1"},
)

#: MANRS participants, one row per participating ASN (an ASN two organisations list appears
#: twice). ``areas`` are the ISO 3166 codes the organisation serves; ``actions`` the Actions
#: it marked as implemented (``Filtering``, ``Anti-spoofing``, ``Coordination``,
#: ``Global Validation``).
MANRS_PARTICIPANTS = pa.schema(
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("organisation", pa.string(), nullable=False),
        pa.field("areas", pa.list_(pa.string()), nullable=False),
        pa.field("actions", pa.list_(pa.string()), nullable=False),
    ],
    metadata={"routewatch.schema": "manrs-participants/2"},
)

#: When each ASN joined MANRS: the date of the first participants snapshot that lists it.
MANRS_JOINS = pa.schema(
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("joined", pa.date32(), nullable=False),
        pa.field("organisation", pa.string(), nullable=False),
    ],
    metadata={"routewatch.schema": "manrs-joins/1"},
)

#: MANRS Observatory per-ASN export: each action's readiness score 0..1, null = no data.
MANRS_OBSERVATORY = pa.schema(
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("holder", pa.string()),
        pa.field("country", pa.string()),
        pa.field("un_region", pa.string()),
        pa.field("un_sub_region", pa.string()),
        pa.field("rir", pa.string()),
        pa.field("filtering", pa.float64()),
        pa.field("anti_spoofing", pa.float64()),
        pa.field("coordination", pa.float64()),
        pa.field("global_validation_irr", pa.float64()),
        pa.field("global_validation_rpki", pa.float64()),
    ],
    metadata={"routewatch.schema": "manrs-observatory/1"},
)

#: CAIDA Spoofer test results, one row per session and address family: the tested client
#: prefix, its ASN and the outcomes for private and routed spoofed sources. ``spoofable`` is
#: true when either outcome is ``received`` or ``rewritten`` (METHODOLOGY §5).
SPOOFER_TESTS = pa.schema(
    [
        pa.field("session", pa.uint64(), nullable=False),
        pa.field("timestamp", pa.timestamp("s", tz="UTC"), nullable=False),
        pa.field("asn", pa.uint32(), nullable=False),
        *prefix_fields(),
        pa.field("country", pa.string()),
        pa.field("nat", pa.bool_()),
        pa.field("privatespoof", pa.string()),
        pa.field("routedspoof", pa.string()),
        pa.field("spoofable", pa.bool_(), nullable=False),
    ],
    metadata={"routewatch.schema": "spoofer-tests/1"},
)

#: Per ASN and month: the distinct tested prefixes from which spoofed packets left (M5 input).
SPOOFABLE_PREFIXES = pa.schema(
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("month", pa.date32(), nullable=False),
        pa.field("sessions", pa.uint32(), nullable=False),
        pa.field("tested_prefixes", pa.list_(pa.string()), nullable=False),
        pa.field("spoofable_prefixes", pa.list_(pa.string()), nullable=False),
    ],
    metadata={"routewatch.schema": "spoofable-prefixes/1"},
)


# --------------------------------------------------------------------------------------------
# Detection output (routewatch.detect): one row per event (FINDINGS) and per incident
# (INCIDENTS). Evidence is nested Arrow types so a reader can check every verdict.
# --------------------------------------------------------------------------------------------

_TS = pa.timestamp("us", tz="UTC")

#: A collector peer that saw an event's route, with its first and last sighting (null = open).
WITNESS = pa.struct(
    [
        pa.field("collector", pa.string()),
        pa.field("peer_ip", pa.string()),
        pa.field("peer_asn", pa.uint32()),
        pa.field("first_seen", _TS),
        pa.field("last_seen", _TS),
    ]
)
#: A VRP used as ROV evidence; ``role`` is matched, unmatched-as or unmatched-length.
VRP_EVIDENCE = pa.struct(
    [
        pa.field("prefix", pa.string()),
        pa.field("max_length", pa.uint8()),
        pa.field("asn", pa.uint32()),
        pa.field("role", pa.string()),
    ]
)
#: An IRR route object used as evidence; ``matched`` when its origin is the pair's origin.
IRR_EVIDENCE = pa.struct(
    [
        pa.field("prefix", pa.string()),
        pa.field("origin", pa.uint32()),
        pa.field("source", pa.string()),
        pa.field("authoritative", pa.bool_()),
        pa.field("matched", pa.bool_()),
    ]
)
#: A relationship edge a verdict used: ``relation`` is a's role towards b (provider,
#: customer, peer, sibling, unknown) and ``source`` says where it came from (aspa, caida...).
EDGE_EVIDENCE = pa.struct(
    [
        pa.field("asn_a", pa.uint32()),
        pa.field("asn_b", pa.uint32()),
        pa.field("relation", pa.string()),
        pa.field("source", pa.string()),
    ]
)
#: A bogon list entry a verdict used.
BOGON_EVIDENCE = pa.struct(
    [
        pa.field("kind", pa.string()),
        pa.field("value", pa.string()),
        pa.field("category", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("source", pa.string()),
    ]
)

#: One event: an offending (prefix, origin or path segment) over one continuous time span.
#: ``confidence`` (``high``, ``medium``, ``low``) and ``confidence_reasons`` ("code: detail",
#: one per rule that applied) are set for leak and hijack findings by
#: :mod:`routewatch.detect.confidence`; null for the metrics it does not assess (bogons,
#: rpki-invalid).
FINDINGS = pa.schema(
    [
        pa.field("finding_id", pa.string(), nullable=False),
        pa.field("methodology", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("culprit_asn", pa.uint32()),
        pa.field("accomplice_asn", pa.uint32()),
        pa.field("accomplice_relation", pa.string()),
        pa.field("accomplice_counts", pa.bool_(), nullable=False),
        pa.field("decided_by", pa.string(), nullable=False),
        pa.field("labels", pa.list_(pa.string())),
        pa.field("prefix", pa.string(), nullable=False),
        pa.field("afi", pa.uint8(), nullable=False),
        pa.field("prefix_hi", pa.uint64(), nullable=False),
        pa.field("prefix_lo", pa.uint64(), nullable=False),
        pa.field("prefix_len", pa.uint8(), nullable=False),
        pa.field("origin_asn", pa.uint32()),
        pa.field("segment", pa.list_(pa.uint32())),
        pa.field("as_path", pa.string()),
        pa.field("path_asns", pa.list_(pa.uint32())),
        pa.field("start", _TS, nullable=False),
        pa.field("end", _TS),
        pa.field("peak_visibility", pa.uint32(), nullable=False),
        pa.field("peak_at", _TS),
        pa.field("witnesses", pa.list_(WITNESS)),
        pa.field("conflict_prefix", pa.string()),
        pa.field("conflict_origins", pa.list_(pa.uint32())),
        pa.field("rov_state", pa.string()),
        pa.field("rov_reason", pa.string()),
        pa.field("rov_vrps", pa.list_(VRP_EVIDENCE)),
        pa.field("irr_state", pa.string()),
        pa.field("irr_objects", pa.list_(IRR_EVIDENCE)),
        pa.field("edges", pa.list_(EDGE_EVIDENCE)),
        pa.field("bogons", pa.list_(BOGON_EVIDENCE)),
        pa.field("confidence", pa.string()),
        pa.field("confidence_reasons", pa.list_(pa.string())),
    ],
    metadata={"routewatch.schema": "findings/2"},
)

#: Events of one metric and one AS merged over overlapping or touching spans, clipped to the
#: window. ``asn`` is the AS it counts against (the culprit, or for a "C" metric such as
#: ``M2C`` the accomplice); null for an undetermined culprit. ``scored`` says whether the
#: Action 1 score uses it: false for the metrics it never uses, and for a *suspected*
#: incident (label ``suspected``) whose findings are below the methodology's confidence
#: threshold. ``confidence`` is the best class among its findings, ``confidence_reasons``
#: the reasons of the finding its sample path comes from.
INCIDENTS = pa.schema(
    [
        pa.field("incident_id", pa.string(), nullable=False),
        pa.field("methodology", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("asn", pa.uint32()),
        pa.field("culprit_asns", pa.list_(pa.uint32())),
        pa.field("accomplice_asns", pa.list_(pa.uint32())),
        pa.field("accomplice_relation", pa.string()),
        pa.field("scored", pa.bool_(), nullable=False),
        pa.field("start", _TS, nullable=False),
        pa.field("end", _TS),
        pa.field("window_start", _TS, nullable=False),
        pa.field("window_end", _TS, nullable=False),
        pa.field("duration_s", pa.float64(), nullable=False),
        pa.field("weight", pa.float64(), nullable=False),
        pa.field("peak_visibility", pa.uint32(), nullable=False),
        pa.field("prefixes", pa.list_(pa.string())),
        pa.field("origins", pa.list_(pa.uint32())),
        pa.field("decided_by", pa.list_(pa.string())),
        pa.field("labels", pa.list_(pa.string())),
        pa.field("sample_path", pa.string()),
        pa.field("sample_witness", WITNESS),
        pa.field("finding_ids", pa.list_(pa.string())),
        pa.field("confidence", pa.string()),
        pa.field("confidence_reasons", pa.list_(pa.string())),
    ],
    metadata={"routewatch.schema": "incidents/2"},
)

#: Route state output: peer ``(collector, peer_ip, peer_asn)`` had path ``path_id`` for the
#: prefix over [start, end); ``end`` null = still open when the data ended.
ROUTE_SPANS = pa.schema(
    [
        pa.field("collector", pa.string()),
        pa.field("peer_ip", pa.string(), nullable=False),
        pa.field("peer_asn", pa.uint32(), nullable=False),
        *prefix_fields(),
        pa.field("path_id", pa.uint32(), nullable=False),
        pa.field("origin_asn", pa.uint32()),
        pa.field("start", _TS, nullable=False),
        pa.field("end", _TS),
        pa.field("from_rib", pa.bool_(), nullable=False),
    ],
    metadata={"routewatch.schema": "route-spans/1"},
)

#: The interned paths ROUTE_SPANS refers to (ids are per run / partition).
ROUTE_PATHS = pa.schema(
    [
        pa.field("path_id", pa.uint32(), nullable=False),
        pa.field("path_asns", pa.list_(pa.uint32()), nullable=False),
        pa.field("as_set", pa.bool_(), nullable=False),
        pa.field("only_to_customer", pa.uint32()),
    ],
    metadata={"routewatch.schema": "route-paths/1"},
)

# --------------------------------------------------------------------------------------------
# The tables of a month: scores and roll-ups (computed by routewatch.metrics, METHODOLOGY
# §4–§6) and the other tables the store keeps (routewatch.store). Every one but the two inputs
# ASN_VISIBILITY and ASN_AREAS is stamped with its month and the methodology version.
# --------------------------------------------------------------------------------------------


def _month_schema(name: str, fields: list[pa.Field]) -> pa.Schema:
    """A schema whose rows are stamped ``month`` (first day) and ``methodology`` (version)."""
    stamps = [
        pa.field("month", pa.date32(), nullable=False),
        pa.field("methodology", pa.string(), nullable=False),
    ]
    return pa.schema([*stamps, *fields], metadata={"routewatch.schema": name})


def _counts(*names: str) -> list[pa.Field]:
    """Non-null uint32 count columns."""
    return [pa.field(name, pa.uint32(), nullable=False) for name in names]


def _numbers(*names: str) -> list[pa.Field]:
    """Nullable float64 columns (scores, shares; null = no data)."""
    return [pa.field(name, pa.float64()) for name in names]


#: Every (prefix, origin) pair announced in the month, with its verdicts — the rows behind
#: M7IRR / M7RPKI, and what a report lists as the pairs to fix. ``peer_asns`` = distinct peer
#: ASNs that saw it; ``rov_state`` is ``valid`` / ``invalid`` / ``not-found``, ``rov_reason``
#: ``as`` / ``length`` / ``as-length`` for an invalid pair (null otherwise); ``irr_state`` is
#: ``registered`` / ``other-origin`` / ``not-registered``.
ANNOUNCED_PAIRS = _month_schema(
    "announced-pairs/2",
    [
        pa.field("prefix", pa.string(), nullable=False),
        pa.field("origin_asn", pa.uint32(), nullable=False),
        pa.field("peer_asns", pa.uint32(), nullable=False),
        pa.field("rov_state", pa.string(), nullable=False),
        pa.field("rov_reason", pa.string()),
        pa.field("irr_state", pa.string(), nullable=False),
    ],
)

#: Distinct peer ASNs that saw each ASN anywhere in an AS path during the window.
ASN_VISIBILITY = pa.schema(
    [pa.field("asn", pa.uint32(), nullable=False), *_counts("peer_asns")],
    metadata={"routewatch.schema": "asn-visibility/1"},
)

#: One row per measured network and month. Routing metrics (``m1`` … ``m4c``, the weight sums
#: of METHODOLOGY §4) are null when the AS was not seen; M5 columns are null without a Spoofer
#: test; M7 columns null when it announced nothing.
ASN_METRICS = _month_schema(
    "asn-metrics/1",
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("seen", pa.bool_(), nullable=False),
        pa.field("rir_assigned", pa.bool_(), nullable=False),
        *_numbers(*(m.lower() for m in INCIDENT_METRICS)),
        pa.field("incidents", pa.uint32()),
        pa.field("spoofer_tested_prefixes", pa.uint32()),
        pa.field("spoofer_spoofable_prefixes", pa.uint32()),
        *_numbers("m5"),
        pa.field("contact_sources", pa.list_(pa.string()), nullable=False),
        pa.field("m8", pa.float64(), nullable=False),
        pa.field("pairs", pa.uint32()),
        pa.field("pairs_rpki_valid", pa.uint32()),
        pa.field("pairs_rpki_invalid", pa.uint32()),
        pa.field("pairs_rpki_not_found", pa.uint32()),
        pa.field("pairs_irr_registered", pa.uint32()),
        *_numbers("m7irr", "m7rpki"),
    ],
)

#: One row per measured network, month and action: the score (null = no data) and its band.
ACTION_SCORES = _month_schema(
    "action-scores/1",
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("action", pa.string(), nullable=False),
        *_numbers("score"),
        pa.field("band", pa.string(), nullable=False),
    ],
)

_AREA_FIELDS = [
    pa.field("economy", pa.string()),
    pa.field("region", pa.string()),
    pa.field("sub_region", pa.string()),
    pa.field("rir", pa.string()),
    pa.field("manrs", pa.bool_(), nullable=False),
    pa.field("rpki_signer", pa.bool_(), nullable=False),
]

#: The areas of each ASN: economy (RIR delegation country), M49 region and sub-region, RIR,
#: and the two cohort flags (MANRS participant as of the month; at least one VRP).
ASN_AREAS = pa.schema(
    [pa.field("asn", pa.uint32(), nullable=False), *_AREA_FIELDS],
    metadata={"routewatch.schema": "asn-areas/1"},
)

#: Who each measured network is, per month: name (PeeringDB) and the areas of
#: :data:`ASN_AREAS` (METHODOLOGY §6).
NETWORKS = _month_schema(
    "networks/1",
    [pa.field("asn", pa.uint32(), nullable=False), pa.field("name", pa.string()), *_AREA_FIELDS],
)

_AREA_KEY = [
    pa.field("area_kind", pa.string(), nullable=False),
    pa.field("area", pa.string(), nullable=False),
]

#: Readiness of an area per action (shares exclude no-data; null when nobody has data).
AREA_READINESS = _month_schema(
    "area-readiness/1",
    [
        *_AREA_KEY,
        pa.field("action", pa.string(), nullable=False),
        *_counts("networks", "ready", "aspiring", "lagging", "no_data"),
        *_numbers("ready_share", "aspiring_share", "lagging_share", "mean_score"),
        *_numbers("ready_share_change"),
    ],
)

#: State of routing security of an area (shares null when the area announced nothing).
AREA_SUMMARIES = _month_schema(
    "area-summaries/1",
    [
        *_AREA_KEY,
        *_counts("networks", *(f"incidents_{m.lower()}" for m in INCIDENT_METRICS)),
        *_counts("networks_involved"),
        *_numbers("incidents_per_100_networks"),
        pa.field("pairs", pa.uint64(), nullable=False),
        *_numbers("rpki_valid_share", "rpki_invalid_share", "rpki_not_found_share"),
        *_numbers("irr_registered_share"),
    ],
)


# ------------------------------------------------------------------------------ impact
#: One network in one month, as the impact analysis reads it (metrics.impact.network_panel):
#: cohort flags, region, size and the outcomes; scores null = no data, ``covered`` = at
#: least one announced pair RPKI valid (a ROA of the network covers its announcement).
NETWORK_PANEL = pa.schema(
    [
        pa.field("month", pa.date32(), nullable=False),
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("seen", pa.bool_(), nullable=False),
        pa.field("region", pa.string()),
        pa.field("pairs", pa.uint32()),
        pa.field("pairs_rpki_valid", pa.uint32()),
        pa.field("manrs", pa.bool_(), nullable=False),
        pa.field("rpki_signer", pa.bool_(), nullable=False),
        pa.field("covered", pa.bool_(), nullable=False),
        pa.field("incidents", pa.uint32()),
        pa.field("filtering", pa.float64()),
        pa.field("anti_spoofing", pa.float64()),
        pa.field("coordination", pa.float64()),
        pa.field("global_validation_irr", pa.float64()),
        pa.field("global_validation_rpki", pa.float64()),
    ],
    metadata={"routewatch.schema": "network-panel/1"},
)

#: A cohort against the rest of the measured networks in one month, for one measure: each
#: side's value with its bootstrap interval and sample size, and the difference (cohort
#: minus rest) with its interval. Values null when a side has no network with data.
COHORT_IMPACT = pa.schema(
    [
        pa.field("month", pa.date32(), nullable=False),
        pa.field("methodology", pa.string(), nullable=False),
        pa.field("cohort", pa.string(), nullable=False),
        pa.field("rest", pa.string(), nullable=False),
        pa.field("measure", pa.string(), nullable=False),
        pa.field("better", pa.string(), nullable=False),
        pa.field("members", pa.uint32(), nullable=False),
        pa.field("others", pa.uint32(), nullable=False),
        pa.field("member_value", pa.float64()),
        pa.field("member_low", pa.float64()),
        pa.field("member_high", pa.float64()),
        pa.field("other_value", pa.float64()),
        pa.field("other_low", pa.float64()),
        pa.field("other_high", pa.float64()),
        pa.field("difference", pa.float64()),
        pa.field("difference_low", pa.float64()),
        pa.field("difference_high", pa.float64()),
        pa.field("confidence", pa.float64(), nullable=False),
        pa.field("replicates", pa.uint32(), nullable=False),
    ],
    metadata={"routewatch.schema": "cohort-impact/1"},
)

#: Before/after: networks that joined MANRS or started signing in the period against
#: comparable networks that did not (same region and size band); the difference-in-
#: differences estimate with its bootstrap interval, the counts behind it and the reason
#: when there is no estimate. ``month`` is the month the period ends with (stored with it:
#: the comparable months of the twelve ending there).
DID_IMPACT = pa.schema(
    [
        pa.field("month", pa.date32(), nullable=False),
        pa.field("methodology", pa.string(), nullable=False),
        pa.field("treatment", pa.string(), nullable=False),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("better", pa.string(), nullable=False),
        pa.field("first_month", pa.date32()),
        pa.field("last_month", pa.date32()),
        pa.field("months", pa.uint32(), nullable=False),
        pa.field("treated", pa.uint32(), nullable=False),
        pa.field("unmatched", pa.uint32(), nullable=False),
        pa.field("controls", pa.uint32(), nullable=False),
        pa.field("strata", pa.uint32(), nullable=False),
        pa.field("treated_change", pa.float64()),
        pa.field("control_change", pa.float64()),
        pa.field("estimate", pa.float64()),
        pa.field("low", pa.float64()),
        pa.field("high", pa.float64()),
        pa.field("confidence", pa.float64(), nullable=False),
        pa.field("replicates", pa.uint32(), nullable=False),
        pa.field("reason", pa.string()),
    ],
    metadata={"routewatch.schema": "did-impact/1"},
)

#: Routes alive at the window start, per (prefix, origin, collector peer AS): with the
#: window's own announcements they are the pairs "announced in the window" (METHODOLOGY §1).
WINDOW_PAIRS = pa.schema(
    [
        pa.field("prefix", pa.string(), nullable=False),
        pa.field("afi", pa.uint8(), nullable=False),
        pa.field("prefix_hi", pa.uint64(), nullable=False),
        pa.field("prefix_lo", pa.uint64(), nullable=False),
        pa.field("prefix_len", pa.uint8(), nullable=False),
        pa.field("origin_asn", pa.uint32(), nullable=False),
        pa.field("peer_asn", pa.uint32(), nullable=False),
    ],
    metadata={"routewatch.schema": "window-pairs/1"},
)

#: Routes alive at the window start, per (AS anywhere in the path, collector peer AS): with
#: the window's own announcements they give the peer ASes that saw each AS.
WINDOW_ASNS = pa.schema(
    [
        pa.field("asn", pa.uint32(), nullable=False),
        pa.field("peer_asn", pa.uint32(), nullable=False),
    ],
    metadata={"routewatch.schema": "window-asns/1"},
)

# ------------------------------------------------------------------------------ coverage
#: What a stored month was computed from (one row per month, replaced with it): the
#: collectors, the minutes of BGP update data inside the month per collector and in all,
#: the time the data spans (baseline included), the reference snapshot dates, and a digest
#: of every input file, so a rerun over the same inputs and methodology can be skipped.
MONTH_COVERAGE = pa.schema(
    [
        pa.field("month", pa.date32(), nullable=False),
        pa.field("methodology", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("inputs_digest", pa.string(), nullable=False),
        pa.field("collectors", pa.list_(pa.string()), nullable=False),
        pa.field("bgp_minutes", pa.float64(), nullable=False),
        pa.field("collector_minutes", pa.string(), nullable=False),  # JSON {collector: min}
        pa.field("mrt_files", pa.uint32(), nullable=False),
        pa.field("baseline_days", pa.uint32(), nullable=False),
        pa.field("bgp_first", pa.timestamp("us", tz="UTC")),
        pa.field("bgp_last", pa.timestamp("us", tz="UTC")),
        pa.field("reference_dates", pa.string(), nullable=False),  # JSON {series: date}
    ],
    metadata={"routewatch.schema": "month-coverage/1"},
)
