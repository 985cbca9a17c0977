"""AndDone's in-body ``Signature``: an HMAC-SHA256, base64, over bytes AndDone does not name.

AndDone documents that each event carries a ``Signature`` made with the hex HMAC key set
for the endpoint, and that the digest is HMAC-SHA256 (44 base64 characters, 32 bytes). It
does not publish which bytes are signed, nor whether the hex key is decoded to bytes
first. Those two unknowns are explicit choices here (:class:`SignatureScheme`); nothing
guesses them for the user.

Every choice reads the body as received: the top-level members of the JSON object are
located in the raw bytes (:func:`_scan`) and nothing is re-serialised.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Final, NamedTuple, TypeAlias

from .._signing import HmacKey
from ..exceptions import ConfigurationError, SignatureError

if TYPE_CHECKING:
    from .._signing import Check
    from .._types import Headers

__all__ = [
    "SIGNATURE_FIELD",
    "KeyEncoding",
    "SignatureScheme",
    "SignedContent",
    "Verifier",
    "signed_bytes",
]

_PROVIDER: Final = "anddone"

SIGNATURE_FIELD: Final = "Signature"
"""The top-level body member that carries AndDone's signature."""

_EVENT_BODY_FIELD: Final = "EventBody"
_DIGEST_SIZE: Final = 32
_SIGNATURE_LENGTH: Final = 44  # standard base64 of 32 bytes, with one "=" of padding
_PLACEHOLDER: Final = "A" * (_SIGNATURE_LENGTH - 1) + "="

_OPEN: Final = re.compile(r"[ \t\n\r]*(\{)[ \t\n\r]*")
_KEY: Final = re.compile(r'("(?:[^"\\]|\\.)*")[ \t\n\r]*:[ \t\n\r]*', re.DOTALL)
_SEPARATOR: Final = re.compile(r"[ \t\n\r]*([,}])[ \t\n\r]*")
_TRAILING: Final = re.compile(r"[ \t\n\r]*\Z")
# Values are skipped, not decoded: a string ends at the first quote not escaped by a
# backslash, a number or literal is matched as JSON writes it, and an object or array ends
# at the bracket that closes its first one, brackets inside strings aside. For JSON these
# are the ends a decoder finds (the tests check it against json.JSONDecoder); what is not
# JSON is refused later by the validator, which reads the whole body.
#
# Every match is given at most _CHUNK characters: async receivers verify large bodies in a
# worker thread, and a thread keeps the interpreter's lock for as long as one C call runs,
# so one long call (a decoder's, or a regex's over a megabyte) stalls the event loop.
_CHUNK: Final = 1 << 16
_SCALAR: Final = re.compile(
    r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null|NaN|-?Infinity"
)
# The inside of a string, or the part of it that fits in a chunk.
_IN_STRING: Final = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_S: Final = r'"[^"\\]*(?:\\.[^"\\]*)*"'
# An object or array with at most one level nested in it (each item is a single character
# or a whole string or bracket pair, one way only, so that a failed match backtracks in
# linear time), then what lies between brackets: text without brackets or quotes, whole
# strings, and such shallow objects and arrays. Only deeper brackets cost a Python step.
_SHALLOW_INSIDE: Final = (
    rf'(?:[^"\[\]{{}}]|{_S}|\[(?:[^"\[\]{{}}]|{_S})*\]|\{{(?:[^"\[\]{{}}]|{_S})*\}})*'
)
_FLAT: Final = re.compile(
    rf'(?:[^"\[\]{{}}]+|{_S}|\[{_SHALLOW_INSIDE}\]|\{{{_SHALLOW_INSIDE}\}})*', re.DOTALL
)
_CLOSING: Final = {"{": "}", "[": "]"}
# Deeper than any webhook, and than pydantic's JSON parser reads: refused before verifying.
_MAX_DEPTH: Final = 512
# AndDone's envelope has a handful of top-level members. Each costs Python work to locate
# before anything is verified, so an unsigned body of 100,000 tiny keys would cost most of a
# second of CPU: past this many, the body is refused as not one of AndDone's.
_MAX_MEMBERS: Final = 256
# Brackets nested three deep or more cost one Python step each (about 0.4 us): a body of a
# megabyte of them would cost half a second of CPU before anything is verified. AndDone's
# bodies nest two or three levels and need a few steps; past this many, refused.
_MAX_STEPS: Final = 1 << 14


