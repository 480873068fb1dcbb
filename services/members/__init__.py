"""members: people and organisations, memberships and dues, affiliations, thematic networks,
governance (mandates, meetings, quorum), consent and erasure, imports.

Owns the MEMBERS stream and its database. Answers ``rpc.members.person.*``,
``rpc.members.organisation.*``, ``rpc.members.membership.*``, ``rpc.members.affiliation.add.v1``,
``rpc.members.access.check.v1``, ``rpc.members.network.*``, ``rpc.members.people.import.v1``,
``rpc.members.mandate.*``, ``rpc.members.meeting.*``, ``rpc.members.presence.*``,
``rpc.members.proxy.*`` and ``rpc.members.health.check.v1``. Emits
``reso.members.member.registered.v1``, ``.person.erased.v1``, ``.organisation.created.v1``,
``.membership.activated/.lapsed/.renewed.v1`` and ``.network.joined/.left.v1``; governance emits
no events. A worker runs the membership calendar.
"""
