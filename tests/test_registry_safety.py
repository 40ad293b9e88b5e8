"""Safety of the registry under concurrency, crashes and hostile input (issue 7, point 7), on
both back ends (an SQLite file; a PostgreSQL server, issue 16: tests/conftest.py).

- 16 processes issuing 1,000 labels at once (each a signed declaration and a signed
  event) get 1,000 distinct consecutive numbers and the registry check (chain, every event's
  signature and signer, tables, every declaration signature) passes;
- a process killed (SIGKILL) in the middle of issuing leaves no label, no event, no visible
  file and no used number;
- after the commit, a rename that fails or a Ctrl-C leaves no temporary file, and the error names
  the label issued (and `pcf registry export NUMBER` when its files are not all there);
- hostile product names cannot inject into SQL, the label SVG or the statement.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET

import pytest

from pcf.registry import check_registry, issue, verify
from pcf.registry.numbers import parse_number
from tests.conftest import REPO
from tests.registry_util import location, make_declaration, new_registry, raw_db, signed_case

WORKERS, LABELS = 16, 1000

CHILD = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from pcf.registry import issue, load_signing_key, open_store
    from tests.registry_util import make_declaration

    registry, key_path, count, go, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
    store = open_store(registry, create=False)
    key = load_signing_key(key_path)
    # one product per label, so no rule about one current label per product is in the way
    results = [make_declaration(id=f"SAFE-{Path(out).stem}-{i}") for i in range(count)]
    Path(out + ".ready").touch()
    while not go.exists():
        time.sleep(0.01)
    # self-declared: the test is about numbering under concurrency, not verification cases (issue 15)
    numbers = [issue(store, result, key, 730, self_declared=True).number for result in results]
    Path(out).write_text(json.dumps(numbers))
""")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_sixteen_processes_issue_1000_distinct_consecutive_numbers(tmp_path):
    store, key, private, _ = new_registry(tmp_path)
    store.close()
    go = tmp_path / "go"
    shares = [LABELS // WORKERS + (1 if i < LABELS % WORKERS else 0) for i in range(WORKERS)]  # 63 x 8 + 62 x 8
    assert sum(shares) == LABELS
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, location(tmp_path), str(private), str(n),
                               str(go), str(tmp_path / f"out{i}.json")], env=_env(), cwd=REPO)
             for i, n in enumerate(shares)]
    deadline = time.time() + 300  # every worker imports pcf, builds its results and waits at the start line
    while not all((tmp_path / f"out{i}.json.ready").exists() for i in range(WORKERS)):
        assert time.time() < deadline and all(p.poll() is None for p in procs), "a worker did not get ready"
        time.sleep(0.05)
    go.touch()
    for p in procs:
        assert p.wait(timeout=600) == 0
    got = [json.loads((tmp_path / f"out{i}.json").read_text()) for i in range(WORKERS)]
    numbers = [n for worker in got for n in worker]
    assert len(numbers) == LABELS and len(set(numbers)) == LABELS
    assert sorted(parse_number(n).seq for n in numbers) == list(range(1, LABELS + 1))
    # the workers really ran at the same time: some worker's numbers are not one block
    assert any(max(parse_number(n).seq for n in w) - min(parse_number(n).seq for n in w) + 1 > len(w) for w in got)
    from pcf.registry import open_store

    store = open_store(location(tmp_path), create=False)
    report = check_registry(store)
    assert report.ok, report.problems[:5]
    with store.read() as tx:
        setup = len([e for e in tx.events() if e.label is None])  # 2 keys + the verification case (issue 15)
        assert [e.label for e in tx.events()[setup:]] == [lab.number for lab in tx.labels()]
    assert report.labels == LABELS and report.events == LABELS + setup
    store.close()


