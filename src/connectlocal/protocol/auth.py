"""Reads who is calling and where from a SigV4 request: the access key id and the region.

Signatures are not verified (no secret keys exist locally); the credential scope
(``AKID/20250101/us-east-1/connect/aws4_request``) comes from the ``Authorization`` header or,
for presigned requests, the ``X-Amz-Credential`` query parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import unquote

DEFAULT_REGION = "us-east-1"


class Caller(NamedTuple):
    access_key: str | None
    region: str


def caller(headers: Mapping[str, str], query: Mapping[str, list[str]]) -> Caller:
    credential = None
    authorization = headers.get("authorization", "")
    marker = authorization.find("Credential=")
    if marker >= 0:
        credential = authorization[marker + 11 :].split(",", 1)[0].strip()
    elif "X-Amz-Credential" in query:
        credential = unquote(query["X-Amz-Credential"][-1])
    if not credential:
        return Caller(None, DEFAULT_REGION)
    parts = credential.split("/")
    # A key id itself never contains "/"; the scope is the last four parts.
    if len(parts) >= 5:
        return Caller("/".join(parts[:-4]) or None, parts[-3] or DEFAULT_REGION)
    return Caller(parts[0] or None, DEFAULT_REGION)
