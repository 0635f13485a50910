"""What AWS's front door does before an operation runs, beyond SigV4 (protocol/auth.py):
throttling at the documented API quotas, and faults a test injects."""

from __future__ import annotations

import json
from typing import Any


def json_file(path: str, what: str) -> Any:
    """The JSON document in ``path`` (``what`` names it in the one-line error)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise ValueError(f"cannot read the {what} {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"the {what} {path} is not JSON: {exc}") from None
