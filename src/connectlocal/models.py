"""Domain records of the service: instances, their directory, and contacts.

Plain dataclasses with native types. They know neither the wire (see ``views.py``) nor the
database (see ``store/``). String fields that hold model enum values (channels, initiation
methods) are validated on the way in by the protocol layer, not re-declared here. Slotted:
a contact has ~40 fields, and building its instance dict on every DescribeContact cost ~8% of
the call in process (bench/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Values this service itself sets (the model lists every valid one).
VOICE, CHAT, TASK, EMAIL = "VOICE", "CHAT", "TASK", "EMAIL"
API, TRANSFER, INBOUND, OUTBOUND = "API", "TRANSFER", "INBOUND", "OUTBOUND"
QUEUE_TRANSFER, CALLBACK, MONITOR = "QUEUE_TRANSFER", "CALLBACK", "MONITOR"
EXTERNAL_OUTBOUND, DISCONNECT = "EXTERNAL_OUTBOUND", "DISCONNECT"
TELEPHONE_NUMBER = "TELEPHONE_NUMBER"


@dataclass(slots=True)
class Instance:
    id: str
    arn: str
    identity_management_type: str
    created_time: datetime
    inbound_calls_enabled: bool
    outbound_calls_enabled: bool
    alias: str | None = None
    directory_id: str | None = None
    status: str = "ACTIVE"
    service_role: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class HoursOfOperation:
    id: str
    arn: str
    name: str
    time_zone: str
    # Each entry: day (MONDAY...), start and end as (hours, minutes).
    config: list[HoursEntry]
    description: str | None = None
    last_modified_time: datetime | None = None
    last_modified_region: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class HoursEntry:
    day: str
    start: tuple[int, int]
    end: tuple[int, int]


@dataclass(slots=True)
class Queue:
    id: str
    arn: str
    name: str
    queue_type: str  # STANDARD or AGENT
    hours_of_operation_id: str | None
    status: str = "ENABLED"
    description: str | None = None
    max_contacts: int | None = None
    outbound_caller_id_name: str | None = None
    outbound_caller_id_number: str | None = None
    outbound_flow_id: str | None = None
    last_modified_time: datetime | None = None
    last_modified_region: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ContactFlow:
    id: str
    arn: str
    name: str
    type: str
    content: str
    state: str = "ACTIVE"
    status: str = "PUBLISHED"
    description: str | None = None
    # The queue the flow transfers to, read from its content when it is saved.
    queue_id: str | None = None
    last_modified_time: datetime | None = None
    last_modified_region: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SecurityProfile:
    id: str
    arn: str
    name: str
    description: str | None = None
    last_modified_time: datetime | None = None
    last_modified_region: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class User:
    """An agent: a user of the instance with a routing profile."""

    id: str
    arn: str
    username: str
    routing_profile_id: str
    security_profile_ids: list[str]
    # The model's nested structures (IdentityInfo, PhoneConfig, per-channel configs) are
    # caller data kept as given.
    identity_info: dict[str, Any] | None = None
    phone_config: dict[str, Any] | None = None
    directory_user_id: str | None = None
    hierarchy_group_id: str | None = None
    channel_configs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    last_modified_time: datetime | None = None
    last_modified_region: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class MediaConcurrency:
    channel: str
    concurrency: int
    # CrossChannelBehavior.BehaviorType: ROUTE_CURRENT_CHANNEL_ONLY (the default) or
    # ROUTE_ANY_CHANNEL
    cross_channel_behavior: str = "ROUTE_CURRENT_CHANNEL_ONLY"


@dataclass(slots=True)
class RoutingProfileQueue:
    """A queue a routing profile serves on one channel (RoutingProfileQueueConfig): lower
    priority numbers are served first; a contact waits ``delay`` seconds in the queue before
    it is offered to the profile's agents."""

    queue_id: str
    channel: str
    priority: int
    delay: int


@dataclass(slots=True)
class RoutingProfile:
    id: str
    arn: str
    name: str
    description: str
    default_outbound_queue_id: str
    media_concurrencies: list[MediaConcurrency]
    queue_ids: list[str] = field(default_factory=list)
    # Per queue and channel; a profile stored before these existed serves its queue_ids on
    # every channel of its concurrencies (engine.routing.queue_configs).
    queue_configs: list[RoutingProfileQueue] = field(default_factory=list)
    last_modified_time: datetime | None = None
    last_modified_region: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    is_default: bool = False  # the instance's own Basic Routing Profile
    agent_availability_timer: str = "TIME_SINCE_LAST_ACTIVITY"


@dataclass(slots=True)
class AgentStatus:
    """An agent status of the instance (Available, Offline, or a custom one like Break)."""

    id: str
    arn: str
    name: str
    type: str  # ROUTABLE, CUSTOM or OFFLINE
    state: str = "ENABLED"
    description: str | None = None
    display_order: int | None = None
    last_modified_time: datetime | None = None
    last_modified_region: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class AgentContact:
    """A contact an agent has: offered (CONNECTING), CONNECTED, in after-contact work
    (ENDED), or MISSED; ``since`` is when it entered that state."""

    contact_id: str
    channel: str
    initiation_method: str
    queue_id: str | None
    state: str
    since: datetime
    connected: datetime | None = None


