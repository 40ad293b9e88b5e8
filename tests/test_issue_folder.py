"""``pcf issue FOLDER --jobs N`` (issue 18 part 5): every result of a folder gets its label, in
name order, one registry transaction each; the PDFs are rendered by worker processes. Runs on
both registry back ends (``@pytest.mark.registry``). Not timed (benchmarks/fast_commands.py)."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

import cli
from pcf.core.errors import RegistryError
from pcf.declaration import write_declaration
from pcf.registry import check_registry, open_store
from pcf.registry.bulk import issue_folder
from tests.test_render import embedded_cjk_fonts
from tests.registry_util import ensure_case, location, make_declaration, new_registry
from tests.conftest import flat

pytestmark = pytest.mark.registry

IDS = ("PACK-A", "PACK-B", "PACK-C")


def _folder(tmp_path, store, ids=IDS):
    """A folder with one conforming result per product id (each with a signed case)."""
    folder = tmp_path / "results"
    for product_id in ids:
        declaration = make_declaration(id=product_id, name=f"Test pack {product_id}")
        ensure_case(store, declaration)
        write_declaration(declaration, folder)
    return folder


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_result_is_issued_in_name_order_with_its_files(tmp_path, registry_backend, jobs):
    import os

    store, key, _, _ = new_registry(tmp_path)
    folder = _folder(tmp_path, store)
    (folder / "notes.txt").write_text("not a result", encoding="utf-8")
    umask = os.umask(0)
    os.umask(umask)
    bulk = issue_folder(store, folder, key, 730, tmp_path / "labels", jobs=jobs)
    assert [o.result.name for o in bulk.outcomes] == [f"{i}.result.json" for i in IDS] and not bulk.refused
    numbers = [o.issued.number for o in bulk.outcomes]
    assert [n.split("-")[2] for n in numbers] == ["000001", "000002", "000003"]  # numbered in name order
    with store.read() as tx:
        assert [tx.label(n).product_id for n in numbers] == list(IDS)
    for number in numbers:
        for suffix in ("declaration.json", "label.svg", "label.pdf", "statement.pdf"):
            path = tmp_path / "labels" / f"{number}.{suffix}"
            assert path.stat().st_size > 0, path
        assert (tmp_path / "labels" / f"{number}.label.pdf").read_bytes().startswith(b"%PDF")
        for pdf in ("label.pdf", "statement.pdf"):  # the workers' PDFs too: Chinese as embedded glyphs
            assert embedded_cjk_fonts(tmp_path / "labels" / f"{number}.{pdf}")
        document = json.loads((tmp_path / "labels" / f"{number}.declaration.json").read_text())
        assert document["declaration"]["label_number"] == number
        modes = {(tmp_path / "labels" / f"{number}.{suffix}").stat().st_mode & 0o777
                 for suffix in ("declaration.json", "label.svg", "label.pdf", "statement.pdf")}
        assert modes == {0o666 & ~umask}  # as `pcf issue RESULT` writes them, whoever renders
    assert check_registry(store).problems == []
    store.close()


def test_a_refused_result_does_not_stop_the_others(tmp_path, registry_backend):
    """B was issued before (one label per result): refused with the registry's message; A2 and C2
    are issued and numbered after B's first label."""
    store, key, _, _ = new_registry(tmp_path)
    folder = _folder(tmp_path, store)
    told: list[tuple[int, int]] = []
    first = issue_folder(store, folder, key, 730, tmp_path / "first", jobs=1, render=False,
                         progress=lambda done, total: told.append((done, total)))
    assert not first.refused and told == [(1, 3), (2, 3), (3, 3)]  # declarations only: each when issued
    for name in ("PACK-A.result.json", "PACK-C.result.json"):
        (folder / name).unlink()
    for product_id in ("PACK-A2", "PACK-C2"):
        declaration = make_declaration(id=product_id, name=f"Test pack {product_id}")
        ensure_case(store, declaration)
        write_declaration(declaration, folder)
    told.clear()
    bulk = issue_folder(store, folder, key, 730, tmp_path / "labels", jobs=2,
                        progress=lambda done, total: told.append((done, total, len(list((tmp_path / "labels").glob(
                            "*.statement.pdf"))))))
    assert [o.result.name for o in bulk.outcomes] == ["PACK-A2.result.json", "PACK-B.result.json",
                                                     "PACK-C2.result.json"]
    # the refusal counts at once; an issued label once its files are written (its statement is there)
    assert [(done, total) for done, total, _ in told] == [(1, 3), (2, 3), (3, 3)]
    assert told[-1] == (3, 3, 2) and all(written <= done for done, _, written in told)
    refused = bulk.outcomes[1]
    assert refused.issued is None and "already issued as" in refused.error and "one label per result" in refused.error
    assert [o.issued.number.split("-")[2] for o in (bulk.outcomes[0], bulk.outcomes[2])] == ["000004", "000005"]
    assert sorted(p.name for p in (tmp_path / "labels").iterdir() if "000005" in p.name) == [
        f"{bulk.outcomes[2].issued.number}.{s}" for s in ("declaration.json", "label.pdf", "label.svg",
                                                          "statement.pdf")]
    store.close()


