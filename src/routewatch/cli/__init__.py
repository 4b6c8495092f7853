"""Command-line interface: thin commands over the pipeline and the store.

Exit codes: 0 ok, 1 error, 2 usage, 3 finished with partial data (something was skipped).
"""
