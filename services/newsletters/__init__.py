"""newsletters: subscriptions, letters and every e-mail the platform sends, over real SMTP.

Owns the NEWSLETTERS stream. Consumes ``reso.members.member.registered.v1`` (welcome e-mail);
emits ``reso.newsletters.welcome.sent.v1``; answers ``rpc.newsletters.health.check.v1``.
"""
