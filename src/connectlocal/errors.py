"""Service errors: what a handler or the protocol layer raises to answer with an AWS error.

Every class is named after an error shape of the Connect model; its HTTP status is read from
that shape (``error.httpStatusCode``) when the error is serialized, never written here.

    ServiceError                          (base: code, message, extra modelled members)
    ├── InvalidParameterException         400  a parameter's value is not acceptable
    ├── InvalidRequestException           400  the request as a whole is not acceptable
    ├── InvalidContactFlowException       400  flow content that is not valid (``problems``)
    ├── ResourceNotFoundException         404  a named resource does not exist
    ├── ContactNotFoundException          410  the contact is not active or does not exist
    ├── DuplicateResourceException        409
    ├── IdempotencyException              409  same ClientToken, different request
    ├── ResourceConflictException         409
    ├── ConflictException                 409
    ├── LimitExceededException            429
    ├── ThrottlingException               429  a request over its API rate quota (--throttle)
    ├── TooManyRequestsException          429
    ├── ServiceQuotaExceededException     402
    ├── OutboundContactNotPermittedException  403
    ├── DestinationNotAllowedException    403
    ├── AccessDeniedException             403
    └── InternalServiceException          500  a defect in connectlocal (logged with the request id)

Two kinds of codes are not in the model; AWS's front door answers them before any operation
runs, so they carry their status themselves (``FrontDoorError.status``):

    UnknownOperationException             404  a path that matches no operation at all
    FrontDoorError                             SigV4 checks (protocol/auth.py)
    ├── MissingAuthenticationTokenException  403  no signature at all (strict mode)
    ├── IncompleteSignatureException      403  an Authorization header missing a part
    ├── UnrecognizedClientException       403  an access key id no account has
    ├── InvalidSignatureException         403  wrong signature, expired date, bad scope
    │                                          (400 for a scope naming no AWS region in the
    │                                          default, lenient, mode)
    └── InjectedFault                          a fault rule's error: a modelled code, any status
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An error answered to the client as ``{"Message": ...}`` with its code and status."""

    code = "ServiceError"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def __repr__(self) -> str:
        return f"{self.code}({self.message!r})"


class InvalidParameterException(ServiceError):
    code = "InvalidParameterException"


class InvalidRequestException(ServiceError):
    code = "InvalidRequestException"


class InvalidContactFlowException(ServiceError):
    code = "InvalidContactFlowException"


class ResourceNotFoundException(ServiceError):
    code = "ResourceNotFoundException"


class ContactNotFoundException(ServiceError):
    code = "ContactNotFoundException"


class DuplicateResourceException(ServiceError):
    code = "DuplicateResourceException"


class IdempotencyException(ServiceError):
    code = "IdempotencyException"


class ResourceConflictException(ServiceError):
    code = "ResourceConflictException"


class ConflictException(ServiceError):
    code = "ConflictException"


class LimitExceededException(ServiceError):
    code = "LimitExceededException"


class ServiceQuotaExceededException(ServiceError):
    code = "ServiceQuotaExceededException"


class OutboundContactNotPermittedException(ServiceError):
    code = "OutboundContactNotPermittedException"


class DestinationNotAllowedException(ServiceError):
    code = "DestinationNotAllowedException"


class AccessDeniedException(ServiceError):
    code = "AccessDeniedException"


class ThrottlingException(ServiceError):
    code = "ThrottlingException"


class TooManyRequestsException(ServiceError):
    code = "TooManyRequestsException"


class InternalServiceException(ServiceError):
    code = "InternalServiceException"


class UnknownOperationException(ServiceError):
    code = "UnknownOperationException"


class FrontDoorError(ServiceError):
    """An authentication failure, answered before any operation runs."""

    status = 403

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class MissingAuthenticationTokenException(FrontDoorError):
    code = "MissingAuthenticationTokenException"


class IncompleteSignatureException(FrontDoorError):
    code = "IncompleteSignatureException"


class UnrecognizedClientException(FrontDoorError):
    code = "UnrecognizedClientException"


class InvalidSignatureException(FrontDoorError):
    code = "InvalidSignatureException"


class InjectedFault(FrontDoorError):
    """An error a fault rule injects (frontdoor/faults.py): any modelled code and status."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message, status)
        self.code = code


def modelled_classes() -> list[type[ServiceError]]:
    """Every ServiceError subclass that names a model error shape."""
    return [c for c in ServiceError.__subclasses__()
            if c not in (UnknownOperationException, FrontDoorError)]


def throttled(listed: frozenset[str]) -> ServiceError:
    """A request over its rate quota, as the operation's model names it: ThrottlingException,
    or TooManyRequestsException for the operations that list only that ("API TPS throttling
    returns a TooManyRequests exception", StartChatContact)."""
    if "ThrottlingException" not in listed and "TooManyRequestsException" in listed:
        return TooManyRequestsException("Rate exceeded")
    return ThrottlingException("Rate exceeded")


def invalid_input(listed: frozenset[str], message: str) -> ServiceError:
    """A bad-input error in an operation's own terms: InvalidParameterException where the model
    lists it for the operation, InvalidRequestException otherwise."""
    if "InvalidParameterException" in listed:
        return InvalidParameterException(message)
    return InvalidRequestException(message)
