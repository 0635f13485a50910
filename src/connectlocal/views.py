"""Domain records → their AWS shapes (dicts keyed by the model's member names), one per shape.

None values are left in and dropped by the serializer, so each view reads as the shape does.
"""

from __future__ import annotations

from typing import Any

from .models import (
    AgentInfo,
    AgentStatus,
    Contact,
    ContactFlow,
    Endpoint,
    HoursOfOperation,
    Instance,
    PhoneNumber,
    Queue,
    Recording,
    Reference,
    RoutingProfile,
    SecurityProfile,
    User,
)

Shape = dict[str, Any]


def access_url(instance: Instance) -> str | None:
    return f"https://{instance.alias}.my.connect.aws" if instance.alias else None


def instance_summary(i: Instance) -> Shape:
    return {
        "Id": i.id,
        "Arn": i.arn,
        "IdentityManagementType": i.identity_management_type,
        "InstanceAlias": i.alias,
        "CreatedTime": i.created_time,
        "ServiceRole": i.service_role,
        "InstanceStatus": i.status,
        "InboundCallsEnabled": i.inbound_calls_enabled,
        "OutboundCallsEnabled": i.outbound_calls_enabled,
        "InstanceAccessUrl": access_url(i),
    }


def instance(i: Instance) -> Shape:
    return {**instance_summary(i), "Tags": i.tags or None}


def queue_summary(q: Queue) -> Shape:
    return {
        "Id": q.id,
        "Arn": q.arn,
        "Name": q.name,
        "QueueType": q.queue_type,
        "LastModifiedTime": q.last_modified_time,
        "LastModifiedRegion": q.last_modified_region,
    }


def queue(q: Queue) -> Shape:
    caller = None
    if q.outbound_caller_id_name or q.outbound_caller_id_number or q.outbound_flow_id:
        caller = {
            "OutboundCallerIdName": q.outbound_caller_id_name,
            "OutboundCallerIdNumberId": q.outbound_caller_id_number,
            "OutboundFlowId": q.outbound_flow_id,
        }
    return {
        "Name": q.name,
        "QueueArn": q.arn,
        "QueueId": q.id,
        "Description": q.description,
        "OutboundCallerConfig": caller,
        "HoursOfOperationId": q.hours_of_operation_id,
        "MaxContacts": q.max_contacts,
        "Status": q.status,
        "Tags": q.tags,
        "LastModifiedTime": q.last_modified_time,
        "LastModifiedRegion": q.last_modified_region,
    }


def contact_flow_summary(f: ContactFlow) -> Shape:
    return {
        "Id": f.id,
        "Arn": f.arn,
        "Name": f.name,
        "ContactFlowType": f.type,
        "ContactFlowState": f.state,
        "ContactFlowStatus": f.status,
    }


def contact_flow(f: ContactFlow) -> Shape:
    return {
        "Arn": f.arn,
        "Id": f.id,
        "Name": f.name,
        "Type": f.type,
        "State": f.state,
        "Status": f.status,
        "Description": f.description,
        "Content": f.content,
        "Tags": f.tags,
        "LastModifiedTime": f.last_modified_time,
        "LastModifiedRegion": f.last_modified_region,
    }


def routing_profile_summary(r: RoutingProfile) -> Shape:
    return {
        "Id": r.id,
        "Arn": r.arn,
        "Name": r.name,
        "LastModifiedTime": r.last_modified_time,
        "LastModifiedRegion": r.last_modified_region,
    }


