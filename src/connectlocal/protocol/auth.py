"""Who is calling and where, from a request's Signature Version 4: the access key id and the
region of its credential scope, and in strict mode a check of the signature itself.

The scope (``AKID/20250101/us-east-1/connect/aws4_request``) comes from the ``Authorization``
header or, for presigned requests, the ``X-Amz-Credential`` query parameter. In both modes the
scope's region must be an AWS region (botocore's endpoint data): it ends up in every ARN. In
strict mode (``serve --auth strict``) the signature is recomputed with botocore's own SigV4
signer (``botocore.auth.SigV4Auth``: its canonical request, string to sign and signing key)
from the secret the access key id is configured with, and refused as AWS's front door refuses
it. The messages are the ones AWS sends (recorded in SDK issues for these codes).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials
from botocore.loaders import Loader

from ..errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

DEFAULT_REGION = "us-east-1"
SERVICE = "connect"
SKEW = timedelta(minutes=15)  # "Signature expired: ... (... - 15 min.)"
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.")


class Caller(NamedTuple):
    access_key: str | None
    region: str


class Credential(NamedTuple):
    """What a request says about its signature (nothing checked yet)."""

    access_key: str
    date: str  # the scope's YYYYMMDD
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str | None  # X-Amz-Date, from the header or the presigned query
    presigned: bool
    expires: str | None  # X-Amz-Expires of a presigned URL


@cache
def regions() -> frozenset[str]:
    """Every region of every partition in botocore's endpoint data."""
    endpoints: dict[str, Any] = Loader().load_data("endpoints")
    return frozenset(name for partition in endpoints["partitions"]
                     for name in partition.get("regions", {}))


def _scope(credential: str) -> tuple[str | None, list[str]]:
    parts = credential.split("/")
    # A key id itself never contains "/"; the scope is the last four parts.
    if len(parts) >= 5:
        return "/".join(parts[:-4]) or None, parts[-4:]
    return parts[0] or None, []


def _authorization_parts(authorization: str) -> dict[str, str]:
    _, _, rest = authorization.partition(" ")
    found: dict[str, str] = {}
    for item in rest.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            found[name.strip()] = value.strip()
    return found


def _check_region(region: str, status: int) -> None:
    if region not in regions():
        raise InvalidSignatureException(
            f"Credential should be scoped to a valid region. '{region[:100]}' is not an AWS "
            "region.", status=status)


def caller(headers: Mapping[str, str], query: Mapping[str, list[str]]) -> Caller:
    """The access key id and region a request names, unverified (the default, lenient mode).
    An unsigned request is ``us-east-1``; a scope naming no AWS region is refused (400)."""
    return caller_of(credential_in(headers, query))


def credential_in(headers: Mapping[str, str], query: Mapping[str, list[str]]) -> str | None:
    """The credential scope a request carries (``<key>/<date>/<region>/connect/aws4_request``,
    in the Authorization header or presigned), unverified: the same for every request a
    client signs in a day, where the signature is not."""
    authorization = headers.get("authorization", "")
    marker = authorization.find("Credential=")
    if marker >= 0:
        return authorization[marker + 11:].split(",", 1)[0].strip()
    if "X-Amz-Credential" in query:
        return unquote(query["X-Amz-Credential"][-1])
    return None


def caller_of(credential: str | None) -> Caller:
    """``caller`` of a credential scope (``credential_in``)."""
    if not credential:
        return Caller(None, DEFAULT_REGION)
    key, scope = _scope(credential)
    if not scope:
        return Caller(key, DEFAULT_REGION)
    region = scope[1] or DEFAULT_REGION
    _check_region(region, 400)
    return Caller(key, region)


def credential_of(headers: Mapping[str, str],
                  query: Mapping[str, list[str]]) -> Credential:
    """The signature a request carries, in the header or presigned; refused when absent or
    incomplete, as AWS refuses it."""
    authorization = headers.get("authorization")
    if authorization is not None:
        if not authorization.startswith("AWS4-HMAC-SHA256 "):
            raise IncompleteSignatureException(
                f"Authorization header requires the 'AWS4-HMAC-SHA256' algorithm. "
                f"Authorization={authorization[:60]}")
        parts = _authorization_parts(authorization)
        missing = [f"Authorization header requires '{name}' parameter."
                   for name in ("Credential", "Signature", "SignedHeaders") if name not in parts]
        amz_date = headers.get("x-amz-date")
        if amz_date is None and "date" in headers:
            try:
                amz_date = parsedate_to_datetime(headers["date"]).astimezone(UTC).strftime(
                    SIGV4_TIMESTAMP)
            except (TypeError, ValueError):
                amz_date = None
        if amz_date is None:
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' "
                           "or a 'Date' header.")
        if missing:
            raise IncompleteSignatureException(" ".join(missing)
                                               + f" Authorization={authorization[:60]}")
        raw_credential, signed, signature = (parts["Credential"], parts["SignedHeaders"],
                                             parts["Signature"])
        presigned, expires = False, None
    elif "X-Amz-Credential" in query:
        names = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                 "X-Amz-SignedHeaders", "X-Amz-Date")
        absent = [n for n in names if n not in query]
        if absent:
            raise IncompleteSignatureException(
                "AWS query-string parameters must include " + ", ".join(
                    f"'{n}'" for n in absent) + ". Re-examine the query-string parameters.")
        raw_credential = unquote(query["X-Amz-Credential"][-1])
        signed = unquote(query["X-Amz-SignedHeaders"][-1])
        signature = query["X-Amz-Signature"][-1]
        amz_date = query["X-Amz-Date"][-1]
        presigned, expires = True, query.get("X-Amz-Expires", [None])[-1]
    else:
        raise MissingAuthenticationTokenException("Missing Authentication Token")
    key, scope = _scope(raw_credential)
    if key is None or len(scope) != 4 or scope[3] != "aws4_request":
        raise IncompleteSignatureException(
            f"Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{raw_credential[:100]}'")
    return Credential(key, scope[0], scope[1], scope[2], tuple(signed.split(";")), signature,
                      amz_date, presigned, expires)


