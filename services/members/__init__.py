"""members: people and organisations, memberships and dues, affiliations, thematic networks and
their local correspondents, consent and erasure, imports.

Owns the MEMBERS stream and its database. Answers ``rpc.members.person.*``,
``rpc.members.organisation.*``, ``rpc.members.membership.*``, ``rpc.members.affiliation.add.v1``,
``rpc.members.access.check.v1``, ``rpc.members.network.*``, ``rpc.members.correspondent.*``,
``rpc.members.people.import.v2``, ``rpc.members.organisations.import.v1`` and
``rpc.members.health.check.v1``; imported files are read from (and deleted in) the RESO_FILES
object store bucket. Emits ``reso.members.member.registered.v1``,
``.person.erased.v1``, ``.organisation.created.v1``, ``.membership.activated/.lapsed/.renewed.v1``
and ``.network.joined/.left.v1``. A worker runs the membership calendar.
"""
