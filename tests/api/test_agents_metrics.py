"""Agents, routing and metrics through boto3: statuses, routing of queued contacts to
available agents (ring, accept, after-contact work), GetCurrentUserData, GetCurrentMetricData
and GetMetricDataV2 computed from what happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..conftest import client_for, new_instance
from ..errors import expect_error
from ..serverproc import ServerProcess

T0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


def _agent(connect: Any, instance: dict[str, Any], name: str, *, auto_accept: bool = True,
           acw: int = 10, profile: str | None = None) -> str:
    security = {p["Name"]: p["Id"] for p in connect.list_security_profiles(
        InstanceId=instance["id"])["SecurityProfileSummaryList"]}
    routing = profile or connect.list_routing_profiles(
        InstanceId=instance["id"])["RoutingProfileSummaryList"][0]["Id"]
    user_id: str = connect.create_user(
        InstanceId=instance["id"], Username=name, Password="Passw0rd!",
        IdentityInfo={"FirstName": "Ada", "LastName": name},
        PhoneConfig={"PhoneType": "SOFT_PHONE", "AutoAccept": auto_accept,
                     "AfterContactWorkTimeLimit": acw},
        SecurityProfileIds=[security["Agent"]], RoutingProfileId=routing)["UserId"]
    return user_id


def _statuses(connect: Any, instance: dict[str, Any]) -> dict[str, str]:
    return {s["Name"]: s["Id"] for s in connect.list_agent_statuses(
        InstanceId=instance["id"])["AgentStatusSummaryList"]}


def _call(server: ServerProcess, instance: dict[str, Any], **extra: Any) -> str:
    status, body = server.admin("POST", "events", {"event": "arrive", "channel": "VOICE",
                                                    "instance_id": instance["id"], **extra})
    assert status == 200, body
    contact_id: str = body["ContactId"]
    return contact_id


def _advance(server: ServerProcess, seconds: float) -> None:
    status, body = server.admin("POST", "clock", {"advance_seconds": seconds})
    assert status == 200, body


NOW_METRICS = ["CONTACTS_IN_QUEUE", "AGENTS_ON_CONTACT", "AGENTS_AVAILABLE",
               "AGENTS_AFTER_CONTACT_WORK", "AGENTS_ONLINE"]


def _now(connect: Any, instance: dict[str, Any]) -> dict[str, float]:
    queue = instance["queues"]["BasicQueue"]
    result = connect.get_current_metric_data(
        InstanceId=instance["id"], Filters={"Queues": [queue], "Channels": ["VOICE"]},
        CurrentMetrics=[{"Name": n, "Unit": "COUNT"} for n in NOW_METRICS])
    assert isinstance(result["DataSnapshotTime"], datetime)
    if not result["MetricResults"]:
        return {n: 0.0 for n in NOW_METRICS}
    (only,) = result["MetricResults"]
    return {c["Metric"]["Name"]: c["Value"] for c in only["Collections"]}


def test_two_agents_three_calls_real_time_and_historical(
        clocked_server: ServerProcess) -> None:
    """The acceptance test of issue 17: numbers move as contacts arrive, are routed and end,
    and the historical metrics equal what is computed here by hand."""
    clocked_server.set_clock(T0.isoformat().replace("+00:00", "Z"))
    connect = client_for(clocked_server.url)
    instance = new_instance(connect)
    first, second = _agent(connect, instance, "first"), _agent(connect, instance, "second")
    available = _statuses(connect, instance)["Available"]
    for agent in (first, second):
        connect.put_user_status(InstanceId=instance["id"], UserId=agent,
                                AgentStatusId=available)
    assert _now(connect, instance) == {"CONTACTS_IN_QUEUE": 0, "AGENTS_ON_CONTACT": 0,
                                       "AGENTS_AVAILABLE": 2, "AGENTS_AFTER_CONTACT_WORK": 0,
                                       "AGENTS_ONLINE": 2}
    # Three calls at T0: two are answered at once (auto-accept), one waits.
    calls = [_call(clocked_server, instance) for _ in range(3)]
    assert _now(connect, instance) == {"CONTACTS_IN_QUEUE": 1, "AGENTS_ON_CONTACT": 2,
                                       "AGENTS_AVAILABLE": 0, "AGENTS_AFTER_CONTACT_WORK": 0,
                                       "AGENTS_ONLINE": 2}
    described = [connect.describe_contact(InstanceId=instance["id"], ContactId=c)["Contact"]
                 for c in calls]
    assert [("AgentInfo" in d) for d in described] == [True, True, False]
    assert {d["AgentInfo"]["Id"] for d in described[:2]} == {first, second}
    assert described[0]["AgentInfo"]["ConnectedToAgentTimestamp"] == T0
    assert described[0]["RingStartTimestamp"] == T0
    # T0+30: the first call ends; its agent wraps up for 10 s.
    _advance(clocked_server, 30)
    connect.stop_contact(InstanceId=instance["id"], ContactId=calls[0])
    assert _now(connect, instance) == {"CONTACTS_IN_QUEUE": 1, "AGENTS_ON_CONTACT": 1,
                                       "AGENTS_AVAILABLE": 0, "AGENTS_AFTER_CONTACT_WORK": 1,
                                       "AGENTS_ONLINE": 2}
    data = connect.get_current_user_data(InstanceId=instance["id"],
                                         Filters={"Agents": [first, second]})
    states = {u["User"]["Id"]: [c["AgentContactState"] for c in u["Contacts"]]
              for u in data["UserDataList"]}
    wrapping = described[0]["AgentInfo"]["Id"]
    assert states[wrapping] == ["ENDED"]
    # T0+40: after-contact work reaches its limit; the waiting call goes to that agent.
    _advance(clocked_server, 10)
    assert _now(connect, instance) == {"CONTACTS_IN_QUEUE": 0, "AGENTS_ON_CONTACT": 2,
                                       "AGENTS_AVAILABLE": 0, "AGENTS_AFTER_CONTACT_WORK": 0,
                                       "AGENTS_ONLINE": 2}
    third = connect.describe_contact(InstanceId=instance["id"], ContactId=calls[2])["Contact"]
    assert third["AgentInfo"]["Id"] == wrapping
    assert third["AgentInfo"]["ConnectedToAgentTimestamp"] == T0 + timedelta(seconds=40)
    first_call = connect.describe_contact(InstanceId=instance["id"],
                                          ContactId=calls[0])["Contact"]
    assert first_call["AgentInfo"]["AfterContactWorkDuration"] == 10
    connect.stop_contact(InstanceId=instance["id"], ContactId=calls[1])  # talked 40 s
    _advance(clocked_server, 60)
    connect.stop_contact(InstanceId=instance["id"], ContactId=calls[2])  # talked 60 s
    _advance(clocked_server, 10)
    assert _now(connect, instance) == {"CONTACTS_IN_QUEUE": 0, "AGENTS_ON_CONTACT": 0,
                                       "AGENTS_AVAILABLE": 2, "AGENTS_AFTER_CONTACT_WORK": 0,
                                       "AGENTS_ONLINE": 2}
    # By hand: handle time = talk + after-contact work (10 s each): 30+10, 40+10, 60+10.
    # Queue times 0, 0, 40: answered within 20 s are 2 of the 3 queued.
    handle = ((30 + 10) + (40 + 10) + (60 + 10)) / 3
    level = 2 / 3 * 100
    result = connect.get_metric_data_v2(
        ResourceArn=instance["arn"], StartTime=T0 - timedelta(hours=1),
        EndTime=T0 + timedelta(seconds=110),
        Filters=[{"FilterKey": "QUEUE", "FilterValues": [instance["queues"]["BasicQueue"]]}],
        Metrics=[{"Name": "CONTACTS_HANDLED"}, {"Name": "AVG_HANDLE_TIME"},
                 {"Name": "SERVICE_LEVEL",
                  "Threshold": [{"Comparison": "LTE", "ThresholdValue": 20}]},
                 {"Name": "AVG_QUEUE_ANSWER_TIME"}, {"Name": "CONTACTS_QUEUED"}])
    (only,) = result["MetricResults"]
    values = {c["Metric"]["Name"]: c["Value"] for c in only["Collections"]}
    assert values["CONTACTS_HANDLED"] == 3
    assert values["AVG_HANDLE_TIME"] == handle
    assert values["SERVICE_LEVEL"] == level
    assert values["AVG_QUEUE_ANSWER_TIME"] == 40 / 3
    assert values["CONTACTS_QUEUED"] == 3
    # Occupancy: handle time over time Available (both agents from T0 to T0+110 s): the agent
    # who took two calls handled 40 + 70 s, the other 50 s.
    occupancy = connect.get_metric_data_v2(
        ResourceArn=instance["arn"], StartTime=T0 - timedelta(hours=1),
        EndTime=T0 + timedelta(seconds=110),
        Filters=[{"FilterKey": "AGENT", "FilterValues": [first, second]}],
        Groupings=["AGENT"], Metrics=[{"Name": "AGENT_OCCUPANCY"}])["MetricResults"]
    other = second if wrapping == first else first
    assert {r["Dimensions"]["AGENT"]: r["Collections"][0]["Value"] for r in occupancy} == {
        wrapping: 110 / 110 * 100, other: 50 / 110 * 100}
    (overall,) = connect.get_metric_data_v2(
        ResourceArn=instance["arn"], StartTime=T0 - timedelta(hours=1),
        EndTime=T0 + timedelta(seconds=110),
        Filters=[{"FilterKey": "AGENT", "FilterValues": [first, second]}],
        Metrics=[{"Name": "AGENT_OCCUPANCY"}])["MetricResults"]
    assert overall["Collections"][0]["Value"] == (110 + 50) / 220 * 100
    # GetMetricData (v1) gives the same numbers.
    v1 = connect.get_metric_data(
        InstanceId=instance["id"], StartTime=T0, EndTime=T0 + timedelta(minutes=5),
        Filters={"Queues": [instance["queues"]["BasicQueue"]], "Channels": ["VOICE"]},
        Groupings=["QUEUE"],
        HistoricalMetrics=[{"Name": "CONTACTS_HANDLED", "Unit": "COUNT", "Statistic": "SUM"},
                           {"Name": "HANDLE_TIME", "Unit": "SECONDS", "Statistic": "AVG"},
                           {"Name": "SERVICE_LEVEL", "Unit": "PERCENT", "Statistic": "AVG",
                            "Threshold": {"Comparison": "LT", "ThresholdValue": 20}}])
    (row,) = v1["MetricResults"]
    assert row["Dimensions"]["Queue"]["Id"] == instance["queues"]["BasicQueue"]
    assert [c["Value"] for c in row["Collections"]] == [3.0, handle, level]
    # Grouped by queue, in hours: everything in the 10:00 hour.
    hourly = connect.get_metric_data_v2(
        ResourceArn=instance["arn"], StartTime=T0 - timedelta(hours=1),
        EndTime=T0 + timedelta(seconds=110), Interval={"IntervalPeriod": "HOUR",
                                                        "TimeZone": "UTC"},
        Filters=[{"FilterKey": "CHANNEL", "FilterValues": ["VOICE"]}], Groupings=["QUEUE"],
        Metrics=[{"Name": "CONTACTS_HANDLED"}])["MetricResults"]
    assert [(r["Dimensions"]["QUEUE"], r["MetricInterval"]["StartTime"],
             r["Collections"][0]["Value"]) for r in hourly] == [
        (instance["queues"]["BasicQueue"], T0, 3.0)]


def test_a_ring_not_answered_is_missed_and_offered_again(
        clocked_server: ServerProcess) -> None:
    clocked_server.set_clock(T0.isoformat().replace("+00:00", "Z"))
    connect = client_for(clocked_server.url)
    instance = new_instance(connect)
    agent = _agent(connect, instance, "sleepy", auto_accept=False)
    statuses = _statuses(connect, instance)
    connect.put_user_status(InstanceId=instance["id"], UserId=agent,
                            AgentStatusId=statuses["Available"])
    call = _call(clocked_server, instance)
    contact = connect.describe_contact(InstanceId=instance["id"], ContactId=call)["Contact"]
    assert contact["RingStartTimestamp"] == T0
    assert "ConnectedToAgentTimestamp" not in contact["AgentInfo"]
    _advance(clocked_server, 20)  # the ring times out
    data = connect.get_current_user_data(InstanceId=instance["id"],
                                         Filters={"Agents": [agent]})["UserDataList"]
    assert [c["AgentContactState"] for c in data[0]["Contacts"]] == ["MISSED"]
    assert data[0]["AvailableSlotsByChannel"]["VOICE"] == 0
    queue = instance["queues"]["BasicQueue"]
    metrics = connect.get_current_metric_data(
        InstanceId=instance["id"], Filters={"Queues": [queue], "Channels": ["VOICE"]},
        Groupings=["QUEUE"], CurrentMetrics=[{"Name": "AGENTS_ERROR", "Unit": "COUNT"},
                                             {"Name": "CONTACTS_IN_QUEUE", "Unit": "COUNT"},
                                             {"Name": "OLDEST_CONTACT_AGE",
                                              "Unit": "SECONDS"}])["MetricResults"]
    assert metrics[0]["Dimensions"]["Queue"]["Id"] == queue
    assert [c["Value"] for c in metrics[0]["Collections"]] == [1.0, 1.0, 20.0]
    # Available again: the call rings once more.
    connect.put_user_status(InstanceId=instance["id"], UserId=agent,
                            AgentStatusId=statuses["Available"])
    again = connect.describe_contact(InstanceId=instance["id"], ContactId=call)["Contact"]
    assert again["RingStartTimestamp"] == T0 + timedelta(seconds=20)
    assert again["AgentInfo"]["Id"] == agent


def test_agent_statuses_and_routing_profiles(connect: Any) -> None:
    instance = new_instance(connect)
    listed = connect.list_agent_statuses(InstanceId=instance["id"])["AgentStatusSummaryList"]
    assert sorted((s["Name"], s["Type"]) for s in listed) == [("Available", "ROUTABLE"),
                                                              ("Offline", "OFFLINE")]
    created = connect.create_agent_status(InstanceId=instance["id"], Name="Break",
                                          State="ENABLED", Description="Coffee")
    assert created["AgentStatusARN"].endswith(f"/agent-state/{created['AgentStatusId']}")
    described = connect.describe_agent_status(InstanceId=instance["id"],
                                              AgentStatusId=created["AgentStatusId"])
    assert described["AgentStatus"]["Type"] == "CUSTOM"
    expect_error(connect.create_agent_status, "DuplicateResourceException", 409,
                 "Agent status with name Break already exists", InstanceId=instance["id"],
                 Name="Break", State="ENABLED")
    connect.update_agent_status(InstanceId=instance["id"],
                                AgentStatusId=created["AgentStatusId"], State="DISABLED")
    agent = _agent(connect, instance, "someone")
    expect_error(connect.put_user_status, "InvalidRequestException", 400,
                 "Agent status Break is disabled", InstanceId=instance["id"], UserId=agent,
                 AgentStatusId=created["AgentStatusId"])
    queue = instance["queues"]["BasicQueue"]
    profile = connect.create_routing_profile(
        InstanceId=instance["id"], Name="Chat only", Description="chats",
        DefaultOutboundQueueId=queue,
        MediaConcurrencies=[{"Channel": "CHAT", "Concurrency": 3}],
        QueueConfigs=[{"QueueReference": {"QueueId": queue, "Channel": "CHAT"},
                       "Priority": 2, "Delay": 5}])["RoutingProfileId"]
    queues = connect.list_routing_profile_queues(
        InstanceId=instance["id"], RoutingProfileId=profile)
    assert [(q["QueueId"], q["Channel"], q["Priority"], q["Delay"], q["QueueName"])
            for q in queues["RoutingProfileQueueConfigSummaryList"]] == [
        (queue, "CHAT", 2, 5, "BasicQueue")]
    connect.associate_routing_profile_queues(
        InstanceId=instance["id"], RoutingProfileId=profile,
        QueueConfigs=[{"QueueReference": {"QueueId": queue, "Channel": "TASK"},
                       "Priority": 1, "Delay": 0}])
    connect.disassociate_routing_profile_queues(
        InstanceId=instance["id"], RoutingProfileId=profile,
        QueueReferences=[{"QueueId": queue, "Channel": "CHAT"}])
    left = connect.list_routing_profile_queues(InstanceId=instance["id"],
                                               RoutingProfileId=profile)
    assert [q["Channel"] for q in left["RoutingProfileQueueConfigSummaryList"]] == ["TASK"]
    connect.update_routing_profile_concurrency(
        InstanceId=instance["id"], RoutingProfileId=profile,
        MediaConcurrencies=[{"Channel": "TASK", "Concurrency": 4}])
    connect.update_user_routing_profile(InstanceId=instance["id"], UserId=agent,
                                        RoutingProfileId=profile)
    connect.put_user_status(InstanceId=instance["id"], UserId=agent,
                            AgentStatusId=_statuses(connect, instance)["Available"])
    data = connect.get_current_user_data(InstanceId=instance["id"],
                                         Filters={"RoutingProfiles": [profile]})
    (user,) = data["UserDataList"]
    assert user["MaxSlotsByChannel"] == {"VOICE": 0, "CHAT": 0, "TASK": 4}
    assert user["Status"]["StatusName"] == "Available"
    assert data["ApproximateTotalCount"] == 1


def test_metric_requests_refused(connect: Any) -> None:
    instance = new_instance(connect)
    queue = instance["queues"]["BasicQueue"]
    expect_error(connect.get_current_metric_data, "InvalidParameterException", 400,
                 "The unit of metric AGENTS_AVAILABLE is COUNT, not SECONDS",
                 InstanceId=instance["id"], Filters={"Queues": [queue]},
                 CurrentMetrics=[{"Name": "AGENTS_AVAILABLE", "Unit": "SECONDS"}])
    expect_error(connect.get_current_metric_data, "InvalidParameterException", 400,
                 "Metric ESTIMATED_WAIT_TIME cannot be computed by connectlocal",
                 InstanceId=instance["id"], Filters={"Queues": [queue]},
                 CurrentMetrics=[{"Name": "ESTIMATED_WAIT_TIME", "Unit": "SECONDS"}])
    expect_error(connect.get_current_metric_data, "InvalidParameterException", 400,
                 "Filters must name Queues or RoutingProfiles",
                 InstanceId=instance["id"], Filters={"Channels": ["VOICE"]},
                 CurrentMetrics=[{"Name": "AGENTS_AVAILABLE", "Unit": "COUNT"}])
    now = datetime.now(UTC)
    base = {"ResourceArn": instance["arn"], "Metrics": [{"Name": "CONTACTS_HANDLED"}],
            "Filters": [{"FilterKey": "QUEUE", "FilterValues": [queue]}]}
    expect_error(connect.get_metric_data_v2, "InvalidParameterException", 400,
                 "With IntervalPeriod HOUR, the difference between StartTime and EndTime "
                 "must be less than 3 days", StartTime=now - timedelta(days=4), EndTime=now,
                 Interval={"IntervalPeriod": "HOUR"}, **base)
    expect_error(connect.get_metric_data_v2, "InvalidParameterException", 400,
                 "cannot be later than the current time", StartTime=now,
                 EndTime=now + timedelta(hours=1), **base)
    expect_error(connect.get_metric_data_v2, "InvalidParameterException", 400,
                 "StartTime must be within the last 3 months",
                 StartTime=now - timedelta(days=120), EndTime=now - timedelta(days=119),
                 **base)
    expect_error(connect.get_metric_data_v2, "InvalidParameterException", 400,
                 "Metric AGENT_ADHERENT_TIME cannot be computed by connectlocal",
                 **{**base, "Metrics": [{"Name": "AGENT_ADHERENT_TIME"}]},
                 StartTime=now - timedelta(hours=1), EndTime=now)
    expect_error(connect.get_metric_data_v2, "InvalidParameterException", 400,
                 "Metric AGENT_OCCUPANCY can be grouped and filtered only by AGENT",
                 **{**base, "Metrics": [{"Name": "AGENT_OCCUPANCY"}]},
                 StartTime=now - timedelta(hours=1), EndTime=now)
    five = now.replace(second=0, microsecond=0, minute=now.minute // 5 * 5)
    expect_error(connect.get_metric_data, "InvalidParameterException", 400,
                 "StartTime must be a multiple of 5 minutes", InstanceId=instance["id"],
                 StartTime=five + timedelta(minutes=1), EndTime=five + timedelta(minutes=5),
                 Filters={"Queues": [queue]},
                 HistoricalMetrics=[{"Name": "CONTACTS_HANDLED", "Unit": "COUNT",
                                     "Statistic": "SUM"}])
    expect_error(connect.get_metric_data, "InvalidParameterException", 400,
                 "The statistic of metric HANDLE_TIME is AVG, not MAX",
                 InstanceId=instance["id"], StartTime=five - timedelta(minutes=5),
                 EndTime=five, Filters={"Queues": [queue]},
                 HistoricalMetrics=[{"Name": "HANDLE_TIME", "Unit": "SECONDS",
                                     "Statistic": "MAX"}])
    expect_error(connect.get_metric_data, "InvalidParameterException", 400,
                 "Metric OCCUPANCY cannot be computed by connectlocal",
                 InstanceId=instance["id"], StartTime=five - timedelta(minutes=5),
                 EndTime=five, Filters={"Queues": [queue]},
                 HistoricalMetrics=[{"Name": "OCCUPANCY", "Unit": "PERCENT",
                                     "Statistic": "AVG"}])
    expect_error(connect.get_metric_data_v2, "InvalidParameterException", 400,
                 "Metric SERVICE_LEVEL needs a Threshold",
                 **{**base, "Metrics": [{"Name": "SERVICE_LEVEL"}]},
                 StartTime=now - timedelta(hours=1), EndTime=now)


def test_power_dialer_style_available_agents(connect: Any) -> None:
    """What power-dialer code asks: AGENTS_AVAILABLE of one queue, on VOICE."""
    instance = new_instance(connect)
    agent = _agent(connect, instance, "dialer")
    connect.put_user_status(InstanceId=instance["id"], UserId=agent,
                            AgentStatusId=_statuses(connect, instance)["Available"])
    response = connect.get_current_metric_data(
        InstanceId=instance["id"],
        Filters={"Queues": [instance["queues"]["BasicQueue"]], "Channels": ["VOICE"]},
        CurrentMetrics=[{"Name": "AGENTS_AVAILABLE", "Unit": "COUNT"}])
    assert int(response["MetricResults"][0]["Collections"][0]["Value"]) == 1


def test_a_task_accepted_by_hand_then_transferred(clocked_server: ServerProcess) -> None:
    """Routing offers a task (tasks are not auto-accepted by PhoneConfig); the agent accepts
    through the events endpoint; a transfer ends it into after-contact work, and the new
    task is offered again (tasks run up to 10 at a time in the Basic Routing Profile)."""
    clocked_server.set_clock(T0.isoformat().replace("+00:00", "Z"))
    connect = client_for(clocked_server.url)
    instance = new_instance(connect)
    agent = _agent(connect, instance, "tasker", acw=0)
    connect.put_user_status(InstanceId=instance["id"], UserId=agent,
                            AgentStatusId=_statuses(connect, instance)["Available"])
    task = connect.start_task_contact(InstanceId=instance["id"], Name="t",
                                      ContactFlowId=instance["flows"]["Default inbound"])
    offered = connect.describe_contact(InstanceId=instance["id"],
                                       ContactId=task["ContactId"])["Contact"]
    assert offered["AgentInfo"]["Id"] == agent and offered["RingStartTimestamp"] == T0
    _advance(clocked_server, 5)
    status, body = clocked_server.admin("POST", "events", {
        "event": "accept", "instance_id": instance["id"], "contact_id": task["ContactId"],
        "agent_id": agent})
    assert status == 200, body

    def states() -> dict[str, str]:
        (user,) = connect.get_current_user_data(InstanceId=instance["id"], Filters={
            "Agents": [agent]})["UserDataList"]
        return {c["ContactId"]: c["AgentContactState"] for c in user["Contacts"]}

    assert states() == {task["ContactId"]: "CONNECTED"}
    flows = {f["Name"]: f["Id"] for f in connect.list_contact_flows(
        InstanceId=instance["id"])["ContactFlowSummaryList"]}
    moved = connect.transfer_contact(InstanceId=instance["id"], ContactId=task["ContactId"],
                                     QueueId=instance["queues"]["BasicQueue"],
                                     ContactFlowId=flows["Default queue transfer"])
    assert states() == {task["ContactId"]: "ENDED", moved["ContactId"]: "CONNECTING"}
    _advance(clocked_server, 20)  # not accepted: missed, and the agent is in Error
    assert states() == {task["ContactId"]: "ENDED", moved["ContactId"]: "MISSED"}


def test_a_long_clock_jump_routes_at_the_instants_things_fell_due(
        clocked_server: ServerProcess) -> None:
    clocked_server.set_clock(T0.isoformat().replace("+00:00", "Z"))
    connect = client_for(clocked_server.url)
    instance = new_instance(connect)
    agent = _agent(connect, instance, "only", acw=10)
    connect.put_user_status(InstanceId=instance["id"], UserId=agent,
                            AgentStatusId=_statuses(connect, instance)["Available"])
    first, second = _call(clocked_server, instance), _call(clocked_server, instance)
    _advance(clocked_server, 30)
    connect.stop_contact(InstanceId=instance["id"], ContactId=first)
    _advance(clocked_server, 3600)  # wrap-up ended at T0+40: the second call was taken then
    taken = connect.describe_contact(InstanceId=instance["id"], ContactId=second)["Contact"]
    assert taken["AgentInfo"]["ConnectedToAgentTimestamp"] == T0 + timedelta(seconds=40)


def test_an_end_time_in_the_clocks_current_millisecond_is_not_in_the_future(
        clocked_server: Any) -> None:
    # The service clock counts whole milliseconds; a client's own "now" carries microseconds
    # (in process a call can arrive within the millisecond it was made).
    clocked_server.set_clock(T0.isoformat().replace("+00:00", "Z"))  # a stopped clock
    client = client_for(clocked_server.url)
    instance = new_instance(client)
    queue = instance["queues"]["BasicQueue"]
    base = {"ResourceArn": instance["arn"], "Metrics": [{"Name": "CONTACTS_HANDLED"}],
            "Filters": [{"FilterKey": "QUEUE", "FilterValues": [queue]}],
            "StartTime": T0 - timedelta(hours=1)}
    answered = client.get_metric_data_v2(EndTime=T0 + timedelta(microseconds=999), **base)
    assert answered["MetricResults"] is not None
    # (Older botocore sends whole seconds: a second later is later on every version.)
    expect_error(client.get_metric_data_v2, "InvalidParameterException", 400,
                 "cannot be later than the current time",
                 EndTime=T0 + timedelta(seconds=1), **base)
