"""Alembic, as a user's project runs it, picks up the inbox's table and creates it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from alembic import command as alembic_command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from webhook_payloads.integrations.sqlalchemy import TABLE_NAME, deliveries

from ._sqla import postgresql_url
from .conftest import POSTGRES_MISSING, POSTGRES_URL, _database

DOCS_PAGE = "inbox.md"

# What the docs tell users to write in their env.py (next to their own models' metadata).
ENV_LINES = """\
from webhook_payloads.integrations.sqlalchemy import metadata as webhook_metadata
target_metadata = [webhook_metadata]
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.sqlite3'}"
    if POSTGRES_URL is None:
        pytest.skip(f"no PostgreSQL: {POSTGRES_MISSING}")
    _, url = _database(POSTGRES_URL)
    return postgresql_url(url)


def operations(source: str) -> list[str]:
    """The statements of a migration's ``upgrade()``, as syntax trees (layout and quotes aside).

    Sorted: Alembic versions differ in the order they write the indexes in.
    """
    tree = ast.parse(source)
    (upgrade,) = [node for node in tree.body if getattr(node, "name", None) == "upgrade"]
    assert isinstance(upgrade, ast.FunctionDef)
    statements = [
        node
        for node in upgrade.body
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))  # docstring
    ]
    assert statements
    return sorted(ast.dump(node) for node in statements)


def documented_migration() -> str:
    """The migration the docs show (the one Python block with an ``upgrade()``)."""
    page = (Path(__file__).parents[2] / "docs" / DOCS_PAGE).read_text()
    (block,) = [part for part in page.split("```python")[1:] if "def upgrade()" in part]
    return block.split("```", 1)[0]


def project(tmp_path: Path, url: str) -> Config:
    """A new Alembic project in ``tmp_path``, its env.py pointed at the inbox's metadata."""
    config = Config(str(tmp_path / "alembic.ini"))
    alembic_command.init(config, str(tmp_path / "migrations"))
    config.set_main_option("script_location", str(tmp_path / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    env = tmp_path / "migrations" / "env.py"
    text = env.read_text()
    assert "target_metadata = None" in text
    assert "    fileConfig(config.config_file_name)" in text
    text = text.replace("target_metadata = None", ENV_LINES)
    # Alembic's logging set-up would disable the loggers of this test process.
    text = text.replace("    fileConfig(config.config_file_name)", "    pass")
    env.write_text(text)
    return config


def test_autogenerate_then_upgrade_creates_the_table(tmp_path: Path, database: str) -> None:
    config = project(tmp_path / "app", database)
    alembic_command.revision(config, message="webhook inbox", autogenerate=True)
    (migration,) = (tmp_path / "app" / "migrations" / "versions").glob("*.py")
    assert f"op.create_table('{TABLE_NAME}'" in migration.read_text()

    assert operations(migration.read_text()) == operations(documented_migration())

    alembic_command.upgrade(config, "head")

    engine = create_engine(database)
    try:
        found = inspect(engine)
        columns = {column["name"] for column in found.get_columns(TABLE_NAME)}
        assert columns == {column.name for column in deliveries.columns}
        unique = found.get_unique_constraints(TABLE_NAME)
        assert [sorted(c["column_names"]) for c in unique] == [["idempotency_key", "receiver"]]
    finally:
        engine.dispose()
    # Nothing left to migrate: the database is what the metadata describes.
    alembic_command.check(config)
