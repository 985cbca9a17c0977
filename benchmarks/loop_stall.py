"""How long hostile webhook bodies stall an async receiver's event loop, measured from outside.

A FastAPI app runs under uvicorn in a process of its own on 127.0.0.1, with two routes: an
AndDone webhook route (``webhook_event``) and ``/ping``, which answers at once. Client threads
send unauthenticated 1 MiB AndDone bodies with non-ASCII top-level keys (the most expensive body
to scan for the in-body signature) to the webhook route, while one more thread pings. The
ping's worst and 99th-percentile latency is the stall the webhook route causes on the loop.

    python benchmarks/loop_stall.py                  # the receivers as shipped
    python benchmarks/loop_stall.py --on-the-loop    # verifying and parsing every body on the loop

Two shapes of body are sent in turn: all top-level keys, and the same keys inside
``EventBody``. ``--on-the-loop`` raises the size above which bodies are verified and parsed
in a worker thread (``OFFLOAD_SIZE``) past any body, which is what the receivers did before.
Bounded:
``--seconds`` of load (5 by default), every request with a 30 s timeout, the server stopped at
the end.
"""

# No "from __future__ import annotations": FastAPI reads the route's Annotated[...] at run time.

import argparse
import http.client
import logging
import socket
import statistics
import subprocess
import sys
import threading
import time

BODY_SIZE = 1 << 20
SECRET = "ab" * 32
SCHEME = "body_without_signature:hex_decoded"
TIMEOUT = 30.0


def hostile_object(size: int) -> bytes:
    """A JSON object of ``size`` bytes or just under, of short non-ASCII keys."""
    parts: list[bytes] = []
    used = 2
    number = 0
    while True:
        part = f'"\u00e9{number}":0'.encode()
        if used + len(part) + 1 > size:
            break
        parts.append(part)
        used += len(part) + 1
        number += 1
    return b"{" + b",".join(parts) + b"}"


def hostile_body(shape: str, size: int = BODY_SIZE) -> bytes:
    """An unsigned AndDone body of ``size`` bytes or just under.

    ``keys``: all of it top-level keys (each is located in the raw bytes before anything is
    verified). ``nested``: the same keys inside ``EventBody`` (skipped by the C decoder).
    """
    if shape == "keys":
        return hostile_object(size)
    envelope = b'{"EventCode": "TransactionSuccess", "EventBody": %s}'
    return envelope % hostile_object(size - len(envelope) + 2)


def serve(port: int, *, on_the_loop: bool) -> None:
    """Run the app under uvicorn on ``port`` (in the server process)."""
    from typing import Annotated  # noqa: PLC0415 - the server process only

    import uvicorn  # noqa: PLC0415
    from fastapi import Depends, FastAPI  # noqa: PLC0415

    from webhook_payloads.anddone import SignatureScheme  # noqa: PLC0415
    from webhook_payloads.integrations import _receiver  # noqa: PLC0415
    from webhook_payloads.integrations.fastapi import webhook_event  # noqa: PLC0415

    # Each refusal logs a warning: thousands of them would measure the log, not the loop.
    logging.getLogger("webhook_payloads.integrations").setLevel(logging.ERROR)
    if on_the_loop:
        _receiver.OFFLOAD_SIZE = BODY_SIZE * 4  # type: ignore[misc]  # what the receivers did before
    app = FastAPI()
    anddone = webhook_event(
        "anddone", secret=SECRET, signature_scheme=SignatureScheme.from_name(SCHEME)
    )

    @app.post("/hook")
    async def hook(event: Annotated[object, Depends(anddone)]) -> None: ...  # pragma: no cover

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.1)
        else:
            return
    raise SystemExit("the server did not start within 30 s")


def _pings(port: int, stop: threading.Event, interval: float = 0.01) -> list[float]:
    latencies: list[float] = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    while not stop.is_set():
        started = time.perf_counter()
        connection.request("GET", "/ping")
        connection.getresponse().read()
        latencies.append(time.perf_counter() - started)
        time.sleep(interval)
    connection.close()
    return latencies


def _attack(port: int, body: bytes, stop: threading.Event, sent: list[int]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    headers = {"Content-Type": "application/json"}
    while not stop.is_set():
        connection.request("POST", "/hook", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        sent.append(response.status)
    connection.close()


def measure(
    port: int, seconds: float, clients: int, shape: str = "keys"
) -> tuple[list[float], list[int]]:
    """Ping latencies while ``clients`` threads send hostile bodies for ``seconds``."""
    body = hostile_body(shape)
    stop = threading.Event()
    statuses: list[int] = []
    attackers = [
        threading.Thread(target=_attack, args=(port, body, stop, statuses)) for _ in range(clients)
    ]
    result: list[list[float]] = []
    pinger = threading.Thread(target=lambda: result.append(_pings(port, stop)))
    for thread in [*attackers, pinger]:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in [*attackers, pinger]:
        thread.join(TIMEOUT)
    return result[0], statuses


def _report(label: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{label}: {len(ordered)} pings, median {statistics.median(ordered) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, worst {ordered[-1] * 1000:.1f} ms"
    )


def main() -> None:
    """Start the server, measure idle and under attack, print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="load duration (default 5)")
    parser.add_argument("--clients", type=int, default=2, help="attacking threads (default 2)")
    parser.add_argument("--on-the-loop", action="store_true", help="never offload (as before)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve is not None:
        serve(options.serve, on_the_loop=options.on_the_loop)
        return
    port = _free_port()
    command = [sys.executable, __file__, "--serve", str(port)]
    if options.on_the_loop:
        command.append("--on-the-loop")
    server = subprocess.Popen(command)  # noqa: S603 - our own interpreter and script
    try:
        _wait_for(port, server)
        idle, _ = measure(port, min(2.0, options.seconds), 0)
        _report("idle", idle)
        where = "on the loop" if options.on_the_loop else "off the loop above OFFLOAD_SIZE"
        for shape in ("keys", "nested"):
            loaded, statuses = measure(port, options.seconds, options.clients, shape)
            answers = ", ".join(map(str, sorted(set(statuses))))
            _report(f"{len(statuses)} hostile 1 MiB bodies, {shape} ({where}, {answers})", loaded)
    finally:
        server.terminate()
        server.wait(TIMEOUT)


if __name__ == "__main__":
    main()
