"""``parse()``: the one-call form of :class:`~webhook_payloads.Webhook`."""

from __future__ import annotations

from contextlib import suppress
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, Literal, cast, overload

from ._registry import Provider
from ._types import DEFAULT_MAX_BODY_SIZE
from ._webhook import Webhook
from .exceptions import WebhookError

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._base import UnknownEvent, WebhookEvent
    from ._types import Body, Headers, Secrets, WebhookOptions

    # BEGIN generated imports (tools/gen_overloads.py writes them from the provider registry)
    from .anddone import AndDoneEvent, SignatureScheme
    from .mastercard import MastercardEvent
    from .mastercard_connect import MastercardConnectEvent
    from .payscore import PayscoreEvent
    from .payscore_v1 import PayscoreV1Event
    # END generated imports

__all__ = ["parse"]


# BEGIN generated overloads (tools/gen_overloads.py writes them from the provider registry)
@overload
def parse(
    provider: Literal["mastercard", Provider.MASTERCARD],
    body: Body,
    headers: Headers | None = None,
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    **options: Unpack[WebhookOptions],
) -> MastercardEvent: ...
@overload
def parse(
    provider: Literal["mastercard", Provider.MASTERCARD],
    body: Body,
    headers: Headers | None = None,
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    **options: Unpack[WebhookOptions],
) -> MastercardEvent | UnknownEvent: ...
@overload
def parse(
    provider: Literal["payscore", Provider.PAYSCORE],
    body: Body,
    headers: Headers | None = None,
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    **options: Unpack[WebhookOptions],
) -> PayscoreEvent: ...
@overload
def parse(
    provider: Literal["payscore", Provider.PAYSCORE],
    body: Body,
    headers: Headers | None = None,
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    **options: Unpack[WebhookOptions],
) -> PayscoreEvent | UnknownEvent: ...
@overload
def parse(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    body: Body,
    headers: Headers | None = None,
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    **options: Unpack[WebhookOptions],
) -> PayscoreV1Event: ...
@overload
def parse(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    body: Body,
    headers: Headers | None = None,
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    **options: Unpack[WebhookOptions],
) -> PayscoreV1Event | UnknownEvent: ...
@overload
def parse(
    provider: Literal["anddone", Provider.ANDDONE],
    body: Body,
    headers: Headers | None = None,
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: SignatureScheme | None = None,
    **options: Unpack[WebhookOptions],
) -> AndDoneEvent: ...
@overload
def parse(
    provider: Literal["anddone", Provider.ANDDONE],
    body: Body,
    headers: Headers | None = None,
    *,
    allow_unknown: bool,
    signature_scheme: SignatureScheme | None = None,
    **options: Unpack[WebhookOptions],
) -> AndDoneEvent | UnknownEvent: ...
@overload
def parse(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    body: Body,
    headers: Headers | None = None,
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    **options: Unpack[WebhookOptions],
) -> MastercardConnectEvent: ...
@overload
def parse(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    body: Body,
    headers: Headers | None = None,
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    **options: Unpack[WebhookOptions],
) -> MastercardConnectEvent | UnknownEvent: ...
# END generated overloads
@overload
def parse(
    provider: str | Provider,
    body: Body,
    headers: Headers | None = None,
    *,
    allow_unknown: bool = False,
    signature_scheme: object | None = None,
    **options: Unpack[WebhookOptions],
) -> WebhookEvent | UnknownEvent: ...
def parse(
    provider: str | Provider,
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: bool = False,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: object | None = None,
) -> WebhookEvent | UnknownEvent:
    """Verify a webhook request and turn it into the provider's typed event.

    The same as ``Webhook(provider, secret=..., ...).parse(body, headers)``. The
    ``Webhook`` built for a set of options is kept in a small cache, so repeated calls with
    the same options do not redo its set-up; an app that receives many requests can build
    its ``Webhook`` once itself.

    The work is done in this order: the body-size limit, the signature over the raw bytes
    (nothing is re-serialised first), then JSON decoding and validation in one pass.

    Args:
        provider: Whose webhook this is: ``"mastercard"``, ``"mastercard_connect"``,
            ``"payscore"``, ``"payscore_v1"``, ``"anddone"``, or a :class:`Provider` member.
        body: The raw body exactly as received (``request.body``, ``request.get_data()``,
            ``await request.body()``); a ``str`` is encoded as UTF-8.
        headers: The request headers, any mapping, looked up case-insensitively.
        secret: The signing secret, or a list or tuple of them to allow key rotation.
        verify: ``False`` skips signature checking. It must be written out: a signed
            provider with no secret raises :class:`ConfigurationError` instead.
        allow_unknown: Return an :class:`UnknownEvent` for event types this library does not
            know, instead of raising :class:`UnknownEventError`.
        max_body_size: Refuse bodies larger than this many bytes.
        signature_scheme: Provider-specific choices about how the signature is built (only
            AndDone, whose construction is not published, has any).

    Returns:
        An instance of one of the provider's event classes.

    Raises:
        ConfigurationError: The call is wrong (no secret for a signed provider, a secret for
            an unsigned one, an unknown provider id, a body that is not bytes or str).
        SignatureError: The signature is missing, malformed, or does not match.
        PayloadError: The body is too large, not a JSON object, or not a valid event.

    Example:
        >>> from webhook_payloads import parse
        >>> from webhook_payloads.payscore import signed_headers
        >>> body = b'{"code": "VERIFICATION_STARTED", "verification_id": "v-1"}'
        >>> headers = signed_headers(body, "s3cr3t")
        >>> parse("payscore", body, headers, secret="s3cr3t")
        VerificationStarted(code='VERIFICATION_STARTED', verification_id='v-1')
    """
    # A list of secrets is unhashable; the same secrets as a tuple are the same options.
    key: object = tuple(secret) if type(secret) is list else secret
    # Most calls leave every option but the secret at its default (the default objects
    # themselves, hence "is"): two dict lookups find their Webhook, and nothing is
    # allocated (a key tuple per call would also mean more garbage-collector passes). Only
    # exact types are looked up, as in the typed cache below, so that a stand-in which
    # compares equal (memoryview(b"k") == b"k") is never served another type's Webhook.
    if (
        verify is True
        and allow_unknown is False
        and max_body_size is DEFAULT_MAX_BODY_SIZE
        and signature_scheme is None
        and type(provider) in _PROVIDER_TYPES
        and type(key) in _SECRET_TYPES
        and (type(key) is not tuple or _exact_secrets(cast("tuple[object, ...]", key)))
    ):
        by_secret = _DEFAULTS.get(provider)
        try:
            found = None if by_secret is None else by_secret.get(key)
        except TypeError:  # a tuple holding something unhashable
            found = None
        # Built outside the except block: an error raised there would carry the lookup's
        # exception, and with it the secret, as its __context__ into tracebacks.
        if found is None:
            found = _configured(provider, secret, key, verify, allow_unknown, max_body_size)
            _keep(provider, key, found)
        webhook = found
    else:
        webhook = _configured(
            provider, secret, key, verify, allow_unknown, max_body_size, signature_scheme
        )
    event: WebhookEvent | UnknownEvent = webhook.parse(body, headers)
    return event


