"""The Flow-language interpreter (Version 2019-10-30): a contact's flow run, action by action,
on the service clock, its state kept in the store (several server processes share one), each
action written to the flow log. The actions themselves are in ``engine/actions.py``.

A contact runs its flow when it starts, synchronously inside the starting request, until the
flow ends or blocks (customer input, Wait, a queue): after StartTaskContact returns, what the
flow did is visible. Amazon Connect runs flows asynchronously (docs/design/flows.md).
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from .. import rules
from ..errors import ServiceError
from ..models import Contact, ContactFlow, Instance, Queue
from ..protocol.timestamps import parse_iso, to_iso
from ..service import RequestContext, Service
from ..store.base import Scope, Tx

log = logging.getLogger(__name__)

VERSION = "2019-10-30"
# Actions one contact's flows may run before connectlocal stops them as looping forever
# (Amazon Connect documents no number; docs/design/flows.md).
STEP_LIMIT = 1000
MAX_LAMBDA_CALLS = 100  # Lambda invocations in one run of a flow, for the same reason
CONTACT_FLOW_DISCONNECT = "CONTACT_FLOW_DISCONNECT"
# Run states
RUNNING, INPUT, WAIT, INVOKING, ENDED = "RUNNING", "INPUT", "WAIT", "INVOKING", "ENDED"


class FlowError(ValueError):
    """An event a flow run cannot take (customer input while not waiting for it)."""


@dataclass
class Outcome:
    """What an action did: go to ``next``; end the run (``ended`` says how); block until an
    event or ``due``; or invoke a Lambda function (``invoke``), outside any transaction."""

    next: str | None = None
    results: str | None = None
    ended: str | None = None
    block: str | None = None
    due: datetime | None = None
    invoke: dict[str, Any] | None = None
    external: Any = None


@dataclass
class Step:
    """One action of a run, with what the action may read and change."""

    ctx: RequestContext
    tx: Tx
    instance: Instance
    contact: Contact
    run: dict[str, Any]
    flow: ContactFlow
    document: dict[str, Any]
    action: dict[str, Any]
    spawned: list[str] = field(default_factory=list)

    @property
    def now(self) -> datetime:
        return self.ctx.now

    @property
    def parameters(self) -> dict[str, Any]:
        given = self.action.get("Parameters")
        return given if isinstance(given, dict) else {}

    @property
    def transitions(self) -> dict[str, Any]:
        given = self.action.get("Transitions")
        return given if isinstance(given, dict) else {}

    @property
    def data(self) -> dict[str, Any]:
        """Contact data kept by the run (LanguageCode, the target queue, event hooks...)."""
        found: dict[str, Any] = self.run.setdefault("data", {})
        return found

    def attributes(self) -> dict[str, str]:
        return self.tx.get_attributes(self.contact.instance_id, self.contact.chain_root)

    def value(self, key: str, default: Any = None) -> Any:
        """A parameter with its dynamic values resolved."""
        return resolve(self, self.parameters.get(key, default))

    def text(self, key: str, default: str = "") -> str:
        found = self.value(key, default)
        return default if found is None else str(found)

    def go(self, results: str | None = None) -> Outcome:
        return Outcome(next=self.transitions.get("NextAction"), results=results)

    def branch(self, value: Any, results: str | None = None) -> Outcome:
        """The first condition ``value`` meets, else the NoMatchingCondition error."""
        for condition in self.transitions.get("Conditions") or ():
            test = condition.get("Condition") or {}
            if matches(str(test.get("Operator")), value, test.get("Operands") or []):
                return Outcome(next=condition.get("NextAction"),
                               results=str(value) if results is None else results)
        return self.error("NoMatchingCondition", f"no condition matches {value!r}")

    def error(self, kind: str, message: str = "") -> Outcome:
        """The Errors branch for ``kind``, else NoMatchingError's; without one the flow ends."""
        errors = self.transitions.get("Errors") or ()
        for wanted in (kind, "NoMatchingError"):
            for branch in errors:
                if branch.get("ErrorType") == wanted:
                    return Outcome(next=branch.get("NextAction"),
                                   results=f"Error: {kind}" + (f": {message}" if message else ""))
        return Outcome(ended="ERROR", results=f"Error: {kind}" + (f": {message}" if message
                                                                   else "") + " (no branch)")

    def not_simulated(self) -> Outcome:
        return self.error("NoMatchingError",
                          f"{self.action.get('Type')} is not simulated by connectlocal")

    def queue(self, queue_id: str) -> Queue | None:
        key = queue_id.rsplit("/", 1)[-1]
        return self.tx.get_resource(self.instance.id, Queue, key)


