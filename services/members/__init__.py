"""members: people and organisations, memberships, networks, consent and erasure.

Owns the MEMBERS stream. Answers ``rpc.members.person.register.v1``, ``rpc.members.person.get.v1``
and ``rpc.members.health.check.v1``; emits ``reso.members.member.registered.v1``.
"""
