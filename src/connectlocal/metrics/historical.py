"""Historical metrics (GetMetricDataV2), each defined as the Administrator Guide's
"Historical metrics definitions" page gives it
(https://docs.aws.amazon.com/connect/latest/adminguide/historical-metrics-definitions.html),
as aggregates over the contacts' facts that the store computes (store.base.FACTS).

A contact belongs to the interval in which it was initiated.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store.base import Aggregate, Condition

QUEUED = Condition("enqueued", "present")
HANDLED = Condition("connected", "present")
ENDED = Condition("disconnected", "present")
NOT_HANDLED = Condition("connected", "absent")
_WITHIN = Condition("queue_seconds", "<=", 0.0)  # a request's threshold takes its place


@dataclass(frozen=True)
class Definition:
    """A metric is ``numerator`` (or ``numerator`` / ``denominator`` × ``scale``); a
    threshold, when it takes one, is the bound of ``queue_seconds``."""

    name: str
    unit: str  # how the value reads: COUNT, SECONDS, PERCENT
    numerator: Aggregate
    denominator: Aggregate | None = None
    scale: float = 1.0
    threshold: bool = False
    # The denominator is the agents' time in the Available status (the status history),
    # which the handler reads beside the aggregates.
    per_available_time: bool = False

    def aggregates(self, threshold: tuple[str, float] | None = None) -> list[Aggregate]:
        """The aggregates to compute; ``threshold``: (comparison LT or LTE, seconds)."""
        parts = [self.numerator] + ([self.denominator] if self.denominator else [])
        if not self.threshold or threshold is None:
            return parts
        op = "<" if threshold[0] == "LT" else "<="
        return [a._replace(where=tuple(
            Condition(c.fact, op, threshold[1]) if c is _WITHIN else c for c in a.where))
            for a in parts]

    def value(self, values: list[float | None]) -> float | None:
        top = values[0]
        if self.denominator is None:
            return None if top is None else float(top)
        bottom = values[1]
        if not bottom:
            return None  # "Metric value is null: ... divide by zero"
        return float(top or 0) / float(bottom) * self.scale


DEFINITIONS = {d.name: d for d in (
    # "Contacts queued: Count of contacts placed in the queue."
    Definition("CONTACTS_QUEUED", "COUNT", Aggregate("count", None, (QUEUED,))),
    # "Contacts handled: Count of contacts that were connected to an agent."
    Definition("CONTACTS_HANDLED", "COUNT", Aggregate("count", None, (HANDLED,))),
    # "Contacts abandoned: Count of contacts disconnected by the customer while in the queue"
    # (queued, never connected to an agent, ended).
    Definition("CONTACTS_ABANDONED", "COUNT",
               Aggregate("count", None, (QUEUED, NOT_HANDLED, ENDED))),
    # "Contacts transferred out: Count of contacts transferred out of the queue" (handled by
    # an agent and continued by a transfer).
    Definition("CONTACTS_TRANSFERRED_OUT", "COUNT",
               Aggregate("count", None, (HANDLED, Condition("transferred", "true")))),
    # "Average handle time: Average time, from start to finish, that a contact is connected
    # with an agent. It includes talk time, hold time, and After Contact Work (ACW) time."
    Definition("AVG_HANDLE_TIME", "SECONDS", Aggregate("avg", "handle_seconds", (HANDLED,))),
    # "Average queue answer time: Average time that contacts wait in the queue before being
    # answered by an agent."
    Definition("AVG_QUEUE_ANSWER_TIME", "SECONDS",
               Aggregate("avg", "queue_seconds", (QUEUED, HANDLED))),
    # "Average after contact work time: Average time that an agent spent doing ACW."
    Definition("AVG_AFTER_CONTACT_WORK_TIME", "SECONDS",
               Aggregate("avg", "acw_seconds", (HANDLED,))),
    # "Average customer hold time: Average time that customers spent on hold after being
    # connected to an agent" (of the contacts handled).
    Definition("AVG_HOLD_TIME", "SECONDS", Aggregate("avg", "hold_seconds", (HANDLED,))),
    # "Average agent interaction time: Average time that agents interacted with customers ...
    # does not include hold time or After Contact Work."
    Definition("AVG_INTERACTION_TIME", "SECONDS",
               Aggregate("avg", "interaction_seconds", (HANDLED,))),
    # "Average queue abandon time: Average time that contacts waited in the queue before the
    # customer disconnected."
    Definition("AVG_ABANDON_TIME", "SECONDS",
               Aggregate("avg", "queue_seconds", (QUEUED, NOT_HANDLED, ENDED))),
    # "Maximum queued time: The longest time that a contact spent waiting in the queue."
    Definition("MAX_QUEUED_TIME", "SECONDS", Aggregate("max", "queue_seconds", (QUEUED,))),
    # "Abandonment rate: Percentage of contacts abandoned in the queue" (of those queued).
    Definition("ABANDONMENT_RATE", "PERCENT",
               Aggregate("count", None, (QUEUED, NOT_HANDLED, ENDED)),
               Aggregate("count", None, (QUEUED,)), 100.0),
    # "Contacts answered in X seconds: Count of contacts answered by an agent between 0 and X
    # seconds after being placed in the queue."
    Definition("SUM_CONTACTS_ANSWERED_IN_X", "COUNT",
               Aggregate("count", None, (QUEUED, HANDLED, _WITHIN)), threshold=True),
    # "Service level X: Percentage of contacts removed from the queue between 0 and X after
    # being answered by an agent": answered within X / queued.
    Definition("SERVICE_LEVEL", "PERCENT",
               Aggregate("count", None, (QUEUED, HANDLED, _WITHIN)),
               Aggregate("count", None, (QUEUED,)), 100.0, threshold=True),
)}

# GetMetricData (v1): its metric name → (the definition above, Unit, Statistic) as the model's
# documentation of HistoricalMetrics lists them.
V1 = {
    "CONTACTS_QUEUED": ("CONTACTS_QUEUED", "COUNT", "SUM"),
    "CONTACTS_HANDLED": ("CONTACTS_HANDLED", "COUNT", "SUM"),
    "CONTACTS_ABANDONED": ("CONTACTS_ABANDONED", "COUNT", "SUM"),
    "CONTACTS_TRANSFERRED_OUT": ("CONTACTS_TRANSFERRED_OUT", "COUNT", "SUM"),
    "HANDLE_TIME": ("AVG_HANDLE_TIME", "SECONDS", "AVG"),
    "AFTER_CONTACT_WORK_TIME": ("AVG_AFTER_CONTACT_WORK_TIME", "SECONDS", "AVG"),
    "HOLD_TIME": ("AVG_HOLD_TIME", "SECONDS", "AVG"),
    "INTERACTION_TIME": ("AVG_INTERACTION_TIME", "SECONDS", "AVG"),
    "QUEUE_ANSWER_TIME": ("AVG_QUEUE_ANSWER_TIME", "SECONDS", "AVG"),
    "QUEUED_TIME": ("MAX_QUEUED_TIME", "SECONDS", "MAX"),
    "ABANDON_TIME": ("AVG_ABANDON_TIME", "SECONDS", "AVG"),
    "SERVICE_LEVEL": ("SERVICE_LEVEL", "PERCENT", "AVG"),
}

# "Occupancy: Percentage of time that agents were active on contacts ... Agent on contact time /
# (Agent on contact time + Agent idle time)": on-contact time is the handle time of the
# agents' contacts, and on-contact and idle time together are the time agents spent in the
# Available status (the status history: PutUserStatus). Grouped by agent or not at all.
OCCUPANCY = Definition("AGENT_OCCUPANCY", "PERCENT",
                       Aggregate("sum", "handle_seconds", (HANDLED,)), scale=100.0,
                       per_available_time=True)
DEFINITIONS[OCCUPANCY.name] = OCCUPANCY
