"""Benchmarks of reso's messaging paths against raw nats-py on the same nats-server.

Each module starts what it needs (an embedded nats-server, a temporary SQLite database), runs a
baseline and the project's path in every round, and prints one line per figure:
``<name>: <value> <unit> (baseline <value>, ratio <r>)``. ``python -m bench`` runs them all.
"""
