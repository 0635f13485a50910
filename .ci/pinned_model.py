"""Writes connectlocal's pinned Connect model as a botocore data folder (for AWS_DATA_PATH), so
that clients of an older botocore read the model connectlocal serves: `make test-oldest`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from connectlocal import spec

folder = Path(sys.argv[1]) / "connect" / "2017-08-08"
folder.mkdir(parents=True, exist_ok=True)
(folder / "service-2.json").write_text(json.dumps(spec.model_json()))
(folder / "paginators-1.json").write_text(json.dumps({"pagination": spec.paginators()}))
