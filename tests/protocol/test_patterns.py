"""Every pattern of the model compiles, and real values pass or fail as Amazon Connect's do."""

from __future__ import annotations

import pytest

from connectlocal import spec
from connectlocal.spec.patterns import compile_pattern, normalise


def _patterns() -> dict[str, str]:
    return {name: shape["pattern"] for name, shape in spec.model_json()["shapes"].items()
            if "pattern" in shape}


def test_every_model_pattern_compiles() -> None:
    patterns = _patterns()
    assert len(patterns) > 40
    failures = {}
    for name, pattern in patterns.items():
        try:
            compile_pattern(pattern)
        except Exception as exc:
            failures[name] = f"{pattern}: {exc}"
    assert failures == {}


def test_double_escapes_are_folded() -> None:
    assert normalise("\\\\+[1-9]\\\\d{1,14}$") == "\\+[1-9]\\d{1,14}$"


@pytest.mark.parametrize(("shape", "good", "bad"), [
    ("PhoneNumber", ["+15555550100", "+442071234567", "+8613800138000"],
     ["5555550100", "+05555550100", "+1555555010012345", "tel:+15555550100"]),
    ("ContactTagKey", ["priority", "team/sub:key", "a.b_c=d+e-f"],
     ["aws:reserved", "has space"]),
    # Written /.../ in the model, JavaScript style: the delimiters are not part of it.
    ("Password", ["Passw0rd!", "abcDEF12"],
     ["password1", "PASSWORD1", "Passwrd!", "Sh0rt!", "Pass w0rd"]),
])
def test_real_values(shape: str, good: list[str], bad: list[str]) -> None:
    matcher = compile_pattern(_patterns()[shape])
    for value in good:
        assert matcher.fullmatch(value), (shape, value)
    for value in bad:
        assert not matcher.fullmatch(value), (shape, value)


def test_unicode_property_classes_work() -> None:
    # "^[\\P{C}\\r\\n\\t]{1,250}$" and friends: any printable text, in any script.
    name, pattern = next((n, p) for n, p in _patterns().items() if "\\P{C}" in p)
    matcher = compile_pattern(pattern)
    assert matcher.fullmatch("Ünïcødé text — 日本語"), name
    assert not matcher.fullmatch("bell \x07 character"), name
