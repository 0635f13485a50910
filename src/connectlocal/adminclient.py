"""What a client of the ``/_connectlocal/`` admin endpoints sends with a request: a JSON body
(the endpoints refuse other bodies) and the admin token of a server started with
``--admin-token`` (``CONNECTLOCAL_ADMIN_TOKEN``)."""

from __future__ import annotations

import os

TOKEN_HEADER = "x-connectlocal-admin-token"


def headers(token: str | None = None) -> dict[str, str]:
    """The headers of an admin request; ``token`` (default: ``CONNECTLOCAL_ADMIN_TOKEN``)."""
    found = {"content-type": "application/json"}
    token = token if token is not None else os.environ.get("CONNECTLOCAL_ADMIN_TOKEN")
    if token:
        found[TOKEN_HEADER] = token
    return found
