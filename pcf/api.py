"""One library function per command line verb (the CLI only parses, calls and prints)."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .core.errors import PCFError
from .core.numbers import amount, figure, percent, plain_text, rounded_parts  # noqa: F401  the one number policy, for the CLI
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the calculation stack (Brightway) is imported by the functions that need it,
    # so `pcf version`, `pcf --help` and the registry commands start in a fraction of a second
    from .declaration import Declaration
    from .model import ProductSystem


@dataclass
class FootprintRun:
    """What :func:`run_footprint` produced.

    Attributes
    ----------
    declaration : Declaration
        The result with its assessment (:func:`pcf.declaration.build_declaration`).
    files : dict of str to Path
        Kind (``result``, ``label.svg``, ``label.pdf``, ``report``) -> file written.
    notes : list of str
        With the user's Brightway project: what the user should know (method flows the project
        lacks, methods installed).
    """

    declaration: Declaration
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def use_brightway_project(brightway_dir: str | Path | None, project: str | None,
                          install_methods: bool = False) -> list[str]:
    """Compute against the user's own Brightway project for the rest of this process, read
    without writing to it (:func:`pcf.background.userproject.use_project`); nothing when both
    are None (pcf's own project under ``PCF_HOME``).

    Parameters
    ----------
    brightway_dir : str or Path, optional
        The user's Brightway data folder (``BRIGHTWAY2_DIR``).
    project : str, optional
        Project name in it; needed with ``brightway_dir`` and only with it.
    install_methods : bool
        Also write pcf's methods into that project (the one write pcf makes there).

    Returns
    -------
    list of str
        Notes for the user (empty in pcf's own project).

    Raises
    ------
    BackgroundError
        Only one of ``brightway_dir`` and ``project`` given; ``install_methods`` without them; as
        :func:`pcf.background.userproject.use_project` (folder or project missing, not a
        Brightway folder, a database needing processing, bw2data already imported).
    """
    from .core.errors import BackgroundError

    if brightway_dir is None and project is None:
        if install_methods:
            raise BackgroundError("installing pcf's methods needs the Brightway project to install them in "
                                  "(its data folder and name)").about("install_methods")
        return []
    if brightway_dir is None or project is None:
        missing = "brightway_dir" if brightway_dir is None else "project"
        raise BackgroundError("a Brightway project is named by its data folder (BRIGHTWAY2_DIR) and its project "
                              f"name: give the {'folder' if missing == 'brightway_dir' else 'project name'} too"
                              ).about(missing)
    from .background.userproject import use_project

    return list(use_project(brightway_dir, project, install_methods).notes)


def compute(model_path: str | Path, pcr_id: str | None = None, method: str | None = None,
            overrides: dict[str, float] | None = None, electricity_mode: str | None = None,
            scenario: str | None = None,
            monte_carlo: int | None = None, seed: int | None = None,
            default_uncertainty: bool = True) -> Declaration:
    """Load a model, compute its footprint and assess it against its PCR. Writes no file.

    Parameters
    ----------
    model_path : str or Path
        ``pcf-model/1`` file.
    pcr_id : str, optional
        PCR to assess against; default the model's ``study.pcr``.
    method : str, optional
        Method id replacing the model's ``study.method`` (e.g. ``ipcc-2013-gwp100``).
    overrides : dict, optional
        Parameter values replacing the model's (and the scenario's).
    electricity_mode : str, optional
        Mode of the PCR's electricity rules (:func:`pcf.pcr.assess.resolve_pcr`).
    scenario : str, optional
        A scenario of the model's ``scenarios:``; None or ``base`` for the model as written.
    monte_carlo : int, optional
        Monte Carlo iterations; fills the result's ``uncertainty`` (:func:`pcf.lca.uncertainty.monte_carlo`).
    seed : int, optional
        Seed of the Monte Carlo generator [0 .. 2^32 - 1]; a fresh one (reported) when None.
    default_uncertainty : bool
        With ``monte_carlo``: sample the amounts without ``uncertainty:`` with a default
        lognormal from their data quality (default; result ``uncertainty.defaults``). False
        holds them fixed, as pcf did before issue 14.

    Returns
    -------
    Declaration
        The result, its accounting rule and its ``assessment`` when a PCR applies; the
        result's ``scenario`` names the scenario, ``uncertainty`` is filled when
        ``monte_carlo`` is given.

    Raises
    ------
    PCFError
        Any invalid input (``ModelError`` with ``file:line``), missing background,
        calculation failure.
    """
    from .model import load_model

    return _compute(load_model(model_path, overrides=overrides, scenario=scenario), pcr_id, method, electricity_mode,
                    monte_carlo, seed, default_uncertainty)


def _compute(system: ProductSystem, pcr_id: str | None, method: str | None,
             electricity_mode: str | None = None, monte_carlo: int | None = None,
             seed: int | None = None, default_uncertainty: bool = True) -> Declaration:
    """Footprint and PCR assessment of a loaded product system (see :func:`compute`)."""
    from .declaration import build_declaration
    from .lca import footprint
    from .pcr.assess import resolve_pcr

    if method:
        system.model.study.method = method
    model_pcr = system.model.study.pcr
    if pcr_id and pcr_id != model_pcr:
        system.model.study.pcr = pcr_id  # the result and its outputs name the PCR it was assessed against
    pcr_id = pcr_id or model_pcr
    pcr = resolve_pcr(pcr_id, electricity_mode)
    findings = _lint_findings(system, pcr)  # an error-level finding refuses the model (ModelError)
    result = footprint(system)
    result = dataclasses.replace(result, lint=_lint_records(findings))
    if monte_carlo is not None:
        from .lca.uncertainty import monte_carlo as sample

        drawn = sample(system, monte_carlo, seed, deterministic=result.total_kg_co2e, defaults=default_uncertainty)
        result = dataclasses.replace(result, uncertainty=drawn.to_record())
    declaration = build_declaration(result, pcr, electricity_mode)
    if pcr_id != model_pcr:
        study = dataclasses.replace(declaration.result.study, model_pcr=model_pcr)
        declaration = declaration.replace(result=dataclasses.replace(declaration.result, study=study))
    return declaration


def recompute(declaration_path: str | Path, model_path: str | Path):
    """``pcf recompute``: compute a declaration's model again and compare (docs/recompute.md).

    Parameters
    ----------
    declaration_path : str or Path
        A ``pcf-result/1`` file (``pcf footprint`` / ``pcf batch``), or an issued label
        document (``pcf-signed-declaration/1``, ``<number>.declaration.json``; its hash and
        signature are checked against the key it names).
    model_path : str or Path
        The ``pcf-model/1`` file the declaration says it was computed from.

    Returns
    -------
    pcf.declaration.recompute.Recomputation
        ``lines()`` to print, ``exit_code`` 0 (same declared value, same inputs) or 1
        (anything differs: :func:`pcf.declaration.recompute.compare_recomputed`).

    Raises
    ------
    SourceError
        The declaration file is missing, not JSON, not a result or label document, or a label
        document whose hash or signature does not check; the model file is missing.
    PCFError
        Everything :func:`compute` raises for the model (``ModelError`` with ``file:line``, a
        background or method that is not installed, an unknown PCR).
    """
    from .core.errors import SourceError
    from .declaration.recompute import compare_recomputed, recompute_options

    recorded, notes = _recorded_declaration(Path(declaration_path))
    model = Path(model_path)
    if not model.is_file():
        raise SourceError(model, None, "model file not found: give the pcf-model/1 file the declaration was "
                                       "computed from").about("model")
    options = recompute_options(recorded)
    recomputed = compute(model, pcr_id=options.pcr_id, method=options.method, overrides=options.overrides,
                         electricity_mode=options.electricity_mode, scenario=options.scenario)
    return compare_recomputed(recorded, recomputed, notes + options.notes)


def _recorded_declaration(path: Path) -> tuple[Declaration, tuple[str, ...]]:
    """A result file read with :func:`pcf.declaration.read_declaration`, or an issued label
    document as the declaration it states (with a note of what it does not record)."""
    import json

    from .core.errors import SourceError
    from .declaration import read_declaration

    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (ValueError, OSError, RecursionError):
        data = None  # read_declaration names the fault
    from .registry.declaration import SIGNED_FORMAT

    if not (isinstance(data, dict) and data.get("format") == SIGNED_FORMAT):
        return read_declaration(path), ()
    from .registry.declaration import hash_matches, label_declaration, parse_document, signature_valid
    from .registry.errors import RegistryError

    try:
        document = parse_document(path.read_bytes(), str(path))
        intact = hash_matches(document) and signature_valid(document)
    except (RegistryError, ValueError) as exc:
        raise SourceError(path, None, f"not a valid label document: {str(exc).removeprefix(f'{path}: ')}") from None
    if not intact:
        raise SourceError(path, None, "the label document's hash or signature does not check: it was changed "
                                      "after issue; check it with `pcf verify`")
    return label_declaration(document["declaration"]), (
        "an issued label document records no scenario, parameter values or electricity mode: the model is "
        "computed as written, under the PCR and method the label states",)


def _lint_findings(system: ProductSystem, pcr) -> list:
    """Model lint of ``system`` (:func:`pcf.pcr.lint.lint_system`), errors first.

    Raises
    ------
    ModelError
        An error-level finding (:func:`pcf.model.lint.raise_errors`).
    """
    from .model.lint import raise_errors
    from .pcr.lint import lint_system

    findings = lint_system(system, pcr)
    raise_errors(findings)
    return findings


def _lint_records(findings: list) -> tuple:
    """Lint findings as the result's records (:func:`pcf.pcr.lint.lint_records`)."""
    from .pcr.lint import lint_records

    return lint_records(findings)


@dataclass
class LintRun:
    """What :func:`lint` found.

    Attributes
    ----------
    findings : list of pcf.model.lint.LintFinding
        Errors first, then warnings, then infos.
    pcr : str or None
        The PCR whose required stages were checked.
    exit_code : int
        0 without error-level findings (with ``strict``: without errors or warnings), else 1.
    """

    findings: list
    pcr: str | None
    exit_code: int


def lint(model_path: str | Path, pcr_id: str | None = None, scenario: str | None = None,
         strict: bool = False) -> LintRun:
    """``pcf lint``: model lint (:mod:`pcf.model.lint`, :mod:`pcf.pcr.lint`) without computing
    anything or opening the background. Writes no file.

    Parameters
    ----------
    model_path : str or Path
        ``pcf-model/1`` file.
    pcr_id : str, optional
        PCR whose required stages are checked; default the model's ``study.pcr``.
    scenario : str, optional
        A scenario of the model's ``scenarios:`` to lint instead of the model as written.
    strict : bool
        Warnings count like errors for the exit code.

    Returns
    -------
    LintRun

    Raises
    ------
    ModelError
        The model does not load (``file:line``); error-level findings are returned, not raised.
    PCRError
        Unknown PCR id or invalid PCR file.
    """
    from .model import load_model
    from .pcr.assess import resolve_pcr
    from .pcr.lint import lint_system

    system = load_model(model_path, scenario=scenario)
    pcr = resolve_pcr(pcr_id or system.model.study.pcr)
    findings = lint_system(system, pcr)
    failing = ("error", "warning") if strict else ("error",)
    return LintRun(findings, pcr.id if pcr is not None else None,
                   1 if any(f.severity in failing for f in findings) else 0)


def run_footprint(model_path: str | Path, out_dir: str | Path, label: bool = False, report: bool = False,
                  method: str | None = None, electricity_mode: str | None = None,
                  scenario: str | None = None,
                  monte_carlo: int | None = None, seed: int | None = None,
                  pcr_id: str | None = None, default_uncertainty: bool = True,
                  brightway_dir: str | Path | None = None, project: str | None = None,
                  install_methods: bool = False) -> FootprintRun:
    """``pcf footprint``: compute, then write the result JSON (and label / report) atomically.

    With ``brightway_dir`` and ``project`` the footprint is computed against that Brightway
    project, which is read and never written (:func:`use_brightway_project`; ``install_methods``
    writes pcf's methods into it); the model's ``study.background`` and ``database:`` inputs then
    name its databases.

    ``pcr_id`` assesses the result against another PCR than the model's ``study.pcr`` (e.g.
    a China label under ``gbt-24067-generic`` for a pack whose model names the EU battery
    rules); the result's ``study.pcr`` then names the PCR used and
    ``study.model_pcr`` the model's own.

    Files are named ``<product id>.result.json`` (``.label.svg``, ...), or
    ``<product id>.<scenario>.result.json`` for a ``scenario`` of the model.

    Every output is first produced in a staging folder inside ``out_dir`` and moved in only
    when all succeeded, so a failure leaves no partial output.

    Returns
    -------
    FootprintRun

    Raises
    ------
    PCFError
        As :func:`compute`, or :class:`pcf.core.errors.RenderError`;
        :class:`pcf.core.errors.OutputError` when ``out_dir`` is a file (before computing).
    """
    from .core.files import output_folder
    from .declaration import write_declaration

    out = output_folder(out_dir)  # a file named as the folder is refused before anything is computed
    notes = use_brightway_project(brightway_dir, project, install_methods)
    declaration = compute(model_path, pcr_id=pcr_id, method=method, electricity_mode=electricity_mode,
                          scenario=scenario, monte_carlo=monte_carlo, seed=seed,
                          default_uncertainty=default_uncertainty)
    created = not out.exists()
    output_folder(out, create=True)
    staging = Path(tempfile.mkdtemp(prefix=".pcf-staging-", dir=out))
    try:
        staged = {"result": write_declaration(declaration, staging)}
        if label:
            from .render import render_label

            for kind, path in render_label(declaration, staging).items():
                staged[f"label.{kind}"] = path
        if report:
            from .render import render_report

            from .render.verification import render_verification

            staged["report"] = render_report(declaration, staging)
            staged["verification"] = render_verification(declaration, staging)
        files = {}
        for kind, path in staged.items():
            target = out / Path(path).name
            Path(path).replace(target)
            files[kind] = target
        return FootprintRun(declaration, files, notes)
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@dataclass
class ComparisonRun:
    """What :func:`compare` produced.

    Attributes
    ----------
    comparison : dict
        The ``pcf-scenarios/1`` (:func:`pcf.compare.scenarios.compare_results`) or
        ``pcf-comparison/1`` (:func:`pcf.compare.claims.compare_footprints`) dict.
    results : list of pcf.declaration.Declaration
        The result of each scenario (base first), or [baseline, product].
    files : dict of str to Path
        ``json`` and ``csv`` -> file written (empty without ``out_dir``).
    """

    comparison: dict
    results: list[Declaration]
    files: dict[str, Path] = field(default_factory=dict)


def compare(model_path: str | Path, scenarios: list[str] | None = None, out_dir: str | Path | None = None,
            pcr_id: str | None = None, method: str | None = None,
            overrides: dict[str, float] | None = None, electricity_mode: str | None = None) -> ComparisonRun:
    """``pcf compare``: compute the model as written and each scenario, and tabulate them.

    Every scenario is loaded (and so validated) before any is computed.

    Parameters
    ----------
    model_path : str or Path
        ``pcf-model/1`` file with ``scenarios:``.
    scenarios : list of str, optional
        Names to compare; default (or ``["all"]``) every scenario of the model. The base
        is always computed and comes first: differences are against it.
    out_dir : str or Path, optional
        Folder for ``<product id>.scenarios.json`` and ``.scenarios.csv``; nothing is
        written without it.
    pcr_id, method, overrides, electricity_mode
        As :func:`compute`, for every scenario.

    Returns
    -------
    ComparisonRun

    Raises
    ------
    PCFError
        ``ModelError`` (``file:line``) for an unknown or invalid scenario or a model with
        none, and everything :func:`compute` raises.
    """
    from .model import BASE, load_model, scenario_names

    from .compare.scenarios import compare_results, write_comparison

    base = load_model(model_path, overrides=overrides)
    declared = scenario_names(base.model)
    wanted = [n for n in (scenarios or []) if n != BASE]
    if not wanted or "all" in wanted:
        if not declared:
            from .core.errors import ModelError

            raise ModelError(base.path, base.lines.line_of(()), "the model declares no scenarios to compare: "
                             "add scenarios: {NAME: {description, parameters, replace}} (docs/model-format.md)")
        wanted = declared
    wanted = list(dict.fromkeys(wanted))
    systems = [base] + [load_model(model_path, overrides=overrides, scenario=n) for n in wanted]
    results = [_compute(system, pcr_id, method, electricity_mode) for system in systems]
    comparison = compare_results(results)
    files = write_comparison(comparison, out_dir) if out_dir is not None else {}
    return ComparisonRun(comparison, results, files)


def compare_results_claim(baseline_path: str | Path, product_path: str | Path, claim: str = "reduction",
                          justification: str | None = None, out_dir: str | Path | None = None) -> ComparisonRun:
    """``pcf compare A.result.json B.result.json``: a reduction claim or a carbon handprint.

    Parameters
    ----------
    baseline_path, product_path : str or Path
        Result JSON files: the previous generation (or baseline product) and the product.
    claim : {"reduction", "handprint"}
    justification : str, optional
        Why the baseline is the right one (required for a handprint).
    out_dir : str or Path, optional
        Folder for ``<product>.vs.<baseline>.<claim>.json``, ``.csv`` and ``.pdf``.

    Returns
    -------
    ComparisonRun
        ``comparison`` (``pcf-comparison/1``, :func:`pcf.compare.claims.compare_footprints`),
        ``results`` [baseline, product] (:class:`pcf.declaration.Declaration`), ``files``.

    Raises
    ------
    SourceError
        A file is missing, not a ``pcf-result/1`` document, or not of its shape.
    ComparisonRefused
        The results cannot be compared (different declared units, PCRs, boundaries, ...).
    RenderError
        The PDF cannot be rendered.
    """
    from .compare.claims import compare_footprints, write_comparison_files
    from .declaration import read_declaration

    baseline, product = read_declaration(baseline_path), read_declaration(product_path)
    comparison = compare_footprints(baseline, product, claim, justification)
    files = {}
    if out_dir is not None:
        from .render.comparison import comparison_pdf

        files = write_comparison_files(comparison, out_dir, comparison_pdf(comparison))
    return ComparisonRun(comparison, [baseline, product], files)


def compare_handprint(product_path: str | Path, baselines: list[str | Path] | None = None,
                      weights: list[float] | None = None, baseline_value: float | None = None,
                      baseline_unit: str | None = None, baseline_source: str | None = None,
                      justification: str | None = None, out_dir: str | Path | None = None) -> ComparisonRun:
    """``pcf compare PRODUCT.result.json --claim handprint --baseline ... | --baseline-value ...``:
    a carbon handprint against real baselines (issue 21 part 3; docs/result-json.md, "Comparisons").

    Parameters
    ----------
    product_path : str or Path
        Result JSON of the handprint solution (any declared unit: kWh generated, MJ, km, ...).
    baselines : list of str or Path, optional
        Result JSON files of the alternatives; their weighted average is the baseline.
    weights : list of float, optional
        One per baseline result, in order, each > 0, summing to 1 (may be left out for one).
    baseline_value, baseline_unit, baseline_source : optional
        Instead of results: a cited value [``baseline_unit``, ``<mass> CO2e/<unit>``] and its source.
    justification : str
        Why this baseline is what the customer would use otherwise.
    out_dir : str or Path, optional
        Folder for ``<product>.vs.<baseline>.handprint.json``, ``.csv`` and ``.pdf``.

    Returns
    -------
    ComparisonRun
        ``comparison`` (:func:`pcf.compare.claims.handprint_against`), ``results`` [baselines...,
        product], ``files``.

    Raises
    ------
    SourceError
        A result file is missing or not a ``pcf-result/1`` document.
    ComparisonRefused
        What :func:`pcf.compare.claims.handprint_against` refuses; a cited value without its
        unit or source (about ``baseline_unit`` / ``baseline_source``).
    RenderError
        The PDF cannot be rendered.
    """
    from .compare.claims import CitedBaseline, handprint_against, write_comparison_files
    from .core.errors import ComparisonRefused
    from .declaration import read_declaration

    cited = None
    if baseline_value is not None or baseline_unit or baseline_source:
        for name, given in (("baseline_value", baseline_value), ("baseline_unit", baseline_unit),
                            ("baseline_source", baseline_source)):
            if given is None or (isinstance(given, str) and not given.strip()):
                raise ComparisonRefused("a cited baseline needs its value, its unit ('kg CO2e/kWh') and its source"
                                        ).about(name)
        cited = CitedBaseline(float(baseline_value), baseline_unit, baseline_source)
    product = read_declaration(product_path)
    results = [read_declaration(p) for p in baselines or []]
    comparison = handprint_against(product, results=results, weights=weights, cited=cited,
                                   justification=justification)
    files = {}
    if out_dir is not None:
        from .render.comparison import comparison_pdf

        files = write_comparison_files(comparison, out_dir, comparison_pdf(comparison))
    return ComparisonRun(comparison, results + [product], files)


def render_outputs(result_path: str | Path | None, out_dir: str | Path, what: str, variants: list[str] | None = None,
                   size_mm: float | None = None, batch: str | Path | None = None,
                   sku: str | None = None, grading: str | Path | None = None) -> dict[str, Path]:
    """``pcf label`` / ``pcf report``: render from a result JSON file, or from SKU ``sku`` of
    the batch store ``batch`` (:func:`batch_result`; ``result_path`` None).

    Parameters
    ----------
    what : {"label", "report"}
    variants : list of str, optional
        Label variants (:data:`pcf.render.label.VARIANTS`, or ``all``); default the graded label.
    size_mm : float, optional
        Side of the compact label [mm] (8-60).
    grading : str or Path, optional
        A ``pcf grade`` document (``pcf-peer-grading/1``) of this result: the graded label
        prints its level as a line (issue 21).

    Raises
    ------
    SourceError
        The result file is missing or not a ``pcf-result/1`` document; the grading file is not
        a peer grading, or is of another result.
    RenderError
        Rendering failed.
    """
    from .render import render_label, render_report

    declaration = _declaration_of(result_path, batch, sku)
    peer = None if grading is None else _read_grading(grading, declaration)
    if grading is not None and what != "label":
        raise PCFError("a peer grading goes on a label, not on the report").about("grading")
    if what == "label":
        from .render.label import VARIANTS

        wanted = list(VARIANTS) if "all" in (variants or []) else list(dict.fromkeys(variants or ["graded"]))
        if size_mm is not None and "compact" not in wanted:
            raise PCFError("the size is the side of the compact label: add the compact variant (or all)"
                           ).about("size_mm")
        files: dict[str, Path] = {}
        for variant in wanted:
            size = size_mm if variant == "compact" else None
            shown = peer if variant == "graded" else None
            for kind, path in render_label(declaration, Path(out_dir), variant=variant, size_mm=size,
                                           peer=shown).items():
                files[f"{variant}.{kind}"] = Path(path)
        return files
    if what == "report":
        from .render.verification import render_verification

        return {"report": Path(render_report(declaration, Path(out_dir))),
                "verification": Path(render_verification(declaration, Path(out_dir)))}
    raise PCFError(f"unknown output {what!r}")


def _read_grading(path: str | Path, declaration):
    """The ``pcf-peer-grading/1`` document at ``path``, checked to be of ``declaration``.

    Raises
    ------
    SourceError
        Unreadable, not JSON, not a peer grading, or of another product, PCR or declared figure.
    """
    import json
    import math

    from .core.codec import CodecError
    from .core.errors import SourceError
    from .declaration.peers import peer_of
    from .pcr.peers import PeerGrade

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        grade = PeerGrade.from_json(data)
    except OSError as exc:
        raise SourceError(path, None, f"cannot read the grading ({exc.strerror or exc})").about("grading") from None
    except ValueError as exc:  # JSON and codec errors
        kind = "not a peer grading" if isinstance(exc, CodecError) else "not valid JSON"
        raise SourceError(path, None, f"{kind}: {exc}; write it with `pcf grade --out`").about("grading") from None
    me = peer_of(declaration)
    same = (grade.result.id == me.id and grade.pcr_id == me.pcr and me.value is not None
            and math.isclose(grade.result.value, me.value, rel_tol=1e-9))
    if not same:
        raise SourceError(path, None, f"the grading is of {grade.result.id} ({grade.result.value:.6g} {grade.result.unit}, "
                                      f"PCR {grade.pcr_id}), not of this result ({me.id}, PCR {me.pcr}); grade this "
                                      "result with `pcf grade`").about("grading")
    return grade


# --------------------------------------------------------------------------- label registry
# One function per registry verb (pcf keys / issue / verify / suspend / reinstate / revoke /
# renew / registry ...); the library is pcf.registry, see docs/registry.md.


def _store(registry: str | Path | None, create: bool = True, readonly: bool = False):
    """The registry store, opened; use it as a context manager (``with _store(r) as store``), which closes it.
    ``readonly`` for the commands that only read (an SQLite registry on a read-only mount serves them)."""
    from .registry import open_store

    return open_store(registry, create=create, readonly=readonly)


def read_passphrase_file(path: str | Path) -> str:
    """The passphrase in a file: its first line, without the line break.

    Raises
    ------
    KeyFileError
        Missing, unreadable or empty file.
    """
    from .registry.errors import KeyFileError

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(f"{path}: passphrase file not found").about("passphrase_file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path}: passphrase file cannot be read ({exc})").about("passphrase_file") from None
    line = text.splitlines()[0] if text.splitlines() else ""
    if not line:
        raise KeyFileError(f"{path}: the passphrase file is empty").about("passphrase_file")
    return line


def _new_passphrase(passphrase_file: str | Path | None, ask: Callable[[], str] | None) -> str:
    """The passphrase for a new key: ``passphrase_file``, else ``PCF_KEY_PASSPHRASE``, else ``ask()``."""
    import os

    from .registry.errors import KeyFileError
    from .registry.keys import PASSPHRASE_ENV

    if passphrase_file is not None:
        return read_passphrase_file(passphrase_file)
    passphrase = os.environ.get(PASSPHRASE_ENV) or (ask() if ask else None)
    if not passphrase:
        raise KeyFileError(f"no passphrase to encrypt the key with: give a passphrase file, set {PASSPHRASE_ENV}, "
                           "or answer the prompt on a terminal; or ask explicitly for an unencrypted key"
                           ).about("encrypt")
    return passphrase


def load_key(key_path: str | Path, passphrase_file: str | Path | None = None,
             ask: Callable[[Path], str] | None = None):
    """Load a private key: the passphrase of an encrypted key comes from ``passphrase_file``,
    else ``PCF_KEY_PASSPHRASE``, else ``ask(key_path)`` (a prompt on a terminal).

    Returns
    -------
    pcf.registry.SigningKey

    Raises
    ------
    KeyFileError
        Missing or unreadable file, no passphrase for an encrypted key, or a wrong one.
    """
    from .registry import load_signing_key

    passphrase = read_passphrase_file(passphrase_file) if passphrase_file is not None else None
    return load_signing_key(key_path, _passphrase(key_path, passphrase, ask))


def keys_new(issuer: str, out_dir: str | Path, passphrase: str | None = None,
             registry: str | Path | None = None, register: bool = True, encrypt: bool = True,
             ask: Callable[[], str] | None = None, role: str = "issuer", *,
             root_key_path: str | Path | None = None, passphrase_file: str | Path | None = None,
             ask_key: Callable[[Path], str] | None = None, valid_until: str | None = None):
    """``pcf keys new``: write ``<out_dir>/<issuer>.key`` / ``.pub`` and admit the public key.

    Parameters
    ----------
    issuer : str
        Holder name (issuer, verifier or administrator); names the files.
    out_dir : str or Path
        Folder for the files.
    passphrase : str, optional
        Encrypts the private key.
    registry : str or Path, optional
        Registry database; default ``PCF_HOME/registry.db``.
    register : bool
        Admit the public key in the registry (retires the holder's previous key); needs
        ``root_key_path``.
    encrypt : bool
        Encrypt the private key [default True]: with ``passphrase``, else the first line of
        ``passphrase_file``, else ``PCF_KEY_PASSPHRASE``, else what ``ask()`` returns.
        False writes it unencrypted.
    ask : callable, optional
        Asks a person for a new passphrase.
    role : {"admin", "verifier", "issuer"}
        The key's role in the registry (:mod:`pcf.registry.roles`) [default ``issuer``].
    root_key_path : str or Path, optional
        The registry's root key file (signs the admission).
    passphrase_file : str or Path, optional
        File whose first line is the passphrase (of the new key and of the root key).
    ask_key : callable, optional
        Asks for the passphrase of the root key file (``ask_key(path)``).
    valid_until : str, optional
        End of the key's admission (ISO 8601 date or time, UTC; exclusive) [default: until retired].

    Returns
    -------
    tuple
        ``(SigningKey, private_path, public_path, KeyRecord or None)``.

    Raises
    ------
    KeyFileError, RegistryError
    """
    from .registry import new_keys

    until = _admission_end(valid_until)
    if register and root_key_path is None:  # before asking for any passphrase
        from .registry.errors import RegistryError

        raise RegistryError("admitting a key needs the registry's root key (kept offline); or only write the "
                            "key files (no-register) and admit the public key later").about("root_key")
    root = load_key(root_key_path, passphrase_file, ask_key) if register else None
    if encrypt and passphrase is None:
        passphrase = _new_passphrase(passphrase_file, ask)
    if not encrypt:
        passphrase = None
    if not register:
        return new_keys(None, issuer, out_dir, passphrase, role)
    with _store(registry) as store:
        return new_keys(store, issuer, out_dir, passphrase, role, root_key=root, valid_until=until)


def registry_add_key(public_path: str | Path, issuer: str, registry: str | Path | None = None,
                     role: str = "issuer", root_key_path: str | Path | None = None,
                     passphrase_file: str | Path | None = None, ask: Callable[[Path], str] | None = None,
                     valid_until: str | None = None):
    """``pcf registry add-key``: admit a public key file with its role, signed by the root key
    (retires the holder's previous key).

    ``role``: ``admin``, ``verifier`` or ``issuer`` (:mod:`pcf.registry.roles`);
    ``root_key_path``: the registry's root key file (passphrase as :func:`load_key`);
    ``valid_until``: end of the admission (ISO 8601 date or time, UTC) [default: until retired].

    Raises
    ------
    KeyFileError, RegistryError
    """
    from .registry import load_public_key, register_key
    from .registry.errors import RegistryError

    key = load_public_key(public_path)
    until = _admission_end(valid_until)
    if root_key_path is None:
        raise RegistryError("admitting a key needs the registry's root key (kept offline)").about("root_key")
    root = load_key(root_key_path, passphrase_file, ask)
    with _store(registry) as store:
        return register_key(store, issuer, key, role, root_key=root, valid_until=until)


def keys_list(registry: str | Path | None = None) -> list:
    """``pcf keys list``: every key in the registry with its role (current and retired), oldest first."""
    from .registry import list_keys

    with _store(registry, create=False, readonly=True) as store:
        return list_keys(store)


def registry_init(prefix: str | None = None, url: str | None = None, registry: str | Path | None = None,
                  root_key_path: str | Path | None = None, key_path: str | Path | None = None,
                  passphrase_file: str | Path | None = None, ask: Callable[[Path], str] | None = None) -> dict:
    """``pcf registry init``: create the registry with its root key, set its label prefix and public URL.

    ``root_key_path``: the body's root key file (required the first time: it becomes the
    registry's root; later it may sign settings changes); ``key_path``: an admin key to sign a
    settings change with instead. Passphrases as :func:`load_key`. A ``postgresql://`` ``url``
    names the registry's database instead of the public URL (``pcf registry init --url
    postgresql://...``; the public URL is then set by a second ``init`` with an http(s) URL).

    Returns
    -------
    dict
        ``{prefix, url, root_key_id}``.

    Raises
    ------
    KeyFileError, RegistryError
    """
    from .registry import init_registry

    from .registry.location import is_url

    if is_url(url):
        registry, url = url, None
    root = load_key(root_key_path, passphrase_file, ask) if root_key_path else None
    admin = load_key(key_path, passphrase_file, ask) if key_path else None
    with _store(registry) as store:
        return init_registry(store, prefix, url, root_key=root, key=admin)


def _admission_end(text: str | None):
    """The end of a key's admission as a UTC datetime, or None."""
    if text is None:
        return None
    from .registry.declaration import parse_time
    from .registry.errors import RegistryError

    try:
        return parse_time(text)
    except ValueError as exc:
        raise RegistryError(f"time {text!r}: {exc}; write e.g. 2028-01-01 or 2028-01-01T00:00:00Z"
                            ).about("valid_until") from None


def _hex_id(text: str | None, digits: int, refusal: str, about: str) -> str | None:
    """``text`` as given when it is ``digits`` hex digits (lower-cased), or None when not given.

    Raises
    ------
    RegistryError
        Not ``digits`` hex digits: ``{text!r}: {refusal}``, about ``about``.
    """
    if text is None:
        return None
    import re

    from .registry.errors import RegistryError

    if not re.fullmatch(f"[0-9a-fA-F]{{{digits}}}", text):
        raise RegistryError(f"{text!r}: {refusal}").about(about)
    return text.lower()


def _root_key_id(text: str | None) -> str | None:
    """A root key id as given (32 hex digits, lower-cased), or None."""
    return _hex_id(text, 32, "not a root key id: give the 32 hex digits `pcf registry check` prints "
                   "(and the published index page shows)", "root_key_id")


def _known_head(text: str | None) -> str | None:
    """A head hash as given (64 hex digits, lower-cased), or None."""
    return _hex_id(text, 64, "not a chain head: give the 64 hex digits of a head `pcf registry check` "
                   "printed (or the published index page showed), or a signed head file", "known_head")


def _passphrase(key_path: str | Path, passphrase: str | None, ask: Callable[[Path], str] | None) -> str | None:
    """The passphrase to load ``key_path`` with: ``passphrase``, else (an encrypted key and no
    ``PCF_KEY_PASSPHRASE``) what ``ask(key_path)`` returns, else None."""
    import os

    from .registry.keys import PASSPHRASE_ENV, is_encrypted

    if passphrase is not None or ask is None or os.environ.get(PASSPHRASE_ENV) or not is_encrypted(key_path):
        return passphrase
    return ask(Path(key_path))


def verification_open(result_path: str | Path, verifier: str, key_path: str | Path,
                      registry: str | Path | None = None, passphrase_file: str | Path | None = None,
                      ask: Callable[[Path], str] | None = None):
    """``pcf verification open``: open a verification case for a result file
    (:func:`pcf.registry.cases.open_case`); the result must conform to its PCR. ``key_path``: an
    admin key (assigning the case to ``verifier``) or the verifier's own key; its passphrase as
    :func:`load_key`.

    Returns
    -------
    pcf.registry.cases.CaseView

    Raises
    ------
    SourceError
        Bad result file.
    IssueRefused
        The result names no PCR or does not conform to it.
    CaseRefused, KeyFileError, RegistryError
    """
    from .declaration import read_declaration
    from .registry import check_conformance
    from .registry.cases import open_case

    declaration = read_declaration(result_path)
    today = check_conformance(declaration)
    key = load_key(key_path, passphrase_file, ask)
    with _store(registry, create=False) as store:
        return open_case(store, declaration, today, verifier, key)


def verification_checklist(case: str, registry: str | Path | None = None):
    """``pcf verification checklist``: a case, its items and their latest records.

    Returns
    -------
    pcf.registry.cases.CaseView

    Raises
    ------
    CaseNotFound, RegistryError
    """
    from .registry.cases import show_case

    with _store(registry, create=False) as store:
        return show_case(store, case)


def verification_record(case: str, item: str, status: str, note: str, key_path: str | Path,
                        evidence: str | Path | None = None, registry: str | Path | None = None,
                        passphrase_file: str | Path | None = None, ask: Callable[[Path], str] | None = None):
    """``pcf verification record``: record one item of an open case (ok or finding, a note,
    evidence), signed with the case's verifier's key (passphrase as :func:`load_key`).

    Returns
    -------
    pcf.registry.cases.CaseView

    Raises
    ------
    CaseNotFound, CaseRefused, KeyFileError, RegistryError
    """
    from .registry.cases import record_item

    key = load_key(key_path, passphrase_file, ask)
    with _store(registry, create=False) as store:
        return record_item(store, case, item, status, note, evidence, key=key)


def verification_sign(case: str, key_path: str | Path, opinion: str, registry: str | Path | None = None,
                      passphrase_file: str | Path | None = None, ask: Callable[[Path], str] | None = None):
    """``pcf verification sign``: the verifier signs and closes a case (passphrase as :func:`load_key`).

    Returns
    -------
    pcf.registry.cases.CaseView

    Raises
    ------
    CaseNotFound, CaseRefused, KeyFileError, RegistryError
    """
    from .registry.cases import sign_case

    key = load_key(key_path, passphrase_file, ask)
    with _store(registry, create=False) as store:
        return sign_case(store, case, key, opinion)


def issue_label(result_path: str | Path, key_path: str | Path, valid_days: int | None, out_dir: str | Path,
                registry: str | Path | None = None, passphrase: str | None = None,
                ask: Callable[[Path], str] | None = None, claim: str | None = None,
                baseline_label: str | None = None, measures: str | Path | None = None,
                passphrase_file: str | Path | None = None, self_declared: bool = False, *,
                supersede: str | None = None, batch: str | Path | None = None, sku: str | None = None):
    """``pcf issue``: issue a label for a result file, or for SKU ``sku`` of the batch store
    ``batch`` (``result_path`` None; :func:`batch_result`) (see :func:`pcf.registry.issue`); it needs a
    signed verification case for the result unless ``self_declared``. ``supersede``: the
    product's current label number, which the new label replaces.

    ``passphrase`` decrypts an encrypted key; default the first line of ``passphrase_file``,
    else ``PCF_KEY_PASSPHRASE``, else what ``ask(key_path)`` returns (a prompt; only called
    for an encrypted key). ``claim="reduction"`` with ``baseline_label`` and ``measures``
    issues a reduction label (:mod:`pcf.registry.labeltype`). ``supersede``: the product's current
    label number, which the new label replaces.

    Returns
    -------
    pcf.registry.Issued

    Raises
    ------
    SourceError
        Bad result file.
    IssueRefused, LabelNotFound, KeyFileError, RegistryError, RenderError
    """
    from .registry import issue, load_signing_key
    from .registry.numbers import parse_number

    declaration = _declaration_of(result_path, batch, sku)
    if passphrase is None and passphrase_file is not None:
        passphrase = read_passphrase_file(passphrase_file)
    replaced = None if supersede is None else _number(supersede, "supersede", parse_number)
    key = load_signing_key(key_path, _passphrase(key_path, passphrase, ask))
    with _store(registry) as store:
        return issue(store, declaration, key, valid_days, out_dir, claim=claim, baseline_label=baseline_label,
                     measures=measures, self_declared=self_declared, supersede=replaced)


def issue_labels(folder: str | Path, key_path: str | Path, valid_days: int | None, out_dir: str | Path,
                 registry: str | Path | None = None, passphrase: str | None = None,
                 ask: Callable[[Path], str] | None = None, passphrase_file: str | Path | None = None,
                 self_declared: bool = False, jobs: int = 1, progress: Callable[[int, int], None] | None = None,
                 outcomes: list | None = None):
    """``pcf issue FOLDER``: a label for every ``*.result.json`` of a folder, issued in name order,
    their PDFs rendered by ``jobs`` processes (:func:`pcf.registry.bulk.issue_folder`, which calls
    ``progress(done, total)`` as each result's outcome is final, and appends each outcome to
    ``outcomes``: after an exception, Ctrl-C, it holds those of the results handled before). Passphrase
    as :func:`issue_label`.

    Returns
    -------
    pcf.registry.bulk.Bulk
        One outcome per result: its label, or why it has none.

    Raises
    ------
    RegistryError
        Not a folder, no result in it, ``jobs`` out of range; as :func:`issue_label` for the key
        and the registry.
    RenderError
        No CJK font (nothing issued).
    """
    from .registry import load_signing_key
    from .registry.bulk import issue_folder

    if passphrase is None and passphrase_file is not None:
        passphrase = read_passphrase_file(passphrase_file)
    key = load_signing_key(key_path, _passphrase(key_path, passphrase, ask))
    with _store(registry) as store:
        return issue_folder(store, folder, key, valid_days, out_dir, jobs=jobs, self_declared=self_declared,
                            progress=progress, outcomes=outcomes)


def _number(text: str, argument: str, parse) -> str:
    """A label number given as ``argument``, normalised (its check digits verified)."""
    from .registry.errors import RegistryError

    try:
        return parse(text).text
    except RegistryError as exc:
        raise RegistryError(str(exc)).about(argument) from None


def verify_label(target: str, registry: str | Path | None = None, offline: bool = False,
                 key_path: str | Path | None = None, at: str | None = None, root_key_id: str | None = None):
    """``pcf verify``: verify a declaration file, a label number or a token.

    The registry is used unless ``offline`` is set; when no registry is given and the default
    one (``PCF_HOME/registry.db``) does not exist, the check is offline too. ``root_key_id``:
    the root key id the body published; the registry's must be it.

    Returns
    -------
    pcf.registry.Verification

    Raises
    ------
    RegistryError, KeyFileError
        Unreadable input, a bad ``--at`` time, a missing registry given explicitly.
    """
    import os

    from .registry import default_registry_path, load_public_key, verify
    from .registry.location import URL_ENV
    from .registry.declaration import parse_time
    from .registry.errors import RegistryError

    moment = None
    if at:
        try:
            moment = parse_time(at)
        except ValueError as exc:
            raise RegistryError(f"time {at!r}: {exc}; write e.g. 2027-01-31 or 2027-01-31T12:00:00Z").about("at") \
                from None
    public = load_public_key(key_path) if key_path else None
    _root_key_id(root_key_id)
    store = None
    if not offline and (registry is not None or os.environ.get(URL_ENV) or default_registry_path().exists()):
        store = _store(registry, create=False, readonly=True)
    try:
        return verify(target, store, public, moment, _root_key_id(root_key_id))
    finally:
        if store is not None:
            store.close()


def change_label_status(number: str, action: str, reason: str, registry: str | Path | None = None,
                        key_path: str | Path | None = None, passphrase_file: str | Path | None = None,
                        ask: Callable[[Path], str] | None = None):
    """``pcf suspend / reinstate / revoke``: change a label's status with a reason, in an event
    signed by ``key_path`` (an admin key or a key of the label's issuer; passphrase as
    :func:`load_key`).

    Returns
    -------
    pcf.registry.store.LabelRecord

    Raises
    ------
    LabelNotFound, StatusChangeRefused, KeyFileError, KeyNotAllowed, RegistryError
    """
    from .registry import change_status
    from .registry.errors import RegistryError
    from .registry.numbers import parse_number

    if key_path is None:
        raise RegistryError("a status change is signed: give an admin key or a key of the label's "
                            "issuer").about("key")
    key = load_key(key_path, passphrase_file, ask)
    with _store(registry, create=False) as store:
        return change_status(store, parse_number(number).text, action, reason, key)


def renew_label(number: str, key_path: str | Path, valid_days: int | None, reason: str, out_dir: str | Path,
                result_path: str | Path | None = None, registry: str | Path | None = None,
                passphrase: str | None = None, ask: Callable[[Path], str] | None = None,
                passphrase_file: str | Path | None = None, *, justification: str | None = None):
    """``pcf renew``: a new label number that supersedes the old one (see :func:`pcf.registry.renew`).

    ``passphrase``, ``ask`` and ``passphrase_file`` as :func:`issue_label`; ``justification``: why
    the renewal has no newer data (else the result must have a later reference period).

    Returns
    -------
    pcf.registry.Issued

    Raises
    ------
    SourceError
        Bad result file.
    LabelNotFound, StatusChangeRefused, IssueRefused, KeyFileError, RegistryError, RenderError
    """
    from .declaration import read_declaration
    from .registry import load_signing_key, renew
    from .registry.numbers import parse_number

    declaration = read_declaration(result_path) if result_path else None
    if passphrase is None and passphrase_file is not None:
        passphrase = read_passphrase_file(passphrase_file)
    key = load_signing_key(key_path, _passphrase(key_path, passphrase, ask))
    with _store(registry, create=False) as store:
        return renew(store, parse_number(number).text, key, valid_days, reason, out_dir, declaration,
                     justification=justification)


def registry_list(registry: str | Path | None = None) -> list:
    """``pcf registry list``: every label record, in number order."""
    with _store(registry, create=False, readonly=True) as store:
        with store.read() as tx:
            return tx.labels()


def registry_check(registry: str | Path | None = None, root_key_id: str | None = None,
                   known_head: str | None = None):
    """``pcf registry check``: check the database, the signed event chain and every label
    (``root_key_id``: the root key id the body published, the registry's must be it;
    ``known_head``: a head hash kept from earlier, or a signed head file written by
    ``pcf registry head``: the log must still hold it).

    Returns
    -------
    pcf.registry.RegistryCheck

    Raises
    ------
    RegistryError
        A bad root key id, head hash or signed head file.
    """
    from .registry import check_registry
    from .registry.head import head_problems, read_head

    _root_key_id(root_key_id)
    signed_head = None
    if known_head is not None and len(known_head) != 64 and Path(known_head).is_file():
        signed_head, known_head = read_head(known_head), None
    _known_head(known_head)
    with _store(registry, create=False, readonly=True) as store:
        report = check_registry(store, _root_key_id(root_key_id), _known_head(known_head))
        if signed_head is not None:
            report.problems.extend(head_problems(store, signed_head))
        return report


def registry_migrate(to: str, registry: str | Path | None = None):
    """``pcf registry migrate``: copy the SQLite registry ``registry`` (default
    ``PCF_HOME/registry.db``) into the empty PostgreSQL database at the URL ``to``, all or
    nothing, and check the log on both sides (:mod:`pcf.registry.migrate`).

    Returns
    -------
    pcf.registry.migrate.Migration

    Raises
    ------
    RegistryError
        ``to`` is not a postgresql:// URL, the source is not an SQLite registry or fails its
        check, the target cannot be used or is not empty, the copy does not check out.
    """
    from .registry.errors import RegistryError
    from .registry.location import default_registry_path, is_url
    from .registry.migrate import migrate

    if not is_url(to):
        raise RegistryError(f"migrate copies into a PostgreSQL registry: give a postgresql:// URL, not {to!r}") \
            .about("to")
    if is_url(registry):
        raise RegistryError("migrate copies from an SQLite registry file; the source is a URL").about("registry")
    with _store(registry if registry is not None else default_registry_path(), create=False) as source, \
            _store(to) as target:
        return migrate(source, target)


def registry_head(key_path: str | Path, out: str | Path | None = None, registry: str | Path | None = None,
                  passphrase_file: str | Path | None = None, ask: Callable[[Path], str] | None = None) -> dict:
    """``pcf registry head``: sign the log's current head with the root key or an admin key
    (:mod:`pcf.registry.head`); written to ``out`` (atomically) when given.

    Returns
    -------
    dict
        The signed head.

    Raises
    ------
    KeyFileError, KeyNotAllowed, RegistryError
    """
    import json

    from .core.files import write_atomic
    from .registry.errors import RegistryError
    from .registry.head import sign_head

    key = load_key(key_path, passphrase_file, ask)
    with _store(registry, create=False) as store:
        head = sign_head(store, key)
    if out is not None:
        try:
            write_atomic({Path(out): (json.dumps(head, indent=2) + "\n").encode("utf-8")})
        except OSError as exc:
            raise RegistryError(f"{out}: cannot be written ({exc.strerror})").about("out") from None
    return head


def registry_publish(out_dir: str | Path, registry: str | Path | None = None) -> list[Path]:
    """``pcf registry publish``: write the static verification site (see :mod:`pcf.serve.publish`)."""
    from .serve.publish import publish

    with _store(registry, create=False) as store:
        return publish(store, out_dir)


def registry_export(number: str, out_dir: str | Path, registry: str | Path | None = None) -> dict[str, Path]:
    """``pcf registry export``: write an issued label's files again from the registry."""
    from .registry import export
    from .registry.numbers import parse_number

    with _store(registry, create=False, readonly=True) as store:
        return export(store, parse_number(number).text, out_dir)


# --------------------------------------------------------------------------- exchange formats


def export(result_path: str | Path, fmt: str, out: str | Path, study_url: str | None = None,
           allow_ungraded: bool = False) -> Path:
    """``pcf export``: a result in an exchange format, written as JSON.

    Parameters
    ----------
    result_path : str or Path
        Result JSON written by ``pcf footprint``.
    fmt : str
        One of :data:`pcf.exchange.FORMATS` (``catena-x`` is ``catena-x@9.0.0``; also ``catena-x@7.0.0``, ``@8.0.0``).
        Format (:data:`pcf.exchange.FORMATS`; field mapping in docs/exchange.md).
    out : str or Path
        File to write (atomically; nothing is written on error).
    study_url : str, optional
        Link to the public CFP study (Battery Pass); default the model's ``exchange.study_url``.
    allow_ungraded : bool
        Battery Pass of a result its PCR did not grade: class ``not graded`` (a preview).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    SourceError
        The result file is missing or not a ``pcf-result/1`` document.
    ExchangeError
        Unknown format, or the result lacks what the format requires (the message names the
        model field to add).
    """
    from .declaration import read_declaration
    from .exchange import export_result, write_export

    document = export_result(read_declaration(result_path), fmt, study_url=study_url, allow_ungraded=allow_ungraded)
    return write_export(document, out)


def export_model(model_path: str | Path, fmt: str, out: str | Path, scenario: str | None = None) -> Path:
    """``pcf export-model``: a model's foreground with its background links, for Brightway /
    Activity Browser or openLCA (docs/model-format.md, "Export to Brightway" and "Export to openLCA").

    Parameters
    ----------
    model_path : str or Path
        ``pcf-model/1`` file; its background must be installed (``pcf setup``).
    fmt : str
        One of :data:`pcf.exchange.modelexport.MODEL_FORMATS` (``brightway-excel``, ``olca-jsonld``).
    out : str or Path
        File to write (atomically; nothing is written on error); must not exist.
    scenario : str, optional
        A scenario of the model; None or ``base`` for the model as written.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    PCFError
        ``ModelError`` (``file:line``) for a model that does not load or link, ``BackgroundError``
        for a missing background, ``ExchangeError`` for an unknown format, an existing ``out``,
        text or a unit the format cannot carry.
    """
    from .exchange.modelexport import export_model as write
    from .model import load_model

    return write(load_model(model_path, scenario=scenario), fmt, out)


def add_api_client(clients_file: str | Path, client_id: str) -> str:
    """``pcf api-client``: register a data recipient of the PACT host API (or renew its secret).

    Returns
    -------
    str
        The client secret; only its scrypt hash is stored (:mod:`pcf.serve.clients`).

    Raises
    ------
    ClientsError
        Invalid id, or an unreadable clients file.
    """
    from .serve.clients import add_client

    return add_client(clients_file, client_id)


def set_api_callback(clients_file: str | Path, client_id: str, url: str, auth_client_id: str,
                     auth_secret_file: str | Path, token_url: str | None = None):
    """``pcf api-callback``: where the PACT host answers a client's request events (the
    requester's host ``url`` and the credentials it gave for its ``/auth/token``; the secret is
    read from ``auth_secret_file``, first line) (:mod:`pcf.serve.events`).

    Returns
    -------
    pcf.serve.clients.Callback

    Raises
    ------
    ClientsError
        Unknown client, an unreadable or empty secret file, or a URL that is not https (plain
        http only to a loopback host).
    """
    from .serve.clients import ClientsError, set_callback

    try:
        lines = Path(auth_secret_file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ClientsError(f"{auth_secret_file}: cannot read the requester's secret ({exc})").about("auth_secret_file") from None
    secret = lines[0].strip() if lines else ""
    if not secret:
        raise ClientsError(f"{auth_secret_file}: empty; put the requester's client secret on its first line"
                           ).about("auth_secret_file")
    return set_callback(clients_file, client_id, url, auth_client_id, secret, token_url)


def serve(results_dir: str | Path | None, clients_file: str | Path | None, registry: str | Path | None = None,
          host: str = "127.0.0.1", port: int = 8080, tls_cert: str | Path | None = None,
          tls_key: str | Path | None = None, public_url: str | None = None) -> None:
    """``pcf serve``: the labels' verification pages live from the registry (:mod:`pcf.serve.live`)
    and, with ``results_dir`` and ``clients_file``, the read-only PACT host API over the registry's
    issued footprints (:mod:`pcf.serve.server`), until interrupted.

    Raises
    ------
    ServeError
        Plain HTTP on a non-loopback address, only one TLS file, only one of ``results_dir``
        and ``clients_file``, or a malformed ``public_url`` (the base URL of absolute links;
        default the bind address).
    ClientsError
        Missing or malformed clients file.
    RegistryError
        No registry.
    """
    from .serve.server import serve as run

    run(registry, results_dir, clients_file, host=host, port=port, tls_cert=tls_cert, tls_key=tls_key,
        public_url=public_url)


# --------------------------------------------------------------------------- background, importers, batch


def run_mark() -> int:
    """A mark of what this process has written to Brightway for its own runs so far, for
    :func:`discard_run` (:func:`pcf.core.bw.written_count`)."""
    from .core.bw import written_count

    return written_count()


def discard_run(mark: int) -> list[str]:
    """A command failed: remove the Brightway databases it wrote for itself since ``mark``
    (``pcf-fg-*``, ``pcf-sup-*``: :func:`pcf.core.bw.discard_written`), so that a failed run
    leaves none behind (issue 19 part 4); its temporary folders (staging, overlay, unpacked
    archives) are removed by the functions that made them. Never raises: the command's own
    error is the one to report.

    Returns
    -------
    list of str
        The databases removed.
    """
    from .core.bw import discard_written

    try:
        return discard_written(mark)
    except Exception:  # noqa: BLE001
        return []


def internal_error_log(exc: BaseException) -> Path:
    """Write the traceback of an unexpected exception to ``PCF_HOME/logs`` and return the file
    (:func:`pcf.core.crashlog.write_crash_log`)."""
    from .core.crashlog import write_crash_log

    return write_crash_log(exc)


def version() -> str:
    """``pcf version``: the pcf version (``pcf.__version__``)."""
    from . import __version__

    return __version__


@dataclass
class SetupRun:
    """What :func:`setup` did.

    Attributes
    ----------
    steps : dict of str to str
        Step -> ``"built"`` or ``"present"``.
    home : Path
        The pcf data folder the background is in (``PCF_HOME``).
    """

    steps: dict[str, str]
    home: Path


def setup(force: bool = False, report: Callable[[str], None] = lambda msg: None) -> SetupRun:
    """``pcf setup``: build the background under ``PCF_HOME`` (idempotent).

    Parameters ``force`` and ``report`` and the errors raised are those of
    :func:`pcf.background.setup`.

    Returns
    -------
    SetupRun
        Step -> ``"built"`` or ``"present"``, and the ``PCF_HOME`` folder.
    """
    from .background import setup as build
    from .core.bw import pcf_home

    steps = build(force=force, report=report)
    return SetupRun(steps, pcf_home())


def list_databases(brightway_dir: str | Path | None = None, project: str | None = None) -> list:
    """``pcf db list``: every installed database, backgrounds first; with ``brightway_dir`` and
    ``project``, the databases of that Brightway project (read only, :func:`use_brightway_project`).

    Returns
    -------
    list of pcf.background.DatabaseEntry
        Name, kind, activities, source, version, content hash (sha256); sorted by kind, then
        name (:func:`pcf.background.list_databases`).
    """
    from .background import list_databases as entries

    use_brightway_project(brightway_dir, project)
    return entries()


def search_databases(text: str, database: str | None = None, location: str | None = None, unit: str | None = None,
                     method: str = "ipcc-2021-gwp100", limit: int | None = 20,
                     brightway_dir: str | Path | None = None, project: str | None = None):
    """``pcf db search``: activities of the installed backgrounds by fuzzy match on name and
    reference product, with the model reference to paste and kg CO2e per unit under ``method``;
    with ``brightway_dir`` and ``project``, of that Brightway project's databases (read only,
    :func:`use_brightway_project`).

    Parameters
    ----------
    text : str
        Words to look for.
    database, location, unit : str, optional
        Filters: one database (as ``pcf db list`` names it), a location code, a unit.
    method : str
        pcf method id of the figures (default the models' default, ``ipcc-2021-gwp100``).
    limit : int, optional
        At most this many rows (None: all).

    Returns
    -------
    pcf.lca.intensity.BackgroundSearch
        The hits best first (empty when nothing matches), the databases searched, the method.

    Raises
    ------
    BackgroundError, UnitError, CalculationError
        As :func:`pcf.lca.intensity.search_background`.
    """
    from .lca.intensity import search_background

    use_brightway_project(brightway_dir, project)
    return search_background(text, database=database, location=location, unit=unit, method=method, limit=limit)


def remove_database(name: str):
    """``pcf db remove``: remove an installed database.

    Parameters
    ----------
    name : str
        As :func:`list_databases` lists it (``open-default`` or a Brightway name).

    Returns
    -------
    pcf.background.DatabaseEntry
        What was removed.

    Raises
    ------
    BackgroundError
        No database of that name, or one other databases link to
        (:func:`pcf.background.remove_database`).
    """
    from .background import remove_database as remove

    return remove(name)


def background_cache(clear: bool = False) -> dict:
    """``pcf cache info`` / ``pcf cache clear``: the cache of characterised backgrounds
    (:mod:`pcf.lca.bgcache`, ``PCF_HOME/cache/background``) and the warm footprints' records
    (:mod:`pcf.lca.warmcache`, ``PCF_HOME/cache/warm``).

    Parameters
    ----------
    clear : bool
        Remove every entry (the next footprint on each background characterises it again).

    Returns
    -------
    dict
        ``{folder, files, bytes, warm_files}``: what the cache holds, or held before it was
        cleared (``bytes`` counts both kinds of entry).

    Raises
    ------
    OSError
        An entry cannot be removed.
    """
    from .lca import bgcache, warmcache

    if clear:
        warm, info = warmcache.clear(), bgcache.clear()
    else:
        warm, info = warmcache.cache_info(), bgcache.cache_info()
    return {**info, "bytes": info["bytes"] + warm["bytes"], "warm_files": warm["files"]}


def import_database(path: str | Path, fmt: str, name: str, replace: bool = False,
                    progress: Callable[[str], None] = lambda msg: None, allocation: str = "mass"):
    """``pcf db import``: import an LCI database (JSON-LD, EcoSpold1/2, Excel) with bw2io.

    ``allocation`` (``mass``, ``energy``, ``economic``, ``none``) splits datasets with several
    products and no allocation factors of their own (:mod:`pcf.importers.allocation`).
    Parameters, return value (:class:`pcf.importers.ImportReport`) and errors
    (:class:`pcf.core.errors.ImportFailed`; nothing is left written) are those of
    :func:`pcf.importers.import_database`.
    """
    from .importers import import_database as run

    return run(path, fmt, name, replace=replace, allocation=allocation, progress=progress)


def import_foreground(xlsx: str | Path, product: str | None, out: str | Path, product_id: str | None = None,
                      pcr: str | None = None, stages: dict[str, str] | None = None, internal: str = "auto",
                      links: str | Path | None = None):
    """``pcf import-foreground``: a Brightway Excel foreground (premise layout) as a
    ``pcf-model/1`` file, its ecoinvent inputs linked to the open default.

    Parameters
    ----------
    xlsx : str or Path
        The workbook.
    product : str or None
        The product activity: its name, reference product or words of it.
    out : str or Path
        Model file to write; the link report goes next to it (``<name>.links.md``,
        ``<name>.links.json``). All three are written atomically.
    product_id, pcr : str, optional
        ``product.id`` (default: from the activity name) and ``study.pcr`` of the model.
    stages : dict of str to str, optional
        Process id -> life-cycle stage, overriding the derived stage.
    internal : {"auto", "expand", "link"}
        Workbook activities the link table also links (``auto``: when under 95 % linked by mass).
    links : str or Path, optional
        Link table; default ``databases/ecoinvent-links.csv``.

    Returns
    -------
    pcf.importers.premise.ImportRun
        ``model``, ``report`` (linked mass shares [-]) and ``files`` (kind -> path).

    Raises
    ------
    PCFError
        Import errors (``ForegroundImportError`` with the file); a ``ModelError`` when the
        written model would not load.
    """
    from .importers.premise import LINKS, run_import

    return run_import(xlsx, product, out, product_id=product_id, pcr=pcr, stages=stages, internal=internal,
                      links=links or LINKS)



def _plant_choices():
    """What the plant-data workbook offers and checks: the open default's keys with their unit
    and name (``databases/open-default.csv``), pcf's methods, the shipped PCR ids and the
    transport modes' default keys."""
    from .background.methods import METHODS
    from .background.opendefault import read_rows
    from .importers.plant import Choices
    from .model.loader import TRANSPORT_MODES
    from .pcr.loader import list_pcrs

    rows = read_rows()
    return Choices(keys={r.key: r.unit for r in rows}, names={r.key: r.name for r in rows},
                   methods=tuple(METHODS), pcrs=tuple(list_pcrs()),
                   modes={mode: key for mode, (key, _) in TRANSPORT_MODES.items()})


def template(kind: str, out: str | Path) -> Path:
    """``pcf template``: write an empty plant-data workbook (docs/model-format.md, "From a
    plant-data workbook").

    Parameters
    ----------
    kind : str
        ``battery-pack``, ``battery-cell`` or ``pv-module``.
    out : str or Path
        The ``.xlsx`` file to write (atomically); it must not exist.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    pcf.core.errors.WorkbookError
        Unknown kind, ``out`` exists or its folder does not.
    """
    from .importers.plant import write_template

    return write_template(kind, out, _plant_choices())


def import_plant(xlsx: str | Path, out: str | Path):
    """``pcf import-plant``: a filled plant-data workbook as a ``pcf-model/1`` file whose every
    value names its cell in a comment; the model is loaded by pcf's loader before it is
    written (atomically).

    Parameters
    ----------
    xlsx : str or Path
        The workbook.
    out : str or Path
        Model file to write; it must not exist.

    Returns
    -------
    pcf.importers.plant.PlantImport
        The file written, rows read per sheet, process and quantity counts.

    Raises
    ------
    pcf.core.errors.WorkbookError
        ``F.xlsx:Sheet!C12: what is wrong`` (nothing is written); ``out`` exists.
    """
    from .importers.plant import import_plant as run

    return run(xlsx, out, _plant_choices())

def batch(skus: str | Path, out_dir: str | Path, model: str | Path | None = None, jobs: int = 1,
          executor: str = "local", scheduler: str | None = None, force: bool = False, results: bool = True,
          progress: Callable[[int, int], None] | None = None,
          brightway_dir: str | Path | None = None, project: str | None = None, json_per_sku: bool = False):
    """``pcf batch``: the footprint of every SKU of a table; resumable (done SKUs are skipped).
    With ``brightway_dir`` and ``project``, against that Brightway project, read only
    (:func:`use_brightway_project`; local executor only).

    Parameters
    ----------
    skus : str or Path
        SKU table, CSV or Excel (docs/batch.md).
    out_dir : str or Path
        Folder for the batch store (``plan.json``, ``store/``; docs/batch.md) or
        ``<id>.result.json`` (``json_per_sku``), ``summary.csv``, ``summary.parquet``,
        ``batch-state.jsonl``.
    model : str or Path, optional
        Model of the rows without a ``model`` cell.
    jobs : int
        Worker processes (or local dask workers), at least 1.
    executor : {"local", "dask"}
    scheduler : str, optional
        Address of a running dask scheduler (``executor="dask"``).
    force : bool
        Recompute SKUs done before with the same input hash.
    results : bool
        Keep each SKU's full result (False: the summary only).
    progress : callable, optional
        ``progress(done, total)`` [SKUs] after every chunk.
    json_per_sku : bool
        One ``<id>.result.json`` per SKU instead of the batch store.

    Returns
    -------
    pcf.batch.BatchReport
        Counts (computed, skipped, failed), timings [s], notes, errors and files.

    Raises
    ------
    PCFError
        As :func:`pcf.batch.run_batch`: unreadable table, invalid ``model``, bad ``jobs`` or
        ``executor``. Row failures are counted in the report, not raised;
        :class:`pcf.core.errors.OutputError` when ``out_dir`` is a file (before anything runs).
    """
    from .batch import run_batch
    from .core.files import output_folder

    output_folder(out_dir)
    use_brightway_project(brightway_dir, project)
    return run_batch(skus, out_dir, model, jobs=jobs, executor=executor, scheduler=scheduler, force=force,
                     results=results, json_per_sku=json_per_sku, progress=progress)


def batch_result(out_dir: str | Path, sku: str) -> dict:
    """``pcf batch result OUT SKU``: one SKU's full result JSON rebuilt from a batch store.

    Returns
    -------
    dict
        The ``pcf-result/1`` document (as ``pcf batch --json-per-sku`` writes it).

    Raises
    ------
    pcf.batch.store.StoreError
        ``out_dir`` is not a batch store, was written by another pcf version, its plan or a
        template does not match its hash, or holds no SKU ``sku``.
    """
    from .batch.store import read_result

    return read_result(out_dir, sku)


def _declaration_of(result_path: str | Path | None, batch: str | Path | None = None, sku: str | None = None):
    """The declaration of a result file, or of SKU ``sku`` of batch store ``batch``.

    Raises
    ------
    PCFError
        Both or neither given, a SKU without a store (or the reverse); SourceError for a bad
        result file; StoreError (:func:`batch_result`).
    """
    from .core.errors import SourceError
    from .declaration import Declaration, read_declaration

    if batch is None and sku is None:
        if result_path is None:
            raise PCFError("give a result file, or a batch store and a SKU").about("result")
        return read_declaration(result_path)
    if result_path is not None:
        raise PCFError("give either a result file or a batch store and a SKU, not both").about("batch")
    if batch is None or sku is None:
        raise PCFError("a batch store and a SKU go together").about("batch" if batch is None else "sku")
    data = batch_result(batch, sku)
    try:
        return Declaration.from_json(data)
    except PCFError as exc:
        raise SourceError(Path(batch) / "plan.json", None, f"SKU {sku!r}: not a valid pcf result: {exc}") from None


# --------------------------------------------------------------------------- peer grading (issue 21)


@dataclass
class GradeRun:
    """What :func:`grade` produced.

    Attributes
    ----------
    grades : list of pcf.pcr.peers.PeerGrade
        One per graded result (one, or every SKU of a batch), in order.
    files : dict of str to Path
        ``grading`` (one result) or ``<sku>`` per SKU and ``grades.csv`` -> file written.
    """

    grades: list = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)


@dataclass
class _Subject:
    """A result to grade: its peer record, name, nonconformity count and file (if any)."""

    peer: object
    name: str | None
    nonconformities: int | None
    path: Path | None = None
    stem: str | None = None


def grade(result_path: str | Path | None, peers: str, out_dir: str | Path | None = None,
          batch: str | Path | None = None, sku: str | None = None, pcr: str | Path | None = None,
          registry: str | Path | None = None, at: str | None = None) -> GradeRun:
    """``pcf grade``: grade a result's declared figure against its peer group (the PCR's
    ``peer_grading``, :mod:`pcf.pcr.peers`; docs/pcr-format.md "Peer grading").

    Parameters
    ----------
    result_path : str or Path, optional
        A result JSON file; or None with ``batch`` (and ``sku``: that SKU; without: every SKU of
        the batch that has a result, read from its summary).
    peers : str
        Where the group comes from: a batch's out folder or its ``summary.csv`` /
        ``summary.parquet``; a folder of ``*.result.json`` files; ``registry`` (the current
        footprint labels of ``registry`` under the result's PCR); ``pcr`` (the reference value
        the PCR cites).
    out_dir : str or Path, optional
        Folder for ``<stem>.grading.json`` (``pcf-peer-grading/1``) per graded result, and
        ``grades.csv`` when a whole batch is graded; None writes nothing.
    pcr : str or Path, optional
        The PCR rule file (or id) to grade under; default the result's PCR by id. Must have the
        result's PCR id.
    registry : str or Path, optional
        Registry location for ``peers="registry"``.
    at : str, optional
        ISO 8601 UTC time of grading (labels current then); default now.

    Returns
    -------
    GradeRun

    Raises
    ------
    PeerGradingError
        The PCR defines no peer grading, cites no reference value (``pcr``), the group mixes
        PCRs, declared units or methods, is smaller than the PCR's minimum, or a result has no
        declared figure per declared unit. Nothing is written.
    SourceError, PCRError, StoreError, PCFError
        A file that cannot be read; an unknown PCR; ``peers`` names nothing pcf can read.
    """
    from datetime import datetime, timezone

    from .pcr.peers import grade_against_reference

    now = at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    subjects = _grade_subjects(result_path, batch, sku)
    rule = _grade_pcr(subjects[0].peer, pcr)
    if peers == "pcr":
        grades = [grade_against_reference(s.peer, rule, graded_at=now, name=s.name, nonconformities=s.nonconformities)
                  for s in subjects]
    elif peers == "registry":
        grades = _grade_against_registry(subjects, rule, registry, now)
    else:
        grades = _grade_against_source(subjects, rule, peers, now)
    files = _write_grades(subjects, grades, out_dir, whole_batch=result_path is None and sku is None)
    return GradeRun(grades, files)


def _grade_subjects(result_path, batch, sku) -> list:
    """The results to grade: one result (file or batch SKU), or every SKU of a batch's summary."""
    from .declaration.peers import nonconformities, peer_of

    if result_path is None and batch is not None and sku is None:
        from .batch.peers import read_summary_peers

        rows = read_summary_peers(batch).ok()
        if not rows:
            raise PCFError(f"{batch}: the batch has no SKU with a result to grade").about("batch")
        return [_Subject(r.peer, r.name, r.nonconformities, stem=r.peer.id) for r in rows]
    declaration = _declaration_of(result_path, batch, sku)
    from .core.files import output_stem

    return [_Subject(peer_of(declaration), declaration.result.product.name, nonconformities(declaration),
                     path=Path(result_path) if result_path is not None else None,
                     stem=output_stem(declaration.to_json()) if result_path is not None else sku)]


def _grade_pcr(subject, pcr):
    """The PCR to grade under: ``pcr`` (id or file) or the result's own, which must match."""
    from .core.errors import PeerGradingError
    from .pcr import load_pcr
    from .pcr.peers import check_subject

    check_subject(subject)
    rule = load_pcr(pcr if pcr is not None else subject.pcr)
    if rule.id != subject.pcr:
        raise PeerGradingError(f"the rule file is PCR {rule.id}, the result was assessed under {subject.pcr}; "
                               "grade under the result's own PCR").about("pcr")
    return rule


def _grade_against_registry(subjects: list, rule, registry, now: str) -> list:
    """Every subject against the registry's current footprint labels under its PCR."""
    from .pcr.peers import grade_against_peers
    from .registry.peers import current_label_peers

    with _store(registry, create=False, readonly=True) as store:
        found = current_label_peers(store, rule.id, now)
        path = getattr(store, "path", None)
    source = f"registry {path}" if path is not None else "PostgreSQL registry"
    grades = []
    for s in subjects:
        g = grade_against_peers(s.peer, found.peers, rule, kind="registry", source=source, date=now, graded_at=now,
                                name=s.name, nonconformities=s.nonconformities, skipped=found.skipped)
        inside = s.peer.id in found.products
        grades.append(dataclasses.replace(g, group=dataclasses.replace(g.group, includes_graded=inside)))
    return grades


def _grade_against_source(subjects: list, rule, peers: str, now: str) -> list:
    """Every subject against one group read from a batch summary or a folder of result files."""
    from .batch.peers import read_summary_peers, summary_file
    from .core.errors import SourceError
    from .pcr.peers import grade_against_peers

    path = Path(peers)
    if summary_file(path) is not None:
        summary = read_summary_peers(path)
        group, kind, source, date, skipped = ([r.peer for r in summary.ok()], "batch", summary.source, summary.date,
                                              summary.skipped())
        files = None
    elif path.is_dir():
        group, files, date = _folder_peers(path)
        kind, source, skipped = "results", str(path), {}
    else:
        raise SourceError(path, None, "not a peer group pcf can read: give a pcf batch --out folder (or its "
                                      "summary.csv / summary.parquet), a folder of *.result.json files, "
                                      "'registry' or 'pcr'").about("peers")
    grades = []
    for s in subjects:
        g = grade_against_peers(s.peer, group, rule, kind=kind, source=source, date=date, graded_at=now,
                                name=s.name, nonconformities=s.nonconformities, skipped=skipped)
        if files is not None:
            inside = s.path is not None and s.path.resolve() in files
            g = dataclasses.replace(g, group=dataclasses.replace(g.group, includes_graded=inside))
        grades.append(g)
    return grades


def _folder_peers(folder: Path):
    """The ``*.result.json`` files of a folder as peers (id: the file name), the resolved paths,
    and the newest result's ``created_at``."""
    from .core.errors import SourceError
    from .declaration import read_declaration
    from .declaration.peers import peer_of

    paths = sorted(folder.glob("*.result.json"))
    if not paths:
        raise SourceError(folder, None, "no *.result.json files here: not a folder of results, and no batch "
                                        "summary (summary.csv / summary.parquet)").about("peers")
    group, dates = [], []
    for p in paths:
        declaration = read_declaration(p)
        group.append(peer_of(declaration, p.name))
        dates.append(str(declaration.result.created_at))
    return group, {p.resolve() for p in paths}, max(dates)


def _write_grades(subjects: list, grades: list, out_dir, whole_batch: bool) -> dict[str, Path]:
    """``<stem>.grading.json`` per grade (and ``grades.csv`` for a whole batch), atomically."""
    import csv
    import io
    import json

    from .core.cells import safe_cell
    from .core.files import write_atomic

    if out_dir is None:
        return {}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[Path, bytes] = {}
    names: dict[str, Path] = {}
    for s, g in zip(subjects, grades):
        path = out / f"{s.stem}.grading.json"
        files[path] = (json.dumps(g.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        names[s.stem if whole_batch else "grading"] = path
    if whole_batch:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(["id", "declared_per_declared_unit", "unit", "reference", "statistic", "ratio", "level",
                         "levels", "indicative"])
        for g in grades:
            writer.writerow([safe_cell(g.result.id), repr(g.result.value), g.result.unit,
                             repr(g.group.reference.value), g.group.reference.statistic, repr(g.ratio), g.level,
                             len(g.levels), "true" if g.indicative else "false"])
        files[out / "grades.csv"] = text.getvalue().encode("utf-8")
        names["grades.csv"] = out / "grades.csv"
    write_atomic(files)
    return names
