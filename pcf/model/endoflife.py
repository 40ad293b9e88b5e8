"""Use stage over a service life, and end of life per material (cut-off or CFF).

Both turn into ordinary technosphere inputs of a foreground process, so Brightway computes
them like any other input; this module only works out the amounts.

Use stage
---------
An input or emission of a ``stage: use`` process with ``per: year`` (any time unit) is given
per that time; its amount per run of the process is ``amount x service_life / per``, where
``product.service_life`` is ``{amount, unit}`` in a time unit.

End of life per material (``processes[].end_of_life[]``), per kg of material of mass ``m``
--------------------------------------------------------------------------------------------
``cut_off`` (the default; recycled-content or 100:0 approach, ISO 14044:2006 4.3.4.3 closed-
or open-loop allocation by cut-off; GHG Protocol Product Standard "recycled content method")::

    material input   (1 - R1) Ev  +  R1 Erecycled
    end of life      R3 EER  +  (1 - R2 - R3) ED

The recycled content enters with the burdens of its own recycling only (``recycled``); the
material recycled at end of life leaves the system burden-free and without credit (its
recycling belongs to the next product system, so ``recycling`` and ``virgin_substituted`` are
not counted); energy recovered from the R3 share is not credited. Processes the whole product
undergoes before its materials are sorted (take-back, dismantling) are ordinary inputs of the
end-of-life process.

``cff``: the Circular Footprint Formula of the PEF method, Commission Recommendation (EU)
2021/2279, Annex I, section 4.4.8.1 (material, energy and disposal parts)::

    material   (1 - R1) Ev + R1 (A Erecycled + (1 - A) Ev Qsin/Qp)
               + (1 - A) R2 (ErecyclingEoL - E*v Qsout/Qp)
    energy     (1 - B) R3 (EER - LHV XER,heat ESE,heat - LHV XER,elec ESE,elec)
    disposal   (1 - R2 - R3) ED

The disposal term multiplies ED by ``1 - R2 - R3`` (the share neither recycled nor recovered),
as in the Recommendation; R1 (recycled content of the input) does not enter it. Negative terms
are credits. ``virgin`` (Ev) and ``recycled`` (Erecycled) give the material input; leave
``virgin`` out when the material's production is modelled as an ordinary input elsewhere.

References
----------
Commission Recommendation (EU) 2021/2279 of 15 December 2021 on the use of the Environmental
Footprint methods, Annex I (PEF method), 4.4.8 (end-of-life modelling, Circular Footprint
Formula), OJ L 471, 30.12.2021, corrected by OJ L 144, 23.5.2022.
ISO 14044:2006, 4.3.4.3 (allocation procedures for reuse and recycling).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from ..core.errors import UnitError
from ..core.units import dimension_name, parse_unit

#: term roles -> the field of the model entry that names the activity
ACTIVITY_FIELDS = ("virgin", "recycled", "recycling", "virgin_substituted", "energy_recovery",
                   "heat_substituted", "electricity_substituted", "disposal")
#: fields whose presence makes an entry model the end of life
EOL_FIELDS = ("R2", "R3", "recycling", "virgin_substituted", "energy_recovery", "heat_substituted",
              "electricity_substituted", "disposal", "LHV", "X_heat", "X_elec")


@dataclass(frozen=True)
class ResolvedTerm:
    """One term of an end-of-life entry as an input of its process.

    ``term`` names it as in the formula (``(1-R1)·Ev``); ``field`` is the model field naming the
    activity (``virgin``, ``disposal``, ...); ``side`` is ``material input`` or ``end of life``;
    ``factor`` is the term's amount per kg of material [kg / kg, or MJ / kg for substituted
    energy], negative for a credit; ``input`` is the resulting input (amount per run).
    """

    term: str
    field: str
    side: str
    factor: float
    input: Any  # ResolvedInput


@dataclass(frozen=True)
class ResolvedEndOfLife:
    """An end-of-life entry: ``material``, ``mass`` [kg per run], ``approach`` (``cut_off`` or
    ``cff``), the stated ``parameters`` (A, B, R1, R2, R3, Qsin/Qp, Qsout/Qp, LHV [MJ/kg],
    XER,heat, XER,elec; None when not stated) and the ``terms`` that were counted."""

    material: str
    mass: float
    approach: str
    parameters: dict
    terms: tuple
    line: int | None


def resolve_service_life(quantity, value: Callable, fail: Callable) -> tuple[float, str] | None:
    """``product.service_life`` as ``(amount, unit)``, or None when the model states none.

    Raises
    ------
    ModelError
        (through ``fail``) a unit that is not a time, or an amount that is not positive.
    """
    if quantity is None:
        return None
    loc = ("product", "service_life")
    amount = value(quantity.amount, loc + ("amount",))
    _time_unit(quantity.unit, loc + ("unit",), fail, "service_life")
    if amount <= 0:
        raise fail(loc + ("amount",), f"service life must be positive, got {amount}")
    return amount, quantity.unit


def per_factor(per: str | None, service_life: tuple[float, str] | None, stage: str, loc: tuple,
               fail: Callable) -> float:
    """Multiplier turning an amount ``per`` a time into the amount over the service life [-].

    ``1.0`` when ``per`` is None. E.g. ``per: year`` with a 30-year service life gives 30;
    ``per: month`` gives 360.

    Raises
    ------
    ModelError
        (through ``fail``) ``per`` outside a use-stage process, without ``product.service_life``,
        or not a time unit.
    """
    if per is None:
        return 1.0
    if stage != "use":
        raise fail(loc + ("per",), f"per: {per} goes with inputs and emissions of use-stage processes "
                                   f"(stage: use), not stage {stage}")
    if service_life is None:
        raise fail(loc + ("per",), f"per: {per} needs the product's service life: add "
                                   "product.service_life: {amount: 30, unit: year}")
    _time_unit(per, loc + ("per",), fail, "per")
    from ..core.units import conversion_factor

    return service_life[0] * conversion_factor(service_life[1], per)


def resolve_end_of_life(entry, loc: tuple, value: Callable, fail: Callable, make_input: Callable,
                        line: int | None) -> ResolvedEndOfLife:
    """Resolve one ``end_of_life`` entry into the inputs its terms become.

    A driver: the material's mass (:func:`_material_mass`), its shares and parameters
    (:func:`_read_shares`), what the approach needs (:func:`_check_required`), the terms of the
    cut-off or CFF formula (:func:`_formula_terms`), each term as an input.

    Parameters
    ----------
    entry : pcf.model.schema.EndOfLifeMaterial
    loc : tuple
        Its place in the model file, e.g. ``("processes", 3, "end_of_life", 0)``.
    value : callable
        ``value(expr, loc) -> float`` (evaluates amounts, raising ModelError).
    fail : callable
        ``fail(loc, message) -> ModelError``.
    make_input : callable
        ``make_input(activity, amount, unit, loc) -> ResolvedInput`` for an activity reference.
    line : int or None

    Returns
    -------
    ResolvedEndOfLife
        Terms with a zero factor are left out; amounts are per run of the process [kg, MJ].

    Raises
    ------
    ModelError
        (through ``fail``) a mass unit that is not a mass, a share or parameter outside 0..1,
        R2 + R3 > 1, a parameter or activity the approach needs and the entry does not state.
    """
    mass = _material_mass(entry, loc, value, fail)
    cff = entry.approach == "cff"
    has_input = entry.virgin is not None
    has_eol = any(getattr(entry, f) is not None for f in EOL_FIELDS)
    if not has_input and not has_eol:
        raise fail(loc, f"{entry.material!r} models neither its material input (virgin: {{background: KEY}}, "
                        "with R1 and recycled) nor its end of life (R2, R3, disposal, ...): state one or both")
    s = _read_shares(entry, loc, value, fail)
    _check_required(entry, loc, fail, s, cff, has_input, has_eol)
    resolved = []
    for term, field, side, f, unit in _formula_terms(entry, s, cff, has_input, has_eol):
        if f == 0.0:
            continue
        amount = f * mass  # kg (or MJ) per run of the process
        resolved.append(ResolvedTerm(term, field, side, f,
                                     make_input(getattr(entry, field), amount, unit, loc + (field,))))
    parameters = {"A": s.a, "B": s.b if cff else None, "R1": s.r1, "R2": s.r2 if has_eol else None,
                  "R3": s.r3 if has_eol else None, "Qsin/Qp": s.q_in, "Qsout/Qp": s.q_out,
                  "LHV": s.lhv, "XER,heat": s.x_heat, "XER,elec": s.x_elec}
    return ResolvedEndOfLife(entry.material, mass, entry.approach, parameters, tuple(resolved), line)


@dataclass(frozen=True)
class _Shares:
    """The shares and parameters of an end-of-life entry: R1, R2, R3 (0 when not stated), A, B
    (0 when not stated), Qsin/Qp, Qsout/Qp, XER,heat, XER,elec [-] and LHV [MJ/kg]; None where
    not stated and without a default."""

    r1: float
    r2: float
    r3: float
    a: float | None
    b: float
    q_in: float | None
    q_out: float | None
    x_heat: float | None
    x_elec: float | None
    lhv: float | None


def _material_mass(entry, loc: tuple, value: Callable, fail: Callable) -> float:
    """Mass of the end-of-life material [kg per run of the process].

    Raises
    ------
    ModelError
        (through ``fail``) a unit that is not a mass, or a negative mass.
    """
    mass = value(entry.mass, loc + ("mass",))
    try:
        unit_ok = dimension_name(entry.unit) == "mass"
    except UnitError as exc:
        raise fail(loc + ("unit",), str(exc)) from None
    if not unit_ok:
        raise fail(loc + ("unit",), f"the mass of an end-of-life material is a mass (kg, t, g), got {entry.unit!r}")
    from ..core.units import conversion_factor

    mass *= conversion_factor(entry.unit, "kg")
    if mass < 0:
        raise fail(loc + ("mass",), f"mass must be >= 0, got {mass}")
    return mass


def _share(entry, name: str, default: float | None, loc: tuple, value: Callable, fail: Callable) -> float | None:
    """The share ``name`` of the entry [-], ``default`` when not stated.

    Raises
    ------
    ModelError
        (through ``fail``) a value outside 0..1.
    """
    raw = getattr(entry, name)
    if raw is None:
        return default
    v = value(raw, loc + (name,))
    if not 0.0 <= v <= 1.0:
        raise fail(loc + (name,), f"{name} is a share between 0 and 1, got {v}")
    return v


def _read_shares(entry, loc: tuple, value: Callable, fail: Callable) -> _Shares:
    """The entry's shares and parameters (:class:`_Shares`).

    Raises
    ------
    ModelError
        (through ``fail``) a share outside 0..1 or a negative LHV.
    """
    share = partial(_share, entry, loc=loc, value=value, fail=fail)
    r1, r2, r3 = share("R1", 0.0), share("R2", 0.0), share("R3", 0.0)
    a, b = share("A", None), share("B", 0.0)
    q_in, q_out = share("Qsin_Qp", None), share("Qsout_Qp", None)
    x_heat, x_elec = share("X_heat", None), share("X_elec", None)
    lhv = value(entry.LHV, loc + ("LHV",)) if entry.LHV is not None else None
    if lhv is not None and lhv < 0:
        raise fail(loc + ("LHV",), f"LHV [MJ/kg] must be >= 0, got {lhv}")
    return _Shares(r1, r2, r3, a, b, q_in, q_out, x_heat, x_elec, lhv)


def _need(entry, loc: tuple, fail: Callable, cond: bool, name: str, why: str) -> None:
    """Raise (through ``fail``) when ``cond`` holds and the entry does not state ``name``."""
    if cond and getattr(entry, name) is None:
        raise fail(loc, f"{entry.material!r}: {why}: add {name}")


def _check_required(entry, loc: tuple, fail: Callable, s: _Shares, cff: bool, has_input: bool,
                    has_eol: bool) -> None:
    """Check that the entry states what its approach and shares need.

    Raises
    ------
    ModelError
        (through ``fail``) R2 + R3 > 1; R1 without the material input; a parameter or activity
        the cut-off or CFF terms need and the entry does not state; XER without LHV or without
        the substituted energy's activity.
    """
    r1, r2, r3 = s.r1, s.r2, s.r3
    if r2 + r3 > 1.0 + 1e-12:
        raise fail(loc + ("R3",), f"R2 + R3 = {r2 + r3:g} exceeds 1: the shares recycled and recovered "
                                  "cannot be more than the material")
    if r1 > 0 and not has_input:
        raise fail(loc + ("R1",), f"{entry.material!r}: R1 (recycled content) needs the material input: "
                                  "add virgin: {background: KEY} and recycled: {background: KEY}")
    _need(entry, loc, fail, has_input and r1 > 0, "recycled", "recycled content R1 > 0 needs the recycled material's activity")
    if cff:
        _need(entry, loc, fail, r1 > 0 or r2 > 0, "A", "the CFF needs the allocation factor A (PEF Annex C default for the "
                                                       "material, or the PCR's value)")
        _need(entry, loc, fail, r1 > 0, "Qsin_Qp", "the CFF with recycled content needs the quality ratio Qsin/Qp")
        _need(entry, loc, fail, r2 > 0, "Qsout_Qp", "the CFF with R2 > 0 needs the quality ratio Qsout/Qp")
        _need(entry, loc, fail, r2 > 0, "recycling", "the CFF with R2 > 0 needs the end-of-life recycling activity (ErecyclingEoL)")
        if r2 > 0 and entry.virgin is None:
            _need(entry, loc, fail, True, "virgin_substituted", "the CFF with R2 > 0 needs the virgin material the recycled "
                                                                "output substitutes (E*v)")
    _need(entry, loc, fail, r3 > 0, "energy_recovery", "R3 > 0 needs the energy recovery activity (EER)")
    _need(entry, loc, fail, has_eol and 1.0 - r2 - r3 > 1e-12, "disposal",
          f"the share 1 - R2 - R3 = {1.0 - r2 - r3:g} is disposed of and needs the disposal activity (ED)")
    for name, x, target in (("X_heat", s.x_heat, "heat_substituted"), ("X_elec", s.x_elec, "electricity_substituted")):
        if x is not None and s.lhv is None:
            raise fail(loc + (name,), f"{name} needs LHV [MJ/kg] of the material")
        if x is not None and getattr(entry, target) is None:
            raise fail(loc + (name,), f"{name} needs {target}: {{background: KEY}} (the energy it substitutes)")


def _formula_terms(entry, s: _Shares, cff: bool, has_input: bool,
                   has_eol: bool) -> list[tuple[str, str, str, float, str]]:
    """The terms of the cut-off or CFF formula (module docstring) as ``(term, field, side,
    factor, unit)``: ``factor`` per kg of material [kg / kg, or MJ / kg], negative for a
    credit; zero factors included."""
    r1, r2, r3, a, b, lhv = s.r1, s.r2, s.r3, s.a, s.b, s.lhv
    terms: list[tuple[str, str, str, float, str]] = []
    if has_input:
        terms.append(("(1-R1)·Ev", "virgin", "material input", 1.0 - r1, "kg"))
        if cff:
            terms.append(("R1·A·Erecycled", "recycled", "material input", r1 * a if r1 else 0.0, "kg"))
            terms.append(("R1·(1-A)·Ev·Qsin/Qp", "virgin", "material input",
                          r1 * (1.0 - a) * s.q_in if r1 else 0.0, "kg"))
        else:
            terms.append(("R1·Erecycled", "recycled", "material input", r1, "kg"))
    if has_eol:
        if cff:
            substituted = "virgin_substituted" if entry.virgin_substituted is not None else "virgin"
            terms.append(("(1-A)·R2·ErecyclingEoL", "recycling", "end of life", (1.0 - a) * r2 if r2 else 0.0, "kg"))
            terms.append(("-(1-A)·R2·E*v·Qsout/Qp", substituted, "end of life",
                          -(1.0 - a) * r2 * s.q_out if r2 else 0.0, "kg"))
            terms.append(("(1-B)·R3·EER", "energy_recovery", "end of life", (1.0 - b) * r3, "kg"))
            if s.x_heat is not None:
                terms.append(("-(1-B)·R3·LHV·XER,heat·ESE,heat", "heat_substituted", "end of life",
                              -(1.0 - b) * r3 * lhv * s.x_heat, "MJ"))
            if s.x_elec is not None:
                terms.append(("-(1-B)·R3·LHV·XER,elec·ESE,elec", "electricity_substituted", "end of life",
                              -(1.0 - b) * r3 * lhv * s.x_elec, "MJ"))
        else:
            terms.append(("R3·EER", "energy_recovery", "end of life", r3, "kg"))
        terms.append(("(1-R2-R3)·ED", "disposal", "end of life", max(0.0, 1.0 - r2 - r3), "kg"))
    return terms


def _time_unit(unit: str, loc: tuple, fail: Callable, what: str) -> None:
    try:
        parse_unit(unit)
        ok = dimension_name(unit) == "time"
    except UnitError as exc:
        raise fail(loc, str(exc)) from None
    if not ok:
        raise fail(loc, f"{what} is a time unit (year, month, day, h), got {unit!r} ({dimension_name(unit)})")
