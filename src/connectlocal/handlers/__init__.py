"""Operation handlers, one plain function per model operation, found by name.

A handler is named ``xform_name(OperationName)`` and called as
``handler(ctx, **params)`` with the model's member names as keywords.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore import xform_name
from botocore.model import ServiceModel

from . import (
    agents,
    contacts,
    directory,
    hours,
    instances,
    integrations,
    metrics,
    numbers,
    search,
    updates,
)

MODULES = (instances, directory, contacts, updates, search, hours, numbers, integrations, agents,
           metrics)


def discover(model: ServiceModel) -> dict[str, Callable[..., dict[str, Any]]]:
    """Operation name → handler, for every operation some handler module implements."""
    found: dict[str, Callable[..., dict[str, Any]]] = {}
    for name in model.operation_names:
        python_name = xform_name(name)
        for module in MODULES:
            handler = getattr(module, python_name, None)
            if callable(handler):
                found[name] = handler
    return found
