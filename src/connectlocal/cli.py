"""The ``connectlocal`` command: ``serve``, ``import`` and ``export`` (contact trace records),
``simulate``, ``call``, ``coverage``."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import math
import os
import re
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from . import __version__
from .protocol.timestamps import parse_iso

if TYPE_CHECKING:
    from datetime import datetime

    from .ctrfiles import Counts
    from .ids import Ids
    from .live import ServerSimulation
    from .service import Service
    from .simulate import Profile, Simulator
    from .store import Store
    from .store.base import Scope

DEFAULT_PORT = 4599
DEFAULT_DATA = os.path.join(".connectlocal", "connect.db")
T = TypeVar("T")


class _Parser(argparse.ArgumentParser):
    """argparse, with a user error as one line on stderr (exit status 2), not the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


class EnvError(Exception):
    """An environment variable's value that its option would refuse (one line, exit 2)."""


class _FromEnv(str):
    """An option's default read from its environment variable: converted only when the option
    is used (argparse converts a string default then), and named in the message if it is
    wrong."""

    variable: str
    option: str


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"CONNECTLOCAL_{name}")
    if value is None:
        return default
    tagged = _FromEnv(value)
    tagged.variable, tagged.option = f"CONNECTLOCAL_{name}", f"--{name.lower().replace('_', '-')}"
    return tagged


def _checked(convert: Callable[[str], T], name: str) -> Callable[[str], T]:
    """An argparse ``type``: ``convert``'s ValueError is the option's error, and, for a value
    from the environment, an EnvError naming the variable and the option."""

    def parse(text: str) -> T:
        try:
            return convert(text)
        except (ValueError, OverflowError, argparse.ArgumentTypeError) as exc:
            if isinstance(text, _FromEnv):
                raise EnvError(f"{text.variable} ({text.option}): {exc}") from None
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name
    return parse


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"invalid int value {text!r}") from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"invalid number {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"invalid number {text!r} (must be finite)")
    return value


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def convert(text: str) -> int:
        value = _integer(text)
        if not low <= value <= high:
            raise ValueError(f"{value} is out of range: must be {low} to {high}")
        return value

    return _checked(convert, "int")


def _number_in(low: float, high: float, *, above: bool = False) -> Callable[[str], float]:
    """A finite number in [low, high] (``above``: in (low, high])."""

    def convert(text: str) -> float:
        value = _number(text)
        if value > high or value < low or (above and value == low):
            bound = f"more than {low:g}" if above else f"at least {low:g}"
            raise ValueError(f"{text} is out of range: must be {bound} and at most {high:g}")
        return value

    return _checked(convert, "number")


