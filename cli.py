"""pcf command line: a thin layer over the library (DESIGN.md). Exit status: 0 success,
1 a PCR nonconformity (``pcf check``), 2 invalid input or any other pcf error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pcf import __version__
from pcf.errors import PCFError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="pcf — product carbon footprints (ISO 14067 / GB/T 24067), PCR checks and carbon labels.")
out = Console()
err = Console(stderr=True)

STAGE_LABELS = {
    "raw_material_acquisition": "Raw material acquisition",
    "production": "Production",
    "distribution": "Distribution",
    "use": "Use",
    "end_of_life": "End of life",
}


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "—"
    return f"{x:.{digits}g}" if abs(x) < 1e5 else f"{x:,.0f}"


def print_summary(result: dict) -> None:
    """Short summary table of a result dict."""
    product = result["product"]
    du = product.get("declared_unit")
    total = result["total_kg_co2e"]
    ref = product["reference_flow"]
    out.print(f"[bold]{product['name']}[/bold] ({product['id']})  ·  {result['method']}  ·  background {result['background']}")
    table = Table(show_header=True, header_style="bold")
    table.add_column("")
    table.add_column(f"kg CO2e / {_fmt(ref['amount'])} {ref['unit']}", justify="right")
    if du:
        table.add_column(f"kg CO2e / {du['unit']}", justify="right")
    table.add_column("share", justify="right")
    per = du["per_reference_flow"] if du else None

    def row(name, value, bold=False):
        cells = [name, _fmt(value)]
        if du:
            cells.append(_fmt(value / per))
        cells.append(f"{100 * value / total:.1f} %" if total else "—")
        table.add_row(*[f"[bold]{c}[/bold]" for c in cells] if bold else cells)

    for stage, value in result["stages"].items():
        row(STAGE_LABELS.get(stage, stage), value)
    row("Total", total, bold=True)
    out.print(table)
    g = result["ghg"]
    out.print(escape("ISO 14067 split [kg CO2e]: ") + ", ".join(
        f"{k.replace('_', ' ')} {_fmt(g[k])}" for k in ("fossil", "biogenic_emissions", "biogenic_removals", "dluc", "aircraft")))
    top = [c for c in result["contributions"] if c.get("kind") != "other"][:5]
    if top:
        out.print("Top contributions: " + "; ".join(
            f"{c.get('background') or c.get('process')} ({c['stage']}) {100 * c['share']:.1f} %" for c in top))
    a = result.get("assessment")
    if a:
        pc = a.get("performance_class")
        verdict = "[green]conforms[/green]" if a["conforms"] else "[red]does not conform[/red]"
        cls = f", performance class [bold]{pc['class']}[/bold]{' (illustrative thresholds)' if pc.get('illustrative') else ''}" if pc else ""
        out.print(f"PCR {a['pcr']['id']}: {verdict}{cls}")


def _fail(exc: PCFError) -> None:
    err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(2)


@app.command(epilog="Example: pcf setup")
def setup(force: bool = typer.Option(False, "--force", help="Rebuild every part.")) -> None:
    """Build the background (biosphere3, IPCC 2021/2013 GWP100, open default) under PCF_HOME. Idempotent."""
    from pcf.background import setup as build
    from pcf.bw import pcf_home

    try:
        done = build(force=force, report=lambda m: err.print(m))
    except PCFError as exc:
        _fail(exc)
    for step, state in done.items():
        out.print(f"{step}: {state}")
    out.print(f"background ready in {pcf_home()}")


@app.command(epilog="Example: pcf footprint examples/battery/nmc811-pack.yaml --out out --label --report")
def footprint(
    model: Path = typer.Argument(..., help="Product model file (pcf-model/1 YAML)."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for <product id>.result.json (and PDFs)."),
    label: bool = typer.Option(False, "--label", help="Also render the graded label (SVG + PDF)."),
    report: bool = typer.Option(False, "--report", help="Also render the CFP study report (PDF)."),
    method: Optional[str] = typer.Option(None, "--method", help="Override study.method (ipcc-2021-gwp100 | ipcc-2013-gwp100)."),
) -> None:
    """Compute the carbon footprint of a product model and write its result JSON."""
    from pcf.api import run_footprint

    try:
        run = run_footprint(model, out_dir, label=label, report=report, method=method)
    except PCFError as exc:
        _fail(exc)
    print_summary(run.result)
    for path in run.files.values():
        out.print(f"wrote {path}")


@app.command(epilog="Example: pcf check examples/pv/mono-si-module-cn.yaml --pcr pv-module")
def check(
    model: Path = typer.Argument(..., help="Product model file (pcf-model/1 YAML)."),
    pcr: Optional[str] = typer.Option(None, "--pcr", help="PCR id (a file in pcr_rules/); default: study.pcr."),
) -> None:
    """Check a product model against its PCR; exit 1 on any nonconformity."""
    from pcf.api import compute

    try:
        result = compute(model, pcr_id=pcr)
    except PCFError as exc:
        _fail(exc)
    a = result.get("assessment")
    if a is None:
        err.print("error: no PCR: pass --pcr ID or set study.pcr in the model")
        raise typer.Exit(2)
    out.print(f"[bold]PCR {escape(a['pcr']['id'])}[/bold] v{escape(str(a['pcr'].get('version', '?')))}: "
              f"{len(a['findings'])} findings")
    for f in a["findings"]:
        style = "red" if f["severity"] == "nonconformity" else "yellow"
        out.print(f"\n[{style}]● {f['severity']}[/{style}]  [bold]{escape(f['rule'])}[/bold]  ({escape(f.get('clause') or '')})")
        out.print(f"  {escape(f['message'])}", highlight=False)
        if f.get("fix"):
            out.print(f"  → {escape(f['fix'])}", highlight=False)
    out.print()
    print_summary(result)
    if not a["conforms"]:
        raise typer.Exit(1)


@app.command(epilog="Example: pcf label out/SKU-NMC811-PACK.result.json --out out")
def label(
    result: Path = typer.Argument(..., help="Result JSON written by `pcf footprint`."),
    out_dir: Path = typer.Option(..., "--out", help="Output folder."),
) -> None:
    """Render the graded carbon label (SVG and PDF) of a result."""
    from pcf.api import render_outputs

    try:
        files = render_outputs(result, out_dir, "label")
    except PCFError as exc:
        _fail(exc)
    for path in files.values():
        out.print(f"wrote {path}")


@app.command(epilog="Example: pcf report out/SKU-NMC811-PACK.result.json --out out")
def report(
    result: Path = typer.Argument(..., help="Result JSON written by `pcf footprint`."),
    out_dir: Path = typer.Option(..., "--out", help="Output folder."),
) -> None:
    """Render the CFP study report with its verification statement (PDF) of a result."""
    from pcf.api import render_outputs

    try:
        files = render_outputs(result, out_dir, "report")
    except PCFError as exc:
        _fail(exc)
    for path in files.values():
        out.print(f"wrote {path}")


db_app = typer.Typer(no_args_is_help=True, help="Installed background databases.")
app.add_typer(db_app, name="db")


@db_app.command("list", epilog="Example: pcf db list --json")
def db_list(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the installed databases: name, kind, activities, source, version, content hash."""
    import json

    from pcf.background import list_databases

    try:
        entries = list_databases()
    except PCFError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    table = Table(show_header=True, header_style="bold")
    table.add_column("name", overflow="fold", ratio=1)
    table.add_column("kind", no_wrap=True)
    table.add_column("activities", justify="right", no_wrap=True)
    table.add_column("sha256", no_wrap=True)
    table.add_column("source", overflow="fold", ratio=1)
    for e in entries:
        table.add_row(escape(e.name), e.kind, str(e.activities), e.sha256[:12], escape(e.source))
    out.print(table)


@db_app.command("remove", epilog="Example: pcf db remove pcf-fg-SKU-OLD")
def db_remove(name: str = typer.Argument(..., help="Database name as `pcf db list` shows it.")) -> None:
    """Remove an installed database (`pcf setup` rebuilds the open default)."""
    from pcf.background import remove_database

    try:
        entry = remove_database(name)
    except PCFError as exc:
        _fail(exc)
    out.print(f"removed {entry.database} ({entry.kind}, {entry.activities} activities)")


@app.command(epilog="Example: pcf version")
def version() -> None:
    """Print the pcf version."""
    out.print(__version__)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    sys.exit(main())