KILLED = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import pcf.registry.lifecycle as issuing
    from pcf.core.files import StagedFiles
    from pcf.registry import issue, load_signing_key, open_store
    from tests.registry_util import make_declaration

    registry, key_path, out, marker, where = sys.argv[1:6]

    def pause():
        Path(marker).write_text(str(os.getpid()))
        time.sleep(120)

    if where == "after-insert":
        original = issuing.append_event
        def append_then_pause(tx, kind, *args, **kwargs):
            event = original(tx, kind, *args, **kwargs)
            if kind == "label-issued":
                pause()
            return event
        issuing.append_event = append_then_pause
    else:
        original = StagedFiles.stage
        def stage_then_pause(self):
            staged = original(self)
            pause()
            return staged
        StagedFiles.stage = stage_then_pause

    store = open_store(registry, create=False)
    issue(store, make_declaration(), load_signing_key(key_path), 730, out, render=False)
""")


@pytest.mark.parametrize("where", ["after-insert", "after-staging"])
def test_process_killed_mid_issue_leaves_no_half_issued_label(tmp_path, where):
    store, key, private, _ = new_registry(tmp_path)
    out, marker = tmp_path / "labels", tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, "-c", KILLED, location(tmp_path), str(private), str(out),
                             str(marker), where], env=_env(), cwd=REPO)
    deadline = time.time() + 120
    while not marker.exists():
        assert proc.poll() is None, "the issuing process ended before the pause"
        assert time.time() < deadline
        time.sleep(0.05)
    if where == "after-staging":
        assert [p.name for p in out.iterdir() if p.name.startswith(".")], "nothing was staged"
    # while the dying issuer holds the write lock, readers still see the registry as it was
    with store.read() as tx:
        assert tx.labels() == []
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    store.close()
    from pcf.registry import open_store

    store = open_store(location(tmp_path), create=False)
    with store.read() as tx:
        assert tx.labels() == []
        assert tx.events()[-1].kind == "case-signed"  # the set-up's verification case, then nothing
    assert check_registry(store).ok
    visible = [p.name for p in out.iterdir() if not p.name.startswith(".")] if out.exists() else []
    assert visible == []
    # the number was not used: the next label gets number 1
    again = issue(store, make_declaration(), key, 730, out, render=False)
    assert parse_number(again.number).seq == 1
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == [f"{again.number}.declaration.json"]
    store.close()


HOSTILE_NAME = "<script>alert(1)</script>\"'><svg onload=alert(2)>]]>&amp; '); DROP TABLE labels;-- 电池"
HOSTILE_ID = "X'); DROP TABLE labels;--"


def test_hostile_product_names_cannot_inject_sql_svg_or_html(tmp_path):
    store, key, _, _ = new_registry(tmp_path)
    out = tmp_path / "labels"
    signed_case(store, make_declaration(name=HOSTILE_NAME, id=HOSTILE_ID))
    issued = issue(store, make_declaration(name=HOSTILE_NAME, id=HOSTILE_ID), key, 730, out)
    # SQL: stored verbatim, no table dropped
    db = raw_db(store.location)
    for table in ("labels", "events", "issuers", "issuer_keys", "meta"):  # each still there
        db.execute(f"SELECT COUNT(*) FROM {table}").fetchall()
    rows = db.execute("SELECT product_name, product_id FROM labels").fetchall()
    assert [(r["product_name"], r["product_id"]) for r in rows] == [(HOSTILE_NAME, HOSTILE_ID)]
    db.close()
    assert verify(issued.number, store).verdict == "valid"
    assert check_registry(store).ok
    # SVG: well-formed XML, the name is text (escaped), no script or foreign element
    svg_text = issued.files["label.svg"].read_text(encoding="utf-8")
    root = ET.fromstring(svg_text)
    tags = {el.tag.split("}")[-1] for el in root.iter()}
    assert "script" not in tags and tags <= {"svg", "title", "rect", "path", "text", "tspan", "g", "line"}
    assert "<script>" not in svg_text and "&lt;script&gt;" in svg_text
    texts = "".join(el.text or "" for el in root.iter())
    assert "<script>alert(1)</script>" in texts  # shown as text
    # the statement shows it as text
    statement = subprocess.run(["pdftotext", str(issued.files["statement.pdf"]), "-"], capture_output=True,
                               text=True, check=True).stdout
    assert "<script>alert(1)</script>" in statement
    # the token %-encodes ' ; and the like, and reads back the same fields
    from pcf.registry.token import parse_token

    assert "p=X%27)%3B DROP TABLE labels%3B--|" in issued.token
    fields = parse_token(issued.token).fields
    assert fields["p"] == HOSTILE_ID and fields["c"] == "C" and fields["n"] == issued.number
    store.close()


def _first_number(store) -> str:
    """The number the next label of a fresh registry gets this year (sequence 1)."""
    from pcf.registry.declaration import utc_now
    from pcf.registry.numbers import format_number

    with store.read() as tx:
        prefix = tx.setting("prefix") or "PCF"
    return format_number(prefix, utc_now().year, 1)


def test_files_that_cannot_be_renamed_after_the_commit_leave_no_temporary_file_and_say_how_to_write_them(tmp_path):
    """The registry's commit done, renaming a label's files into place fails for real: a folder holds
    the name of its label PDF (the third of four). The label stays issued, its first two files are in
    place, no temporary file is left, and the error says how to write the files:
    `pcf registry export NUMBER`. Before, the OSError went out as it was (an error about a file, not
    about the label) and the label PDF's and statement's staged files stayed as hidden .tmp files."""
    from pcf.api import registry_export
    from pcf.registry.errors import RegistryError

    store, key, _, _ = new_registry(tmp_path)
    number = _first_number(store)
    out = tmp_path / "labels"
    (out / f"{number}.label.pdf").mkdir(parents=True)  # rename(2) of a file onto a folder: EISDIR
    with pytest.raises(RegistryError) as raised:
        issue(store, make_declaration(), key, 730, out)
    assert f"label {number} is issued" in str(raised.value)
    assert f"pcf registry export {number}" in str(raised.value)
    with store.read() as tx:
        assert [r.number for r in tx.labels()] == [number]
    assert sorted(p.name for p in out.iterdir()) == [f"{number}.{s}" for s in ("declaration.json", "label.pdf",
                                                                                 "label.svg")]
    (out / f"{number}.label.pdf").rmdir()
    registry_export(number, out, location(tmp_path))
    assert sorted(p.name for p in out.iterdir()) == [f"{number}.{s}" for s in ("declaration.json", "label.pdf",
                                                                                 "label.svg", "statement.pdf")]
    store.close()


@pytest.mark.parametrize("interrupts", [1, 2])
def test_ctrl_c_between_the_commit_and_the_renames(tmp_path, monkeypatch, interrupts):
    """A real SIGINT delivered to this process as the first staged file is renamed into place (once,
    or twice: the user insists). Once: the files are renamed all the same, then the interrupt goes out
    saying the label is issued and where its files are. Twice: the second interrupt goes out at once,
    naming `pcf registry export NUMBER`, and no temporary file is left. Before, either left the label
    issued with its files as hidden .tmp files and said nothing of it."""
    import pcf.core.files

    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's own, as in `pcf issue`
    store, key, _, _ = new_registry(tmp_path)
    number = _first_number(store)
    out = tmp_path / "labels"
    rename = os.replace

    def interrupted_rename(source, target):
        monkeypatch.setattr(pcf.core.files.os, "replace", rename)  # the first rename only
        for _ in range(interrupts):
            signal.raise_signal(signal.SIGINT)
        rename(source, target)

    monkeypatch.setattr(pcf.core.files.os, "replace", interrupted_rename)
    with pytest.raises(KeyboardInterrupt) as raised:
        issue(store, make_declaration(), key, 730, out, render=False)
    monkeypatch.undo()
    with store.read() as tx:
        assert [r.number for r in tx.labels()] == [number]
    assert f"label {number} is issued" in str(raised.value)
    if interrupts == 1:
        assert sorted(p.name for p in out.iterdir()) == [f"{number}.declaration.json"]
        assert str(out) in str(raised.value)
    else:
        assert list(out.iterdir()) == [] and f"pcf registry export {number}" in str(raised.value)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    store.close()
