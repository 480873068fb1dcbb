"""The events model and its rules. Plain Python: no I/O, no framework.

One module per aggregate (the agenda's events and cycles, registrations, calls for
applications…); the handlers and the store import from the modules.
"""
