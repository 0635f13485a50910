"""The Flow-language actions connectlocal runs, one small function per action Type (API
Reference, "Flow language": each action's Parameters, Results and conditions, Errors). An
action that does what an API call does shares its function with the handler."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from .. import rules
from ..handlers import contacts as contact_api
from ..handlers import metrics as metrics_api
from ..handlers import updates as update_api
from ..metrics import current
from ..models import TASK, AgentStatus, ContactFlow, HoursOfOperation, LambdaFunction, User
from ..protocol.timestamps import parse_iso
from . import flows, hours, routing
from .flows import INPUT, WAIT, Outcome, Step, action

E164 = re.compile(r"^\+[1-9][0-9]{1,14}\Z")
DEFAULT_INPUT_SECONDS = 5  # GetParticipantInput: InputTimeLimitSeconds "defaults to 5"
MAX_LAMBDA_SECONDS = 8  # InvokeLambdaFunction: "no larger than 8"

# CheckHoursOfOperation asks this whether hours are open at an instant (a test may stub it).
IsOpen = Callable[[HoursOfOperation, datetime], bool]
is_open: IsOpen = hours.is_open


# ------------------------------------------------------------------------------ flow control

@action("EndFlowExecution")
def end_flow_execution(step: Step) -> Outcome:
    return Outcome(ended="END")


@action("Compare")
def compare(step: Step) -> Outcome:
    return step.branch(step.value("ComparisonValue"))


@action("DistributeByPercentage")
def distribute_by_percentage(step: Step) -> Outcome:
    # Seeded by contact and action: the same contact takes the same branch every time.
    digest = hashlib.sha256(f"{step.contact.id}/{step.action.get('Identifier')}".encode())
    number = int.from_bytes(digest.digest()[:4], "big") % 100 + 1
    return step.branch(number)


@action("Loop")
def loop(step: Step) -> Outcome:
    ident = str(step.action.get("Identifier"))
    loops: dict[str, int] = step.run.setdefault("loops", {})
    wanted = int(flows.seconds(step.value("LoopCount"), 0))
    done = loops.get(ident, 0)
    if done < wanted:
        loops[ident] = done + 1
        return step.branch("ContinueLooping")
    loops.pop(ident, None)
    return step.branch("DoneLooping")


def _wait_resume(step: Step, event: dict[str, Any]) -> Outcome:
    # "If an event interrupts the wait, the run result is the event that interrupted. If no
    # event interrupts the Wait and the time elapses, the run result is WaitCompleted."
    if "timeout" in event:
        return step.branch("WaitCompleted")
    if "input" in event and "CustomerReturned" in (step.parameters.get("Events") or []):
        return step.branch("CustomerReturned")
    return Outcome(block=WAIT)


@action("Wait", _wait_resume)
def wait(step: Step) -> Outcome:
    if step.contact.channel == "VOICE":  # Wait block: "Voice: No - Error branch"
        return step.error("NoMatchingError", "Wait is not supported on the voice channel")
    step.run["returns"] = "CustomerReturned" in (step.parameters.get("Events") or [])
    return Outcome(block=WAIT, due=flows.after(step, step.value("TimeoutSeconds"), 0),
                   results="Waiting")


@action("TransferToFlow")
def transfer_to_flow(step: Step) -> Outcome:
    target = step.text("ContactFlowId")
    found = step.tx.get_resource(step.instance.id, ContactFlow, target.rsplit("/", 1)[-1])
    if found is None:
        return step.error("NoMatchingError", f"Contact flow not found: {target}")
    document = orjson.loads(found.content)
    step.run.update(flow=found.id)
    return Outcome(next=document.get("StartAction"), results=found.id)


@action("UpdateFlowLoggingBehavior")
def update_flow_logging_behavior(step: Step) -> Outcome:
    step.run["logging"] = step.text("FlowLoggingBehavior", "Enabled") != "Disabled"
    return step.go()


@action("UpdateFlowAttributes")
def update_flow_attributes(step: Step) -> Outcome:
    given = step.value("FlowAttributes") or {}
    if not isinstance(given, dict):
        return step.error("NoMatchingError", "FlowAttributes must be an object")
    attributes: dict[str, str] = step.run.setdefault("flow_attributes", {})
    for key, spec in given.items():
        value = spec.get("Value") if isinstance(spec, dict) else spec
        attributes[key] = "" if value is None else str(value)
    return step.go()


@action("CheckHoursOfOperation")
def check_hours_of_operation(step: Step) -> Outcome:
    hours_id = step.text("HoursOfOperationId")
    if not hours_id:  # the hours of the queue the contact is set to
        target = step.data.get("queue") or (step.contact.queue.queue_id
                                            if step.contact.queue else None)
        queue = step.queue(target) if target else None
        hours_id = queue.hours_of_operation_id or "" if queue else ""
    found = step.tx.get_resource(step.instance.id, HoursOfOperation,
                                 hours_id.rsplit("/", 1)[-1]) if hours_id else None
    if found is None:
        return step.error("NoMatchingError", f"Hours of operation not found: {hours_id!r}")
    return step.branch("True" if is_open(found, step.now) else "False")


# Queue metrics (CheckMetricData, GetMetricData): the real-time metrics GetCurrentMetricData
# answers, for one queue over its channels, read in the contact's own transaction.

# CheckMetricData's MetricType: the real-time metric it reads.
CHECKED_METRICS = {
    "NumberOfAgentsAvailable": "AGENTS_AVAILABLE", "NumberOfAgentsStaffed": "AGENTS_STAFFED",
    "NumberOfAgentsOnline": "AGENTS_ONLINE", "NumberOfContactsInQueue": "CONTACTS_IN_QUEUE",
    "OldestContactInQueueAgeSeconds": "OLDEST_CONTACT_AGE"}
# GetMetricData's attributes (Admin Guide, "Get queue metrics"): $.Metrics.Queue.<key> and
# $.Metrics.Agents.<key>.Count, each the real-time metric it holds.
QUEUE_ATTRIBUTES = {"Size": "CONTACTS_IN_QUEUE", "OldestContactAge": "OLDEST_CONTACT_AGE"}
AGENT_ATTRIBUTES = {
    "Online": "AGENTS_ONLINE", "Available": "AGENTS_AVAILABLE", "Staffed": "AGENTS_STAFFED",
    "AfterContactWork": "AGENTS_AFTER_CONTACT_WORK", "Busy": "AGENTS_ON_CONTACT",
    "Missed": "AGENTS_ERROR", "NonProductive": "AGENTS_NON_PRODUCTIVE"}
_CHANNELS = {"Voice": ["VOICE"], "Chat": ["CHAT"]}  # GetMetricData's QueueChannel


class _Target(NamedTuple):
    """The queue whose metrics an action reads: ``kind`` "queue", or "agent" (an agent's
    queue, its id the user's)."""

    kind: str
    id: str
    arn: str
    name: str


def _metric_target(step: Step) -> _Target | Outcome:
    """QueueId, AgentId, or else the contact's working queue."""
    queue_id, agent_id = step.text("QueueId"), step.text("AgentId")
    if queue_id and agent_id:
        return step.error("NoMatchingError", "QueueId and AgentId may not both be given")
    if not queue_id and not agent_id:
        queue_id = step.data.get("queue") or ""
        agent_id = step.data.get("agent") or ""
        if not queue_id and not agent_id and step.contact.queue is not None:
            queue_id = step.contact.queue.queue_id
    if agent_id:
        user = step.tx.get_resource(step.instance.id, User, agent_id.rsplit("/", 1)[-1])
        if user is None:
            return step.error("NoMatchingError", f"User not found: {agent_id}")
        return _Target("agent", user.id, user.arn, user.username)
    queue = step.queue(queue_id) if queue_id else None
    if queue is None:
        return step.error("NoMatchingError", f"Queue not found: {queue_id!r}" if queue_id
                          else "no queue is named and no working queue is set")
    return _Target("queue", queue.id, queue.arn, queue.name)


def _queue_metrics(step: Step, target: _Target, names: list[str],
                   channels: list[str]) -> dict[str, float]:
    """The real-time metrics of a queue over ``channels`` (OLDEST_CONTACT_AGE in seconds),
    by their definitions (``metrics.current``)."""
    if target.kind == "queue":
        answer = metrics_api.get_current_metric_data(
            step.ctx, InstanceId=step.instance.id, within=step.tx, Groupings=["QUEUE"],
            Filters={"Queues": [target.id], "Channels": channels},
            CurrentMetrics=[{"Name": name, "Unit": current.DEFINITIONS[name].unit}
                            for name in names])
        values = dict.fromkeys(names, 0.0)
        for result in answer["MetricResults"]:
            for collection in result["Collections"]:
                values[collection["Metric"]["Name"]] = float(collection["Value"])
        return values
    # An agent's queue (no Queue resource: GetCurrentMetricData does not answer it): the
    # contacts waiting for the agent, and the agent as one sample of its own.
    waiting = [c for c in step.tx.waiting_contacts(step.instance.id, step.now)
               if c.queue is not None and c.queue.queue_id == target.id
               and c.channel in channels]
    state = step.tx.get_agent_state(step.instance.id, target.id)
    sample = None
    if state is not None:
        status = step.tx.get_resource(step.instance.id, AgentStatus, state.status_id)
        status_type = status.type if status is not None else routing.OFFLINE
        busy = [c for c in state.contacts if c.state in routing.BUSY and c.channel in channels]
        # No slot metric is read here: the routing profile's concurrency is not needed.
        sample = current.AgentSample(
            state, status_type, routing.activity(state, status_type), "",
            active_slots=0, available_slots=0,
            acw_contacts=sum(1 for c in busy if c.state == routing.ENDED))
    values = {}
    for name in names:
        definition = current.DEFINITIONS[name]
        if definition.agent is not None:
            values[name] = float(definition.agent(sample)) if sample is not None else 0.0
        elif name == "OLDEST_CONTACT_AGE":
            values[name] = float(int(max(
                ((step.now - c.queue.enqueue_timestamp).total_seconds() for c in waiting
                 if c.queue is not None), default=0.0)))
        else:
            values[name] = float(len(waiting))
    return values


_ALL_CHANNELS = ["VOICE", "CHAT", "TASK"]


@action("CheckMetricData")
def check_metric_data(step: Step) -> Outcome:
    kind = step.parameters.get("MetricType")  # "Dynamic values are not supported"
    name = CHECKED_METRICS.get(str(kind))
    if name is None:
        return step.error("NoMatchingError", f"MetricType {kind!r} is not one of "
                          f"{', '.join(CHECKED_METRICS)}")
    target = _metric_target(step)
    if isinstance(target, Outcome):
        return target
    return step.branch(int(_queue_metrics(step, target, [name], _ALL_CHANNELS)[name]))


@action("GetMetricData")
def get_metric_data(step: Step) -> Outcome:
    channel = step.text("QueueChannel")
    if channel and channel not in _CHANNELS:
        return step.error("NoMatchingError", f"QueueChannel must be Voice or Chat, not "
                          f"{channel!r}")
    target = _metric_target(step)
    if isinstance(target, Outcome):
        return target
    values = _queue_metrics(step, target, [*QUEUE_ATTRIBUTES.values(),
                                           *AGENT_ATTRIBUTES.values()],
                            _CHANNELS.get(channel, _ALL_CHANNELS))
    metrics: dict[str, Any] = {"Queue": {"Name": target.name, "ARN": target.arn, **{
        key: int(values[metric]) for key, metric in QUEUE_ATTRIBUTES.items()}}}
    # "For agent-based metrics ... if there are no agents, no metrics are returned."
    if values["AGENTS_ONLINE"]:
        metrics["Agents"] = {key: {"Count": int(values[metric])}
                             for key, metric in AGENT_ATTRIBUTES.items()}
    step.run["metrics"] = metrics
    return step.go()


# ---------------------------------------------------------------------------------- contact

@action("UpdateContactAttributes")
def update_contact_attributes(step: Step) -> Outcome:
    given = step.value("Attributes") or {}
    if not isinstance(given, dict):
        return step.error("NoMatchingError", "Attributes must be an object")
    update_api.set_attributes(step.ctx, step.tx, step.contact,
                              {k: "" if v is None else str(v) for k, v in given.items()})
    return step.go()


@action("UpdateContactData")
def update_contact_data(step: Step) -> Outcome:
    p = step.parameters
    if "Name" in p:
        step.contact.name = step.text("Name")
    if "Description" in p:
        step.contact.description = step.text("Description")
    if "CustomerId" in p:
        step.contact.customer_id = step.text("CustomerId")
    if "LanguageCode" in p:
        step.data["LanguageCode"] = step.text("LanguageCode")
    step.contact.last_update_timestamp = step.now
    return step.go()


@action("UpdateContactTargetQueue")
def update_contact_target_queue(step: Step) -> Outcome:
    if step.parameters.get("AgentId"):
        agent = step.text("AgentId")
        user = step.tx.get_resource(step.instance.id, User, agent.rsplit("/", 1)[-1])
        if user is None:
            return step.error("NoMatchingError", f"User not found: {agent}")
        step.data.update(queue=None, agent=user.id)
        return step.go()
    target = step.text("QueueId")
    queue = step.queue(target) if target else None
    if queue is None:
        return step.error("NoMatchingError", f"Queue not found: {target!r}")
    step.data.update(queue=queue.id, agent=None)
    return step.go()


def _enter(step: Step, queue_id: str) -> None:
    """The contact enters a queue as it does through the API (rules.enqueue)."""
    queued_at = step.run.get("queue_at")
    step.contact.queue = rules.enqueue(queue_id, parse_iso(queued_at) if queued_at
                                       else step.now)
    step.contact.last_update_timestamp = step.now


@action("TransferContactToQueue")
def transfer_contact_to_queue(step: Step) -> Outcome:
    target = step.data.get("queue")
    queue = step.queue(target) if target else None
    if queue is None:
        return step.error("NoMatchingError", "no working queue is set "
                          "(UpdateContactTargetQueue)")
    if queue.status == "DISABLED":
        return step.error("QueueAtCapacity", f"Queue {queue.id} is disabled")
    _enter(step, queue.id)
    return Outcome(ended="QUEUE", results=queue.name)


@action("TransferContactToAgent")
def transfer_contact_to_agent(step: Step) -> Outcome:
    agent = step.data.get("agent")
    if not agent:
        return step.error("NoMatchingError", "no agent is set (UpdateContactTargetQueue)")
    _enter(step, str(agent))  # an agent is reached through its agent queue
    return Outcome(ended="AGENT", results=str(agent))


@action("UpdateContactRoutingBehavior")
def update_contact_routing_behavior(step: Step) -> Outcome:
    if "QueuePriority" in step.parameters:
        step.contact.queue_priority = int(flows.seconds(step.value("QueuePriority"), 5))
    if "QueueTimeAdjustmentSeconds" in step.parameters:
        step.contact.queue_time_adjustment_seconds = int(
            flows.seconds(step.value("QueueTimeAdjustmentSeconds"), 0))
    return step.go()


@action("UpdateContactRecordingBehavior")
def update_contact_recording_behavior(step: Step) -> Outcome:
    step.data["RecordingBehavior"] = flows.resolve(step, step.parameters)
    return step.go()


@action("UpdateContactCallbackNumber")
def update_contact_callback_number(step: Step) -> Outcome:
    number = step.text("CallbackNumber")
    if not E164.match(number):
        return step.error("InvalidCallbackNumber", f"{number!r} is not an E.164 number")
    step.data["CallbackNumber"] = number
    return step.go()


@action("UpdateContactEventHooks")
def update_contact_event_hooks(step: Step) -> Outcome:
    hooks = step.value("EventHooks") or {}
    if not isinstance(hooks, dict):
        return step.error("NoMatchingError", "EventHooks must be an object")
    for name, flow_ref in hooks.items():
        key = str(flow_ref).rsplit("/", 1)[-1]
        if step.tx.get_resource(step.instance.id, ContactFlow, key) is None:
            return step.error("NoMatchingError", f"the {name} flow {flow_ref} is not found")
    step.data.setdefault("EventHooks", {}).update(hooks)
    return step.go()


@action("TagContact")
def tag_contact(step: Step) -> Outcome:
    tags = step.value("Tags") or {}
    update_api.add_tags(step.ctx, step.contact, {k: str(v) for k, v in tags.items()})
    return step.go()


@action("UnTagContact")
def untag_contact(step: Step) -> Outcome:
    update_api.remove_tags(step.contact, [str(k) for k in step.value("TagKeys") or []])
    return step.go()


@action("CreateTask")
def create_task(step: Step) -> Outcome:
    flow_ref = step.text("ContactFlowId")
    flow = step.tx.get_resource(step.instance.id, ContactFlow, flow_ref.rsplit("/", 1)[-1])
    if flow is None or flow.type != "CONTACT_FLOW":
        return step.error("NoMatchingError", f"Contact flow not found: {flow_ref!r}")
    task_id = step.ctx.ids.uuid()
    delay = flows.seconds(step.value("DelaySeconds"), 0)
    scheduled = flows.after(step, delay, 0) if delay else None
    task = contact_api.new_contact(
        step.ctx, step.instance, task_id, TASK, "FLOW", name=step.text("Name") or "Task",
        description=step.text("Description") or None,
        related_contact_id=step.contact.id, scheduled_timestamp=scheduled,
        references=contact_api.references_of(step.value("References") or {}),
        contact_flow_id=flow.id)
    step.tx.put_contact(task)
    given = step.value("Attributes") or {}
    contact_api.share_attributes(step.ctx, step.tx, task,
                                 {k: str(v) for k, v in given.items()})
    flows.begin(step.tx, task, flow, scheduled)
    step.spawned.append(task_id)
    step.run.setdefault("data", {})["Task"] = {"ContactId": task_id}
    return step.go(task_id)


# ----------------------------------------------------------------------------- interactions

def _prompt(step: Step) -> str:
    for key in ("Text", "SSML", "PromptId"):
        if key in step.parameters:
            return f"{key}: {step.text(key)}"
    return ""


@action("MessageParticipant")
def message_participant(step: Step) -> Outcome:
    return step.go(_prompt(step) or None)


@action("ShowView")
def show_view(step: Step) -> Outcome:
    if step.transitions.get("NextAction"):
        return step.go("Shown")
    return step.not_simulated()


def _input_resume(step: Step, event: dict[str, Any]) -> Outcome:
    if "timeout" in event:
        return step.error("InputTimeLimitExceeded", "the customer gave no input in time")
    if "input" not in event:
        return Outcome(block=INPUT)
    given = str(event["input"])
    dtmf = step.parameters.get("DTMFConfiguration") or {}
    terminator = str(dtmf.get("InputTerminationSequence") or "#")
    if step.contact.channel == "VOICE" and given.endswith(terminator):
        given = given[: -len(terminator)]
    if str(step.parameters.get("StoreInput", "False")).lower() == "true":
        validation = step.parameters.get("InputValidation") or {}
        if "PhoneNumberValidation" in validation and not E164.match(given):
            return step.error("InvalidPhoneNumber", f"{given!r} is not a valid phone number")
        step.run["stored_input"] = given
        return step.go(given)
    return step.branch(given)


@action("GetParticipantInput", _input_resume)
def get_participant_input(step: Step) -> Outcome:
    seconds = flows.seconds(step.value("InputTimeLimitSeconds"), DEFAULT_INPUT_SECONDS)
    return Outcome(block=INPUT, due=flows.after(step, seconds, DEFAULT_INPUT_SECONDS),
                   results=_prompt(step) or "Waiting for input")


@action("InvokeLambdaFunction")
def invoke_lambda_function(step: Step) -> Outcome:
    arn = step.text("LambdaFunctionARN")
    unqualified = ":".join(arn.split(":")[:7])
    if step.tx.get_resource(step.instance.id, LambdaFunction, arn) is None and \
            step.tx.get_resource(step.instance.id, LambdaFunction, unqualified) is None:
        return step.error("NoMatchingError", f"{arn} is not associated with instance "
                          f"{step.instance.id} (AssociateLambdaFunction)")
    timeout = min(flows.seconds(step.parameters.get("InvocationTimeLimitSeconds"),
                                MAX_LAMBDA_SECONDS), MAX_LAMBDA_SECONDS)
    given = step.value("LambdaInvocationAttributes") or {}
    event = {"Details": {"ContactData": flows.contact_data(step),
                         "Parameters": {k: "" if v is None else str(v)
                                        for k, v in given.items()}},
             "Name": "ContactFlowEvent"}
    validation = (step.parameters.get("ResponseValidation") or {}).get("ResponseType",
                                                                       "STRING_MAP")
    asynchronous = step.parameters.get("InvocationType") == "ASYNCHRONOUS"
    return Outcome(invoke={"arn": arn, "event": event, "timeout": timeout,
                           "validation": validation, "asynchronous": asynchronous})


# ------------------------------------------------------------------------------ participant

@action("DisconnectParticipant")
def disconnect_participant(step: Step) -> Outcome:
    if step.contact.active:
        rules.end(step.contact, step.now, flows.CONTACT_FLOW_DISCONNECT)
    return Outcome(ended="DISCONNECTED")


# ------------------------------------------------------------------------ checks on save

def _lambda_checks(p: dict[str, Any]) -> list[str]:
    found = []
    if not p.get("LambdaFunctionARN"):
        found.append("InvokeLambdaFunction needs a LambdaFunctionARN")
    limit = p.get("InvocationTimeLimitSeconds")
    if limit is not None and not (str(limit).isdigit() and 1 <= int(str(limit)) <= 8):
        found.append("InvocationTimeLimitSeconds must be an integer from 1 to 8, set "
                     f"statically, not {limit!r}")
    validation = p.get("ResponseValidation") or {}
    kind = validation.get("ResponseType") if isinstance(validation, dict) else validation
    if kind is not None and kind not in ("STRING_MAP", "JSON"):
        found.append(f"ResponseValidation.ResponseType must be STRING_MAP or JSON, not {kind!r}")
    return found


flows.CHECKS.update({
    "InvokeLambdaFunction": _lambda_checks,
    "Compare": lambda p: [] if "ComparisonValue" in p else ["Compare needs a ComparisonValue"],
    "TransferToFlow": lambda p: [] if p.get("ContactFlowId") else
    ["TransferToFlow needs a ContactFlowId"],
    "Loop": lambda p: [] if "LoopCount" in p else ["Loop needs a LoopCount"],
    "Wait": lambda p: [] if "TimeoutSeconds" in p else ["Wait needs TimeoutSeconds"],
    "UpdateContactTargetQueue": lambda p: [] if p.get("QueueId") or p.get("AgentId") else
    ["UpdateContactTargetQueue needs a QueueId or an AgentId"],
    "CheckMetricData": lambda p: [] if isinstance(p.get("MetricType"), str)
    and p["MetricType"] in CHECKED_METRICS else
    [f"CheckMetricData's MetricType must be one of {', '.join(CHECKED_METRICS)} (set "
     f"statically), not {p.get('MetricType')!r}"],
})
