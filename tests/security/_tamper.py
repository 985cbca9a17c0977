"""The tamper matrix: every way a signed request is changed, each expected to be refused.

A case is a request (body, headers, secret) built from a genuinely signed one by a single
change. Where the signature lives is found, not assumed: headers whose value depends on the
key, and for in-body signatures the bytes of the body that depend on it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from webhook_payloads import WebhookError
from webhook_payloads._registry import Provider

from ._providers import KEY, OTHER_KEY, THIRD_KEY, samples, verifier

BITS = (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80)
HEX = frozenset("0123456789abcdefABCDEF")


class Pairs:
    """A headers object with repeated names, as Werkzeug and Starlette keep them."""

    def __init__(self, pairs: list[tuple[Any, Any]]) -> None:
        self.pairs = pairs

    def items(self) -> list[tuple[Any, Any]]:
        return list(self.pairs)


@dataclass(frozen=True)
class Case:
    """One tampered request."""

    label: str
    body: bytes
    headers: Any
    secret: Any
    # Every secret and signature involved: none may appear in what the error shows.
    hidden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signed:
    """A genuine request and where its signature is."""

    body: bytes
    headers: dict[str, str]
    signature_headers: tuple[str, ...]
    # [start, end) of the signature value inside the body, for in-body signatures.
    span: tuple[int, int] | None

    @property
    def secrets_shown(self) -> tuple[str, ...]:
        values = [self.headers[name] for name in self.signature_headers]
        if self.span is not None:
            values.append(self.body[self.span[0] : self.span[1]].decode("latin-1"))
        return tuple(values)


def sign(
    provider: Provider, body: bytes, key: bytes, scheme: object
) -> tuple[bytes, dict[str, str]]:
    """The provider's own signed request for ``body``."""
    return verifier(provider).sign_request(body, key, scheme)


def locate(provider: Provider, body: bytes, scheme: object) -> Signed:
    """Sign ``body`` with :data:`KEY` and find where the signature went."""
    signed_body, headers = sign(provider, body, KEY, scheme)
    other_body, other_headers = sign(provider, body, OTHER_KEY, scheme)
    names = tuple(n for n, v in headers.items() if other_headers.get(n) != v)
    span = None
    if signed_body != other_body:
        start = 0
        while signed_body[start] == other_body[start]:
            start += 1
        end = len(signed_body)
        while signed_body[end - 1] == other_body[end - 1 - len(signed_body) + len(other_body)]:
            end -= 1
        # Widen to the whole JSON string holding it.
        start = signed_body.rindex(b'"', 0, start) + 1
        end = signed_body.index(b'"', end)
        span = (start, end)
    assert names or span, f"{provider}: signing with another key changed nothing"
    return Signed(signed_body, headers, names, span)


def _b64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def same_meaning(old: str, new: str) -> bool:
    """Two encodings of one digest: not a tamper, whatever the bytes say.

    Hex is compared by value ('ab' and 'AB' are one signature), and base64's last character
    carries padding bits that decoding ignores, so it has more than one spelling.
    """
    if set(old) <= HEX and set(new) <= HEX:
        return old.lower() == new.lower()
    decoded = _b64(old)
    return decoded is not None and decoded == _b64(new)


def _flips(value: bytes) -> Iterator[tuple[int, int, bytes]]:
    for index in range(len(value)):
        for bit in BITS:
            changed = bytearray(value)
            changed[index] ^= bit
            yield index, bit, bytes(changed)


def _replace_span(signed: Signed, value: bytes) -> bytes:
    assert signed.span is not None
    start, end = signed.span
    return signed.body[:start] + value + signed.body[end:]


def signature_variants(value: str) -> Iterator[tuple[str, str]]:
    """Every single-byte change, truncation and extension of a signature value."""
    raw = value.encode("latin-1")
    for index, bit, changed in _flips(raw):
        new = changed.decode("latin-1")
        if not same_meaning(value, new):
            yield f"flip[{index}]^{bit:#04x}", new
    for length in range(len(value)):
        yield f"truncated to {length}", value[:length]
    for extra in ("0", "00", "a", "=", value, "\x00"):
        yield f"extended by {extra[:4]!r}", value + extra
        yield f"prefixed by {extra[:4]!r}", extra + value


def covers(scheme: object, genuine: bytes, changed: bytes) -> bool:
    """Whether ``scheme`` signs the part of the body that differs between the two.

    A scheme may sign only part of the body (AndDone's ``EVENT_BODY`` choice leaves the
    envelope unsigned, as its documentation says); a change outside that part is not a
    forgery of what the scheme protects, and is tested by the provider's own tests.
    """
    signed = getattr(scheme, "signed", None)
    if signed is None or not isinstance(signed, str):
        return True  # the whole body is signed
    from webhook_payloads.anddone import signed_bytes

    try:
        return signed_bytes(genuine, signed) != signed_bytes(changed, signed)  # type: ignore[arg-type]
    except WebhookError:
        return True  # the signed part cannot even be found: the change touched it


