"""CTR files in and out: reading every shape CTRs come in (a JSON array, one object, JSON Lines,
Firehose's objects with no separator, gzip), importing them into a service through the bulk
path (newest LastUpdateTimestamp wins), and exporting contacts as JSON Lines."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson

from . import adminclient, rules
from .bulk import collector_paused
from .ctr import (
    CtrError,
    ImportedContact,
    Named,
    decode,
    parse,
    parse_json,
    record,
    writable,
)
from .handlers.defaults import create_default_directory
from .models import (
    Contact,
    HoursOfOperation,
    Instance,
    MediaConcurrency,
    Queue,
    RoutingProfile,
    SecurityProfile,
    User,
)
from .service import RequestContext, Service
from .store.base import BulkLoad, Scope, Tx

BATCH = 20_000  # records added to an import's bulk load at a time (a progress step)


@dataclass
class Problem:
    source: str
    position: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.position}: {self.message}"


@dataclass
class Counts:
    imported: int = 0  # records that made a new contact
    merged: int = 0  # records of a contact already seen: the newest LastUpdateTimestamp wins
    skipped: int = 0  # records that are no contact (problems lists them)
    past_retention: int = 0  # older than 24 months at the service clock (stored or not)
    problems: list[Problem] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        self.imported += other.imported
        self.merged += other.merged
        self.skipped += other.skipped
        self.past_retention += other.past_retention
        self.problems += other.problems

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "merged": self.merged, "skipped": self.skipped,
                "past_retention": self.past_retention,
                "problems": [[p.source, p.position, p.message] for p in self.problems[:1000]]}

    @classmethod
    def from_dict(cls, answer: dict[str, Any]) -> Counts:
        return cls(answer["imported"], answer["merged"], answer["skipped"],
                   answer["past_retention"], [Problem(*p) for p in answer["problems"]])


# ----------------------------------------------------------------------------- reading


def open_text(path: str) -> IO[bytes]:
    """A CTR file's bytes: ``-`` is stdin, ``.gz`` is gunzipped."""
    if path == "-":
        return sys.stdin.buffer
    if path.endswith(".gz"):  # buffered: a gzip file read a line at a time is slow
        return io.BufferedReader(gzip.GzipFile(path, "rb"))  # closing it closes the file
    return open(path, "rb")


def expand(paths: Iterable[str]) -> Iterator[str]:
    """Files, and the files under directories (sorted), in the order given."""
    for path in paths:
        if path != "-" and Path(path).is_dir():
            yield from sorted(str(p) for p in Path(path).rglob("*") if p.is_file())
        else:
            yield path


# An object over several lines (pretty-printed) is read on as long as it is open, up to this
# many characters from where it starts; past it, it is refused as a JSON error at that point.
MAX_OBJECT = 64 * 1024 * 1024


def records(data: bytes | IO[bytes], source: str,
            loads: Callable[[bytes | str], Any] = orjson.loads,
            ) -> Iterator[tuple[str, Any | Problem]]:
    """(position, record or Problem) for each record in one file's bytes (or its stream, read
    a line at a time: a file of JSON Lines is never held whole). ``loads`` reads a line of
    JSON Lines, its bytes or its text (``ctr.decode``: the contact itself, when it can)."""
    stream: IO[bytes] = io.BytesIO(data) if isinstance(data, bytes) else data
    head: list[bytes] = []  # the lines up to the first that is not blank
    for raw in stream:
        head.append(raw)
        if raw.strip():
            break
    if head and head[-1].lstrip().startswith(b"["):  # a JSON array: read whole
        whole = b"".join(head) + stream.read()
        try:
            items = orjson.loads(whole)
        except orjson.JSONDecodeError as exc:
            yield "the file", Problem(source, "the file", f"not a JSON array: {exc}")
            return
        for index, item in enumerate(items):
            yield f"record {index + 1}", item
        return
    raws = itertools.chain(head, stream)
    lines = (raw.decode("utf-8", errors="replace") for raw in raws)
    decoder = json.JSONDecoder()
    # ``text`` holds whole lines of the file, the first of them line ``base``; ``line`` is
    # the line ``index`` is on, ``on_line`` how many objects that line had before it.
    text, base, index, line, on_line = "", 1, 0, 1, 0
    size = 0
    while True:
        while True:
            while index < size and text[index] in " \t\r\n":
                if text[index] == "\n":
                    line, on_line = line + 1, 0
                index += 1
            if index < size:
                break
            following = next(raws, None)  # what is held is read: the next line
            if following is None:
                return
            try:  # JSON Lines, the fast path: the line's bytes, one record
                item = loads(following)
            except orjson.JSONDecodeError:  # read as text, below
                text, base, index = following.decode("utf-8", errors="replace"), line, 0
                size = len(text)
            else:
                yield f"line {line}", item
                line, on_line = line + 1, 0
        end = text.find("\n", index)
        end = size if end < 0 else end
        if on_line == 0:  # JSON Lines: one record a line, the fast path
            try:
                item = loads(text[index:end])
            except orjson.JSONDecodeError:
                pass
            else:
                yield f"line {line}", item
                index, on_line = end, 1
                continue
        # Firehose's {...}{...} with no separator, or an object over several lines: read on
        # while it is open (a JSON token never spans lines, so an error before the end of
        # what is held is the error of the whole file).
        grow = 1
        while True:
            try:
                item, stop = decoder.raw_decode(text, index)
            except RecursionError:  # json's reader recurses per level
                where = f"line {line}"
                yield where, Problem(source, where, "not JSON this reads: nested too deeply")
                index, on_line = end, 1
                break
            except json.JSONDecodeError as exc:
                more = ("".join(itertools.islice(lines, grow))
                        if exc.pos >= size and size - index < MAX_OBJECT else "")
                if more:
                    text, grow = text + more, grow * 2
                    size = len(text)
                    continue
                where = f"line {line}"
                yield where, Problem(source, where, (
                    f"not JSON: {exc.msg} (line {base + exc.lineno - 1}, column {exc.colno})"))
                index, on_line = end, 1
                break
            on_line += 1
            yield (f"line {line}" if on_line == 1 else f"line {line}, object {on_line}"), item
            line += text.count("\n", index, stop)
            index = stop
            break


