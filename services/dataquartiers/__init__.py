"""dataquartiers: the QPV reference, indicators published only through statistical secrecy, use
cases and territory sheets (the centre's "Data & Quartiers" unit).

Owns the DATAQUARTIERS stream. So far it answers ``rpc.dataquartiers.health.check.v1`` only; its
domain arrives with its own issue, on the anatomy every service shares.
"""
