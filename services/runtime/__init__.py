"""What every reso service runs on: settings, database, bus, outbox, inbox, health, logging.

Nothing here knows about members, events, letters or neighbourhoods.
"""