Action = Callable[[Step], Outcome]
Resume = Callable[[Step, dict[str, Any]], Outcome]
ACTIONS: dict[str, Action] = {}
RESUMES: dict[str, Resume] = {}
# ContactFlowModuleType as Amazon Connect's flow logs name the blocks (the logs predate the
# Flow language's names); an action missing here is logged under its own Type.
MODULE_TYPES = {
    "UpdateContactAttributes": "SetAttributes", "MessageParticipant": "PlayPrompt",
    "GetParticipantInput": "GetUserInput", "InvokeLambdaFunction": "InvokeExternalResource",
    "Compare": "CheckAttribute", "UpdateContactTargetQueue": "SetQueue",
    "TransferContactToQueue": "Transfer", "DisconnectParticipant": "Disconnect",
    "UpdateFlowLoggingBehavior": "SetLoggingBehavior", "TransferToFlow": "Transfer",
    "UpdateContactEventHooks": "SetEventHook", "UpdateContactRecordingBehavior":
    "SetRecordingBehavior", "UpdateContactCallbackNumber": "SetCallbackNumber",
    "DistributeByPercentage": "DistributeByPercentage", "UpdateContactData": "SetContactData",
}


def registry() -> dict[str, Action]:
    """The registered actions (``engine/actions.py`` registers them when first imported; it
    imports the handlers whose functions its actions share, so not at this module's import)."""
    from . import actions  # noqa: F401

    return ACTIONS


def action(name: str, resume: Resume | None = None) -> Callable[[Action], Action]:
    """Registers the function that runs actions of Type ``name``."""
    def register(fn: Action) -> Action:
        ACTIONS[name] = fn
        if resume is not None:
            RESUMES[name] = resume
        return fn
    return register


# ---------------------------------------------------------------------------- dynamic values

_PATH = re.compile(r"\$(?:\.[A-Za-z0-9_\-]+|\[(?:'[^']*'|\"[^\"]*\"|[0-9]+)\])+")
_PART = re.compile(r"\.([A-Za-z0-9_\-]+)|\['([^']*)'\]|\[\"([^\"]*)\"\]|\[([0-9]+)\]")


def contact_data(step: Step) -> dict[str, Any]:
    """The contact as flows and Lambda functions see it (the ContactFlowEvent's ContactData)."""
    contact, data = step.contact, step.data
    queue = None
    target = data.get("queue") or (contact.queue.queue_id if contact.queue else None)
    if target:
        found = step.queue(target)
        if found is not None:
            queue = {"ARN": found.arn, "Name": found.name,
                     "OutboundCallerId": ({"Address": found.outbound_caller_id_number,
                                           "Type": "TELEPHONE_NUMBER"}
                                          if found.outbound_caller_id_number else None)}

    def endpoint(e: Any) -> dict[str, Any] | None:
        return None if e is None else {"Address": e.address, "Type": e.type}

    return {
        "Attributes": step.attributes(),
        "Channel": contact.channel,
        "ContactId": contact.id,
        "CustomerEndpoint": endpoint(contact.customer_endpoint),
        "CustomerId": contact.customer_id,
        "Description": contact.description,
        "InitialContactId": contact.initial_contact_id or contact.id,
        "InitiationMethod": contact.initiation_method,
        "InstanceARN": step.instance.arn,
        "LanguageCode": data.get("LanguageCode", "en-US"),
        "MediaStreams": {"Customer": {"Audio": None}},
        "Name": contact.name,
        "PreviousContactId": contact.previous_contact_id or contact.id,
        "Queue": queue,
        "References": {k: {"Type": r.type, "Value": r.value}
                       for k, r in contact.references.items()},
        "RelatedContactId": contact.related_contact_id,
        "SegmentAttributes": contact.segment_attributes,
        "SystemEndpoint": endpoint(contact.system_endpoint),
        "Tags": contact.tags,
    }


def _root(step: Step) -> dict[str, Any]:
    root = contact_data(step)
    root.update({
        "External": step.run.get("external") or {},
        "FlowAttributes": step.run.get("flow_attributes") or {},
        "Metrics": step.run.get("metrics") or {},  # GetMetricData's
        "StoredCustomerInput": step.run.get("stored_input"),
        "AwsRegion": step.ctx.region,
        "ContactFlowId": step.flow.id,
        "ContactFlowName": step.flow.name,
    })
    return root