def test_a_product_id_no_file_can_have_is_refused_before_a_number_is_taken(tmp_path, registry_backend):
    """The workers draw after the commit: a result whose drawing is refused for its product id (a
    '<', 200 bytes > 160) got a number and then never its files (a 3,000-character id made no QR
    code at all). Now refused as it is read, numbering and the other results unaffected."""
    store, key, _, _ = new_registry(tmp_path)
    long_id = "X" * 200
    folder = _folder(tmp_path, store, ids=("A<B", "PACK-A", long_id))
    bulk = issue_folder(store, folder, key, 730, tmp_path / "labels", jobs=2)
    by_id = {o.result.name.removesuffix(".result.json"): o for o in bulk.outcomes}
    assert by_id["PACK-A"].issued.number.split("-")[2] == "000001" and by_id["PACK-A"].error is None
    assert by_id["A<B"].issued is None and "cannot be used as a file name" in by_id["A<B"].error
    assert by_id[long_id].issued is None and "is 200 bytes long" in by_id[long_id].error
    assert "at most 160 bytes" in by_id[long_id].error
    assert sorted(p.name for p in (tmp_path / "labels").iterdir()) == [
        f"{by_id['PACK-A'].issued.number}.{s}" for s in ("declaration.json", "label.pdf", "label.svg", "statement.pdf")]
    assert check_registry(store).problems == []
    store.close()


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_label_signs_the_hash_of_its_own_result_file(tmp_path, registry_backend, jobs):
    """Each signed declaration holds the SHA-256 of its own result file's canonical JSON (RFC 8785),
    here computed from the file's own JSON, never decoded by pcf; the result files differ, so do
    their hashes."""
    import hashlib

    from pcf.core.canonical import canonical_bytes

    store, key, _, _ = new_registry(tmp_path)
    folder = _folder(tmp_path, store)
    bulk = issue_folder(store, folder, key, 730, tmp_path / "labels", jobs=jobs, render=False)
    hashes = []
    for outcome in bulk.outcomes:
        raw = json.loads(outcome.result.read_text(encoding="utf-8"))
        hashes.append(hashlib.sha256(canonical_bytes(raw)).hexdigest())
        assert outcome.issued.document["declaration"]["result_sha256"] == hashes[-1]
    assert len(set(hashes)) == len(IDS)
    store.close()


def test_an_unreadable_result_is_refused_with_its_error_and_the_others_go_on(tmp_path, registry_backend):
    """PACK-B's file is not JSON: refused with its error (the file named); A and C are issued in
    name order, with their files drawn by the renderer process and its workers."""
    store, key, _, _ = new_registry(tmp_path)
    folder = _folder(tmp_path, store)
    (folder / "PACK-B.result.json").write_text('{"format": "pcf-result/1",\n  "result": [1, 2\n', encoding="utf-8")
    bulk = issue_folder(store, folder, key, 730, tmp_path / "labels", jobs=2)
    refused = bulk.outcomes[1]
    assert refused.issued is None and "PACK-B.result.json" in refused.error
    assert [o.issued.number.split("-")[2] for o in (bulk.outcomes[0], bulk.outcomes[2])] == ["000001", "000002"]
    assert bulk.outcomes[2].issued.document["declaration"]["product"]["id"] == "PACK-C"
    assert sorted(bulk.outcomes[2].issued.files) == ["declaration.json", "label.pdf", "label.svg", "statement.pdf"]
    store.close()


