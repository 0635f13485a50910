"""The pinned model is botocore's own, unchanged: an upgrade is a decision, not an accident."""

from __future__ import annotations

import gzip
import json
from importlib import metadata
from pathlib import Path

import botocore

from connectlocal import spec


def _installed(name: str) -> bytes:
    return (Path(botocore.__file__).parent / "data" / "connect" / "2017-08-08" / name).read_bytes()


def test_pinned_model_equals_installed_botocore_model() -> None:
    installed = json.loads(gzip.decompress(_installed("service-2.json.gz")))
    pinned = spec.model_json()
    if installed != pinned:
        ours, theirs = set(pinned["operations"]), set(installed["operations"])
        changed = sorted(s for s in set(pinned["shapes"]) & set(installed["shapes"])
                         if pinned["shapes"][s] != installed["shapes"][s])
        raise AssertionError(
            f"botocore {botocore.__version__}'s Connect model differs from the pinned copy: "
            f"operations added {sorted(theirs - ours)}, removed {sorted(ours - theirs)}, "
            f"shapes changed {changed[:20]}. Re-pin deliberately (docs/design/model-pin.md).")


def test_pinned_paginators_equal_installed() -> None:
    installed = json.loads(_installed("paginators-1.json"))["pagination"]
    assert spec.paginators() == installed


def test_pinned_botocore_version_is_the_one_installed() -> None:
    requirement = next(r for r in metadata.requires("connectlocal") or []
                       if r.startswith("botocore"))
    assert requirement == f"botocore=={botocore.__version__}"
