"""Typed wire messages shared by every reso service.

One pydantic model per subject, frozen, named after its subject. This package depends on
pydantic only: any service, tool or test may import it without pulling in a broker or a database.
"""