_MAX_CACHED: Final = 64
"""How many ``Webhook`` objects each of ``parse()``'s two caches keeps."""

_DEFAULTS: Final[dict[str, dict[object, Webhook[Any]]]] = {}
"""By provider, then secret: the ``Webhook`` with every other option at its default."""

# The exact types the lookup above takes. A Provider member equals and hashes as its id,
# and builds the same Webhook. A secret's tuple is keyed by value, as in the typed cache.
_PROVIDER_TYPES: Final = frozenset({str, Provider})
_SECRET_TYPES: Final = frozenset({str, bytes, tuple, type(None)})


def _keep(provider: str, key: object, webhook: Webhook[Any]) -> None:
    """Keep ``webhook`` for the lookup in :func:`parse`, up to ``_MAX_CACHED`` of them."""
    if sum(map(len, _DEFAULTS.values())) >= _MAX_CACHED:
        return
    with suppress(TypeError):  # an unhashable secret is not kept
        _DEFAULTS.setdefault(provider, {})[key] = webhook


def _configured(  # noqa: PLR0917 - parse()'s options, in its order
    provider: str | Provider,
    secret: Any,
    key: object,
    verify: bool,
    allow_unknown: bool,
    max_body_size: int,
    scheme: object | None = None,
) -> Webhook[Any]:
    """The ``Webhook`` for these options (``key`` is ``secret`` made hashable), cached."""
    options = (provider, key, verify, allow_unknown, max_body_size, scheme)  # pragma: no mutate
    # typed=True types the tuple of a rotation, not its secrets: those must be exact too.
    cacheable = type(key) is not tuple or _exact_secrets(cast("tuple[object, ...]", key))
    try:
        if cacheable:
            return _webhook(*options)  # pragma: no mutate
    except WebhookError:
        raise
    except Exception:  # noqa: BLE001,S110 - an option whose hash fails, see below
        pass
    # An unhashable option (a dict or a set as secret, say) cannot be a cache key, nor can a
    # rotation holding other types: building the Webhook uncached raises the
    # ConfigurationError that explains it.
    return _webhook.__wrapped__(provider, secret, verify, allow_unknown, max_body_size, scheme)


def _exact_secrets(secrets: tuple[object, ...]) -> bool:
    """Whether every secret of a rotation is exactly ``str`` or ``bytes``.

    A tuple compares and hashes by its items, so ``(memoryview(b"k"),)`` would find the
    ``Webhook`` cached for ``(b"k",)`` and skip the refusal a fresh one gives.
    """
    return all(type(secret) is str or type(secret) is bytes for secret in secrets)


def clear_caches() -> None:
    """Forget every cached ``Webhook`` (for tests)."""
    _DEFAULTS.clear()
    _webhook.cache_clear()


# typed=True keeps verify=1 apart from verify=True: the Webhook refuses the first.
@lru_cache(maxsize=_MAX_CACHED, typed=True)
def _webhook(  # noqa: PLR0917 - positional arguments, so that lru_cache keys each by type
    provider: str | Provider,
    secret: Any,
    verify: bool,
    allow_unknown: bool,
    max_body_size: int,
    signature_scheme: object | None,
) -> Webhook[Any]:
    return Webhook(
        provider,
        secret=secret,
        verify=verify,
        allow_unknown=allow_unknown,
        max_body_size=max_body_size,
        signature_scheme=signature_scheme,
    )
