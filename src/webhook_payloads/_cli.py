"""The ``webhook-payloads`` command: parse a webhook body, or send one to a local app.

Exit statuses: 0 parsed (``send``: the app answered 2xx); 1 ``send``: the app answered
another status; 2 usage error; 65 payload error; 69 ``send``: no answer (refused, timed
out); 74 the output could not be written; 77 signature error; 78 configuration error (for
example, a missing secret).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from http import HTTPStatus
from http.client import HTTPResponse
from typing import Any, Final, TextIO

from ._base import UnknownEvent, WebhookEvent
from ._parse import parse
from ._registry import Provider, get_spec
from ._samples import sample_body, sample_names
from ._schema import json_schema
from ._types import DEFAULT_MAX_BODY_SIZE
from ._version import __version__
from .exceptions import (
    ConfigurationError,
    PayloadError,
    PayloadValidationError,
    SignatureError,
    UnknownEventError,
    WebhookError,
)

__all__ = [
    "EXIT_CONFIG",
    "EXIT_NOT_2XX",
    "EXIT_OUTPUT",
    "EXIT_PAYLOAD",
    "EXIT_SIGNATURE",
    "EXIT_UNAVAILABLE",
    "main",
]

EXIT_NOT_2XX: Final = 1
"""``send``: the app answered, with a status other than 2xx."""
EXIT_UNAVAILABLE: Final = 69
"""``send``: no answer: the connection was refused or timed out (sysexits ``EX_UNAVAILABLE``)."""

EXIT_PAYLOAD: Final = 65
"""The body is not a valid webhook (sysexits ``EX_DATAERR``)."""
EXIT_OUTPUT: Final = 74
"""The output could not be written: a full disk, a closed pipe (sysexits ``EX_IOERR``)."""
EXIT_SIGNATURE: Final = 77
"""The signature is missing, malformed or wrong (sysexits ``EX_NOPERM``)."""
EXIT_CONFIG: Final = 78
"""The command was given a wrong configuration, e.g. no secret (sysexits ``EX_CONFIG``)."""

_PROVIDERS: Final = [p.value for p in Provider]
_MAX_SHOWN: Final = 64 * 1024  # of a response body


def _positive(text: str) -> int:
    value = int(text)  # argparse reports a ValueError as "invalid _positive value"
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of bytes, not {value}")
    return value


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="webhook-payloads",
        description="Verify and parse provider webhooks into typed events.",
        epilog="Exit status: 0 parsed or answered 2xx, 1 answered another status, "
        "65 payload error, 69 no answer, 77 signature error, 78 configuration error, "
        "74 output not written, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "parse",
        help="verify and parse one webhook body, print the event as JSON",
        description="Verify and parse one webhook body and print the event as JSON.",
    )
    p.set_defaults(usage=p)  # usage errors show this command's usage, not the program's
    p.add_argument("provider", choices=_PROVIDERS, metavar="PROVIDER", help=", ".join(_PROVIDERS))
    p.add_argument(
        "file", nargs="?", default=None, metavar="FILE", help="the raw body; '-' or none: stdin"
    )
    p.add_argument(
        "--sample",
        metavar="EVENT",
        help="parse the provider's documented example of EVENT instead of FILE",
    )
    p.add_argument(
        "--secret-env",
        metavar="VAR",
        action="append",
        default=[],
        help="read the secret from environment variable VAR (repeat for key rotation)",
    )
    p.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a request header, such as the signature header (repeatable)",
    )
    p.add_argument(
        "--signature-scheme",
        metavar="NAME",
        help="the signature construction, for providers that need one chosen (AndDone): "
        "SIGNED:KEY such as body_without_signature:hex_decoded",
    )
    p.add_argument("--no-verify", action="store_true", help="skip signature verification")
    p.add_argument(
        "--allow-unknown",
        action="store_true",
        help="print unknown event types as a generic event instead of failing",
    )
    p.add_argument(
        "--max-body-size",
        type=_positive,
        default=DEFAULT_MAX_BODY_SIZE,
        metavar="BYTES",
        help=f"refuse larger bodies (default {DEFAULT_MAX_BODY_SIZE})",
    )

    s = commands.add_parser(
        "samples",
        help="list the event types with a shipped sample",
        description="List the event types of PROVIDER that have a shipped sample.",
    )
    s.add_argument("provider", choices=_PROVIDERS, metavar="PROVIDER", help=", ".join(_PROVIDERS))

    _add_send(commands)
    _add_inbox(commands)

    j = commands.add_parser(
        "schema",
        help="print the JSON Schema of the provider's webhook bodies",
        description="Print the JSON Schema (draft 2020-12) of every webhook body PROVIDER sends.",
    )
    j.add_argument("provider", choices=_PROVIDERS, metavar="PROVIDER", help=", ".join(_PROVIDERS))
    j.add_argument(
        "--indent",
        type=_not_negative,
        default=2,
        metavar="N",
        help="indent by N spaces (0: one line)",
    )
    return parser


def _add_send(commands: Any) -> None:
    d: argparse.ArgumentParser = commands.add_parser(
        "send",
        help="POST a signed sample event to URL, print the answer",
        description="Build a webhook request from the provider's sample of EVENT (with the "
        "fields given replaced), sign it, POST it to URL, and print the status and the body "
        "of the answer. Exit status 0 when the answer is 2xx.",
    )
    d.set_defaults(usage=d)
    d.add_argument("url", metavar="URL", help="where to POST, http:// or https://")
    d.add_argument("provider", choices=_PROVIDERS, metavar="PROVIDER", help=", ".join(_PROVIDERS))
    d.add_argument("event", metavar="EVENT", help="an event type (see the samples command)")
    d.add_argument(
        "--secret-env",
        metavar="VAR",
        help="sign with the secret in environment variable VAR (needed for providers that sign)",
    )
    d.add_argument(
        "--signature-scheme",
        metavar="NAME",
        help="the signature construction (AndDone), such as body_without_signature:hex_decoded",
    )
    d.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="replace a field of the sample (repeatable); KEY is the attribute name, '__' "
        "reaches nested fields; VALUE is read as JSON when it parses as JSON, else as text",
    )
    d.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=10.0,
        metavar="SECONDS",
        help="give up waiting for an answer after SECONDS (default 10)",
    )


def _add_inbox(commands: Any) -> None:
    i: argparse.ArgumentParser = commands.add_parser(
        "inbox",
        help="replay or prune an inbox's stored deliveries (Flask, FastAPI, any WSGI/ASGI app)",
        description="Work on the deliveries an inbox keeps. --app names the inbox as "
        "module:attribute; importing the module declares its receivers, whose handlers "
        "replay calls.",
    )
    i.set_defaults(usage=i)
    actions = i.add_subparsers(dest="action", required=True, metavar="ACTION")
    r: argparse.ArgumentParser = actions.add_parser(
        "replay",
        help="process deliveries not processed yet, with the library installed now",
        description="Process the selected deliveries again (every one not processed: received, "
        "failed and invalid, unless --status says otherwise); processed ones are never run "
        "twice. Exit status 1 when some failed again.",
    )
    r.set_defaults(usage=r)
    r.add_argument("--app", required=True, metavar="MODULE:INBOX", help="the inbox to use")
    r.add_argument(
        "--status",
        action="append",
        default=[],
        metavar="STATUS",
        help="received, failed or invalid (repeatable; default: all three)",
    )
    r.add_argument("--provider", help="only this provider's deliveries")
    r.add_argument("--receiver", help="only this receiver's deliveries (its name)")
    r.add_argument("--since", type=_time, metavar="TIME", help="received at or after (ISO 8601)")
    r.add_argument("--until", type=_time, metavar="TIME", help="received before (ISO 8601)")
    r.add_argument(
        "--id",
        type=int,
        action="append",
        default=[],
        dest="ids",
        metavar="ID",
        help="only this row (repeatable)",
    )
    d: argparse.ArgumentParser = actions.add_parser(
        "prune",
        help="delete deliveries older than a number of days (they hold personal data)",
        description="Delete the deliveries received more than DAYS days ago.",
    )
    d.set_defaults(usage=d)
    d.add_argument("--app", required=True, metavar="MODULE:INBOX", help="the inbox to use")
    d.add_argument("--older-than", type=_days, required=True, metavar="DAYS", help="in days")


def _time(text: str) -> Any:
    from .integrations._commands import parse_time  # noqa: PLC0415 - only this command needs it

    try:
        return parse_time(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None


def _days(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more days, not {text}")
    return value


def _inbox_command(args: argparse.Namespace, out: TextIO) -> int:
    # Imported here: the rest of the command line never loads the inbox (nor, through
    # the --app module, a database library).
    from .integrations._commands import load_inbox, run_prune, run_replay  # noqa: PLC0415

    inbox = load_inbox(args.app)
    if args.action == "prune":
        return run_prune(inbox, args.older_than, out=out)
    return run_replay(
        inbox,
        statuses=args.status,
        provider=args.provider,
        receiver=args.receiver,
        since=args.since,
        until=args.until,
        ids=args.ids,
        out=out,
        err=sys.stderr,
    )


def _positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _read_body(args: argparse.Namespace, parser: argparse.ArgumentParser) -> bytes:
    if args.sample is not None:
        if args.file is not None:
            parser.error("give either FILE or --sample, not both")
        names = sample_names(args.provider)
        if args.sample not in names:
            parser.error(
                f"--sample: {args.provider} has no sample {args.sample[:64]!r}; "
                f"choose from {', '.join(names)}"
            )
        body: bytes = sample_body(args.provider, args.sample)
        return body
    if args.file in (None, "-"):
        return sys.stdin.buffer.read()
    try:
        with open(args.file, "rb") as handle:
            return handle.read()
    except OSError as exc:
        parser.error(f"cannot read {args.file}: {exc.strerror}")
    raise AssertionError  # pragma: no cover - parser.error() exits


def _headers(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, str]:
    headers: dict[str, str] = {}
    for number, item in enumerate(args.header, start=1):
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            # Never echo the argument: a mistyped -H may be the signature itself.
            parser.error(f"-H number {number} must look like 'Name: value' (a name, then ':')")
        headers[name.strip()] = value.strip()
    return headers


def _secrets(variables: list[str]) -> list[str]:
    secrets: list[str] = []
    for var in variables:
        value = os.environ.get(var)
        if value is None:
            # Name the variable, never its value.
            raise ConfigurationError(f"The environment variable {var} is not set.")
        secrets.append(value)
    return secrets


def _scheme(args: argparse.Namespace, parser: argparse.ArgumentParser) -> object | None:
    """The ``--signature-scheme`` asked for; a name that cannot apply is a usage error."""
    name: str | None = args.signature_scheme
    if name is None:
        return None
    if args.provider != Provider.ANDDONE:
        parser.error(
            f"--signature-scheme: {args.provider} has one signature scheme; drop --signature-scheme"
        )
    from .anddone import SignatureScheme  # noqa: PLC0415 - imports the provider on use only

    try:
        return SignatureScheme.from_name(name)
    except ConfigurationError as error:
        parser.error(f"--signature-scheme: {error}")


def _check_verification_options(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Say what is missing or too much in this command's terms (parse() would use Python's)."""
    spec = get_spec(args.provider)
    if args.no_verify:
        if args.secret_env:
            parser.error("--no-verify and --secret-env conflict: give one of them")
        return
    if spec.verifier is None:
        if args.secret_env:
            raise _secret_for_unsigned(spec.name)
        return
    if not args.secret_env:
        raise ConfigurationError(
            f"{spec.name} signs its webhooks but no secret was given; pass --secret-env VAR "
            "(or --no-verify to skip verification).",
            provider=spec.name,
        )
    if args.provider == Provider.ANDDONE and args.signature_scheme is None:
        raise _no_scheme(" (or --no-verify)")


