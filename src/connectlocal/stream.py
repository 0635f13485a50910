"""The CTR stream: when a contact ends, and whenever it changes after that, its contact trace
record goes to a JSON Lines file and/or is POSTed to a webhook, the way an instance streams
CTRs to Kinesis (at least once; a consumer dedupes by ContactId and LastUpdateTimestamp).

The store tells the stream what each committed write put (``Store.watch``); the stream
queues it and a thread of its own writes and posts, so an API call never waits for it. A
failing webhook is retried with exponential backoff; after the last try the record is
logged and dropped (the file, if configured, still has it).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson

from .ctrfiles import record_of
from .models import Contact
from .service import Service
from .store.base import Scope

log = logging.getLogger(__name__)

RETRIES = 6  # tries per record: waits of 0.5, 1, 2, 4, 8 s between them
FIRST_WAIT = 0.5


class CtrStream:
    def __init__(self, service: Service, file: str | None = None,
                 webhook: str | None = None, first_wait: float = FIRST_WAIT) -> None:
        self.service = service
        self.file = Path(file) if file else None
        self.webhook = webhook
        self.first_wait = first_wait
        self._queue: queue.Queue[tuple[Scope, Contact] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="ctr-stream", daemon=True)

    def start(self) -> CtrStream:
        if self.file is not None:
            self.file.parent.mkdir(parents=True, exist_ok=True)
        self.service.store.watch(self.committed)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def committed(self, scope: Scope, contacts: list[Contact]) -> None:
        """Called by the store after a commit: ended contacts go out."""
        for contact in contacts:
            if contact.disconnect_timestamp is not None:
                self._queue.put((scope, contact))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            scope, contact = item
            try:
                line = orjson.dumps(self._record(scope, contact)) + b"\n"
            except Exception:
                log.exception("CTR of contact %s could not be made", contact.id)
                continue
            if self.file is not None:
                with self.file.open("ab") as out:
                    out.write(line)
            if self.webhook is not None:
                self._post(line, contact.id)

    def _record(self, scope: Scope, contact: Contact) -> dict[str, object]:
        with self.service.store.read(scope) as tx:
            return record_of(tx, contact)

    def _post(self, line: bytes, contact_id: str) -> None:
        assert self.webhook is not None
        wait = self.first_wait
        for attempt in range(1, RETRIES + 1):
            request = urllib.request.Request(self.webhook, data=line, method="POST",
                                             headers={"content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    if 200 <= response.status < 300:
                        return
                    problem = f"HTTP {response.status}"
            except urllib.error.HTTPError as error:
                problem = f"HTTP {error.code}"
            except (urllib.error.URLError, OSError) as error:
                problem = str(error)
            if attempt == RETRIES:
                log.error("CTR of contact %s not delivered to %s after %d tries: %s",
                          contact_id, self.webhook, RETRIES, problem)
                return
            log.warning("CTR of contact %s to %s failed (%s); retrying in %.1f s",
                        contact_id, self.webhook, problem, wait)
            time.sleep(wait)
            wait *= 2
