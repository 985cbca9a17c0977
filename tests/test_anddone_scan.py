"""Locating AndDone's top-level members without decoding values: the same ends as a decoder.

The scan decides which bytes are signed, so its value ends are checked against the standard
library's JSON decoder over arbitrary JSON (nested, strings with escapes, any Unicode), at
every chunk size, and whole bodies against a scan that decodes every value as it used to.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webhook_payloads.anddone import _signature
from webhook_payloads.anddone._signature import _MalformedError, _Member, _scan, _value_end

_DECODER = json.JSONDecoder()

# Text that exercises what a skip can get wrong: quotes, backslashes, brackets, control
# characters (escaped by json.dumps), and any Unicode, surrogates included.
_TRICKY = st.sampled_from(['"', "\\", "[", "]", "{", "}", ",", ":", "\\u", "\n", "\x00", "é"])
texts = st.lists(st.one_of(_TRICKY, st.text(max_size=6)), max_size=8).map("".join)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(texts, children, max_size=5)
    ),
    max_leaves=40,
)
layouts = st.sampled_from(
    [
        {},
        {"ensure_ascii": False},
        {"separators": (",", ":")},
        {"separators": (",", ":"), "ensure_ascii": False},
        {"indent": 2},
        {"indent": "\t", "ensure_ascii": False},
    ]
)


def _latin1(value: Any, layout: dict[str, Any]) -> str:
    """``value`` as JSON bytes (UTF-8), read as Latin-1 text the way the scan reads a body."""
    return json.dumps(value, **layout).encode("utf-8", "surrogatepass").decode("latin-1")


def _decoded_end(text: str, pos: int) -> int | None:
    try:
        return _DECODER.raw_decode(text, pos)[1]
    except (ValueError, RecursionError):
        return None


def _skipped_end(text: str, pos: int) -> int | None:
    try:
        return _value_end(text, pos)
    except _MalformedError:
        return None


@settings(max_examples=400)
@given(values, layouts, st.sampled_from(['{"k": ', "[", " "]), st.sampled_from(["}", ", 1]", ""]))
def test_a_value_ends_where_a_json_decoder_ends_it(
    value: Any, layout: dict[str, Any], before: str, after: str
) -> None:
    text = before + _latin1(value, layout) + after
    assert _skipped_end(text, len(before)) == _decoded_end(text, len(before))
    assert _skipped_end(text, len(before)) == len(text) - len(after)


@settings(max_examples=200)
@given(values, layouts, st.integers(min_value=1, max_value=9))
def test_chunk_boundaries_change_no_end(value: Any, layout: dict[str, Any], chunk: int) -> None:
    # Matches stop every _CHUNK characters; wherever that falls (inside a string, after a
    # backslash, inside a shallow object), the scan must go on to the same end.
    text = "[" + _latin1(value, layout) + ', "x"]'
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_signature, "_CHUNK", chunk)
        assert _skipped_end(text, 0) == _decoded_end(text, 0) == len(text)


@settings(max_examples=300)
@given(values, layouts, st.data())
def test_a_cut_string_or_nested_value_is_refused(
    value: Any, layout: dict[str, Any], data: st.DataObject
) -> None:
    text = _latin1([value], layout)
    cut = data.draw(st.integers(min_value=1, max_value=len(text) - 1))
    # Cut anywhere, the outer array is never closed: no end may be found.
    assert _skipped_end(text[:cut], 0) is None


@pytest.mark.parametrize(
    ("text", "end"),
    [
        (r'"a\"b"', 6),
        (r'"a\\"b"', 5),
        (r'"a\\\"b"', 8),
        ('"]}"', 4),
        ('["]", "\\"[", {"}": "{"}]', 24),
        ('{"a": [1, {"b": [[], {}]}], "c": "}"}', 37),
        ("[[[[[]]]]]", 10),
        ('"\u00e9\u00ff"', 4),
        ("-0.5e+10,", 8),
        ("-Infinity}", 9),
        ("NaN]", 3),
        ("true ", 4),
        ("null", 4),
    ],
)
def test_known_value_ends(text: str, end: int) -> None:
    assert _value_end(text, 0) == end
    assert _decoded_end(text, 0) == end


@pytest.mark.parametrize(
    "text",
    [
        "",
        "}",
        "]",
        ",",
        '"open',
        '"ends in a backslash\\',
        '"ends in an escaped quote\\"',
        "[1, 2}",
        '{"a": 1]',
        "[{]}",
        "[{]]",
        "[[1}]",
        "[[]",
        '["]"',
        "tru",
        "+1",
        "-",
    ],
)
def test_what_is_no_value_is_refused(text: str) -> None:
    with pytest.raises(_MalformedError):
        _value_end(text, 0)


def test_nesting_deeper_than_any_parser_reads_is_refused() -> None:
    # The two innermost levels are matched by the regex, which counts no depth.
    deepest = _signature._MAX_DEPTH
    assert _value_end("[" * deepest + "]" * deepest, 0) == 2 * deepest
    with pytest.raises(_MalformedError):
        _value_end("[" * (deepest + 3) + "]" * (deepest + 3), 0)


@pytest.mark.parametrize("depth", [3, 10, 500])
def test_a_body_of_deep_brackets_is_refused_within_its_budget_of_steps(depth: int) -> None:
    # Each bracket three deep or more costs a Python step: a megabyte of them would cost
    # half a second of CPU before the signature is checked. Refused once the body's steps
    # run out, wherever they are spent (one member or many).
    unit = "[" * depth + "]" * depth + ","
    hostile = '{"a":[' + unit * ((1 << 20) // len(unit)) + "1]}"
    with pytest.raises(_MalformedError):
        _scan(hostile.encode())
    spread = ",".join(f'"k{n}":[{unit}1]' for n in range(200))
    if depth * 200 > _signature._MAX_STEPS:
        with pytest.raises(_MalformedError):
            _scan(("{" + spread + "}").encode())


def test_a_webhook_nesting_a_few_levels_fits_the_budget() -> None:
    item = '{"Id":"1","Fields":{"Name":"A","Tags":[{"K":"v","L":[1,2]}]}}'
    body = '{"EventCode":"X","EventBody":[' + ",".join([item] * 2000) + '],"Signature":"s"}'
    members, _ = _scan(body.encode())
    assert [member.key for member in members] == ["EventCode", "EventBody", "Signature"]


# --- whole bodies, against the scan that decoded every value ---------------------------

_KEY = re.compile(r'("(?:[^"\\]|\\.)*")[ \t\n\r]*:[ \t\n\r]*', re.DOTALL)
_SEPARATOR = re.compile(r"[ \t\n\r]*([,}])[ \t\n\r]*")


def _decoding_scan(body: bytes) -> list[_Member]:
    """The members as the scan found them when it decoded each value (for valid bodies)."""
    text = body.decode("latin-1")
    pos = text.index("{") + 1
    pos += len(text[pos:]) - len(text[pos:].lstrip(" \t\n\r"))
    members: list[_Member] = []
    if text.startswith("}", pos):
        return members
    while True:
        match = _KEY.match(text, pos)
        assert match is not None
        key = json.loads(match.group(1).encode("latin-1").decode("utf-8", "surrogatepass"))
        end = _DECODER.raw_decode(text, match.end())[1]
        members.append(_Member(key, match.start(1), match.end(), end))
        separator = _SEPARATOR.match(text, end)
        assert separator is not None
        pos = separator.end()
        if separator.group(1) == "}":
            return members


@settings(max_examples=300)
@given(st.dictionaries(st.text(max_size=8), values, max_size=8), layouts)
def test_a_body_s_members_are_where_a_decoding_scan_finds_them(
    document: dict[str, Any], layout: dict[str, Any]
) -> None:
    body = json.dumps(document, **layout).encode("utf-8", "surrogatepass")
    try:
        members, _ = _scan(body)
    except _MalformedError:
        # Only a key the scan cannot read as UTF-8 (a lone surrogate, written raw).
        assert not layout.get("ensure_ascii", True)
        return
    assert members == _decoding_scan(body)
