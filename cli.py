"""pcf command line: a thin layer over the library (DESIGN.md). Exit status: 0 success,
1 a PCR nonconformity (``pcf check``), SKUs that failed (``pcf batch``, the others are
written), an error-level lint finding (``pcf lint``), no match (``pcf db search``) or an internal
error (a bug: ``internal error`` and the log file's path), 2 invalid input or any other pcf error.

Every command is registered through :class:`Commands`, so one handler (:func:`guarded`) turns a
:class:`pcf.core.errors.PCFError` into its message on stderr and exit status 2 (library messages
name no option, the handler adds the one an error is about), and any other exception into
``internal error`` with the path of a log file holding the traceback, exit status 1: never a
traceback on screen."""

from __future__ import annotations

import functools
import gc
import sys
import typing
from pathlib import Path
from typing import Optional

import typer

from pcf.core.errors import PCFError
from pcf.core.vocabulary import GHG_REPORTED, STAGE_ABBREVIATIONS, STAGE_NAMES

#: Library argument -> command-line option, where the option is not ``--`` + the argument with
#: dashes (library messages never name options; the error handler adds them).
OPTIONS = {"out_dir": "--out", "at": "--at", "size_mm": "--size", "iterations": "--monte-carlo", "fmt": "--format",
           "allow_ungraded": "--ungraded", "clients_file": "--clients", "root_key_path": "--root-key",
           "encrypt": "--no-passphrase"}


BRIGHTWAY_DIR_HELP = ("An existing Brightway data folder (BRIGHTWAY2_DIR) to compute against, read only: nothing in it "
                      "is written (docs/brightway-project.md). Env: PCF_BRIGHTWAY_DIR.")
PROJECT_HELP = "The Brightway project in --brightway-dir. Env: PCF_BRIGHTWAY_PROJECT."


def _batch_option():
    """``--batch OUT``: a batch store (with ``--sku``) instead of a result file."""
    return typer.Option(None, "--batch", help="The --out folder of a `pcf batch` (its batch store), with --sku, "
                                              "instead of a result file.")


def _sku_option():
    """``--sku ID``: the SKU of ``--batch``."""
    return typer.Option(None, "--sku", help="The SKU id in --batch.")


def brightway_dir_option():
    """``--brightway-dir`` (or ``PCF_BRIGHTWAY_DIR``)."""
    return typer.Option(None, "--brightway-dir", envvar="PCF_BRIGHTWAY_DIR", help=BRIGHTWAY_DIR_HELP,
                        show_envvar=False)


def project_option():
    """``--project`` (or ``PCF_BRIGHTWAY_PROJECT``)."""
    return typer.Option(None, "--project", envvar="PCF_BRIGHTWAY_PROJECT", help=PROJECT_HELP, show_envvar=False)


def option_of(exc: PCFError) -> str | None:
    """The command-line option a library error is about (:attr:`pcf.core.errors.PCFError.option`)."""
    if not exc.option:
        return None
    return OPTIONS.get(exc.option, "--" + exc.option.replace("_", "-"))


def fail(exc: PCFError) -> typing.NoReturn:
    """A known error: the message (and the option it is about) on stderr, exit status 2."""
    flag = option_of(exc)
    say("error:", "red", f"{exc} ({flag})" if flag else str(exc))
    raise typer.Exit(2)


def message_width(stream=None) -> int:
    """The columns long messages wrap at: ``COLUMNS`` when set, else the width of the terminal
    ``stream`` (default stderr) writes to, else 80 (a pipe, a file; issue 20 part 7: the refusal
    of `pcf issue` was one 1,500-character line in a pipe)."""
    import os

    stream = stream or sys.stderr
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):  # no descriptor (a captured stream)
        pass
    return 80


#: A ``file:line:`` (or ``file:line:column:``) location at the start of a message: a path
#: (spaces allowed, no colon) ending in a file name with an extension.
LOCATION = r"^([^:\n]*?\.[A-Za-z0-9]+:\d+(?::\d+)?:)(?= |$)"


def wrap_message(text: str, width: int | None = None) -> str:
    """``text`` wrapped at ``width`` columns [default :func:`message_width`], at spaces only.

    A word is never broken (a path, a number, a key stays whole, even when it is wider than a
    line), the ``file:line:`` location (or first word) after a leading ``error:`` / ``warning`` /
    ``note:`` tag stays whole on the tag's line even when its path holds spaces, and the lines of a
    multi-line message (a list of nonconformities) are wrapped one by one. A continued line is
    indented two columns more than the line it continues. Widths count East Asian wide
    characters as 2 columns."""
    import re
    import unicodedata

    width = width or message_width()

    def cells(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)

    tag = re.match(r"^(?:error:|warning|note:) ", text)
    start = tag.end() if tag else 0
    where = re.match(LOCATION, text[start:])
    if where:  # the location's spaces may not break
        text = text[:start] + where.group(1).replace(" ", "\0") + text[start + where.end():]
    if tag:  # nor the space after the tag: a long path stays on the tag's line
        text = text[:start - 1] + "\0" + text[start:]
    out = []
    for line in text.split("\n"):
        lead = line[:len(line) - len(line.lstrip(" "))]
        indent = " " * (len(lead) + (4 if line.lstrip().startswith("- ") else 2))
        words = line[len(lead):].split(" ")
        current = lead + words[0]
        for word in words[1:]:
            if cells(current) + 1 + cells(word) <= width or not current.strip():
                current += " " + word
            else:
                out.append(current.rstrip())
                current = indent + word
        out.append(current.rstrip() if current.strip() else current)
    return "\n".join(out).replace("\0", " ")


def say(tag: str, style: str | None, message: str, to_stdout: bool = False) -> None:
    """A message on stderr (stdout with ``to_stdout``: `pcf lint`'s findings) after ``tag``
    (``error:``, ``warning``, ``note:``; coloured ``style``), wrapped by :func:`wrap_message` at
    :func:`message_width` of that stream (Rich then prints it as it is)."""
    width = message_width(sys.stdout if to_stdout else sys.stderr)
    text = wrap_message(f"{tag} {message}" if tag else message, width)
    head = (f"[{style}]{escape(tag)}[/{style}]" if style else escape(tag)) if tag else ""
    (out if to_stdout else err).print(head + escape(text[len(tag):]), highlight=False, markup=True, soft_wrap=True)


def print_fitting(columns: list[tuple[str, str]], rows: list[list[str]], keys: int = 1) -> None:
    """Print a table that never cuts a cell: one Rich table when it fits the console's width, else
    several one under another, each with the first ``keys`` columns and as many of the others as
    fit (issue 20 part 7: at 80 columns, in a pipe, a column folds instead of turning into "2…").

    Parameters
    ----------
    columns : list of (title, justify)
        Column titles (they may wrap at spaces) and ``"left"`` / ``"right"``.
    rows : list of list of str
        Cells as Rich markup (escaped); a figure's column is as wide as its widest cell (at
        least 9, or its title), so a figure is never wrapped or cut.
    keys : int
        Leading columns repeated in every part (the row names).
    """
    from rich.text import Text

    def need(i: int) -> int:  # a column's width: its widest cell, its title's longest word; + borders, padding
        cells = [Text.from_markup(r[i]).cell_len for r in rows]
        words = [Text(w).cell_len for w in columns[i][0].split()] + [min(9, Text(columns[i][0]).cell_len)]
        return max(cells + words) + 3

    widths = [need(i) for i in range(len(columns))]
    parts: list[list[int]] = [[]]
    used = sum(widths[:keys]) + 1
    for i in range(keys, len(columns)):
        if parts[-1] and used + widths[i] > out.width:
            parts.append([])
            used = sum(widths[:keys]) + 1
        parts[-1].append(i)
        used += widths[i]
    for part in parts:
        table = Table(show_header=True, header_style="bold")
        for i in list(range(keys)) + part:  # a figure's column exactly as wide as it needs: the title wraps
            table.add_column(columns[i][0], justify=columns[i][1], overflow="fold",
                             min_width=widths[i] - 3 if i >= keys else min(widths[i] - 3, out.width // 3),
                             max_width=widths[i] - 3 if i >= keys else None)
        for r in rows:
            table.add_row(*[r[i] for i in list(range(keys)) + part])
        out.print(table)


def _findings(n: int) -> str:
    """``1 open finding``, ``N open findings`` (the checklist said "1 open findings")."""
    return f"{n} open finding" if n == 1 else f"{n} open findings"


def _passes(exc: BaseException) -> bool:
    """Whether ``exc`` is click's or Typer's own way to end a command (an exit status, a usage
    error, an abort), which click reports itself."""
    import click

    return isinstance(exc, (click.exceptions.Exit, click.exceptions.ClickException, click.exceptions.Abort,
                            typer.Exit, typer.Abort))


def internal_error(exc: BaseException) -> int:
    """An unexpected exception (a bug): one line on stderr with the path of the log file that
    holds the traceback (``PCF_HOME/logs``, :func:`pcf.api.internal_error_log`); returns exit
    status 1."""
    try:
        from pcf.api import internal_error_log

        where = f"the traceback is in {internal_error_log(exc)}"
    except Exception as log_exc:  # noqa: BLE001 - not even a log file: name what failed
        where = f"no log could be written ({type(log_exc).__name__}: {log_exc})"
    print(f"internal error: {type(exc).__name__}: {str(exc)[:300]}\n{where}; please report it "
          "(with the log file) to the pcf maintainers", file=sys.stderr)
    return 1


def guarded(call: typing.Callable, *args, **kwargs):
    """The one error handler of the command line: run ``call`` (a command), and never show a
    traceback (issue 19 part 4).

    - a :class:`pcf.core.errors.PCFError` (bad input, or anything pcf refuses on purpose): its
      message (and the option it is about) on stderr, exit status 2;
    - an ``OSError`` about a file (a permission, a full disk, a folder where a file should be):
      the path and the system's reason, exit status 2;
    - Ctrl-C: ``interrupted`` (and what it left, when the interrupt says: a label issued), exit status 130;
    - anything else is a bug: ``internal error`` with the path of the log file holding the
      traceback (:func:`internal_error`), exit status 1.

    Whatever the failure, the Brightway databases the command wrote for itself are removed first
    (:func:`pcf.api.discard_run`). Click's and Typer's own exits pass through.
    """
    from pcf.api import discard_run, run_mark

    mark = run_mark()
    try:
        return call(*args, **kwargs)
    except BaseException as exc:
        if isinstance(exc, SystemExit) or _passes(exc):
            raise
        discard_run(mark)
        if isinstance(exc, PCFError):
            fail(exc)
        if isinstance(exc, OSError) and exc.filename is not None:
            say("error:", "red", f"{exc.filename}: {exc.strerror or exc}")
            raise typer.Exit(2) from None
        if isinstance(exc, KeyboardInterrupt):  # what it leaves, if it says (pcf.registry.lifecycle)
            print(f"interrupted: {exc}" if str(exc) else "interrupted", file=sys.stderr)
            raise typer.Exit(130) from None
        raise typer.Exit(internal_error(exc)) from None


def handled(command: typing.Callable) -> typing.Callable:
    """``command`` run through :func:`guarded`."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        return guarded(command, *args, **kwargs)
    return run


class Commands(typer.Typer):
    """A command group whose commands all share :func:`guarded` as their error handler. Help is
    click's plain text (``rich_markup_mode=None``): Typer's Rich help imports Rich's Markdown,
    traceback and panel machinery and doubles the time of `pcf --help` (0.15 s of CPU plain,
    0.29 s Rich; issue 18 part 5 asks for under 0.3 s of wall clock)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rich_markup_mode", None)
        super().__init__(*args, **kwargs)

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)
        return lambda command: register(handled(command))


app = Commands(add_completion=False, no_args_is_help=True,
               help="pcf — product carbon footprints (ISO 14067 / GB/T 24067), PCR checks and carbon labels.")


class LazyConsole:
    """A :class:`rich.console.Console` made on first use: importing Rich's console costs more
    than `pcf --help` may take (issue 18 part 5); commands print through ``out`` and ``err``."""

    def __init__(self, **options):
        self._options = options
        self._console = None

    def get(self):
        """The Console itself (for Rich objects that take one, e.g. ``Progress(console=...)``)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str):
        return getattr(self.get(), name)


def escape(text: str) -> str:
    """:func:`rich.markup.escape` (Rich imported on first use)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def Table(*args, **kwargs):  # noqa: N802 - stands for the class
    """A :class:`rich.table.Table` (Rich imported on first use)."""
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


