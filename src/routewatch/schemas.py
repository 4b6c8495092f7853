"""Arrow schemas of the tables the stages hand each other — the one place they are declared.

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
record_type           dictionary<int8,string>      bgpdump's first column: TABLE_DUMP,
                                                   TABLE_DUMP2, TABLE_DUMP2_AP, BGP4MP, BGP4MP_ET
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
"""

from __future__ import annotations

import pyarrow as pa

__all__ = [
    "ASPAS",
    "AS_ORGS",
    "AS_RELATIONSHIPS",
    "BOGON_ASNS",
    "BOGON_PREFIXES",
    "ELEMS",
    "ELEM_TYPES",
    "IRR_ROUTES",
    "LARGE_COMMUNITY",
    "ORIGINS",
    "RECORD_TYPES",
    "VRPS",
    "prefix_fields",
]

ELEM_TYPES: tuple[str, ...] = ("R", "A", "W", "S")
RECORD_TYPES: tuple[str, ...] = (
    "TABLE_DUMP",
    "TABLE_DUMP2",
    "TABLE_DUMP2_AP",
    "BGP4MP",
    "BGP4MP_ET",
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

#: Bogon prefixes. ``category`` is ``full`` (scored) or ``administrative`` (reported only).
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
#: 0 = peers. ``source`` is serial-2's source column (null in serial-1).
AS_RELATIONSHIPS = pa.schema(
    [
        pa.field("asn_a", pa.uint32(), nullable=False),
        pa.field("asn_b", pa.uint32(), nullable=False),
        pa.field("relationship", pa.int8(), nullable=False),
        pa.field("source", pa.string()),
    ],
    metadata={"routewatch.schema": "as-relationships/1"},
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
