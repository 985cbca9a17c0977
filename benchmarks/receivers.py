"""What each framework receiver costs per request, against the view an expert writes by hand.

Usage (from the repository root, in the dev environment)::

    python benchmarks/receivers.py              # in-process, about a minute
    python benchmarks/receivers.py --servers    # gunicorn / uvicorn on 127.0.0.1, about 8 minutes
    python benchmarks/receivers.py --smoke      # a few seconds: checks that it runs, judges nothing

The apps are in ``benchmarks/receiver_apps.py``: per framework one app with three routes, a
bare view that only answers 200, the expert's view (raw body, ``hmac.new(...).hexdigest()`` and
``compare_digest`` on the header, a cached ``TypeAdapter``'s ``validate_json``, 200) and the
library's receiver as its documentation writes it. Every request is Payscore's signed
``REPORT_READY`` with the ten headers a server behind a proxy hands over.

In-process, the WSGI app is called with an environ dict and the ASGI app with a scope and its
``receive``/``send``: no sockets, no test client. Each round times a batch of each of the three
views back to back, rotating which goes first, and its ratio is
``(library - bare) / (expert - bare)``: what the receiver adds to the framework over what the
expert's view adds. The figure is the median over rounds, so load from other processes falls
on all three alike. The garbage collector stays on, as in a server. Target: <= 1.00.

With ``--servers``, each framework's app runs under a real server on 127.0.0.1 (gunicorn, 2
sync workers, for Django and Flask; uvicorn, 1 worker, for FastAPI and Starlette) and a
bounded load (``wrk``, a fixed number of connections for a fixed time; a small Python client
when ``wrk`` is not installed) is put on the expert's and the library's routes in turn,
alternating which goes first. The figure is the median over rounds of the library's
requests per second over the expert's. Target: >= 0.97.

uvicorn gets one worker: ``wrk`` keeps its connections open, and the kernel hands each to
one of the workers when it is made, so with two workers a run had either both cores serving
or one (round ratios of 0.5 and 1.8 on the same code). Gunicorn's sync workers take one
request per connection, which spreads the load evenly.

The exit status is 1 when a measured target is not met (never with ``--smoke``).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import io
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import receiver_apps  # noqa: E402 - after its folder is on the path

IN_PROCESS_TARGET = 1.00
SERVER_TARGET = 0.97
BODY, HEADERS = receiver_apps.signed_request()

# --------------------------------------------------------------------------- in-process calls


def wsgi_caller(app: Callable[..., Any], route: str) -> Callable[[], int]:
    """A function that sends the signed request to ``route`` of the WSGI ``app``: its status."""
    template: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": route,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in HEADERS.items():
        key = name.upper().replace("-", "_")
        if key in {"CONTENT_TYPE", "CONTENT_LENGTH"}:
            template[key] = value
        else:
            template["HTTP_" + key] = value
    body = BODY
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        status.append(line)
        return None

    def call() -> int:
        environ = template.copy()
        environ["wsgi.input"] = io.BytesIO(body)
        status.clear()
        result = app(environ, start_response)
        for _ in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
        return int(status[0][:3])

    return call


def asgi_caller(app: Callable[..., Any], route: str) -> Callable[[], Any]:
    """An async function sending the signed request to ``route`` of the ASGI ``app``."""
    headers = [(name.lower().encode(), value.encode()) for name, value in HEADERS.items()]
    template: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    message = {"type": "http.request", "body": BODY, "more_body": False}

    async def call() -> int:
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return message

        async def send(event: dict[str, Any]) -> None:
            nonlocal status
            if event["type"] == "http.response.start":
                status = event["status"]

        await app(template.copy(), receive, send)
        return status

    return call


class Framework:
    """One framework's three routes, each a batch timer (seconds per request)."""

    def __init__(
        self,
        name: str,
        app: Callable[..., Any],
        *,
        asgi: bool,
        library: str,
        swapped: Callable[..., Any] | None = None,
    ) -> None:
        """Build the callers of ``app``'s routes (``library`` is the library's route).

        ``swapped`` is the same app with the library's route before the expert's: odd
        rounds use it, so that neither pays more for being matched after the other.
        """
        self.name = name
        routes = {"bare": "/bare", "expert": "/expert", "library": library}
        caller = asgi_caller if asgi else wsgi_caller
        self.loop = asyncio.new_event_loop() if asgi else None
        self.orders = [{key: caller(app, route) for key, route in routes.items()}]
        if swapped is not None:
            self.orders.append({key: caller(swapped, route) for key, route in routes.items()})
        self.calls = self.orders[0]

    def check(self) -> None:
        """Every route answers the signed request 200 (or the figures mean nothing)."""
        for number in range(len(self.orders)):
            for key in self.calls:
                status = self.run(key, 1, number)[1]
                if status != 200:
                    raise SystemExit(f"{self.name} {key} answered {status}, not 200")

    def run(self, key: str, count: int, number: int = 0) -> tuple[float, int]:
        """Time ``count`` requests to ``key`` in round ``number``: seconds each, last status."""
        call = self.orders[number % len(self.orders)][key]
        if self.loop is None:
            start = time.perf_counter()
            for _ in range(count):
                status = call()
            return (time.perf_counter() - start) / count, status

        async def batch() -> tuple[float, int]:
            start = time.perf_counter()
            for _ in range(count):
                status = await call()
            return (time.perf_counter() - start) / count, status

        return self.loop.run_until_complete(batch())


