"""CTR import records/s into an empty SQLite store, through the same path as
``connectlocal import`` (read, parse, map, merge by LastUpdateTimestamp, bulk write).

    .venv/bin/python bench/ctr_import.py [--records N] [--duplicates FRACTION]

Writes bench/results/ctr_import.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from report import write

from connectlocal import __version__
from connectlocal.ctrfiles import import_paths
from connectlocal.service import Service
from connectlocal.store import open_store

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--duplicates", type=float, default=0.1,
                        help="fraction of records that repeat an earlier contact")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "ctrs.jsonl"
        write_records(source, args.records, args.duplicates)
        store = open_store(str(Path(tmp) / "import.db"))
        started = time.perf_counter()
        counts = import_paths(Service(store), [str(source)])
        seconds = time.perf_counter() - started
        store.close()
        size = source.stat().st_size
    rate = args.records / seconds
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
              "connectlocal": __version__, "records": args.records, "seconds": seconds,
              "records_per_second": rate, "file_bytes": size,
              "counts": {k: v for k, v in counts.as_dict().items() if k != "problems"}}
    table = (f"| records | seconds | records/s | imported | merged |\n|---|---|---|---|---|\n"
             f"| {args.records:,} | {seconds:.1f} | {rate:,.0f} | {counts.imported:,} | "
             f"{counts.merged:,} |")
    write("ctr_import", result, table)


if __name__ == "__main__":
    main()