def cases(provider: Provider, scheme: object, event: str, body: bytes) -> Iterator[Case]:
    """Every tampered variant of the genuine request for ``body``."""
    genuine = locate(provider, body, scheme).body
    for tampered in _cases(provider, scheme, event, body):
        # Only changes to the body's bytes can fall outside what a scheme signs; changes to
        # the signature, the keys or the headers are always tampering.
        body_change = tampered.label.startswith(f"{event}: body")
        if not body_change or covers(scheme, genuine, tampered.body):
            yield tampered


def _cases(  # noqa: PLR0912 - one branch per kind of change reads as the list it is
    provider: Provider, scheme: object, event: str, body: bytes
) -> Iterator[Case]:
    signed = locate(provider, body, scheme)
    hidden = (*signed.secrets_shown, KEY.decode(), OTHER_KEY.decode(), THIRD_KEY.decode())

    def case(label: str, body: bytes, headers: Any = None, secret: Any = KEY) -> Case:
        return Case(
            f"{event}: {label}",
            body,
            signed.headers if headers is None else headers,
            secret,
            hidden,
        )

    # The body: every bit of every byte, every truncation, extensions.
    for index, bit, changed in _flips(signed.body):
        if signed.span is not None and signed.span[0] <= index < signed.span[1]:
            start, end = signed.span
            if same_meaning(signed.body[start:end].decode(), changed[start:end].decode("latin-1")):
                continue
        yield case(f"body[{index}]^{bit:#04x}", changed)
    for length in range(len(signed.body)):
        yield case(f"body truncated to {length}", signed.body[:length])
    for extra in (b" ", b"\n", b"\x00", b"{}", b"x", b"\xef\xbb\xbf"):
        yield case(f"body extended by {extra!r}", signed.body + extra)
        yield case(f"body prefixed by {extra!r}", extra + signed.body)

    # The signature itself.
    for name in signed.signature_headers:
        for label, value in signature_variants(signed.headers[name]):
            yield case(f"{name} {label}", signed.body, {**signed.headers, name: value})
        others = {k: v for k, v in signed.headers.items() if k != name}
        yield case(f"{name} missing", signed.body, others)
        yield case(
            f"{name} under another name",
            signed.body,
            {**others, "X-Signature": signed.headers[name]},
        )
        yield case(f"{name} empty", signed.body, {**others, name: ""})
        # Repeated: the copy the mapping gives is the one checked, so a forged copy there is
        # refused (a genuine copy there verifies an untouched body: no tampering).
        good, bad = signed.headers[name], "0" * len(signed.headers[name])
        for label, pairs in (
            ("bad then good", [(name, bad), (name, good)]),
            ("bad twice", [(name, bad), (name.upper(), bad)]),
        ):
            yield case(f"{name} repeated {label}", signed.body, Pairs([*others.items(), *pairs]))
        yield case(f"{name} comma-joined", signed.body, {**others, name: f"{good}, {good}"})
        yield case(
            f"{name} two cases in one dict",
            signed.body,
            {**others, name.lower(): bad, name.upper(): good},
        )
        # Any letter case of the name, on a tampered body: still refused.
        tampered = signed.body + b" "
        for variant in (name.lower(), name.upper(), name.swapcase()):
            yield case(f"{variant} on a changed body", tampered, {**others, variant: good})
    if signed.span is not None:
        value = signed.body[signed.span[0] : signed.span[1]].decode("latin-1")
        for label, new in signature_variants(value):
            yield case(f"in-body signature {label}", _replace_span(signed, new.encode("latin-1")))

    # Keys: a wrong key, an empty one, rotation with neither key right, in both orders.
    for label, key in (
        ("another key", OTHER_KEY),
        ("an empty key", b""),
        ("a shorter key", KEY[:-2]),
    ):
        try:
            forged_body, forged_headers = sign(provider, body, key, scheme)
        except WebhookError:
            continue  # this provider's signer refuses such a key: nothing to forge with
        yield case(f"signed with {label}", forged_body, forged_headers)
    forged_body, forged_headers = sign(provider, body, THIRD_KEY, scheme)
    for secret in ([KEY, OTHER_KEY], [OTHER_KEY, KEY]):
        yield case("rotation, signed with neither key", forged_body, forged_headers, secret)

    # The signature of a different event (or of the same event re-signed differently).
    for other_event, other_body in samples(provider):
        if other_body == body:
            continue
        other = locate(provider, other_body, scheme)
        if signed.signature_headers:
            yield case(f"headers of {other_event}", signed.body, other.headers)
        # A scheme that signs part of the body gives two events with that part in common
        # one signature (AndDone's EVENT_BODY, for a payment's successive events): moving it
        # changes nothing the scheme protects.
        if (
            signed.span is not None
            and other.span is not None
            and covers(scheme, signed.body, other.body)
        ):
            moved = other.body[other.span[0] : other.span[1]]
            yield case(f"in-body signature of {other_event}", _replace_span(signed, moved))


def matrix(provider: Provider, scheme: object) -> Iterator[Case]:
    """Every tampered request over every sample of the provider, under one scheme."""
    for event, body in samples(provider):
        yield from cases(provider, scheme, event, body)


def count_all() -> dict[str, int]:
    """How many tamper cases each (provider, scheme) has."""
    from ._providers import scheme_id, signing_params

    return {f"{p.value}-{scheme_id(s)}": sum(1 for _ in matrix(p, s)) for p, s in signing_params()}
