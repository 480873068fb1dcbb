"""The ``reso`` command: run the platform, one service, migrations, demo data, staff accounts."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

SERVICE_NAMES = ("members", "events", "newsletters", "dataquartiers", "gateway")

SETTINGS_CLASSES = {
    "members": "services.members.settings:MembersSettings",
    "events": "services.events.settings:EventsSettings",
    "newsletters": "services.newsletters.settings:NewslettersSettings",
    "dataquartiers": "services.dataquartiers.settings:DataquartiersSettings",
    "gateway": "services.gateway.settings:GatewaySettings",
}

T = TypeVar("T")


def _settings(service: str) -> Any:
    module_name, class_name = SETTINGS_CLASSES[service].split(":")
    return getattr(importlib.import_module(module_name), class_name)()


def _stop_on_signals() -> threading.Event:
    """An event set by SIGINT (Ctrl-C) or SIGTERM."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return stop


# --- commands -----------------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:
    from services.platform import Platform, UpSettings

    settings = UpSettings()
    platform = Platform(settings, say=lambda text: print(f"reso: {text}", flush=True))
    stopping = _stop_on_signals()
    try:
        print("reso: starting (NATS, SMTP sink, migrations, 4 services, gateway)…", flush=True)
        platform.start()
        if settings.seed:
            asyncio.run(_seed(platform.env))
        mail = (
            f"every e-mail sent lands in {platform.mail_dir}/<n>.eml"
            if settings.mail_sink
            else "sent to the SMTP server in RESO_NEWSLETTERS_SMTP_*"
        )
        nats_url = platform.env.get("RESO_NATS_URL", "nats://127.0.0.1:4322 (RESO_NATS_URL)")
        print(
            f"""
reso is running.
  site and API   {platform.gateway_url}/   (API docs: {platform.gateway_url}/api/docs)
  NATS           {nats_url}
  mail           {mail}
  state          {platform.var}
Press Ctrl-C to stop.""",
            flush=True,
        )
        while not stopping.wait(0.5):
            platform.supervise_once()
        return 0
    except Exception as error:
        print(f"reso: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        print("reso: stopping…", flush=True)
        platform.stop()
        print("reso: stopped.", flush=True)


def cmd_serve(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"services.{args.service}.app")
    module.main()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from services.runtime.migrations import upgrade_sync

    for service in args.services or SERVICE_NAMES:
        url = _settings(service).database_url
        upgrade_sync(service, url)
        print(f"{service}: migrated ({url.split('@')[-1]})")
    return 0


def cmd_provision(args: argparse.Namespace) -> int:
    from services.runtime.bus import provision_streams
    from services.runtime.settings import NatsSettings

    asyncio.run(provision_streams(NatsSettings()))
    print("streams and files bucket provisioned")
    return 0


def cmd_dead_letters_list(args: argparse.Namespace) -> int:
    from services.runtime.dead_letters import list_dead_letters
    from services.runtime.settings import NatsSettings

    stored = asyncio.run(list_dead_letters(NatsSettings(), service=args.service, limit=args.limit))
    for item in stored:
        letter = item.letter
        print(
            f"{item.sequence}\t{letter.dead_lettered_at.isoformat(timespec='seconds')}"
            f"\t{letter.service}\t{letter.subject}\t{letter.delivered}\t{letter.reason}"
        )
        if args.payload:
            print(f"\t{letter.original_payload}")
    print(f"{len(stored)} dead letter(s)", file=sys.stderr)
    return 0


def cmd_dead_letters_replay(args: argparse.Namespace) -> int:
    from services.runtime.dead_letters import replay_dead_letter
    from services.runtime.settings import NatsSettings

    failed = 0
    for sequence in args.sequences:
        try:
            letter = asyncio.run(replay_dead_letter(NatsSettings(), sequence))
        except LookupError as error:
            print(f"{sequence}: {error}", file=sys.stderr)
            failed += 1
            continue
        print(f"{sequence}: replayed on {letter.subject} (was dead-lettered by {letter.service})")
    return 1 if failed else 0


def cmd_seed(args: argparse.Namespace) -> int:
    import os

    asyncio.run(_seed(dict(os.environ)))
    return 0


async def _seed(env: dict[str, str]) -> None:
    """Load demo data through the services' own RPC (so it takes the same path as real use)."""
    from datetime import date

    from services import demo
    from services.runtime.bus import Bus
    from services.runtime.rpc import RpcClient
    from services.runtime.settings import NatsSettings

    # Credentials and the other NATS settings come from this process's environment; only the
    # URL may differ (``reso up`` picks the embedded server's port).
    url = env.get("RESO_NATS_URL")
    bus = Bus("seed", NatsSettings(url=url) if url else NatsSettings())
    broker = bus.broker
    await broker.connect()
    try:
        rpc = RpcClient(broker, timeout=10)
        summary = await demo.load(rpc, date.today())
        agenda = await demo.load_agenda(rpc, date.today())
        indicators = await demo.load_indicators(rpc, bus.files)
        print(f"reso: demo data loaded ({summary}; {agenda}; {indicators})", flush=True)
    finally:
        await broker.stop()


def cmd_members_renew(args: argparse.Namespace) -> int:
    """Open year Y for every member covered in Y-1 (through the members service)."""
    import getpass

    from contracts.members import RenewalReplyV1, RenewMembershipsV1
    from services.runtime.bus import Bus
    from services.runtime.rpc import RpcClient, RpcError
    from services.runtime.settings import NatsSettings

    async def renew() -> RenewalReplyV1:
        broker = Bus("cli", NatsSettings()).broker
        await broker.connect()
        try:
            return await RpcClient(broker, timeout=300).call(
                RenewMembershipsV1(year=args.year, by=f"reso members renew ({getpass.getuser()})"),
                RenewalReplyV1,
            )
        finally:
            await broker.stop()

    try:
        reply = asyncio.run(renew())
    except RpcError as error:
        print(f"renewal failed: {error.error.message}", file=sys.stderr)
        return 1
    print(
        f"{reply.year}: {reply.opened} memberships opened, {reply.already_open} already open;"
        " members are notified by reso.members.membership.renewed.v1"
    )
    for skipped in reply.skipped:
        print(f"skipped: {skipped}")
    for unreachable in reply.unreachable:
        print(f"no one to mail: {unreachable}", file=sys.stderr)
    for failure in reply.failed:
        print(f"not renewed: {failure}", file=sys.stderr)
    return 1 if reply.failed else 0


async def republish_members(rpc: Any, page_size: int, by: str, say: Callable[[str], None]) -> int:
    """Ask members for every page of every kind of record; returns the facts written."""
    from typing import get_args

    from contracts.members import RepublishedFactsV1, RepublishedRecords, RepublishFactsV1

    total = 0
    for records in get_args(RepublishedRecords):
        after: str | None = None
        read = facts = 0
        while True:
            page = await rpc.call(
                RepublishFactsV1(records=records, after=after, limit=page_size, by=by),
                RepublishedFactsV1,
            )
            read, facts = read + page.read, facts + page.facts
            say(f"{records}: {read} read, {facts} facts written")
            after = page.next_after
            if after is None:
                break
        total += facts
    return total


def cmd_members_republish(args: argparse.Namespace) -> int:
    """Tell members' current state again as facts (through the members service), page by page,
    so consumers rebuild their projections (see docs/operations.md, "Resync")."""
    import getpass

    from services.runtime.bus import Bus
    from services.runtime.rpc import RpcClient, RpcError
    from services.runtime.settings import NatsSettings

    by = f"reso members republish ({getpass.getuser()})"

    async def republish() -> int:
        broker = Bus("cli", NatsSettings()).broker
        await broker.connect()
        try:
            rpc = RpcClient(broker, timeout=120)
            return await republish_members(
                rpc, args.page_size, by, lambda line: print(line, flush=True)
            )
        finally:
            await broker.stop()

    try:
        total = asyncio.run(republish())
    except RpcError as error:
        print(f"republish failed: {error.error.message}", file=sys.stderr)
        return 1
    print(f"{total} facts written to members' outbox; the relay publishes them to MEMBERS")
    return 0


def progress_line(progress: Any, width: int = 30) -> str:
    """One line: a bar, the counts, the rate and the time left (plain text, no dependency)."""
    settled = progress.sent + progress.failed + progress.cancelled
    share = settled / progress.total if progress.total else 1.0
    filled = round(share * width)
    eta = progress.eta_seconds
    left = f", ~{int(eta // 60)} min {int(eta % 60):02d} s left" if eta is not None else ""
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {share:6.1%} {progress.status.value}: "
        f"{progress.sent} sent, {progress.failed} failed, {progress.cancelled} cancelled, "
        f"{progress.pending} pending, {progress.rate_per_second:.1f}/s{left}"
    )


