"""The pinned Amazon Connect service model, loaded once per process.

The model is copied unchanged from botocore (``botocore/data/connect/2017-08-08/``); it is
the contract every protocol piece derives from, whatever botocore is installed
(``tests/protocol/test_model_pin.py``; docs/design/model-pin.md).
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources
from typing import Any

from botocore.model import ServiceModel

MODEL_FILE = "connect-2017-08-08.json.gz"
PAGINATORS_FILE = "connect-2017-08-08.paginators.json"


def _read(name: str) -> bytes:
    return resources.files(__name__).joinpath(name).read_bytes()


@cache
def model_json() -> dict[str, Any]:
    """The raw service model as botocore ships it."""
    data: dict[str, Any] = json.loads(gzip.decompress(_read(MODEL_FILE)))
    return data


@cache
def service_model() -> ServiceModel:
    """botocore's view of the pinned model (shapes resolved, members typed)."""
    return ServiceModel(model_json(), service_name="connect")


@cache
def paginators() -> dict[str, Any]:
    """The model's paginator configuration, by operation name."""
    data: dict[str, Any] = json.loads(_read(PAGINATORS_FILE))["pagination"]
    return data
