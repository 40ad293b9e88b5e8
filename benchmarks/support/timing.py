"""A command timed from outside, as a user times it: the scaffold the benchmarks share.

:func:`timed` runs one command in a child process and measures its wall clock and the user +
system CPU time of the command and its children (``resource.getrusage(RUSAGE_CHILDREN)``
before and after; the machine is shared, so a benchmark prints both); :func:`median` of several
runs; :func:`footprint` is ``pcf footprint`` through it, with the result JSON it wrote.

Imported as ``support.timing`` (a benchmark puts ``benchmarks/`` on ``sys.path``).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

#: the console script of this interpreter's environment
PCF = str(Path(sys.executable).parent / "pcf")


def timed(args: Sequence[object], env: Mapping[str, str] | None = None, cwd: Path | None = None,
          check: bool = True) -> tuple[float, float, str]:
    """One run of ``args`` (each turned into a string): its wall time [s], the user + system
    CPU time of the process and its children [s], and its stdout.

    Raises
    ------
    SystemExit
        ``check`` and the command exits non-zero: the command line, its exit status and the
        last 2,000 characters of its stderr.
    """
    command = [str(a) for a in args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, env=None if env is None else dict(env), cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if check and proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return took, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, proc.stdout


def median(args: Sequence[object], env: Mapping[str, str] | None = None, cwd: Path | None = None,
           runs: int = 5) -> tuple[float, float]:
    """The median wall time [s] and the median user + system CPU time [s] of ``runs`` runs of
    ``args`` (:func:`timed`; SystemExit when one fails)."""
    times = [timed(args, env, cwd)[:2] for _ in range(runs)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def footprint(model: Path, out: Path, *extra: object, env: Mapping[str, str] | None = None) -> tuple[float, float, dict]:
    """``pcf footprint MODEL --out OUT [EXTRA ...]``: wall time [s], user + system CPU time [s]
    and the result JSON it wrote (the one ``*.result.json`` in ``out``).

    Raises
    ------
    SystemExit
        The command failed (as :func:`timed`).
    """
    took, cpu, _ = timed([PCF, "footprint", model, "--out", out, *extra], env)
    return took, cpu, json.loads(next(Path(out).glob("*.result.json")).read_text(encoding="utf-8"))
