"""Parsing from many threads, and from a process pool with pickled events, changes nothing."""

from __future__ import annotations

import multiprocessing
import pickle
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from webhook_payloads import WebhookError, parse
from webhook_payloads._registry import get_spec

from ._providers import KEY, all_samples, schemes
from ._tamper import sign

Request = tuple[str, bytes, Any, dict[str, Any]]


def requests() -> list[Request]:
    """Genuine, tampered and broken requests for every sample of every provider."""
    out: list[Request] = []
    for provider, _, body in all_samples():
        verifier = get_spec(provider).verifier
        if verifier is None:
            out.append((provider.value, body, None, {}))
            out.append((provider.value, body[: len(body) // 2], None, {}))
            continue
        for scheme in schemes(provider):
            signed_body, headers = sign(provider, body, KEY, scheme)
            options = {"secret": KEY, "signature_scheme": scheme}
            out.append((provider.value, signed_body, headers, options))
            out.append((provider.value, signed_body + b" ", headers, options))
            out.append((provider.value, body, headers, {"verify": False}))
            out.append((provider.value, body[: len(body) // 2], headers, {"verify": False}))
    return out


def outcome(request: Request) -> tuple[str, Any]:
    """What parse() did with ``request``: ("event", event) or ("error", (type, message))."""
    provider, body, headers, options = request
    try:
        return "event", parse(provider, body, headers, **options)
    except WebhookError as error:
        return "error", (type(error).__name__, str(error), error)


def comparable(result: tuple[str, Any]) -> tuple[str, Any]:
    kind, value = result
    return (kind, value[:2]) if kind == "error" else (kind, value)


def test_many_threads_get_identical_results() -> None:
    work = requests() * 20
    expected = [comparable(outcome(r)) for r in work]
    start = threading.Barrier(8)

    def run(chunk: list[Request]) -> list[tuple[str, Any]]:
        start.wait()
        return [comparable(outcome(r)) for r in chunk]

    chunks = [work[i::8] for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, chunks))
    for i, chunk_result in enumerate(results):
        assert chunk_result == expected[i::8]
    assert any(kind == "event" for kind, _ in expected)
    assert any(kind == "error" for kind, _ in expected)


def test_first_use_from_many_threads_at_once() -> None:
    # Provider modules are imported on first use: race that import in a fresh interpreter.
    script = textwrap.dedent(
        """
        import threading
        from webhook_payloads import parse
        from webhook_payloads._registry import registered_providers
        from webhook_payloads._samples import sample_body, sample_names

        providers = registered_providers()
        barrier = threading.Barrier(16)
        results, errors = [], []

        def run(i):
            p = providers[i % len(providers)]
            body = sample_body(p, sample_names(p)[0])
            barrier.wait()
            try:
                event = parse(p, body, verify=False)
                results.append((p, type(event).__name__))
            except BaseException as e:
                errors.append(repr(e))

        threads = [threading.Thread(target=run, args=(i,)) for i in range(16)]
        for t in threads: t.start()
        for t in threads: t.join()
        assert not errors, errors
        assert len(results) == 16
        assert len(set(results)) == len(providers), results
        print("ok")
        """
    )
    # The child prints ok only if all sixteen threads succeeded.
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr


def parse_in_child(request: Request) -> bytes:
    """Runs in a worker process: parse and send back the pickled outcome."""
    return pickle.dumps(outcome(request))


def test_a_process_pool_returns_identical_pickled_results() -> None:
    work = requests()
    expected = [outcome(r) for r in work]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        results = [pickle.loads(raw) for raw in pool.map(parse_in_child, work, chunksize=8)]
    assert [comparable(r) for r in results] == [comparable(r) for r in expected]
    for (kind, value), (_, local) in zip(results, expected, strict=True):
        if kind == "error":
            # Errors cross the process boundary whole: type, message and attributes.
            assert type(value[2]) is type(local[2])
            assert vars(value[2]) == vars(local[2])
        else:
            assert type(value) is type(local)
            assert value.model_dump() == local.model_dump()