class _Budget:
    """The Python steps one body's scan may still take (see ``_MAX_STEPS``)."""

    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps = _MAX_STEPS


class SignedContent(str, Enum):
    """Which bytes of the request AndDone's HMAC covers: unknown, so the user chooses.

    Each choice works on the raw body as received, and none depends on the value of
    ``Signature`` (a signature cannot cover itself).
    """

    BODY_WITHOUT_SIGNATURE = "body_without_signature"
    """The raw body with the ``Signature`` member cut out, every other byte kept as sent.

    What is cut: from the end of the preceding value to the end of the signature's value
    (so the separating comma and the whitespace around it go); when ``Signature`` is the
    first member, from its key to the next key. ``{..., "Signature": "..."}`` thus becomes
    exactly the object as it was before the signature was appended."""
    BODY_WITH_EMPTY_SIGNATURE = "body_with_empty_signature"
    """The raw body with the ``Signature`` value replaced by an empty string ``""``."""
    EVENT_BODY = "event_body"
    """The raw bytes of the ``EventBody`` value alone. Under this choice ``EventCode``,
    ``EventDateTime`` and ``AdditionalFields`` are *not* protected by the signature."""

    def __str__(self) -> str:
        """The plain value."""
        return self.value


class KeyEncoding(str, Enum):
    """How the hex HMAC key set in AndDone's portal becomes the HMAC's key bytes."""

    HEX_DECODED = "hex_decoded"
    """The hex text decoded to bytes: ``bytes.fromhex(key)`` (64 hex digits -> 32 bytes)."""
    TEXT = "text"
    """The key's characters themselves, encoded as UTF-8: ``key.encode()``."""

    def __str__(self) -> str:
        """The plain value."""
        return self.value


_CONTENT_NAMES: Final = frozenset(member.value for member in SignedContent)
_ENCODING_NAMES: Final = frozenset(member.value for member in KeyEncoding)

SignedBytesFunction: TypeAlias = Callable[[bytes], bytes]
"""A function from the raw body as received to the bytes the HMAC covers."""


