"""The pinned model is what is served, whatever botocore is installed; changing it is a decision.

botocore is a range (pyproject.toml): its own Connect model is whatever that release shipped.
connectlocal routes, parses, validates and serializes from its pinned copy only."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

from connectlocal import spec

# botocore 1.44.5's data/connect/2017-08-08/ files (docs/design/model-pin.md says how to re-pin).
PINNED = {
    spec.MODEL_FILE: "59388c6ac31374f01959bc94ad003eef4fcf4a6eaebef0afc55ccd8fc22ca730",
    spec.PAGINATORS_FILE: "16bb76f4670fe6dd6f07f1c0ebdf13e3908551865751f1b18351c22c0e5c77a8",
}


def test_the_pinned_files_are_the_ones_recorded() -> None:
    files = resources.files(spec)
    digests = {name: hashlib.sha256(files.joinpath(name).read_bytes()).hexdigest()
               for name in PINNED}
    assert digests == PINNED, "the pinned model changed: re-pin deliberately (model-pin.md)"


def test_the_model_served_is_the_pinned_one() -> None:
    served = spec.service_model()
    pinned = spec.model_json()
    assert sorted(served.operation_names) == sorted(pinned["operations"])
    assert served.metadata == pinned["metadata"]
    assert set(spec.paginators()) <= set(pinned["operations"])


def test_a_different_installed_model_changes_nothing_served(tmp_path: Path) -> None:
    # botocore reads AWS_DATA_PATH before its own data: give it a Connect model without
    # DescribeContact, as an older botocore would ship one without a newer operation.
    doctored = spec.model_json() | {}
    doctored["operations"] = {k: v for k, v in doctored["operations"].items()
                              if k != "DescribeContact"}
    folder = tmp_path / "connect" / "2017-08-08"
    folder.mkdir(parents=True)
    (folder / "service-2.json.gz").write_bytes(gzip.compress(json.dumps(doctored).encode()))
    code = """
import json, boto3
from connectlocal.dispatch import Dispatcher, HttpRequest
from connectlocal.service import Service
from connectlocal.store import open_store
client = boto3.client("connect", region_name="us-east-1", aws_access_key_id="k",
                      aws_secret_access_key="s", endpoint_url="http://127.0.0.1:9")
dispatcher = Dispatcher(Service(open_store(":memory:")))
missing = "11111111-1111-4111-8111-111111111111"
answer = dispatcher(HttpRequest("GET", f"/contacts/{missing}/{missing}", "", {}, b""))
print(json.dumps({"client_has_it": hasattr(client, "describe_contact"),
                  "served": "DescribeContact" in dispatcher.implemented,
                  "status": answer.status, "body": json.loads(answer.body)}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "AWS_DATA_PATH": str(tmp_path)}, timeout=120,
                          check=True)
    out = json.loads(done.stdout)
    assert out["client_has_it"] is False  # the installed model really was the doctored one
    assert out["served"] is True
    assert out["status"] == 404
    assert out["body"]["Message"] == (
        "Instance not found: 11111111-1111-4111-8111-111111111111")