class _Recompute(SigV4Auth):  # type: ignore[misc]  # botocore is untyped
    """botocore's SigV4 signer, signing exactly the headers the client said it signed."""

    def __init__(self, credentials: Credentials, credential: Credential) -> None:
        super().__init__(credentials, credential.service, credential.region)
        self._signed = credential.signed_headers

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        chosen = HTTPHeaders()
        for name in self._signed:
            value = request.headers.get(name)
            if value is not None:
                chosen[name] = value
        return chosen


def _without_signature(query: str) -> str:
    return "&".join(p for p in query.split("&")
                    if p.partition("=")[0] != "X-Amz-Signature") if query else ""


class Verifier:
    """Strict mode: a request must carry a valid SigV4 for ``connect`` by a known key, dated
    within 15 minutes of the service clock, in an AWS region."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self.secrets = dict(secrets)

    def verify(self, method: str, path: str, query: str, parsed_query: Mapping[str, list[str]],
               headers: Mapping[str, str], body: bytes, now: datetime) -> Caller:
        credential = credential_of(headers, parsed_query)
        secret = self.secrets.get(credential.access_key)
        if secret is None:
            raise UnrecognizedClientException(
                "The security token included in the request is invalid.")
        if credential.service != SERVICE:
            raise InvalidSignatureException(
                f"Credential should be scoped to correct service: '{SERVICE}'. ")
        _check_region(credential.region, 403)
        if "host" not in credential.signed_headers:
            raise InvalidSignatureException(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        amz_date = credential.amz_date or ""
        try:
            signed_at = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            raise IncompleteSignatureException(
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date[:40]}'. See "
                "http://en.wikipedia.org/wiki/ISO_8601") from None
        if credential.date != amz_date[:8]:
            raise InvalidSignatureException(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{credential.date[:20]}' != '{amz_date[:8]}', from "
                "'X-Amz-Date'.")
        self._check_time(signed_at, credential, now)
        request = AWSRequest(method=method, url=f"http://{headers.get('host', '')}{path}"
                             + (f"?{_without_signature(query)}" if query else ""),
                             data=body,
                             headers={n: headers[n] for n in (*credential.signed_headers,
                                                               "x-amz-content-sha256")
                                      if n in headers})
        request.context["timestamp"] = amz_date
        signer = _Recompute(Credentials(credential.access_key, secret), credential)
        expected = [signer.signature(signer.string_to_sign(request,
                                                           signer.canonical_request(request)),
                                     request)]
        if credential.presigned and "x-amz-content-sha256" not in headers:
            # Presigning SDKs differ on the payload hash of a URL: the body's, or none.
            request.headers["X-Amz-Content-SHA256"] = UNSIGNED_PAYLOAD
            expected.append(signer.signature(
                signer.string_to_sign(request, signer.canonical_request(request)), request))
        if not any(hmac.compare_digest(e, credential.signature) for e in expected):
            raise InvalidSignatureException(MISMATCH)
        return Caller(credential.access_key, credential.region)

    @staticmethod
    def _check_time(signed_at: datetime, credential: Credential, now: datetime) -> None:
        stamp = signed_at.strftime(SIGV4_TIMESTAMP)
        at = now.astimezone(UTC)
        if credential.presigned:
            try:
                expires = int(credential.expires or "")
            except ValueError:
                raise IncompleteSignatureException(
                    "X-Amz-Expires must be a number of seconds") from None
            if at > signed_at + timedelta(seconds=expires):
                raise InvalidSignatureException(
                    f"Signature expired: {stamp} is now earlier than "
                    f"{(at - timedelta(seconds=expires)).strftime(SIGV4_TIMESTAMP)} "
                    f"({at.strftime(SIGV4_TIMESTAMP)} - {expires} sec.)")
        elif signed_at < at - SKEW:
            raise InvalidSignatureException(
                f"Signature expired: {stamp} is now earlier than "
                f"{(at - SKEW).strftime(SIGV4_TIMESTAMP)} ({at.strftime(SIGV4_TIMESTAMP)} - "
                "15 min.)")
        if signed_at > at + SKEW:
            raise InvalidSignatureException(
                f"Signature not yet current: {stamp} is still later than "
                f"{(at + SKEW).strftime(SIGV4_TIMESTAMP)} ({at.strftime(SIGV4_TIMESTAMP)} + "
                "15 min.)")
