"""Print pins for the lowest versions of the runtime dependencies pyproject.toml declares."""

import re
import sys
from pathlib import Path

import tomllib

project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
pins = []
for requirement in project["dependencies"]:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9][0-9.]*)\s*", requirement)
    if match is None:
        raise SystemExit(f"cannot find a lower bound in {requirement!r}")
    pins.append(f"{match[1]}=={match[2]}")
sys.stdout.write(" ".join(pins) + "\n")
