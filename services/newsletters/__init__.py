"""newsletters: subscriptions, letters and every e-mail the platform sends, over real SMTP.

Owns the NEWSLETTERS stream. Consumes ``reso.members.member.registered.v1`` (welcome e-mail,
with the address confirmation link when there is one),
``reso.members.access_link.requested.v1`` (the e-mail carrying a personal link: confirm a
sign-up, sign in, confirm a new address), ``reso.members.membership.renewed.v1`` (the call for
dues, to each recipient), ``reso.members.person.erased.v1`` (deletes every mail it holds on
the person, and the subscriptions of the addresses it mailed them at), and the events
service's facts that call for a mail:
``reso.events.registration.{confirmed,promoted,waitlisted,offered,cancelled}.v1`` (to the
registrant, the calendar file attached when they hold a seat or lose it),
``reso.events.reminder.due.v1``, ``reso.events.event.{updated,cancelled}.v1`` (to each
registrant) and ``reso.events.application.{submitted,decided}.v1`` (to the applicant).
Owns the letters and their subscribers (double opt-in, consent records, preferences by signed
link, one-click unsubscribe per RFC 8058, imports, the 3-year inactivity review), and the
issues (numéros) of letters composed from blocks, their preview, test send, schedule and
public archive; the coming events and new data of those blocks are projected from
``reso.events.event.{published,updated,cancelled}.v1`` and
``reso.dataquartiers.indicator.published.v1``. It sends an issue to its audience frozen at
send time (one delivery per recipient; batches leased to workers, reused SMTP connections,
rates, retries, automatic pause; bounces read from DSNs).
Emits ``reso.newsletters.welcome.sent.v1``, ``reso.newsletters.subscription.{confirmed,
cancelled}.v1``, ``reso.newsletters.issue.sent.v1`` and ``reso.newsletters.delivery.failed.v1``;
answers ``rpc.newsletters.{letter,subscription,preferences,subscriber,issue,archive}.*``,
``rpc.newsletters.send.{start,control,progress}.v1``, ``rpc.newsletters.bounce.report.v1``,
``rpc.newsletters.person.export.v1`` and ``rpc.newsletters.health.check.v1``.
"""
