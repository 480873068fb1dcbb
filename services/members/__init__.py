"""members: people and organisations (profiles, archive, search, audit log), memberships and dues,
affiliations, thematic networks and their local correspondents, governance (mandates, meetings,
quorum), self-service (personal links, personal space, export), consent and erasure, imports,
exports of filtered lists (CSV, XLSX).

Owns the MEMBERS stream and its database. Answers ``rpc.members.*`` (people, organisations,
memberships, affiliations, access, networks, correspondents, governance, personal links, the
personal space, the audit log, imports, list exports), ``rpc.members.person.export.v1`` and
``rpc.members.health.check.v1``; imported files are read from (and deleted in) the RESO_FILES
object store bucket, exported files written into it. Emits ``reso.members.member.registered.v1``,
``.person.updated/.confirmed/.erased.v1``, ``.access_link.requested.v1``,
``.organisation.created/.updated.v1``, ``.affiliation.changed.v1``,
``.membership.activated/.lapsed/.renewed.v1`` and ``.network.joined/.left.v1``. A worker runs the
membership calendar and erases sign-ups never confirmed.
"""
