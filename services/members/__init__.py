"""members: people and organisations, memberships, networks, consent and erasure.

Owns the MEMBERS stream. Answers ``rpc.members.person.register.v1``, ``rpc.members.person.get.v1``,
``rpc.members.person.erase.v1`` and ``rpc.members.health.check.v1``; emits
``reso.members.member.registered.v1`` and ``reso.members.person.erased.v1``.
"""
