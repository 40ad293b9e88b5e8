"""Shared fixtures of the registry tests (not a test module).

The result is written by hand to conform to PCR ``eu-battery-cfb-ev``: a 10 kWh pack,
60 full cycles a year (the PCR's fixed value) for 8 years gives 10 x 60 x 8 = 4800 kWh
delivered over the service life per pack; stages 600 + 300 + 30 + 30 = 960 kg CO2e per
pack; so 960 / 4800 = 0.200 kg CO2e/kWh, class C on the PCR's scale (0.15 < 0.200 <= 0.25).
It states the declaration items and primary production data the PCR asks for (tests/pcr_util.py).

Issue 15: a label needs a verification case for its result, signed by a verifier whose key is
not the issuer's. :func:`new_registry` registers a verifier key (``vb-test``) beside the issuer
key and has it sign a case for :func:`make_declaration`'s result, every item recorded ``ok``
(:func:`signed_case`); tests that issue other results call :func:`signed_case` for them.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from pcf.declaration import Declaration, build_declaration
from pcf.lca.result import (Contribution, DataQuality, DataQualityItem, DeclaredUnit, Dqr, Product, Provenance,
                            Quantity, Study)
from pcf.pcr import load_pcr
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pcf.registry import check_conformance, init_registry, new_keys, open_store, register_key
from pcf.registry.cases import open_case, record_item, sign_case
from pcf.registry.keys import SigningKey
from tests import builders
from tests.pcr_util import DECLARATION

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]

PCR = "eu-battery-cfb-ev"
_DQR = Dqr(ter=2, ger=2, tir=2, p=2, dqr=2.0)


def _primary_production(process: str, kg_co2e: float) -> dict:
    """``contributions`` and ``data_quality`` of a production stage that is one process with
    primary activity data (one direct item of ``kg_co2e``), rated DQR 2.0
    (the typed form of :func:`tests.pcr_util.primary_production`)."""
    item = DataQualityItem(process=process, kind="direct", index=None, background=None, database=None,
                           reference=None, name=process, data="primary", emission_factor="primary",
                           primary_share=1.0, dqr=_DQR, dqr_source="process", kg_co2e=kg_co2e, weight=1.0)
    return {
        "contributions": (Contribution(process=process, name=process, stage="production", kind="direct",
                                       kg_co2e=kg_co2e, share=kg_co2e / 960.0),),
        "data_quality": DataQuality(primary_data_share=1.0, primary_data_share_percent=100.0,
                                    primary_kg_co2e=kg_co2e, abs_kg_co2e=kg_co2e, basis="test", dqr=_DQR,
                                    level="good", coverage=1.0, unrated_significant=(), items=(item,)),
    }


def make_footprint(**product):
    """The hand-made conforming result (module docstring) as a typed footprint result;
    ``product`` replaces fields of its product (``id``, ``name``)."""
    declared = DeclaredUnit(unit="kWh", description="kWh delivered over the service life", per_reference_flow=4800.0)
    fields = {"id": "TEST-PACK-10", "name": "Test EV battery pack, 10 kWh",
              "reference_flow": Quantity(amount=1.0, unit="item"), "declared_unit": declared, **product}
    return builders.result(
        fossil=960.0, declared_per_reference_flow=4800.0,
        stages={"raw_material_acquisition": 600.0, "production": 300.0, "distribution": 30.0, "end_of_life": 30.0},
        product=Product(**fields),
        study=Study(standard="ISO 14067:2018", boundary="cradle-to-grave", pcr=PCR, method="ef-3.1-climate-change",
                    background="test-bg"),  # the PCR's method (eu-battery-cfb-ev 0.4, issue 14 part 1)
        parameters={"capacity_kwh": 10, "cycles_per_year": 60, "service_life_years": 8},
        method="ef-3.1-climate-change",
        method_name=("pcf", "EF v3.1", "climate change", "ISO 14067 biogenic -1/+1"),
        background="test-bg",
        provenance=Provenance(method_label="EF 3.1 climate change (GWP100)", method_source=(), method_description="test",
                              background_database="test-bg", background_version="test-bg sha256:0123",
                              background_sha256="cd" * 32, background_activities=0,
                              databases=({"database": "test-bg", "sha256": "cd" * 32},), brightway={},
                              bw2calc_score=960.0),
        software_version="0.1.0", model_sha256="ab" * 32, model_file="test.yaml",
        created_at="2026-01-01T00:00:00+00:00",
        declaration=DECLARATION,
        **_primary_production("pack_assembly", 300.0),
    )


def assessed(declaration: Declaration) -> Declaration:
    """The declaration with the assessment `pcf footprint` gives it under its PCR (and that
    PCR's accounting rule)."""
    return build_declaration(declaration.result, load_pcr(declaration.result.study.pcr))


def make_declaration(**product) -> Declaration:
    """The hand-made conforming result (module docstring), assessed like `pcf footprint` does."""
    return assessed(builders.declaration(make_footprint(**product)))


def make_result(**product) -> dict:
    """:func:`make_declaration` as its ``pcf-result/1`` JSON."""
    return make_declaration(**product).to_json()


def with_result(declaration: Declaration, **fields) -> Declaration:
    """The declaration with fields of its footprint result replaced."""
    return declaration.replace(result=dataclasses.replace(declaration.result, **fields))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


#: Registry location -> its root key (made by :func:`new_registry`), for tests that admit keys
#: or change settings.
ROOT_KEYS: dict[str, SigningKey] = {}


def root_of(store) -> SigningKey:
    """The root key :func:`new_registry` made for ``store``."""
    return ROOT_KEYS[store.location]


#: The PostgreSQL cluster of the running test when it runs on PostgreSQL (tests/conftest.py
#: ``registry_backend``), else None; and the databases made for it, by (folder, name).
_BACKEND: dict = {"cluster": None, "made": {}}


def use_backend(cluster) -> None:
    """Give the following registries to the PostgreSQL ``cluster`` (tests/pgserver.py), or to
    SQLite files (None)."""
    _BACKEND["cluster"], _BACKEND["made"] = cluster, {}


def on_postgresql() -> bool:
    """True when the running test's registries are on PostgreSQL."""
    return _BACKEND["cluster"] is not None


def location(tmp_path, name="registry.db") -> str:
    """The registry location for ``tmp_path / name`` on the running test's back end: that file
    path (SQLite), or the URL of a fresh database, the same one for the same folder and name."""
    cluster = _BACKEND["cluster"]
    if cluster is None:
        return str(tmp_path / name)
    key = (str(tmp_path), name)
    if key not in _BACKEND["made"]:
        _BACKEND["made"][key] = cluster.new_database()
    return _BACKEND["made"][key]


def new_registry(tmp_path, name="registry.db", issuer="cb-test", now=None, case=True):
    """A registry with a root key (written unencrypted to ``tmp_path/root/<issuer>-root.key``,
    kept in :data:`ROOT_KEYS`) and one issuer key admitted by it: (store, key, private key path,
    public key path); with ``case`` also a verifier key (``vb-test``) and a signed verification
    case for :func:`make_declaration`'s result (issue 15)."""
    from pcf.registry.keys import write_key_pair

    store = open_store(location(tmp_path, name))
    root, _, _ = write_key_pair(f"{issuer}-root", tmp_path / "root")
    init_registry(store, root_key=root, now=now)
    ROOT_KEYS[store.location] = root
    key, private, public, _ = new_keys(store, issuer, tmp_path / "keys", root_key=root, now=now)
    if case:
        signed_case(store, make_declaration(), now=now)
    return store, key, private, public


def admit(store, name, out_dir, role="issuer", now=None, valid_until=None):
    """``new_keys`` for a registry made by :func:`new_registry` (its root key signs):
    (key, private path, public path, record)."""
    return new_keys(store, name, out_dir, role=role, root_key=root_of(store), now=now, valid_until=valid_until)


#: The passphrase of the keys CLI tests make (they set it as PCF_KEY_PASSPHRASE).
TEST_PASSPHRASE = "correct horse battery staple"


def cli_root(tmp_path, monkeypatch, *init_args):
    """For CLI tests: keys encrypted with :data:`TEST_PASSPHRASE` (set as PCF_KEY_PASSPHRASE),
    the body's root key written by `pcf keys new --no-register` to ``tmp_path/offline`` and the
    registry (PCF_REGISTRY, set by the caller) made by `pcf registry init --root-key` with
    ``init_args``. Returns the root key path."""
    from typer.testing import CliRunner

    import cli

    def run(*args):
        return CliRunner().invoke(cli.app, [str(a) for a in args])

    monkeypatch.setenv("PCF_KEY_PASSPHRASE", TEST_PASSPHRASE)
    r = run("keys", "new", "--issuer", "cb-root", "--out", tmp_path / "offline", "--no-register")
    assert r.exit_code == 0, r.output
    root = tmp_path / "offline" / "cb-root.key"
    r = run("registry", "init", "--root-key", root, *init_args)
    assert r.exit_code == 0, r.output
    return root


def cli_issuer_key(tmp_path, monkeypatch, issuer="cb-test", keys_dir=None, *init_args):
    """For CLI tests: :func:`cli_root`, then `pcf keys new --issuer ISSUER --out KEYS --root-key
    ROOT` (encrypted). Returns the issuer's private key path (``keys_dir`` default
    ``tmp_path/keys``)."""
    from typer.testing import CliRunner

    import cli

    root = cli_root(tmp_path, monkeypatch, *init_args)
    keys_dir = keys_dir or tmp_path / "keys"
    r = CliRunner().invoke(cli.app, ["keys", "new", "--issuer", issuer, "--out", str(keys_dir), "--root-key", str(root)])
    assert r.exit_code == 0, r.output
    return keys_dir / f"{issuer}.key"


#: (registry location, verifier name) -> the verifier's in-memory key.
VERIFIER_KEYS: dict[tuple[str, str], SigningKey] = {}


def verifier_key(store, name="vb-test", now=None) -> SigningKey:
    """The key of verifier ``name`` in this registry, registered (at ``now``) on first use."""
    found = VERIFIER_KEYS.get((store.location, name))
    if found is None:
        found = SigningKey.from_private(Ed25519PrivateKey.generate())
        register_key(store, name, found.public_key, "verifier", root_key=root_of(store), now=now)
        VERIFIER_KEYS[(store.location, name)] = found
    return found


def signed_case(store, declaration: Declaration, verifier="vb-test", opinion="reasonable", now=None, pcr_dir=None):
    """Open a case for ``declaration``'s result, record every item ``ok`` and have verifier
    ``verifier`` sign it (at ``now``); returns the signed :class:`pcf.registry.cases.CaseView`."""
    key = verifier_key(store, verifier, now)
    view = open_case(store, declaration, check_conformance(declaration, pcr_dir), verifier, key, now=now)
    for item in view.items:
        record_item(store, view.case.number, item["id"], "ok", f"checked {item['id']} (test)", key=key, now=now)
    return sign_case(store, view.case.number, key, opinion, now=now)


def ensure_case(store, declaration: Declaration, now=None, pcr_dir=None) -> None:
    """:func:`signed_case` unless the registry holds a signed case for the result already."""
    from pcf.registry.cases import result_sha256

    with store.read() as tx:
        if any(c.status == "signed" for c in tx.cases(result_sha256(declaration))):
            return
    signed_case(store, declaration, now=now, pcr_dir=pcr_dir)


def verified_issue(store, declaration: Declaration, *args, case_at=None, pcr_dir=None, **kwargs):
    """:func:`pcf.registry.issue` after a verifier signed a case for the result (at ``case_at``;
    issue 15 part 2): for tests about something else than verification."""
    from pcf.registry import issue

    ensure_case(store, declaration, now=case_at, pcr_dir=pcr_dir)
    return issue(store, declaration, *args, pcr_dir=pcr_dir, **kwargs)




def cli_case(run, result, keys_dir, root, verifier="vb-test", opinion="reasonable") -> str:
    """The CLI steps of a verification: a verifier key (``pcf keys new --role verifier``, admitted
    by the root key ``root``, once), ``pcf verification open`` / ``checklist --json`` / ``record``
    (every item ``ok``) / ``sign``, each signed with the verifier's key; returns the case number.
    ``run(*args)`` invokes the CLI (tests/test_registry_cli.py)."""
    from pathlib import Path
    import json

    keys_dir = Path(keys_dir)
    key = keys_dir / f"{verifier}.key"
    if not key.exists():
        r = run("keys", "new", "--issuer", verifier, "--role", "verifier", "--out", keys_dir, "--root-key", root)
        assert r.exit_code == 0, r.output
    r = run("verification", "open", result, "--verifier", verifier, "--key", key)
    assert r.exit_code == 0, r.output
    number = r.stdout.strip()
    items = json.loads(run("verification", "checklist", number, "--json").stdout)["items"]
    for item in items:
        r = run("verification", "record", number, item["id"], "--status", "ok", "--note", f"checked {item['id']}",
                "--key", key)
        assert r.exit_code == 0, r.output
    r = run("verification", "sign", number, "--key", key, "--opinion", opinion)
    assert r.exit_code == 0, r.output
    return number


class _PgRaw:
    """A raw PostgreSQL connection that reads like sqlite3's for the tests that edit a registry
    behind pcf's back: ``?`` placeholders, rows by name, ``DROP TRIGGER name`` / ``DROP INDEX``
    as in SQLite (autocommit: ``commit`` does nothing)."""

    def __init__(self, url: str):
        import psycopg
        from psycopg.rows import dict_row

        self.db = psycopg.connect(url, autocommit=True, row_factory=dict_row)
        self.row_factory = None

    def execute(self, sql: str, args=()):
        import re

        from pcf.registry.pgstore import PG_TRIGGERS

        drop = re.fullmatch(r"\s*DROP TRIGGER (\w+)\s*", sql)
        if drop:
            table = re.search(r"ON (\w+) FOR EACH ROW", PG_TRIGGERS[drop.group(1)]).group(1)
            sql = f"DROP TRIGGER {drop.group(1)} ON {table}"
        return self.db.execute(sql.replace("?", "%s"), tuple(args))

    def executemany(self, sql: str, rows):
        for row in rows:
            self.execute(sql, row)

    def executescript(self, sql: str):
        return self.db.execute(sql)

    def commit(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def close(self) -> None:
        self.db.close()


def raw_db(location):
    """A direct connection to the registry at ``location`` (an SQLite file or a PostgreSQL URL),
    rows readable by column name: what an attacker with write access to the database has."""
    import sqlite3

    if str(location).startswith("postgresql://"):
        return _PgRaw(str(location))
    db = sqlite3.connect(location)
    db.row_factory = sqlite3.Row
    return db


def _db_errors() -> tuple:
    import sqlite3

    import psycopg

    return (sqlite3.DatabaseError, psycopg.Error)


#: What a refused direct write raises on either back end (sqlite3 or psycopg).
DB_ERROR = _db_errors()


def copy_registry(source, tmp_path) -> str:
    """A copy of the registry at ``source`` for one test (its own events, labels ...): an SQLite
    backup into ``tmp_path/registry.db``, or a new database made from ``source`` as template."""
    import sqlite3

    if str(source).startswith("postgresql://"):
        cluster = _BACKEND["cluster"]
        from urllib.parse import urlsplit

        return cluster.new_database(template=urlsplit(str(source)).path.lstrip("/"))
    target = tmp_path / "registry.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return str(target)