def lookup(root: Any, path: str) -> Any:
    """The value at a JSONPath such as ``$.Attributes.x`` or ``$['Queue']['Name']``."""
    current = root
    for m in _PART.finditer(path[1:]):
        key = next(g for g in m.groups() if g is not None)
        if isinstance(current, dict):
            current = current.get(key)
        elif isinstance(current, list) and key.isdigit() and int(key) < len(current):
            current = current[int(key)]
        else:
            return None
        if current is None:
            return None
    return current


def resolve(step: Step, value: Any, root: dict[str, Any] | None = None) -> Any:
    """A parameter value with its JSONPath references replaced: a whole-value reference gives
    the value itself; references inside text are interpolated (an unset one as "")."""
    if isinstance(value, dict | list) and root is None and "$" in orjson.dumps(value).decode():
        root = _root(step)  # read once for every reference in the structure
    if isinstance(value, str) and "$" in value:
        whole = _PATH.fullmatch(value)
        root = root if root is not None else _root(step)
        if whole:
            return lookup(root, value)

        def text(m: re.Match[str]) -> str:
            found = lookup(root, m.group(0))
            return "" if found is None else found if isinstance(found, str) else \
                orjson.dumps(found).decode()
        return _PATH.sub(text, value)
    if isinstance(value, dict):
        return {k: resolve(step, v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(step, v, root) for v in value]
    return value


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def matches(operator: str, value: Any, operands: list[Any]) -> bool:
    """A Compare / input condition (Flow language "Conditions")."""
    text = "" if value is None else str(value)
    if operator == "Equals":
        return any(text == str(o) for o in operands)
    if operator in ("TextStartsWith", "TextEndsWith", "TextContains"):
        test = {"TextStartsWith": text.startswith, "TextEndsWith": text.endswith,
                "TextContains": text.__contains__}[operator]
        return any(test(str(o)) for o in operands)
    number = _number(value)
    if number is None or not operands or _number(operands[0]) is None:
        return False
    other = _number(operands[0])
    assert other is not None
    return {"NumberLessThan": number < other, "NumberLessOrEqualTo": number <= other,
            "NumberGreaterThan": number > other,
            "NumberGreaterOrEqualTo": number >= other}.get(operator, False)


# ------------------------------------------------------------------------------- validation

# Documented action types connectlocal accepts on save but does not run: at run time they take
# their error branch, logged as "not simulated".
NOT_SIMULATED = frozenset({
    "ConnectParticipantWithLexBot", "CreateCallbackContact", "CreatePersistentContactAssociation",
    "CreateWisdomSession", "CheckOutboundCallStatus", "CheckVoiceId",
    "DequeueContactAndTransferToQueue",
    "EndFlowModuleExecution", "InvokeFlowModule", "MessageParticipantIteratively",
    "ResumeContact", "StartVoiceIdStream", "TransferParticipantToThirdParty",
    "UpdateContactMediaProcessing", "UpdateContactMediaStreamingBehavior",
    "UpdateContactRecordingAndAnalyticsBehavior", "UpdateContactTextToSpeechVoice",
    "UpdatePreviousContactParticipantState", "AssociateContactToCustomerProfile",
    "CreateCustomerProfile", "GetCustomerProfile", "UpdateCustomerProfile",
    "GetCustomerProfileObject", "AuthenticateParticipant",
    "SetVoiceId", "UpdateRoutingCriteria", "ChatAnalyticsBehavior",
})


def problems(content: str) -> tuple[list[str], dict[str, Any]]:
    """What Amazon Connect would refuse in flow content, and the parsed flow."""
    try:
        flow = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        return [f"Content is not valid JSON: {exc}"], {}
    if not isinstance(flow, dict):
        return ["Content must be a JSON object"], {}
    found: list[str] = []
    if flow.get("Version") != VERSION:
        found.append(f"Version must be {VERSION}")
    actions = flow.get("Actions")
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        found.append("Actions must be a list of actions")
        return found, flow
    known = {a.get("Identifier") for a in actions if isinstance(a.get("Identifier"), str)}
    start = flow.get("StartAction")
    if not isinstance(start, str) or start not in known:
        found.append(f"StartAction {start} is not an action of the flow")
    seen: set[str] = set()
    for a in actions:
        ident, kind = a.get("Identifier"), a.get("Type")
        if not ident or not kind or not isinstance(ident, str) or not isinstance(kind, str):
            found.append("Every action needs an Identifier and a Type")
            continue
        if ident in seen:
            found.append(f"Action identifier {ident} is used by more than one action")
        seen.add(ident)
        parameters = a.get("Parameters", {})
        if not isinstance(parameters, dict):
            found.append(f"Action {ident}: Parameters must be an object")
            continue
        if kind not in registry() and kind not in NOT_SIMULATED:
            found.append(f"Action {ident} has an unknown Type {kind}")
        transitions = a.get("Transitions") or {}
        if not isinstance(transitions, dict):
            found.append(f"Action {ident}: Transitions must be an object")
            continue
        targets = [transitions.get("NextAction")]
        conditions, errors = transitions.get("Conditions") or [], transitions.get("Errors") or []
        if not isinstance(conditions, list) or not isinstance(errors, list):
            found.append(f"Action {ident}: Conditions and Errors must be lists")
            continue
        for c in conditions:
            targets.append(c.get("NextAction") if isinstance(c, dict) else None)
            condition = c.get("Condition") if isinstance(c, dict) else None
            if not isinstance(condition, dict) or not condition.get("Operator") or \
                    not isinstance(condition.get("Operands"), list):
                found.append(f"Action {ident}: a condition needs an Operator and Operands")
        for e in errors:
            targets.append(e.get("NextAction") if isinstance(e, dict) else None)
            if not isinstance(e, dict) or not e.get("ErrorType"):
                found.append(f"Action {ident}: an error branch needs an ErrorType")
        for target in targets:
            if target is not None and (not isinstance(target, str) or target not in known):
                found.append(f"Action {ident} transitions to {target}, which is not an action "
                             "of the flow")
        check = CHECKS.get(kind)
        if check is not None:
            found.extend(f"Action {ident}: {p}" for p in check(parameters))
    return found, flow


CHECKS: dict[str, Callable[[dict[str, Any]], list[str]]] = {}


# ------------------------------------------------------------------------------------ runs

def new_run(flow: ContactFlow, start: str, queue_at: datetime | None = None) -> dict[str, Any]:
    return {"flow": flow.id, "action": start, "state": RUNNING, "steps": 0, "lambda_calls": 0,
            "logging": True, "flow_attributes": {}, "external": {}, "stored_input": None,
            "loops": {}, "data": {}, "queue_at": to_iso(queue_at) if queue_at else None,
            "ended": None, "invoke": None, "waiting": None}


def begin(tx: Tx, contact: Contact, flow: ContactFlow, queue_at: datetime | None = None,
          data: dict[str, Any] | None = None) -> None:
    """Puts the contact at the start of ``flow`` (run by ``advance`` after the commit);
    ``data`` presets contact data (a transfer's working queue or agent)."""
    document = orjson.loads(flow.content)
    run = new_run(flow, document.get("StartAction", ""), queue_at)
    run["data"].update(data or {})
    tx.put_flow_run(contact.instance_id, contact.id, run, None)


def context(service: Service, scope: Scope, now: datetime | None = None) -> RequestContext:
    """A request context for flow work no API request carries (a timeout, an event)."""
    return RequestContext(service=service, scope=scope, request_id=str(uuid.uuid4()),
                          operation="ContactFlow", now=now or service.now())


def advance(ctx: RequestContext, instance_id: str, contact_id: str,
            event: dict[str, Any] | None = None, call: dict[str, Any] | None = None,
            spawned: list[str] | None = None) -> dict[str, Any] | None:
    """Runs the contact's flow until it ends or blocks; ``event`` resumes a waiting run
    (customer input, a timeout); ``call`` is a Lambda invocation the run is waiting on. A
    Lambda function is invoked between two transactions, never inside one. Answers the run
    as it stands."""
    spawned = [] if spawned is None else spawned
    result = invoke(ctx.service, call) if call is not None else None
    run: dict[str, Any] | None = None
    while True:
        logs: list[dict[str, Any]] = []
        with ctx.store.write(ctx.scope) as tx:
            run, call = _steps(ctx, tx, instance_id, contact_id, event, result, logs, spawned)
            if logs:
                tx.add_flow_logs(instance_id, contact_id, logs)
        _append_to_file(ctx.service, logs)
        event = None
        if call is None:
            break
        result = invoke(ctx.service, call)
    for task_id in spawned:
        advance(ctx, instance_id, task_id)
    return run


class Starter:
    """Runs a new contact's flow inside the transaction that creates it (``create_once``'s
    ``after``), until the flow ends, blocks or must invoke a Lambda function; ``finish()``,
    after the commit, goes on from there. A flow without a Lambda costs no commit of its
    own."""

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self._started: tuple[Contact, dict[str, Any] | None, list[dict[str, Any]],
                             list[str]] | None = None

    def __call__(self, tx: Tx, contact: Contact) -> None:
        logs: list[dict[str, Any]] = []
        spawned: list[str] = []
        _, call = _steps(self.ctx, tx, contact.instance_id, contact.id, None, None, logs,
                         spawned)
        if logs:
            tx.add_flow_logs(contact.instance_id, contact.id, logs)
        self._started = (contact, call, logs, spawned)

    def finish(self) -> None:
        if self._started is None:  # a ClientToken retry: the flow ran with the first call
            return
        contact, call, logs, spawned = self._started
        _append_to_file(self.ctx.service, logs)
        if call is not None:
            advance(self.ctx, contact.instance_id, contact.id, call=call, spawned=spawned)
        else:
            for task_id in spawned:
                advance(self.ctx, contact.instance_id, task_id)


def _steps(ctx: RequestContext, tx: Tx, instance_id: str, contact_id: str,
           event: dict[str, Any] | None, result: dict[str, Any] | None,
           logs: list[dict[str, Any]], spawned: list[str],
           ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    run = tx.get_flow_run(instance_id, contact_id)
    instance = tx.get_instance(instance_id)
    stored = tx.get_contact(instance_id, contact_id)
    if run is None or run["state"] == ENDED:
        return run, None
    if instance is None or stored is None:  # the contact is gone (retention): so is its run
        run.update(state=ENDED, ended=run.get("ended") or "DISCONNECTED", waiting=None)
        tx.put_flow_run(instance_id, contact_id, run, None)
        return run, None
    contact = rules.settle(stored, ctx.now)
    if not contact.active:
        run.update(state=ENDED, ended=run.get("ended") or "DISCONNECTED", waiting=None)
        tx.put_flow_run(instance_id, contact_id, run, None)
        return run, None
    flow, document = _flow(tx, instance_id, run["flow"])
    outcome: Outcome | None = None
    if run["state"] == INVOKING and result is not None:
        step = _step(ctx, tx, instance, contact, run, flow, document, spawned)
        if step is None:
            return _end(ctx, tx, contact, run, "ERROR"), None
        outcome = _answered(step, run["invoke"], result)
        if run.get("logging", True):
            logs.append(_record(ctx, contact, flow, step.action, _logged(step),
                                outcome.results, outcome.external))
        run["invoke"] = None
    elif run["state"] in (INPUT, WAIT):
        if event is None:
            return run, None
        step = _step(ctx, tx, instance, contact, run, flow, document, spawned)
        resume = RESUMES.get(str(step.action.get("Type"))) if step else None
        if step is None or resume is None:
            return _end(ctx, tx, contact, run, "ERROR"), None
        outcome = resume(step, event)
        if outcome.block:  # not this run's event: still waiting
            return run, None
        run["waiting"] = None
    elif run["state"] != RUNNING:
        return run, None
    run["state"] = RUNNING
    while True:
        if outcome is None:
            if run["steps"] >= STEP_LIMIT:
                logs.append(_record(ctx, contact, flow, {"Identifier": run["action"],
                                                         "Type": "StepLimit"}, {},
                                    f"Error: stopped after {STEP_LIMIT} actions "
                                    "(connectlocal's step limit for a flow that loops)"))
                return _end(ctx, tx, contact, run, "ERROR"), None
            if run["flow"] != flow.id:  # TransferToFlow moved on to another flow
                flow, document = _flow(tx, instance_id, run["flow"])
            step = _step(ctx, tx, instance, contact, run, flow, document, spawned)
            if step is None:
                return _end(ctx, tx, contact, run, "ERROR"), None
            run["steps"] += 1
            kind = str(step.action.get("Type"))
            logged = _logged(step)  # the parameters as the action reads them
            try:
                fn = registry().get(kind)
                outcome = fn(step) if fn is not None else step.not_simulated()
            except ServiceError as error:
                outcome = step.error("NoMatchingError", error.message)
            except Exception as error:  # content the action cannot use must not fail the call
                log.exception("flow action %s (%s) failed", step.action.get("Identifier"), kind)
                outcome = step.error("NoMatchingError", f"connectlocal could not run this "
                                     f"action: {type(error).__name__}: {error}")
            if outcome.invoke is None and (run.get("logging", True)
                                           or kind == "UpdateFlowLoggingBehavior"):
                logs.append(_record(ctx, contact, flow, step.action,
                                    logged, outcome.results, outcome.external))
        if outcome.invoke is not None:
            if run["lambda_calls"] >= MAX_LAMBDA_CALLS:
                assert step is not None
                outcome = step.error("NoMatchingError", "too many Lambda invocations")
                continue
            run.update(state=INVOKING, invoke=outcome.invoke)
            run["lambda_calls"] += 1
            tx.put_contact(contact)
            tx.put_flow_run(instance_id, contact_id, run, None)
            return run, outcome.invoke
        if outcome.block is not None:
            run.update(state=outcome.block, waiting=to_iso(outcome.due) if outcome.due else None)
            tx.put_contact(contact)
            tx.put_flow_run(instance_id, contact_id, run, outcome.due)
            return run, None
        if outcome.ended is not None:
            return _end(ctx, tx, contact, run, outcome.ended), None
        if outcome.next is None:  # the end of the flow without an action that ends it
            return _end(ctx, tx, contact, run, "END"), None
        run["action"] = outcome.next
        outcome = None


def _logged(step: Step) -> dict[str, Any]:
    try:
        resolved = resolve(step, step.parameters)
    except Exception:  # a parameter that cannot be resolved is logged as written
        resolved = step.parameters
    return resolved if isinstance(resolved, dict) else {}


def _flow(tx: Tx, instance_id: str, flow_id: str) -> tuple[ContactFlow, dict[str, Any]]:
    flow = tx.get_resource(instance_id, ContactFlow, flow_id)
    if flow is None:
        return ContactFlow(id=flow_id, arn="", name="", type="CONTACT_FLOW", content="{}"), {}
    return flow, orjson.loads(flow.content)


def _step(ctx: RequestContext, tx: Tx, instance: Instance, contact: Contact,
          run: dict[str, Any], flow: ContactFlow, document: dict[str, Any],
          spawned: list[str]) -> Step | None:
    for a in document.get("Actions") or ():
        if a.get("Identifier") == run["action"]:
            return Step(ctx, tx, instance, contact, run, flow, document, a, spawned)
    return None


def _end(ctx: RequestContext, tx: Tx, contact: Contact, run: dict[str, Any],
         how: str) -> dict[str, Any]:
    """The run ends. A contact flow that ends with the contact in no queue and with no agent
    disconnects it, on every channel (Amazon Connect: "the contact is disconnected" when an
    inbound flow ends without a transfer); other flow types return to where they were
    called from."""
    flow = tx.get_resource(contact.instance_id, ContactFlow, run["flow"])
    if how not in ("QUEUE", "AGENT") and contact.active and (
            flow is None or flow.type == "CONTACT_FLOW") and contact.queue is None:
        rules.end(contact, ctx.now, CONTACT_FLOW_DISCONNECT)
        how = "DISCONNECTED" if how in ("END", "DISCONNECTED") else how
    run.update(state=ENDED, ended=how, waiting=None, invoke=None)
    tx.put_contact(contact)
    tx.put_flow_run(contact.instance_id, contact.id, run, None)
    if how in ("QUEUE", "AGENT"):  # in a queue now: offered to an available agent
        from . import routing

        routing.route(tx, contact.instance_id, ctx.now, [contact])
    return run


def _record(ctx: RequestContext, contact: Contact, flow: ContactFlow, act: dict[str, Any],
            parameters: dict[str, Any], results: str | None,
            external: Any = None) -> dict[str, Any]:
    """A flow-log record in Amazon Connect's shape (Admin Guide, "Flow logs")."""
    kind = str(act.get("Type"))
    record: dict[str, Any] = {
        "ContactId": contact.id, "ContactFlowId": flow.arn or flow.id,
        "ContactFlowName": flow.name, "ContactFlowModuleType": MODULE_TYPES.get(kind, kind),
        "Identifier": act.get("Identifier"), "Timestamp": to_iso(ctx.now),
        "Parameters": parameters,
    }
    if results is not None:
        record["Results"] = results
    if external is not None:
        record["ExternalResults"] = external
    return record


_file_lock = threading.Lock()


def _append_to_file(service: Service, logs: list[dict[str, Any]]) -> None:
    path = getattr(service, "flow_log", None)
    if not path or not logs:
        return
    with _file_lock, open(path, "ab") as handle:
        for record in logs:
            handle.write(orjson.dumps(record) + b"\n")


# ------------------------------------------------------------------------ Lambda functions

MAX_RESPONSE_BYTES = 32 * 1024  # Admin Guide: a function's response is limited to 32 KB


def invoke(service: Service, call: dict[str, Any]) -> dict[str, Any]:
    """Invokes a function outside any store transaction; answers {"ok": result} or
    {"error": message}."""
    from .lambdas import LambdaError

    lambdas = getattr(service, "lambdas", None)
    if lambdas is None:
        return {"error": f"no target is configured for {call['arn']}"}
    try:
        return {"ok": lambdas.invoke(call["arn"], call["event"], float(call["timeout"]))}
    except LambdaError as error:
        return {"error": str(error)}
    except Exception as error:  # a target's own defect must not fail the request
        log.exception("Lambda target for %s failed", call["arn"])
        return {"error": f"{type(error).__name__}: {error}"}


def _answered(step: Step, call: dict[str, Any], result: dict[str, Any]) -> Outcome:
    """The flow goes on with a function's answer: under $.External, or the Error branch."""
    if "error" in result:
        outcome = step.error("NoMatchingError", str(result["error"]))
        outcome.external = {"Error": str(result["error"])}
        return outcome
    answer = result.get("ok")
    if call.get("asynchronous"):
        return Outcome(next=step.transitions.get("NextAction"), results="Success")
    size = len(orjson.dumps(answer))
    problem = None
    if size > MAX_RESPONSE_BYTES:
        problem = f"the response is {size} bytes; at most {MAX_RESPONSE_BYTES} are allowed"
    elif call.get("validation", "STRING_MAP") == "STRING_MAP" and not (
            isinstance(answer, dict) and all(isinstance(v, str) for v in answer.values())):
        problem = "STRING_MAP response validation: the function must return a flat object " \
                  "of string values"
    elif not isinstance(answer, dict):
        problem = "the function must return a JSON object"
    if problem is not None:
        outcome = step.error("NoMatchingError", problem)
        outcome.external = {"Error": problem}
        return outcome
    step.run["external"] = answer
    return Outcome(next=step.transitions.get("NextAction"), results="Success",
                   external=answer)


# ----------------------------------------------------------------------- events and timeouts

def customer_input(service: Service, scope: Scope, instance_id: str, contact_id: str,
                   dtmf: str | None = None, text: str | None = None) -> dict[str, Any]:
    """A customer's keys or message for a waiting GetParticipantInput."""
    ctx = context(service, scope)
    with service.store.read(scope) as tx:
        run = tx.get_flow_run(instance_id, contact_id)
    waits_for_it = run is not None and (run["state"] == INPUT or (
        run["state"] == WAIT and run.get("returns")))
    if run is None or not waits_for_it:
        raise FlowError(f"Contact {contact_id} is not waiting for customer input"
                        + (f" (its flow is {run['state'].lower()})" if run else ""))
    after = advance(ctx, instance_id, contact_id,
                    {"input": dtmf if dtmf is not None else text or ""})
    return summary(after)


def resume_due(service: Service, now: datetime) -> int:
    """Times out the waiting runs whose timeout has passed (the sweep, a clock change)."""
    count = 0
    for scope, instance_id, contact_id in service.store.due_flow_runs(now):
        with service.store.read(scope) as tx:
            run = tx.get_flow_run(instance_id, contact_id)
        due = run.get("waiting") if run else None
        if run is None or due is None or parse_iso(due) > now:
            continue
        advance(context(service, scope, parse_iso(due)), instance_id, contact_id,
                {"timeout": True})
        count += 1
    return count


def summary(run: dict[str, Any] | None) -> dict[str, Any]:
    if run is None:
        return {"state": None}
    return {"state": run["state"], "action": run["action"], "ended": run.get("ended")}


def seconds(value: Any, default: float) -> float:
    found = _number(value)
    return default if found is None or found < 0 else found


def after(step: Step, value: Any, default: float) -> datetime:
    return step.now + timedelta(seconds=seconds(value, default))