def _secret_for_unsigned(provider: str) -> ConfigurationError:
    # A configuration error (exit 78), as a secret for such a provider is for parse().
    return ConfigurationError(
        f"--secret-env: {provider} does not sign its webhook bodies; drop --secret-env",
        provider=provider,
    )


def _no_scheme(alternative: str = "") -> ConfigurationError:
    from .anddone import ALL_SCHEMES  # noqa: PLC0415 - imports the provider on use only

    names = ", ".join(str(scheme.name) for scheme in ALL_SCHEMES)
    return ConfigurationError(
        "anddone needs the signature construction named: pass --signature-scheme "
        f"with one of {names}{alternative}.",
        provider="anddone",
    )


def _parse_command(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO) -> int:
    headers = _headers(args, parser)
    body = _read_body(args, parser)
    provider: str = args.provider
    _check_verification_options(args, parser)
    scheme = _scheme(args, parser)
    event: WebhookEvent | UnknownEvent = parse(
        provider,
        body,
        headers,
        secret=_secrets(args.secret_env) or None,
        verify=not args.no_verify,
        allow_unknown=args.allow_unknown,
        max_body_size=args.max_body_size,
        signature_scheme=scheme,
    )
    document = {
        "event": type(event).__name__,
        "provider": args.provider,
        "event_type": event.event_type,
        "idempotency_key": event.idempotency_key,
        "data": event.model_dump(mode="json", by_alias=True),
    }
    _write(out, document, indent=2)
    return 0