def routing_profile(r: RoutingProfile, instance_id: str) -> Shape:
    return {
        "InstanceId": instance_id,
        "Name": r.name,
        "RoutingProfileArn": r.arn,
        "RoutingProfileId": r.id,
        "Description": r.description,
        "MediaConcurrencies": [
            {"Channel": m.channel, "Concurrency": m.concurrency,
             "CrossChannelBehavior": {"BehaviorType": m.cross_channel_behavior}}
            for m in r.media_concurrencies
        ],
        "DefaultOutboundQueueId": r.default_outbound_queue_id,
        "Tags": r.tags,
        "NumberOfAssociatedQueues": len(r.queue_ids),
        "NumberOfAssociatedUsers": 0,
        # AssociatedQueueIds is left out: Amazon Connect's DescribeRoutingProfile does not
        # send it (ListRoutingProfileQueues lists the queues).
        "AgentAvailabilityTimer": r.agent_availability_timer,
        "IsDefault": r.is_default,
        "LastModifiedTime": r.last_modified_time,
        "LastModifiedRegion": r.last_modified_region,
    }


def hours_summary(h: HoursOfOperation) -> Shape:
    return {
        "Id": h.id,
        "Arn": h.arn,
        "Name": h.name,
        "LastModifiedTime": h.last_modified_time,
        "LastModifiedRegion": h.last_modified_region,
    }


def hours(h: HoursOfOperation) -> Shape:
    return {
        "HoursOfOperationId": h.id,
        "HoursOfOperationArn": h.arn,
        "Name": h.name,
        "Description": h.description,
        "TimeZone": h.time_zone,
        "Config": [
            {
                "Day": e.day,
                "StartTime": {"Hours": e.start[0], "Minutes": e.start[1]},
                "EndTime": {"Hours": e.end[0], "Minutes": e.end[1]},
            }
            for e in h.config
        ],
        "Tags": h.tags,
        "LastModifiedTime": h.last_modified_time,
        "LastModifiedRegion": h.last_modified_region,
    }


def endpoint(e: Endpoint | None) -> Shape | None:
    if e is None:
        return None
    return {"Type": e.type, "Address": e.address, "DisplayName": e.display_name}


def _queue_info(c: Contact) -> Shape | None:
    if c.queue is None:
        return None
    return {"Id": c.queue.queue_id, "EnqueueTimestamp": c.queue.enqueue_timestamp}


def _agent_info(a: AgentInfo) -> Shape:
    return {
        "Id": a.agent_id,
        "ConnectedToAgentTimestamp": a.connected_to_agent_timestamp,
        "AcceptedByAgentTimestamp": a.accepted_by_agent_timestamp,
        "HierarchyGroups": {level: {"Arn": arn}
                            for level, arn in a.hierarchy_groups.items()} or None,
        "AfterContactWorkStartTimestamp": a.after_contact_work_start,
        "AfterContactWorkEndTimestamp": a.after_contact_work_end,
        "AfterContactWorkDuration": a.after_contact_work_seconds,
        "AgentInitiatedHoldDuration": a.hold_seconds,
    }


def _recording(r: Recording) -> Shape:
    return {
        "StorageType": r.storage_type,
        "Location": r.location,
        "MediaStreamType": r.media_stream_type,
        "ParticipantType": r.participant_type,
        "FragmentStartNumber": r.fragment_start,
        "FragmentStopNumber": r.fragment_stop,
        "StartTimestamp": r.start,
        "StopTimestamp": r.stop,
        "Status": r.status,
        "DeletionReason": r.deletion_reason,
    }


def _email_recipients(given: dict[str, Any] | None) -> Shape | None:
    """UpdateContact's AdditionalRecipients (EmailAddressInfo: EmailAddress, DisplayName) as
    DescribeContact's AdditionalEmailRecipients (EmailRecipient: Address, DisplayName)."""
    if not given:
        return None
    return {"CcList": [{"Address": e["EmailAddress"], "DisplayName": e.get("DisplayName")}
                       for e in given.get("CcEmailAddresses") or ()]}