# ----------------------------------------------------------------------------- importing


class Importer:
    """Imports CTRs into a service: instances, queues, agents and routing profiles the
    records name are created on the way (with the ids their ARNs give)."""

    def __init__(self, service: Service, keep_past_retention: bool = False) -> None:
        self.service = service
        self.keep_past_retention = keep_past_retention
        self._known: set[tuple[Scope, str, str]] = set()  # (scope, kind, id) made or found

    def load(self, items: Iterable[tuple[str, str, Any]],
             progress: Callable[[int], None] | None = None,
             merging: Callable[[], None] | None = None) -> Counts:
        """``items``: (source, position, record or Problem), a record as JSON decoders give
        it or the contact ``ctr.decode`` read. One bulk load: the records are added ``BATCH`` at
        a time (``progress`` is told each batch's size) and merged at the end (``merging`` is
        told when that starts: a third of the time)."""
        counts = Counts()
        batch: list[ImportedContact] = []
        with collector_paused(), self.service.store.bulk_load() as load:
            for source, position, item in items:
                if isinstance(item, Problem):
                    counts.skipped += 1
                    counts.problems.append(item)
                    continue
                try:
                    batch.append(item if item.__class__ is ImportedContact
                                 else parse_json(item))
                except CtrError as exc:
                    counts.skipped += 1
                    counts.problems.append(Problem(source, position, str(exc)))
                if len(batch) >= BATCH:
                    self._add(load, batch, counts)
                    if progress:
                        progress(len(batch))
                    batch = []
            if batch:
                self._add(load, batch, counts)
                if progress:
                    progress(len(batch))
            if merging:
                merging()
            counts.imported, counts.merged = load.merge()
        return counts

    def _add(self, load: BulkLoad, batch: list[ImportedContact], counts: Counts) -> None:
        earliest = rules.earliest_describable(self.service.now())
        scopes: dict[Scope, list[ImportedContact]] = {}
        for item in batch:
            if item.initiated < earliest:
                counts.past_retention += 1
                if not self.keep_past_retention:
                    continue
            scopes.setdefault(item.scope, []).append(item)
        for scope, items in scopes.items():
            unknown = [item for item in items if not self._knows(item)]
            if unknown:
                with self.service.store.write(scope) as tx:
                    for item in unknown:
                        self._directory(tx, item)
            load.add(scope, [item.staged for item in items])

    def _knows(self, item: ImportedContact) -> bool:
        """Whether the instance, queue and agent the record names were made or found."""
        scope, known = item.scope, self._known
        return ((scope, "instance", item.instance.id) in known
                and (item.queue is None or (scope, "queue", item.queue.id) in known)
                and (item.agent is None or (scope, "agent", item.agent.id) in known))

    def _directory(self, tx: Tx, item: ImportedContact) -> None:
        """Creates the instance, queue, agent and routing profile a record names, once."""
        scope, instance_id = item.scope, item.instance.id
        if (scope, "instance", instance_id) not in self._known:
            if tx.get_instance(instance_id) is None:
                self._create_instance(tx, scope, item.instance)
            self._known.add((scope, "instance", instance_id))
        if item.queue and (scope, "queue", item.queue.id) not in self._known:
            if tx.get_resource(instance_id, Queue, item.queue.id) is None:
                agent_queue = "/queue/agent/" in item.queue.arn
                hours = tx.list_resources(instance_id, HoursOfOperation, None, 1)
                tx.put_resource(instance_id, Queue(
                    id=item.queue.id, arn=item.queue.arn,
                    name=item.queue.name or f"Imported queue {item.queue.id[:8]}",
                    queue_type="AGENT" if agent_queue else "STANDARD",
                    hours_of_operation_id=None if agent_queue or not hours else hours[0].id,
                    last_modified_time=self.service.now(), last_modified_region=scope.region))
            self._known.add((scope, "queue", item.queue.id))
        if item.agent and (scope, "agent", item.agent.id) not in self._known:
            if tx.get_resource(instance_id, User, item.agent.id) is None:
                self._create_agent(tx, scope, item)
            self._known.add((scope, "agent", item.agent.id))

    def _create_instance(self, tx: Tx, scope: Scope, named: Named) -> None:
        now = self.service.now()
        tx.put_instance(Instance(
            id=named.id, arn=named.arn, identity_management_type="CONNECT_MANAGED",
            created_time=now, inbound_calls_enabled=True, outbound_calls_enabled=True,
            alias=f"imported-{named.id[:8]}"))
        ctx = RequestContext(self.service, scope, "import", "ImportContactTraceRecords", now)
        create_default_directory(ctx, tx, named.id, now)

    def _create_agent(self, tx: Tx, scope: Scope, item: ImportedContact) -> None:
        assert item.agent is not None
        instance_id, now = item.instance.id, self.service.now()
        profile_id = None
        if item.routing_profile is not None:
            profile_id = item.routing_profile.id
            if tx.get_resource(instance_id, RoutingProfile, profile_id) is None:
                default = tx.list_resources(instance_id, RoutingProfile, None, 100)
                queue = default[0].default_outbound_queue_id if default else ""
                tx.put_resource(instance_id, RoutingProfile(
                    id=profile_id, arn=item.routing_profile.arn,
                    name=item.routing_profile.name or f"Imported profile {profile_id[:8]}",
                    description="Imported with contact trace records",
                    default_outbound_queue_id=queue,
                    media_concurrencies=[MediaConcurrency("VOICE", 1)],
                    last_modified_time=now, last_modified_region=scope.region))
        else:
            profiles = tx.list_resources(instance_id, RoutingProfile, None, 1)
            profile_id = profiles[0].id if profiles else ""
        security = [p.id for p in tx.list_resources(instance_id, SecurityProfile, None, 100)
                    if p.name == "Agent"]
        tx.put_resource(instance_id, User(
            id=item.agent.id, arn=item.agent.arn,
            username=item.agent.name or f"imported-{item.agent.id[:8]}",
            routing_profile_id=profile_id, security_profile_ids=security,
            last_modified_time=now, last_modified_region=scope.region))


