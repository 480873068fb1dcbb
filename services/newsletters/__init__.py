"""newsletters: subscriptions, letters and every e-mail the platform sends, over real SMTP.

Owns the NEWSLETTERS stream. Consumes ``reso.members.member.registered.v1`` (welcome e-mail) and
``reso.members.person.erased.v1`` (deletes what it holds on the person);
emits ``reso.newsletters.welcome.sent.v1``; answers ``rpc.newsletters.health.check.v1``.
"""
