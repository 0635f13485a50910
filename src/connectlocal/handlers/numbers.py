"""Phone numbers: the numbers there are to claim, claiming and releasing them, and the inbound
flow a call to one runs.

Amazon Connect keeps a claimed number per account and region (its ARN is
``arn:aws:connect:{region}:{account}:phone-number/{id}``), claimed to an instance or a traffic
distribution group; connectlocal has no traffic distribution groups, so a number is claimed
to an instance and stored under it. Claiming is immediate: a number is CLAIMED when
ClaimPhoneNumber answers, where Amazon Connect may show IN_PROGRESS first.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .. import models, rules, views
from ..errors import (
    IdempotencyException,
    InvalidParameterException,
    ResourceNotFoundException,
    ServiceError,
)
from ..models import ContactFlow, Instance, PhoneNumber
from ..service import RequestContext
from ..store.base import Claim, Tx
from .common import fingerprint, instance_id_of, page, require_instance
from .directory import ALL, require

ACCOUNT_LEVEL = ""  # client tokens of phone numbers belong to the account, not an instance
SEARCH_PAGE = 10  # SearchAvailablePhoneNumbers' MaxResults is at most 10 (MaxResult10)
_TDG_ARN = re.compile(r"^arn:aws[a-z-]*:connect:[a-z0-9-]+:[0-9]+:traffic-distribution-group/")


def _fiction(prefixes: tuple[str, ...], digits: int, last: int) -> tuple[str, ...]:
    return tuple(f"{p}{n:0{digits}d}" for p in prefixes for n in range(last + 1))


# The numbers there are to claim, by (country, type): only ranges set aside for fiction, so
# that a number from connectlocal never rings a real line. NANP (US, CA): 555-0100 to
# 555-0199 in every area code (NANPA); toll-free codes have no such range, and the same
# 555-01XX lines are used under them. GB: Ofcom's drama numbers (020 7946 0000-0999,
# 0113/0121/0161 496 0000-0999, freephone 0808 157 0000-0999). AU: ACMA's fictitious numbers
# ((02) 5550 xxxx, (03) 7010 xxxx, freephone 1800 160 401 and 1800 975 707-711).
# Other countries and types have no numbers to claim here (an empty search).
AVAILABLE: dict[tuple[str, str], tuple[str, ...]] = {
    ("US", "DID"): _fiction(tuple(f"+1{a}55501" for a in (
        "206", "212", "312", "415", "512", "617", "702", "808")), 2, 99),
    ("US", "TOLL_FREE"): _fiction(("+180055501", "+183355501", "+184455501",
                                   "+187755501", "+188855501"), 2, 99),
    ("CA", "DID"): _fiction(("+141655501", "+151455501", "+160455501", "+161355501"), 2, 99),
    ("CA", "TOLL_FREE"): _fiction(("+185555501", "+186655501"), 2, 99),
    ("GB", "DID"): _fiction(("+442079460", "+441134960", "+441214960", "+441614960"), 3, 999),
    ("GB", "TOLL_FREE"): _fiction(("+448081570",), 3, 999),
    ("AU", "DID"): _fiction(("+6125550", "+6137010"), 4, 9999),
    ("AU", "TOLL_FREE"): ("+611800160401", "+611800975707", "+611800975708",
                          "+611800975709", "+611800975710", "+611800975711"),
}
_KIND_OF = {number: kind for kind, numbers in AVAILABLE.items() for number in numbers}


def _rank(ctx: RequestContext, number: str) -> str:
    """Where a number comes in this account and region's searches: the same every time, and
    not the same order for every account."""
    return hashlib.sha256(f"{ctx.account}/{ctx.region}/{number}".encode()).hexdigest()


def all_numbers(tx: Tx) -> list[PhoneNumber]:
    """Every number claimed in the transaction's account and region."""
    return [n for instance in tx.list_instances(None, ALL)
            for n in tx.list_resources(instance.id, PhoneNumber, None, ALL)]


def number_for(tx: Tx, instance_id: str, e164: str) -> PhoneNumber | None:
    """The number claimed to the instance with this E.164 address, if one is."""
    for number in tx.list_resources(instance_id, PhoneNumber, None, ALL):
        if number.number == e164:
            return number
    return None


def flow_for_number(tx: Tx, instance_id: str, e164: str) -> str | None:
    """The id of the flow a call to ``e164`` runs in the instance: None when no number of the
    instance has that address, or when it has no flow associated."""
    number = number_for(tx, instance_id, e164)
    return number.contact_flow_id if number is not None else None


