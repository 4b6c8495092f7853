"""Ingest stage: MRT archives (RFC 6396) to Arrow record batches of elems.

Public surface: :func:`routewatch.ingest.mrt.read_elems` streams batches with the
:data:`routewatch.schemas.ELEMS` schema and fills an :class:`IngestReport`;
:mod:`routewatch.ingest.lake` writes them to a Parquet lake partitioned by collector and date.
"""