out = LazyConsole()
err = LazyConsole(stderr=True)

if typing.TYPE_CHECKING:
    from pcf.api import Declaration

STAGE_LABELS = {stage: en for stage, (_zh, en) in STAGE_NAMES.items()}


ELECTRICITY_MODE_HELP = ("Mode of the PCR's electricity rules where its sources disagree, e.g. national_mix | "
                         "jrc_hierarchy | direct_line for eu-battery-cfb-ev; default: the PCR's default_mode.")


def _fmt(x: float | None) -> str:
    """A figure by the one number policy (:func:`pcf.api.figure`): the label and the report print the same text."""
    from pcf.api import figure

    return figure(x)


def _amount(x: float | None) -> str:
    """An amount as given (a reference flow of ``1 item``), plain, no trailing zeros (:func:`pcf.api.amount`)."""
    from pcf.api import amount

    return amount(x)


def _plain(text: str) -> str:
    """Stored text with numbers in scientific notation written plainly (:func:`pcf.api.plain_text`)."""
    from pcf.api import plain_text

    return plain_text(text)


def _pct(x: float | None) -> str:
    """A share [-] as a percentage with one decimal (:func:`pcf.api.percent`)."""
    from pcf.api import percent

    return percent(x)


def print_summary(d: Declaration) -> None:
    """Short summary table of a declaration's result (and its PCR verdict)."""
    r = d.result
    product = r.product
    du = product.declared_unit
    total = r.total_kg_co2e
    ref = product.reference_flow
    scenario = r.scenario.name if r.scenario else None
    out.print(f"[bold]{escape(product.name)}[/bold] ({escape(product.id)})"
              + (f"  ·  scenario [bold]{escape(scenario)}[/bold]" if scenario else "")
              + f"  ·  {escape(r.method)}  ·  background {escape(r.background)}")
    table = Table(show_header=True, header_style="bold")
    table.add_column("")
    table.add_column(f"kg CO2e / {_amount(ref.amount)} {ref.unit}", justify="right")
    if du:
        table.add_column(f"kg CO2e / {du.unit}", justify="right")
    table.add_column("share", justify="right")
    per = du.per_reference_flow if du else None

    def row(name, value, bold=False):
        cells = [name, _fmt(value)]
        if du:
            cells.append(_fmt(value / per))
        cells.append(f"{100 * value / total:.1f} %" if total else "—")
        table.add_row(*[f"[bold]{c}[/bold]" for c in cells] if bold else cells)

    for stage, value in r.stages.items():
        row(STAGE_LABELS.get(stage, stage), value)
    row("Total", total, bold=True)
    out.print(table)
    from pcf.api import rounded_parts

    notes = [rounded_parts(list(r.stages.values()), total).note]
    if du and per:
        notes.append(rounded_parts([v / per for v in r.stages.values()], total / per).note)
    note = next((n for n in notes if n), None)
    if note:
        out.print(escape(f"Note: {note[1]}."), highlight=False)
    out.print(escape("ISO 14067 split [kg CO2e]: ") + ", ".join(
        f"{k.replace('_', ' ')} {_fmt(getattr(r.ghg, k))}" for k in GHG_REPORTED))
    dq = r.data_quality
    if dq:
        dqr = dq.dqr
        out.print(escape(f"Data quality: primary data share {_pct(dq.primary_data_share)} (PACT); ")
                  + (escape(f"DQR {dqr.dqr:.2f} {dq.level} (PEF, contribution-weighted, "
                            f"{_pct(dq.coverage)} rated)") if dqr else "DQR: no rated data"), highlight=False)
    es = r.electricity_summary
    if es.total_kwh:
        parts = [f"{k} {_fmt(v.kwh)} kWh" for k, v in (es.by_source or {}).items() if v.kwh]
        unstated = f"; {es.not_stated} not stated (taken as grid)" if es.not_stated else ""
        out.print(escape(f"Electricity: {_fmt(es.total_kwh)} kWh, {_fmt(es.kg_co2e)} kg CO2e "
                         f"({100 * (es.share or 0):.1f} %, {_fmt(es.kg_co2e_per_kwh)} kg CO2e/kWh); "
                         + ", ".join(parts) + unstated), highlight=False)
    top = [c for c in r.contributions if c.kind != "other"][:5]
    if top:
        out.print("Top contributions: " + "; ".join(
            f"{c.background or c.process} ({STAGE_LABELS.get(c.stage, c.stage)}) {_pct(c.share)}"
            for c in top))
    a = d.assessment
    if a:
        verdict = "[green]conforms[/green]" if a.conforms else "[red]does not conform[/red]"
        cls = ""
        for pc in (a.performance_class, *a.alternative_classes):
            if not pc:
                continue
            name = f" ({escape(pc.title)})" if pc.title else ""
            if not pc.class_:
                cls += f", not graded{name} (graded only when it conforms)"
            else:
                note = " (illustrative thresholds)" if pc.illustrative else ""
                cls += f", performance class{name} [bold]{escape(str(pc.class_))}[/bold]{note}"
        mode = (a.electricity or {}).get("mode")
        elec = f", electricity mode {escape(mode)}" if mode else ""
        out.print(f"PCR {escape(a.pcr.id)}: {verdict}{cls}{elec}")


def print_uncertainty(d: Declaration) -> None:
    """The Monte Carlo interval and the top drivers of a declaration's result, when it has them."""
    u = d.result.uncertainty
    if not u:
        return
    du = d.result.product.declared_unit
    per = u.per_declared_unit
    line = (f"Monte Carlo ({u.iterations} iterations, seed {u.seed}): mean {_fmt(u.mean)}, "
            f"median {_fmt(u.median)}, 95 % interval {_fmt(u.p2_5)} .. {_fmt(u.p97_5)} kg CO2e")
    if du and per:
        line += f"; per {du.unit}: {_fmt(per.p2_5)} .. {_fmt(per.p97_5)}"
    out.print(escape(line), highlight=False)
    defaults = u.defaults
    if defaults and defaults.applied and defaults.amounts:
        share = defaults.variance_share
        out.print(escape(f"Default uncertainty: {len(defaults.amounts)} amounts without stated uncertainty sampled from their "
                         f"data quality (pedigree matrix)" + (f", {100 * share:.0f} % of the variance" if share is not None
                                                              else "")), highlight=False)
    elif defaults and not defaults.applied and defaults.unannotated:
        out.print(escape(f"Default uncertainty off: {defaults.unannotated} amounts without stated uncertainty held fixed "
                         "(the interval understates the uncertainty)"), highlight=False)
    top = u.drivers
    if top:
        out.print(escape("Uncertainty drivers (share of variance, rho^2 normalised): " + "; ".join(
            f"{x.input} ({x.process}) {100 * x.share:.0f} %" for x in top[:3])), highlight=False)


def print_lint_warnings(d: Declaration) -> None:
    """The result's lint warnings (``pcf lint`` shows every finding with its fix)."""
    warnings = [f for f in (d.result.lint or ()) if f.severity == "warning"]
    for f in warnings:
        where = f"{f.file}:{f.line}" if f.line is not None else f.file
        say("warning", "yellow", f"{where}: {f.check} {f.message}")
    if warnings:
        err.print(f"{len(warnings)} lint warning{'s' if len(warnings) != 1 else ''} (in the result's lint list; "
                  "`pcf lint MODEL` shows the fixes)", highlight=False)


@app.command(epilog="Example: pcf setup")
def setup(force: bool = typer.Option(False, "--force", help="Rebuild every part.")) -> None:
    """Build the background (biosphere3, IPCC 2021/2013 GWP100, EF 3.1 climate change, open default) under PCF_HOME. Idempotent."""
    from pcf.api import setup as build

    done = build(force=force, report=lambda m: err.print(escape(m)))
    for step, state in done.steps.items():
        out.print(f"{step}: {state}")
    out.print(f"background ready in {done.home}")


SCENARIO_HELP = "A scenario of the model's scenarios: (default: the model as written, 'base')."


@app.command(epilog="Example: pcf footprint examples/battery/nmc811-pack.yaml --out out --label --report "
                    "--scenario grid_east_china")
