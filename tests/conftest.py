"""Test set-up: a temporary PCF_HOME (so BRIGHTWAY2_DIR is temporary) and a background built once.

``PCF_HOME`` is set here, at import, before any test imports bw2data through pcf.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="pcf-test-home-"))
os.environ["PCF_HOME"] = str(_HOME)

REPO = Path(__file__).resolve().parent.parent


def flat(text: str) -> str:
    """Command output with its line wrapping undone: words joined by single spaces. Messages
    wrap at 80 columns also in a pipe and under CliRunner (cli.wrap_message, issue 20 part 7),
    so a phrase of a message may sit across a line break."""
    return " ".join(text.split())


SHARED = REPO.parent / "shared"

# A tiny background table with hand-checkable gases [kg gas / unit].
TEST_BACKGROUND = """\
key,name,reference_product,unit,location,year,co2_fossil,ch4_fossil,ch4_biogenic,n2o,co2_biogenic,co2_dluc,sf6,nf3,cf4,c2f6,co2e_unsplit,gwp_basis,aircraft,factor_ids,source,note,dqr_ter,dqr_ger,dqr_tir,dqr_p
elec,electricity,electricity,kWh,CN,2023,0.5,0.001,,0.0001,,,,,,,,AR6,,,test table written by hand,,1,1,1,1
steel,steel,steel,kg,GLO,2022,2.0,,,,,,,,,,,AR6,,,test table written by hand,,1,1,1,1
air,air freight,transport,tkm,GLO,2025,1.0,,,,,,,,,,,AR6,yes,,test table written by hand,,1,1,1,1
wood,wood chips,wood chips,kg,GLO,2022,0.1,,,,1.5,0.2,,,,,,AR6,,,test table written by hand,,1,1,1,1
"""


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def bd():
    """bw2data with biosphere3, the GWP methods and the hand-made ``test-bg`` written."""
    from pcf.background.methods import write_methods
    from pcf.background.opendefault import write_open_default
    from pcf.core.bw import brightway, quiet

    module = brightway()
    if "biosphere3" not in module.databases:
        with quiet():
            import bw2io

            bw2io.create_default_biosphere3()
            write_methods(module)
    table = _HOME / "test-bg.csv"
    table.write_text(TEST_BACKGROUND, encoding="utf-8")
    write_open_default(module, table, "test-bg")
    return module


@pytest.fixture
def write_model(tmp_path):
    """Write YAML text to a model file in tmp_path and return its path."""

    def _write(text: str, name: str = "model.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture(scope="session")
def open_default(bd):
    """The full background of ``pcf setup`` (open default from databases/)."""
    from pcf.background import setup

    setup()
    return bd


# --------------------------------------------------------------------------- registry back ends
# The registry tests run twice, on an SQLite file and on a real PostgreSQL server (issue 16):
# every test of these modules gets the `registry_backend` parameter, and
# tests.registry_util.location / new_registry give it an SQLite path or a fresh database's URL
# (the sqlite tests of a module run first, then the postgresql ones).
# A test about the SQLite file itself (direct sqlite3 edits, corruption, WAL) is marked
# `@pytest.mark.sqlite_only` with the reason, and runs once; a registry test in another module is
# marked `@pytest.mark.registry` and runs on both.
BOTH_BACKENDS = {"test_registry", "test_registry_cli", "test_registry_lifecycle", "test_registry_live",
                 "test_registry_roles", "test_registry_forgery", "test_registry_safety", "test_registry_publish",
                 "test_verification_cases", "test_reduction_label", "test_pact_server", "test_pact_query",
                 "test_pact_events", "test_pact_hardening", "test_registry_tokens"}


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only(reason): a registry test about the SQLite file itself")
    config.addinivalue_line("markers", "registry: a registry test in a module of other tests (runs on both back ends)")


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    wanted = module in BOTH_BACKENDS or metafunc.definition.get_closest_marker("registry") is not None
    if "registry_backend" in metafunc.fixturenames and wanted:
        only = metafunc.definition.get_closest_marker("sqlite_only")
        metafunc.parametrize("registry_backend", ["sqlite"] if only else ["sqlite", "postgresql"], indirect=True,
                             scope="module")


@pytest.fixture(scope="session")
def pg_cluster():
    """A throw-away PostgreSQL cluster for the session (tests/pgserver.py); fails without PostgreSQL."""
    from tests import pgserver

    cluster = pgserver.start()
    yield cluster
    cluster.stop()


@pytest.fixture(autouse=True, scope="module")
def registry_backend(request):
    """``sqlite`` or ``postgresql``: the back end tests.registry_util gives this module's registries
    (module scope, so that a module's shared registry fixture is made once per back end: such a
    fixture names ``registry_backend`` among its arguments)."""
    from tests import registry_util

    backend = getattr(request, "param", "sqlite")
    cluster = request.getfixturevalue("pg_cluster") if backend == "postgresql" else None
    registry_util.use_backend(cluster)
    yield backend
    registry_util.use_backend(None)
    if cluster is not None:
        cluster.drop_databases()
