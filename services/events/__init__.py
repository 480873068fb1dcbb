"""events: the agenda (webinars, thematic days, workshops…) and its cycles, registrations with
capacity and waiting lists that never overbook, calendar files; later reminders, attendance and
calls for applications.

Owns the EVENTS stream. Answers ``rpc.events.event.*``, ``rpc.events.agenda.*``,
``rpc.events.cycle.*`` and ``rpc.events.registration.*``; emits ``reso.events.event.*`` and
``reso.events.registration.*``; consumes members' facts about memberships, affiliations,
organisations and people (member-only events, the activity report) and erasures.
"""