@dataclass(slots=True)
class AgentState:
    """What routing knows of one agent (a user), kept in the store: the status set with
    PutUserStatus and since when, the contacts the agent has, and when the agent was last
    left without contacts (the longest idle agent is offered a contact first)."""

    user_id: str
    status_id: str
    status_start: datetime
    idle_since: datetime
    contacts: list[AgentContact] = field(default_factory=list)
    # The status set while the agent had contacts, applied when the last one is cleared
    # (GetCurrentUserData's NextStatus).
    next_status_id: str | None = None
    # Set when the agent missed a contact: not routable until a status is set again.
    missed_at: datetime | None = None


@dataclass(slots=True)
class Endpoint:
    type: str
    address: str
    display_name: str | None = None


@dataclass(slots=True)
class QueueInfo:
    queue_id: str
    enqueue_timestamp: datetime


@dataclass(slots=True)
class AgentInfo:
    agent_id: str
    connected_to_agent_timestamp: datetime | None = None
    accepted_by_agent_timestamp: datetime | None = None
    # Level1..Level5 → the hierarchy group's ARN
    hierarchy_groups: dict[str, str] = field(default_factory=dict)
    after_contact_work_start: datetime | None = None
    after_contact_work_end: datetime | None = None
    after_contact_work_seconds: int | None = None
    hold_seconds: int | None = None  # AgentInitiatedHoldDuration
    hold_count: int = 0  # the CTR's Agent.NumberOfHolds
    longest_hold_seconds: int | None = None  # the CTR's Agent.LongestHoldDuration


@dataclass(slots=True)
class Recording:
    """One recording of the contact (RecordingInfo), as a CTR's Recordings lists it."""

    location: str | None = None
    storage_type: str | None = None
    media_stream_type: str | None = None
    participant_type: str | None = None
    status: str | None = None
    deletion_reason: str | None = None
    fragment_start: str | None = None
    fragment_stop: str | None = None
    start: datetime | None = None
    stop: datetime | None = None


@dataclass(slots=True)
class Reference:
    type: str
    value: str | None = None
    status: str | None = None
    arn: str | None = None
    status_reason: str | None = None


@dataclass(slots=True)
class NextContact:
    """A contact that followed this one (a transfer), as NextContacts lists it."""

    contact_id: str
    initiation_timestamp: datetime | None = None
    target_type: str | None = None  # QUEUE or USER: what the contact was transferred to


@dataclass(slots=True)
class Contact:
    id: str
    arn: str
    instance_id: str
    channel: str
    initiation_method: str
    initiation_timestamp: datetime
    last_update_timestamp: datetime
    initial_contact_id: str | None = None
    previous_contact_id: str | None = None
    related_contact_id: str | None = None
    contact_association_id: str | None = None
    name: str | None = None
    description: str | None = None
    disconnect_timestamp: datetime | None = None
    disconnect_reason: str | None = None
    scheduled_timestamp: datetime | None = None
    connected_to_system_timestamp: datetime | None = None
    ring_start_timestamp: datetime | None = None
    queue: QueueInfo | None = None
    agent: AgentInfo | None = None
    customer_endpoint: Endpoint | None = None
    system_endpoint: Endpoint | None = None
    customer_id: str | None = None
    references: dict[str, Reference] = field(default_factory=dict)
    # Segment attributes are opaque caller data in the model's own structure.
    segment_attributes: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    next_contacts: list[NextContact] = field(default_factory=list)
    campaign_id: str | None = None
    contact_flow_id: str | None = None
    task_template_id: str | None = None
    participant_id: str | None = None
    expires_at: datetime | None = None
    queue_priority: int | None = None
    queue_time_adjustment_seconds: int | None = None
    # PauseContact / ResumeContact
    paused_at: datetime | None = None
    total_pause_count: int = 0
    total_pause_seconds: int = 0
    last_paused_timestamp: datetime | None = None
    last_resumed_timestamp: datetime | None = None
    # Caller data of UpdateContact kept as given.
    additional_email_recipients: dict[str, Any] | None = None
    # What only imported contact records carry (this service records no media).
    recordings: list[Recording] = field(default_factory=list)
    answering_machine_detection_status: str | None = None
    # The CTR's AgentConnectionAttempts: how many times an agent was offered the contact.
    agent_connection_attempts: int = 0
    # A transfer out of Amazon Connect (the CTR's TransferredToEndpoint and
    # TransferCompletedTimestamp); only imported records carry one.
    transferred_to_endpoint: Endpoint | None = None
    transfer_completed_timestamp: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disconnect_timestamp is None

    @property
    def chain_root(self) -> str:
        """The InitialContactId its chain's attributes are kept under."""
        return self.initial_contact_id or self.id


@dataclass(slots=True)
class PhoneNumber:
    """A phone number claimed to an instance. Amazon Connect keeps numbers per account and
    region (their ARN names no instance); the store keeps one under the instance it is
    claimed to, so that deleting the instance releases it."""

    id: str
    arn: str
    number: str  # E.164
    country_code: str
    type: str  # TOLL_FREE, DID, ...
    target_arn: str
    instance_id: str
    status: str = "CLAIMED"  # PhoneNumberWorkflowStatus
    status_message: str | None = None
    description: str | None = None
    contact_flow_id: str | None = None  # the inbound flow a call to it runs
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class LambdaFunction:
    """A Lambda function associated with an instance (AssociateLambdaFunction): flows of the
    instance may invoke it. Its id is its ARN."""

    id: str
    associated: datetime | None = None
