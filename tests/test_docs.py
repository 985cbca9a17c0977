"""Every example in README.md and docs/**/*.md runs, and shows what it says it shows.

The rules, for whoever writes a page:

* ```` ```python ```` blocks run top to bottom, one shared namespace per file (a real module,
  so classes and dataclasses defined in examples work), in a fresh temporary directory.
* A block followed (blank lines aside) by an ```` ```output ```` block must print exactly that
  (doctest rules: ``...`` matches anything, whitespace runs compare equal).
* ```` ```pycon ```` blocks (``>>>`` sessions) run as doctests in the same namespace.
* ```` ```console ```` blocks: each ``$ webhook-payloads ...`` line runs the command line in
  process and must print the lines under it, stdout and stderr together; other commands
  (``pip install``, ...) are shown, not run.
* The ``>>>`` examples in the library's docstrings (shown in the API reference) run too.
* ``<!-- no-run -->`` on the line directly above a fence skips that block. Use it only where
  running is truly impossible.
"""

from __future__ import annotations

import contextlib
import dataclasses
import doctest
import importlib
import io
import pkgutil
import re
import shlex
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from webhook_payloads._cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
NO_RUN = "<!-- no-run -->"
PYTHON = {"python", "py", "python3"}
RUN_LANGUAGES = PYTHON | {"pycon", "console"}
_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_CHECKER = doctest.OutputChecker()
_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    path: Path
    line: int  # 1-based line of the opening fence
    language: str
    source: str
    skip: bool
    output: str | None = None  # the ```output block right after it, if any

    @property
    def where(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{shown}:{self.line}"


def fenced_blocks(text: str, path: Path) -> list[Block]:
    """The fenced blocks of ``text`` in order, ```output blocks attached to the one before."""
    lines = text.splitlines()
    found: list[Block] = []
    after_block = False  # only blank lines since the last block closed
    i = 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if match is None:
            if lines[i].strip():
                after_block = False
            i += 1
            continue
        indent, fence, info = match["indent"], match["fence"], match["info"].strip()
        language = re.split(r"[\s{]", info.lstrip("{."), maxsplit=1)[0].lower() if info else ""
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            closing = lines[j].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                break
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        else:
            raise AssertionError(f"{path}:{i + 1}: unclosed code fence")
        source = "\n".join(body) + "\n"
        skip = i > 0 and lines[i - 1].strip() == NO_RUN
        if language == "output" and after_block and found:
            found[-1] = dataclasses.replace(found[-1], output=source)
        else:
            found.append(Block(path, i + 1, language, source, skip))
        after_block = True
        i = j + 1
    return found


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@contextlib.contextmanager
def example_module(name: str) -> Iterator[types.ModuleType]:
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        yield module
    finally:
        del sys.modules[name]


def check_output(block: Block, want: str, got: str) -> None:
    if not _CHECKER.check_output(want, got, _FLAGS):
        example = doctest.Example("", want)
        diff = _CHECKER.output_difference(example, got, _FLAGS)
        pytest.fail(f"{block.where}: the example printed something else.\n{diff}", pytrace=False)


def run_python(block: Block, module: types.ModuleType) -> None:
    # Blank lines up front make tracebacks point at the line in the Markdown file.
    code = compile("\n" * block.line + block.source, str(block.path), "exec")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, module.__dict__)  # noqa: S102 - running the documentation is the point
    if block.output is not None:
        check_output(block, block.output, out.getvalue())


def run_pycon(block: Block, module: types.ModuleType) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(
        block.source, module.__dict__, block.where, str(block.path), block.line
    )
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    report = io.StringIO()
    result = runner.run(test, out=report.write, clear_globs=False)
    if result.failed:
        pytest.fail(f"{block.where}: a >>> example failed.\n{report.getvalue()}", pytrace=False)


def console_commands(source: str) -> Iterator[tuple[str, str]]:
    """``($ command, expected output)`` pairs of a console block."""
    command: str | None = None
    output: list[str] = []
    for line in source.splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield command, "\n".join(output)
            command, output = line[2:].strip(), []
        elif command is not None:
            output.append(line)
    if command is not None:
        yield command, "\n".join(output)


def run_console(block: Block) -> None:
    for command, want in console_commands(block.source):
        argv = shlex.split(command)
        if argv[0] != "webhook-payloads" or set(argv) & {"|", "<", ">", "&&", ";"}:
            continue  # shown, not run: installs, pipes, other tools
        out = io.StringIO()
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
            contextlib.suppress(SystemExit),  # argparse's --help and usage errors
        ):
            cli_main(argv[1:])
        if want.strip():
            check_output(block, want + "\n", out.getvalue())


def run_markdown(path: Path) -> int:
    """Run every runnable block of ``path``; return how many ran."""
    blocks = fenced_blocks(path.read_text(encoding="utf-8"), path)
    ran = 0
    name = "docs_example_" + re.sub(r"\W", "_", str(path.relative_to(ROOT)))
    with example_module(name) as module:
        for block in blocks:
            if block.skip or block.language not in RUN_LANGUAGES:
                continue
            if block.language in PYTHON:
                run_python(block, module)
            elif block.language == "pycon":
                run_pycon(block, module)
            else:
                run_console(block)
            ran += 1
    return ran


