"""newsletters: subscriptions, letters and every e-mail the platform sends, over real SMTP.

Owns the NEWSLETTERS stream. Consumes ``reso.members.member.registered.v1`` (welcome e-mail,
with the address confirmation link when there is one),
``reso.members.access_link.requested.v1`` (the e-mail carrying a personal link: confirm a
sign-up, sign in, confirm a new address), ``reso.members.membership.renewed.v1`` (the call for
dues, to each recipient) and ``reso.members.person.erased.v1`` (deletes every mail it holds on
the person); emits ``reso.newsletters.welcome.sent.v1``; answers
``rpc.newsletters.health.check.v1``.
"""
