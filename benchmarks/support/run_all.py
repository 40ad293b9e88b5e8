"""``make bench``: run every ``benchmarks/*.py`` in turn, then print the table of targets.

Each benchmark runs in its own process and its output is shown as it comes. Its ``target:``
lines (:func:`targets.target_line`) are collected; at the end one table lists every target
(``benchmark | target | measured | baseline | goal | met?``), then the last line of each
benchmark that printed no target line (``<name>: <metric>=<value> ...``). Exit status 1 when a
benchmark failed (the others still run).

Usage: ``python benchmarks/support/run_all.py [--full] [NAME ...]`` (names without ``.py`` run
only those: ``make bench BENCH="monte_carlo_large fast_commands"``).

The whole run is meant to take under 25 minutes on a quiet 2-core machine. To that end a few
benchmarks get smaller counts here than when run alone (:data:`QUICK`; each line of the table
says what it measured): benchmarks/fuzz.py runs 500 model mutants and 50 of each other input
instead of 10,000 and 1,000. ``--full`` (``make bench FULL=1``) runs them with their own
defaults. pcf's bytecode is written first (``compileall``), as installing a package does: the
commands are timed as a user runs them, not compiling pcf's modules on every start (the
machines this runs on set PYTHONDONTWRITEBYTECODE). The load average is printed at the start
and the end (the machine may be shared; every benchmark prints CPU time beside wall clock).
"""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = HERE.parent
sys.path.insert(0, str(HERE))

from targets import PREFIX, table  # noqa: E402

#: Arguments of the benchmarks that ``make bench`` runs smaller than their own defaults (module
#: docstring); ``--full`` drops them.
QUICK = {"fuzz": ["--models", "500", "--others", "50"]}


def run(path: Path, args: list[str] = ()) -> tuple[int, list[str], float]:
    """Run one benchmark with ``args``, echoing its output; (exit status, its stdout lines, wall seconds)."""
    print(f"== {path.relative_to(BENCHMARKS.parent)} {' '.join(args)}".rstrip(), flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-W", "ignore", str(path), *args], stdout=subprocess.PIPE, text=True,
                            bufsize=1)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        lines.append(line.rstrip("\n"))
    return proc.wait(), lines, time.perf_counter() - start


def summary(results: dict) -> str:
    """The closing table of :func:`main`'s results (name -> (status, lines, seconds))."""
    rows, others = [], []
    for name, (status, lines, seconds) in results.items():
        found = [line[len(PREFIX):] for line in lines if line.startswith(PREFIX)]
        for line in found:
            cells = [c.strip() for c in line.split(" | ")]
            if len(cells) > 2:
                cells[2] = cells[2].removeprefix("baseline ")
            rows.append([name, *cells[:5]] + [""] * (5 - len(cells[:5])))
        if status != 0:
            others.append(f"{name}: FAILED (exit {status}) after {seconds:.0f} s")
        elif not found:
            others.append(next((line for line in reversed(lines) if line.strip()), f"{name}: (no output)"))
    text = "== targets (issue 18 part 6): the user's command, wall clock; baseline measured in the same run\n"
    text += table(rows, ["benchmark", "what", "measured", "baseline", "target", "met?"]) if rows else "(none)"
    if others:
        text += "\n== other benchmarks (last line)\n" + "\n".join(others)
    return text


def load() -> str:
    """The load average (1, 5, 15 minutes) and the cores, for the record."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def main(names: list[str]) -> int:
    full = "--full" in names
    names = [n for n in names if n != "--full"]
    paths = sorted(BENCHMARKS.glob("*.py"))
    if names:
        unknown = sorted(set(names) - {p.stem for p in paths})
        if unknown:
            print(f"no benchmark {', '.join(unknown)} in {BENCHMARKS}", file=sys.stderr)
            return 2
        paths = [p for p in paths if p.stem in names]
    compileall.compile_dir(BENCHMARKS.parent / "pcf", quiet=1)
    compileall.compile_file(BENCHMARKS.parent / "cli.py", quiet=1)
    started = time.perf_counter()
    print(f"== make bench: {len(paths)} benchmarks{' (full counts)' if full else ''}; {load()}", flush=True)
    results = {p.stem: run(p, [] if full else QUICK.get(p.stem, [])) for p in paths}
    print(summary(results), flush=True)
    print(f"== {time.perf_counter() - started:.0f} s in all; {load()}; seconds each: "
          + ", ".join(f"{name} {seconds:.0f}" for name, (_, _, seconds) in results.items()), flush=True)
    return 1 if any(status != 0 for status, _, _ in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
