"""What the security tests know about providers, all of it read from the registry.

Nothing here names a provider: a provider registered later (with its samples) is covered by
every test in this folder the moment it is merged.

Signature schemes: a provider whose verifier takes a ``signature_scheme`` lists every named
value it accepts in its registry spec's ``named_schemes``; providers with none accept only
``None``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

from webhook_payloads import _registry
from webhook_payloads._registry import Provider, Verifier, get_spec
from webhook_payloads._samples import sample_body, sample_names

# Hex text: a provider may decode its key from hex (AndDone asks for hex keys).
KEY = b"0123456789abcdef0123456789abcdef"
OTHER_KEY = b"fedcba9876543210fedcba9876543210"
THIRD_KEY = b"00112233445566778899aabbccddeeff"


def providers() -> list[Provider]:
    """Every provider ``parse()`` accepts."""
    return _registry.registered_providers()


def module(provider: Provider) -> ModuleType:
    """The provider's module (the one defining ``SPEC``)."""
    return importlib.import_module(_registry._SPEC_MODULES[provider])


def signed_providers() -> list[Provider]:
    """The providers that sign their webhooks."""
    return [p for p in providers() if get_spec(p).verifier is not None]


def unsigned_providers() -> list[Provider]:
    """The providers that sign nothing."""
    return [p for p in providers() if get_spec(p).verifier is None]


def verifier(provider: Provider) -> Verifier:
    """The provider's verifier (only for signed providers)."""
    found = get_spec(provider).verifier
    assert found is not None, provider
    return found


def schemes(provider: Provider) -> tuple[object, ...]:
    """Every ``signature_scheme`` value the provider accepts."""
    return tuple(get_spec(provider).named_schemes.values()) or (None,)


def default_scheme(provider: Provider) -> object:
    """The first ``signature_scheme`` the provider accepts (``None`` where it has one)."""
    return schemes(provider)[0]


def samples(provider: Provider) -> list[tuple[str, bytes]]:
    """(event type, documented example body) for each packaged sample of ``provider``."""
    return [(name, sample_body(provider, name)) for name in sample_names(provider)]


def all_samples(among: Iterable[Provider] | None = None) -> list[tuple[Provider, str, bytes]]:
    """(provider, event type, body) over every sample of every provider (or of ``among``)."""
    return [(p, name, body) for p in (among or providers()) for name, body in samples(p)]


def scheme_id(scheme: object) -> str:
    """A short, readable test id for a scheme."""
    return "default" if scheme is None else str(getattr(scheme, "name", scheme))[:40]


def signing_params() -> list[tuple[Provider, object]]:
    """(provider, scheme) for every signed provider and every scheme it accepts."""
    return [(p, s) for p in signed_providers() for s in schemes(p)]


def signing_ids() -> list[str]:
    """Test ids matching :func:`signing_params`."""
    return [f"{p.value}-{scheme_id(s)}" for p, s in signing_params()]
