"""The README's operation table is the one the code generates."""

from __future__ import annotations

from pathlib import Path

from connectlocal.cli import README_END, README_START, operations_table


def test_readme_operations_table_is_current() -> None:
    text = (Path(__file__).parents[2] / "README.md").read_text()
    section = text.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    assert section == operations_table(), \
        "README is stale: run `connectlocal coverage --readme README.md`"
