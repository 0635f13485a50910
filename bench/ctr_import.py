"""CTR import records/s into an empty SQLite store, through the same path as
``connectlocal import`` (read, parse, map, merge by LastUpdateTimestamp, bulk write).

Beside it, in the same run, the floors of this machine: every row the import stored (its
contacts, their metric facts, their chains' attributes and the list of answers to make),
already encoded and sorted, inserted into an empty store of the same schema in one
transaction (the store alone; the best of three); the contacts' rows alone (the floor
before the store kept facts); and orjson reading the file's records (the parsing alone).

    .venv/bin/python bench/ctr_import.py [--records N] [--duplicates FRACTION]

Writes bench/results/ctr_import.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from report import write

from connectlocal import __version__
from connectlocal.ctrfiles import import_paths
from connectlocal.service import Service
from connectlocal.store import open_store
from connectlocal.store.sqlite import WRITER_CACHE_KIB

INSTANCE = "arn:aws:connect:us-east-1:123456789012:instance/0f0e0d0c-0b0a-4908-8706-050403020100"


def write_records(path: Path, count: int, duplicates: float) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    queues = [f"{INSTANCE}/queue/{uuid.UUID(int=rng.getrandbits(128), version=4)}"
              for _ in range(5)]
    agents = [f"{INSTANCE}/agent/{uuid.UUID(int=rng.getrandbits(128), version=4)}"
              for _ in range(50)]
    with path.open("w") as out:
        previous: list[dict[str, object]] = []
        for n in range(count):
            if previous and rng.random() < duplicates:
                record = dict(rng.choice(previous))
                record["LastUpdateTimestamp"] = (now - timedelta(seconds=n)).isoformat()
            else:
                start = now - timedelta(seconds=rng.uniform(60, 30 * 86400))
                record = {
                    "AWSAccountId": "123456789012", "InstanceARN": INSTANCE,
                    "ContactId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "Channel": "VOICE", "InitiationMethod": "INBOUND",
                    "InitiationTimestamp": start.isoformat(),
                    "ConnectedToSystemTimestamp": start.isoformat(),
                    "DisconnectTimestamp": (start + timedelta(minutes=7)).isoformat(),
                    "LastUpdateTimestamp": (start + timedelta(minutes=8)).isoformat(),
                    "DisconnectReason": "CUSTOMER_DISCONNECT",
                    "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+15555550100"},
                    "SystemEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+18005550199"},
                    "Queue": {"ARN": rng.choice(queues), "Name": "Support",
                              "EnqueueTimestamp": (start + timedelta(seconds=30)).isoformat()},
                    "Agent": {"ARN": rng.choice(agents), "Username": "agent",
                              "ConnectedToAgentTimestamp":
                                  (start + timedelta(seconds=90)).isoformat()},
                    "Attributes": {"customer": str(n), "tier": "gold"},
                }
                previous.append(record)
                if len(previous) > 1000:
                    previous.pop(0)
            out.write(json.dumps(record) + "\n")


# What an import into an empty store writes, each table's rows in its key order.
IMPORTED = {"contacts": "account, region, instance_id, contact_id",
            "contact_facts": "account, region, instance_id, initiated, contact_id",
            "attributes": "account, region, instance_id, initial_id",
            "answers_pending": "account, region, instance_id, contact_id"}


FLOOR_RUNS = 3


def bare_insert(imported: Path, empty: Path, tables: tuple[str, ...]) -> float:
    """Seconds the store alone takes: ``imported``'s rows of ``tables``, sorted, inserted
    into ``empty`` in one transaction."""
    with sqlite3.connect(imported) as source:
        rows = {table: source.execute(f"SELECT * FROM {table} ORDER BY {IMPORTED[table]}"
                                      ).fetchall() for table in tables}
    open_store(str(empty)).close()  # the schema, page size and journal of a new store
    db = sqlite3.connect(empty, isolation_level=None)
    db.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")  # the writer's
    db.execute("PRAGMA synchronous=FULL")
    started = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    for table, values in rows.items():
        if values:
            db.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(values[0]))})",
                           values)
    db.execute("COMMIT")
    seconds = time.perf_counter() - started
    db.close()
    return seconds


def parse_only(source: Path) -> float:
    """Records/s of orjson reading the file's lines."""
    started = time.perf_counter()
    with source.open("rb") as lines:
        count = sum(1 for line in lines if orjson.loads(line) is not None)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--duplicates", type=float, default=0.1,
                        help="fraction of records that repeat an earlier contact")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "ctrs.jsonl"
        write_records(source, args.records, args.duplicates)
        # The file on disk before the clock starts: its writeback would otherwise compete
        # with the import's commits (and not with the floors', which run later).
        os.sync()
        store = open_store(str(Path(tmp) / "import.db"))
        started = time.perf_counter()
        counts = import_paths(Service(store), [str(source)])
        seconds = time.perf_counter() - started
        store.close()
        size = source.stat().st_size
        # The floors are the best of FLOOR_RUNS (one run varied by up to a fifth).
        floor = min(bare_insert(Path(tmp) / "import.db", Path(tmp) / f"bare{n}.db",
                                tuple(IMPORTED)) for n in range(FLOOR_RUNS))
        contacts_only = min(bare_insert(Path(tmp) / "import.db", Path(tmp) / f"contacts{n}.db",
                                        ("contacts",)) for n in range(FLOOR_RUNS))
        parsing = parse_only(source)
    # Rates are the file's records a second, the floors' too (over the floor's time), so
    # their ratio is the floor's time over the import's.
    rate = args.records / seconds
    floor, contacts_only = args.records / floor, args.records / contacts_only
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
              "connectlocal": __version__, "records": args.records, "seconds": seconds,
              "records_per_second": rate, "file_bytes": size,
              "bare_insert_records_per_second": floor,
              "bare_insert_contacts_only_records_per_second": contacts_only,
              "parse_only_records_per_second": parsing,
              "counts": {k: v for k, v in counts.as_dict().items() if k != "problems"}}
    table = (f"| records | seconds | records/s | imported | merged |\n|---|---|---|---|---|\n"
             f"| {args.records:,} | {seconds:.1f} | {rate:,.0f} | {counts.imported:,} | "
             f"{counts.merged:,} |\n\nFloors in the same run: every row the import stored "
             f"(contacts, facts, attributes, answers to make), encoded and sorted, inserted "
             f"alone (best of {FLOOR_RUNS}) **{floor:,.0f} records/s** (the contacts' rows alone: "
             f"{contacts_only:,.0f}/s); orjson reading the records alone {parsing:,.0f}/s. "
             f"Import / bare insert: **{rate / floor:.2f}x** (of the contacts' rows alone: "
             f"{rate / contacts_only:.2f}x).")
    write("ctr_import", result, table)


if __name__ == "__main__":
    main()