def read_paths(paths: Iterable[str], loads: Callable[[bytes | str], Any] = orjson.loads,
               ) -> Iterator[tuple[str, str, Any]]:
    """(source, position, record or Problem) for every record of the files, in order
    (``loads``: as ``records``)."""
    for path in expand(paths):
        source = "stdin" if path == "-" else path
        try:
            handle = open_text(path)
        except OSError as exc:
            yield source, "the file", Problem(source, "the file", f"cannot read: {exc}")
            continue
        # Read as it is imported: a file that fails midway (a truncated gzip, a disk error)
        # gives the records before it, then the problem.
        with handle:
            try:
                for position, item in records(handle, source, loads):
                    yield source, position, item
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                yield source, "the file", Problem(source, "the file", f"cannot read: {exc}")


def import_paths(service: Service, paths: Iterable[str], keep_past_retention: bool = False,
                 progress: Callable[[int], None] | None = None,
                 merging: Callable[[], None] | None = None) -> Counts:
    return Importer(service, keep_past_retention).load(read_paths(paths, decode), progress,
                                                       merging)


def send(endpoint: str, items: Iterable[tuple[str, str, Any]],
         keep_past_retention: bool = False,
         progress: Callable[[int], None] | None = None,
         limit: int | None = None) -> Counts:
    """Imports records into the connectlocal server at ``endpoint`` (its admin endpoint), in
    requests whose bodies fit the server's limit (``limit`` bytes, default
    ``server.http.MAX_BODY``; real CTRs are a few KB each, so it is bytes that bound a
    request, not a count); problems found reading them are counted here. A request the
    server refuses, or a server out of reach, raises OSError saying which and what was
    imported before it."""
    from .server.http import MAX_BODY

    counts = Counts()
    url = endpoint.rstrip("/") + "/_connectlocal/ctr"
    head = b'{"keep_past_retention":' + (b"true" if keep_past_retention else b"false")
    head += b',"records":['
    room = (limit or MAX_BODY) - len(head) - 2  # the closing "]}"

    def post(chunk: list[bytes]) -> None:
        body = head + b",".join(chunk) + b"]}"
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers=adminclient.headers())
        try:
            with urllib.request.urlopen(request, timeout=600) as response:
                counts.add(Counts.from_dict(orjson.loads(response.read())))
        except urllib.error.HTTPError as exc:
            raise OSError(f"the server at {endpoint} refused {len(chunk):,} records "
                          f"({len(body):,} bytes) with HTTP {exc.code}: {_said(exc)}"
                          f"{_before(counts)}") from None
        except urllib.error.URLError as exc:
            raise OSError(f"cannot reach {endpoint}: {exc.reason}{_before(counts)}") from None
        if progress:
            progress(len(chunk))

    chunk: list[bytes] = []
    size = 0
    for source, position, item in items:
        if isinstance(item, Problem):
            counts.skipped += 1
            counts.problems.append(item)
            continue
        try:
            encoded = orjson.dumps([source, position, item])
        except TypeError:  # a lone surrogate or an integer past 64 bits (json's reader keeps
            # them): the problem parse finds, as a local import's; where parse finds none,
            # they are in what the import does not keep, and are sent without them
            try:
                parse(item)
                encoded = orjson.dumps([writable(source), position, writable(item)])
            except CtrError as exc:
                counts.skipped += 1
                counts.problems.append(Problem(source, position, str(exc)))
                continue
            except (TypeError, RecursionError):  # nested past what orjson writes
                counts.skipped += 1
                counts.problems.append(Problem(source, position, (
                    "the record is nested too deeply to be sent to a server; it imports "
                    "with --data")))
                continue
        if len(encoded) > room:
            counts.skipped += 1
            counts.problems.append(Problem(source, position, (
                f"the record is {len(encoded):,} bytes: more than a request to the server "
                f"may carry ({room:,})")))
            continue
        if chunk and (size + len(chunk) + len(encoded) > room or len(chunk) >= BATCH):
            post(chunk)
            chunk, size = [], 0
        chunk.append(encoded)
        size += len(encoded)
    if chunk:
        post(chunk)
    return counts


