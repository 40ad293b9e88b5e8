"""Recompute a declaration: does the model given now give the figure that was declared?

``pcf recompute DECLARATION --model MODEL`` (docs/recompute.md) reads a recorded declaration
(a ``pcf-result/1`` file, or an issued label document), computes the model again with the
options the declaration records (:func:`recompute_options`) and compares the two
(:func:`compare_recomputed`):

- the inputs the declaration records: the model file's SHA-256, the supplier footprints read
  (their SHA-256), the background (name and content hash) and each database drawn on (content
  hash), the method (id and the content hash of its characterisation factors), the PCR
  (id and version), the accounting rule, the parameter values, the software (pcf and
  Brightway versions);
- the declared figure (:meth:`pcf.declaration.Declaration.declared_value`) per reference flow
  and per declared unit, to :data:`REL_TOL` relative.

Exit status of the command (:attr:`Recomputation.exit_code`): 0 only when nothing differs;
1 when anything does, also a recorded input with the same declared value (the declaration's
evidence then does not describe the computation that reproduced it, so it is not
reproduced); bad input is a :class:`pcf.core.errors.PCFError` (exit 2) raised before any
comparison.

This module compares; it computes nothing itself (:func:`pcf.api.recompute` runs the
computation with :func:`pcf.api.compute`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.codec import ABSENT
from ..core.numbers import figure, signed
from . import Declaration

REL_TOL = 1e-9
"""Relative tolerance of "same declared value" [-] (issue 14 part 6)."""

ABS_TOL = 1e-12
"""Absolute tolerance for figures near zero [kg CO2e]."""


@dataclass(frozen=True)
class RecomputeOptions:
    """The options a declaration records, to compute its model again with.

    Attributes
    ----------
    pcr_id : str or None
        The PCR the declaration was assessed against (``study.pcr``).
    method : str
        Method id (``method``).
    scenario : str or None
        Scenario name (``scenario.name``), None for the model as written.
    electricity_mode : str or None
        The electricity mode requested (``assessment.electricity.mode`` when
        ``selected_by`` is ``requested``); None: the PCR's default.
    overrides : dict of str to float or None
        Parameter values of a ``pcf batch`` row (``batch.overrides``); None otherwise (a
        ``pcf footprint`` result uses the model's own parameters).
    notes : tuple of str
        What is not recomputed, and why.
    """

    pcr_id: str | None
    method: str
    scenario: str | None
    electricity_mode: str | None
    overrides: dict[str, float] | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Difference:
    """One thing that differs between the declaration and its recomputation.

    Attributes
    ----------
    what : str
        What differs, e.g. ``model sha256``, ``database pcf-open-default sha256``,
        ``declared value per declared unit``.
    recorded, now
        The value the declaration records and the one found now (None: not there).
    relative : float or None
        ``(now - recorded) / |recorded|`` for figures [-]; None for hashes and names.
    unit : str
        Unit of a figure (``kg CO2e / reference flow``), ``""`` otherwise.
    """

    what: str
    recorded: Any
    now: Any
    relative: float | None = None
    unit: str = ""

    def text(self) -> str:
        """One line: ``what: recorded <x>, now <y>`` (figures with their unit and relative
        difference)."""
        if self.unit:
            rel = "" if self.relative is None else f" ({signed(100 * self.relative)} % relative)"
            return f"{self.what}: recorded {_figure(self.recorded)}, now {_figure(self.now)} [{self.unit}]{rel}"
        return f"{self.what}: recorded {_shown(self.recorded)}, now {_shown(self.now)}"


@dataclass(frozen=True)
class Recomputation:
    """What :func:`compare_recomputed` found.

    Attributes
    ----------
    recorded, recomputed : Declaration
        The declaration read and the one computed now.
    inputs : tuple of Difference
        Recorded inputs that differ (hashes, method, PCR, parameters, software).
    values : tuple of Difference
        Declared figures that differ by more than :data:`REL_TOL` (and the performance class).
    checked : tuple of str
        What was compared (for the report of a match).
    notes : tuple of str
        What could not be compared or was not recomputed, and why.
    """

    recorded: Declaration
    recomputed: Declaration
    inputs: tuple[Difference, ...]
    values: tuple[Difference, ...]
    checked: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def same_value(self) -> bool:
        """The declared figure is the same, per reference flow and per declared unit."""
        return not self.values

    @property
    def same(self) -> bool:
        """Same declared figure and the same recorded inputs."""
        return not self.values and not self.inputs

    @property
    def exit_code(self) -> int:
        """0 when :attr:`same`, else 1 (a changed input with the same value too)."""
        return 0 if self.same else 1

    def lines(self) -> list[str]:
        """The verdict and every difference, one per line (what ``pcf recompute`` prints)."""
        r = self.recorded
        value = r.declared_value("reference_flow")
        per_du = r.declared_value("declared_unit")
        unit = r.result.product.declared_unit
        figure = f"{_figure(value)} kg CO2e / reference flow"
        if per_du is not None and unit is not None:
            figure += f", {_figure(per_du)} kg CO2e / {unit.unit}"
        head = "same declared value" if self.same_value else "different declared value"
        out = [f"{head} ({figure} recorded)"]
        out += [f"  {d.text()}" for d in self.values]
        if self.inputs:
            out.append(f"{len(self.inputs)} recorded input{'s differ' if len(self.inputs) != 1 else ' differs'}:")
            out += [f"  {d.text()}" for d in self.inputs]
        elif self.same_value:
            out.append("same inputs: " + ", ".join(self.checked))
        out += [f"note: {n}" for n in self.notes]
        return out


def recompute_options(recorded: Declaration) -> RecomputeOptions:
    """The options to compute the model of ``recorded`` again with.

    The PCR, method, scenario and requested electricity mode are those the declaration
    records; a ``pcf batch`` result's row parameters are passed again (a ``pcf footprint``
    result took the model's own, so a changed parameter in the model shows as a difference).
    A Monte Carlo uncertainty is not recomputed: the declared figure is the deterministic one
    and does not depend on it.

    Parameters
    ----------
    recorded : Declaration

    Returns
    -------
    RecomputeOptions
    """
    result = recorded.result
    notes = []
    electricity = recorded.assessment.electricity if recorded.assessment is not None else None
    mode = None
    if isinstance(electricity, dict) and electricity.get("selected_by") == "requested":
        mode = electricity.get("mode")
    overrides = dict(recorded.batch.overrides) if recorded.batch is not ABSENT else None
    if result.uncertainty is not None:
        u = result.uncertainty
        held = " --no-default-uncertainty" if u.defaults and not u.defaults.applied else ""  # issue 14 part 5
        notes.append(f"the Monte Carlo uncertainty ({u.iterations} iterations, seed {u.seed}) is not recomputed: "
                     "the declared value is the deterministic figure; `pcf footprint --monte-carlo "
                     f"{u.requested} --seed {u.seed}{held}` draws the same samples again")
    return RecomputeOptions(pcr_id=result.study.pcr, method=result.method,
                            scenario=result.scenario.name if result.scenario is not None else None,
                            electricity_mode=mode, overrides=overrides, notes=tuple(notes))


def compare_recomputed(recorded: Declaration, recomputed: Declaration,
                       notes: tuple[str, ...] = ()) -> Recomputation:
    """Compare a declaration with the one computed again from its model.

    Parameters
    ----------
    recorded : Declaration
        As read (a result file, or an issued label document turned into a declaration).
    recomputed : Declaration
        Computed now with :func:`recompute_options` of ``recorded``.
    notes : tuple of str
        Notes of the caller (e.g. what a label document does not record).

    Returns
    -------
    Recomputation
        Differences of the recorded inputs and of the declared figures; declared figures agree
        when within :data:`REL_TOL` relative (or :data:`ABS_TOL` absolute near zero).
    """
    inputs: list[Difference] = []
    checked: list[str] = []
    more_notes = list(notes)
    for check in (_model, _suppliers, _background, _method, _pcr, _parameters, _software):
        found, name, note = check(recorded, recomputed)
        inputs += found
        if name:
            checked.append(name)
        if note:
            more_notes.append(note)
    return Recomputation(recorded=recorded, recomputed=recomputed, inputs=tuple(inputs),
                         values=tuple(_values(recorded, recomputed)), checked=tuple(checked),
                         notes=tuple(more_notes))


# --------------------------------------------------------------------------- the checks
# Each returns (differences, name of what was checked or "", note or "").


def _model(recorded: Declaration, now: Declaration):
    old, new = recorded.result.model_sha256.lower(), now.result.model_sha256.lower()
    same = new.startswith(old) if len(old) < len(new) else old == new  # a label may state a prefix
    return ([] if same else [Difference("model sha256", old, new)]), "model sha256", ""


def _suppliers(recorded: Declaration, now: Declaration):
    def by_file(d: Declaration) -> dict[str, str | None]:
        return {Path(str(s.get("file") or "")).name: s.get("sha256") for s in d.result.provenance.supplier_footprints}

    old, new = by_file(recorded), by_file(now)
    diffs = [Difference(f"supplier footprint {name} sha256", old.get(name), new.get(name))
             for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]
    return diffs, ("supplier footprints sha256" if old or new else ""), ""


def _background(recorded: Declaration, now: Declaration):
    r, n = recorded.result, now.result
    diffs = []
    if r.background != n.background:
        diffs.append(Difference("background", r.background, n.background))
    if (r.provenance.background_sha256 or None) != (n.provenance.background_sha256 or None):
        diffs.append(Difference(f"background {n.background} sha256", r.provenance.background_sha256,
                                n.provenance.background_sha256))
    old = {d.get("database"): d.get("sha256") for d in r.provenance.databases}
    new = {d.get("database"): d.get("sha256") for d in n.provenance.databases}
    for name in sorted(set(old) | set(new), key=str):
        if name not in old or name not in new:
            diffs.append(Difference(f"database {name}", "used" if name in old else None,
                                    "used" if name in new else None))
        elif old[name] != new[name]:
            diffs.append(Difference(f"database {name} sha256", old[name], new[name]))
    unhashed = sorted(str(k) for k, v in new.items() if not v and k in old)
    note = (f"database{'s' if len(unhashed) > 1 else ''} {', '.join(unhashed)} record{'' if len(unhashed) > 1 else 's'} "
            "no content hash: only the name is compared" if unhashed else "")
    return diffs, "background and database sha256", note


def _method(recorded: Declaration, now: Declaration):
    r, n = recorded.result, now.result
    diffs = []
    if r.method != n.method:
        diffs.append(Difference("method", r.method, n.method))
    old, new = r.provenance.method_sha256, n.provenance.method_sha256
    if old is ABSENT:
        return diffs, "method id", ("the declaration records no hash of the method's characterisation factors "
                                    "(a result written before pcf recorded it, or a label document): only the "
                                    "method id is compared")
    if old != (new or None):
        diffs.append(Difference(f"method {n.method} factors sha256", old, new or None))
    return diffs, "method id and factors sha256", ""


def _pcr(recorded: Declaration, now: Declaration):
    diffs = []
    ra, na = recorded.assessment, now.assessment
    old = (ra.pcr.id, ra.pcr.version) if ra is not None else (recorded.result.study.pcr, None)
    new = (na.pcr.id, na.pcr.version) if na is not None else (now.result.study.pcr, None)
    if old[0] != new[0]:
        diffs.append(Difference("PCR", old[0], new[0]))
    elif old[1] != new[1]:
        diffs.append(Difference(f"PCR {new[0]} version", old[1], new[1]))
    ro, no = recorded.accounting, now.accounting
    if (ro.declared_total, ro.dluc_included) != (no.declared_total, no.dluc_included):
        diffs.append(Difference("accounting rule", _rule(ro), _rule(no)))
    return diffs, "PCR and accounting rule", ""


def _parameters(recorded: Declaration, now: Declaration):
    old, new = recorded.result.parameters, now.result.parameters
    if not old and not recorded.result.model_file:  # a label document records no parameters
        return [], "", ""
    diffs = [Difference(f"parameter {name}", old.get(name), new.get(name))
             for name in sorted(set(old) | set(new)) if not _close(old.get(name), new.get(name))]
    return diffs, "parameters", ""


def _software(recorded: Declaration, now: Declaration):
    r, n = recorded.result, now.result
    diffs = []
    if r.software_version != n.software_version:
        diffs.append(Difference("pcf version", r.software_version, n.software_version))
    old, new = r.provenance.brightway, n.provenance.brightway
    if not old:  # a label document records none
        return diffs, "pcf version", ""
    diffs += [Difference(f"{name} version", old.get(name), new.get(name))
              for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]
    return diffs, "pcf and Brightway versions", ""


def _values(recorded: Declaration, now: Declaration) -> list[Difference]:
    """The declared figure per reference flow and per declared unit, and the class."""
    diffs = []
    du = now.result.product.declared_unit or recorded.result.product.declared_unit
    for per, what, unit in (("reference_flow", "declared value per reference flow", "kg CO2e / reference flow"),
                            ("declared_unit", "declared value per declared unit",
                             f"kg CO2e / {du.unit}" if du is not None else "kg CO2e / declared unit")):
        old, new = recorded.declared_value(per), now.declared_value(per)
        if not _close(old, new):
            relative = (new - old) / abs(old) if old and new is not None else None
            diffs.append(Difference(what, old, new, relative, unit))
    old_class, new_class = recorded.graded_class, now.graded_class
    if old_class != new_class:
        diffs.append(Difference("performance class", old_class, new_class))
    return diffs


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def _rule(rule) -> str:
    return f"{rule.declared_total}, dLUC {'included' if rule.dluc_included else 'excluded'}"


def _figure(x: Any) -> str:
    """A recorded or recomputed figure: up to 10 significant figures (enough to tell two apart)
    without trailing zeros, in plain notation (:func:`pcf.core.numbers.figure`): ``5``, ``0.5``."""
    if x is None:
        return "none"
    text = figure(x, 10)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _shown(x: Any) -> str:
    if isinstance(x, float):
        return _figure(x)
    return "none" if x is None or x == "" else str(x)
