"""Maps an HTTP method and raw path to a model operation and its percent-decoded URI labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    label: _Node | None = None  # the child for any one label value
    operations: dict[str, OperationModel] = field(default_factory=dict)


class Match(NamedTuple):
    operation: OperationModel
    labels: dict[str, str]


class Router:
    """A segment trie built once from every operation's ``requestUri``.

    Literal segments win over labels, as in API Gateway and Smithy routing. Labels are
    percent-decoded per segment, so an encoded ``/`` (``%2F``) stays inside its label.
    """

    def __init__(self, model: ServiceModel) -> None:
        self._root = _Node()
        for name in model.operation_names:
            op = model.operation_model(name)
            uri: str = op.http["requestUri"]
            path, _, query = uri.partition("?")
            if query:  # no Connect operation has one; routing on it is not built
                raise ValueError(f"query in the request URI of {name}: not supported")
            node = self._root
            for segment in _segments(path):
                if segment.startswith("{") and segment.endswith("}"):
                    if segment.endswith("+}"):
                        raise ValueError(f"greedy label in {name}: not supported")
                    # Operations may name the label at one position differently: values are
                    # collected by position and named per operation when it has matched.
                    if node.label is None:
                        node.label = _Node()
                    node = node.label
                else:
                    node = node.literals.setdefault(segment, _Node())
            method = op.http["method"].upper()
            if method in node.operations:
                raise ValueError(f"two operations on {method} {uri}")
            node.operations[method] = op
        self._label_names = {
            name: [s[1:-1] for s in _segments(model.operation_model(name).http["requestUri"]
                                                .partition("?")[0]) if s.startswith("{")]
            for name in model.operation_names
        }

    def match(self, method: str, raw_path: str) -> Match | None:
        """The operation for this request, or None when no operation has this route."""
        method = method.upper()
        segments = _segments(raw_path)
        found = self._greedy(segments, method)
        if found is None:
            found = self._walk(self._root, segments, 0, [], method)
            if found is None:
                return None
        op, values = found
        names = self._label_names[op.name]
        return Match(op, dict(zip(names, values, strict=True)))

    def _greedy(self, segments: list[str], method: str) -> tuple[OperationModel, list[str]] | None:
        """The walk's first path, literals first, without backtracking: when it ends on an
        operation that is what the full walk finds, as it tries this path first."""
        node = self._root
        values = []
        for segment in segments:
            child = node.literals.get(_decoded(segment))
            if child is None:
                child = node.label
                if child is None or not segment:
                    return None
                values.append(_decoded(segment))
            node = child
        op = node.operations.get(method)
        return (op, values) if op is not None else None

    def _walk(
        self, node: _Node, segments: list[str], i: int, values: list[str], method: str
    ) -> tuple[OperationModel, list[str]] | None:
        if i == len(segments):
            op = node.operations.get(method)
            return (op, values) if op is not None else None
        segment = segments[i]
        child = node.literals.get(_decoded(segment))
        if child is not None:
            found = self._walk(child, segments, i + 1, values, method)
            if found is not None:
                return found
        if node.label is not None and segment:
            return self._walk(node.label, segments, i + 1, [*values, _decoded(segment)], method)
        return None


def _decoded(segment: str) -> str:
    return unquote(segment) if "%" in segment else segment


def _segments(path: str) -> list[str]:
    return path.split("/")[1:] if path.startswith("/") else path.split("/")