# Pages whose examples need a configured Django with the inbox app and a database: the
# inbox tests, which set those up, run them with run_markdown().
RUN_ELSEWHERE = {ROOT / "docs" / "inbox.md": "tests/inbox/test_page.py"}


@pytest.mark.parametrize(
    "path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)) if isinstance(p, Path) else p
)
def test_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if path in RUN_ELSEWHERE:
        pytest.skip(f"{path.name} runs in {RUN_ELSEWHERE[path]}")
    missing = unimportable_framework(path)
    if missing:  # the integration pages, where a framework is absent or broken (lowest deps)
        pytest.skip(f"{path.name} needs {missing}, which cannot be imported here")
    monkeypatch.chdir(tmp_path)
    run_markdown(path)


_FRAMEWORK_IMPORT = re.compile(
    r"^\s*(?:from|import)\s+((?:django|flask|fastapi|starlette)(?:\.\w+)*)", re.MULTILINE
)


def unimportable_framework(path: Path) -> str | None:
    """A web-framework module the page's examples import that cannot be imported here."""
    modules = dict.fromkeys(_FRAMEWORK_IMPORT.findall(path.read_text(encoding="utf-8")))
    return next((module for module in modules if not _importable(module)), None)


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def library_modules() -> list[str]:
    import webhook_payloads

    found = pkgutil.walk_packages(webhook_payloads.__path__, "webhook_payloads.")
    # __main__ runs the command line when imported.
    names = sorted(info.name for info in found if not info.name.endswith(".__main__"))
    return ["webhook_payloads", *names]


@pytest.mark.parametrize("name", library_modules())
def test_docstring_examples_run(name: str) -> None:
    # The API reference pages show the docstrings' >>> examples: they must run too.
    finder = doctest.DocTestFinder(exclude_empty=True)
    try:
        module = importlib.import_module(name)
        tests = finder.find(module, name, module=module)
    except ImportError as exc:  # an integration whose framework is not installed here
        pytest.skip(f"{name} cannot be imported here ({exc.name or exc})")
    except Exception as exc:
        # The Django app's models, admin and migrations import only in a configured Django
        # with the app installed, and the finder's look at django.conf.settings needs one
        # configured (the inbox tests set one up; other runs may not).
        if not type(exc).__module__.startswith("django."):
            raise
        pytest.skip(f"{name} needs a configured Django with the app installed ({exc})")
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    report = io.StringIO()
    for test in tests:
        runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


# --- the harness itself ------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    # Pages live under ROOT; a file elsewhere is named by its absolute path.
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_fences_are_found_with_their_output_and_markers(tmp_path: Path) -> None:
    text = (
        "Intro\n\n```python\nx = 1\n```\n\n```output\n1\n```\n\n"
        "<!-- no-run -->\n```python\nimport nothing\n```\n\n"
        '!!! note\n\n    ```python title="indented"\n    y = 2\n    ```\n\n'
        "Text between.\n\n```output\nnot attached\n```\n"
    )
    blocks = fenced_blocks(text, tmp_path / "page.md")
    assert [(b.language, b.line, b.skip, b.output) for b in blocks] == [
        ("python", 3, False, "1\n"),
        ("python", 12, True, None),
        ("python", 18, False, None),
        ("output", 24, False, None),
    ]
    assert blocks[2].source == "y = 2\n"


def test_unclosed_fence_is_reported(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="unclosed"):
        fenced_blocks("```python\nx = 1\n", tmp_path / "page.md")


def test_blocks_share_one_namespace_and_skips_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    path = write(
        tmp_path,
        "```python\nfrom dataclasses import dataclass\n\n@dataclass\nclass A:\n    x: int\n```\n"
        "<!-- no-run -->\n```python\nraise SystemExit\n```\n"
        "```python\nprint(A(1))\n```\n```output\nA(x=1)\n```\n"
        "```pycon\n>>> A(2).x + 1\n3\n```\n"
        "```console\n$ pip install webhook-payloads\n$ webhook-payloads samples payscore\n"
        "VERIFICATION_STARTED\n...\n```\n",
    )
    assert run_markdown(path) == 4  # the no-run block is the one left out


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("```python\nprint(1)\n```\n\n```output\n2\n```\n", "printed something else"),
        ("```pycon\n>>> 1 + 1\n3\n```\n", "example failed"),
        ("```console\n$ webhook-payloads samples payscore\nNOPE\n```\n", "printed something else"),
    ],
)
def test_wrong_output_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str, message: str
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(pytest.fail.Exception, match=message):
        run_markdown(write(tmp_path, page))


def test_a_failing_example_fails_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    path = write(tmp_path, "Text\n\n```python\nx = 1\nassert x == 2\n```\n")
    with pytest.raises(AssertionError) as info:
        run_markdown(path)
    assert info.traceback[-1].lineno + 1 == 5  # the assert's line in the Markdown file


def test_the_home_page_has_code_that_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Prose-only pages are fine, but the front page must show the library working.
    monkeypatch.chdir(tmp_path)
    assert run_markdown(ROOT / "docs" / "index.md") >= 1