def _fields(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for number, item in enumerate(args.field, start=1):
        key, sep, text = item.partition("=")
        if not sep or not key:
            parser.error(f"--field number {number} must look like KEY=VALUE")
        if key in fields:
            parser.error(f"--field {key} is given twice")
        try:
            fields[key] = json.loads(text)
        except ValueError:  # not JSON: the text itself
            fields[key] = text
    return fields


def _signing_secret(args: argparse.Namespace) -> str | None:
    """The secret to sign with, or ``None`` for a provider that signs nothing."""
    spec = get_spec(args.provider)
    if spec.verifier is None:
        if args.secret_env is not None:
            raise _secret_for_unsigned(spec.name)
        return None
    if args.secret_env is None:
        raise ConfigurationError(
            f"{spec.name} signs its webhooks: pass --secret-env VAR, the variable holding the "
            "secret your app is configured with.",
            provider=spec.name,
        )
    return _secrets([args.secret_env])[0]


def _send_command(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO) -> int:
    from .testing import (  # noqa: PLC0415 - used by this command only
        build_request,
        event_types,
        has_documented_example,
    )

    url: str = args.url
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        parser.error("URL must start with http:// or https://")
    provider: str = args.provider
    if args.event not in event_types(provider):
        parser.error(
            f"EVENT: {provider} has no event {args.event[:64]!r}; "
            f"choose from {', '.join(event_types(provider))}"
        )
    fields = _fields(args, parser)
    if fields:
        try:
            build_request(provider, args.event, **fields)  # the fields alone, before any secret
        except ConfigurationError as error:
            parser.error(f"--field: {error}")
    if not has_documented_example(provider, args.event):
        sys.stderr.write(
            f"note: {provider} publishes no example of {args.event}; sending a minimal body "
            "built from the model (the required fields only)\n"
        )
    scheme = _scheme(args, parser)
    secret = _signing_secret(args)
    if secret is not None and scheme is None and provider == Provider.ANDDONE:
        raise _no_scheme()
    body, headers = build_request(
        provider, args.event, secret=secret, signature_scheme=scheme, **fields
    )
    # S310: the URL's scheme was checked above (http or https, never file:).
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=args.timeout) as response:
            return _show_answer(response, out)
    except urllib.error.HTTPError as answer:  # an answer all the same: 3xx, 4xx, 5xx
        with answer:
            return _show_answer(answer, out)
    except (urllib.error.URLError, OSError) as error:  # no answer; TimeoutError is an OSError
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        # The URL is not repeated: its query may hold a token.
        sys.stderr.write(f"error: no answer from the URL: {reason}\n")
        return EXIT_UNAVAILABLE


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Show a redirect as the answer: following it would turn the POST into a GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER: Final = urllib.request.build_opener(_NoRedirect())


