"""The ``connectlocal`` command: ``serve`` (and, as they arrive, import, export, simulate)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence

from . import __version__
from .protocol.timestamps import parse_iso

DEFAULT_PORT = 4599
DEFAULT_DATA = os.path.join(".connectlocal", "connect.db")


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"CONNECTLOCAL_{name}", default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connectlocal",
        description="Amazon Connect's contact API, running locally, faithful to the wire.")
    parser.add_argument("--version", action="version", version=f"connectlocal {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the service over HTTP")
    serve.add_argument("--host", default=_env("HOST", "127.0.0.1"),
                       help="address to listen on (CONNECTLOCAL_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=int(_env("PORT", str(DEFAULT_PORT)) or 0),
                       help=f"port (CONNECTLOCAL_PORT; default {DEFAULT_PORT}; 0 picks a free one)")
    serve.add_argument("--data", default=_env("DATA", DEFAULT_DATA),
                       help="SQLite file, or :memory: for a throwaway store "
                            f"(CONNECTLOCAL_DATA; default {DEFAULT_DATA})")
    serve.add_argument("--clock", default=_env("CLOCK"),
                       help="start the service clock frozen at this ISO 8601 instant "
                            "(CONNECTLOCAL_CLOCK; default: the system clock)")
    serve.add_argument("--accounts", default=_env("ACCOUNTS", ""),
                       help="access key to account mapping, KEY=ACCOUNT,... "
                            "(CONNECTLOCAL_ACCOUNTS; default: every key is 123456789012)")
    serve.add_argument("--workers", type=int, default=int(_env("WORKERS", "1") or 1),
                       help="processes answering on the port (CONNECTLOCAL_WORKERS; default 1; "
                            "more than 1 needs a file store)")
    serve.add_argument("--log-level", default=_env("LOG_LEVEL", "warning"),
                       choices=["debug", "info", "warning", "error"],
                       help="(CONNECTLOCAL_LOG_LEVEL; default warning)")
    coverage = commands.add_parser(
        "coverage", help="print the implemented operations as a markdown table")
    coverage.add_argument("--readme", metavar="PATH",
                          help="rewrite the table between the operations markers of this file")
    return parser


README_START, README_END = "<!-- operations:start -->", "<!-- operations:end -->"


def operations_table() -> str:
    """The implemented operations, from the handlers found and the model's routes."""
    from .handlers import discover
    from .spec import service_model

    model = service_model()
    implemented = sorted(discover(model))
    lines = [f"{len(implemented)} of the model's {len(model.operation_names)} operations:",
             "", "| operation | method | path |", "|---|---|---|"]
    for name in implemented:
        http = model.operation_model(name).http
        lines.append(f"| {name} | {http['method']} | `{http['requestUri']}` |")
    return "\n".join(lines)


def coverage(args: argparse.Namespace) -> int:
    table = operations_table()
    if not args.readme:
        print(table)
        return 0
    with open(args.readme, encoding="utf-8") as handle:
        text = handle.read()
    head, start, rest = text.partition(README_START)
    _, end, tail = rest.partition(README_END)
    if not start or not end:
        print(f"connectlocal: {args.readme} has no {README_START} ... {README_END} markers",
              file=sys.stderr)
        return 1
    with open(args.readme, "w", encoding="utf-8") as handle:
        handle.write(f"{head}{README_START}\n{table}\n{README_END}{tail}")
    return 0


def serve(args: argparse.Namespace) -> int:
    from .dispatch import Dispatcher
    from .server.http import run
    from .service import Accounts, Service
    from .store import open_store

    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        accounts = Accounts.parse(args.accounts or "")
        clock = parse_iso(args.clock) if args.clock else None
    except ValueError as exc:
        print(f"connectlocal: {exc}", file=sys.stderr)
        return 2
    if args.workers < 1 or (args.workers > 1 and args.data == ":memory:"):
        print("connectlocal: --workers must be 1 or more, and more than 1 needs a file store "
              "(each process opens it; :memory: belongs to one process)", file=sys.stderr)
        return 2
    store = open_store(args.data)
    # "The system clock unless set": a restart without --clock runs on the system clock.
    Service(store, accounts=accounts).set_clock(clock)

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"connectlocal: cannot listen on {args.host}:{args.port}: {exc.strerror}",
              file=sys.stderr)
        return 1
    sock.listen(2048)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    # Connections wait in the listen backlog until a loop accepts them, so the URL is usable
    # from the moment it is printed.
    print(f"connectlocal {__version__} listening on http://{host}:{port} "
          f"(store: {store.name} {store.location}"
          + (f", {args.workers} workers" if args.workers > 1 else "") + ")", flush=True)
    if args.workers == 1:
        try:
            run(Dispatcher(Service(store, accounts=accounts)), sock)
        finally:
            store.close()
        return 0
    # Pre-fork: every worker accepts on the same socket and opens the store itself.
    store.close()
    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child (tests drive it end to end)
            worker_store = open_store(args.data)
            try:
                run(Dispatcher(Service(worker_store, accounts=accounts)), sock)
            finally:
                worker_store.close()
            os._exit(0)
        children.append(pid)
    sock.close()

    def forward(signum: int, _: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    status = 0
    for child in children:
        _, code = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(code)
    return 0 if status in (0, -signal.SIGTERM, -signal.SIGINT) else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "coverage":
        return coverage(args)
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
