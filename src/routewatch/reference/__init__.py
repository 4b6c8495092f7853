"""Reference stage: loaders that turn each real reference format into a dated Arrow snapshot,
and the vectorised lookups detection uses (ROV, IRR, bogons, relationships, registries).

Every loader is registered in :data:`routewatch.reference.base.FORMATS` so that
``routewatch ref show`` can detect a file's format from its content.
"""