@dataclass(frozen=True)
class SignatureScheme:
    """How AndDone computes ``Signature`` for your endpoint: both choices are required.

    Confirm the construction with AndDone before relying on it; until then, find which
    scheme (if any) a real delivery verifies under with ``anddone.matching_schemes``.

    Attributes:
        signed: Which bytes are signed: a :class:`SignedContent`, or your own function from
            the raw body to the signed bytes (it must ignore the ``Signature`` value).
        key: How your hex key becomes the HMAC key (:class:`KeyEncoding`).
    """

    signed: SignedContent | SignedBytesFunction
    key: KeyEncoding

    def __post_init__(self) -> None:
        """Refuse anything but the documented types, so a typo fails at start-up."""
        if not isinstance(self.signed, SignedContent) and not callable(self.signed):
            raise ConfigurationError(
                "SignatureScheme.signed must be a SignedContent member or a function "
                "from the raw body to the signed bytes.",
                provider=_PROVIDER,
            )
        if not isinstance(self.key, KeyEncoding):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError(
                "SignatureScheme.key must be a KeyEncoding member.", provider=_PROVIDER
            )

    @classmethod
    def from_name(cls, name: str) -> SignatureScheme:
        """The scheme named ``SIGNED:KEY``, as in settings or on the command line.

        Example:
            >>> from webhook_payloads import anddone
            >>> scheme = anddone.SignatureScheme.from_name("body_without_signature:hex_decoded")
            >>> scheme.key
            <KeyEncoding.HEX_DECODED: 'hex_decoded'>
            >>> scheme.name
            'body_without_signature:hex_decoded'

        Args:
            name: A :class:`SignedContent` value and a :class:`KeyEncoding` value joined by
                ``:``, such as ``"event_body:text"``.

        Raises:
            ConfigurationError: ``name`` is not one of the six names; the message lists
                them (and does not repeat ``name``, in case a key was given by mistake).
        """
        names = ", ".join(f"{s}:{k}" for s in SignedContent for k in KeyEncoding)
        # Settings may hold anything: a wrong type is named, an unknown name is not repeated.
        if not isinstance(name, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            given = f"a value of type {type(name).__name__}"  # type: ignore[unreachable]
        else:
            content, sep, encoding = name.partition(":")
            if sep and content in _CONTENT_NAMES and encoding in _ENCODING_NAMES:
                return cls(signed=SignedContent(content), key=KeyEncoding(encoding))
            given = "an unknown name"
        raise ConfigurationError(
            f"An AndDone signature scheme name is SIGNED:KEY, one of: {names}; got {given}.",
            provider=_PROVIDER,
        )

    @property
    def name(self) -> str | None:
        """``SIGNED:KEY``, the name :meth:`from_name` reads; ``None`` with your own function."""
        if isinstance(self.signed, SignedContent):
            return f"{self.signed}:{self.key}"
        return None

    def __str__(self) -> str:
        """A short description, such as ``body_without_signature, key hex_decoded``."""
        signed = self.signed if isinstance(self.signed, SignedContent) else "custom function"
        return f"{signed}, key {self.key}"


class _MalformedError(Exception):
    """The body is not a JSON object whose top-level members can be located."""


class _Member(NamedTuple):
    key: str
    key_start: int
    value_start: int
    value_end: int


def _value_end(text: str, pos: int, budget: _Budget | None = None) -> int:
    """Where the JSON value that starts at ``pos`` ends, found without decoding it.

    Raises:
        _MalformedError: No value starts at ``pos``, a string is not terminated, or a
            bracket is not closed (or closed by the other kind, or nested too deep), or
            the body's ``budget`` of steps ran out.
    """
    first = text[pos : pos + 1]
    if first == '"':
        return _string_end(text, pos)
    if first in _CLOSING:
        return _nested_end(text, pos, _Budget() if budget is None else budget)
    scalar = _SCALAR.match(text, pos)
    if scalar is None:
        raise _MalformedError
    return scalar.end()


def _string_end(text: str, pos: int) -> int:
    """Where the string whose opening quote is at ``pos`` ends (past its closing quote)."""
    pos += 1
    while True:
        # One more than a chunk, so that an escape's two characters always fit.
        inside = _IN_STRING.match(text, pos, pos + _CHUNK + 1)
        end = pos if inside is None else inside.end()  # None never: * matches ""
        if text.startswith('"', end):
            return end + 1
        if end == pos:  # the text ends inside the string (perhaps on a lone backslash)
            raise _MalformedError
        pos = end  # the chunk ended inside the string: go on from there


def _nested_end(text: str, pos: int, budget: _Budget) -> int:
    """Where the object or array whose opening bracket is at ``pos`` ends."""
    # The closing bracket of each bracket open, innermost last. The first is taken here:
    # _FLAT would skip a shallow value whole, and the text after it with it.
    closers = [_CLOSING[text[pos]]]
    pos += 1
    while True:
        budget.steps -= 1
        if budget.steps < 0:
            raise _MalformedError
        run = _FLAT.match(text, pos, pos + _CHUNK)
        if run is not None:  # always: the pattern matches the empty string too
            pos = run.end()
        char = text[pos : pos + 1]
        if char in _CLOSING:
            closers.append(_CLOSING[char])
            if len(closers) > _MAX_DEPTH:
                raise _MalformedError
            pos += 1
        elif char in ("}", "]"):
            if closers.pop() != char:
                raise _MalformedError
            pos += 1
            if not closers:
                return pos
        elif char == '"':  # a string that did not fit in the chunk, or never ends
            pos = _string_end(text, pos)
        elif not char:
            raise _MalformedError  # the text ends inside the value
        # Otherwise the chunk ended inside plain text: go on from there.


def _key(raw: str) -> str:
    """The key a JSON parser reads from ``raw`` (a quoted string, as Latin-1 text)."""
    if "\\" not in raw and raw.isascii():
        return raw[1:-1]
    try:
        key: object = json.loads(raw.encode("latin-1").decode("utf-8"))
    except ValueError:  # UnicodeDecodeError is a ValueError too
        raise _MalformedError from None
    if not isinstance(key, str):  # pragma: no cover - _KEY only matches quoted strings
        raise _MalformedError
    return key


def _scan(body: bytes) -> tuple[list[_Member], int]:
    """The top-level members of the JSON object ``body``, and where its ``{`` ends.

    The body is read as Latin-1 text, so that character offsets are byte offsets (JSON's
    structure is ASCII); values are skipped without being decoded (:func:`_value_end`).

    Raises:
        _MalformedError: ``body`` is not a JSON object, a top-level key is repeated
            (which member a parser keeps would then be ambiguous), or it has more than
            ``_MAX_MEMBERS`` top-level members.
    """
    text = body.decode("latin-1")
    opening = _OPEN.match(text)
    if opening is None:
        raise _MalformedError
    opened = opening.end(1)
    pos = opening.end()
    members: list[_Member] = []
    seen: set[str] = set()
    budget = _Budget()
    if text.startswith("}", pos):
        pos += 1
    else:
        while True:
            match = _KEY.match(text, pos)
            if match is None:
                raise _MalformedError
            key = _key(match.group(1))
            if key in seen:
                raise _MalformedError
            seen.add(key)
            if len(seen) > _MAX_MEMBERS:
                raise _MalformedError
            value_end = _value_end(text, match.end(), budget)
            members.append(_Member(key, match.start(1), match.end(), value_end))
            separator = _SEPARATOR.match(text, value_end)
            if separator is None:
                raise _MalformedError
            pos = separator.end()
            if separator.group(1) == "}":
                break
    if _TRAILING.match(text, pos) is None:
        raise _MalformedError
    return members, opened


def _find(members: list[_Member], key: str) -> tuple[int, _Member] | None:
    for index, member in enumerate(members):
        if member.key == key:
            return index, member
    return None


def _remove_signature(body: bytes, members: list[_Member]) -> bytes:
    found = _find(members, SIGNATURE_FIELD)
    if found is None:
        return body
    index, member = found
    if index > 0:
        # From the end of the previous value: the comma, the key and the value go.
        start, end = members[index - 1].value_end, member.value_end
    elif len(members) > 1:
        # First of several: the key, the value and the comma after it go.
        start, end = member.key_start, members[1].key_start
    else:
        start, end = member.key_start, member.value_end
    return body[:start] + body[end:]


def _insert_signature(body: bytes, value: str) -> bytes:
    """``body`` (with no ``Signature``) with ``"Signature": value`` as its last member.

    The exact inverse of :func:`_remove_signature`, so signing then stripping gives the
    body back byte for byte.
    """
    members, opened = _scan(body)
    text = json.dumps({SIGNATURE_FIELD: value}, separators=(",", ":"))[1:-1].encode()
    if members:
        at = members[-1].value_end
        return body[:at] + b"," + text + body[at:]
    return body[:opened] + text + body[opened:]


def _extract(body: bytes, members: list[_Member], content: SignedContent) -> bytes:
    if content is SignedContent.BODY_WITHOUT_SIGNATURE:
        return _remove_signature(body, members)
    if content is SignedContent.BODY_WITH_EMPTY_SIGNATURE:
        found = _find(members, SIGNATURE_FIELD)
        if found is None:
            raise _MalformedError
        member = found[1]
        return body[: member.value_start] + b'""' + body[member.value_end :]
    found = _find(members, _EVENT_BODY_FIELD)
    if found is None:
        raise _MalformedError
    member = found[1]
    return body[member.value_start : member.value_end]


def signed_bytes(body: bytes, signed: SignedContent | SignedBytesFunction) -> bytes:
    """The bytes of ``body`` (raw, as received) that ``signed`` says the HMAC covers.

    Raises:
        SignatureError: The body is not a JSON object with the members this choice needs.
    """
    if not isinstance(signed, SignedContent):
        return signed(body)
    try:
        members, _ = _scan(body)
        return _extract(body, members, signed)
    except _MalformedError:
        raise _malformed() from None


def _malformed() -> SignatureError:
    return SignatureError(
        "The AndDone body is not a JSON object from which the signed bytes can be read "
        "(a Signature, EventBody or top-level key may be missing or repeated, or there "
        "are hundreds of top-level keys).",
        provider=_PROVIDER,
        reason="malformed",
    )


def _key_bytes(key: bytes, encoding: KeyEncoding) -> bytes:
    if encoding is KeyEncoding.TEXT:
        return key
    try:
        decoded = bytes.fromhex(key.decode("ascii"))
    except ValueError:
        # UnicodeDecodeError is a ValueError too. Say what is wrong, never the key.
        raise ConfigurationError(
            "An AndDone secret is not hex text, which KeyEncoding.HEX_DECODED requires.",
            provider=_PROVIDER,
        ) from None
    if not decoded.strip(b"\0"):
        # fromhex() skips whitespace: a secret of spaces would be an empty key, one that
        # anybody can sign with (normalize_secrets() refuses those; this is the backstop).
        # HMAC pads a short key with zero bytes, so a key of zeros ("0000...") is that same
        # empty key: a placeholder, never a real secret.
        raise ConfigurationError(
            "An AndDone secret decodes to no bytes, or only zero bytes, under "
            "KeyEncoding.HEX_DECODED; check the setting.",
            provider=_PROVIDER,
        )
    return decoded


def _require_scheme(scheme: object | None) -> SignatureScheme:
    if scheme is None:
        raise ConfigurationError(
            "AndDone does not publish which bytes its Signature covers or how the hex key "
            "is used, so verification needs an explicit choice: pass "
            "signature_scheme=anddone.SignatureScheme(signed=..., key=...) once AndDone "
            "has confirmed the construction (or verify=False in tests only).",
            provider=_PROVIDER,
        )
    if not isinstance(scheme, SignatureScheme):
        raise ConfigurationError(
            f"signature_scheme must be an anddone.SignatureScheme, not {type(scheme).__name__}.",
            provider=_PROVIDER,
        )
    return scheme


def _content(body: bytes, scheme: SignatureScheme, members: list[_Member] | None = None) -> bytes:
    if isinstance(scheme.signed, SignedContent):
        if members is None:
            return signed_bytes(body, scheme.signed)
        try:
            return _extract(body, members, scheme.signed)
        except _MalformedError:
            raise _malformed() from None
    try:
        content = scheme.signed(body)
    except Exception:  # noqa: BLE001 - the user's function may raise anything on a hostile body
        raise _malformed() from None
    if not isinstance(content, bytes):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigurationError(
            "The SignatureScheme.signed function must return bytes.", provider=_PROVIDER
        )
    return content


def _received_digest(body: bytes, members: list[_Member]) -> bytes:
    found = _find(members, SIGNATURE_FIELD)
    if found is None:
        raise SignatureError(
            "The AndDone body has no Signature; this request was not signed by AndDone.",
            provider=_PROVIDER,
            reason="missing",
        )
    member = found[1]
    raw = body[member.value_start : member.value_end]
    if raw == b"null":
        # AndDone's own examples carry "Signature": null; such a body was not signed.
        raise SignatureError(
            "The AndDone body's Signature is null; this request was not signed by AndDone.",
            provider=_PROVIDER,
            reason="missing",
        )
    digest = b""
    try:
        text = json.loads(raw)
        if isinstance(text, str) and len(text) == _SIGNATURE_LENGTH:
            digest = base64.b64decode(text, validate=True)
            # Only the canonical text: base64 leaves the last character's two spare bits
            # free, so four texts would otherwise carry one digest (a receiver that
            # de-duplicates on the signature text would count one delivery as four).
            if not hmac.compare_digest(base64.b64encode(digest), text.encode()):
                digest = b""
    except (ValueError, binascii.Error):
        digest = b""
    if len(digest) != _DIGEST_SIZE:
        raise SignatureError(
            "The AndDone Signature is not a base64 HMAC-SHA256 digest (44 characters).",
            provider=_PROVIDER,
            reason="malformed",
        )
    return digest


@dataclass(frozen=True)
class Verifier:
    """AndDone's verifier for :class:`~webhook_payloads.Webhook`: the in-body ``Signature``."""

    def prepare(self, keys: tuple[bytes, ...], scheme: object | None) -> Check:
        """The per-request check under ``keys`` and ``scheme``, with key schedules made now.

        Raises:
            ConfigurationError: No or a wrong ``scheme``; a key that the scheme cannot use.
        """
        chosen = _require_scheme(scheme)
        return _Check(chosen, tuple(HmacKey(_key_bytes(key, chosen.key)) for key in keys))

    def sign_request(
        self, body: bytes, key: bytes, scheme: object | None
    ) -> tuple[bytes, dict[str, str]]:
        """``body`` with a ``Signature`` written in as its last member, as ``scheme`` says.

        A ``Signature`` already in ``body`` is replaced.

        Raises:
            ConfigurationError: No or a wrong ``scheme``, a body that is not a JSON object,
                or a ``signed`` function whose output depends on the ``Signature`` value.
        """
        chosen = _require_scheme(scheme)
        try:
            members, _ = _scan(body)
        except _MalformedError:
            raise ConfigurationError(
                "Only a JSON object with distinct top-level keys can be signed.",
                provider=_PROVIDER,
            ) from None
        unsigned = _remove_signature(body, members)
        try:
            content = _content(_insert_signature(unsigned, _PLACEHOLDER), chosen)
        except SignatureError:
            raise ConfigurationError(
                f"This body lacks what the scheme ({chosen}) signs, such as EventBody.",
                provider=_PROVIDER,
            ) from None
        value = base64.b64encode(HmacKey(_key_bytes(key, chosen.key)).digest(content)).decode()
        signed = _insert_signature(unsigned, value)
        if _content(signed, chosen) != content:  # public comparison: bytes we just built
            raise ConfigurationError(
                "The SignatureScheme.signed function's output depends on the Signature "
                "value itself, so no signature can satisfy it.",
                provider=_PROVIDER,
            )
        return signed, {"Content-Type": "application/json"}


class _Check:
    """The per-request check of AndDone's ``Signature`` under prepared keys."""

    __slots__ = ("_keys", "_scheme")

    def __init__(self, scheme: SignatureScheme, keys: tuple[HmacKey, ...]) -> None:
        self._scheme = scheme
        self._keys = keys

    def __call__(self, body: bytes, headers: Headers | None) -> None:
        try:
            members, _ = _scan(body)
        except _MalformedError:
            raise _malformed() from None
        received = _received_digest(body, members)
        content = _content(body, self._scheme, members)
        matched = False
        for key in self._keys:
            # Every key is tried, so the time taken does not reveal which one matched.
            matched |= hmac.compare_digest(key.digest(content), received)
        if not matched:
            raise SignatureError(
                "The AndDone Signature does not match the body under any configured secret "
                f"with the chosen scheme ({self._scheme}); check the secret, the scheme, and "
                "that the body is passed exactly as received.",
                provider=_PROVIDER,
                reason="mismatch",
            )