def _show_answer(response: HTTPResponse | urllib.error.HTTPError, out: TextIO) -> int:
    status: int = response.status or 0
    out.write(f"{status} {response.reason}\n")
    location = response.headers.get("Location")
    if HTTPStatus.MULTIPLE_CHOICES <= status < HTTPStatus.BAD_REQUEST and location:
        out.write(f"Location: {location}\n")
    content = response.read(_MAX_SHOWN + 1)
    if content:
        text = content[:_MAX_SHOWN].decode("utf-8", errors="replace")
        out.write(text if text.endswith("\n") else text + "\n")
        if len(content) > _MAX_SHOWN:
            out.write(f"(the body goes on; the first {_MAX_SHOWN} bytes are shown)\n")
    return 0 if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES else EXIT_NOT_2XX


def _write(out: TextIO, document: object, *, indent: int | None, compact: bool = False) -> None:
    # Readable text, or JSON's own escapes where ``out`` cannot encode it (a terminal or pipe
    # that is not UTF-8): never a UnicodeEncodeError.
    separators = (",", ":") if compact else None
    text = json.dumps(document, indent=indent, ensure_ascii=False, separators=separators)
    try:
        out.write(text + "\n")
    except UnicodeEncodeError:  # raised before anything is written
        out.write(json.dumps(document, indent=indent, separators=separators) + "\n")


