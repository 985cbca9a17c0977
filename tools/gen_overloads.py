"""Write the per-provider ``@overload``s of ``parse()``, ``Webhook`` and the receivers.

    python tools/gen_overloads.py          # rewrite the generated blocks in place
    python tools/gen_overloads.py --check  # exit 1, naming the stale files, if one is stale

Mapping a provider id to its event union is the one job type checkers need overloads for:
``parse("payscore", ...)`` is a ``PayscoreEvent``. So that a provider is added in one place
(its package and its entry in ``_registry.py``), those overloads are written from the
registry, between the lines ``# BEGIN generated imports`` / ``# END generated imports`` and
``# BEGIN generated overloads`` / ``# END generated overloads`` of the files in
:data:`TARGETS`; everything else in those files is written by hand, the catch-all overload
for a plain ``str`` included. The options every provider takes alike are one
``**options: Unpack[...]`` per overload (``WebhookOptions``, ``ReceiverOptions``), so an
option is added to its ``TypedDict`` and to the implementation, not to each overload.
``tests/test_overloads.py`` fails when a block is stale.

What each provider's overloads need is read from the registry and its package:

* its event union: the name under which the package exports the spec's ``union``;
* its ``signature_scheme`` type: the class of the spec's ``named_schemes`` (AndDone), else
  ``object``;
* whether receivers take ``callback_key``: the package exports ``verify_callback_url``
  (Mastercard report webhooks), and the receiver then hands the handler the reference.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "webhook_payloads"
sys.path.insert(0, str(ROOT / "src"))  # the checkout's package, not another installed one

from webhook_payloads._registry import _SPEC_MODULES, get_spec  # noqa: E402 - after the path

BEGIN = "# BEGIN generated {kind}"
END = "# END generated {kind}"
POINTER = " (tools/gen_overloads.py writes them from the provider registry)"


@dataclass(frozen=True)
class ProviderTypes:
    """What one provider's overloads name, read from the registry and its package."""

    id: str
    member: str  # the Provider member, PAYSCORE_V1
    package: str  # the package below webhook_payloads, payscore_v1
    union: str  # the event union the package exports, PayscoreV1Event
    scheme: str | None  # the signature scheme class the package exports, or None
    callback: bool  # receivers take callback_key= (a callbackUrl token)

    @property
    def literal(self) -> str:
        """The provider argument's type: its id or its ``Provider`` member."""
        return f'Literal["{self.id}", Provider.{self.member}]'

    @property
    def imports(self) -> tuple[str, ...]:
        """The names the overloads import from the provider's package."""
        return tuple(sorted({self.union, self.scheme or self.union}))


def _exported_name(module: object, value: object, what: str) -> str:
    names = [name for name in getattr(module, "__all__", ()) if getattr(module, name) is value]
    if len(names) != 1:
        raise SystemExit(
            f"{getattr(module, '__name__', module)} must export its {what} under one name "
            f"in __all__ (found {names or 'none'})."
        )
    return names[0]


def provider_types() -> list[ProviderTypes]:
    """Every registered provider's overload types, in registry order."""
    found: list[ProviderTypes] = []
    for provider, path in _SPEC_MODULES.items():
        spec = get_spec(provider)
        module = importlib.import_module(path)
        schemes = {type(scheme) for scheme in spec.named_schemes.values()}
        if len(schemes) > 1:
            raise SystemExit(f"{path}: every named signature scheme must be of one class.")
        scheme = (
            _exported_name(module, schemes.pop(), "signature scheme class") if schemes else None
        )
        found.append(
            ProviderTypes(
                id=spec.name,
                member=provider.name,
                package=path.rpartition(".")[2],
                union=_exported_name(module, spec.union, "event union"),
                scheme=scheme,
                callback="verify_callback_url" in getattr(module, "__all__", ()),
            )
        )
    return found


@dataclass(frozen=True)
class Variant:
    """One overload of a provider: the options that pick it, and the result's type."""

    allow_unknown: str  # "Literal[False] = False" or "bool"
    callback_key: str | None  # "None = None", "Secrets", or None where there is no such option
    result: str  # the event type: PayscoreEvent, PayscoreEvent | UnknownEvent


def variants(provider: ProviderTypes, *, receiver: bool) -> list[Variant]:
    """The overloads of ``provider``: strict and lenient, without and with ``callback_key``."""
    keys: list[str | None] = [None]
    if receiver:
        keys = ["None = None", "Secrets"] if provider.callback else ["None = None"]
    return [
        Variant(allow_unknown, key, result)
        for key in keys
        for allow_unknown, result in (
            ("Literal[False] = False", provider.union),
            ("bool", f"{provider.union} | UnknownEvent"),
        )
    ]


