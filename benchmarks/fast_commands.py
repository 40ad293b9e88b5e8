"""Benchmark: everyday commands as a user times them (issue 18 parts 5 and 6): the console
script in a fresh process, wall clock, from outside (``subprocess``), each with a baseline
measured in the same run.

(a) ``pcf --help``; baseline ``python -c pass`` (the interpreter alone). Target < 0.3 s.
(b) ``pcf verify NUMBER`` cold (a fresh process, the registry on SQLite); baseline the old path:
    the same interpreter importing what ``verify`` loaded before issue 18 (the CLI, the
    registry's issuing path, the LCA and the render stack). Target < 0.8 s.

Everything is written in a temporary folder (its own registry and keys; PCF_HOME is the
user's, for the background). Times are medians of 5 runs. The
machine is shared: each line prints the baseline measured beside it. The last line is
``fast_commands: help_s=<a> verify_s=<b>`` with the baselines.

Run with ``make bench`` (after ``pcf setup``) or ``python benchmarks/fast_commands.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PCF = str(BIN / "pcf")
MODEL = REPO / "examples" / "battery" / "nmc811-pack.yaml"

#: What ``pcf verify`` imported before issue 18 part 5 (pcf.api pulled pcf.registry, whose
#: ``__init__`` imported the issuing path with the PCR loader, the LCA and the render stack).
OLD_VERIFY_IMPORTS = ("import cli, pcf.registry.lifecycle, pcf.registry.verify, pcf.lca.calculate, "
                      "pcf.render.report, pcf.pcr.loader")


def wall(args: list[str], env: dict, cwd: Path, check: bool = True) -> float:
    """Wall time of one run of ``args`` [s]."""
    start = time.perf_counter()
    proc = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if check and proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return took


def median(args: list[str], env: dict, cwd: Path, runs: int = 5) -> float:
    """Median wall time of ``runs`` runs [s]."""
    return statistics.median(wall(args, env, cwd) for _ in range(runs))


def run(args: list, env: dict, cwd: Path) -> str:
    """Run a pcf command; its stdout."""
    proc = subprocess.run([PCF, *map(str, args)], env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"pcf {' '.join(map(str, args))} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


def registry(tmp: Path, env: dict) -> Path:
    """A registry with a root key and an issuer key (unencrypted) in ``tmp``; the issuer's key."""
    run(["keys", "new", "--issuer", "cb-root", "--out", tmp / "offline", "--no-register", "--no-passphrase"], env, tmp)
    run(["registry", "init", "--root-key", tmp / "offline" / "cb-root.key", "--prefix", "BEN"], env, tmp)
    run(["keys", "new", "--issuer", "cb-bench", "--out", tmp / "keys", "--root-key", tmp / "offline" / "cb-root.key",
         "--no-passphrase"], env, tmp)
    return tmp / "keys" / "cb-bench.key"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pcf-bench-fast-") as folder:
        tmp = Path(folder)
        env = {**os.environ, "PCF_REGISTRY": str(tmp / "registry.db")}
        env.pop("PCF_REGISTRY_URL", None)
        key = registry(tmp, env)
        run(["footprint", MODEL, "--pcr", "gbt-24067-generic", "--method", "ipcc-2021-gwp100", "--out", tmp / "cn"],
            env, tmp)
        result = tmp / "cn" / "SKU-NMC811-PACK.result.json"
        number = run(["issue", result, "--key", key, "--valid-days", 730, "--out", tmp / "labels", "--self-declared"],
                     env, tmp).split()[0]

        python = median([sys.executable, "-c", "pass"], env, tmp)
        help_s = median([PCF, "--help"], env, tmp)
        print(f"(a) pcf --help: {help_s:.3f} s (median of 5; target < 0.3 s); python -c pass: {python:.3f} s")
        verify_s = median([PCF, "verify", number], env, tmp)
        old = median([sys.executable, "-c", OLD_VERIFY_IMPORTS], env, REPO)
        print(f"(b) pcf verify {number} (cold): {verify_s:.3f} s (median of 5; target < 0.8 s); the old path's "
              f"imports alone: {old:.3f} s")
        print(f"fast_commands: help_s={help_s:.3f} verify_s={verify_s:.3f} python_s={python:.3f} "
              f"old_verify_imports_s={old:.3f}")


if __name__ == "__main__":
    main()
