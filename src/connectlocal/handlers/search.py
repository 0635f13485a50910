"""Finding contacts: SearchContacts, ListAssociatedContacts and ListContactReferences."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import orjson

from .. import rules, views
from ..models import Contact
from ..service import RequestContext
from .common import fingerprint, page, require_instance
from .contacts import contact_in

DEFAULT_SEARCH_PAGE = 100  # MaxResult100: the model's maximum, used when none is given
Match = Callable[[Contact], bool]


def _timestamp(contact: Contact, kind: str) -> datetime | None:
    """The contact's timestamp a SearchContactsTimeRangeType names."""
    if kind == "INITIATION_TIMESTAMP":
        return contact.initiation_timestamp
    if kind == "SCHEDULED_TIMESTAMP":
        return contact.scheduled_timestamp
    if kind == "CONNECTED_TO_AGENT_TIMESTAMP":
        return contact.agent.connected_to_agent_timestamp if contact.agent else None
    if kind == "DISCONNECT_TIMESTAMP":
        return contact.disconnect_timestamp
    return contact.queue.enqueue_timestamp if contact.queue else None  # ENQUEUE_TIMESTAMP


def _in_range(contact: Contact, time_range: dict[str, Any]) -> bool:
    value = _timestamp(contact, time_range["Type"])
    return value is not None and time_range["StartTime"] <= value <= time_range["EndTime"]


def _combine(results: Iterable[bool], match_type: str | None) -> bool:
    """SearchContactsMatchType over a list of criteria (MATCH_ALL when none is given)."""
    if match_type == "MATCH_ANY":
        return any(results)
    if match_type == "MATCH_NONE":
        return not any(results)
    return all(results)


def _name_matches(name: str | None, texts: list[str], match_type: str) -> bool:
    lowered = (name or "").casefold()
    if match_type == "MATCH_EXACT":
        return any(lowered == t.casefold() for t in texts)
    return _combine((t.casefold() in lowered for t in texts), match_type)


def _criteria(ctx: RequestContext, criteria: dict[str, Any],
              attributes_of: Callable[[Contact], dict[str, str]]) -> list[Match]:
    """One predicate per SearchCriteria member given; a contact must pass them all."""
    checks: list[Match] = []
    if "Name" in criteria:
        texts, how = criteria["Name"]["SearchText"], criteria["Name"]["MatchType"]
        checks.append(lambda c: _name_matches(c.name, texts, how))
    if criteria.get("AgentIds"):
        agents = set(criteria["AgentIds"])
        checks.append(lambda c: c.agent is not None and c.agent.agent_id in agents)
    if any((criteria.get("AgentHierarchyGroups") or {}).values()):
        # Agents here belong to no hierarchy group (CreateUser refuses HierarchyGroupId).
        checks.append(lambda c: False)
    if criteria.get("Channels"):
        channels = set(criteria["Channels"])
        checks.append(lambda c: c.channel in channels)
    if criteria.get("InitiationMethods"):
        methods = set(criteria["InitiationMethods"])
        checks.append(lambda c: c.initiation_method in methods)
    if criteria.get("QueueIds"):
        queues = {q.rsplit("/", 1)[-1] for q in criteria["QueueIds"]}
        checks.append(lambda c: c.queue is not None and c.queue.queue_id in queues)
    transcript = (criteria.get("ContactAnalysis") or {}).get("Transcript")
    if transcript is not None:
        # No contact here has a Contact Lens transcript: no text is ever found in one.
        none_wanted = transcript.get("MatchType") == "MATCH_NONE"
        checks.append(lambda c: none_wanted)
    steps = (criteria.get("RoutingCriteria") or {}).get("Steps")
    if steps:
        checks.append(lambda c: False)  # contacts here carry no routing criteria steps
    if "AdditionalTimeRange" in criteria:
        extra = criteria["AdditionalTimeRange"]

        def additional(c: Contact) -> bool:
            results = []
            for item in extra["Criteria"]:
                if "TimeRange" in item:
                    results.append(_in_range(c, item["TimeRange"]))
                if "TimestampCondition" in item:  # ConditionType NOT_EXISTS
                    results.append(_timestamp(c, item["TimestampCondition"]["Type"]) is None)
            return _combine(results, extra["MatchType"])

        checks.append(additional)
    if "SearchableContactAttributes" in criteria:
        wanted = criteria["SearchableContactAttributes"]
        checks.append(lambda c: _combine(
            (attributes_of(c).get(i["Key"]) in i["Values"] for i in wanted["Criteria"]),
            wanted.get("MatchType")))
    if "SearchableSegmentAttributes" in criteria:
        segments = criteria["SearchableSegmentAttributes"]
        checks.append(lambda c: _combine(
            ((c.segment_attributes.get(i["Key"]) or {}).get("ValueString") in i["Values"]
             for i in segments["Criteria"]),
            segments.get("MatchType")))
    if criteria.get("ActiveRegions"):
        here = ctx.region in criteria["ActiveRegions"]
        checks.append(lambda c: here)
    if "ContactTags" in criteria:
        checks.append(_tag_filter(criteria["ContactTags"]))
    if (criteria.get("AiAgents") or {}).get("Criteria"):
        checks.append(lambda c: False)  # no AI agent takes part in contacts here
    return checks


def _tag_filter(tag_filter: dict[str, Any]) -> Match:
    """ControlPlaneTagFilter: one TagCondition, an AND list, or an OR of AND lists."""
    def holds(c: Contact, condition: dict[str, Any]) -> bool:
        key, value = condition.get("TagKey"), condition.get("TagValue")
        return key in c.tags and (value is None or c.tags[key] == value)

    def matches(c: Contact) -> bool:
        if "TagCondition" in tag_filter and not holds(c, tag_filter["TagCondition"]):
            return False
        if "AndConditions" in tag_filter and not all(
                holds(c, x) for x in tag_filter["AndConditions"]):
            return False
        groups = tag_filter.get("OrConditions") or []
        return not groups or any(all(holds(c, x) for x in group) for group in groups)

    return matches