def _newsletters_rpc(request: Any, reply_type: Any, *, follow: bool) -> int:
    """Send one request to newsletters, print the send's progress; with ``follow``, redraw the
    line every second until the send is done, cancelled or paused."""
    from contracts.newsletters import GetSendProgressV1, SendStatus
    from services.runtime.bus import Bus
    from services.runtime.rpc import RpcClient, RpcError
    from services.runtime.settings import NatsSettings

    async def run() -> int:
        broker = Bus("cli", NatsSettings()).broker
        await broker.connect()
        try:
            rpc = RpcClient(broker, timeout=60)
            progress = await rpc.call(request, reply_type)
            print(f"send {progress.send_id} (issue {progress.issue_id})", flush=True)
            while True:
                print("\r" + progress_line(progress), end="", flush=True)
                if not follow or progress.status is not SendStatus.SENDING:
                    break
                await asyncio.sleep(1)
                progress = await rpc.call(GetSendProgressV1(send_id=progress.send_id), reply_type)
            print(f"\n{progress.paused_reason}" if progress.paused_reason else "")
            return 1 if progress.failed else 0
        except RpcError as error:
            print(f"newsletters: {error.error.message}", file=sys.stderr)
            return 1
        finally:
            await broker.stop()

    return asyncio.run(run())