@dataclass(frozen=True)
class Target:
    """One function's overloads in one file."""

    path: str  # relative to src/webhook_payloads
    function: str
    indent: str
    leading: tuple[str, ...]  # the parameters before the options that differ, with "*"
    options: str  # the shared options' TypedDict
    result: Callable[[Variant], str]  # the return annotation of an overload
    receiver: bool = True  # a framework receiver, which takes callback_key=
    quoted: bool = False  # annotations are evaluated at run time: quote typing-only names

    def overloads(self, provider: ProviderTypes) -> list[str]:
        """The lines of ``provider``'s overloads."""
        lines: list[str] = []
        scheme = f"{provider.scheme or 'object'} | None"
        if self.quoted and provider.scheme:
            scheme = f'"{scheme}"'
        for variant in variants(provider, receiver=self.receiver):
            params = [
                part.format(result=self.result(variant), literal=provider.literal)
                for part in self.leading
            ]
            params += [
                f"allow_unknown: {variant.allow_unknown}",
                f"signature_scheme: {scheme} = None",
            ]
            if variant.callback_key is not None:
                key = variant.callback_key
                if self.quoted and key == "Secrets":
                    key = '"Secrets"'
                params.append(f"callback_key: {key}")
            params.append(f"**options: Unpack[{self.options}]")
            returns = "None" if self.function == "__init__" else self.result(variant)
            lines.append(f"{self.indent}@overload")
            lines.append(f"{self.indent}def {self.function}(")
            lines.extend(f"{self.indent}    {param}," for param in params)
            lines.append(f"{self.indent}) -> {returns}: ...")
        return lines

    def imports(self, providers: Sequence[ProviderTypes]) -> list[str]:
        """The typing-only imports of the providers' unions (and scheme classes)."""
        dots = "." * (len(Path(self.path).parts))
        return [
            f"    from {dots}{provider.package} import {', '.join(provider.imports)}"
            for provider in sorted(providers, key=lambda provider: provider.package)
        ]


def _quoted(text: str) -> str:
    return f'"{text}"'


TARGETS: tuple[Target, ...] = (
    Target(
        "_webhook.py",
        "__init__",
        "    ",
        ("self: Webhook[{result}]", "provider: {literal}", "*"),
        "WebhookOptions",
        lambda variant: variant.result,
        receiver=False,
    ),
    Target(
        "_parse.py",
        "parse",
        "",
        ("provider: {literal}", "body: Body", "headers: Headers | None = None", "*"),
        "WebhookOptions",
        lambda variant: variant.result,
        receiver=False,
    ),
    Target(
        "integrations/django/_views.py",
        "webhook_view",
        "",
        ("provider: {literal}", "*"),
        "ViewOptions",
        lambda variant: (
            f"CallbackViewDecorator[{variant.result}]"
            if variant.callback_key == "Secrets"
            else f"ViewDecorator[{variant.result}]"
        ),
    ),
    Target(
        "integrations/flask.py",
        "webhook_handler",
        "",
        ("provider: {literal}", "*"),
        "StoreReceiverOptions",
        lambda variant: (
            f"CallbackHandlerDecorator[{variant.result}]"
            if variant.callback_key == "Secrets"
            else f"HandlerDecorator[{variant.result}]"
        ),
    ),
    Target(
        "integrations/starlette.py",
        "webhook_event",
        "",
        ("provider: {literal}", "*"),
        "StoreReceiverOptions",
        lambda variant: _quoted(
            f"CallbackDependency[{variant.result}]"
            if variant.callback_key == "Secrets"
            else f"WebhookDependency[{variant.result}]"
        ),
        quoted=True,
    ),
)


def _replace(text: str, kind: str, lines: list[str], path: str) -> str:
    """``text`` with the lines between the ``kind`` markers replaced by ``lines``."""
    source = text.splitlines(keepends=True)
    opening, closing = BEGIN.format(kind=kind), END.format(kind=kind)
    begin = [i for i, line in enumerate(source) if line.strip().startswith(opening)]
    end = [i for i, line in enumerate(source) if line.strip() == closing]
    if len(begin) != 1 or len(end) != 1 or end[0] < begin[0]:
        raise SystemExit(f"{path}: needs one line '{opening}...', then one '{closing}'.")
    first = source[begin[0]]
    head = f"{first[: len(first) - len(first.lstrip())]}{opening}{POINTER}\n"
    body = [f"{line}\n" for line in lines]
    # Blank lines before the closing marker are the formatter's (it sets a comment that
    # opens the next group of imports apart): keep them, so that formatting is stable.
    blank = 0
    while end[0] - blank - 1 > begin[0] and not source[end[0] - blank - 1].strip():
        blank += 1
    return "".join([*source[: begin[0]], head, *body, *["\n"] * blank, *source[end[0] :]])


def render(target: Target, text: str, providers: Sequence[ProviderTypes]) -> str:
    """``text`` (the target file's) with its generated blocks as they should be."""
    text = _replace(text, "imports", target.imports(providers), target.path)
    overloads = [line for provider in providers for line in target.overloads(provider)]
    return _replace(text, "overloads", overloads, target.path)


def stale(providers: Sequence[ProviderTypes] | None = None) -> dict[Path, str]:
    """Each target file whose generated blocks differ from the registry's, with its new text."""
    providers = provider_types() if providers is None else providers
    changed: dict[Path, str] = {}
    for target in TARGETS:
        path = PACKAGE / target.path
        text = path.read_text(encoding="utf-8")
        new = render(target, text, providers)
        if new != text:
            changed[path] = new
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite the stale blocks, or with ``--check`` list them and exit 1."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    changed = stale()
    for path, text in changed.items():
        shown = path.relative_to(ROOT)
        if args.check:
            print(f"stale: {shown}")  # noqa: T201 - a command-line tool's output
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {shown}")  # noqa: T201 - a command-line tool's output
    if args.check and changed:
        print("Run: python tools/gen_overloads.py")  # noqa: T201 - a command-line tool's output
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
