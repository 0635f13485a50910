"""A FactQuery as one SQL statement over ``contact_facts``, for every SQL store: only the
facts ``store.base`` names become SQL, the values are parameters."""

from __future__ import annotations

from typing import Any, NamedTuple

from .base import DERIVED, FACTS, FactQuery

# The derived durations (store.base.DERIVED) as SQL expressions over the stored facts.
DERIVED_SQL = {
    "queue_seconds": "(coalesce(connected, disconnected) - enqueued)",
    "handle_seconds": "(disconnected - connected + coalesce(acw_seconds, 0))",
    "interaction_seconds": "(disconnected - connected - coalesce(hold_seconds, 0))",
}
assert set(DERIVED_SQL) == set(DERIVED)
_NAMES = frozenset({*FACTS, *DERIVED})
_AGGREGATE = {"sum": "sum({})", "avg": "avg({})", "max": "max({})"}
_COMPARISONS = ("<", "<=", ">")


class FactStatement(NamedTuple):
    """The statement, run once per interval with ``(*before, account, region, instance_id,
    start, end, *after)``; its rows: the groups' keys, ``count(*)``, then the aggregates."""

    sql: str
    before: list[Any]
    after: list[Any]
    groups: int


def _fact(name: str) -> str:
    if name not in _NAMES:  # names become SQL: only the known ones
        raise ValueError(f"no such contact fact: {name!r}")
    return DERIVED_SQL.get(name, name)


def fact_statement(query: FactQuery, mark: str, arrays: bool) -> FactStatement:
    """``mark``: the engine's parameter placeholder (``?``, ``%s``); ``arrays``: a filter's
    values are one array parameter (``= ANY(...)``), else one parameter each (``IN``)."""
    selected: list[str] = []
    before: list[Any] = []
    for aggregate in query.aggregates:
        conditions = []
        for condition in aggregate.where:
            column = _fact(condition.fact)
            if condition.op == "present":
                conditions.append(f"{column} IS NOT NULL")
            elif condition.op == "absent":
                conditions.append(f"{column} IS NULL")
            elif condition.op == "true":
                conditions.append(f"{column}")
            elif condition.op in _COMPARISONS:
                conditions.append(f"{column} {condition.op} {mark}")
                before.append(condition.value)
            else:
                raise ValueError(f"no such comparison: {condition.op!r}")
        test = " AND ".join(conditions) or "1=1"
        if aggregate.kind == "count":
            selected.append(f"count(CASE WHEN {test} THEN 1 END)")
        elif aggregate.kind in _AGGREGATE and aggregate.value is not None:
            selected.append(_AGGREGATE[aggregate.kind].format(
                f"CASE WHEN {test} THEN {_fact(aggregate.value)} END"))
        else:
            raise ValueError(f"an aggregate {aggregate.kind!r} needs a value")
    where = [f"account={mark}", f"region={mark}", f"instance_id={mark}",
             f"initiated>={mark}", f"initiated<{mark}"]
    after: list[Any] = []
    for name, values in query.filters.items():
        if arrays:
            where.append(f"{_fact(name)} = ANY({mark})")
            after.append(list(values))
        else:
            where.append(f"{_fact(name)} IN ({','.join(mark * len(values))})")
            after.extend(values)
    groups = [_fact(g) for g in query.groupings]
    # count(*) first: an interval without contacts answers no row, as a group does not.
    sql = (f"SELECT {', '.join([*groups, 'count(*)', *selected])} FROM contact_facts "
           f"WHERE {' AND '.join(where)}"
           + (f" GROUP BY {', '.join(groups)}" if groups else ""))
    return FactStatement(sql, before, after, len(groups))
