"""One library function per command line verb (the CLI only parses, calls and prints)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PCFError
from .lca import footprint, write_result
from .model import load_model


@dataclass
class FootprintRun:
    """What :func:`run_footprint` produced.

    Attributes
    ----------
    result : dict
        The result JSON dict (docs/result-json.md).
    files : dict of str to Path
        Kind (``result``, ``label.svg``, ``label.pdf``, ``report``) -> file written.
    """

    result: dict
    files: dict[str, Path] = field(default_factory=dict)


def assess_result(result: dict, pcr_id, electricity_mode: str | None = None) -> dict | None:
    """PCR assessment of a result dict, or None when no PCR is named.

    Parameters
    ----------
    pcr_id : str, Path or pcf.pcr.PCR
        A PCR id, a rule file's path, or an already loaded PCR.
    electricity_mode : str, optional
        Mode of the PCR's electricity rules (``pcf check --electricity-mode``); default the
        PCR's ``electricity.default_mode``.

    Raises
    ------
    PCRError
        Unknown PCR id or invalid PCR file.
    PCFError
        ``electricity_mode`` is given without a PCR, or is not one of the PCR's modes.
    """
    if not pcr_id:
        if electricity_mode:
            raise PCFError(f"--electricity-mode {electricity_mode!r} needs a PCR: pass --pcr ID or set study.pcr")
        return None
    from .pcr import PCR, assess, load_pcr

    pcr = pcr_id if isinstance(pcr_id, PCR) else load_pcr(pcr_id)
    if electricity_mode:
        modes = [m.id for m in pcr.electricity.modes] if pcr.electricity else []
        if electricity_mode not in modes:
            raise PCFError(f"--electricity-mode {electricity_mode!r}: PCR {pcr.id!r} has "
                           + (f"the electricity modes {', '.join(modes)}" if modes else "no electricity rules"))
    return assess(result, pcr, electricity_mode)


def compute(model_path: str | Path, pcr_id: str | None = None, method: str | None = None,
            overrides: dict[str, float] | None = None, electricity_mode: str | None = None) -> dict:
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
        Parameter values replacing the model's.
    electricity_mode : str, optional
        Mode of the PCR's electricity rules (see :func:`assess_result`).

    Returns
    -------
    dict
        The result JSON dict, with ``assessment`` filled when a PCR applies.

    Raises
    ------
    PCFError
        Any invalid input (``ModelError`` with ``file:line``), missing background,
        calculation failure.
    """
    system = load_model(model_path, overrides=overrides)
    if method:
        system.model.study.method = method
    pcr_id = pcr_id or system.model.study.pcr
    pcr = None
    if pcr_id:
        from .pcr import load_pcr

        pcr = load_pcr(pcr_id)
    result = footprint(system, pcr=pcr).to_dict()  # the PCR's ghg_accounting selects totals.declared
    result["assessment"] = assess_result(result, pcr, electricity_mode)
    return result


def run_footprint(model_path: str | Path, out_dir: str | Path, label: bool = False, report: bool = False,
                  method: str | None = None, electricity_mode: str | None = None) -> FootprintRun:
    """``pcf footprint``: compute, then write the result JSON (and label / report) atomically.

    Every output is first produced in a staging folder inside ``out_dir`` and moved in only
    when all succeeded, so a failure leaves no partial output.

    Returns
    -------
    FootprintRun

    Raises
    ------
    PCFError
        As :func:`compute`, or :class:`pcf.errors.RenderError`.
    """
    result = compute(model_path, method=method, electricity_mode=electricity_mode)
    out = Path(out_dir)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".pcf-staging-", dir=out))
    try:
        staged = {"result": write_result(result, staging)}
        if label:
            from .render import render_label

            for kind, path in render_label(result, staging).items():
                staged[f"label.{kind}"] = path
        if report:
            from .render import render_report

            staged["report"] = render_report(result, staging)
        files = {}
        for kind, path in staged.items():
            target = out / Path(path).name
            Path(path).replace(target)
            files[kind] = target
        return FootprintRun(result, files)
    except BaseException:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def render_outputs(result_path: str | Path, out_dir: str | Path, what: str) -> dict[str, Path]:
    """``pcf label`` / ``pcf report``: render from a result JSON file.

    Parameters
    ----------
    what : {"label", "report"}

    Raises
    ------
    SourceError
        The result file is missing or not a ``pcf-result/1`` document.
    RenderError
        Rendering failed.
    """
    from .lca import read_result
    from .render import render_label, render_report

    result = read_result(result_path)
    if what == "label":
        return {str(k): Path(v) for k, v in render_label(result, Path(out_dir)).items()}
    if what == "report":
        return {"report": Path(render_report(result, Path(out_dir)))}
    raise PCFError(f"unknown output {what!r}")