def cmd_newsletters_send(args: argparse.Namespace) -> int:
    import getpass

    from contracts.newsletters import SendProgressV1, StartSendV1

    command = StartSendV1(
        issue_id=args.issue,
        letter=args.letter,
        rate_per_second=args.rate_per_second,
        rate_per_hour=args.rate_per_hour,
        by=f"reso newsletters send ({getpass.getuser()})",
    )
    return _newsletters_rpc(command, SendProgressV1, follow=not args.no_wait)


def cmd_newsletters_progress(args: argparse.Namespace) -> int:
    from contracts.newsletters import GetSendProgressV1, SendProgressV1

    return _newsletters_rpc(
        GetSendProgressV1(send_id=args.send), SendProgressV1, follow=args.follow
    )


def cmd_newsletters_control(args: argparse.Namespace) -> int:
    import getpass

    from contracts.newsletters import ControlSendV1, SendProgressV1

    command = ControlSendV1(
        send_id=args.send, action=args.action, by=f"reso newsletters ({getpass.getuser()})"
    )
    return _newsletters_rpc(command, SendProgressV1, follow=False)


def cmd_newsletters_unsubscribes(args: argparse.Namespace) -> int:
    """Hand each mail of the List-Unsubscribe mailbox to newsletters; one line per mail."""
    import base64

    from contracts.newsletters import MailUnsubscribeV1, UnsubscribeByMailV1
    from services.newsletters.unsubscribe_mailbox import read_unsubscribe_mailbox
    from services.runtime.bus import Bus
    from services.runtime.rpc import RpcClient, RpcError
    from services.runtime.settings import NatsSettings

    async def run() -> int:
        broker = Bus("cli", NatsSettings()).broker
        await broker.connect()
        try:
            rpc = RpcClient(broker, timeout=30)

            async def handle(raw: bytes) -> MailUnsubscribeV1:
                command = UnsubscribeByMailV1(message=base64.b64encode(raw).decode())
                reply: MailUnsubscribeV1 = await rpc.call(command, MailUnsubscribeV1)
                if reply.unsubscribed:
                    print(f"unsubscribed from {reply.letter}: {reply.message_id}")
                elif reply.valid:
                    print(f"nothing to do ({reply.letter}, already ended): {reply.message_id}")
                else:
                    print(f"no valid token, left alone: {reply.message_id}", file=sys.stderr)
                return reply

            outcomes = await read_unsubscribe_mailbox(
                args.mbox, handle, remove=(lambda r: r.valid) if args.remove else None
            )
        except FileNotFoundError as error:
            print(f"newsletters unsubscribes: {error}", file=sys.stderr)
            return 1
        except RpcError as error:
            print(f"newsletters: {error.error.message}", file=sys.stderr)
            return 1
        finally:
            await broker.stop()
        done = sum(o.unsubscribed for o in outcomes)
        invalid = sum(not o.valid for o in outcomes)
        print(
            f"{len(outcomes)} mails: {done} unsubscribed, {len(outcomes) - done - invalid} "
            f"already done, {invalid} without a valid token"
        )
        return 0

    return asyncio.run(run())


