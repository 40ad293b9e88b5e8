"""The target lines of ``make bench`` (issue 18 part 6) and the table it ends with.

A benchmark that measures a target prints one line per target with :func:`target_line`::

    target: warm footprint (20,000-activity background) | 1.9 s | baseline 24.1 s | < 3 s (stretch 1.5 s) | met

(what the user's command took, wall clock from outside; its baseline measured in the same run;
the target; whether it was met). ``benchmarks/support/run_all.py`` (``make bench``) runs every
benchmark, collects these lines and prints them as one table at the end, with the last line of
each benchmark that has none.
"""

from __future__ import annotations

PREFIX = "target: "


def _number(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 1e6:
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:.3g}"


def target_line(name: str, measured: float, unit: str, target: float | None, baseline: float | str | None = None,
                higher_is_better: bool = False, stretch: float | None = None, note: str = "",
                inclusive: bool = False) -> str:
    """Print (and return) the line of one target.

    Parameters
    ----------
    name : str
        What was measured, as the issue names it (``pcf verify cold start``).
    measured : float
        The measurement [unit].
    unit : str
        Its unit (``s``, ``SKU/s``, ``labels/s``, ``KB/SKU``).
    target : float or None
        Met when ``measured < target`` (``<=`` with ``inclusive``, ``>=`` with
        ``higher_is_better``) [unit]; None for a figure that is only printed (peak memory).
    baseline : float or str, optional
        The baseline measured in the same run [unit], or a text saying what it is.
    stretch : float, optional
        The stretch target [unit]; the verdict says whether it was met too.
    note : str
        Appended in brackets (e.g. the CPU time, the load).
    """
    if target is None:
        met, goal, verdict = True, "printed", "-"
    else:
        met = (measured >= target if higher_is_better else measured <= target if inclusive
               else measured < target)
        op = ">=" if higher_is_better else "<=" if inclusive else "<"
        goal = f"{op} {_number(target)} {unit}"
        verdict = "met" if met else "NOT met"
    if stretch is not None and target is not None:
        goal += f" (stretch {_number(stretch)} {unit})"
        stretch_met = measured >= stretch if higher_is_better else measured < stretch
        if met:
            verdict = "met, stretch met" if stretch_met else "met, stretch not met"
    if baseline is None:
        base = "baseline -"
    elif isinstance(baseline, str):
        base = f"baseline {baseline}"
    else:
        base = f"baseline {_number(baseline)} {unit}"
    line = f"{PREFIX}{name} | {_number(measured)} {unit} | {base} | {goal} | {verdict}"
    if note:
        line += f" ({note})"
    print(line, flush=True)
    return line


def table(rows: list[list[str]], header: list[str]) -> str:
    """A plain-text table (columns padded to their widest cell)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip(),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)
