"""A contact center on the service clock: agents log in, take breaks and log out; customers'
contacts arrive, wait in queues, are routed (engine/routing.py) to available agents, ring, are
accepted or missed, handled and wrapped up, while dashboards poll the metrics.

The center is driven through the public API (CreateUser, PutUserStatus, GetCurrentUserData,
DescribeContact) and the admin events endpoint (``arrive``, ``accept``, ``disconnect``, the
steps of ``events.py``), so what it does is what a client and the telephony would do; routing,
rings that time out and after-contact work at its time limit are the server's own. It is
the same against a running server (``connectlocal simulate --live``) and inside one
(``connectlocal serve --simulate``), where one process of the server's workers drives it, by
a lease kept in the store.

Timestamps: arrivals, accepts and disconnects are sent with the instant they fall due (the
``at`` of an event); an agent's status changes when PutUserStatus is called, within a step of
when it was due.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .protocol.timestamps import parse_iso, to_iso
from .simulate import CHANNEL_MIX, Profile

log = logging.getLogger(__name__)

# An admin call: (method, path under /_connectlocal/, JSON body or None) → the JSON answer;
# raises AdminCallError when the server refuses it.
Admin = Callable[[str, str, dict[str, Any] | None], dict[str, Any]]
PROFILE_NAME = "Simulated agents"
BREAK = "Break"  # the custom (non-productive) status agents take breaks in
RING_SECONDS = 20  # routing.RING_SECONDS: a ring not accepted by then is missed
STEP_SECONDS = 0.2  # wall seconds between two steps of the driver
LEASE_SECONDS = 10.0  # wall seconds a driver's lease lasts without renewal
QUEUE_CONFIGS = 10  # the model's most QueueConfigs in one CreateRoutingProfile or Associate…


class AdminCallError(Exception):
    """The server answered an admin call with an error."""


@dataclass
class Shifts:
    """How agents come and go, on average (exponential durations, service seconds)."""

    available_seconds: float = 2 * 3600.0  # Available between two pauses
    break_seconds: float = 15 * 60.0
    logout_probability: float = 0.25  # of the pauses, a logout rather than a break
    offline_seconds: float = 3600.0
    login_seconds: float = 300.0  # agents log in over this long after the start
    manual_share: float = 0.2  # agents who accept by hand (the others auto-accept)
    miss_probability: float = 0.2  # of the rings to those, let ring out (missed)
    recover_seconds: float = 30.0  # from a missed contact to Available again


@dataclass
class Center:
    """What the simulation runs in: the instance, its queues, the agents' routing profile, the
    statuses and the agents (user id → accepts by hand)."""

    instance_id: str
    queue_ids: list[str]
    profile_id: str
    available_id: str
    offline_id: str
    break_id: str
    agents: dict[str, bool]


@dataclass
class _Agent:
    mode: str = "offline"  # what the agent means to be in: offline, available, break
    change_at: datetime | None = None  # when that changes next
    recover_at: datetime | None = None  # when a missed contact is cleared (PutUserStatus)


@dataclass
class Counts:
    arrived: int = 0
    accepted: int = 0
    ended: int = 0
    abandoned: int = 0
    status_changes: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


def http_admin(endpoint: str, token: str | None = None, account: str | None = None,
               region: str | None = None) -> Admin:
    """Admin calls to the server at ``endpoint`` (events in ``account`` and ``region``)."""
    import json
    import urllib.error
    import urllib.request

    from . import adminclient

    base = endpoint.rstrip("/")
    where = {k: v for k, v in (("account", account), ("region", region)) if v}

    def call(method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        if path == "events" and body is not None:
            body = {**where, **body}
        request = urllib.request.Request(
            f"{base}/_connectlocal/{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers=adminclient.headers(token))
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except urllib.error.HTTPError as exc:
            raise AdminCallError(f"{method} /_connectlocal/{path}: HTTP {exc.code} "
                                 f"{exc.read().decode(errors='replace')}") from None
        except urllib.error.URLError as exc:
            raise OSError(f"cannot reach {endpoint}: {exc.reason}") from None

    return call


def _paged(call: Callable[..., dict[str, Any]], key: str, **params: Any) -> list[Any]:
    found: list[Any] = []
    while True:
        page = call(**params)
        found.extend(page.get(key, []))
        if not page.get("NextToken"):
            return found
        params["NextToken"] = page["NextToken"]


def set_up(client: Any, agents: int, queues: int, seed: int, acw_seconds: float,
           instance_id: str | None = None, shifts: Shifts | None = None) -> Center:
    """Finds or makes, through the API, the instance (alias ``live-SEED`` unless given), its
    queues (BasicQueue and ``Simulated queue N``), the routing profile serving them on every
    channel, the Break status and the agents ``sim-agent-NNNN``. Each agent's after-contact
    work lasts its PhoneConfig.AfterContactWorkTimeLimit (drawn around ``acw_seconds``), which
    routing ends on the service clock. Running it again finds what it made."""
    shifts = shifts or Shifts()
    draw = random.Random(seed)
    if instance_id is None:
        alias = f"live-{seed}"
        found = next((i["Id"] for i in _paged(client.list_instances, "InstanceSummaryList")
                      if i.get("InstanceAlias") == alias), None)
        instance_id = found or client.create_instance(
            IdentityManagementType="CONNECT_MANAGED", InstanceAlias=alias,
            InboundCallsEnabled=True, OutboundCallsEnabled=True,
            ClientToken=f"connectlocal-live-{seed}")["Id"]
    existing = {q["Name"]: q["Id"] for q in _paged(
        client.list_queues, "QueueSummaryList", InstanceId=instance_id, QueueTypes=["STANDARD"])}
    hours = _paged(client.list_hours_of_operations, "HoursOfOperationSummaryList",
                   InstanceId=instance_id)[0]["Id"]
    names = ["BasicQueue", *(f"Simulated queue {n}" for n in range(2, queues + 1))]
    queue_ids = [existing.get(name) or client.create_queue(
        InstanceId=instance_id, Name=name, HoursOfOperationId=hours,
        Description="Made by the connectlocal simulator")["QueueId"] for name in names]
    profiles = {p["Name"]: p["Id"] for p in _paged(
        client.list_routing_profiles, "RoutingProfileSummaryList", InstanceId=instance_id)}
    configs = [{"QueueReference": {"QueueId": q, "Channel": channel}, "Priority": 1, "Delay": 0}
               for q in queue_ids for channel in CHANNEL_MIX]
    profile_id = profiles.get(PROFILE_NAME)
    if profile_id is None:
        profile_id = client.create_routing_profile(
            InstanceId=instance_id, Name=PROFILE_NAME, Description="Simulated agents' queues",
            DefaultOutboundQueueId=queue_ids[0], QueueConfigs=configs[:QUEUE_CONFIGS],
            MediaConcurrencies=[{"Channel": "VOICE", "Concurrency": 1},
                                {"Channel": "CHAT", "Concurrency": 2},
                                {"Channel": "TASK", "Concurrency": 1}])["RoutingProfileId"]
        configs = configs[QUEUE_CONFIGS:]
    for at in range(0, len(configs), QUEUE_CONFIGS):
        client.associate_routing_profile_queues(
            InstanceId=instance_id, RoutingProfileId=profile_id,
            QueueConfigs=configs[at:at + QUEUE_CONFIGS])
    statuses = {s["Name"]: s for s in _paged(
        client.list_agent_statuses, "AgentStatusSummaryList", InstanceId=instance_id)}
    if BREAK not in statuses:
        made = client.create_agent_status(InstanceId=instance_id, Name=BREAK, State="ENABLED",
                                          Description="A break (simulated agents)")
        statuses[BREAK] = {"Id": made["AgentStatusId"]}
    security = next(p["Id"] for p in _paged(
        client.list_security_profiles, "SecurityProfileSummaryList", InstanceId=instance_id)
        if p["Name"] == "Agent")
    users = {u["Username"]: u["Id"] for u in _paged(
        client.list_users, "UserSummaryList", InstanceId=instance_id)}
    by_hand: dict[str, bool] = {}
    for n in range(agents):
        name = f"sim-agent-{n + 1:04d}"
        manual = draw.random() < shifts.manual_share
        acw = max(1, round(draw.expovariate(1 / acw_seconds))) if acw_seconds > 0 else 1
        user_id = users.get(name)
        if user_id is None:
            user_id = client.create_user(
                InstanceId=instance_id, Username=name, Password="Simulated1!",
                IdentityInfo={"FirstName": "Simulated", "LastName": f"Agent {n + 1}"},
                SecurityProfileIds=[security], RoutingProfileId=profile_id,
                PhoneConfig={"PhoneType": "SOFT_PHONE", "AutoAccept": not manual,
                             "AfterContactWorkTimeLimit": acw},
                AutoAcceptConfigs=[{"Channel": c, "AutoAccept": not manual}
                                   for c in ("CHAT", "TASK")])["UserId"]
        else:
            client.update_user_routing_profile(InstanceId=instance_id, UserId=user_id,
                                               RoutingProfileId=profile_id)
        by_hand[user_id] = manual
    return Center(instance_id, queue_ids, profile_id, statuses["Available"]["Id"],
                  statuses["Offline"]["Id"], statuses[BREAK]["Id"], by_hand)


class LiveSimulator:
    """Drives a ``Center`` up to the service clock, a ``step`` at a time."""

    def __init__(self, client: Any, admin: Admin, center: Center, profile: Profile,
                 seed: int, shifts: Shifts | None = None) -> None:
        self.client = client
        self.admin = admin
        self.center = center
        self.profile = profile
        self.shifts = shifts or Shifts()
        self.random = random.Random(seed)
        self.counts = Counts()
        self.agents = {a: _Agent() for a in center.agents}
        self._next_arrival: datetime | None = None
        self._ends: dict[str, datetime] = {}  # connected contact → when it is disconnected
        self._accepts: dict[str, datetime | None] = {}  # ringing at a manual agent → accept
        self._waiting: dict[str, datetime] = {}  # arrived, not seen with an agent → gives up
        self._started: datetime | None = None

    def _exp(self, mean: float) -> float:
        return self.random.expovariate(1 / mean) if mean > 0 else 0.0

    def _later(self, at: datetime, mean: float) -> datetime:
        return at + timedelta(seconds=round(self._exp(mean), 3))

    def now(self) -> datetime:
        return parse_iso(self.admin("GET", "clock", None)["now"])

    def step(self) -> datetime:
        """Everything due up to the service clock; answers the instant it stepped to."""
        now = self.now()
        if self._started is None:
            self._started = now
            self._next_arrival = self._later(now, 3600 / self.profile.rate_per_hour)
            for agent in self.agents.values():
                agent.change_at = self._later(now, self.shifts.login_seconds)
        self._observe(now)
        due: list[tuple[datetime, int, str, str]] = []
        for user_id, agent in self.agents.items():
            if agent.change_at is not None and agent.change_at <= now:
                due.append((agent.change_at, 0, "shift", user_id))
            if agent.recover_at is not None and agent.recover_at <= now:
                due.append((agent.recover_at, 0, "recover", user_id))
        due += [(at, 1, "accept", c) for c, at in self._accepts.items()
                if at is not None and at <= now]
        due += [(at, 2, "end", c) for c, at in self._ends.items() if at <= now]
        due += [(at, 3, "give_up", c) for c, at in self._waiting.items() if at <= now]
        assert self._next_arrival is not None
        while self._next_arrival <= now:
            due.append((self._next_arrival, 4, "arrive", ""))
            self._next_arrival = self._later(self._next_arrival,
                                             3600 / self.profile.rate_per_hour)
        for at, _, what, key in sorted(due):
            try:
                getattr(self, f"_{what}")(at, key)
            except AdminCallError as exc:  # the contact moved on meanwhile (ended, expired)
                log.debug("simulated %s of %s refused: %s", what, key, exc)
        return now

    # What the agents are doing, as GetCurrentUserData shows it

    def _observe(self, now: datetime) -> None:
        center = self.center
        data = _paged(self.client.get_current_user_data, "UserDataList",
                      InstanceId=center.instance_id,
                      Filters={"RoutingProfiles": [center.profile_id]}, MaxResults=100)
        ringing = set()
        for user in data:
            user_id = user["User"]["Id"]
            agent = self.agents.get(user_id)
            if agent is None:
                continue
            for contact in user.get("Contacts", []):
                contact_id, state = contact["ContactId"], contact["AgentContactState"]
                self._waiting.pop(contact_id, None)
                since = contact["StateStartTimestamp"]
                if state == "CONNECTING":
                    ringing.add(contact_id)
                if state == "CONNECTING" and contact_id not in self._accepts:
                    # A ring to an agent who accepts by hand: taken after a while, or left
                    # to ring out (routing makes it missed after RING_SECONDS).
                    ring = self._exp(self.profile.ring_seconds)
                    missed = self.random.random() < self.shifts.miss_probability
                    self._accepts[contact_id] = (
                        None if missed or ring >= RING_SECONDS
                        else max(since + timedelta(seconds=round(ring, 3)), now))
                elif state == "CONNECTED" and contact_id not in self._ends:
                    self._accepts.pop(contact_id, None)
                    self.counts.accepted += 1
                    talk = self._exp(self.profile.handle_seconds)
                    if self.random.random() < self.profile.hold_probability:
                        talk += self._exp(self.profile.hold_seconds)
                    self._ends[contact_id] = max(
                        contact["ConnectedToAgentTimestamp"] + timedelta(seconds=round(talk, 3)),
                        now - timedelta(seconds=STEP_SECONDS))
                elif state == "MISSED" and agent.recover_at is None:
                    agent.recover_at = self._later(now, self.shifts.recover_seconds)
        for contact_id in [c for c in self._accepts if c not in ringing]:
            del self._accepts[contact_id]  # accepted, missed or ended meanwhile

    # The steps, each at the instant it fell due

    def _arrive(self, at: datetime, _: str) -> None:
        p, center = self.profile, self.center
        channels, weights = zip(*p.channel_mix.items(), strict=True)
        channel = self.random.choices(channels, weights)[0]
        queue = self.random.choice(center.queue_ids)
        customer = (f"+1555{self.random.randrange(10**7):07d}" if channel == "VOICE"
                    else f"customer{self.random.randrange(10**6)}@example.com")
        body: dict[str, Any] = {
            "event": "arrive", "instance_id": center.instance_id, "channel": channel,
            "queue_id": queue, "customer": customer, "at": to_iso(at),
            "queued_after": round(self._exp(p.flow_seconds), 3)}
        if channel == "VOICE":
            body["system"] = "+18005550100"
        contact_id = self.admin("POST", "events", body)["ContactId"]
        self.counts.arrived += 1
        self.counts.by_channel[channel] = self.counts.by_channel.get(channel, 0) + 1
        if channel != "TASK":  # a task has nobody on the line to give up
            self._waiting[contact_id] = self._later(at, p.patience_seconds + p.flow_seconds)

    def _accept(self, at: datetime, contact_id: str) -> None:
        self._accepts[contact_id] = None
        contact = self._describe(contact_id)
        agent = (contact or {}).get("AgentInfo", {}).get("Id")
        if contact is None or agent is None or "ConnectedToAgentTimestamp" in contact.get(
                "AgentInfo", {}):
            return
        self.admin("POST", "events", {"event": "accept", "instance_id": self.center.instance_id,
                                      "contact_id": contact_id, "agent_id": agent,
                                      "at": to_iso(at)})

    def _end(self, at: datetime, contact_id: str) -> None:
        del self._ends[contact_id]
        reason = self.random.choice(("CUSTOMER_DISCONNECT", "AGENT_DISCONNECT"))
        self.admin("POST", "events", {"event": "disconnect",
                                      "instance_id": self.center.instance_id,
                                      "contact_id": contact_id, "reason": reason,
                                      "at": to_iso(at)})
        self.counts.ended += 1

    def _give_up(self, at: datetime, contact_id: str) -> None:
        del self._waiting[contact_id]
        contact = self._describe(contact_id)
        if contact is None or "DisconnectTimestamp" in contact or contact.get("AgentInfo"):
            return
        at = max(at, contact["LastUpdateTimestamp"])
        self.admin("POST", "events", {"event": "disconnect",
                                      "instance_id": self.center.instance_id,
                                      "contact_id": contact_id,
                                      "reason": "CUSTOMER_DISCONNECT", "at": to_iso(at)})
        self.counts.abandoned += 1

    def _describe(self, contact_id: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.client.describe_contact(
                InstanceId=self.center.instance_id, ContactId=contact_id)["Contact"]
            return found
        except self.client.exceptions.ResourceNotFoundException:
            return None

    def _shift(self, at: datetime, user_id: str) -> None:
        agent, s = self.agents[user_id], self.shifts
        if agent.mode == "available":
            agent.mode = "offline" if self.random.random() < s.logout_probability else "break"
            agent.change_at = self._later(at, s.offline_seconds if agent.mode == "offline"
                                          else s.break_seconds)
        else:
            agent.mode = "available"
            agent.change_at = self._later(at, s.available_seconds)
        self._put_status(user_id)

    def _recover(self, _: datetime, user_id: str) -> None:
        self.agents[user_id].recover_at = None
        self._put_status(user_id)

    def _put_status(self, user_id: str) -> None:
        center = self.center
        status = {"available": center.available_id, "break": center.break_id,
                  "offline": center.offline_id}[self.agents[user_id].mode]
        self.client.put_user_status(InstanceId=center.instance_id, UserId=user_id,
                                    AgentStatusId=status)
        self.counts.status_changes += 1

    def run(self, stop: threading.Event, until: float = math.inf,
            step_seconds: float = STEP_SECONDS) -> None:
        """Steps until ``stop`` is set or the wall clock reaches ``until`` (time.monotonic)."""
        while not stop.is_set() and time.monotonic() < until:
            self.step()
            stop.wait(min(step_seconds, max(0.0, until - time.monotonic())))


@dataclass
class SimulatorLease:
    """Which server process drives ``serve --simulate`` (a resource of no instance, written
    in a write transaction: one holder at a time, whichever process asks)."""

    id: str
    owner: str
    until: float  # wall-clock epoch seconds it lasts to without renewal


NO_INSTANCE = ""  # handlers.instances.NO_INSTANCE: the lease belongs to no instance


def hold_lease(store: Any, scope: Any, name: str, owner: str, now: float) -> bool:
    """Takes or renews the lease ``name`` for ``owner``; whether ``owner`` holds it."""
    with store.write(scope) as tx:
        lease = tx.get_resource(NO_INSTANCE, SimulatorLease, name)
        if lease is not None and lease.owner != owner and lease.until > now:
            return False
        tx.put_resource(NO_INSTANCE, SimulatorLease(name, owner, now + LEASE_SECONDS))
        return True


def release_lease(store: Any, scope: Any, name: str, owner: str) -> None:
    with store.write(scope) as tx:
        lease = tx.get_resource(NO_INSTANCE, SimulatorLease, name)
        if lease is not None and lease.owner == owner:
            tx.delete_resource(NO_INSTANCE, SimulatorLease, name)


@dataclass
class ServerSimulation:
    """``serve --simulate`` in one server process: every process runs one; the one holding
    the lease drives the center through the server's own address."""

    service: Any
    url: str
    agents: int
    queues: int
    profile: Profile
    seed: int
    access_key: str = "testing"
    secret_key: str = "testing"
    account: str | None = None
    region: str = "us-east-1"
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> ServerSimulation:
        self._thread = threading.Thread(target=self._run, name="connectlocal-simulate",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        import boto3
        from botocore.config import Config

        from .store.base import Scope

        account = self.account or self.service.accounts.default
        scope = Scope(account, self.region)
        name = f"live-{self.seed}"
        simulator: LiveSimulator | None = None
        renewed = 0.0
        admin = http_admin(self.url, self.service.admin_token, account, self.region)
        while not self.stop.is_set():  # until this process's server answers
            try:
                admin("GET", "health", None)
                break
            except (OSError, AdminCallError):
                self.stop.wait(0.2)
        while not self.stop.is_set():
            try:
                if time.time() - renewed >= LEASE_SECONDS / 3:
                    if not hold_lease(self.service.store, scope, name, self.owner,
                                      time.time()):
                        simulator = None  # another process drives it
                        self.stop.wait(1.0)
                        continue
                    renewed = time.time()
                if simulator is None:
                    client = boto3.client(
                        "connect", endpoint_url=self.url, region_name=self.region,
                        aws_access_key_id=self.access_key,
                        aws_secret_access_key=self.secret_key,
                        config=Config(retries={"max_attempts": 2, "mode": "standard"}))
                    center = set_up(client, self.agents, self.queues, self.seed,
                                    self.profile.acw_seconds)
                    simulator = LiveSimulator(client, admin, center, self.profile, self.seed)
                    log.info("simulating %d agents in instance %s", self.agents,
                             center.instance_id)
                simulator.step()
            except Exception:  # set up again and go on (a reset removed the instance)
                log.exception("the simulation's step failed")
                simulator = None
                self.stop.wait(1.0)
            self.stop.wait(STEP_SECONDS)
        with_store = self.service.store
        try:
            release_lease(with_store, scope, name, self.owner)
        except Exception:  # the store may be closing with the server
            log.debug("the simulation's lease was not released", exc_info=True)


__all__ = ["Center", "LiveSimulator", "ServerSimulation", "Shifts", "set_up"]