def test_not_a_folder_no_result_and_bad_jobs_are_refused(tmp_path, registry_backend):
    store, key, _, _ = new_registry(tmp_path)
    with pytest.raises(RegistryError, match="not a folder"):
        issue_folder(store, tmp_path / "missing", key, 730, tmp_path / "labels")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RegistryError, match=r"no \*\.result\.json"):
        issue_folder(store, tmp_path / "empty", key, 730, tmp_path / "labels")
    with pytest.raises(RegistryError, match="jobs must be 1 to 64"):
        issue_folder(store, _folder(tmp_path, store, ("PACK-A",)), key, 730, tmp_path / "labels", jobs=0)
    with store.read() as tx:
        assert tx.labels() == []
    assert not (tmp_path / "labels").exists()
    store.close()


def test_cli_issues_a_folder_and_exits_1_when_one_is_refused(tmp_path, monkeypatch, registry_backend):
    store, key, private, _ = new_registry(tmp_path)
    folder = _folder(tmp_path, store, ("PACK-A", "PACK-B"))
    bad = make_declaration(id="PACK-Z", name="Test pack Z")  # no signed verification case
    write_declaration(bad, folder)
    store.close()
    monkeypatch.setenv("PCF_REGISTRY", location(tmp_path))
    args = ["issue", str(folder), "--key", str(private), "--valid-days", "730", "--out", str(tmp_path / "labels"),
            "--jobs", "2"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 1, result.output
    numbers = result.stdout.split()
    assert [n.split("-")[2] for n in numbers] == ["000001", "000002"]  # A and B; Z refused
    assert "PACK-Z.result.json" in result.output and "no signed verification case" in flat(result.output)
    assert "issued 2 of 3 results" in " ".join(result.output.split())
    assert re.search(r"labels .* 3/3", result.stderr)  # the progress bar's last state (not a terminal)
    result = CliRunner().invoke(cli.app, args[:2] + ["--key", str(private), "--out", str(tmp_path / "x"),
                                                      "--supersede", numbers[0]])
    assert result.exit_code == 2 and "from its result file, not from a folder" in flat(result.output)
    store = open_store(location(tmp_path))
    with store.read() as tx:
        assert [r.number for r in tx.labels()] == numbers
    store.close()


@pytest.mark.parametrize("moment", ["declaration.json", "statement.pdf"])
def test_ctrl_c_while_issuing_exits_130_and_leaves_no_process(tmp_path, registry_backend, moment):
    """A real SIGINT to the command's process group (what Ctrl-C sends) once its first label is
    issued (the renderer still warms up), or once the workers wrote a first statement: every label
    issued with its declaration, label and statement, its number on stdout, then one line, exit 130, no
    process left. Before,
    waiting for the labels the interrupted renderer had been given raised BrokenProcessPool over the
    interrupt (an internal error, exit 1); then the renderer and its workers stopped too, leaving
    issued labels without their PDFs, and an idle worker printed a traceback."""
    import os
    import signal

    proc, out = _issue_folder_process(tmp_path, 40)
    _wait_for(proc, out, f"*.{moment}")
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr, _ = _interrupted_end(proc)
    numbers = _numbers_issued(tmp_path)
    assert 1 <= len(numbers) <= 40
    assert stdout.split() == numbers  # each label's number, as a run to its end prints them (before: none)
    for suffix in ("declaration.json", "label.svg", "label.pdf", "statement.pdf"):
        assert sorted(p.name for p in out.glob(f"*.{suffix}")) == sorted(f"{n}.{suffix}" for n in numbers)
    assert not list(out.glob(".*.tmp"))  # no temporary file left: a file is whole or absent


@pytest.mark.parametrize("gap", [0.05, 0.3])
def test_a_second_ctrl_c_stops_at_once_and_names_the_labels_left_without_files(tmp_path, gap):
    """A second SIGINT while the labels issued are still being drawn (second review): before, it was either
    swallowed by the progress bar (the run went on for seconds) or it left up to 16 labels without PDFs,
    their numbers printed as if whole and nothing said. Now the command stops (the renderer killed), exit
    130, no process left, and every label in the registry has all its files or is named on stderr with
    the `pcf registry export NUMBER` that writes them."""
    import os
    import signal
    import time

    proc, out = _issue_folder_process(tmp_path, 40)
    _wait_for(proc, out, "*.statement.pdf")
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(gap)
    os.killpg(proc.pid, signal.SIGINT)
    second = time.monotonic()
    stdout, stderr, ended = _interrupted_end(proc)
    assert ended - second < 1.0  # at once: before, every label issued was drawn first (1.3-1.9 s), or for ever
    numbers = _numbers_issued(tmp_path)
    assert 1 <= len(numbers) <= 40 and stdout.split() == numbers
    told = flat(stderr)
    for number in numbers:
        whole = all((out / f"{number}.{s}").exists() for s in ("label.svg", "label.pdf", "statement.pdf"))
        assert (out / f"{number}.declaration.json").exists()
        assert whole or f"pcf registry export {number}" in told, (number, stderr)
    assert not list(out.glob(".*.tmp"))


def test_the_rule_the_labels_read_is_loaded_before_the_renderer_is_forked(tmp_path):
    """The renderer inherits the first result's rule as the statement reads it (shipped_rule's cache,
    keyed by id and version as strings); an unreadable first result is left to the loop."""
    from pcf.pcr.loader import shipped_rule
    from pcf.registry.bulk import _load_shared

    declaration = make_declaration(id="PACK-A")
    path = write_declaration(declaration, tmp_path)
    (tmp_path / "bad.result.json").write_text("{", encoding="utf-8")
    shipped_rule.cache_clear()
    _load_shared(tmp_path / "bad.result.json")
    assert shipped_rule.cache_info().currsize == 0
    _load_shared(path)
    pcr = declaration.assessment.pcr
    assert shipped_rule.cache_info().currsize == 1
    assert shipped_rule(str(pcr.id), str(pcr.version)) is not None and shipped_rule.cache_info().hits == 1


def test_the_issuing_process_loads_neither_the_render_stack_nor_the_model(tmp_path, registry_backend):
    """The issuing process of ``pcf issue FOLDER --jobs 2`` (its modules when the command ends) checks
    the font without Jinja2 or the views (pcf.render.fonts) and assesses the results without the
    model's lint and loader (pcf.pcr.inventory); the renderer and its workers draw the labels."""
    import os

    from tests.test_light_imports import _loaded

    store, _, private, _ = new_registry(tmp_path)
    folder = _folder(tmp_path, store, ("PACK-A", "PACK-B"))
    store.close()
    env = dict(os.environ, PCF_REGISTRY=location(tmp_path))
    code, modules, stderr = _loaded(tmp_path, env, "issue", folder, "--key", private, "--valid-days", 730,
                                    "--out", tmp_path / "labels", "--jobs", 2)
    assert code in (0, None), stderr
    assert len(list((tmp_path / "labels").glob("*.statement.pdf"))) == 2
    loaded = {m for m in ("weasyprint", "jinja2", "pcf.render.output", "pcf.render.view", "pcf.render.label",
                          "pcf.model.loader", "pcf.model.lint", "pcf.pcr.lint") if m in modules}
    assert loaded == set() and "pcf.pcr.assess" in modules and "pcf.render.fonts" in modules


def test_workers_are_forked_after_the_first_label_where_the_system_forks():
    """The renderer process draws the first label and the workers are forked from it (Linux), so they
    start with WeasyPrint, the fonts and their subsets loaded (pcf.registry.bulk)."""
    import multiprocessing

    from pcf.registry.bulk import _context

    expected = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    assert _context().get_start_method() == expected


def test_a_renderer_that_died_fails_its_labels_instead_of_waiting_for_them():
    """A renderer process killed (SIGKILL) before it drew anything: the label sent to it fails as a
    broken pool, as a dead ProcessPoolExecutor worker's would, and the issuing process goes on."""
    from concurrent.futures.process import BrokenProcessPool

    from pcf.registry.bulk import _context, _render, _Renderer

    renderer = _Renderer(2, _context())
    renderer.process.kill()
    renderer.process.join()
    future = renderer.submit(_render, {"declaration": {}}, "qr")
    with pytest.raises(BrokenProcessPool, match="rendering process ended"):
        future.result(timeout=30)
    renderer.collector.join(timeout=30)  # the collector has found it dead and stopped: a label sent now
    later = renderer.submit(_render, {"declaration": {}}, "qr")  # fails at once (it waited for ever)
    assert later.done() and isinstance(later.exception(), BrokenProcessPool)
    renderer.shutdown()
    assert renderer.process.exitcode == -9


def test_a_crash_while_rendering_keeps_its_type_and_where_it_was_raised():
    """A declaration without a label number rendered by the renderer process (the first label, drawn
    there) and by a worker forked from it (the second): each label's future holds the exception the
    rendering raised, a KeyError, not a broken pool, with the traceback of the process that raised
    it as its cause (what a crash log shows), naming the line of pcf that read the missing key."""
    from pcf.registry.bulk import RenderingTraceback, _context, _render, _Renderer

    renderer = _Renderer(1, _context())
    try:
        futures = [renderer.submit(_render, {"declaration": {}}, "qr") for _ in range(2)]
        errors = [future.exception(timeout=120) for future in futures]
    finally:
        renderer.shutdown()
    for exc in errors:
        assert type(exc) is KeyError and exc.args == ("label_number",)
        assert isinstance(exc.__cause__, RenderingTraceback)
        assert 'number = document["declaration"]["label_number"]' in str(exc.__cause__)
    assert renderer.process.exitcode == 0


def test_workers_freeze_what_they_start_with_and_collect_less_often():
    import gc

    from pcf.registry.bulk import WORKER_GC_THRESHOLD, _context, _pool

    pool = _pool(1, _context())
    try:
        assert pool.submit(gc.get_threshold).result()[0] == WORKER_GC_THRESHOLD
        assert pool.submit(gc.get_freeze_count).result() > 1000  # the modules' objects, at least
    finally:
        pool.shutdown()


def _issue_folder_process(tmp_path, count: int):
    """A real ``pcf issue FOLDER --jobs 2`` on ``count`` self-declared results, in a session of its own
    (its process group: the command and every process it starts); (process, out folder)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    store, _, private, _ = new_registry(tmp_path, case=False)
    folder = tmp_path / "results"
    for i in range(count):
        write_declaration(make_declaration(id=f"PACK-{i:02d}", name=f"Test pack {i}"), folder)
    store.close()
    out = tmp_path / "labels"
    proc = subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", "issue", str(folder), "--key", str(private),
                             "--valid-days", "730", "--out", str(out), "--self-declared", "--jobs", "2"],
                            cwd=Path(cli.__file__).parent, env=dict(os.environ, PCF_REGISTRY=location(tmp_path)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    return proc, out


def _wait_for(proc, out, pattern: str, timeout: float = 300) -> None:
    """Until a file matching ``pattern`` is in ``out`` (the command still running)."""
    import time

    deadline = time.monotonic() + timeout
    while not (out.exists() and any(out.glob(pattern))):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.002)


def _interrupted_end(proc) -> tuple[str, str, float]:
    """The end of an interrupted ``pcf issue FOLDER`` (:func:`_issue_folder_process`): its stdout, stderr and
    exit time (``time.monotonic()``), exit 130 with one line and no traceback, and no process of its group left; a command that hangs is
    killed with its group (the failure) rather than left running."""
    import os
    import signal
    import subprocess
    import time

    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    ended = time.monotonic()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "internal error" not in stderr and "Traceback" not in stderr
    deadline = time.monotonic() + 60
    while _alive(proc.pid):
        assert time.monotonic() < deadline, "a process of the command is left"
        time.sleep(0.1)
    return stdout, stderr, ended


def _numbers_issued(tmp_path) -> list[str]:
    """The label numbers in the registry of :func:`_issue_folder_process`, in order."""
    store = open_store(location(tmp_path))
    with store.read() as tx:
        numbers = [r.number for r in tx.labels()]
    store.close()
    return numbers


def _alive(group: int) -> dict[int, float]:
    """The processes of process group ``group`` still running (a zombie has ended: only its exit status is
    left for init to collect), each with the CPU time it has used [s] (/proc/PID/stat: utime + stime)."""
    import os
    import subprocess

    alive = {}
    for pid in subprocess.run(["pgrep", "-g", str(group)], capture_output=True, text=True).stdout.split():
        try:
            fields = open(f"/proc/{pid}/stat", encoding="ascii").read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        if fields[0] != "Z":  # fields after the name: state, ppid, ... utime (12th), stime (13th)
            alive[int(pid)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return alive


def test_a_killed_issuing_process_leaves_no_renderer_and_no_worker(tmp_path, registry_backend):
    """kill -9 of the issuing process once the workers wrote a fifth statement: the renderer then holds up
    to 16 labels to draw and nobody reads its results. It and its workers end at once (within a second,
    under 0.15 s of CPU between them, less than one label's drawing), leaving no process; every label in
    the registry is whole or written again by `pcf registry export NUMBER`. Before, they drew the labels
    they were given for nobody (~1.5 s of CPU, ~2 s), a worker blocked on its full results pipe meanwhile;
    had the issuing process died after the renderer's last check, the renderer waited for ever."""
    import os
    import signal
    import time

    proc, out = _issue_folder_process(tmp_path, 60)
    _wait_for(proc, out, "*-000005-*.statement.pdf")
    before = _alive(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)  # the issuing process alone: its renderer and workers stay
    killed = time.monotonic()
    proc.wait(timeout=60)  # not communicate(): the renderer and its workers hold its pipes until they end
    used: dict[int, float] = {}
    while left := _alive(proc.pid):
        used.update({pid: cpu - before.get(pid, 0.0) for pid, cpu in left.items()})
        assert time.monotonic() - killed < 1, f"processes of the command left: {left}"
        time.sleep(0.02)
    assert sum(used.values()) < 0.15, used
    proc.communicate(timeout=60)
    store = open_store(location(tmp_path))
    with store.read() as tx:
        numbers = [r.number for r in tx.labels()]
    store.close()
    assert 5 <= len(numbers) < 60
    declarations = sorted(p.name for p in out.glob("*.declaration.json"))
    assert set(declarations) <= {f"{n}.declaration.json" for n in numbers}  # no file of a label not issued
    missing = [n for n in numbers if not all((out / f"{n}.{s}").exists() for s in ("declaration.json", "label.svg",
                                                                                       "label.pdf", "statement.pdf"))]
    assert missing  # the labels the renderer was given when the issuing process was killed
    env = dict(os.environ, PCF_REGISTRY=location(tmp_path))
    for number in missing:
        result = CliRunner().invoke(cli.app, ["registry", "export", number, "--out", str(out)], env=env)
        assert result.exit_code == 0, result.output
    for suffix in ("declaration.json", "label.svg", "label.pdf", "statement.pdf"):
        assert sorted(p.name for p in out.glob(f"*.{suffix}")) == sorted(f"{n}.{suffix}" for n in numbers)


def test_a_progress_callback_that_raises_while_unwinding_skips_no_label_files(tmp_path):
    """A progress callback raising at every call (as a progress bar hit by a Ctrl-C may): its first
    exception goes out of issue_folder, after the files of every label issued are written. The four
    labels are issued while the renderer still warms up, so the first call comes with three of them
    left to write; before, the second call, raising while the first exception unwound, left them without
    their files."""
    store, key, _, _ = new_registry(tmp_path, case=False)
    folder = tmp_path / "results"
    for i in range(4):
        write_declaration(make_declaration(id=f"PACK-{i}", name=f"Test pack {i}"), folder)
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        raise RuntimeError(f"progress bar broken at {done}")

    out = tmp_path / "labels"
    with pytest.raises(RuntimeError, match="broken at 1$"):
        issue_folder(store, folder, key, 730, out, jobs=2, self_declared=True, progress=progress)
    with store.read() as tx:
        numbers = [r.number for r in tx.labels()]
    store.close()
    assert len(numbers) >= 2 and calls == list(range(1, len(numbers) + 1))  # each label's outcome told
    for suffix in ("declaration.json", "label.svg", "label.pdf", "statement.pdf"):
        assert sorted(p.name for p in out.glob(f"*.{suffix}")) == sorted(f"{n}.{suffix}" for n in numbers)