def _sort_key(field: str, descending: bool) -> Callable[[Contact], list[Any]]:
    """A total order for Sort, as a JSON-safe list: contacts without the field come last
    in either order, and the contact id breaks ties, so a page boundary is one exact key."""
    def value(c: Contact) -> float | str | None:
        if field == "INITIATION_METHOD":
            return c.initiation_method
        if field == "CHANNEL":
            return c.channel
        stamp = c.expires_at if field == "EXPIRY_TIMESTAMP" else _timestamp(c, field)
        return stamp.timestamp() if stamp is not None else None

    def key(c: Contact) -> list[Any]:
        v = value(c)
        if v is None:
            return [1, [], c.id]
        if isinstance(v, str):
            # Descending text: negated code points, then a 0 that sorts after every one, so
            # "ab" precedes "a" as reverse lexicographic order wants.
            return [0, [-ord(ch) for ch in v] + [0] if descending else [ord(ch) for ch in v],
                    c.id]
        return [0, [-v if descending else v], c.id]

    return key


def _search_token(ctx: RequestContext, token: str, query: str) -> list[Any]:
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        if decoded["q"] == query and isinstance(decoded["after"], list):
            return decoded["after"]
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        pass
    raise ctx.invalid("The NextToken is not valid for this search: it was returned by a "
                      "different request or not by SearchContacts")


def search_contacts(
    ctx: RequestContext,
    *,
    InstanceId: str,
    TimeRange: dict[str, Any],
    SearchCriteria: dict[str, Any] | None = None,
    MaxResults: int | None = None,
    NextToken: str | None = None,
    Sort: dict[str, str] | None = None,
) -> dict[str, Any]:
    if TimeRange["StartTime"] > TimeRange["EndTime"]:
        raise ctx.invalid("TimeRange.StartTime must not be after TimeRange.EndTime")
    sort = Sort or {"FieldName": "INITIATION_TIMESTAMP", "Order": "DESCENDING"}
    query = fingerprint({"range": TimeRange, "criteria": SearchCriteria, "sort": sort})
    after = _search_token(ctx, NextToken, query) if NextToken else None
    # Every searchable timestamp is at or after the contact's initiation, and nothing past
    # retention or before 2021-11-12 is ever returned.
    floor = rules.earliest_describable(ctx.now)
    if TimeRange["Type"] == "INITIATION_TIMESTAMP":
        floor = max(floor, TimeRange["StartTime"])
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        candidates = [rules.as_seen(rules.settle(c, ctx.now), ctx.now)
                      for c in tx.list_contacts(instance.id, floor, TimeRange["EndTime"])]
        attributes: dict[str, dict[str, str]] = {}

        def attributes_of(c: Contact) -> dict[str, str]:
            if c.chain_root not in attributes:
                attributes[c.chain_root] = tx.get_attributes(instance.id, c.chain_root)
            return attributes[c.chain_root]

        checks = _criteria(ctx, SearchCriteria or {}, attributes_of)
        found = [c for c in candidates
                 if _in_range(c, TimeRange) and all(check(c) for check in checks)]
    key = _sort_key(sort["FieldName"], sort["Order"] == "DESCENDING")
    found.sort(key=key)
    remaining = [c for c in found if key(c) > after] if after is not None else found
    size = MaxResults or DEFAULT_SEARCH_PAGE
    shown = remaining[:size]
    token = None
    if len(remaining) > size:
        token = base64.urlsafe_b64encode(
            orjson.dumps({"after": key(shown[-1]), "q": query})).decode()
    return {"Contacts": [views.contact_search_summary(c) for c in shown],
            "NextToken": token, "TotalCount": len(found)}


def list_associated_contacts(
    ctx: RequestContext, *, InstanceId: str, ContactId: str, MaxResults: int | None = None,
    NextToken: str | None = None,
) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        contact = contact_in(ctx, tx, instance, ContactId)
        tree = [rules.settle(c, ctx.now) for c in tx.associated_contacts(
            instance.id, contact.contact_association_id or contact.id)
            if rules.describable(c, ctx.now)]
    # Oldest first; contacts begun in the same millisecond (a transfer and its successor can
    # be) in chain order, each after the contact it follows.
    by_id = {c.id: c for c in tree}

    def depth(c: Contact) -> int:
        steps, seen = 0, {c.id}
        while c.previous_contact_id in by_id and c.previous_contact_id not in seen:
            c = by_id[c.previous_contact_id]
            seen.add(c.id)
            steps += 1
        return steps

    shown, token = page(ctx, tree, lambda c: f"{c.initiation_timestamp.timestamp():020.6f}"
                        f"|{depth(c):04d}|{c.id}", NextToken, MaxResults)
    return {"ContactSummaryList": [views.associated_contact_summary(c) for c in shown],
            "NextToken": token}


def list_contact_references(
    ctx: RequestContext, *, InstanceId: str, ContactId: str, ReferenceTypes: list[str],
    NextToken: str | None = None,
) -> dict[str, Any]:
    with ctx.store.read(ctx.scope) as tx:
        instance = require_instance(ctx, tx, InstanceId)
        contact = contact_in(ctx, tx, instance, ContactId)
    wanted = set(ReferenceTypes)
    named = [(name, ref) for name, ref in contact.references.items() if ref.type in wanted]
    shown, token = page(ctx, named, lambda item: item[0], NextToken, None)
    return {"ReferenceSummaryList": [views.reference_summary(n, r) for n, r in shown],
            "NextToken": token}