def frameworks(fastapi_def: bool = False) -> list[Framework]:
    """The four frameworks (and FastAPI's ``def`` endpoint when asked)."""
    found = [
        Framework("Django webhook_view", receiver_apps.django_app, asgi=False, library="/library"),
        Framework(
            "Flask webhook_handler",
            receiver_apps.flask_app.wsgi_app,
            asgi=False,
            library="/library",
        ),
        Framework(
            "FastAPI await webhook_event(...)(request)",
            receiver_apps.fastapi_app,
            asgi=True,
            library="/library",
            swapped=receiver_apps.fastapi_app_swapped,
        ),
        Framework(
            "Starlette await webhook_event(...)(request)",
            receiver_apps.starlette_app,
            asgi=True,
            library="/library",
            swapped=receiver_apps.starlette_app_swapped,
        ),
    ]
    if fastapi_def:
        found += [
            Framework(
                "FastAPI Depends(webhook_event), async def (reported)",
                receiver_apps.fastapi_depends_app,
                asgi=True,
                library="/library",
            ),
            Framework(
                "FastAPI Depends(webhook_event), def (reported)",
                receiver_apps.fastapi_def_app,
                asgi=True,
                library="/library",
            ),
        ]
    return found


def in_process(rounds: int, batch: int, *, smoke: bool, only: str = "") -> bool:
    """Measure and print every framework's ratio; whether every target was met.

    ``only`` keeps the frameworks whose name contains it (any case).
    """
    print(f"in-process: {rounds} rounds of {batch} requests per view, gc on")
    print(f"{'framework':54} {'bare':>8} {'expert-bare':>12} {'library-bare':>13} {'ratio':>7}")
    met = True
    found = [f for f in frameworks(fastapi_def=True) if only.lower() in f.name.lower()]
    for framework in found:
        framework.check()
        for key in framework.calls:
            framework.run(key, max(batch // 4, 1))  # warm up
    times: dict[str, dict[str, list[float]]] = {f.name: {k: [] for k in f.calls} for f in found}
    ratios: dict[str, list[float]] = {f.name: [] for f in found}
    keys = ["bare", "expert", "library"]
    for number in range(rounds):
        for framework in found:
            shift = number % 3
            measured: dict[str, float] = {}
            for key in keys[shift:] + keys[:shift]:
                measured[key] = framework.run(key, batch, number // 3)[0]
            for key, value in measured.items():
                times[framework.name][key].append(value)
            expert = measured["expert"] - measured["bare"]
            if expert > 0:
                ratios[framework.name].append((measured["library"] - measured["bare"]) / expert)
    for framework in found:
        seen = times[framework.name]
        bare = statistics.median(seen["bare"]) * 1e6
        expert = statistics.median(
            [e - b for e, b in zip(seen["expert"], seen["bare"], strict=True)]
        )
        library = statistics.median(
            [e - b for e, b in zip(seen["library"], seen["bare"], strict=True)]
        )
        ratio = (
            statistics.median(ratios[framework.name]) if ratios[framework.name] else float("nan")
        )
        reported = "reported" in framework.name
        verdict = ""
        if not smoke and not reported:
            ok = ratio <= IN_PROCESS_TARGET
            met = met and ok
            verdict = "met" if ok else "not met"
        print(
            f"{framework.name:54} {bare:6.1f}us {expert * 1e6:10.1f}us {library * 1e6:11.1f}us"
            f" {ratio:7.2f}  (target <= {IN_PROCESS_TARGET:.2f}) {verdict}"
        )
    return met


# --------------------------------------------------------------------------- real servers

SERVERS = {
    "Django webhook_view": ("gunicorn", "receiver_apps:django_app", "/library"),
    "Flask webhook_handler": ("gunicorn", "receiver_apps:flask_app", "/library"),
    "FastAPI await webhook_event(...)(request)": (
        "uvicorn",
        "receiver_apps:fastapi_app",
        "/library",
    ),
    "FastAPI Depends(webhook_event), async def (reported)": (
        "uvicorn",
        "receiver_apps:fastapi_depends_app",
        "/library",
    ),
    "FastAPI Depends(webhook_event), def (reported)": (
        "uvicorn",
        "receiver_apps:fastapi_def_app",
        "/library",
    ),
    "Starlette await webhook_event(...)(request)": (
        "uvicorn",
        "receiver_apps:starlette_app",
        "/library",
    ),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A gunicorn (2 workers) or uvicorn (1 worker) server on 127.0.0.1, stopped on exit."""

    def __init__(self, kind: str, app: str) -> None:
        """Start it and wait until it answers."""
        self.port = _free_port()
        bindir = Path(sys.executable).parent
        if kind == "gunicorn":
            command = [
                str(bindir / "gunicorn"),
                "--workers=2",
                f"--bind=127.0.0.1:{self.port}",
                f"--chdir={HERE}",
                "--log-level=warning",
                app,
            ]
        else:
            command = [
                str(bindir / "uvicorn"),
                "--workers=1",
                "--host=127.0.0.1",
                f"--port={self.port}",
                f"--app-dir={HERE}",
                "--no-access-log",
                "--log-level=warning",
                app,
            ]
        self.process = subprocess.Popen(command, start_new_session=True)  # noqa: S603 - our own
        deadline = time.monotonic() + 60
        while True:
            try:
                if post(self.port, "/bare") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise SystemExit(f"{kind} {app} did not start")
            time.sleep(0.2)
        # Both workers answer once each has imported the app: a few more requests warm them.
        for _ in range(20):
            post(self.port, "/library")

    def stop(self) -> None:
        """Stop the server (its own process group, which this script started)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def post(port: int, route: str) -> int:
    """One signed request; the status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", route, body=BODY, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _wrk_script(folder: str) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = [==[{BODY.decode()}]==]"]
    for name, value in HEADERS.items():
        if name not in {"Host", "Content-Length"}:
            lines.append(f'wrk.headers["{name}"] = "{value}"')
    script = Path(folder) / "post.lua"
    script.write_text("\n".join(lines) + "\n")
    return str(script)


def load(port: int, route: str, seconds: float, connections: int, script: str | None) -> float:
    """Requests per second on ``route`` under ``connections`` keep-alive connections."""
    if script is not None:
        done = subprocess.run(  # noqa: S603 - wrk with our own arguments
            [  # noqa: S607 - wrk from PATH
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "-s",
                script,
                f"http://127.0.0.1:{port}{route}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        if "Non-2xx" in done.stdout:
            raise SystemExit(f"{route} answered other than 2xx:\n{done.stdout}")
        for line in done.stdout.splitlines():
            if line.startswith("Requests/sec:"):
                return float(line.split()[1])
        raise SystemExit(f"wrk printed no rate:\n{done.stdout}")
    return _python_load(port, route, seconds, connections)


def _python_load(port: int, route: str, seconds: float, connections: int) -> float:
    # Without wrk: a few threads, each with one keep-alive connection, for a fixed time.
    counts = [0] * connections
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            connection.request("POST", route, body=BODY, headers=HEADERS)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{route} answered {response.status}")
            counts[index] += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - start)


def servers(rounds: int, seconds: float, connections: int, only: str = "") -> bool:
    """Measure and print the throughput ratios; whether every target was met.

    ``only`` keeps the frameworks whose name contains it (any case).
    """
    folder = tempfile.mkdtemp(prefix="receivers-bench-")
    script = _wrk_script(folder) if shutil.which("wrk") else None
    client = "wrk -t1" if script else "a Python client"
    print(
        f"servers on 127.0.0.1 (gunicorn 2 workers, uvicorn 1); {client}, {connections} "
        f"connections, {seconds:g} s per run, {rounds} rounds"
    )
    print(f"{'framework':54} {'expert':>9} {'library':>9} {'ratio':>7}")
    met = True
    started: dict[str, Server] = {}
    try:
        for name, (kind, app, route) in SERVERS.items():
            if only.lower() not in name.lower():
                continue
            server = started.get(app) or Server(kind, app)
            started[app] = server
            ratios: list[float] = []
            rates: dict[str, list[float]] = {"/expert": [], route: []}
            for number in range(rounds):
                order = ["/expert", route] if number % 2 == 0 else [route, "/expert"]
                measured = {r: load(server.port, r, seconds, connections, script) for r in order}
                for r, value in measured.items():
                    rates[r].append(value)
                ratios.append(measured[route] / measured["/expert"])
            ratio = statistics.median(ratios)
            verdict = ""
            if "reported" not in name:
                ok = ratio >= SERVER_TARGET
                met = met and ok
                verdict = "met" if ok else "not met"
            print(
                f"{name:54} {statistics.median(rates['/expert']):7.0f}/s"
                f" {statistics.median(rates[route]):7.0f}/s {ratio:7.3f}"
                f"  (target >= {SERVER_TARGET:.2f}) {verdict}   rounds: "
                + " ".join(f"{r:.3f}" for r in ratios),
                flush=True,
            )
    finally:
        for server in started.values():
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return met


def main() -> int:
    """Parse the options, measure, print; 1 when a target is not met."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a few seconds: checks it runs")
    parser.add_argument("--servers", action="store_true", help="under gunicorn and uvicorn")
    parser.add_argument("--rounds", type=int, default=None, help="paired rounds")
    parser.add_argument("--batch", type=int, default=100, help="requests per view and round")
    parser.add_argument("--seconds", type=float, default=3.0, help="per load run (--servers)")
    parser.add_argument("--connections", type=int, default=8, help="(--servers)")
    parser.add_argument("--only", default="", help="frameworks whose name contains this")
    options = parser.parse_args()
    if options.smoke:
        in_process(2, 20, smoke=True)
        return 0
    if options.servers:
        rounds = options.rounds or 12
        met = servers(rounds, options.seconds, options.connections, options.only)
        return 0 if met else 1
    met = in_process(options.rounds or 400, options.batch, smoke=False, only=options.only)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
