"""Where every benchmark writes: bench/results/NAME.json (the numbers) and NAME.md (the table),
and prints the table. ``CONNECTLOCAL_BENCH_RESULTS`` names another directory (the harness's
smoke test writes there)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RESULTS = Path(os.environ.get("CONNECTLOCAL_BENCH_RESULTS") or Path(__file__).parent / "results")


def write(name: str, result: dict[str, Any], table: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(table + "\n")
    print(table)