def _target(ctx: RequestContext, tx: Tx, target_arn: str | None,
            instance_ref: str | None) -> Instance:
    """The instance a request names by TargetArn or InstanceId ("You must enter InstanceId or
    TargetArn")."""
    def missing(what: str) -> ServiceError:
        # SearchAvailablePhoneNumbers models no ResourceNotFoundException.
        if "ResourceNotFoundException" in ctx.error_codes:
            return ResourceNotFoundException(what)
        return ctx.invalid(what)

    if not target_arn and not instance_ref:
        raise ctx.invalid("You must enter InstanceId or TargetArn")
    instance_id = instance_id_of(ctx, instance_ref) if instance_ref else None
    if target_arn:
        if _TDG_ARN.match(target_arn):
            raise missing(f"Traffic distribution group not found: {target_arn}")
        prefix = ctx.arn("instance/")
        if not target_arn.startswith(prefix):
            raise ctx.invalid(f"TargetArn {target_arn} is not the ARN of an instance or "
                              f"traffic distribution group in {ctx.region}")
        if instance_id is not None and instance_id != target_arn[len(prefix):]:
            raise ctx.invalid(f"InstanceId {instance_ref} and TargetArn {target_arn} name "
                              "different instances")
        instance_id = target_arn[len(prefix):]
    found = tx.get_instance(instance_id or "")
    if found is None:
        raise missing(f"Instance not found: {target_arn or instance_ref}")
    return found


def _prefix(ctx: RequestContext, prefix: str | None) -> str:
    if prefix and not prefix.startswith("+"):
        raise ctx.invalid(f"PhoneNumberPrefix {prefix} must contain + as part of the "
                          "country code")
    return prefix or ""


def _require_number(tx: Tx, reference: str) -> PhoneNumber:
    """A claimed number of the account and region, by PhoneNumberId or its ARN."""
    key = reference.rsplit("/", 1)[-1] if reference.startswith("arn:") else reference
    for number in all_numbers(tx):
        if number.id == key and (key == reference or number.arn == reference):
            return number
    raise ResourceNotFoundException(f"Phone number not found: {reference}")


def _retried(ctx: RequestContext, tx: Tx, token: str | None, request: str) -> Claim | None:
    """The earlier request a ClientToken was used for, when this one is its retry."""
    if not token:
        return None
    claim = tx.get_claim(ACCOUNT_LEVEL, ctx.operation, token, rules.token_cutoff(ctx.now))
    if claim is not None and claim.fingerprint != request:
        raise IdempotencyException(
            f"ClientToken {token} was already used for a different {ctx.operation} request")
    return claim


def search_available_phone_numbers(
    ctx: RequestContext,
    *,
    PhoneNumberCountryCode: str,
    PhoneNumberType: str,
    TargetArn: str | None = None,
    InstanceId: str | None = None,
    PhoneNumberPrefix: str | None = None,
    MaxResults: int | None = None,
    NextToken: str | None = None,
) -> dict[str, Any]:
    prefix = _prefix(ctx, PhoneNumberPrefix)
    with ctx.store.read(ctx.scope) as tx:
        _target(ctx, tx, TargetArn, InstanceId)
        claimed = {n.number for n in all_numbers(tx)}
    free = [n for n in AVAILABLE.get((PhoneNumberCountryCode, PhoneNumberType), ())
            if n.startswith(prefix) and n not in claimed]
    shown, token = page(ctx, free, lambda n: _rank(ctx, n), NextToken, MaxResults,
                        default=SEARCH_PAGE)
    return {"AvailableNumbersList": [
        {"PhoneNumber": n, "PhoneNumberCountryCode": PhoneNumberCountryCode,
         "PhoneNumberType": PhoneNumberType} for n in shown], "NextToken": token}


def claim_phone_number(
    ctx: RequestContext,
    *,
    PhoneNumber: str,
    TargetArn: str | None = None,
    InstanceId: str | None = None,
    PhoneNumberDescription: str | None = None,
    Tags: dict[str, str] | None = None,
    ClientToken: str | None = None,
) -> dict[str, Any]:
    request = fingerprint({"PhoneNumber": PhoneNumber, "TargetArn": TargetArn,
                           "InstanceId": InstanceId, "Description": PhoneNumberDescription,
                           "Tags": Tags})
    with ctx.store.write(ctx.scope) as tx:
        claim = _retried(ctx, tx, ClientToken, request)
        if claim is not None:
            done = _require_number(tx, claim.resource_id)
            return {"PhoneNumberId": done.id, "PhoneNumberArn": done.arn}
        instance = _target(ctx, tx, TargetArn, InstanceId)
        kind = _KIND_OF.get(PhoneNumber)
        if kind is None:
            raise InvalidParameterException(
                f"PhoneNumber {PhoneNumber} is not available to claim: "
                "SearchAvailablePhoneNumbers lists the numbers that are")
        taken = next((n for n in all_numbers(tx) if n.number == PhoneNumber), None)
        if taken is not None:
            raise InvalidParameterException(
                f"PhoneNumber {PhoneNumber} is not available to claim: it is claimed "
                f"already (PhoneNumberId {taken.id})")
        number_id = ctx.ids.uuid()
        number = models.PhoneNumber(
            id=number_id,
            arn=ctx.arn(f"phone-number/{number_id}"),
            number=PhoneNumber,
            country_code=kind[0],
            type=kind[1],
            target_arn=TargetArn or instance.arn,
            instance_id=instance.id,
            description=PhoneNumberDescription,
            tags=Tags or {},
        )
        tx.put_resource(instance.id, number)
        if ClientToken:
            tx.put_claim(ACCOUNT_LEVEL, ctx.operation, ClientToken, Claim(number_id, request),
                         ctx.now, rules.token_cutoff(ctx.now))
    return {"PhoneNumberId": number.id, "PhoneNumberArn": number.arn}