def cmd_staff_add(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import IntegrityError

    from services.gateway.store import Role, StaffStore
    from services.runtime.db import create_engine
    from services.runtime.migrations import upgrade_sync

    settings = _settings("gateway")
    upgrade_sync("gateway", settings.database_url)

    async def add() -> str:
        engine = create_engine(settings.database_url)
        try:
            return await StaffStore(engine).add(args.email, Role(args.role), args.partner)
        finally:
            await engine.dispose()

    try:
        token = asyncio.run(add())
    except IntegrityError:
        print(f"a staff account already exists for {args.email}", file=sys.stderr)
        return 1
    print(f"staff account {args.email} ({args.role}) created. Its API token, shown only once:")
    print(token)
    return 0


def _staff_accounts(action: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``action(StaffAccounts)`` on the gateway's database (migrated first)."""
    from services.gateway.store import StaffAccounts
    from services.runtime.db import create_engine
    from services.runtime.migrations import upgrade_sync

    settings = _settings("gateway")
    upgrade_sync("gateway", settings.database_url)

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            return await action(StaffAccounts(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def cmd_staff_list(args: argparse.Namespace) -> int:
    for account in _staff_accounts(lambda accounts: accounts.list()):
        state = f"revoked {account.revoked_at:%Y-%m-%d}" if account.revoked_at else "active"
        partner = f" partner={account.partner}" if account.partner else ""
        print(f"{account.email}\t{account.role}{partner}\t{state}")
    return 0


def cmd_staff_revoke(args: argparse.Namespace) -> int:
    if not _staff_accounts(lambda accounts: accounts.revoke(args.email)):
        print(f"no active staff account for {args.email}", file=sys.stderr)
        return 1
    print(f"staff account {args.email} revoked: its token and sessions no longer work")
    return 0


def cmd_staff_rotate(args: argparse.Namespace) -> int:
    token = _staff_accounts(lambda accounts: accounts.rotate(args.email))
    if token is None:
        print(f"no staff account for {args.email}", file=sys.stderr)
        return 1
    print(f"new API token for {args.email}, shown only once (the old one no longer works):")
    print(token)
    return 0


def cmd_mailsink(args: argparse.Namespace) -> int:
    from services.runtime.mailsink import MailSink

    sink = MailSink(Path(args.dir), host=args.host, port=args.port)
    sink.start()
    print(f"SMTP sink on {args.host}:{sink.port}, writing to {args.dir}", flush=True)
    stop = _stop_on_signals()
    while not stop.wait(0.5):
        pass
    sink.stop()
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from services.docs import asyncapi_documents, openapi_document

    out = Path(args.out)
    (out / "asyncapi").mkdir(parents=True, exist_ok=True)
    for service, document in asyncapi_documents().items():
        (out / "asyncapi" / f"{service}.json").write_text(_dump(document))
    (out / "openapi.json").write_text(_dump(openapi_document()))
    print(f"API documents written under {out}/")
    return 0


def _dump(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


# --- parser ---------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="reso", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    commands.add_parser("up", help="run the whole platform on this machine").set_defaults(
        func=cmd_up
    )
    serve = commands.add_parser("serve", help="run one service")
    serve.add_argument("service", choices=SERVICE_NAMES)
    serve.set_defaults(func=cmd_serve)
    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("services", nargs="*", metavar="SERVICE", help=", ".join(SERVICE_NAMES))
    migrate.set_defaults(func=cmd_migrate)
    commands.add_parser("provision", help="create or update the NATS streams").set_defaults(
        func=cmd_provision
    )
    commands.add_parser("seed", help="load demo data").set_defaults(func=cmd_seed)

    dead = commands.add_parser("dead-letters", help="messages a consumer gave up on (DLQ)")
    dead_commands = dead.add_subparsers(dest="dead_letters_command", required=True)
    listing = dead_commands.add_parser("list", help="sequence, date, service, subject, reason")
    listing.add_argument("--service", choices=SERVICE_NAMES, help="only this consumer's")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--payload", action="store_true", help="also print each payload")
    listing.set_defaults(func=cmd_dead_letters_list)
    replay = dead_commands.add_parser(
        "replay", help="publish letters again on their original subject, then delete them"
    )
    replay.add_argument("sequences", nargs="+", type=int, metavar="SEQUENCE")
    replay.set_defaults(func=cmd_dead_letters_replay)

    members = commands.add_parser("members", help="members' register")
    members_commands = members.add_subparsers(dest="members_command", required=True)
    renew = members_commands.add_parser("renew", help="open year Y for last year's members")
    renew.add_argument("--year", type=int, required=True)
    renew.set_defaults(func=cmd_members_renew)
    republish = members_commands.add_parser(
        "republish", help="publish the register's current state again (consumers resync)"
    )
    republish.add_argument("--page-size", type=int, default=500, help="records per transaction")
    republish.set_defaults(func=cmd_members_republish)

    letters = commands.add_parser("newsletters", help="sending issues of letters")
    letters_commands = letters.add_subparsers(dest="newsletters_command", required=True)
    send = letters_commands.add_parser(
        "send", help="send an issue now and follow its progress (Ctrl-C leaves it running)"
    )
    send.add_argument("issue", help="id of the issue")
    send.add_argument("--letter", help="slug of its letter (its subscribers are the audience)")
    send.add_argument("--rate-per-second", type=float)
    send.add_argument("--rate-per-hour", type=int)
    send.add_argument("--no-wait", action="store_true", help="start it and return")
    send.set_defaults(func=cmd_newsletters_send)
    progress = letters_commands.add_parser("progress", help="where a send stands")
    progress.add_argument("send", help="id of the send")
    progress.add_argument("--follow", action="store_true", help="until it ends or pauses")
    progress.set_defaults(func=cmd_newsletters_progress)
    for action in ("pause", "resume", "cancel"):
        control = letters_commands.add_parser(action, help=f"{action} a send")
        control.add_argument("send", help="id of the send")
        control.set_defaults(func=cmd_newsletters_control, action=action)
    unsubscribes = letters_commands.add_parser(
        "unsubscribes",
        help="read the mails sent to the List-Unsubscribe mailto address and act on their "
        "signed tokens (a mail without a valid token is reported, never acted on)",
    )
    unsubscribes.add_argument(
        "--mbox", required=True, help="the mailbox: an mbox file or a Maildir directory"
    )
    unsubscribes.add_argument(
        "--remove",
        action="store_true",
        help="take out of the mailbox the mails acted on (those without a valid token stay)",
    )
    unsubscribes.set_defaults(func=cmd_newsletters_unsubscribes)

    staff = commands.add_parser("staff", help="staff accounts")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_commands.add_parser("add", help="create a staff account and print its token")
    add.add_argument("email")
    add.add_argument("--role", choices=["admin", "staff", "data"], required=True)
    add.add_argument(
        "--partner",
        default=None,
        help="role data: the partner it belongs to (reads restricted datasets shared with it)",
    )
    add.set_defaults(func=cmd_staff_add)
    listing = staff_commands.add_parser("list", help="staff accounts, their roles and state")
    listing.set_defaults(func=cmd_staff_list)
    revoke = staff_commands.add_parser(
        "revoke", help="revoke an account's token and close its back-office sessions"
    )
    revoke.add_argument("email")
    revoke.set_defaults(func=cmd_staff_revoke)
    rotate = staff_commands.add_parser(
        "rotate", help="give an account a new token (the old one and its sessions stop)"
    )
    rotate.add_argument("email")
    rotate.set_defaults(func=cmd_staff_rotate)

    sink = commands.add_parser("mailsink", help="run the local SMTP sink")
    sink.add_argument("--dir", default="var/mail")
    sink.add_argument("--host", default="127.0.0.1")
    sink.add_argument("--port", type=int, default=8025)
    sink.set_defaults(func=cmd_mailsink)

    docs = commands.add_parser("docs", help="generate the AsyncAPI and OpenAPI documents")
    docs.add_argument("--out", default="docs")
    docs.set_defaults(func=cmd_docs)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