def contact(c: Contact, attributes: dict[str, str]) -> Shape:
    """The Contact shape as DescribeContact returns it: every member the contact has;
    ``attributes`` are its chain's."""
    paused = c.total_pause_count > 0
    return {
        "Arn": c.arn,
        "Id": c.id,
        "InitialContactId": c.initial_contact_id,
        "PreviousContactId": c.previous_contact_id,
        "ContactAssociationId": c.contact_association_id,
        "InitiationMethod": c.initiation_method,
        "Name": c.name,
        "Description": c.description,
        "Channel": c.channel,
        "QueueInfo": _queue_info(c),
        "AgentInfo": _agent_info(c.agent) if c.agent else None,
        "InitiationTimestamp": c.initiation_timestamp,
        "DisconnectTimestamp": c.disconnect_timestamp,
        "LastUpdateTimestamp": c.last_update_timestamp,
        "RingStartTimestamp": c.ring_start_timestamp,
        "LastPausedTimestamp": c.last_paused_timestamp,
        "LastResumedTimestamp": c.last_resumed_timestamp,
        "TotalPauseCount": c.total_pause_count if paused else None,
        "TotalPauseDurationInSeconds": c.total_pause_seconds if paused else None,
        "ScheduledTimestamp": c.scheduled_timestamp,
        "ConnectedToSystemTimestamp": c.connected_to_system_timestamp,
        "RelatedContactId": c.related_contact_id,
        "CustomerId": c.customer_id,
        "CustomerEndpoint": endpoint(c.customer_endpoint),
        "SystemEndpoint": endpoint(c.system_endpoint),
        "QueueTimeAdjustmentSeconds": c.queue_time_adjustment_seconds,
        "QueuePriority": c.queue_priority,
        "Tags": c.tags or None,
        "Attributes": attributes or None,
        "SegmentAttributes": c.segment_attributes or None,
        "DisconnectReason": c.disconnect_reason,
        "Campaign": {"CampaignId": c.campaign_id} if c.campaign_id else None,
        "AnsweringMachineDetectionStatus": c.answering_machine_detection_status,
        "Recordings": [_recording(r) for r in c.recordings] or None,
        "AdditionalEmailRecipients": _email_recipients(c.additional_email_recipients),
        # NextContactType has one value, QUICK_CONNECT: a transfer to a queue or an agent is
        # listed as one, its QuickConnectType telling which.
        "NextContacts": [
            {"Type": "QUICK_CONNECT", "NextContactMetadata": {"QuickConnectContactData": {
                "ContactId": n.contact_id,
                "InitiationTimestamp": n.initiation_timestamp,
                "QuickConnectType": n.target_type,
            }}}
            for n in c.next_contacts
        ] or None,
    }


def contact_search_summary(c: Contact) -> Shape:
    return {
        "Arn": c.arn,
        "Id": c.id,
        "InitialContactId": c.initial_contact_id,
        "PreviousContactId": c.previous_contact_id,
        "InitiationMethod": c.initiation_method,
        "Channel": c.channel,
        "QueueInfo": _queue_info(c),
        "AgentInfo": (
            {"Id": c.agent.agent_id,
             "ConnectedToAgentTimestamp": c.agent.connected_to_agent_timestamp}
            if c.agent else None
        ),
        "InitiationTimestamp": c.initiation_timestamp,
        "DisconnectTimestamp": c.disconnect_timestamp,
        "ScheduledTimestamp": c.scheduled_timestamp,
        "SegmentAttributes": {
            k: {"ValueString": v["ValueString"]}
            for k, v in c.segment_attributes.items() if "ValueString" in v
        } or None,
        "Name": c.name,
        "Tags": c.tags or None,
    }


def associated_contact_summary(c: Contact) -> Shape:
    return {
        "ContactId": c.id,
        "ContactArn": c.arn,
        "InitiationTimestamp": c.initiation_timestamp,
        "DisconnectTimestamp": c.disconnect_timestamp,
        "InitialContactId": c.initial_contact_id,
        "PreviousContactId": c.previous_contact_id,
        "RelatedContactId": c.related_contact_id,
        "InitiationMethod": c.initiation_method,
        "Channel": c.channel,
    }