def describe_phone_number(ctx: RequestContext, *, PhoneNumberId: str) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        number = _require_number(tx, PhoneNumberId)
    return {"ClaimedPhoneNumberSummary": views.claimed_phone_number(number)}


def release_phone_number(
    ctx: RequestContext, *, PhoneNumberId: str, ClientToken: str | None = None
) -> dict[str, Any]:
    request = fingerprint({"PhoneNumberId": PhoneNumberId})
    with ctx.store.write(ctx.scope) as tx:
        if _retried(ctx, tx, ClientToken, request) is not None:
            return {}  # a retry of a release that was done
        number = _require_number(tx, PhoneNumberId)
        tx.delete_resource(number.instance_id, PhoneNumber, number.id)
        if ClientToken:
            tx.put_claim(ACCOUNT_LEVEL, ctx.operation, ClientToken, Claim(number.id, request),
                         ctx.now, rules.token_cutoff(ctx.now))
    return {}


def _listed(numbers: list[PhoneNumber], countries: list[str] | None,
            types: list[str] | None, prefix: str) -> list[PhoneNumber]:
    return [n for n in numbers
            if (not countries or n.country_code in countries)
            and (not types or n.type in types) and n.number.startswith(prefix)]


def list_phone_numbers_v2(
    ctx: RequestContext,
    *,
    TargetArn: str | None = None,
    InstanceId: str | None = None,
    MaxResults: int | None = None,
    NextToken: str | None = None,
    PhoneNumberCountryCodes: list[str] | None = None,
    PhoneNumberTypes: list[str] | None = None,
    PhoneNumberPrefix: str | None = None,
) -> dict[str, Any]:
    prefix = _prefix(ctx, PhoneNumberPrefix)
    with ctx.store.read(ctx.scope) as tx:
        # "If both TargetArn and InstanceId are not provided, this API lists numbers claimed
        # to all the Amazon Connect instances belonging to your account in the same AWS
        # Region as the request" (API Reference).
        if TargetArn or InstanceId:
            instance = _target(ctx, tx, TargetArn, InstanceId)
            numbers = tx.list_resources(instance.id, PhoneNumber, None, ALL)
        else:
            numbers = all_numbers(tx)
    shown, token = page(ctx, _listed(numbers, PhoneNumberCountryCodes, PhoneNumberTypes,
                                     prefix), lambda n: n.id, NextToken, MaxResults)
    return {"ListPhoneNumbersSummaryList": [views.list_phone_numbers_summary(n) for n in shown],
            "NextToken": token}


def list_phone_numbers(
    ctx: RequestContext,
    *,
    InstanceId: str,
    PhoneNumberTypes: list[str] | None = None,
    PhoneNumberCountryCodes: list[str] | None = None,
    NextToken: str | None = None,
    MaxResults: int | None = None,
) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        numbers = tx.list_resources(instance.id, PhoneNumber, None, ALL)
    shown, token = page(ctx, _listed(numbers, PhoneNumberCountryCodes, PhoneNumberTypes, ""),
                        lambda n: n.id, NextToken, MaxResults)
    return {"PhoneNumberSummaryList": [views.phone_number_summary(n) for n in shown],
            "NextToken": token}


def _number_of(ctx: RequestContext, tx: Tx, reference: str, instance_ref: str,
               ) -> tuple[Instance, PhoneNumber]:
    instance = require_instance(ctx, tx, instance_ref)
    number = _require_number(tx, reference)
    if number.instance_id != instance.id:
        raise ResourceNotFoundException(
            f"Phone number {reference} is not claimed to instance {instance.id}")
    return instance, number


def associate_phone_number_contact_flow(
    ctx: RequestContext, *, PhoneNumberId: str, InstanceId: str, ContactFlowId: str
) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance, number = _number_of(ctx, tx, PhoneNumberId, InstanceId)
        flow = require(tx, instance.id, ContactFlow, ContactFlowId)
        # A call to a number runs an inbound flow (type CONTACT_FLOW, "Inbound flow" in the
        # Administrator Guide's flow types); the other types run inside a contact's life
        # (queue, whisper, hold, transfer) and cannot answer a call.
        if flow.type != "CONTACT_FLOW":
            raise InvalidParameterException(
                f"Contact flow {flow.id} is of type {flow.type}: a phone number can run only "
                "an inbound flow (type CONTACT_FLOW)")
        number.contact_flow_id = flow.id
        tx.put_resource(instance.id, number)
    return {}


def disassociate_phone_number_contact_flow(
    ctx: RequestContext, *, PhoneNumberId: str, InstanceId: str
) -> dict[str, Any]:
    with ctx.store.write(ctx.scope) as tx:
        instance, number = _number_of(ctx, tx, PhoneNumberId, InstanceId)
        number.contact_flow_id = None
        tx.put_resource(instance.id, number)
    return {}
