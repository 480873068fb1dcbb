"""Run every benchmark in turn (``make bench``); each prints its own figures."""

from __future__ import annotations

from bench import ingest, members_import, outbox_relay, registrations, rpc_roundtrip, send


def main() -> None:
    for benchmark in (rpc_roundtrip, outbox_relay, members_import, registrations, ingest, send):
        benchmark.main()


if __name__ == "__main__":
    main()