def _report(error: WebhookError, err: TextIO) -> int:
    err.write(f"error: {type(error).__name__}: {error}\n")
    if isinstance(error, PayloadValidationError):
        for detail in error.errors:
            # Keys from the body are shown as <unknown key>, as in the message.
            where = error.location(detail) or "(body)"
            err.write(f"  {where}: {detail['msg']}\n")
    if isinstance(error, UnknownEventError):
        err.write("  (pass --allow-unknown to print it as a generic event)\n")
    if isinstance(error, SignatureError):
        return EXIT_SIGNATURE
    if isinstance(error, PayloadError):
        return EXIT_PAYLOAD
    return EXIT_CONFIG


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Args:
        argv: The arguments (without the program name); ``sys.argv[1:]`` when ``None``.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    out = sys.stdout
    try:
        if args.command == "samples":
            out.write("\n".join(sample_names(args.provider)) + "\n")
        elif args.command == "schema":
            indent: int = args.indent
            _write(out, json_schema(args.provider), indent=indent or None, compact=not indent)
        elif args.command == "send":
            status = _send_command(args, args.usage, out)
            out.flush()
            return status
        elif args.command == "inbox":
            status = _inbox_command(args, out)
            out.flush()
            return status
        else:
            _parse_command(args, args.usage, out)
        out.flush()
    except WebhookError as error:
        return _report(error, sys.stderr)
    except OSError as error:  # a full disk, a closed pipe: say so instead of a traceback
        return _output_failed(error)
    return 0


def _output_failed(error: OSError) -> int:
    with contextlib.suppress(OSError):  # stderr may be gone too: then the status says it
        sys.stderr.write(f"error: cannot write the output: {error.strerror or error}\n")
        sys.stderr.flush()
    # Python's own recipe (the signal module's note on SIGPIPE): point stdout at devnull, so
    # the interpreter's flush at exit does not fail again, with a traceback and status 120.
    with contextlib.suppress(OSError, ValueError):  # no file descriptor: nothing to flush
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OUTPUT


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