# ReferenceSummary is a union: one member per reference type, each with its own members.
_REFERENCE_MEMBER = {
    "URL": ("Url", ("Name", "Value")),
    "ATTACHMENT": ("Attachment", ("Name", "Value", "Status", "Arn")),
    "STRING": ("String", ("Name", "Value")),
    "NUMBER": ("Number", ("Name", "Value")),
    "DATE": ("Date", ("Name", "Value")),
    "EMAIL": ("Email", ("Name", "Value")),
    "CONTACT_ANALYSIS": ("ContactAnalysis", ("Name", "Value", "Status", "Arn")),
    "EMAIL_MESSAGE": ("EmailMessage", ("Name", "Arn")),
    "EMAIL_MESSAGE_REDACTED": ("EmailMessageRedacted", ("Name", "Arn")),
    "EMAIL_MESSAGE_PLAIN_TEXT": ("EmailMessagePlainText", ("Name", "Arn")),
    "EMAIL_MESSAGE_PLAIN_TEXT_REDACTED": ("EmailMessagePlainTextRedacted", ("Name", "Arn")),
}


def reference_summary(name: str, r: Reference) -> Shape:
    member, fields = _REFERENCE_MEMBER[r.type]
    values = {"Name": name, "Value": r.value, "Status": r.status, "Arn": r.arn}
    return {member: {f: values[f] for f in fields}}


def security_profile_summary(p: SecurityProfile) -> Shape:
    return {
        "Id": p.id,
        "Arn": p.arn,
        "Name": p.name,
        "LastModifiedTime": p.last_modified_time,
        "LastModifiedRegion": p.last_modified_region,
    }


def user_summary(u: User) -> Shape:
    return {
        "Id": u.id,
        "Arn": u.arn,
        "Username": u.username,
        "LastModifiedTime": u.last_modified_time,
        "LastModifiedRegion": u.last_modified_region,
    }


def user(u: User) -> Shape:
    return {
        **user_summary(u),
        "IdentityInfo": u.identity_info,
        "PhoneConfig": u.phone_config,
        "DirectoryUserId": u.directory_user_id,
        "SecurityProfileIds": u.security_profile_ids,
        "RoutingProfileId": u.routing_profile_id,
        "HierarchyGroupId": u.hierarchy_group_id,
        "Tags": u.tags,
        **u.channel_configs,
    }


def list_phone_numbers_summary(n: PhoneNumber) -> Shape:
    return {
        "PhoneNumberId": n.id,
        "PhoneNumberArn": n.arn,
        "PhoneNumber": n.number,
        "PhoneNumberCountryCode": n.country_code,
        "PhoneNumberType": n.type,
        "TargetArn": n.target_arn,
        "InstanceId": n.instance_id,
        "PhoneNumberDescription": n.description,
    }


def claimed_phone_number(n: PhoneNumber) -> Shape:
    return {**list_phone_numbers_summary(n), "Tags": n.tags,
            "PhoneNumberStatus": {"Status": n.status, "Message": n.status_message}}


def phone_number_summary(n: PhoneNumber) -> Shape:
    return {
        "Id": n.id,
        "Arn": n.arn,
        "PhoneNumber": n.number,
        "PhoneNumberType": n.type,
        "PhoneNumberCountryCode": n.country_code,
    }


def agent_status_summary(s: AgentStatus) -> Shape:
    return {
        "Id": s.id,
        "Arn": s.arn,
        "Name": s.name,
        "Type": s.type,
        "LastModifiedTime": s.last_modified_time,
        "LastModifiedRegion": s.last_modified_region,
    }


def agent_status(s: AgentStatus) -> Shape:
    return {
        "AgentStatusARN": s.arn,
        "AgentStatusId": s.id,
        "Name": s.name,
        "Description": s.description,
        "Type": s.type,
        "DisplayOrder": s.display_order,
        "State": s.state,
        "Tags": s.tags,
        "LastModifiedTime": s.last_modified_time,
        "LastModifiedRegion": s.last_modified_region,
    }
