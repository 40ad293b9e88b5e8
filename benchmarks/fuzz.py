"""Benchmark: fuzzing pcf's inputs (issue 19 part 5).

10,000 mutants of the example models and 1,000 of each other input (PCR files, SKU tables,
signed declarations, result JSON files, EcoSpold2 import archives), made by tests/fuzz_util.py
(keys deleted, duplicated, retyped; numbers swapped for huge, negative, NaN or strings;
unicode, deep nesting, anchors, very long strings, edited expressions, rewired links, cut
lines and files), each run in-process through pcf's library by one of two worker processes
(each with its own copy of PCF_HOME) and classified: ok / clean (a pcf error) / traceback /
hang (more than 5 s of CPU, or killed after ``--timeout`` s of wall time) / non-finite /
negative-supply (tests/fuzz_util.py docstring). The same ``--seed`` gives the same mutants; a
finding is written to ``--out``/findings.jsonl with what reproduces it
(``tests.fuzz_util.make_mutant(kind, seed, index, folder, bases)``).

Target (issue 19): 0 tracebacks, 0 hangs, 0 non-finite or negative-supply results over the
10,000 model mutants.

Usage: ``python benchmarks/fuzz.py [--models 10000] [--others 1000] [--jobs 2] [--seed 19]
[--timeout 60] [--out DIR]``; PCF_HOME must hold ``pcf setup``'s background. ``make bench``
runs it with ``--models 500 --others 50`` (2-3 minutes on two quiet cores instead of half an hour:
benchmarks/support/run_all.py ``QUICK``); ``make bench FULL=1`` or this file alone, the counts
above. The last line is
``fuzz: model_mutants=<n> tracebacks=<n> hangs=<n> non_finite=<n> negative_supply=<n>
other_mutants=<n> other_tracebacks=<n> other_hangs=<n> cpu_s=<s>``.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # tests/test_import.py imports `builders`


def _bases(folder: Path, kinds=("declaration", "result", "pcr", "archive")) -> dict:
    """The unmutated declaration, result and archive inputs (made once per worker, when ``kinds``
    needs them)."""
    from pcf.api import compute
    from pcf.registry import issue
    from tests import fuzz_util
    from tests.registry_util import make_declaration, new_registry

    if not set(kinds) & {"declaration", "result", "pcr", "archive"}:
        return {}

    store, key, _, _ = new_registry(folder / "registry")
    issued = issue(store, make_declaration(), key, 730, folder / "labels", render=False)
    store.close()
    declaration = json.loads(issued.files["declaration.json"].read_text(encoding="utf-8"))
    battery = compute(ROOT / "examples/battery/nmc811-pack.yaml")
    pv = compute(ROOT / "examples/pv/mono-si-module-cn.yaml")
    return {"declaration": declaration, "result": battery.to_json(), "archive": fuzz_util.ecospold2_archive(),
            "results": {"battery": battery.result, "pv": pv.result}}


def _oracle(kind: str, index: int, path: Path, folder: Path, bases: dict, cache: dict,
            classify=None) -> tuple[str, str]:
    """Run mutant ``path`` of ``kind`` through its oracle (tests/fuzz_util.py)."""
    from tests import fuzz_util

    classify = classify or fuzz_util.classify
    if kind == "model":
        return classify(fuzz_util.footprint_verdict, path, cache, index % 10 == 0)
    if kind == "pcr":
        return classify(fuzz_util.pcr_verdict, path, bases["results"])
    if kind == "table":
        out = folder / "batch"
        shutil.rmtree(out, ignore_errors=True)
        return classify(fuzz_util.table_verdict, path, folder / "nmc811-pack.yaml", out if index % 10 == 0 else None)
    if kind == "declaration":
        return classify(fuzz_util.declaration_verdict, path)
    if kind == "result":
        target = folder / "export.json"
        target.unlink(missing_ok=True)
        return classify(fuzz_util.result_verdict, path, target)
    return classify(fuzz_util.archive_verdict, path, f"fz-archive-{index}")


def replay(kind: str, seed: int, index: int, folder: Path) -> None:
    """Write mutant ``index`` of ``kind`` into ``folder`` and run it here, with its traceback."""
    import tests.conftest  # noqa: F401 - sets a temporary PCF_HOME at import
    from tests import fuzz_util

    os.environ["PCF_HOME"] = os.environ["PCF_FUZZ_HOME"]
    folder.mkdir(parents=True, exist_ok=True)
    for example in (ROOT / "examples/battery").glob("*.yaml"):
        shutil.copy(example, folder / example.name)
    bases = _bases(folder)
    path, names = fuzz_util.make_mutant(kind, seed, index, folder, bases)
    print(f"{kind} {index}: {path} ({', '.join(map(str, names))})")

    def loud(call, *args):
        verdict = call(*args)
        return verdict or ("ok", "")

    print(_oracle(kind, index, path, folder, bases, {}, loud))


def _worker(home: str, folder: str, kinds: list, conn) -> None:
    """A worker: its own PCF_HOME, then (kind, seed, index) in, (outcome, detail, cpu, wall) out."""
    import tests.conftest  # noqa: F401 - sets a temporary PCF_HOME at import: replaced next

    os.environ["PCF_HOME"] = home
    folder = Path(folder)
    from tests import fuzz_util

    for example in (ROOT / "examples/battery").glob("*.yaml"):
        shutil.copy(example, folder / example.name)
    bases = _bases(folder, kinds)
    if "archive" in kinds:  # the first import into a PCF_HOME takes about a minute
        fuzz_util.archive_verdict(fuzz_util.write_zip(folder / "base.zip", bases["archive"]), "fz-warm-up")
    cache: dict = {}
    conn.send("ready")
    while True:
        task = conn.recv()
        if task is None:
            return
        kind, seed, index = task
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            path, names = fuzz_util.make_mutant(kind, seed, index, folder, bases)
        except Exception as exc:  # noqa: BLE001 - a mutator bug is not a finding of pcf
            conn.send(("mutator", f"{type(exc).__name__}: {exc}", [], 0.0, 0.0))
            continue
        outcome, detail = _oracle(kind, index, path, folder, bases, cache)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        if outcome in ("ok", "clean") and cpu > fuzz_util.HANG_S:
            outcome, detail = "hang", f"{cpu:.1f} s of CPU ({outcome}: {detail})"
        conn.send((outcome, detail, names, cpu, wall))


class Worker:
    """One worker process and its pipe; restarted after a kill."""

    def __init__(self, number: int, base_home: Path, scratch: Path, kinds: list):
        self.number, self.base_home, self.scratch, self.kinds = number, base_home, scratch, kinds
        self.process = None
        self.start()

    def start(self) -> None:
        home = self.scratch / f"home-{self.number}"
        folder = self.scratch / f"work-{self.number}"
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(self.base_home, home)
        folder.mkdir(parents=True)
        self.conn, child = mp.get_context("spawn").Pipe()
        self.process = mp.get_context("spawn").Process(target=_worker, args=(str(home), str(folder), self.kinds, child),
                                                       daemon=True)
        self.process.start()
        if not self.conn.poll(600) or self.conn.recv() != "ready":
            raise SystemExit(f"worker {self.number} did not start")
        self.task, self.sent = None, 0.0

    def send(self, task) -> None:
        self.task, self.sent = task, time.perf_counter()
        self.conn.send(task)

    def kill(self) -> None:
        self.process.kill()
        self.process.join()


def run(tasks: list, jobs: int, timeout: float, base_home: Path, scratch: Path, findings) -> dict:
    """Run every task on ``jobs`` workers; counts[(kind, outcome)], cpu seconds."""
    counts: collections.Counter = collections.Counter()
    cpu_total = 0.0
    workers = [Worker(i, base_home, scratch, sorted({t[0] for t in tasks})) for i in range(jobs)]
    pending = list(reversed(tasks))
    busy = []
    done = 0
    started = time.perf_counter()
    for w in workers:
        if pending:
            w.send(pending.pop())
            busy.append(w)
    while busy and not STOP:
        ready = mp.connection.wait([w.conn for w in busy], timeout=1.0)
        now = time.perf_counter()
        for w in list(busy):
            result, task = None, w.task
            if w.conn in ready:
                try:
                    result = w.conn.recv()
                except EOFError:  # the worker died (out of memory, a crash)
                    result = ("traceback", "the worker process died", [], now - w.sent, now - w.sent)
                    w.kill()
                    w.start()
            elif now - w.sent > timeout:
                w.kill()
                result = ("hang", f"killed after {timeout:.0f} s of wall time", [], timeout, timeout)
                w.start()
            if result is None:
                continue
            outcome, detail, names, cpu, wall = result
            kind, seed, index = task
            counts[(kind, outcome)] += 1
            cpu_total += cpu
            done += 1
            if outcome not in ("ok", "clean"):
                findings.write(json.dumps({"kind": kind, "seed": seed, "index": index, "outcome": outcome,
                                           "detail": detail, "mutations": names, "cpu_s": round(cpu, 2),
                                           "wall_s": round(wall, 2)}, ensure_ascii=False) + "\n")
                findings.flush()
            if done % 100 == 0:
                print(f"  {done}/{len(tasks)} mutants, {time.perf_counter() - started:.0f} s, {cpu_total:.0f} s CPU, "
                      f"{dict(counts)}", flush=True)
            busy.remove(w)
            if pending:
                w.send(pending.pop())
                busy.append(w)
    for w in workers:
        if STOP:
            w.kill()
            continue
        w.conn.send(None)
        w.process.join(10)
    return {"counts": counts, "cpu": cpu_total}


#: Set by SIGTERM / SIGINT: the run stops and prints the counts of what it finished.
STOP: list = []


def main() -> None:
    from tests.fuzz_util import KINDS, OUTCOMES

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=1_000)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--start", type=int, default=0, help="first mutant index (to resume)")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--replay", default=None, help="KIND:INDEX: write that mutant to --out and run it here")
    args = parser.parse_args()
    home = Path(os.environ.get("PCF_HOME") or Path.home() / ".pcf")
    if args.replay:
        os.environ["PCF_FUZZ_HOME"] = str(home)
        kind, index = args.replay.split(":")
        return replay(kind, args.seed, int(index), args.out or Path(tempfile.mkdtemp(prefix="pcf-fuzz-replay-")))
    if not (home / "brightway").is_dir():
        raise SystemExit(f"PCF_HOME {home} has no background: run `pcf setup` first")
    out = args.out or Path(tempfile.mkdtemp(prefix="pcf-fuzz-"))
    out.mkdir(parents=True, exist_ok=True)
    kinds = args.kinds.split(",")
    tasks = [(kind, args.seed, i) for kind in kinds
             for i in range(args.start, args.start + (args.models if kind == "model" else args.others))]
    started = time.perf_counter()
    import signal

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: STOP.append(True))
    with tempfile.TemporaryDirectory(prefix="pcf-fuzz-work-") as scratch, \
            open(out / "findings.jsonl", "a", encoding="utf-8") as findings:
        done = run(tasks, args.jobs, args.timeout, home, Path(scratch), findings)
    counts = done["counts"]
    print(f"{'input':12}" + "".join(f"{o:>17}" for o in OUTCOMES))
    for kind in kinds:
        print(f"{kind:12}" + "".join(f"{counts[(kind, o)]:>17,}" for o in OUTCOMES))
    mutator = sum(v for (k, o), v in counts.items() if o == "mutator")
    if STOP:
        print(f"stopped early: {sum(counts.values())} of {len(tasks)} mutants run")
    print(f"findings in {out / 'findings.jsonl'}; {time.perf_counter() - started:.0f} s wall, "
          f"{done['cpu']:.0f} s CPU in the workers; mutator failures {mutator}")

    def total(outcome, model=True):
        return sum(v for (k, o), v in counts.items() if o == outcome and (k == "model") == model)

    print(f"fuzz: model_mutants={sum(v for (k, o), v in counts.items() if k == 'model')} "
          f"tracebacks={total('traceback')} hangs={total('hang')} non_finite={total('non-finite')} "
          f"negative_supply={total('negative-supply')} "
          f"other_mutants={sum(v for (k, o), v in counts.items() if k != 'model')} "
          f"other_tracebacks={total('traceback', False)} other_hangs={total('hang', False)} "
          f"other_non_finite={total('non-finite', False)} cpu_s={done['cpu']:.0f}")


if __name__ == "__main__":
    main()
