"""The CTR stream: when a contact ends, and whenever it changes after that, its contact trace
record goes to a JSON Lines file and/or is POSTed to a webhook, the way an instance streams
CTRs to Kinesis (at least once; a consumer dedupes by ContactId and LastUpdateTimestamp).

The write that ends or changes an ended contact queues it in the store's outbox in its own
transaction (store.base; docs/design/outbox.md), so an acknowledged write's CTR survives a
``kill -9``; this module's thread claims queued contacts for a lease, delivers their records
and removes them, so that several servers on one store each deliver a share and none twice.
An API call never waits for it. A failing webhook is retried with exponential backoff for a
retry duration, as a Firehose stream retries its HTTP endpoint (``DurationInSeconds``, 300 s
unless set; 0 to 7,200), counted from its first failure since it last took a record; after
it, each record it fails is logged and dropped (the file, if configured, still has it).
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import orjson

from .ctrfiles import record_of
from .models import Contact
from .service import Service
from .store.base import STREAM_HEARTBEAT, Pending, Scope

log = logging.getLogger(__name__)

# A failing webhook is tried again for this long (from its first failure since it last took
# a record; the tries themselves not counted, as Firehose's HttpEndpointRetryOptions.
# DurationInSeconds), the waits between tries doubling from FIRST_WAIT up to LONGEST_WAIT.
RETRY_SECONDS = 300
FIRST_WAIT = 0.5
LONGEST_WAIT = 30.0
BATCH = 100  # queued contacts claimed at a time
LEASE = 15.0  # seconds a claim lasts, renewed while its records are delivered
TRY_SECONDS = 10.0  # a POST's timeout
POLL = 0.5  # seconds between looks at the outbox (another server's writes) when idle


class CtrStream:
    def __init__(self, service: Service, file: str | None = None,
                 webhook: str | None = None, retry_seconds: float = RETRY_SECONDS,
                 first_wait: float = FIRST_WAIT) -> None:
        self.service = service
        self.file = Path(file) if file else None
        self.webhook = webhook
        self.retry_seconds = retry_seconds
        self.first_wait = first_wait
        self.consumer = uuid.uuid4().hex
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ctr-stream", daemon=True)
        self._seen = 0.0  # when this consumer last told the store it is there (monotonic)
        self._renewed = 0.0
        # When the webhook's failures since its last success are past the retry duration
        # (monotonic): one outage, however many records it spans. An outage ends when the
        # webhook takes a record, or when no try has failed for a retry duration (nothing
        # was sent: it may be back).
        self._failing_until: float | None = None
        self._failed_at = 0.0

    def start(self) -> CtrStream:
        if self.file is not None:
            self.file.parent.mkdir(parents=True, exist_ok=True)
        # Before the first request: from here on every write's ended contacts are queued.
        self.service.store.register_stream(self.consumer, time.time())
        self._seen = time.monotonic()
        self.service.store.watch(self.committed)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Delivers what is queued (a failing webhook is not waited for: its records stay
        queued for the next stream), then stops."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)
        try:
            self.service.store.unregister_stream(self.consumer)
        except Exception:
            log.warning("the CTR stream could not unregister from the store", exc_info=True)

    def committed(self, scope: Scope, contacts: list[Contact]) -> None:
        """Called by the store after a commit: an ended contact was queued, deliver now."""
        if any(contact.disconnect_timestamp is not None for contact in contacts):
            self._wake.set()

    def _run(self) -> None:
        store = self.service.store
        failing = False
        while True:
            try:
                if time.monotonic() - self._seen >= STREAM_HEARTBEAT:
                    store.register_stream(self.consumer, time.time())
                    self._seen = time.monotonic()
                batch = store.claim_outbox(self.consumer, BATCH, time.time(), LEASE)
                failing = False
            except Exception:
                if not failing:  # once while the store is out of reach, not every poll
                    log.warning("the CTR stream cannot read the store's outbox", exc_info=True)
                failing = True
                batch = []
            if not batch:
                if self._stopping.is_set():
                    return
                self._wake.wait(POLL)
                self._wake.clear()
                continue
            try:
                if not self._deliver(batch):
                    return
            except Exception:
                log.exception("the CTR stream failed delivering; its claim ends with its lease")

    def _deliver(self, batch: list[Pending]) -> bool:
        """Delivers a claimed batch; False when the stream stops before it is done (what is
        left is given back)."""
        store = self.service.store
        self._renewed = time.monotonic()
        lines: list[tuple[int, str, bytes]] = []
        for seq, scope, contact in batch:
            try:
                lines.append((seq, contact.id, orjson.dumps(self._record(scope, contact))
                              + b"\n"))
            except Exception:
                log.exception("CTR of contact %s could not be made", contact.id)
                lines.append((seq, contact.id, b""))
        if self.file is not None:
            with self.file.open("ab") as out:
                out.write(b"".join(line for _, _, line in lines))
        if self.webhook is None:
            store.finish_outbox(self.consumer, [seq for seq, _, _ in lines])
            return True
        done: list[int] = []
        for index, (seq, contact_id, line) in enumerate(lines):
            left = [s for s, _, _ in lines[index:]]
            # A try takes up to TRY_SECONDS: renewed at LEASE - TRY_SECONDS at the latest.
            if time.monotonic() - self._renewed > LEASE - TRY_SECONDS:
                store.finish_outbox(self.consumer, done)
                done = []
                self._renew(left, 0.0)
            if line and not self._post(line, contact_id, left):
                store.finish_outbox(self.consumer, done)
                store.release_outbox(self.consumer, left)
                return False
            done.append(seq)
        store.finish_outbox(self.consumer, done)
        return True

    def _renew(self, seqs: list[int], wait: float) -> None:
        self.service.store.renew_outbox(self.consumer, seqs, time.time() + wait + LEASE)
        self._renewed = time.monotonic()

    def _record(self, scope: Scope, contact: Contact) -> dict[str, object]:
        with self.service.store.read(scope) as tx:
            return record_of(tx, contact)

    def _post(self, line: bytes, contact_id: str, claimed: list[int]) -> bool:
        """POSTs one record, retrying while the webhook has been failing for less than
        ``retry_seconds`` (since its last success: a long outage drops each record after one
        try, not after a retry duration of its own); False when the stream stops during a
        wait between tries (the record is not dropped: it stays queued)."""
        assert self.webhook is not None
        wait, tries = self.first_wait, 0
        while True:
            request = urllib.request.Request(self.webhook, data=line, method="POST",
                                             headers={"content-type": "application/json"})
            tries += 1
            started = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=TRY_SECONDS) as response:
                    if 200 <= response.status < 300:
                        self._failing_until = None
                        return True
                    problem = f"HTTP {response.status}"
            except urllib.error.HTTPError as error:
                problem = f"HTTP {error.code}"
            except (urllib.error.URLError, OSError) as error:
                problem = str(error)
            now = time.monotonic()
            if self._failing_until is None or started - self._failed_at > self.retry_seconds:
                self._failing_until = now + self.retry_seconds  # a new outage
            else:  # the time a try takes is not counted in the retry duration
                self._failing_until += now - started
            self._failed_at = now
            left = self._failing_until - now
            if left <= 0:
                log.error("CTR of contact %s not delivered to %s: it failed %d tries, the "
                          "last %s, and the webhook has failed for its retry duration (%s "
                          "s); dropped", contact_id, self.webhook, tries, problem,
                          f"{self.retry_seconds:g}")
                return True
            wait = min(wait, left)
            log.warning("CTR of contact %s to %s failed (%s); retrying in %.1f s",
                        contact_id, self.webhook, problem, wait)
            self._renew(claimed, wait)  # the claim outlasts the wait and the next try
            if self._stopping.wait(wait):
                return False
            wait = min(wait * 2, LONGEST_WAIT)
