"""Secrets, HMAC key schedules, and the hex-header signature shared by Payscore and Connect.

Signing and verifying go through the same :class:`HmacKey`, so a request made with
:meth:`HexHeaderScheme.sign` verifies exactly when a real one would.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias, cast

from ._headers import HeaderName, header_value
from .exceptions import (
    BodyTooLargeError,
    ConfigurationError,
    MalformedPayloadError,
    SignatureError,
)

if TYPE_CHECKING:
    from ._types import Headers, Secrets

__all__ = [
    "Check",
    "HexHeaderScheme",
    "HmacKey",
    "as_bytes",
    "hmac_sha256",
    "normalize_secrets",
    "signing_key",
]

Check: TypeAlias = Callable[[bytes, "Headers | None"], None]
"""A prepared signature check: raises :class:`SignatureError` unless the request verifies."""

# Bytes that, alone, make a key anyone can sign with: HMAC pads keys with zero bytes, so a
# key of NULs signs like the empty key, and a setting of blanks was never filled in.
_BLANK: Final = b" \t\n\r\x0b\x0c\x00"


def normalize_secrets(secret: object, *, provider: str | None = None) -> tuple[bytes, ...]:
    """One secret, or a list or tuple of them, as a non-empty tuple of usable keys.

    Raises:
        ConfigurationError: ``secret`` is not ``str``/``bytes`` or a list or tuple of them
            (a dict, a set, an iterator, ...), the list is empty, or a secret is empty,
            only whitespace or NUL bytes, or has whitespace around it.
    """
    if isinstance(secret, (str, bytes)):
        return (_key(secret, provider),)
    if not isinstance(secret, (list, tuple)):
        raise ConfigurationError(
            "A webhook secret must be str or bytes, or a list or tuple of them "
            f"(for key rotation), not {type(secret).__name__}.",
            provider=provider,
        )
    if not secret:
        raise ConfigurationError(
            "An empty list of secrets was given; pass at least one secret.", provider=provider
        )
    items: list[object] | tuple[object, ...] = secret  # pyright: ignore[reportUnknownVariableType]
    return tuple(_key(item, provider) for item in items)


def signing_key(secret: object, *, provider: str | None = None) -> bytes:
    """The key to sign with: ``secret``, or the first (current) one of a rotation list."""
    return normalize_secrets(secret, provider=provider)[0]


def _key(item: object, provider: str | None) -> bytes:
    if isinstance(item, str):
        try:
            key = item.encode("utf-8")  # pragma: no mutate
        except UnicodeEncodeError:  # a lone surrogate: a broken setting, never a real key
            raise ConfigurationError(
                "A webhook secret is a str that cannot be encoded as UTF-8; check the setting.",
                provider=provider,
            ) from None
    elif isinstance(item, bytes):
        key = item
    else:
        raise ConfigurationError(
            f"A webhook secret must be str or bytes, not {type(item).__name__}.",
            provider=provider,
        )
    if not key.strip(_BLANK):
        raise ConfigurationError(
            "A webhook secret is empty, or only whitespace or NUL bytes; check that the "
            "setting or environment variable holding it is set.",
            provider=provider,
        )
    # str.strip() also knows the Unicode spaces (a no-break space pasted with the secret).
    if key != key.strip() or (isinstance(item, str) and item != item.strip()):
        raise _surrounded(provider)
    return key


def _surrounded(provider: str | None) -> ConfigurationError:
    return ConfigurationError(
        "A webhook secret starts or ends with a newline or space; strip it where the "
        "setting is read (a secrets file often ends with a newline).",
        provider=provider,
    )


_BLOCK_SIZE: Final = hashlib.sha256().block_size
# RFC 2104's inner and outer pads, as byte-translation tables: key.translate(_IPAD) is the
# key XOR 0x36 byte by byte (the stdlib hmac module builds the same tables).
_IPAD: Final = bytes(byte ^ 0x36 for byte in range(256))
_OPAD: Final = bytes(byte ^ 0x5C for byte in range(256))
_SHA256_SIZE: Final = hashlib.sha256().digest_size
_HEX_SIZE: Final = 2 * _SHA256_SIZE


class HmacKey:
    """An HMAC-SHA256 key with its key schedule computed once.

    RFC 2104's padded inner and outer hash states are derived here, so each digest costs
    only the hashing of the message.

    ``HmacKey(key).digest(message)`` equals ``hmac.digest(key, message, "sha256")``; the
    tests check it over arbitrary keys and messages and against RFC 4231's vectors.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        """Derive the padded inner and outer hash states of ``key``."""
        if len(key) > _BLOCK_SIZE:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK_SIZE, b"\0")
        self._inner = hashlib.sha256(key.translate(_IPAD))
        self._outer = hashlib.sha256(key.translate(_OPAD))

    def digest(self, message: bytes) -> bytes:
        """The raw HMAC-SHA256 digest of ``message``."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """The raw HMAC-SHA256 digest of ``message`` under ``key``."""
    return HmacKey(key).digest(message)


def as_bytes(body: object, provider: str | None = None, limit: int | None = None) -> bytes:
    """The bytes of a body given as bytes-like or ``str`` (UTF-8), within ``limit`` if given.

    The size is checked before anything is copied or encoded.

    Raises:
        ConfigurationError: ``body`` is not bytes-like or ``str``, or a released memoryview.
        BodyTooLargeError: ``body`` is larger than ``limit``.
        MalformedPayloadError: ``body`` is a ``str`` that cannot be encoded as UTF-8.
    """
    if type(body) is bytes:  # pragma: no mutate
        data = body
    elif isinstance(body, str):
        # A str has at least as many UTF-8 bytes as characters: check before encoding it.
        _check_size(len(body), provider, limit)  # pragma: no mutate
        data = _utf8(body, provider)
    elif isinstance(body, (bytes, bytearray, memoryview)):
        try:
            view = memoryview(cast("bytes", body))  # pragma: no mutate
        except ValueError:  # a memoryview already released
            view = None
        if view is None:
            raise ConfigurationError(
                "The body is a released memoryview; pass the bytes while they are still held.",
                provider=provider,
            )
        _check_size(view.nbytes, provider, limit)  # pragma: no mutate
        data = view.tobytes()
    else:
        raise ConfigurationError(
            f"The body must be the raw request bytes (or str), not {type(body).__name__}; "
            "pass request.body, not parsed JSON.",
            provider=provider,
        )
    _check_size(len(data), provider, limit)
    return data


def _utf8(body: str, provider: str | None) -> bytes:
    try:
        return body.encode("utf-8")  # pragma: no mutate
    except UnicodeEncodeError:
        pass
    # Raised outside the except block: the UnicodeEncodeError holds the whole body, which
    # must not ride along as __context__ into error trackers.
    raise MalformedPayloadError(
        "The webhook body is a str that cannot be encoded as UTF-8; pass the raw bytes.",
        provider=provider,
    )


def _check_size(size: int, provider: str | None, limit: int | None) -> None:
    if limit is not None and size > limit:
        raise BodyTooLargeError(provider=provider, size=size, limit=limit)


@dataclass(frozen=True)
class HexHeaderScheme:
    """A provider that sends the hex HMAC-SHA256 of the raw body in one header.

    An instance is the provider's verifier for :class:`~webhook_payloads.Webhook` and also
    offers the public ``sign``/``verify`` helpers, so signing and verifying cannot drift.

    Attributes:
        provider: The provider id, for errors.
        header: The header's name as the provider documents it.
    """

    provider: str
    header: str

    def prepare(self, keys: tuple[bytes, ...], scheme: object | None) -> Check:
        """The per-request check under ``keys``, with their key schedules computed now.

        Raises:
            ConfigurationError: ``scheme`` is given: this provider has only one.
        """
        self._refuse_scheme(scheme)
        return _HexHeaderCheck(self.provider, HeaderName(self.header), keys).check

    def sign_request(
        self, body: bytes, key: bytes, scheme: object | None
    ) -> tuple[bytes, dict[str, str]]:
        """``body`` unchanged, with the headers the provider would send."""
        self._refuse_scheme(scheme)
        signature = HmacKey(key).digest(body).hex()
        return body, {self.header: signature, "Content-Type": "application/json"}

    def sign(self, body: object, secret: Secrets) -> str:
        """The header value the provider would send for ``body`` (the first secret of a list)."""
        key = signing_key(secret, provider=self.provider)
        return HmacKey(key).digest(as_bytes(body, provider=self.provider)).hex()

    def signed_headers(self, body: object, secret: Secrets) -> dict[str, str]:
        """A headers dict carrying the signature of ``body``, as the provider would send it."""
        key = signing_key(secret, provider=self.provider)
        return self.sign_request(as_bytes(body, provider=self.provider), key, None)[1]

    def verify(self, body: object, headers: Headers | None, secret: Secrets) -> None:
        """Check the signature header of a request against ``secret`` (or several)."""
        check = self.prepare(normalize_secrets(secret, provider=self.provider), None)
        check(as_bytes(body, provider=self.provider), headers)

    def _refuse_scheme(self, scheme: object | None) -> None:
        if scheme is not None:
            raise ConfigurationError(
                f"{self.provider} has a single documented signature scheme; "
                "do not pass signature_scheme.",
                provider=self.provider,
            )


class _HexHeaderCheck:
    """The per-request check of a :class:`HexHeaderScheme` under prepared keys."""

    __slots__ = ("_header", "_keys", "_provider")

    def __init__(self, provider: str, header: HeaderName, keys: tuple[bytes, ...]) -> None:
        self._provider = provider
        self._header = header
        self._keys = tuple(HmacKey(key) for key in keys)

    def check(self, body: bytes, headers: Headers | None) -> None:
        """Raise :class:`SignatureError` unless ``headers`` sign ``body`` under a key."""
        text = header_value(headers, self._header)
        if text is None:
            raise SignatureError(
                f"The {self._header.name} header is missing; this request was not signed "
                f"by {self._provider}.",
                provider=self._provider,
                reason="missing",
            )
        # Decoded, so upper- and lower-case hex are one value. fromhex() skips spaces
        # between pairs: 64 characters that hold one decode to fewer than 32 bytes.
        if len(text) != _HEX_SIZE:
            text = text.strip()
        received = b""  # pragma: no mutate
        if len(text) == _HEX_SIZE:
            try:
                received = bytes.fromhex(text)
            except ValueError:
                received = b""  # pragma: no mutate
        if len(received) != _SHA256_SIZE:
            raise SignatureError(
                f"The {self._header.name} header is not a hex HMAC-SHA256 digest "
                "(64 hex characters).",
                provider=self._provider,
                reason="malformed",
            )
        matched = False
        for key in self._keys:
            # Every key is tried, so the time taken does not reveal which one matched.
            matched |= hmac.compare_digest(key.digest(body), received)
        if not matched:
            raise SignatureError(
                f"The {self._header.name} header does not match the body under any "
                "configured secret; check the secret, and that the body is passed exactly "
                "as received.",
                provider=self._provider,
                reason="mismatch",
            )
