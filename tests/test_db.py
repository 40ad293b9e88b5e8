"""`pcf db list` / `pcf db remove` (library and CLI)."""

from __future__ import annotations

import hashlib
import json

import pytest
from typer.testing import CliRunner

import cli
from pcf.background import list_databases, remove_database
from pcf.background.opendefault import write_open_default
from pcf.core.errors import BackgroundError
from tests.conftest import TEST_BACKGROUND
from tests.conftest import flat

runner = CliRunner()


@pytest.fixture
def scratch_table(bd, tmp_path):
    path = tmp_path / "scratch.csv"
    path.write_text(TEST_BACKGROUND, encoding="utf-8")
    write_open_default(bd, path, "scratch-bg")
    return path


def test_list_shows_tables_with_counts_and_content_hash(scratch_table):
    entries = {e.name: e for e in list_databases()}
    scratch = entries["scratch-bg"]
    assert scratch.kind == "table"
    assert scratch.activities == 4  # rows of TEST_BACKGROUND
    assert scratch.sha256 == hashlib.sha256(scratch_table.read_bytes()).hexdigest()
    assert entries["biosphere3"].kind == "biosphere"


def test_cli_list_json(scratch_table):
    result = runner.invoke(cli.app, ["db", "list", "--json"])
    assert result.exit_code == 0
    names = {e["name"]: e for e in json.loads(result.output)}
    assert names["scratch-bg"]["activities"] == 4


def test_remove_and_refusals(scratch_table):
    assert remove_database("scratch-bg").database == "scratch-bg"
    assert "scratch-bg" not in {e.name for e in list_databases()}
    with pytest.raises(BackgroundError, match="no database 'scratch-bg' installed; installed: .*test-bg"):
        remove_database("scratch-bg")
    with pytest.raises(BackgroundError, match="pcf setup --force"):
        remove_database("biosphere3")


def test_cli_remove_unknown_exits_2(bd):
    result = runner.invoke(cli.app, ["db", "remove", "nothing-here"])
    assert result.exit_code == 2
    assert "no database 'nothing-here'" in flat(result.output)