def _said(error: urllib.error.HTTPError) -> str:
    """What a refusing server said: its JSON message, or its body's text."""
    text = error.read(4096)
    try:
        answer = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text.decode("utf-8", "replace").strip() or str(error.reason)
    if isinstance(answer, dict):
        for key in ("error", "message", "Message"):
            if isinstance(answer.get(key), str):
                return str(answer[key])
    return text.decode("utf-8", "replace")


def _before(counts: Counts) -> str:
    done = counts.imported + counts.merged
    return f" ({done:,} records were imported before it)" if done else ""


# ----------------------------------------------------------------------------- exporting


def export(service: Service, scope: Scope, instance_id: str, out: IO[bytes],
           start: datetime | None = None, end: datetime | None = None) -> int:
    """Writes the instance's contacts (initiated within [start, end]) as CTR JSON Lines, oldest
    first; returns how many."""
    with service.store.read(scope) as tx:
        if tx.get_instance(instance_id) is None:
            raise LookupError(f"Instance not found: {instance_id} (account {scope.account}, "
                              f"region {scope.region})")
        now = service.now()
        floor = rules.earliest_describable(now)
        contacts = sorted(
            (rules.settle(c, now) for c in tx.list_contacts(
                instance_id, max(start or floor, floor),
                end or datetime.max.replace(tzinfo=floor.tzinfo))),
            key=lambda c: (c.initiation_timestamp, c.id))
        for contact in contacts:
            out.write(orjson.dumps(record_of(tx, contact)) + b"\n")
    out.flush()
    return len(contacts)


def record_of(tx: Tx, contact: Contact) -> dict[str, Any]:
    """The contact's CTR, with its chain's attributes and the names of its queue and agent."""
    attributes = tx.get_attributes(contact.instance_id, contact.chain_root)
    queue = (tx.get_resource(contact.instance_id, Queue, contact.queue.queue_id)
             if contact.queue else None)
    user = (tx.get_resource(contact.instance_id, User, contact.agent.agent_id)
            if contact.agent else None)
    profile = (tx.get_resource(contact.instance_id, RoutingProfile, user.routing_profile_id)
               if user else None)
    return record(contact, attributes, tx.scope.account,
                  Named(queue.id, queue.arn, queue.name) if queue else None,
                  Named(user.id, user.arn, user.username) if user else None,
                  Named(profile.id, profile.arn, profile.name) if profile else None)