def footprint(
    model: Path = typer.Argument(..., help="Product model file (pcf-model/1 YAML)."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for <product id>[.<scenario>].result.json (and PDFs)."),
    label: bool = typer.Option(False, "--label", help="Also render the graded label (SVG + PDF)."),
    report: bool = typer.Option(False, "--report", help="Also render the CFP study report (PDF)."),
    method: Optional[str] = typer.Option(None, "--method", help="Override study.method (ipcc-2021-gwp100 | ipcc-2013-gwp100 | ef-3.1-climate-change)."),
    electricity_mode: Optional[str] = typer.Option(None, "--electricity-mode", help=ELECTRICITY_MODE_HELP),
    scenario: Optional[str] = typer.Option(None, "--scenario", help=SCENARIO_HELP),
    pcr: Optional[str] = typer.Option(None, "--pcr", help="Assess against this PCR (a file in pcr_rules/) instead of "
                                                           "study.pcr, e.g. gbt-24067-generic for a China label."),
    monte_carlo: Optional[int] = typer.Option(None, "--monte-carlo", metavar="N",
                                              help="Also run N Monte Carlo iterations (uncertainty: of the model and "
                                                   "the background's distributions) and report the 95 % interval."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of the Monte Carlo generator (0 .. 4294967295); "
                                                             "the same seed gives the same numbers."),
    no_default_uncertainty: bool = typer.Option(
        False, "--no-default-uncertainty",
        help="With --monte-carlo: hold amounts without uncertainty: fixed instead of sampling them with a default "
             "lognormal from their data quality (pedigree matrix); the interval then understates the uncertainty."),
    brightway_dir: Optional[Path] = brightway_dir_option(),
    project: Optional[str] = project_option(),
    install_methods: bool = typer.Option(False, "--install-methods",
                                         help="With --brightway-dir: also write pcf's three GWP methods into that "
                                              "project (the one write pcf makes there)."),
) -> None:
    """Compute the carbon footprint of a product model and write its result JSON.

    With --monte-carlo N the result also gets an uncertainty assessment, e.g.
    pcf footprint examples/battery/nmc811-pack.yaml --out out --monte-carlo 1000 --seed 42
    """
    from pcf.api import run_footprint

    for given, flag in ((seed is not None, "--seed"), (no_default_uncertainty, "--no-default-uncertainty")):
        if given and monte_carlo is None:
            err.print(f"error: {flag} goes with --monte-carlo N")
            raise typer.Exit(2)
    run = run_footprint(model, out_dir, label=label, report=report, method=method, electricity_mode=electricity_mode,
                       scenario=scenario, pcr_id=pcr,
                       monte_carlo=monte_carlo, seed=seed, default_uncertainty=not no_default_uncertainty,
                       brightway_dir=brightway_dir, project=project, install_methods=install_methods)
    for note in run.notes:
        say("note:", None, note)
    print_summary(run.declaration)
    print_uncertainty(run.declaration)
    print_lint_warnings(run.declaration)
    for path in run.files.values():
        out.print(f"wrote {path}")


@app.command(epilog="Example: pcf check examples/battery/nmc811-pack.yaml --pcr eu-battery-cfb-ev --electricity-mode jrc_hierarchy")
def check(
    model: Path = typer.Argument(..., help="Product model file (pcf-model/1 YAML)."),
    pcr: Optional[str] = typer.Option(None, "--pcr", help="PCR id (a file in pcr_rules/); default: study.pcr."),
    electricity_mode: Optional[str] = typer.Option(None, "--electricity-mode", help=ELECTRICITY_MODE_HELP),
    scenario: Optional[str] = typer.Option(None, "--scenario", help=SCENARIO_HELP),
    method: Optional[str] = typer.Option(None, "--method", help="Override study.method (e.g. ipcc-2021-gwp100, which "
                                                                 "the Chinese PCRs require)."),
) -> None:
    """Check a product model against its PCR; exit 1 on any nonconformity."""
    from pcf.api import compute

    declaration = compute(model, pcr_id=pcr, electricity_mode=electricity_mode, scenario=scenario, method=method)
    a = declaration.assessment
    if a is None:
        err.print("error: no PCR: pass --pcr ID or set study.pcr in the model")
        raise typer.Exit(2)
    n_nc = sum(f.severity == "nonconformity" for f in a.findings)
    out.print(f"[bold]PCR {escape(a.pcr.id)}[/bold] v{escape(str(a.pcr.version))}: "
              f"{len(a.findings)} findings ({n_nc} nonconformit{'y' if n_nc == 1 else 'ies'}, "
              f"{len(a.findings) - n_nc} observation{'' if len(a.findings) - n_nc == 1 else 's'})")
    for f in a.findings:
        style = "red" if f.severity == "nonconformity" else "yellow"
        out.print(f"\n[{style}]● {f.severity}[/{style}]  [bold]{escape(f.rule)}[/bold]  ({escape(f.clause or '')})")
        out.print(f"  {escape(_plain(f.message))}", highlight=False)
        if f.fix:
            out.print(f"  → {escape(_plain(f.fix))}", highlight=False)
    out.print()
    print_summary(declaration)
    if not a.conforms:
        raise typer.Exit(1)




@app.command(epilog="Example: pcf lint examples/battery/nmc811-pack.yaml")
def lint(
    model: Path = typer.Argument(..., help="Product model file (pcf-model/1 YAML)."),
    pcr: Optional[str] = typer.Option(None, "--pcr", help="Check the stages this PCR requires (default: study.pcr)."),
    scenario: Optional[str] = typer.Option(None, "--scenario", help=SCENARIO_HELP),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on warnings too."),
) -> None:
    """Find mistakes in a valid model without computing it: processes the reference flow does
    not reach, the product's mass balance, a background input listed twice in one process, a
    stage the PCR requires that only stage inheritance fills. Exit 1 on an error (--strict:
    or a warning), 2 when the model does not load."""
    from pcf.api import lint as run_lint

    run = run_lint(model, pcr_id=pcr, scenario=scenario, strict=strict)
    styles = {"error": "red", "warning": "yellow", "info": "cyan"}
    for f in run.findings:
        style = styles.get(f.severity, "white")
        say(f.severity, style, f"{f.where}: {f.check} {f.message}", to_stdout=True)  # wrapped (issue 20 part 7)
        say("", None, f"  fix: {f.fix}", to_stdout=True)
    counts = {s: sum(f.severity == s for f in run.findings) for s in styles}
    checked = f" (stages required by PCR {run.pcr})" if run.pcr else ""
    tally = ", ".join(f"{counts[k]} {word}{'' if counts[k] == 1 else 's'}"   # 1 warning, not "1 warnings"
                      for k, word in (("error", "error"), ("warning", "warning"), ("info", "note")))
    out.print(f"{tally}{checked}",
              highlight=False)
    if run.exit_code:
        raise typer.Exit(run.exit_code)


def print_comparison(comparison: dict) -> None:
    """Table of a scenario comparison (``pcf-scenarios/1``)."""
    product = comparison["product"]
    du = product.get("declared_unit")
    ref = product["reference_flow"]
    out.print(f"[bold]{escape(product['name'])}[/bold] ({escape(product['id'])})  ·  {escape(comparison['method'])}"
              f"  ·  differences against [bold]{escape(comparison['base'])}[/bold]")
    columns = [("scenario", "left"), (f"kg CO2e / {_amount(ref['amount'])} {escape(ref['unit'])}", "right")]
    if du:
        columns.append((f"kg CO2e / {escape(du['unit'])}", "right"))
    columns += [("Δ kg CO2e", "right"), ("Δ %", "right")]
    if du:
        columns.append((f"Δ % per {escape(du['unit'])}", "right"))
    columns += [(STAGE_ABBREVIATIONS.get(stage, stage), "right") for stage in comparison["stages"]]

    def pct(x):
        return "—" if x is None else f"{0.0 if abs(x) < 5e-10 else x:+.1f} %"

    base_total = abs(comparison["scenarios"][0]["total_kg_co2e"])
    rows = []
    for row in comparison["scenarios"]:
        cells = [escape(row["scenario"]), _fmt(row["total_kg_co2e"])]
        if du:
            cells.append(_fmt(row["per_declared_unit_kg_co2e"]))
        diff = row["diff_kg_co2e"]
        cells += ["0" if abs(diff) <= 1e-9 * base_total else ("+" if diff > 0 else "") + _fmt(diff), pct(row["diff_pct"])]
        if du:
            cells.append(pct(row["per_declared_unit_diff_pct"]))
        cells += [_fmt(row["stages"][s]) for s in comparison["stages"]]
        rows.append(cells)
    print_fitting(columns, rows)
    for row in comparison["scenarios"]:
        if row["description"]:
            out.print(f"  {escape(row['scenario'])}: {escape(row['description'])}", highlight=False)


def print_claim(comparison: dict) -> None:
    """Table of a result comparison (``pcf-comparison/1``): total and PCR stages per declared unit."""
    c = comparison
    head = "previous" if c["claim"] == "reduction" else "baseline"
    pcr = f"PCR {c['pcr']['id']} v{c['pcr']['version']}" if c["pcr"]["id"] else "no PCR"
    out.print(f"[bold]{escape(c['claim'])}[/bold]: {escape(c['product']['id'])} against {escape(c['baseline']['id'])}"
              f"  ·  {escape(pcr)}  ·  {escape(c['unit'])}")
    b = c["baseline"]
    if b.get("kind") == "cited":
        out.print(f"  baseline: {_fmt(b['value'])} {escape(b['unit'])} = {_fmt(b['per_declared_unit'])} "
                  f"{escape(c['unit'])} ({escape(b['source'])})", highlight=False)
    for m in b.get("members", []) if len(b.get("members", [])) > 1 else []:
        out.print(f"  baseline {escape(m['id'])}: weight {m['weight']:g} × {_fmt(m['per_declared_unit'])}", highlight=False)
    columns = [("", "left"), (head, "right"), ("product", "right"),
               ("reduction" if c["claim"] == "reduction" else "handprint", "right"), ("%", "right")]
    rows = []
    for r in [c["total"]] + c["stages"]:
        pct = "—" if r["reduction_pct"] is None else f"{r['reduction_pct']:.1f} %"
        rows.append([escape(r["name"]), _fmt(r["baseline"]), _fmt(r["product"]), _fmt(r["reduction"]), pct])
    print_fitting(columns, rows)
    for cond in c["conditions"]:
        mark = {True: "[green]✓[/green]", False: "[red]✗[/red]", None: "[yellow]?[/yellow]"}[cond["met"]]
        out.print(f"  {mark} {escape(cond['condition'])}" + (f" — {escape(cond['note'])}" if cond["note"] else ""),
                  highlight=False)
    verdict = "[green]claim supported[/green]" if c["supported"] else "[red]claim not supported[/red]"
    out.print(f"{verdict}: {escape(c['statement'])}", highlight=False)


@app.command(epilog="Example: pcf compare examples/battery/nmc811-pack.yaml --out out --scenario grid_east_china  ·  "
                    "pcf compare out/OLD.result.json out/NEW.result.json --claim reduction --out out  ·  "
                    "pcf compare out/BASE.result.json out/NEW.result.json --claim handprint --justification '...'  ·  "
                    "pcf compare out/PV.result.json --claim handprint --baseline-value 0.5366 --baseline-unit "
                    "'kg CO2/kWh' --baseline-source '...' --justification '...'")
def compare(
    first: Path = typer.Argument(..., help="A product model (YAML): compare its scenarios; or the result JSON of the "
                                           "previous generation / baseline product."),
    second: Optional[Path] = typer.Argument(None, help="With a result JSON first: the result JSON of the product "
                                                       "the claim is about."),
    scenario: list[str] = typer.Option([], "--scenario", help="Model: scenario to compare (repeatable); default every "
                                                              "one. The model as written (base) is always included."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder for the comparison files (.csv, .json; a "
                                                               "claim also .pdf)."),
    method: Optional[str] = typer.Option(None, "--method", help="Model: override study.method."),
    electricity_mode: Optional[str] = typer.Option(None, "--electricity-mode", help=ELECTRICITY_MODE_HELP),
    claim: Optional[str] = typer.Option(None, "--claim", help="Results: reduction (against the previous generation, "
                                                              "default) | handprint (against a baseline product)."),
    justification: Optional[str] = typer.Option(None, "--justification", help="Results, handprint: why the baseline "
                                                                              "is what the customer would use otherwise."),
    baseline: list[Path] = typer.Option([], "--baseline", help="Handprint of the one result given: a baseline result "
                                                               "JSON (repeatable: their weighted average)."),
    weight: list[float] = typer.Option([], "--weight", help="Share of each --baseline in the average, in order "
                                                            "(each > 0, summing to 1; not needed for one)."),
    baseline_value: Optional[float] = typer.Option(None, "--baseline-value", help="Handprint: a cited baseline value "
                                                                                  "instead of results."),
    baseline_unit: Optional[str] = typer.Option(None, "--baseline-unit", help="Its unit, '<mass> CO2e/<unit>' "
                                                                              "(e.g. 'kg CO2e/kWh'; converted to the "
                                                                              "product's declared unit)."),
    baseline_source: Optional[str] = typer.Option(None, "--baseline-source", help="Where the cited value comes from."),
) -> None:
    """Compare a model's scenarios (MODEL), or two results for a reduction claim or a carbon handprint (A B),
    or one result's handprint against --baseline results or a cited --baseline-value.

    With results: exit 1 when the claim is not supported (no reduction, or a condition not met).
    """
    from pcf.api import compare as run_compare
    from pcf.api import compare_handprint, compare_results_claim

    results = first.suffix.lower() == ".json"
    real_baseline = bool(baseline or weight or baseline_value is not None or baseline_unit or baseline_source)
    if real_baseline:
        if not results or second is not None or (claim or "handprint") != "handprint":
            raise PCFError("--baseline / --baseline-value give the baseline of a handprint of ONE result: pcf compare "
                           "PRODUCT.result.json --claim handprint --baseline ... (or --baseline-value ...)")
        run = compare_handprint(first, baseline, weight, baseline_value, baseline_unit, baseline_source,
                                justification, out_dir)
    elif results:
        if second is None:
            raise PCFError("comparing results needs two: pcf compare BASELINE.result.json PRODUCT.result.json")
        if scenario or method or electricity_mode:
            raise PCFError("--scenario, --method and --electricity-mode apply to a model; results are compared "
                           "as computed")
        run = compare_results_claim(first, second, claim or "reduction", justification, out_dir)
    else:
        if second is not None or claim or justification:
            raise PCFError(f"{first} is a model: its scenarios are compared (one model, no --claim); to compare "
                           "two results pass their .result.json files")
        run = run_compare(first, scenario, out_dir=out_dir, method=method, electricity_mode=electricity_mode)
    if results:
        print_claim(run.comparison)
    else:
        print_comparison(run.comparison)
    for path in run.files.values():
        out.print(f"wrote {path}")
    if results and not run.comparison["supported"]:
        raise typer.Exit(1)


class _BatchCommand(typer.core.TyperCommand):
    """``pcf batch SKUS ...``, and ``pcf batch result OUT SKU`` (a word the table argument
    cannot be confused with: ``result`` followed by two arguments)."""

    def make_context(self, info_name, args, parent=None, **extra):
        if len(args) >= 1 and args[0] == "result" and not (len(args) > 1 and args[1].startswith("-")
                                                             and args[1] not in ("--help", "-h")):
            command = typer.main.get_command(batch_result_app)
            return command.make_context(f"{info_name} result", list(args[1:]), parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)


batch_result_app = Commands(add_completion=False)


@batch_result_app.command("result", epilog="Example: pcf batch result out/batch NMC811-080-DE-8Y > NMC811-080-DE-8Y.result.json")
def batch_result(
    out_dir: Path = typer.Argument(..., metavar="OUT", help="The --out folder of a pcf batch (its batch store)."),
    sku: str = typer.Argument(..., metavar="SKU", help="The SKU id."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the result JSON to this file "
                                          "(default: standard output)."),
) -> None:
    """Print one SKU's full result JSON, rebuilt from the batch store (equal to `pcf footprint` of its row)."""
    import json

    from pcf.api import batch_result as run

    text = json.dumps(run(out_dir, sku), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {escape(str(output))}", highlight=False)


@app.command(cls=_BatchCommand,
             epilog="Example: pcf batch examples/battery/skus.csv --out out/batch --jobs 2  ·  "
                    "one SKU's result: pcf batch result out/batch SKU")
def batch(
    skus: Path = typer.Argument(..., help="SKU table, CSV or Excel: id, name, scenario, model, label, report, and one "
                                          "column per overridden parameter (docs/batch.md)."),
    model: Optional[Path] = typer.Option(None, "--model", help="Model of the rows without a model cell."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for the batch store (plan.json, store/; or "
                                                   "<id>.result.json with --json-per-sku), summary.csv, "
                                                   "summary.parquet, batch-state.jsonl."),
    jobs: int = typer.Option(1, "--jobs", help="Worker processes (or local dask workers)."),
    executor: str = typer.Option("local", "--executor", help="local | dask"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of a running dask scheduler, "
                                                                      "e.g. tcp://10.0.0.5:8786 (--executor dask)."),
    force: bool = typer.Option(False, "--force", help="Recompute SKUs done before with the same input hash."),
    summary_only: bool = typer.Option(False, "--summary-only", help="Write the summary table only, no result JSON "
                                                                    "per SKU (fastest; no PCR verdict)."),
    json_per_sku: bool = typer.Option(False, "--json-per-sku", help="Write one <id>.result.json per SKU instead "
                                                                    "of the batch store."),
    brightway_dir: Optional[Path] = brightway_dir_option(),
    project: Optional[str] = project_option(),
) -> None:
    """Compute the footprint of every SKU of a table; resumable (done SKUs are skipped). Full results go
    to a batch store (read one with `pcf batch result OUT SKU`), or one JSON file per SKU."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    from pcf.api import batch as run_batch

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.0f} SKUs/s")

    with _progress_bar("SKUs", Rate()) as bar:
        task = bar.add_task("batch", total=None)
        report = run_batch(skus, out_dir, model, jobs=jobs, executor=executor, scheduler=scheduler, force=force,
                           results=not summary_only, brightway_dir=brightway_dir, project=project,
                           json_per_sku=json_per_sku,
                           progress=lambda done, total: bar.update(task, completed=done, total=total))
    for note in report.notes:
        err.print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False)
    out.print(f"{report.rows} SKUs: {report.computed} computed, {report.skipped} skipped (done before), "
              f"{report.failed} failed; preparation {report.prepare_s:.1f} s, computation {report.compute_s:.1f} s",
              highlight=False)
    for path in report.files.values():
        out.print(f"wrote {escape(str(path))}", highlight=False)
    if report.failed:
        for message in report.errors[:5]:
            say("error:", "red", message)
        more = f" (first {len(report.errors[:5])} above)" if report.errors else ""
        err.print(f"[red]{report.failed} of {report.rows} SKUs failed[/red]{more}: status 'error' in "
                  f"{escape(str(report.files.get('csv', 'summary.csv')))}", highlight=False)
        raise typer.Exit(1)


@app.command(epilog="Example: pcf label out/SKU-NMC811-PACK.result.json --out out --variant all --size 20")
def label(
    result: Optional[Path] = typer.Argument(None, help="Result JSON written by `pcf footprint` (or --batch and --sku)."),
    out_dir: Path = typer.Option(..., "--out", help="Output folder."),
    variant: list[str] = typer.Option(["graded"], "--variant", help="graded (90 x 145 mm) | compact (square, "
                                      "8-60 mm) | declaration (A5; EU batteries: Art. 7) | all; repeatable."),
    size: Optional[float] = typer.Option(None, "--size", help="Side of the compact label [mm], 8-60 (default 30)."),
    batch: Optional[Path] = _batch_option(),
    sku: Optional[str] = _sku_option(),
    grading: Optional[Path] = typer.Option(None, "--grading", help="A `pcf grade --out` document of this result: "
                                                                   "the graded label prints its peer level."),
) -> None:
    """Render labels of a result (SVG and PDF): the graded label, a compact one, the declaration."""
    from pcf.api import render_outputs

    if size is not None and not {"compact", "all"} & set(variant):
        fail(PCFError("--size is the side of the compact label: add --variant compact (or all)"))
    files = render_outputs(result, out_dir, "label", variants=variant, size_mm=size, batch=batch, sku=sku,
                           grading=grading)
    for path in files.values():
        out.print(f"wrote {path}")


@app.command(epilog="Example: pcf report out/SKU-NMC811-PACK.result.json --out out")
def report(
    result: Optional[Path] = typer.Argument(None, help="Result JSON written by `pcf footprint` (or --batch and --sku)."),
    out_dir: Path = typer.Option(..., "--out", help="Output folder."),
    batch: Optional[Path] = _batch_option(),
    sku: Optional[str] = _sku_option(),
) -> None:
    """Render the CFP study report (PDF) of a result and its one-page verification statement template."""
    from pcf.api import render_outputs

    files = render_outputs(result, out_dir, "report", batch=batch, sku=sku)
    for path in files.values():
        out.print(f"wrote {path}")


@app.command(epilog="Example: pcf recompute out/SKU-NMC811-PACK.result.json --model examples/battery/nmc811-pack.yaml")
def recompute(
    declaration: Path = typer.Argument(..., help="Result JSON (pcf footprint / pcf batch) or an issued label "
                                                 "document (<number>.declaration.json)."),
    model: Path = typer.Option(..., "--model", help="The product model file the declaration was computed from."),
) -> None:
    """Compute a declaration's model again and say "same declared value" or exactly what differs.

    Checks the model, supplier, background, database and method hashes, the PCR, parameters and
    software versions it records, and the declared value (1e-9 relative). Exit 0 when nothing
    differs, 1 when anything does (also an input with the same value), 2 for bad input.
    """
    from pcf.api import recompute as run

    found = run(declaration, model)
    for line in found.lines():
        out.print(escape(line), highlight=False, soft_wrap=True)
    raise typer.Exit(found.exit_code)


@app.command(epilog="Example: pcf export out/SKU-NMC811-PACK.result.json --format pact-v3 --out out/SKU-NMC811-PACK.pact-v3.json")
def export(
    result: Path = typer.Argument(..., help="Result JSON written by `pcf footprint`."),
    fmt: str = typer.Option(..., "--format", help="pact-v3 | pact-v2 | catena-x (= catena-x@9.0.0) | catena-x@7.0.0 | catena-x@8.0.0 | catena-x@9.0.0 | battery-pass (docs/exchange.md)."),
    out_file: Path = typer.Option(..., "--out", help="JSON file to write."),
    study_url: Optional[str] = typer.Option(None, "--study-url",
                                            help="Link to the public CFP study (Battery Pass); default exchange.study_url."),
    ungraded: bool = typer.Option(False, "--ungraded",
                                  help="Battery Pass of a result its PCR did not grade: class 'not graded' (a preview)."),
) -> None:
    """Export a result as a PACT v3 / v2 footprint, a Catena-X PCF or Battery Pass attributes."""
    from pcf.api import export as run_export

    path = run_export(result, fmt, out_file, study_url=study_url, allow_ungraded=ungraded)
    out.print(f"wrote {escape(str(path))}")


@app.command("export-model", epilog="Example: pcf export-model examples/pv/mono-si-module-cn.yaml --format brightway-excel --out out/pv.xlsx")
def export_model(
    model: Path = typer.Argument(..., help="Model file (pcf-model/1)."),
    fmt: str = typer.Option(..., "--format", help="brightway-excel: a bw2io ExcelImporter workbook; olca-jsonld: an "
                            "openLCA JSON-LD zip (docs/model-format.md)."),
    out_file: Path = typer.Option(..., "--out", help="File to write (.xlsx or .zip); must not exist."),
    scenario: Optional[str] = typer.Option(None, "--scenario", help="Export this scenario of the model instead of the base."),
) -> None:
    """Export a model's foreground, linked to its background, for Brightway / Activity Browser or openLCA."""
    from pcf.api import export_model as run

    path = run(model, fmt, out_file, scenario=scenario)
    out.print(f"wrote {escape(str(path))}")


@app.command("api-client", epilog="Example: pcf api-client buyer-1 --clients api-clients.json")
def api_client(
    client_id: str = typer.Argument(..., help="Client id of the data recipient (1-64 of A-Z a-z 0-9 . _ -)."),
    clients: Path = typer.Option(..., "--clients", help="Clients file of `pcf serve` (created when missing)."),
) -> None:
    """Register a client of the PACT host API and print its secret (shown once; only a hash is kept)."""
    from pcf.api import add_api_client

    secret = add_api_client(clients, client_id)
    print(secret)
    err.print(f"client {escape(client_id)} registered in {escape(str(clients))}; the secret above is not stored")


@app.command("api-callback", epilog="Example: pcf api-callback buyer-1 --clients api-clients.json --url "
                                     "https://pact.buyer.example --auth-client-id pcf-supplier --auth-secret-file s.txt")
def api_callback(
    client_id: str = typer.Argument(..., help="Client id (registered with `pcf api-client`)."),
    clients: Path = typer.Option(..., "--clients", help="Clients file of `pcf serve`."),
    url: str = typer.Option(..., "--url", help="The requester's PACT host (https; answers go to URL/3/events)."),
    auth_client_id: str = typer.Option(..., "--auth-client-id", help="Client id the requester gave this host."),
    auth_secret_file: Path = typer.Option(..., "--auth-secret-file", help="File with the requester's client "
                                          "secret for this host (first line)."),
    token_url: Optional[str] = typer.Option(None, "--token-url", help="The requester's token endpoint "
                                            "[default URL/auth/token]."),
) -> None:
    """Answer a client's PACT request events (RequestCreated) at its own host: set its URL and the
    credentials for its /auth/token."""
    from pcf.api import set_api_callback

    callback = set_api_callback(clients, client_id, url, auth_client_id, auth_secret_file, token_url)
    out.print(f"requests of {escape(client_id)} are answered at {escape(callback.url)} "
              f"(token: {escape(callback.token_url)})")


@app.command(epilog="Example: pcf serve --port 8080 (label pages) or pcf serve --results out --clients "
                     "api-clients.json --port 8080 (label pages and PACT API)")
def serve(
    results: Optional[Path] = typer.Option(None, "--results", help="Folder of the result JSON files the labels were "
                                           "issued for (PACT API; with --clients)."),
    clients: Optional[Path] = typer.Option(None, "--clients", help="Client credentials (`pcf api-client`) "
                                           "(PACT API; with --results)."),
    registry: Optional[str] = typer.Option(None, "--registry", envvar="PCF_REGISTRY",
                                           help="Label registry: a file or a postgresql:// URL; default "
                                           "PCF_REGISTRY_URL, else PCF_HOME/registry.db."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8080, "--port", help="TCP port."),
    tls_cert: Optional[Path] = typer.Option(None, "--tls-cert", help="PEM certificate for HTTPS."),
    tls_key: Optional[Path] = typer.Option(None, "--tls-key", help="PEM private key for HTTPS."),
    public_url: Optional[str] = typer.Option(None, "--public-url", help="Base URL clients reach the server at "
                                             "(https://pcf.example.com), for absolute links; default the bind "
                                             "address. The Host header is never used."),
) -> None:
    """Serve the labels' verification pages live from the registry (at the path of the QR codes' URL) and,
    with --results and --clients, the issued footprints over the PACT REST API (v3 under /3, v2 under /2)."""
    from pcf.api import serve as run_serve

    run_serve(results, clients, registry, host=host, port=port, tls_cert=tls_cert, tls_key=tls_key,
              public_url=public_url)


cache_app = Commands(no_args_is_help=True, help="Cached characterised backgrounds (PCF_HOME/cache/background).")
app.add_typer(cache_app, name="cache")


@cache_app.command("info", epilog="Example: pcf cache info")
def cache_info() -> None:
    """Where the background cache is and how much it holds."""
    from pcf.api import background_cache

    info = background_cache()
    out.print(f"{info['folder']}: {info['files']} cached backgrounds, {info['warm_files']} warm footprints, "
              f"{info['bytes'] / 1e6:.1f} MB")


@cache_app.command("clear", epilog="Example: pcf cache clear")
def cache_clear() -> None:
    """Remove every cached background and warm footprint (the next footprint on each background
    characterises it again)."""
    from pcf.api import background_cache

    info = background_cache(clear=True)
    out.print(f"removed {info['files']} cached backgrounds and {info['warm_files']} warm footprints "
              f"({info['bytes'] / 1e6:.1f} MB) from {info['folder']}")


db_app = Commands(no_args_is_help=True, help="Installed background databases.")
app.add_typer(db_app, name="db")


@db_app.command("list", epilog="Example: pcf db list --json")
def db_list(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
            brightway_dir: Optional[Path] = brightway_dir_option(),
            project: Optional[str] = project_option()) -> None:
    """List the installed databases: name, kind, activities, source, version, content hash."""
    import json

    from pcf.api import list_databases

    entries = list_databases(brightway_dir, project)
    if as_json:
        print(json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    wide = out.width >= 110
    table = Table(show_header=True, header_style="bold")
    table.add_column("name" if wide else "name · source", overflow="fold", ratio=1)
    table.add_column("kind", no_wrap=True)
    table.add_column("activities", justify="right", no_wrap=True)
    table.add_column("sha256", no_wrap=True)
    if wide:
        table.add_column("source", overflow="fold", ratio=1)
    for e in entries:
        if wide:
            table.add_row(escape(e.name), e.kind, str(e.activities), e.sha256[:12], escape(e.source))
        else:  # under 110 columns: the source under the name, so that neither folds mid-word at 80
            name = f"[bold]{escape(e.name)}[/bold]" + (f"\n[dim]{escape(e.source)}[/dim]" if e.source else "")
            table.add_row(name, e.kind, str(e.activities), e.sha256[:12])
    out.print(table)


@db_app.command("search", epilog="Example: pcf db search graphite --unit kg --json")
def db_search(
    text: str = typer.Argument(..., help="Words of the activity's name or reference product (fuzzy)."),
    database: Optional[str] = typer.Option(None, "--database", help="Search this database only (as `pcf db list` "
                                           "names it); default every installed background."),
    location: Optional[str] = typer.Option(None, "--location", help="Only activities of this location (CN, GLO, ...)."),
    unit: Optional[str] = typer.Option(None, "--unit", help="Only activities in this unit (kg also finds kilogram)."),
    method: str = typer.Option("ipcc-2021-gwp100", "--method", help="Method of the kg CO2e per unit "
                               "(ipcc-2021-gwp100 | ipcc-2013-gwp100 | ef-3.1-climate-change)."),
    limit: int = typer.Option(20, "--limit", help="At most this many rows."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON records instead of a table."),
    brightway_dir: Optional[Path] = brightway_dir_option(),
    project: Optional[str] = project_option(),
) -> None:
    """Find background activities by fuzzy match, best first: the reference to paste into a model,
    name, reference product, location, unit, kg CO2e per unit, DQR, proxy flag, source.
    Exit 1 when nothing matches."""
    import json

    from pcf.api import search_databases

    found = search_databases(text, database=database, location=location, unit=unit, method=method, limit=limit,
                             brightway_dir=brightway_dir, project=project)
    if as_json:
        print(json.dumps([h.to_dict() for h in found.hits], indent=2, ensure_ascii=False))
    if not found.hits:
        filters = "".join(f", {k} {v!r}" for k, v in (("location", location), ("unit", unit)) if v is not None)
        err.print(f"no activity matches {escape(repr(text))}{escape(filters)} in {escape(', '.join(found.databases))}",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    if not as_json:
        print_search(found)


def print_search(found) -> None:
    """The hits of ``pcf db search`` as a table. Under 120 columns two columns: the activity (its
    reference on a line of its own, so that it never folds at 80 columns; name, reference product;
    location, DQR, proxy) and kg CO2e per unit; wider, one column per field and the source."""
    count = f"{len(found.hits)} best match" + ("es" if len(found.hits) > 1 else "")
    out.print(f"{count} for [bold]{escape(found.text)}[/bold] in "
              f"{escape(', '.join(found.databases))} · kg CO2e per unit under {escape(found.method_label)}",
              highlight=False)
    wide = out.width >= 120
    table = Table(show_header=True, header_style="bold", show_lines=not wide)
    proxy = {True: "yes", False: "no", None: "—"}
    if wide:
        for title, kw in (("reference (paste into inputs[])", {"no_wrap": True}), ("name", {"ratio": 2}),
                          ("reference product", {"ratio": 1}), ("loc", {}),
                          ("kg CO2e / unit", {"justify": "right", "no_wrap": True}),
                          ("DQR", {"justify": "right", "no_wrap": True}), ("proxy", {"no_wrap": True}),
                          ("source", {"no_wrap": True, "overflow": "ellipsis", "max_width": 40})):
            table.add_column(title, overflow=kw.pop("overflow", "fold"), **kw)
    else:
        table.add_column("reference (paste into inputs[]) · name · reference product · location, DQR, proxy",
                         overflow="fold", ratio=1)
        table.add_column("kg CO2e / unit", justify="right", no_wrap=True)
    for h in found.hits:
        m = h.match
        figure = f"{_fmt(h.kg_co2e_per_unit)} / {escape(m.unit)}"
        dqr = f"{m.dqr['dqr']:.2f}" if m.dqr else "—"
        if wide:
            table.add_row(escape(m.reference), escape(m.name), escape(m.reference_product), escape(m.location),
                          figure, dqr, proxy[m.proxy], escape(m.source))
            continue
        lines = [f"[bold]{escape(m.reference)}[/bold]", escape(m.name)]
        if m.reference_product and m.reference_product != m.name:
            lines.append(f"[dim]{escape(m.reference_product)}[/dim]")
        lines.append(f"{escape(m.location) or '—'} · DQR {dqr} · proxy {proxy[m.proxy]}")
        table.add_row("\n".join(lines), figure)
    out.print(table)
    if not wide:
        out.print("[dim]sources and DQR parts: --json[/dim]")


@db_app.command("remove", epilog="Example: pcf db remove pcf-fg-SKU-OLD")
def db_remove(name: str = typer.Argument(..., help="Database name as `pcf db list` shows it.")) -> None:
    """Remove an installed database (`pcf setup` rebuilds the open default)."""
    from pcf.api import remove_database

    entry = remove_database(name)
    out.print(f"removed {entry.database} ({entry.kind}, {entry.activities} activities)")


@db_app.command("import", epilog="Example: pcf db import ../shared/data/uslci/uslci-fy17-json-ld.zip --format jsonld --name uslci-fy17")
def db_import(
    path: Path = typer.Argument(..., help="Zip file or folder (EcoSpold1 / Excel: also a single file)."),
    fmt: str = typer.Option(..., "--format", help="jsonld | ecospold1 | ecospold2 | excel"),
    name: str = typer.Option(..., "--name", help="Database name; a model uses it as study.background."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite an existing database of that name."),
    allocation: str = typer.Option("mass", "--allocation",
                                   help="mass | energy | economic | none: how datasets with several products and no "
                                        "allocation factors of their own are split (JSON-LD, EcoSpold1)."),
    as_json: bool = typer.Option(False, "--json", help="Print the import report as JSON."),
) -> None:
    """Import a background database with bw2io; unlinked exchanges are kept (placeholders / companion biosphere) and reported."""
    import json

    from pcf.api import import_database

    with err.status(f"importing {escape(path.name)} ...") as status:
        report = import_database(path, fmt, name, replace=replace, allocation=allocation,
                                 progress=lambda m: status.update(escape(m)))
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    out.print(f"[bold]{escape(report.name)}[/bold] from {escape(report.source)} ({report.format}): "
              f"{report.processes} datasets read, {report.activities} activities, {report.exchanges} exchanges "
              f"in {report.seconds:.1f} s", highlight=False)
    table = Table(show_header=True, header_style="bold", title=f"unlinked exchanges: {report.unlinked_total}")
    table.add_column("type")
    table.add_column("exchanges", justify="right")
    table.add_column("what pcf did")
    policy = {"biosphere": f"kept in {report.biosphere_database or name + '-biosphere'} (not characterised)",
              "technosphere": "linked to zero-burden placeholder activities (cut-off)",
              "substitution": "linked to zero-burden placeholder activities (cut-off)",
              "production": "linked to the activity itself"}
    for kind, n in sorted(report.unlinked.items()):
        table.add_row(kind, str(n), policy.get(kind, ""))
    out.print(table)
    for f in report.unlinked_flows[:10]:
        where = f.categories or f.location
        out.print(f"  {f.exchanges:>5}  {f.type:<12} {escape(f.name)}  {escape('[' + where + ']')} {escape(f.unit)}", highlight=False)
    if report.linked_gases:
        out.print(f"{len(report.linked_gases)} greenhouse-gas flows linked to biosphere3 by CAS number or designation",
                  highlight=False)
    if report.unlinked_ghg:
        err.print(f"[yellow]warning:[/yellow] {len(report.unlinked_ghg)} unlinked flows look like greenhouse gases "
                  "(not characterised):", highlight=False)
        for f in report.unlinked_ghg:
            err.print(f"  {escape(f.name)} {escape('[' + f.categories + ']')}: {escape(f.reason)}", highlight=False)
    _print_allocations(report)
    out.print(f"sha256 {report.sha256[:12]}; use it with `study.background: {escape(report.name)}`", highlight=False)


def _print_allocations(report) -> None:
    """One line per multi-output dataset: the basis and the factors (``--json`` has them all)."""
    if not report.allocations:
        return
    split = [a for a in report.allocations if a["method"] not in ("none", "single product left")]
    out.print(f"{len(report.allocations)} datasets with several products: {len(split)} allocated, "
              f"{len(report.allocations) - len(split)} not (all burdens on the reference product; "
              f"{len(report.coproducts_cut_off)} outputs cut off)", highlight=False)
    for a in report.allocations:
        factors = ", ".join(f"{escape(p)} {_fmt(f)}" for p, f in a["factors"].items())
        note = f" — {escape(a['note'].strip())}" if a["note"] else ""
        out.print(f"  {escape(a['process'])}: {escape(a['method'])}: {factors}{note}", highlight=False)


@app.command("import-foreground", epilog="Example: pcf import-foreground ../shared/data/premise/lci-batteries-NMC111-811-NCA-LFP.xlsx "
             "--product 'battery cell, NMC811' --out nmc811-cell.yaml")
def import_foreground(
    xlsx: Path = typer.Argument(..., help="Brightway Excel foreground (premise layout), leaf inputs with ecoinvent names."),
    product: str = typer.Option(..., "--product", help="Product activity: its name, reference product or words of it."),
    model_out: Path = typer.Option(..., "--out", help="Model file to write (pcf-model/1); the link report goes next to it "
                                                      "as <name>.links.md and <name>.links.json."),
    product_id: Optional[str] = typer.Option(None, "--product-id", help="product.id of the model (default: from the activity name)."),
    pcr: Optional[str] = typer.Option(None, "--pcr", help="study.pcr of the model (a file in pcr_rules/)."),
    stage: list[str] = typer.Option([], "--stage", help="Override a process's life-cycle stage: ID=STAGE (repeatable)."),
    internal: str = typer.Option("auto", "--internal", help="Workbook activities the link table also links: "
                                                            "auto (link when under 95 % linked by mass) | expand | link."),
    links: Optional[Path] = typer.Option(None, "--links", help="Link table (default databases/ecoinvent-links.csv)."),
) -> None:
    """Import a Brightway Excel foreground into a pcf-model/1 file, linking ecoinvent inputs to the open default."""
    from pcf.api import import_foreground as run_import

    stages = {}
    for item in stage:
        if "=" not in item:
            err.print(f"error: --stage {escape(repr(item))}: write ID=STAGE, e.g. --stage battery_separator=production")
            raise typer.Exit(2)
        key, _, value = item.partition("=")
        stages[key.strip()] = value.strip()
    run = run_import(xlsx, product, model_out, product_id=product_id, pcr=pcr, stages=stages,
                     internal=internal, links=links)
    rep = run.report
    out.print(f"{escape(rep.product)}: linked mass share [bold]{100 * rep.linked_mass_share:.1f} %[/bold] "
              f"(with process water counted: {100 * rep.linked_mass_share_incl_water:.1f} %); unlinked inputs estimated at "
              f"{100 * rep.unlinked_ghg_share:.1f} % of a screening total", highlight=False)
    for kind, path in run.files.items():
        out.print(f"wrote {path}" + ("  (link report)" if kind == "links.md" else ""), highlight=False)



@app.command("template", epilog="Example: pcf template battery-pack --out plant-data.xlsx")
def template(
    kind: str = typer.Argument(..., help="battery-pack | battery-cell | pv-module"),
    workbook_out: Path = typer.Option(..., "--out", help="Workbook to write (.xlsx); must not exist."),
) -> None:
    """Write a plant-data workbook (Chinese and English) to fill in and import with `pcf import-plant`."""
    from pcf.api import template as write

    path = write(kind, workbook_out)
    out.print(f"wrote {escape(str(path))}", highlight=False)


@app.command("import-plant", epilog="Example: pcf import-plant plant-data.xlsx --out my-pack.yaml")
def import_plant(
    xlsx: Path = typer.Argument(..., help="Filled plant-data workbook (from `pcf template`)."),
    model_out: Path = typer.Option(..., "--out", help="Model file to write (pcf-model/1); must not exist."),
) -> None:
    """Turn a filled plant-data workbook into a pcf-model/1 file; every value names its cell."""
    from pcf.api import import_plant as run

    done = run(xlsx, model_out)
    rows = ", ".join(f"{sheet} {n}" for sheet, n in done.rows.items() if n)
    out.print(f"wrote {escape(str(done.out))}: {done.processes} processes, {done.quantities} values from cells "
              f"(rows: {escape(rows)})", highlight=False)

# --------------------------------------------------------------------------- label registry
# Label issuance (docs/registry.md): keys, issue, verify, suspend / reinstate / revoke, renew,
# registry init / add-key / list / check / publish / export.

_REGISTRY_HELP = ("Registry database: an SQLite file or a postgresql:// URL (default: PCF_REGISTRY_URL, else "
                  "PCF_HOME/registry.db).")


def _registry_option():
    return typer.Option(None, "--registry", envvar="PCF_REGISTRY", help=_REGISTRY_HELP)


@app.command(epilog="Example: pcf grade --batch out/batch --peers out/batch --out out/grades  ·  "
                     "pcf grade out/SKU-NMC811-PACK.result.json --peers pcr")
def grade(
    result: Optional[Path] = typer.Argument(None, help="Result JSON (or --batch, with --sku for one SKU, without "
                                                     "for every SKU of the batch)."),
    peers: str = typer.Option(..., "--peers", help="The peer group: a pcf batch --out folder (or its summary.csv / "
                                                   "summary.parquet), a folder of *.result.json files, 'registry' "
                                                   "(its current labels under the result's PCR) or 'pcr' (the "
                                                   "reference value the PCR cites)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder for <id>.grading.json (and grades.csv "
                                                               "for a whole batch); default: print only."),
    batch: Optional[Path] = typer.Option(None, "--batch", help="The --out folder of a `pcf batch`: with --sku that "
                                                               "SKU, without every SKU of its summary."),
    sku: Optional[str] = _sku_option(),
    pcr: Optional[str] = typer.Option(None, "--pcr", help="PCR id or rule file to grade under (default: the "
                                                          "result's PCR; it must be that PCR)."),
    registry: Optional[str] = _registry_option(),
) -> None:
    """Grade a result against its peers: the ratio of its declared figure to the peer group's
    mean or median and the level the PCR's peer_grading gives it (docs/pcr-format.md)."""
    from pcf.api import grade as run

    found = run(result, peers, out_dir=out_dir, batch=batch, sku=sku, pcr=pcr, registry=registry)
    if len(found.grades) == 1:
        print_grade(found.grades[0])
    else:
        print_grades(found.grades)
    for path in found.files.values():
        out.print(f"wrote {escape(str(path))}", highlight=False)


def print_grade(g) -> None:
    """One peer grading: the level line (English, Chinese) and what the group held."""
    en, zh = g.text()
    out.print(f"{escape(g.result.id)}: {escape(en)}", highlight=False, soft_wrap=True)
    out.print(f"  {escape(zh)}", highlight=False, soft_wrap=True)
    ref = g.group.reference
    size = "size not stated" if g.group.size is None else f"{g.group.size} peers"
    out.print(f"  {_fmt(g.result.value)} {g.result.unit} / {ref.statistic} {_fmt(ref.value)} = ratio "
              f"{g.ratio:.4f}; group: {g.group.kind}, {size}, {escape(g.group.source)}", highlight=False, soft_wrap=True)
    if g.reason:
        out.print(f"  {escape(g.reason)}", highlight=False, soft_wrap=True)


def print_grades(grades: list) -> None:
    """Many gradings against one group: how many results fall in each level."""
    first = grades[0]
    ref = first.group.reference
    size = "size not stated" if first.group.size is None else f"{first.group.size} peers"
    out.print(f"{len(grades)} results graded against the {ref.statistic} {_fmt(ref.value)} {ref.unit} "
              f"({first.group.kind}, {size}; PCR {first.pcr_id})", highlight=False, soft_wrap=True)
    table = Table("level", "ratio up to", "results", "lowest ratio", "highest ratio")
    for bound in first.levels:
        ratios = [g.ratio for g in grades if g.level == bound.level]
        table.add_row(str(bound.level), "open" if bound.max_ratio is None else f"{bound.max_ratio:g}", str(len(ratios)),
                      f"{min(ratios):.3f}" if ratios else "", f"{max(ratios):.3f}" if ratios else "")
    out.print(table)
    indicative = sum(1 for g in grades if g.indicative)
    if indicative:
        out.print(f"{indicative} of them indicative (not conforming to the PCR, or not known)", highlight=False)


def _ask_passphrase() -> Optional[typing.Callable[[Path], str]]:
    """A prompt for the passphrase of an encrypted key, when a person is there to answer it (the
    library calls it only when PCF_KEY_PASSPHRASE is not set)."""
    if not sys.stdin.isatty():
        return None
    return lambda key: typer.prompt(f"passphrase of {key}", hide_input=True)


keys_app = Commands(no_args_is_help=True, help="Issuer key pairs (Ed25519) for signing labels.")
app.add_typer(keys_app, name="keys")


def _admission_option():
    return typer.Option(None, "--valid-until", help="End of the key's admission (e.g. 2028-01-01; default: until "
                        "a new key of the holder retires it).")


def _passphrase_file_option():
    return typer.Option(None, "--passphrase-file", help="File whose first line is the key's passphrase "
                        "(else PCF_KEY_PASSPHRASE, else a prompt).")


@keys_app.command("new", epilog="Example: pcf keys new --issuer cb-example --out keys --root-key offline/cb-root.key")
def keys_new(
    issuer: str = typer.Option(..., "--issuer", help="Holder name (issuer, verifier or administrator): letters, "
                               "digits, . _ -"),
    out_dir: Path = typer.Option(..., "--out", help="Folder for NAME.key (mode 0600) and NAME.pub."),
    passphrase: bool = typer.Option(True, "--passphrase/--no-passphrase", help="Encrypt the private key with a "
                                    "passphrase (default; from --passphrase-file, PCF_KEY_PASSPHRASE or a prompt). "
                                    "--no-passphrase writes it unencrypted (warned)."),
    passphrase_file: Optional[Path] = _passphrase_file_option(),
    register: bool = typer.Option(True, "--register/--no-register", help="Admit the public key in the registry "
                                  "(needs --root-key; retires the holder's previous key). --no-register only "
                                  "writes the files (e.g. the root key itself)."),
    role: str = typer.Option("issuer", "--role", help="Role of the key in the registry: admin, verifier or issuer."),
    root_key: Optional[Path] = typer.Option(None, "--root-key", help="The registry's root key file (signs the "
                                            "admission)."),
    valid_until: Optional[str] = _admission_option(),
    registry: Optional[str] = _registry_option(),
) -> None:
    """Create an Ed25519 key pair (encrypted by default) and admit its public key, signed by the root key."""
    from pcf.api import keys_new as run

    if not passphrase:
        err.print("[yellow]warning:[/yellow] the private key is written UNENCRYPTED (--no-passphrase): anyone who "
                  "can read the file can sign with it", highlight=False)
    key, private_path, public_path, record = run(
        issuer, out_dir, None, registry, register, encrypt=passphrase,
        ask=(lambda: typer.prompt("passphrase for the new key", hide_input=True, confirmation_prompt=True))
        if sys.stdin.isatty() else None, role=role,
        root_key_path=root_key, passphrase_file=passphrase_file, ask_key=_ask_passphrase(), valid_until=valid_until)
    out.print(f"wrote {private_path} (private, mode 0600, {'encrypted' if passphrase else 'NOT encrypted'}) and "
              f"{public_path}", highlight=False)
    out.print(f"key id {key.key_id}" + (f", admitted for {issuer} as {record.role}" if record else " (not registered)"),
              highlight=False)


@keys_app.command("list", epilog="Example: pcf keys list")
def keys_list(registry: Optional[str] = _registry_option()) -> None:
    """List the keys in the registry with their roles (current and retired)."""
    from pcf.api import keys_list as run

    keys = run(registry)
    table = Table(show_header=True, header_style="bold")
    for col in ("name", "role", "key id", "added", "retired"):
        table.add_column(col)
    for k in keys:
        table.add_row(escape(k.issuer), k.role, k.key_id, k.added_at, k.retired_at or "—")
    out.print(table)


@app.command(epilog="Example: pcf issue out/SKU-NMC811-PACK.result.json --key keys/cb-example.key --valid-days 730 --out labels"
             "   (a folder: pcf issue out --key keys/cb-example.key --valid-days 730 --out labels --jobs 2)")
def issue(
    result: Optional[Path] = typer.Argument(None, help="Result JSON written by `pcf footprint` (must conform to its "
                                            "PCR), or --batch and --sku; or a folder: a label for each of its "
                                            "*.result.json files, in name order."),
    key: Path = typer.Option(..., "--key", help="The issuer's private key file (from `pcf keys new`)."),
    valid_days: Optional[int] = typer.Option(None, "--valid-days", help="Validity period in days (1-3650); default "
                                             "and maximum: the PCR's label.validity_years."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for NUMBER.declaration.json, .label.svg/.pdf, .statement.pdf."),
    claim: Optional[str] = typer.Option(None, "--claim", help="Label type: footprint (default) or reduction "
                                        "(减碳; needs --baseline-label and --measures). No carbon-neutral labels."),
    baseline_label: Optional[str] = typer.Option(None, "--baseline-label",
                                                 help="Reduction label: the earlier label of the product it is stated against."),
    measures: Optional[Path] = typer.Option(None, "--measures", help="Reduction label: the reduction-measures report (kept by SHA-256)."),
    passphrase_file: Optional[Path] = _passphrase_file_option(),
    supersede: Optional[str] = typer.Option(None, "--supersede", help="The product's current label number, which "
                                            "the new label replaces (it becomes superseded)."),
    self_declared: bool = typer.Option(False, "--self-declared", help="Issue without a verification case: the label "
                                       "and statement say 自我声明 Self-declared, never verified."),
    registry: Optional[str] = _registry_option(),
    batch: Optional[Path] = _batch_option(),
    sku: Optional[str] = _sku_option(),
    jobs: int = typer.Option(1, "--jobs", help="With a folder: processes rendering the labels' PDFs while the next "
                             "labels are issued (one registry write at a time, in order)."),
) -> None:
    """Issue a numbered, signed label for a result that conforms to its PCR and that a verifier signed a
    case for (`pcf verification`), or --self-declared; prints the label number. A product (id + PCR +
    declared unit) has one current label: replace it with --supersede. A folder: every result in it
    (plain footprint labels), one number per line; exit 1 when a result got no label."""
    if result is not None and result.is_dir():
        _issue_folder(result, key, valid_days, out_dir, passphrase_file, self_declared, registry, jobs,
                      claim or baseline_label or measures or supersede or batch or sku)
        return
    from pcf.api import issue_label

    issued = issue_label(result, key, valid_days, out_dir, registry, ask=_ask_passphrase(), claim=claim,
                         baseline_label=baseline_label, measures=measures, passphrase_file=passphrase_file,
                         self_declared=self_declared, supersede=supersede, batch=batch, sku=sku)
    for line in issued.marks:
        err.print(escape(line), highlight=False)
    rec = issued.record
    err.print(f"issued {rec.number}: {escape(rec.product_name)} ({escape(rec.product_id)}), issuer {escape(rec.issuer)}, "
              f"valid {rec.valid_from} until {rec.valid_until}", highlight=False)
    if rec.supersedes:
        err.print(f"{rec.supersedes} is now superseded by {rec.number}", highlight=False)
    for path in issued.files.values():
        err.print(f"wrote {path}", highlight=False)
    print(issued.number)


def _progress_bar(noun: str, *columns, auto_refresh: bool = True):
    """A progress bar on stderr (rich.progress.Progress): ``noun``, the bar, done/total, ``columns``,
    elapsed time and ETA."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn

    return Progress(TextColumn(noun), BarColumn(), MofNCompleteColumn(), *columns, TimeElapsedColumn(),
                    TextColumn("ETA"), TimeRemainingColumn(), console=err.get(), transient=False,
                    auto_refresh=auto_refresh)


def _issue_folder(folder: Path, key: Path, valid_days, out_dir: Path, passphrase_file, self_declared: bool,
                  registry, jobs: int, single_only) -> None:
    """``pcf issue FOLDER``: every result's label (the number on stdout), refusals on stderr, exit 1 if any;
    after Ctrl-C (exit 130) those of the results handled before it."""
    from pcf.api import issue_labels

    if single_only:
        fail(PCFError("--claim, --baseline-label, --measures, --supersede, --batch and --sku name one label: issue "
                      "it from its result file, not from a folder"))
    bar: list = []  # (Progress, task), made at the first label's outcome: after a passphrase prompt, and
    # rich.progress imported while the renderer draws, not before it is forked (pcf.registry.bulk)

    def progress(done: int, total: int) -> None:
        if not bar:
            shown = _progress_bar("labels", auto_refresh=False)  # drawn at each label: no thread drawing it
            shown.start()
            bar.extend((shown, shown.add_task("issue", total=total)))
        bar[0].update(bar[1], completed=done, total=total, refresh=True)

    outcomes: list = []  # filled as the results are handled: an interrupted run tells what it did
    try:
        bulk = issue_labels(folder, key, valid_days, out_dir, registry, ask=_ask_passphrase(),
                            passphrase_file=passphrase_file, self_declared=self_declared, jobs=jobs, progress=progress,
                            outcomes=outcomes)
    finally:
        if bar:
            bar[0].stop()
        for outcome in outcomes:  # issued labels are in the registry, whatever ends the command
            if outcome.issued is not None:
                print(outcome.issued.number)
            if outcome.error is not None:
                say(f"{outcome.result.name}:", "red", outcome.error)
    issued = sum(o.issued is not None for o in bulk.outcomes)
    err.print(f"issued {issued} of {len(bulk.outcomes)} results into {escape(str(out_dir))}", highlight=False)
    if bulk.refused:
        raise typer.Exit(1)


def _print_verification(v, as_json: bool) -> None:
    import json

    if as_json:
        print(json.dumps(v.to_dict(), indent=2, ensure_ascii=False))
        return
    v = v.shown()  # long fields shortened (a 100 MB product name)
    if v.number:
        out.print(f"[bold]{escape(v.number)}[/bold]  {escape(v.product_name or v.product_id or '')}"
                  + (f"  {escape(v.value)}" if v.value else "") + (f"  class {escape(v.cls)}" if v.cls else ""),
                  highlight=False)
    for line in v.marks:
        out.print(f"  {escape(line)}", highlight=False)
    marks = {"ok": "[green]✓[/green]", "fail": "[red]✗[/red]", "unknown": "[yellow]?[/yellow]"}
    for c in v.checks:
        out.print(f"  {marks[c.state]} {c.name:<10} {escape(c.message)}", highlight=False)
    colour = {"valid": "green", "invalid": "red", "unconfirmed": "yellow"}[v.verdict]
    words = {"valid": "VALID: genuine, current and not suspended or revoked",
             "invalid": "NOT VALID",
             "unconfirmed": "UNCONFIRMED: nothing failed, but not everything could be checked offline"}
    out.print(f"[bold {colour}]{words[v.verdict]}[/bold {colour}] ({v.mode}, at {v.at})", highlight=False)


@app.command(epilog="Example: pcf verify PCF-2026-000001-87   (or: pcf verify labels/PCF-2026-000001-87.declaration.json --offline --key keys/cb-example.pub)")
def verify(
    target: str = typer.Argument(..., help="A NUMBER.declaration.json file, a label number, or a QR token (PCFL1|...)."),
    offline: bool = typer.Option(False, "--offline", help="Do not use the registry (status is then unknown)."),
    key: Optional[Path] = typer.Option(None, "--key", help="Offline: the issuer's public key (.pub) to trust."),
    at: Optional[str] = typer.Option(None, "--at", help="Check validity at this time instead of now (e.g. 2027-01-31)."),
    as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON."),
    root_key_id: Optional[str] = typer.Option(None, "--root-key-id", help="The root key id the body published: "
                                              "the registry's root key must be it."),
    registry: Optional[str] = _registry_option(),
) -> None:
    """Verify a label: signature, hash, issuer key, validity dates, signed events, status. Exit 0 only
    when valid (1 not valid, 3 unconfirmed offline, 2 bad input)."""
    from pcf.api import verify_label

    v = verify_label(target, registry, offline, key, at, root_key_id)
    _print_verification(v, as_json)
    raise typer.Exit(v.exit_code)


def _status_command(action: str, number: str, reason: str, key: Path, passphrase_file: Optional[Path],
                    registry: Optional[Path]) -> None:
    from pcf.api import change_label_status

    label = change_label_status(number, action, reason, registry, key, passphrase_file, _ask_passphrase())
    out.print(f"{label.number}: {label.status} ({label.status_at}); reason logged in a signed event", highlight=False)


def _status_key_option():
    return typer.Option(..., "--key", help="Signs the change: an admin key or a key of the label's issuer.")


@app.command(epilog="Example: pcf suspend PCF-2026-000001-87 --key keys/cb-example.key --reason 'audit of the cell supplier pending'")
def suspend(number: str = typer.Argument(..., help="Label number."),
            reason: str = typer.Option(..., "--reason", help="Why (kept in the event log, not published)."),
            key: Path = _status_key_option(), passphrase_file: Optional[Path] = _passphrase_file_option(),
            registry: Optional[str] = _registry_option()) -> None:
    """Suspend a valid label (it does not verify until reinstated)."""
    _status_command("suspend", number, reason, key, passphrase_file, registry)


@app.command(epilog="Example: pcf reinstate PCF-2026-000001-87 --key keys/cb-example.key --reason 'audit closed without findings'")
def reinstate(number: str = typer.Argument(..., help="Label number."),
              reason: str = typer.Option(..., "--reason", help="Why (kept in the event log)."),
              key: Path = _status_key_option(), passphrase_file: Optional[Path] = _passphrase_file_option(),
              registry: Optional[str] = _registry_option()) -> None:
    """Reinstate a suspended label."""
    _status_command("reinstate", number, reason, key, passphrase_file, registry)


@app.command(epilog="Example: pcf revoke PCF-2026-000001-87 --key keys/cb-example.key --reason 'model data found wrong in audit'")
def revoke(number: str = typer.Argument(..., help="Label number."),
           reason: str = typer.Option(..., "--reason", help="Why (kept in the event log and shown on the "
                                      "label's public page: write it for the public)."),
           key: Path = _status_key_option(), passphrase_file: Optional[Path] = _passphrase_file_option(),
           registry: Optional[str] = _registry_option()) -> None:
    """Revoke a label for good: it never verifies again."""
    _status_command("revoke", number, reason, key, passphrase_file, registry)


@app.command(epilog="Example: pcf renew PCF-2026-000001-87 --key keys/cb-example.key --valid-days 730 --reason 'annual review' --out labels")
def renew(
    number: str = typer.Argument(..., help="Label number to renew."),
    key: Path = typer.Option(..., "--key", help="The issuer's current private key."),
    valid_days: Optional[int] = typer.Option(None, "--valid-days", help="Validity of the renewal in days; default "
                                             "and maximum: the PCR's label.validity_years."),
    reason: str = typer.Option(..., "--reason", help="Why (logged)."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for the new label's files."),
    result: Optional[Path] = typer.Option(None, "--result", help="A recomputed result of the same product "
                                          "(default: the old declaration's values)."),
    passphrase_file: Optional[Path] = _passphrase_file_option(),
    justification: Optional[str] = typer.Option(None, "--justification", help="Why the renewal has no newer data "
                                                "(recorded, shown on the label's page and statement); needed unless "
                                                "--result has a later reference period."),
    registry: Optional[str] = _registry_option(),
) -> None:
    """Renew a label: a new number and validity period that supersedes the old label; prints the new number.
    Needs a result with newer data (a later reference period) or --justification."""
    from pcf.api import renew_label

    issued = renew_label(number, key, valid_days, reason, out_dir, result, registry, ask=_ask_passphrase(),
                         passphrase_file=passphrase_file, justification=justification)
    err.print(f"renewed {issued.record.renews} as {issued.number}, valid {issued.record.valid_from} until "
              f"{issued.record.valid_until}", highlight=False)
    for path in issued.files.values():
        err.print(f"wrote {path}", highlight=False)
    print(issued.number)


verification_app = Commands(no_args_is_help=True, help="Verification cases: a verifier checks a result "
                            "(ISO 14064-3) before a label is issued for it.")
app.add_typer(verification_app, name="verification")


def _print_case(view, items: bool = True) -> None:
    c = view.case
    out.print(f"[bold]{c.number}[/bold]  {escape(c.product_name)} ({escape(c.product_id)})  PCR {escape(c.pcr)}",
              highlight=False)
    out.print(f"  result sha256 {c.result_sha256}  verifier {escape(c.verifier)}  opened {c.opened_at}", highlight=False)
    if c.status == "signed":
        out.print(f"  [green]signed[/green] {c.signed_at} by key {c.key_id}, opinion {c.opinion} assurance",
                  highlight=False)
    else:
        out.print(f"  open: {len(view.unrecorded)} unrecorded, {_findings(len(view.open_findings))}",
                  highlight=False)
    if not items:
        return
    marks = {None: "[yellow]·[/yellow]", "ok": "[green]✓[/green]", "finding": "[red]![/red]"}
    for i in view.items:
        out.print(f"{marks[i['status']]} [bold]{escape(i['id'])}[/bold]  {escape(i['zh'])} {escape(i['en'])} "
                  f"({escape(i['clause'] or '')})", highlight=False, soft_wrap=True)
        if i["pcf"]:
            out.print(f"    pcf: {escape(i['pcf'])}", highlight=False, soft_wrap=True)
        if i["status"]:
            out.print(f"    {i['status']}: {escape(i['note'] or '')}"
                      + (f" (evidence {escape(i['evidence_name'] or '')} sha256 {i['evidence_sha256']})"
                         if i["evidence_sha256"] else ""), highlight=False, soft_wrap=True)


@verification_app.command("open", epilog="Example: pcf verification open out/SKU-NMC811-PACK.result.json --verifier vb-alice --key vkeys/vb-alice.key   (prints VC-000001)")
def verification_open(
    result: Path = typer.Argument(..., help="Result JSON written by `pcf footprint` (must conform to its PCR)."),
    verifier: str = typer.Option(..., "--verifier", help="The verifier: the name their verifier key is registered under."),
    key: Path = typer.Option(..., "--key", help="Signs the opening: the verifier's own key, or an admin key assigning "
                             "the case."),
    passphrase_file: Optional[Path] = _passphrase_file_option(),
    registry: Optional[str] = _registry_option(),
) -> None:
    """Open a verification case for a result (by its SHA-256); prints the case number."""
    from pcf.api import verification_open as run

    view = run(result, verifier, key, registry, passphrase_file, ask=_ask_passphrase())
    err.print(f"opened {view.case.number} for {escape(view.case.product_id)} (result sha256 "
              f"{view.case.result_sha256[:16]}...), {len(view.items)} items; verifier {escape(verifier)}",
              highlight=False)
    print(view.case.number)


@verification_app.command("checklist", epilog="Example: pcf verification checklist VC-000001")
def verification_checklist(
    case: str = typer.Argument(..., help="Case number (VC-000001)."),
    as_json: bool = typer.Option(False, "--json", help="Print the case and items as JSON."),
    todo: bool = typer.Option(False, "--todo", help="Print only the ids of the items still to record (unrecorded "
                              "or with an open finding), one per line."),
    registry: Optional[str] = _registry_option(),
) -> None:
    """List a case's items (the PCR's declaration and report items, ISO 14064-3 / ISO 14067 points) and
    their latest records."""
    import dataclasses
    import json

    from pcf.api import verification_checklist as run

    view = run(case, registry)
    if todo:
        for i in view.items:
            if i["status"] != "ok":
                print(i["id"])
        return
    if as_json:
        c = {k: v for k, v in dataclasses.asdict(view.case).items() if k not in ("checklist", "document")}
        print(json.dumps({"case": c, "items": view.items}, indent=2, ensure_ascii=False))
        return
    _print_case(view)


@verification_app.command("record", epilog="Example: pcf verification record VC-000001 iso14064-3.5.4.2 --status ok --note 'BOM traced to ERP' --evidence bom.pdf --key vkeys/vb-alice.key")
def verification_record(
    case: str = typer.Argument(..., help="Case number."),
    item: str = typer.Argument(..., help="Item id (see `pcf verification checklist`)."),
    status: str = typer.Option(..., "--status", help="ok | finding (a finding is closed by recording the item "
                               "again as ok)."),
    note: str = typer.Option(..., "--note", help="What was checked, against which evidence."),
    evidence: Optional[Path] = typer.Option(None, "--evidence", help="An evidence file, kept in the registry by "
                                            "its SHA-256."),
    key: Path = typer.Option(..., "--key", help="The case's verifier's private key (signs the record)."),
    passphrase_file: Optional[Path] = _passphrase_file_option(),
    registry: Optional[str] = _registry_option(),
) -> None:
    """Record one checklist item of an open case (signed by the case's verifier)."""
    from pcf.api import verification_record as run

    view = run(case, item, status, note, key, evidence, registry, passphrase_file, ask=_ask_passphrase())
    r = view.records[-1]
    out.print(f"{view.case.number} {escape(r.item)}: {r.status}"
              + (f", evidence {escape(r.evidence_name or '')} sha256 {r.evidence_sha256}" if r.evidence_sha256 else "")
              + f"; {len(view.unrecorded)} unrecorded, {_findings(len(view.open_findings))}", highlight=False)


@verification_app.command("sign", epilog="Example: pcf verification sign VC-000001 --key keys/vb-alice.key --opinion reasonable")
def verification_sign(
    case: str = typer.Argument(..., help="Case number."),
    key: Path = typer.Option(..., "--key", help="The verifier's private key (registered under the case's verifier)."),
    opinion: str = typer.Option(..., "--opinion", help="reasonable | limited (level of assurance)."),
    passphrase_file: Optional[Path] = _passphrase_file_option(),
    registry: Optional[str] = _registry_option(),
) -> None:
    """Sign and close a case: refused while an item is unrecorded or a finding is open."""
    from pcf.api import verification_sign as run

    view = run(case, key, opinion, registry, passphrase_file, ask=_ask_passphrase())
    _print_case(view, items=False)


registry_app = Commands(no_args_is_help=True, help="The label registry: settings, keys, list, check, publish.")
app.add_typer(registry_app, name="registry")


@registry_app.command("init", epilog="Example: pcf registry init --root-key offline/cb-root.key --prefix CBX --url https://labels.example.org/pcf")
def registry_init(
    root_key: Optional[Path] = typer.Option(None, "--root-key", help="The body's root key file (make it with "
                                            "`pcf keys new --no-register`, keep it offline); required the first time."),
    prefix: Optional[str] = typer.Option(None, "--prefix", help="Label-number prefix, 2-8 capitals/digits (default PCF)."),
    url: Optional[str] = typer.Option(None, "--url", help="Base URL of the published site; QR codes then hold "
                                      "URL/NUMBER.html (default: a signed token). A postgresql:// URL instead "
                                      "names the registry's database (docs/registry.md)."),
    key: Optional[Path] = typer.Option(None, "--key", help="An admin key to sign a settings change with (instead "
                                       "of the root key)."),
    passphrase_file: Optional[Path] = _passphrase_file_option(),
    registry: Optional[str] = _registry_option(),
) -> None:
    """Create the registry with the body's root key (once) and set its label-number prefix and public URL."""
    from pcf.api import registry_init as run

    current = run(prefix, url, registry, root_key, key, passphrase_file, _ask_passphrase())
    out.print(f"registry ready: root key {current['root_key_id']}, prefix {current['prefix']}, "
              f"url {current['url'] or '(none: QR codes hold tokens)'}", highlight=False)


@registry_app.command("add-key", epilog="Example: pcf registry add-key cb-example.pub --issuer cb-example --role issuer --root-key offline/cb-root.key")
def registry_add_key(
    public_key: Path = typer.Argument(..., help="The public key file (.pub, Ed25519 PEM)."),
    issuer: str = typer.Option(..., "--issuer", help="Holder name (issuer, verifier or administrator)."),
    role: str = typer.Option("issuer", "--role", help="Role of the key: admin, verifier or issuer."),
    root_key: Optional[Path] = typer.Option(None, "--root-key", help="The registry's root key file (signs the "
                                            "admission)."),
    valid_until: Optional[str] = _admission_option(),
    passphrase_file: Optional[Path] = _passphrase_file_option(),
    registry: Optional[str] = _registry_option(),
) -> None:
    """Admit a public key made elsewhere, with its role, signed by the root key (retires the holder's previous key)."""
    from pcf.api import registry_add_key as run

    record = run(public_key, issuer, registry, role, root_key, passphrase_file, _ask_passphrase(), valid_until)
    out.print(f"key {record.key_id} admitted for {record.issuer} as {record.role}", highlight=False)


@registry_app.command("list", epilog="Example: pcf registry list --json")
def registry_list(as_json: bool = typer.Option(False, "--json", help="Print JSON."),
                  registry: Optional[str] = _registry_option()) -> None:
    """List the labels: number, product, validity, status."""
    import json

    from pcf.api import registry_list as run

    labels = run(registry)
    fields = ("number", "product_id", "product_name", "issuer", "valid_from", "valid_until", "status",
              "status_at", "renews", "renewed_by")
    if as_json:
        print(json.dumps([{f: getattr(r, f) for f in fields} for r in labels], indent=2, ensure_ascii=False))
        return
    table = Table(show_header=True, header_style="bold")
    table.add_column("number", no_wrap=True)
    table.add_column("product", overflow="fold")
    table.add_column("issuer", overflow="fold")
    table.add_column("valid until", no_wrap=True)
    table.add_column("status", overflow="fold")
    for r in labels:
        table.add_row(r.number, escape(r.product_id), escape(r.issuer), r.valid_until[:10],
                      r.status + (f" → {r.renewed_by}" if r.renewed_by else ""))
    out.print(table)


@registry_app.command("check", epilog="Example: pcf registry check --root-key-id 3162c4780366c84bb9926e9dd486dcaa")
def registry_check(root_key_id: Optional[str] = typer.Option(None, "--root-key-id", help="The root key id the body "
                                                             "published: the registry's root key must be it."),
                   known_head: Optional[str] = typer.Option(None, "--known-head", help="A chain head printed or "
                                                            "published earlier, or a signed head file (`pcf registry "
                                                            "head`): the log must still hold it."),
                   registry: Optional[str] = _registry_option()) -> None:
    """Verify the whole registry: database, hash chain, every event's signature, every label against the
    signed events; exit 1 on a problem."""
    from pcf.api import registry_check as run

    report = run(registry, root_key_id, known_head)
    for problem in report.problems:
        out.print(f"[red]✗[/red] {escape(problem)}", highlight=False)
    out.print(f"{report.events} events, {report.labels} labels, {report.keys} keys; root key "
              f"{report.root_key_id or '(none)'}; chain head {report.head}", highlight=False)
    if not report.ok:
        out.print(f"[bold red]registry check FAILED: {len(report.problems)} problems[/bold red]")
        raise typer.Exit(1)
    out.print("[bold green]registry check passed[/bold green]")


@registry_app.command("migrate", epilog="Example: pcf registry migrate --to postgresql://pcf@db.example.org/labels "
                      "--registry registry.db")
def registry_migrate(to: str = typer.Option(..., "--to", help="The empty PostgreSQL database (postgresql:// URL)."),
                     registry: Optional[str] = _registry_option()) -> None:
    """Copy an SQLite registry (all tables, the event log verbatim) into an empty PostgreSQL database, all or
    nothing, and check the log on both sides."""
    from pcf.api import registry_migrate as run

    done = run(to, registry)
    copied = ", ".join(f"{table} {n}" for table, n in done.rows.items() if n)
    out.print(f"copied: {copied}", highlight=False)
    out.print(f"source and target checked: {done.target.events} events, {done.target.labels} labels, "
              f"{done.target.keys} keys; chain head {done.target.head}", highlight=False)
    out.print("[bold green]registry migrated[/bold green]")


@registry_app.command("head", epilog="Example: pcf registry head --key keys/admin.key --out head-2026-05-01.json")
def registry_head(key: Path = typer.Option(..., "--key", help="The root key or an admin key."),
                  out_file: Optional[Path] = typer.Option(None, "--out", help="Write the signed head to this file "
                                                          "(default: print it)."),
                  passphrase_file: Optional[Path] = _passphrase_file_option(),
                  registry: Optional[str] = _registry_option()) -> None:
    """Sign the event log's current head, for partners and archives to keep (check it later with
    `pcf registry check --known-head FILE`)."""
    import json

    from pcf.api import registry_head as run

    head = run(key, out_file, registry, passphrase_file, _ask_passphrase())
    if out_file is None:
        print(json.dumps(head, indent=2))
    else:
        out.print(f"wrote {out_file}: head of event {head['seq']} {head['head']}", highlight=False)


@registry_app.command("publish", epilog="Example: pcf registry publish site")
def registry_publish(out_dir: Path = typer.Argument(..., help="Site folder (static files, no server needed)."),
                     registry: Optional[str] = _registry_option()) -> None:
    """Write the public verification site: a page per label and an index (no private data)."""
    from pcf.api import registry_publish as run

    files = run(out_dir, registry)
    out.print(f"wrote {len(files)} files in {out_dir} (open {out_dir / 'index.html'})", highlight=False)


@registry_app.command("export", epilog="Example: pcf registry export PCF-2026-000001-87 --out labels")
def registry_export(number: str = typer.Argument(..., help="Label number."),
                    out_dir: Path = typer.Option(..., "--out", help="Output folder."),
                    registry: Optional[str] = _registry_option()) -> None:
    """Write an issued label's files again (declaration, label, statement) from the registry."""
    from pcf.api import registry_export as run

    files = run(number, out_dir, registry)
    for path in files.values():
        out.print(f"wrote {path}", highlight=False)


@app.command(epilog="Example: pcf version")
def version() -> None:
    """Print the pcf version."""
    from pcf.api import version as run

    out.print(run())


def main() -> None:
    """Console-script entry point. Every command runs through :func:`guarded`; an exception
    raised outside a command (in click or Typer themselves) is an internal error here too."""
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - never a traceback (issue 19 part 4)
        sys.exit(internal_error(exc))
    finally:
        # what is alive now lives until the process ends: Python's last garbage collection at
        # exit would walk all of it (every module's objects, 50-60 ms after a batch) to free
        # nothing the system does not free anyway. Frozen objects are left out of it.
        gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
