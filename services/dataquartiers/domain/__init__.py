"""The dataquartiers model and its rules. Plain Python: no I/O, no framework.

One module per concern: ``territories`` (levels and additive relations on the shipped
reference), ``secrecy`` (primary and secondary suppression), ``catalogue`` (the indicators),
``ingest`` (reading files), ``datasets`` (drafts, publication).
"""