def _probability(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{text} is not a probability: must be 0 to 1")
    return value


def _instant(text: str) -> datetime:
    try:
        return parse_iso(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 instant (such as "
                         "2025-01-01T00:00:00Z)") from None


def _instant_text(text: str) -> str:
    _instant(text)
    return text


def _url(text: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http:// or https:// URL")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ValueError(f"{text!r} has a port out of range") from None
    return text


def _account(text: str) -> str:
    if not re.fullmatch(r"\d{12}", text):
        raise ValueError(f"{text!r} is not an AWS account id (12 digits)")
    return text


def _region(text: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", text):
        raise ValueError(f"{text!r} is not an AWS region (such as us-east-1)")
    return text


def _accounts(text: str) -> str:
    from .service import Accounts

    Accounts.parse(text)
    return text


def _appendable(text: str) -> str:
    """A file this process can append to (made if missing, with its directories, as the
    stream would make them): checked while the options are read, before any ready line."""
    from pathlib import Path

    try:
        try:
            open(text, "ab").close()
        except FileNotFoundError:
            Path(text).parent.mkdir(parents=True, exist_ok=True)
            open(text, "ab").close()
    except OSError as exc:
        raise ValueError(f"cannot append to {text}: {exc.strerror or exc}") from None
    return text


LOG_LEVELS = ("debug", "info", "warning", "error")


def _log_level(text: str) -> str:
    if text not in LOG_LEVELS:
        raise ValueError(f"invalid choice {text!r} (choose from {', '.join(LOG_LEVELS)})")
    return text


PORT = _int_in(0, 65535)
WORKERS = _int_in(1, 256)
DAY = 86_400.0
SEED = _int_in(0, 2**63 - 1)
PROBABILITY = _checked(_probability, "probability")
SPEED = _number_in(0.001, 86_400.0)  # clock.MIN_RATE .. clock.MAX_RATE
INSTANT = _checked(_instant, "instant")
INSTANT_TEXT = _checked(_instant_text, "instant")
URL = _checked(_url, "url")
ACCOUNT = _checked(_account, "account")
REGION = _checked(_region, "region")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


SECONDS = _checked(_seconds, "seconds")


def _center_options(group: Any, agents: int) -> None:
    """The contact center's options, shared by ``simulate`` and ``serve --simulate``."""
    group.add_argument("--agents", type=_int_in(1, 10_000), default=agents)
    group.add_argument("--queues", type=_int_in(1, 50), default=1,
                       help="queues the agents serve: BasicQueue and 'Simulated queue N' "
                            "(default 1)")
    group.add_argument("--rate", type=_number_in(0, 1_000_000, above=True), default=200.0,
                       help="arrivals per hour (all channels)")
    # At most a week: the longest a contact lasts (StartChatContact's ChatDurationInMinutes
    # is at most 10,080, 7 days).
    group.add_argument("--handle-seconds", type=_number_in(0, 7 * DAY), default=300.0)
    group.add_argument("--patience-seconds", type=_number_in(0, 7 * DAY), default=180.0)
    group.add_argument("--seed", type=SEED, default=1)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="connectlocal",
        description="Amazon Connect's contact API, running locally, faithful to the wire.")
    parser.add_argument("--version", action="version", version=f"connectlocal {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the service over HTTP")
    serve.add_argument("--host", default=_env("HOST", "127.0.0.1"),
                       help="address to listen on (CONNECTLOCAL_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=PORT, default=_env("PORT", str(DEFAULT_PORT)),
                       help=f"port (CONNECTLOCAL_PORT; default {DEFAULT_PORT}; 0 picks a free one)")
    serve.add_argument("--data", default=_env("DATA", DEFAULT_DATA),
                       help="SQLite file, :memory: for a throwaway store, or "
                            "postgresql://user@host:port/db[?schema=name] for one shared by "
                            f"several servers (CONNECTLOCAL_DATA; default {DEFAULT_DATA})")
    serve.add_argument("--clock", type=INSTANT_TEXT, default=_env("CLOCK"),
                       help="start the service clock frozen at this ISO 8601 instant "
                            "(CONNECTLOCAL_CLOCK; default: the system clock)")
    serve.add_argument("--accounts", type=_checked(_accounts, "accounts"),
                       default=_env("ACCOUNTS", ""),
                       help="access keys and accounts: KEY=ACCOUNT, KEY:SECRET=ACCOUNT, ACCOUNT "
                            "(a 12-digit key id allowed as its own account), * (every one "
                            "is), comma-separated, or @FILE (CONNECTLOCAL_ACCOUNTS; default: "
                            "every key is 123456789012)")
    serve.add_argument("--workers", type=WORKERS, default=_env("WORKERS", "1"),
                       help="processes answering on the port (CONNECTLOCAL_WORKERS; default 1; "
                            "more than 1 needs a file store)")
    serve.add_argument("--ctr-file", type=_checked(_appendable, "path"),
                       default=_env("CTR_FILE"), metavar="PATH",
                       help="append the CTR of each contact that ends (and of each change "
                            "after that) to this JSON Lines file (CONNECTLOCAL_CTR_FILE)")
    serve.add_argument("--ctr-webhook", type=URL, default=_env("CTR_WEBHOOK"), metavar="URL",
                       help="POST each such CTR to this URL, retried with backoff "
                            "(CONNECTLOCAL_CTR_WEBHOOK)")
    serve.add_argument("--ctr-webhook-retry-seconds", type=_int_in(0, 7200),
                       default=_env("CTR_WEBHOOK_RETRY_SECONDS", "300"), metavar="SECONDS",
                       help="how long a failing webhook is retried (from its first failure "
                            "since it last took a CTR) before each CTR it fails is logged and "
                            "dropped, as a Firehose stream's HTTP endpoint retry duration "
                            "(CONNECTLOCAL_CTR_WEBHOOK_RETRY_SECONDS; 0 to 7200; default 300)")
    serve.add_argument("--head-timeout", type=SECONDS, default=_env("HEAD_TIMEOUT", "10"),
                       metavar="SECONDS",
                       help="close a connection whose request head (line and headers) has not "
                            "arrived in this time, answering 408 if it began "
                            "(CONNECTLOCAL_HEAD_TIMEOUT; default 10)")
    serve.add_argument("--body-timeout", type=SECONDS, default=_env("BODY_TIMEOUT", "30"),
                       metavar="SECONDS",
                       help="answer 408 and close when a request body has not arrived in this "
                            "time (CONNECTLOCAL_BODY_TIMEOUT; default 30)")
    serve.add_argument("--keep-alive-timeout", type=SECONDS,
                       default=_env("KEEP_ALIVE_TIMEOUT", "5"), metavar="SECONDS",
                       help="close a connection idle this long between requests "
                            "(CONNECTLOCAL_KEEP_ALIVE_TIMEOUT; default 5)")
    serve.add_argument("--auth", default=_env("AUTH", "lenient"), choices=["lenient", "strict"],
                       help="strict: every request needs a valid SigV4 signature by a key "
                            "--accounts gives a secret (CONNECTLOCAL_AUTH; default lenient)")
    serve.add_argument("--admin-token", default=_env("ADMIN_TOKEN"), metavar="TOKEN",
                       help="the admin endpoints want it in x-connectlocal-admin-token "
                            "(CONNECTLOCAL_ADMIN_TOKEN)")
    serve.add_argument("--throttle", default=_env("THROTTLE"), metavar="aws|FILE",
                       help="throttle at Amazon Connect's API quotas (aws) or a file's "
                            "(CONNECTLOCAL_THROTTLE; default: off)")
    serve.add_argument("--faults", default=_env("FAULTS"), metavar="FILE",
                       help="fault rules to start with, a JSON list (CONNECTLOCAL_FAULTS)")
    serve.add_argument("--lambda", dest="lambdas", action="append", metavar="ARN=TARGET",
                       default=[_env("LAMBDAS")] if _env("LAMBDAS") else [],
                       help="where a Lambda function flows invoke runs: TARGET is "
                            "python:package.module:function, node:PATH:EXPORT or the http(s) "
                            "URL of a Lambda Invoke API (repeatable; CONNECTLOCAL_LAMBDAS "
                            "holds several, comma-separated)")
    serve.add_argument("--flow-log", default=_env("FLOW_LOG"), metavar="PATH",
                       help="append every flow-log record to this JSON Lines file "
                            "(CONNECTLOCAL_FLOW_LOG)")
    serve.add_argument("--log-level", type=_checked(_log_level, "level"),
                       default=_env("LOG_LEVEL", "warning"),
                       metavar="{" + ",".join(LOG_LEVELS) + "}",
                       help="(CONNECTLOCAL_LOG_LEVEL; default warning)")
    serve.add_argument("--speed", type=SPEED, default=_env("SPEED"), metavar="N",
                       help="the service clock runs N seconds a second (60: a minute a "
                            "second), from --clock or now (CONNECTLOCAL_SPEED)")
    live = serve.add_argument_group("a contact center left running (--simulate)")
    live.add_argument("--simulate", action="store_true",
                      help="agents log in, take breaks and log out; contacts arrive, are "
                           "routed, handled and wrapped up, on the service clock")
    _center_options(live, agents=25)  # 200 arrivals an hour keep about 20 busy
    load = commands.add_parser(
        "import", help="import contact trace records (CTRs) into a store or a running server",
        description="Reads CTRs from files and directories (.gz too; - is stdin): a JSON array, "
                    "one object, JSON Lines, or Firehose's objects with no separator. Records of "
                    "one contact merge, the newest LastUpdateTimestamp winning. Exits 1 when a "
                    "record was skipped.")
    load.add_argument("paths", nargs="+", metavar="PATH")
    load.add_argument("--data", default=_env("DATA", DEFAULT_DATA),
                      help=f"the store to import into (default {DEFAULT_DATA})")
    load.add_argument("--endpoint", metavar="URL", type=URL,
                      help="import into the connectlocal server at URL instead of --data")
    load.add_argument("--keep-past-retention", action="store_true",
                      help="store records older than 24 months at the service clock too "
                           "(they show only while the clock is set back within retention)")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    dump = commands.add_parser(
        "export", help="write an instance's contacts as CTR JSON Lines",
        description="Contacts within retention at the service clock, oldest first; "
                    "export -> import into an empty store -> describe gives the same contacts.")
    dump.add_argument("--instance-id", required=True)
    dump.add_argument("--account", type=ACCOUNT, default="123456789012")
    dump.add_argument("--region", type=REGION, default="us-east-1")
    dump.add_argument("--since", type=INSTANT, help="ISO 8601: contacts initiated at or after")
    dump.add_argument("--until", type=INSTANT, help="ISO 8601: contacts initiated at or before")
    dump.add_argument("--data", default=_env("DATA", DEFAULT_DATA))
    dump.add_argument("--output", "-o", default="-", help="file (default: standard output)")
    sim = commands.add_parser(
        "simulate", help="fill an instance with simulated contact-center traffic",
        description="Customers arrive (a Poisson process per channel), wait, are answered by "
                    "the first free agent or give up (some ask for a callback), are held and "
                    "transferred; on simulated time, reproducible with --seed.")
    sim.add_argument("--data", default=_env("DATA", DEFAULT_DATA))
    sim.add_argument("--endpoint", metavar="URL", type=URL,
                     help="send the contacts to the connectlocal server at URL instead")
    sim.add_argument("--instance-id", help="an existing instance (default: a new one)")
    sim.add_argument("--account", type=ACCOUNT, default="123456789012")
    sim.add_argument("--region", type=REGION, default="us-east-1")
    sim.add_argument("--days", type=_number_in(0, 3660, above=True), default=1.0,
                     help="length of the simulated period (more than 0, at most 3660)")
    sim.add_argument("--end", type=INSTANT, help="ISO 8601 end of the simulated period "
                                                 "(default: 2 hours ago, so every life is "
                                                 "over before now)")
    _center_options(sim, agents=100)
    sim.add_argument("--transfer-probability", type=PROBABILITY, default=0.05,
                     help="of an answered contact being transferred (a chain ends after 11 "
                          "transfers, TransferContact's limit)")
    sim.add_argument("--callback-probability", type=PROBABILITY, default=0.3)
    sim.add_argument("--hold-probability", type=PROBABILITY, default=0.2)
    sim.add_argument("--quiet", action="store_true", help="no progress bar")
    sim.add_argument("--live", action="store_true",
                     help="with --endpoint: run the center at the server's clock (agents' "
                          "statuses, contacts through routing) until Ctrl-C or --duration")
    sim.add_argument("--speed", type=SPEED, metavar="N",
                     help="with --live: the server's clock runs N seconds a second")
    sim.add_argument("--duration", type=_number_in(0, 366 * DAY, above=True), metavar="SECONDS",
                     help="with --live: stop after this many seconds of wall time")
    from .calls import add_parser as add_call

    add_call(commands, DEFAULT_DATA)
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
    try:
        with open(args.readme, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"connectlocal: cannot read {args.readme}: {_reason(exc)}", file=sys.stderr)
        return 2
    head, start, rest = text.partition(README_START)
    _, end, tail = rest.partition(README_END)
    if not start or not end:
        print(f"connectlocal: {args.readme} has no {README_START} ... {README_END} markers",
              file=sys.stderr)
        return 1
    try:
        with open(args.readme, "w", encoding="utf-8") as handle:
            handle.write(f"{head}{README_START}\n{table}\n{README_END}{tail}")
    except OSError as exc:
        print(f"connectlocal: cannot write {args.readme}: {_reason(exc)}", file=sys.stderr)
        return 2
    return 0


def _reason(exc: BaseException) -> str:
    """An OSError as its reason alone ("No such file or directory"), anything else as is."""
    return (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)


def serve(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from .server.process import end_with_parent, note_stop_signals, stop_requested
    from .service import Accounts, Service
    from .store import open_store

    # Until the server's loop takes them over, SIGINT and SIGTERM only note a stop: a Ctrl-C
    # at any moment is a clean exit, never a traceback.
    note_stop_signals()
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from .engine.lambdas import Lambdas
    from .frontdoor.faults import FaultError, Faults
    from .frontdoor.throttle import Quotas, Throttle

    try:
        accounts = Accounts.parse(args.accounts or "")
        clock = parse_iso(args.clock) if args.clock else None
        # Made before the workers fork: one set of buckets and fault rules for all of them.
        throttle = Throttle(Quotas.load(args.throttle)) if args.throttle else None
        faults = Faults.for_model()
        for rule in _fault_rules(args.faults) if args.faults else []:
            faults.add(rule)
        lambdas = Lambdas.parse(args.lambdas)
    except (ValueError, FaultError) as exc:
        print(f"connectlocal: {exc}", file=sys.stderr)
        return 2
    if args.auth == "strict" and not accounts.secrets:
        print("connectlocal: --auth strict needs keys with secrets: --accounts "
              "KEY:SECRET=ACCOUNT,...", file=sys.stderr)
        return 2
    options = {"accounts": accounts, "strict": args.auth == "strict", "throttle": throttle,
               "faults": faults, "admin_token": args.admin_token,
               "hosts": frozenset({args.host}), "lambdas": lambdas, "flow_log": args.flow_log}
    if args.workers < 1 or (args.workers > 1 and args.data == ":memory:"):
        print("connectlocal: --workers must be 1 or more, and more than 1 needs a file store "
              "(each process opens it; :memory: belongs to one process)", file=sys.stderr)
        return 2
    store = open_store(args.data)
    # "The system clock unless set": a restart without --clock runs on the system clock. A
    # server joining others on a shared store keeps the clock they run on, unless told.
    # --speed (and --simulate, which needs time to pass) keep the clock ticking from --clock,
    # or from now.
    if args.speed is not None or (args.simulate and clock is not None):
        service = Service(store, accounts=accounts)
        start = clock or (service.now() if store.shared else None)
        service.set_clock(start or datetime.now(UTC), ticking=True, rate=args.speed or 1.0)
    elif clock is not None or not store.shared:
        Service(store, accounts=accounts).set_clock(clock)

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"connectlocal: cannot listen on {args.host}:{args.port}: {exc.strerror}",
              file=sys.stderr)
        store.close()
        return 1
    if stop_requested():
        store.close()
        return 0
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
            _run_worker(Service(store, **options), sock, args)
        finally:
            store.close()
        return 0
    # Pre-fork: every worker accepts on the same socket and opens the store itself.
    store.close()
    parent = os.getpid()
    children = []
    for index in range(args.workers):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child (tests drive it end to end)
            end_with_parent(parent)
            worker_store = open_store(args.data)
            try:
                # The first worker makes the stored answers bulk loads leave pending.
                _run_worker(Service(worker_store, **options), sock, args, parent,
                            answers=index == 0)
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
    if stop_requested():  # asked while the workers were forked
        forward(signal.SIGTERM, None)
    status = 0
    for child in children:
        _, code = os.waitpid(child, 0)
        status = status or os.waitstatus_to_exitcode(code)
    return 0 if status in (0, -signal.SIGTERM, -signal.SIGINT) else 1


def _fault_rules(path: str) -> list[object]:
    from .frontdoor import json_file

    rules = json_file(path, "faults file")
    if not isinstance(rules, list):
        raise ValueError(f"the faults file {path} must hold a JSON list of rules")
    return rules


def _run_worker(service: Service, sock: socket.socket, args: argparse.Namespace,
                parent: int | None = None, answers: bool = True) -> None:
    from .dispatch import Dispatcher
    from .server.http import Timeouts, run
    from .server.process import note_stop_signals
    from .stream import CtrStream

    stream = None
    if args.ctr_file or args.ctr_webhook:
        stream = CtrStream(service, args.ctr_file, args.ctr_webhook,
                           args.ctr_webhook_retry_seconds).start()
    timeouts = Timeouts(args.head_timeout, args.body_timeout, args.keep_alive_timeout)
    simulation = _server_simulation(service, sock, args) if args.simulate else None
    try:
        # The loop gives SIGINT back to Python's default when it closes: a second Ctrl-C
        # while the server stops is no traceback either.
        with contextlib.suppress(KeyboardInterrupt):
            run(Dispatcher(service), sock, timeouts=timeouts, parent=parent, answers=answers)
        note_stop_signals()
    finally:
        if simulation is not None:
            simulation.close()
        if stream is not None:
            stream.stop()


def _server_simulation(service: Service, sock: socket.socket,
                       args: argparse.Namespace) -> ServerSimulation:
    """``serve --simulate`` in this worker: it drives the center while it holds the lease,
    calling the server's own address."""
    from .live import ServerSimulation

    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    key, secret = next(iter(service.accounts.secrets.items()), ("testing", "testing"))
    return ServerSimulation(service, url, args.agents, args.queues, _profile(args), args.seed,
                            access_key=key, secret_key=secret,
                            account=service.accounts.for_key(key)).start()


def _profile(args: argparse.Namespace) -> Profile:
    from .simulate import Profile

    return Profile(rate_per_hour=args.rate, handle_seconds=args.handle_seconds,
                   patience_seconds=args.patience_seconds,
                   **{name: getattr(args, name) for name in (
                       "transfer_probability", "callback_probability", "hold_probability")
                      if getattr(args, name, None) is not None})


def import_records(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console(stderr=True, soft_wrap=True)  # messages stay whole lines in logs
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                        TextColumn("{task.completed:,} records"), TimeElapsedColumn(),
                        console=console, disable=args.quiet or not console.is_terminal)
    with progress:
        task = progress.add_task("importing", total=None)

        def advance(n: int) -> None:
            progress.advance(task, n)

        def merging() -> None:
            progress.update(task, description="merging into the store")

        try:
            counts = (_import_remote(args, advance) if args.endpoint
                      else _import_local(args, advance, merging))
        except (OSError, ValueError) as exc:
            console.print(f"connectlocal: {exc}")
            return 2
    for problem in counts.problems[:50]:
        console.print(f"skipped {problem}", markup=False, highlight=False)
    if len(counts.problems) > 50:
        console.print(f"... and {len(counts.problems) - 50} more skipped records")
    table = Table(title="contact trace records")
    for column in ("imported", "merged", "skipped", "past retention"):
        table.add_column(column, justify="right")
    table.add_row(f"{counts.imported:,}", f"{counts.merged:,}", f"{counts.skipped:,}",
                  f"{counts.past_retention:,}")
    console.print(table)
    if counts.past_retention:
        what = ("stored, shown while the service clock is within 24 months of them"
                if args.keep_past_retention else "not stored (--keep-past-retention stores them)")
        console.print(f"{counts.past_retention:,} records are older than the 24-month "
                      f"retention at the service clock: {what}. `serve --clock <an instant "
                      "within 24 months of them>` shows them.")
    return 1 if counts.skipped else 0


def _import_local(args: argparse.Namespace, advance: Callable[[int], None],
                  merging: Callable[[], None]) -> Counts:
    from .ctrfiles import import_paths
    from .service import Service
    from .store import open_store

    store = open_store(args.data)
    try:
        return import_paths(Service(store), args.paths, args.keep_past_retention, advance,
                            merging)
    finally:
        store.close()


def _import_remote(args: argparse.Namespace, advance: Callable[[int], None]) -> Counts:
    """Reads the files here and sends their records to the server's admin endpoint."""
    from .ctrfiles import read_paths, send

    return send(args.endpoint, read_paths(args.paths), args.keep_past_retention, advance)


def export_records(args: argparse.Namespace) -> int:
    from .ctrfiles import export
    from .service import Service
    from .store import open_store
    from .store.base import Scope

    store = open_store(args.data)
    try:
        try:
            out = (sys.stdout.buffer if args.output == "-"
                   else open(args.output, "wb"))  # noqa: SIM115
        except OSError as exc:
            print(f"connectlocal: cannot write {args.output}: {_reason(exc)}", file=sys.stderr)
            return 2
        try:
            count = export(Service(store), Scope(args.account, args.region), args.instance_id,
                           out, args.since, args.until)
        finally:
            if out is not sys.stdout.buffer:
                out.close()
    except LookupError as exc:
        print(f"connectlocal: {exc.args[0]}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"connectlocal: cannot write {args.output}: {_reason(exc)}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"exported {count:,} contacts", file=sys.stderr)
    return 0


def simulate_traffic(args: argparse.Namespace) -> int:
    import time
    from datetime import UTC, datetime, timedelta

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console(stderr=True, soft_wrap=True)
    if args.live:
        return _simulate_live(args, console)
    if args.speed is not None or args.duration is not None:
        console.print("connectlocal: --speed and --duration are for --live")
        return 2
    end = args.end or datetime.now(UTC) - timedelta(hours=2)
    try:
        start = end - timedelta(days=args.days)
    except OverflowError:
        console.print(f"connectlocal: --days {args.days:g} before {end:%Y-%m-%d} is before "
                      "the year 1")
        return 2
    profile = _profile(args)
    progress = Progress(SpinnerColumn(), TextColumn("simulating"),
                        TextColumn("{task.completed:,} contacts"), TimeElapsedColumn(),
                        console=console, disable=args.quiet or not console.is_terminal)
    began = time.perf_counter()
    with progress:
        task = progress.add_task("simulating", total=None)

        def advance(n: int) -> None:
            progress.advance(task, n)

        try:
            simulator, new, already, where = (
                _simulate_remote if args.endpoint else _simulate_local)(
                    args, profile, start, end, advance)
        except OverflowError:
            console.print(f"connectlocal: the simulated period ({start:%Y-%m-%d} to "
                          f"{end:%Y-%m-%d}) reaches past the year 9999")
            return 2
        except (OSError, ValueError, LookupError) as exc:
            console.print(f"connectlocal: {exc}")
            return 1
    seconds = time.perf_counter() - began
    summary = simulator.summary
    table = Table(title=f"{summary.contacts:,} contacts, {start:%Y-%m-%d %H:%M} to "
                        f"{end:%Y-%m-%d %H:%M} UTC, {args.agents} agents, seed {args.seed}")
    table.add_column("channel")
    table.add_column("initiation method")
    table.add_column("contacts", justify="right")
    for (channel, method), count in sorted(summary.by_kind.items()):
        table.add_row(channel, method, f"{count:,}")
    console.print(table)
    console.print(f"answered {summary.answered:,}, abandoned {summary.abandoned:,}; service "
                  f"level ({20} s) {summary.service_level:.1%}; average wait "
                  f"{summary.average_wait:.1f} s; average handle {summary.average_handle:.1f} s; "
                  f"{new:,} stored in {seconds:.1f} s ({summary.contacts / seconds:,.0f} "
                  "contacts/s)" + (f"; {already:,} were stored already (the same seed and "
                                   "period make the same contacts)" if already else ""))
    console.print(f"simulated {where}", markup=False, highlight=False)
    print(simulator.instance.id)
    return 0


def _simulate_live(args: argparse.Namespace, console: Any) -> int:
    """``simulate --live``: the center at a running server's clock, until Ctrl-C (SIGINT or
    SIGTERM) or ``--duration`` seconds of wall time."""
    import threading
    import time

    import boto3
    import botocore.exceptions

    from .live import AdminCallError, LiveSimulator, http_admin, set_up

    if not args.endpoint:
        console.print("connectlocal: --live runs against a server: give --endpoint URL")
        return 2
    client = boto3.client(
        "connect", endpoint_url=args.endpoint, region_name=args.region,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", args.account),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"))
    admin = http_admin(args.endpoint, region=args.region)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        profile = _profile(args)
        center = set_up(client, args.agents, args.queues, args.seed, profile.acw_seconds,
                        args.instance_id)
        if args.speed is not None:
            admin("POST", "clock", {"rate": args.speed})
        simulator = LiveSimulator(client, admin, center, profile, args.seed)
        console.print(f"connectlocal: simulating {args.agents} agents in instance "
                      f"{center.instance_id} at {args.endpoint}"
                      + (f", {args.speed:g}x" if args.speed else "") + "; Ctrl-C stops",
                      markup=False, highlight=False)
        print(center.instance_id, flush=True)
        began = time.monotonic()
        simulator.run(stop, began + (args.duration or math.inf))
        if args.speed is not None:  # the clock runs on in real time from where it got to
            admin("POST", "clock", {"rate": 1})
    except (OSError, AdminCallError, botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError) as exc:
        console.print(f"connectlocal: {exc}", markup=False, highlight=False)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    c = simulator.counts
    console.print(f"{c.arrived:,} contacts arrived, {c.accepted:,} accepted, {c.ended:,} "
                  f"handled to the end, {c.abandoned:,} abandoned; {c.status_changes:,} "
                  f"agent status changes in {time.monotonic() - began:.1f} s",
                  markup=False, highlight=False)
    return 0


Simulated = tuple["Simulator", int, int, str]  # the run, contacts new, stored already, where


def _run_ids(seed: int, start: datetime, end: datetime) -> Ids:
    """Contact ids of a run: the same seed and period give the same contacts (a second run
    replaces them), another period new ones, also in an instance that has the first's."""
    import hashlib

    from .ids import Ids

    digest = hashlib.sha256(f"{seed}|{start.isoformat()}|{end.isoformat()}".encode()).digest()
    return Ids(int.from_bytes(digest[:16], "big"))


def _simulate_local(args: argparse.Namespace, profile: Profile, start: datetime,
                    end: datetime, advance: Callable[[int], None]) -> Simulated:
    from .bulk import load_contacts, seed_instance
    from .handlers import agents as agents_api
    from .handlers import directory
    from .service import RequestContext, Service
    from .simulate import Simulator
    from .store import open_store
    from .store.base import Scope

    store = open_store(args.data)
    try:
        service = Service(store)
        scope = Scope(args.account, args.region)
        alias = f"simulated-{args.seed}"
        if args.instance_id:
            instance_id, where = args.instance_id, f"into the instance {args.instance_id}: added"
        elif (found := _instance_by_alias(store, scope, alias)) is not None:
            instance_id, where = found, f"into the existing instance {alias} ({found}): added"
        else:
            with store.read(scope) as tx:  # an alias is unique across accounts and regions
                taken = itertools.count(2)
                while tx.alias_in_use(alias):
                    alias = f"simulated-{args.seed}-{next(taken)}"
            instance_id = seed_instance(service, scope, alias)["id"]
            where = f"into a new instance {alias} ({instance_id})"
        with store.read(scope) as tx:
            instance = tx.get_instance(instance_id)
        if instance is None:
            raise LookupError(f"Instance not found: {instance_id}")
        ctx = RequestContext(service, scope, "simulate", "CreateUser", service.now())
        queues = directory.list_queues(ctx, InstanceId=instance_id, QueueTypes=["STANDARD"])
        by_name = {q["Name"]: q["Id"] for q in queues["QueueSummaryList"]}
        queue = by_name.get("BasicQueue", queues["QueueSummaryList"][0]["Id"])
        hours = directory.list_hours_of_operations(ctx, InstanceId=instance_id)
        queue_ids = [queue, *(by_name.get(name) or directory.create_queue(
            ctx, InstanceId=instance_id, Name=name,
            HoursOfOperationId=hours["HoursOfOperationSummaryList"][0]["Id"],
            Description="Made by the connectlocal simulator")["QueueId"]
            for name in (f"Simulated queue {n}" for n in range(2, args.queues + 1)))]
        statuses = {s["Name"]: s["Id"] for s in agents_api.list_agent_statuses(
            ctx, InstanceId=instance_id)["AgentStatusSummaryList"]}
        security = directory.list_security_profiles(ctx, InstanceId=instance_id)
        agent_profile = next(p["Id"] for p in security["SecurityProfileSummaryList"]
                             if p["Name"] == "Agent")
        routing = directory.list_routing_profiles(ctx, InstanceId=instance_id)
        existing: dict[str, str] = {}
        token = None
        while True:
            page = directory.list_users(ctx, InstanceId=instance_id, MaxResults=1000,
                                        **({"NextToken": token} if token else {}))
            existing.update((u["Username"], u["Id"]) for u in page["UserSummaryList"])
            token = page.get("NextToken")
            if not token:
                break
        agents = []
        for n in range(args.agents):
            name = f"sim-agent-{n + 1:04d}"
            agents.append(existing.get(name) or directory.create_user(
                ctx, Username=name, Password="Simulated1!", InstanceId=instance_id,
                IdentityInfo={"FirstName": "Simulated", "LastName": f"Agent {n + 1}"},
                SecurityProfileIds=[agent_profile],
                RoutingProfileId=routing["RoutingProfileSummaryList"][0]["Id"])["UserId"])
        simulator = Simulator(instance, queue_ids, agents, profile, args.seed,
                              _run_ids(args.seed, start, end),
                              (statuses["Available"], statuses["Offline"]))
        loaded = load_contacts(service, scope, instance_id, simulator.run(start, end, advance))
        # The agents' statuses routing gave them (AGENT_OCCUPANCY reads them).
        with store.write(scope) as tx:
            for agent, at, status_id, status_type in simulator.history:
                tx.log_agent_status(instance_id, agent, at, status_id, status_type)
        return simulator, loaded.new, loaded.stored - loaded.new, where
    finally:
        store.close()


def _instance_by_alias(store: Store, scope: Scope, alias: str) -> str | None:
    after = None
    while True:
        with store.read(scope) as tx:
            page = tx.list_instances(after, 100)
        for instance in page:
            if instance.alias == alias:
                return instance.id
        if len(page) < 100:
            return None
        after = page[-1].id


def _simulate_remote(args: argparse.Namespace, profile: Profile, start: datetime,
                     end: datetime, advance: Callable[[int], None]) -> Simulated:
    """The same simulation, sent to a running server as contact trace records (into the
    seed's instance, made by the import if the server does not have it)."""
    import uuid

    from .ctr import Named, record
    from .ctrfiles import send
    from .models import Instance
    from .simulate import Simulator

    instance_id = args.instance_id or str(uuid.UUID(int=args.seed, version=4))
    arn = f"arn:aws:connect:{args.region}:{args.account}:instance/{instance_id}"
    instance = Instance(id=instance_id, arn=arn, identity_management_type="CONNECT_MANAGED",
                        created_time=start, inbound_calls_enabled=True,
                        outbound_calls_enabled=True)
    named = [str(uuid.UUID(int=args.seed + n, version=4)) for n in range(1, args.queues + 1)]
    queues = {q: Named(q, f"{arn}/queue/{q}", "Simulated" if n == 0 else f"Simulated {n + 1}")
              for n, q in enumerate(named)}
    agents = {str(uuid.UUID(int=args.seed * 100_000 + n, version=4)): f"sim-agent-{n + 1:04d}"
              for n in range(args.agents)}
    simulator = Simulator(instance, named, list(agents), profile, args.seed,
                          _run_ids(args.seed, start, end))
    existed = _remote_instance_exists(args.endpoint, args.account, args.region, instance_id)

    def records() -> Iterator[tuple[str, str, dict[str, object]]]:
        for n, contact in enumerate(simulator.run(start, end, advance)):
            agent = contact.agent
            who = (Named(agent.agent_id, f"{arn}/agent/{agent.agent_id}",
                         agents.get(agent.agent_id)) if agent else None)
            queue = queues[contact.queue.queue_id] if contact.queue else None
            yield "simulate", str(n + 1), record(contact, {}, args.account, queue, who)

    counts = send(args.endpoint, records())
    where = (f"into the existing instance {instance_id} at {args.endpoint}: added" if existed
             else f"into a new instance {instance_id} at {args.endpoint}")
    return simulator, counts.imported, counts.merged, where


def _remote_instance_exists(endpoint: str, account: str, region: str, instance_id: str) -> bool:
    """DescribeInstance at the server (it reads the caller's account and region from the
    credential scope of the Authorization header and checks no signature)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        f"{endpoint.rstrip('/')}/instance/{instance_id}", headers={
            "authorization": f"AWS4-HMAC-SHA256 Credential={account}/20250101/{region}/connect/"
                             "aws4_request, SignedHeaders=host, Signature=0"})
    try:
        with urllib.request.urlopen(request, timeout=30):
            return True
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return False
        raise OSError(f"the server at {endpoint} answered DescribeInstance with HTTP "
                      f"{exc.code}") from None
    except urllib.error.URLError as exc:
        raise OSError(f"cannot reach {endpoint}: {exc.reason}") from None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except EnvError as exc:
        print(f"connectlocal: {exc}", file=sys.stderr)
        return 2
    from .store import StoreError

    try:
        return _command(args)
    except StoreError as exc:  # a --data that is no store: one line, not a traceback
        print(f"connectlocal: {exc}", file=sys.stderr)
        return 2


def _command(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return serve(args)
    if args.command == "import":
        return import_records(args)
    if args.command == "export":
        return export_records(args)
    if args.command == "simulate":
        return simulate_traffic(args)
    if args.command == "coverage":
        return coverage(args)
    if args.command == "call":
        from .calls import run

        return run(args)
    return 2  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
