"""events: the agenda (webinars, thematic days, workshops…), registrations with capacity and
waiting lists, reminders, attendance and calls for applications.

Owns the EVENTS stream. So far it answers ``rpc.events.health.check.v1`` only; its domain
arrives with its own issue, on the anatomy every service shares.
"""
