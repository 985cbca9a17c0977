"""HMAC signing and verification shared by the providers that sign with a hex header.

Signing and verifying are the same code path (:func:`hmac_sha256`), so a request made with
:func:`sign_hex` verifies exactly when a real one would.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeAlias

from ._headers import header_values
from .exceptions import ConfigurationError, MalformedPayloadError, SignatureError

if TYPE_CHECKING:
    from ._headers import Headers

__all__ = [
    "HexHeaderScheme",
    "Secret",
    "Secrets",
    "as_bytes",
    "hmac_sha256",
    "normalize_secrets",
    "verify_hex",
]

Secret: TypeAlias = str | bytes
"""One signing secret: ``str`` (encoded as UTF-8) or ``bytes``."""

Secrets: TypeAlias = str | bytes | Sequence[str | bytes]
"""One secret, or several to allow key rotation (any one matching is enough)."""

_SHA256_SIZE = hashlib.sha256().digest_size


def normalize_secrets(secret: Secrets, *, provider: str | None = None) -> tuple[bytes, ...]:
    """Turn one secret or a sequence of them into a non-empty tuple of non-empty keys.

    Raises:
        ConfigurationError: No secret was given, or one of them is empty or not str/bytes.
    """
    # One non-empty secret is what nearly every call passes: return it without the loop.
    # The type tests only choose this shortcut; the general code below gives the same answer
    # (equivalent mutants), as does "UTF-8" for "utf-8".
    if type(secret) is str and secret and not secret.isspace():  # pragma: no mutate
        return (_utf8_key(secret, provider),)
    items: Sequence[object]
    if isinstance(secret, (str, bytes, bytearray)):
        items = [secret]
    else:
        try:
            items = list(secret)
        except TypeError:  # from untyped code: a number, an object, ...
            raise ConfigurationError(
                "A webhook secret must be str or bytes, or a sequence of them, "
                f"not {type(secret).__name__}.",
                provider=provider,
            ) from None
    keys: list[bytes] = []
    for item in items:
        if isinstance(item, str):
            key = _utf8_key(item, provider)
        elif isinstance(item, (bytes, bytearray)):
            key = bytes(item)
        else:
            raise ConfigurationError(
                f"A webhook secret must be str or bytes, not {type(item).__name__}.",
                provider=provider,
            )
        # Only whitespace is as good as empty: an environment variable or secret file
        # holding a newline is a setting that was never filled in.
        if not key.strip():
            raise ConfigurationError(
                "A webhook secret is empty or only whitespace; check that the setting or "
                "environment variable holding it is set.",
                provider=provider,
            )
        keys.append(key)
    if not keys:
        raise ConfigurationError(
            "An empty sequence of secrets was given; pass at least one secret.",
            provider=provider,
        )
    return tuple(keys)


def _utf8_key(secret: str, provider: str | None) -> bytes:
    try:
        # Codec names are case-insensitive: "UTF-8" is the same codec (equivalent mutant).
        return secret.encode("utf-8")  # pragma: no mutate
    except UnicodeEncodeError:  # a lone surrogate: a broken setting, never a real key
        raise ConfigurationError(
            "A webhook secret is a str that cannot be encoded as UTF-8; check the setting.",
            provider=provider,
        ) from None


_BLOCK_SIZE: Final = hashlib.sha256().block_size
# RFC 2104's inner and outer pads, as byte-translation tables: key.translate(_IPAD) is the
# key XOR 0x36 byte by byte (the stdlib hmac module builds the same tables).
_IPAD: Final = bytes(byte ^ 0x36 for byte in range(256))
_OPAD: Final = bytes(byte ^ 0x5C for byte in range(256))


def hmac_sha256(key: bytes, body: bytes | bytearray | memoryview) -> bytes:
    """The raw HMAC-SHA256 digest of ``body`` under ``key`` (RFC 2104).

    The same digest as ``hmac.digest(key, body, "sha256")``, which the tests check over
    arbitrary keys and bodies and against RFC 4231's vectors. It is built from ``hashlib``
    because, with OpenSSL 3, ``hmac.digest`` and ``hmac.new`` set up a MAC context on every
    call, which costs more than hashing a typical webhook body (about 1.4 us against 0.9 us
    here for 240 bytes); this runs on every signed request.
    """
    if len(key) > _BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK_SIZE, b"\0")
    inner = hashlib.sha256(key.translate(_IPAD))
    inner.update(body)
    return hashlib.sha256(key.translate(_OPAD) + inner.digest()).digest()


def verify_hex(
    body: bytes,
    received: Sequence[str],
    keys: Sequence[bytes],
    provider: str,
    header: str,
) -> None:
    """Check a hex HMAC-SHA256 signature header against every key.

    Args:
        body: The raw body as received.
        received: Every value of the signature header found in the request.
        keys: The secrets to try (key rotation: any one matching is enough).
        provider: The provider id, for the error.
        header: The header's name, for the error message.

    Raises:
        SignatureError: The header is missing, repeated, not 32 bytes of hex, or matches no key.
    """
    if not received:
        raise SignatureError(
            f"The {header} header is missing; this request was not signed by {provider}.",
            provider=provider,
            reason="missing",
        )
    if len(received) > 1:
        raise SignatureError(
            f"The {header} header appears {len(received)} times; a genuine request has one.",
            provider=provider,
            reason="malformed",
        )
    text = received[0].strip()
    # Any placeholder of the wrong length is refused below (equivalent mutants).
    digest = b""  # pragma: no mutate
    if len(text) == 2 * _SHA256_SIZE:
        try:
            # Decoding compares the digests' meaning: upper- and lower-case hex are one value.
            digest = bytes.fromhex(text)
        except ValueError:
            digest = b""  # pragma: no mutate
    if len(digest) != _SHA256_SIZE:
        raise SignatureError(
            f"The {header} header is not a hex HMAC-SHA256 digest (64 hex characters).",
            provider=provider,
            reason="malformed",
        )
    if len(keys) == 1:
        # One secret, as nearly every call has: the loop below, without the loop.
        matched = hmac.compare_digest(hmac_sha256(keys[0], body), digest)
    else:
        matched = False
        for key in keys:
            # Try every key, not just until the first match, so the time taken does not
            # depend on which key (if any) matched.
            matched |= hmac.compare_digest(hmac_sha256(key, body), digest)
    if not matched:
        raise SignatureError(
            f"The {header} header does not match the body under any configured secret; "
            "check the secret, and that the body is passed exactly as received.",
            provider=provider,
            reason="mismatch",
        )


def as_bytes(body: bytes | bytearray | memoryview | str) -> bytes:
    """The bytes of a body given as bytes-like or ``str`` (UTF-8)."""
    if isinstance(body, str):
        try:
            # Codec names are case-insensitive: "UTF-8" is the same codec (equivalent mutant).
            return body.encode("utf-8")  # pragma: no mutate
        except UnicodeEncodeError:
            raise MalformedPayloadError(
                "The webhook body is a str that cannot be encoded as UTF-8; pass the raw bytes."
            ) from None
    return bytes(body)


@dataclass(frozen=True)
class HexHeaderScheme:
    """A provider that sends the hex HMAC-SHA256 of the raw body in one header.

    An instance is the provider's ``Verifier`` for ``parse()`` and also offers the public
    ``sign``/``verify`` helpers, so signing and verifying cannot drift apart.

    Attributes:
        provider: The provider id, for errors.
        header: The header's name as the provider documents it.
    """

    provider: str
    header: str
    lower_header: str = field(init=False, repr=False, compare=False)
    """``header`` in lower case, as :func:`header_values` looks it up (derived once)."""

    def __post_init__(self) -> None:
        """Derive :attr:`lower_header` when the scheme is made, not on every request."""
        # Schemes are made when their provider's module is imported, before a mutation test
        # can switch a mutant on, so no mutant of this line can run (hence the pragma); the
        # contract tests make their own scheme and check its lookups.
        object.__setattr__(self, "lower_header", self.header.lower())  # pragma: no mutate

    def __call__(
        self,
        body: bytes,
        headers: Headers | None,
        keys: tuple[bytes, ...],
        scheme: object | None,
    ) -> None:
        """Verify for ``parse()``: there is one scheme, so ``scheme`` must be ``None``."""
        if scheme is not None:
            raise ConfigurationError(
                f"{self.provider} has a single documented signature scheme; "
                "do not pass signature_scheme.",
                provider=self.provider,
            )
        # Arguments by position: this runs on every signed request, and keywords cost more.
        verify_hex(
            body,
            # The documented spelling only speeds a dict up (equivalent mutants).
            header_values(headers, self.lower_header, self.header),  # pragma: no mutate
            keys,
            self.provider,
            self.header,
        )

    def sign_request(
        self, body: bytes, key: bytes, scheme: object | None
    ) -> tuple[bytes, dict[str, str]]:
        """``body`` unchanged, with the headers the provider would send (``Verifier`` API)."""
        if scheme is not None:
            raise ConfigurationError(
                f"{self.provider} has a single documented signature scheme; "
                "do not pass signature_scheme.",
                provider=self.provider,
            )
        return body, {self.header: hmac_sha256(key, body).hex(), "Content-Type": "application/json"}

    def sign(self, body: bytes | bytearray | memoryview | str, secret: Secret) -> str:
        """The header value the provider would send for ``body`` under ``secret``."""
        (key,) = normalize_secrets(secret, provider=self.provider)
        return hmac_sha256(key, as_bytes(body)).hex()

    def signed_headers(
        self, body: bytes | bytearray | memoryview | str, secret: Secret
    ) -> dict[str, str]:
        """A headers dict carrying the signature of ``body``, as the provider would send it."""
        (key,) = normalize_secrets(secret, provider=self.provider)
        return self.sign_request(as_bytes(body), key, None)[1]

    def verify(
        self,
        body: bytes | bytearray | memoryview | str,
        headers: Headers | None,
        secret: Secrets,
    ) -> None:
        """Check the signature header of a request against ``secret`` (or several)."""
        keys = normalize_secrets(secret, provider=self.provider)
        self(as_bytes(body), headers, keys, None)
