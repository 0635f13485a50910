"""Compiles the model's Java-flavoured string patterns into Python regular expressions.

The Connect model's patterns are written for ``java.util.regex``: they use Unicode property
classes (``\\p{L}``, ``\\P{C}``) that Python's ``re`` lacks, so they are compiled with the
``regex`` package, which has them. Some are also double-escaped in the model (the E.164
phone pattern is ``\\\\+[1-9]\\\\d{1,14}$``: as written it would demand a literal backslash);
the service behind the model plainly accepts ``+15555550100``, so a doubled backslash is
read as one. A value must match a pattern whole (Java's ``Matcher.matches()``, which AWS's
Java services validate with), so an unanchored ``\\+[1-9]\\d{1,14}$`` still refuses
``tel:+15555550100``. One pattern (``Password``) is written with JavaScript's ``/.../``
delimiters; taken literally no password could match, so the delimiters are dropped.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import regex


def normalise(pattern: str) -> str:
    """The pattern with doubled escapes folded to single ones and ``/.../`` delimiters gone."""
    if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
        pattern = pattern[1:-1]
    return pattern.replace("\\\\", "\\")


@cache
def compile_pattern(pattern: str) -> Any:
    """A compiled matcher for a model pattern; ``.fullmatch(value)`` decides validity."""
    return regex.compile(normalise(pattern), regex.V0)
