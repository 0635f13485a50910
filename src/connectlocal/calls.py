"""The ``connectlocal call`` command: an inbound call to a claimed number, into a store or a
running server, the customer's keys and words, and what the number's flow did: its path, the
prompts it played, the Lambda functions it called and their answers, where the call ended."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any

from . import adminclient


class CallError(Exception):
    """The call cannot be placed (no such instance, no flow on the number...)."""


def add_parser(commands: Any, data_default: str) -> None:
    call = commands.add_parser(
        "call", help="call a claimed number and print what its flow did",
        description="An inbound VOICE call arrives at --to from --from and runs the number's "
                    "flow; --dtmf and --say answer its GetParticipantInput prompts in order.")
    call.add_argument("--instance-id", required=True)
    call.add_argument("--to", required=True, metavar="E164", help="the claimed number called")
    call.add_argument("--from", dest="caller", default="+15555550100", metavar="E164",
                      help="the caller's number (default +15555550100)")
    call.add_argument("--dtmf", dest="inputs", action="append", default=[], metavar="KEYS",
                      type=lambda v: ("dtmf", v), help="keys pressed at the next prompt, "
                      "e.g. 1#; repeatable")
    call.add_argument("--say", dest="inputs", action="append", metavar="TEXT",
                      type=lambda v: ("text", v), help="what the caller says at the next "
                      "prompt; repeatable")
    call.add_argument("--data", default=data_default, help="the store to call into")
    call.add_argument("--endpoint", metavar="URL",
                      help="call into the connectlocal server at URL instead of --data")
    call.add_argument("--lambda", dest="lambdas", action="append", default=[],
                      metavar="ARN=TARGET", help="with --data: where Lambda functions run "
                      "(as serve --lambda)")
    call.add_argument("--account", default="123456789012")
    call.add_argument("--region", default="us-east-1")


def run(args: argparse.Namespace) -> int:
    try:
        outcome = (_remote if args.endpoint else _local)(args)
    except (CallError, ValueError, OSError) as exc:
        print(f"connectlocal: {exc}", file=sys.stderr)
        return 1
    print(render(args, *outcome))
    return 0


def render(args: argparse.Namespace, contact_id: str, records: list[dict[str, Any]],
           sent: list[tuple[str, str]], ended: str) -> str:
    lines = [f"call {contact_id} from {args.caller} to {args.to}"]
    flow = None
    inputs = iter(sent)
    for n, r in enumerate(records, 1):
        if r.get("ContactFlowName") != flow:
            flow = r.get("ContactFlowName")
            lines.append(f"  flow: {flow}")
        kind, p = r.get("ContactFlowModuleType", ""), r.get("Parameters") or {}
        detail = ""
        if kind == "InvokeExternalResource":
            answer = r.get("ExternalResults")
            detail = f"{p.get('LambdaFunctionARN', '')} -> " + json.dumps(answer)
        else:
            for key in ("Text", "SSML", "PromptId"):
                if key in p:
                    detail = f"says {p[key]!r}" if key != "PromptId" else f"plays {p[key]}"
                    break
        results = r.get("Results")
        if results and kind != "InvokeExternalResource":
            detail = f"{detail} [{results}]" if detail else f"[{results}]"
        lines.append(f"  {n:>3} {r.get('Identifier', '')}  {kind}  {detail}".rstrip())
        if kind == "GetUserInput":
            given = next(inputs, None)
            if given is not None:
                lines.append(f"      caller {'presses' if given[0] == 'dtmf' else 'says'} "
                             f"{given[1]!r}")
    lines.append(f"ended: {ended}")
    return "\n".join(lines)


def _where(contact: dict[str, Any] | None, queue_name: str | None,
           state: str | None) -> str:
    if contact is None:
        return "unknown"
    if state in ("INPUT", "WAIT"):
        return "the flow is waiting (" + ("for customer input" if state == "INPUT"
                                           else "in a Wait") + ")"
    if contact.get("DisconnectTimestamp"):
        return f"disconnected ({contact.get('DisconnectReason')})"
    agent = (contact.get("AgentInfo") or {}).get("Id")
    if agent:
        return f"with agent {agent}"
    queue = (contact.get("QueueInfo") or {}).get("Id")
    if queue:
        return f"in queue {queue_name or queue} ({queue})"
    return "in the flow"


def _local(args: argparse.Namespace) -> tuple[str, list[dict[str, Any]],
                                              list[tuple[str, str]], str]:
    from . import events, rules, views
    from .engine import flows
    from .engine.lambdas import Lambdas
    from .models import Queue
    from .service import Service
    from .store import open_store
    from .store.base import Scope

    store = open_store(args.data)
    try:
        service = Service(store, lambdas=Lambdas.parse(args.lambdas))
        scope = Scope(args.account, args.region)
        try:
            answer = events.apply(service, scope, {
                "event": "arrive", "instance_id": args.instance_id, "channel": "VOICE",
                "to": args.to, "customer": args.caller})
        except events.EventError as exc:
            raise CallError(str(exc)) from None
        contact_id = answer["ContactId"]
        if "Flow" not in answer:
            raise CallError(f"{args.to} runs no flow in instance {args.instance_id} (claim it "
                            "and associate a flow: AssociatePhoneNumberContactFlow); the call "
                            f"{contact_id} went to the basic queue")
        sent = []
        for kind, value in args.inputs:
            with store.read(scope) as tx:
                run = tx.get_flow_run(args.instance_id, contact_id)
            if run is None or run["state"] != flows.INPUT:
                break
            flows.customer_input(service, scope, args.instance_id, contact_id,
                                 **{kind: value})
            sent.append((kind, value))
        with store.read(scope) as tx:
            records = tx.get_flow_logs(contact_id)
            run = tx.get_flow_run(args.instance_id, contact_id)
            stored = tx.get_contact(args.instance_id, contact_id)
            shown = views.contact(rules.settle(stored, service.now()), {}) if stored else None
            queue = (tx.get_resource(args.instance_id, Queue, stored.queue.queue_id)
                     if stored and stored.queue else None)
        ended = _where(shown, queue.name if queue else None, run["state"] if run else None)
        return contact_id, records, sent, ended
    finally:
        store.close()


def _remote(args: argparse.Namespace) -> tuple[str, list[dict[str, Any]],
                                               list[tuple[str, str]], str]:
    import boto3
    from botocore.config import Config

    base = args.endpoint.rstrip("/")

    def admin(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{base}/_connectlocal/{path}", method=method, headers=adminclient.headers(),
            data=None if body is None else json.dumps(
                {**body, "account": args.account, "region": args.region}).encode())
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                found: dict[str, Any] = json.loads(response.read())
                return found
        except urllib.error.HTTPError as error:
            raise CallError(json.loads(error.read()).get("error", str(error))) from None

    answer = admin("POST", "events", {"event": "arrive", "instance_id": args.instance_id,
                                      "channel": "VOICE", "to": args.to,
                                      "customer": args.caller})
    contact_id = answer["ContactId"]
    if "Flow" not in answer:
        raise CallError(f"{args.to} runs no flow in instance {args.instance_id} (claim it and "
                        "associate a flow: AssociatePhoneNumberContactFlow); the call "
                        f"{contact_id} went to the basic queue")
    state = answer["Flow"].get("state")
    sent = []
    for kind, value in args.inputs:
        if state != "INPUT":
            break
        state = admin("POST", "events", {"event": "customer_input",
                                         "instance_id": args.instance_id,
                                         "contact_id": contact_id, kind: value}).get("state")
        sent.append((kind, value))
    records = admin("GET", f"flow-logs?contact_id={contact_id}&account={args.account}"
                           f"&region={args.region}")["records"]
    # A twelve-digit access key id is that account (connectlocal's account rule).
    client = boto3.client("connect", endpoint_url=base, region_name=args.region,
                          aws_access_key_id=args.account, aws_secret_access_key="call",
                          config=Config(retries={"max_attempts": 1}))
    contact = client.describe_contact(InstanceId=args.instance_id,
                                      ContactId=contact_id)["Contact"]
    queue_id = (contact.get("QueueInfo") or {}).get("Id")
    name = (client.describe_queue(InstanceId=args.instance_id, QueueId=queue_id)["Queue"][
        "Name"] if queue_id else None)
    return contact_id, records, sent, _where(contact, name, state)
