"""Benchmark: how long pcf takes to refuse the hostile inputs of issue 19 (parts 1-3).

Each input of the red team's report (a billion laughs, a recursive anchor, 10,000-deep
nesting, 30 MB of comments, a 5,000-digit integer, a flat list past the value limit, long
unary and sum chains, ``10**400``, a 100,000-character unit string, ...) is given to the
reader that met it (pcf.core.yamlsrc.load_text, pcf.model.evaluate, pcf.core.units.parse_unit)
and timed; every one must end in a pcf error. Also the parse of the largest example model.
Target (issue 19): each refusal within 1 s, except the flat list of MAX_VALUES values, which
must be parsed up to the limit (~50 µs a value, a few seconds).

The last line is ``hostile_inputs: max_refusal_s=<slowest refusal but the flat list>
flat_list_s=<s> example_parse_s=<s>``. Run with ``make bench`` or
``python benchmarks/hostile_inputs.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pcf.core import yamlsrc  # noqa: E402
from pcf.core.errors import PCFError  # noqa: E402
from pcf.core.units import parse_unit  # noqa: E402
from pcf.model import evaluate  # noqa: E402

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a}]\n" for a, b in zip("abcdefghi", "bcdefghij"))

YAML = {
    "billion laughs": LAUGHS,
    "recursive anchor": "processes: &p [*p]\n",
    "10,000-deep flow nesting": "a: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "10,000-deep block nesting": "a:\n" + "- " * 10_000 + "1\n",
    "30 MB of comments": ("# " + "x" * 998 + "\n") * 30_000,
    "5,000-digit integer": "a: " + "1" * 5000 + "\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
}
EXPRESSIONS = {
    "10**400": "10**400",
    "(-8)**(1/3)": "(-8)**(1/3)",
    "10,000 unary minus": "-" * 10_000 + "1",
    "100,000-term sum": "+".join(["1"] * 100_000),
    "5,000-digit literal": "1" * 5000,
    "max()": "max()",
}
UNITS = {"100,000-character unit": "k" * 100_000, "U+00A1": "\u00a1", "@": "@"}


def _time(call, arg) -> float:
    start = time.perf_counter()
    try:
        call(arg)
    except PCFError:
        return time.perf_counter() - start
    raise SystemExit(f"not refused: {arg[:40]!r}")


def main() -> None:
    parse_unit("kg")  # build the unit registry outside the timings
    times = {}
    for name, text in YAML.items():
        times[name] = _time(yamlsrc.load_text, text)
    for name, text in EXPRESSIONS.items():
        times[name] = _time(lambda e: evaluate(e, {}), text)
    for name, text in UNITS.items():
        times[name] = _time(parse_unit, text)
    for name, seconds in times.items():
        print(f"{name:28} {seconds * 1000:9.1f} ms")
    flat = _time(yamlsrc.load_text, "a: [" + "1," * yamlsrc.MAX_VALUES + "]\n")
    print(f"{'flat list past MAX_VALUES':28} {flat * 1000:9.1f} ms")
    text = (ROOT / "examples/battery/nmc811-pack.yaml").read_text(encoding="utf-8")
    start = time.perf_counter()
    yamlsrc.load_text(text)
    example = time.perf_counter() - start
    print(f"{'parse nmc811-pack.yaml':28} {example * 1000:9.1f} ms")
    print(f"hostile_inputs: max_refusal_s={max(times.values()):.3f} flat_list_s={flat:.2f} "
          f"example_parse_s={example:.3f}")


if __name__ == "__main__":
    main()
