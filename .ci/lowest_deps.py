"""Print pins for the lowest versions pyproject.toml declares.

    python .ci/lowest_deps.py runtime      # pydantic and typing-extensions
    python .ci/lowest_deps.py frameworks   # Django, Flask, FastAPI, Starlette and SQLAlchemy

The two sets are installed one after the other: FastAPI's lowest release needs a newer
typing-extensions than the library's own lowest. Test tools the old frameworks need are
pinned to releases of their era: Flask 2.3 needs a Werkzeug 2.3, and Starlette 0.27's test
client an httpx from before 0.27 (which deprecated, then removed, the ``app=`` it passes).
"""

import re
import sys
from pathlib import Path

import tomllib

FRAMEWORKS = ("django", "flask", "fastapi", "starlette", "sqlalchemy")
ERA_TOOLS = ["werkzeug==2.3.0", "httpx==0.24.1"]
# The frameworks' anyio, at the lowest typing-extensions: anyio 4.16 needs typing-extensions
# 4.16 (its sentinel), so with the library's lowest it cannot import, and neither can FastAPI.
RUNTIME_ERA_TOOLS = ["anyio<4.16"]

project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
which = sys.argv[1] if len(sys.argv) > 1 else "runtime"
if which == "runtime":
    requirements, extra_pins = list(project["dependencies"]), RUNTIME_ERA_TOOLS
elif which == "frameworks":
    extras = project["optional-dependencies"]
    requirements = [r for name in FRAMEWORKS for r in extras[name]]
    extra_pins = ERA_TOOLS
else:
    raise SystemExit(f"usage: {sys.argv[0]} runtime|frameworks")
pins = []
for requirement in requirements:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)\s*", requirement)
    if match is None:
        raise SystemExit(f"cannot find a lower bound in {requirement!r}")
    pins.append(f"{match[1]}=={match[2]}")
sys.stdout.write(" ".join(pins + extra_pins) + "\n")
