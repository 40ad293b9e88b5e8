"""Named scenarios of a product model (``scenarios:``): parameter values and input or
transport swaps applied to the model as written.

The model as written is the scenario ``base``. :func:`apply_scenario` returns a changed
copy of the parsed model and of its line map, in which every swapped input or leg points
at the scenario entry that swapped it, so an error found later (an unknown background key,
a unit that does not convert to the new activity's unit) reads ``file:line`` of the
scenario. Sensitivity and scenario analysis: ISO 14067:2018 6.4.5 and 6.6.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..core.errors import ModelError
from ..core.yamlsrc import LineMap, format_loc
from .schema import ID_PATTERN, Input, ProductModel, TransportLeg

BASE = "base"
"""Name of the model as written."""
RESERVED = (BASE, "all")
"""Names a scenario may not take: ``base`` is the model as written, ``all`` means every scenario."""

_TARGET_FIELDS = ("process", "background", "database", "supplier_pcf", "code", "name", "location",
                  "reference_product")


@dataclass(frozen=True)
class AppliedScenario:
    """A scenario as applied to a model.

    Attributes
    ----------
    name, description : str
    parameters : dict of str to float
        The parameter values the scenario sets.
    replaced : list of dict
        ``{process, input (index in the process's inputs), from, to}``: each input swapped,
        described as written before and after.
    transport : list of dict
        ``{process, leg (index), from, to}``: each transport leg changed.
    locations : list of dict
        ``{process, from, to}``: each process moved to another location.
    line : int or None
        Line of the scenario in the model file.
    """

    name: str
    description: str
    parameters: dict[str, float]
    replaced: list[dict] = field(default_factory=list)
    transport: list[dict] = field(default_factory=list)
    line: int | None = None
    locations: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{name, description, parameters, replaced, transport, locations}`` for the result JSON."""
        return {"name": self.name, "description": self.description, "parameters": dict(self.parameters),
                "replaced": [dict(r) for r in self.replaced], "transport": [dict(t) for t in self.transport],
                "locations": [dict(m) for m in self.locations]}


def scenario_names(model: ProductModel) -> list[str]:
    """Names of the scenarios a model declares, in file order (``base`` not included)."""
    return list(model.scenarios)


def describe_input(inp: Input) -> str:
    """An input as a person would write it, e.g. ``background: steel, 2 kg``."""
    if inp.process is not None:
        target = f"process: {inp.process}"
    elif inp.background is not None:
        target = f"background: {inp.background}"
    elif inp.supplier_pcf is not None:
        target = f"supplier_pcf: {inp.supplier_pcf}"
    else:
        extra = "".join(f" [{v}]" for v in (inp.location, inp.reference_product) if v is not None)
        target = f"{inp.database}: " + (f"code {inp.code!r}" if inp.code is not None else f"{inp.name!r}{extra}")
    return f"{target}, {inp.amount} {inp.unit}"


def describe_leg(leg: TransportLeg) -> str:
    """A transport leg as a person would write it, e.g. ``lorry 100 km, 20 kg``."""
    what = [f"{leg.mass} {leg.mass_unit}"] if leg.mass is not None else []
    what += [f"{leg.volume} m3"] if leg.volume is not None else []
    via = ""
    if leg.activity is not None:
        via = f" via {leg.activity.background or leg.activity.database + ': ' + str(leg.activity.code or leg.activity.name)}"
    return f"{leg.mode} {leg.distance} {leg.distance_unit}, {' + '.join(what)}{via}"


def _input_matches(inp: Input, selector: str) -> bool:
    if inp.id is not None and inp.id == selector:
        return True
    if selector in (inp.process, inp.background, inp.code, inp.supplier_pcf):
        return True
    return inp.name is not None and inp.name.strip().lower() == selector.strip().lower()


def _relocate(lines: dict, target: tuple, source: tuple) -> None:
    """Make ``target`` and everything under it point at the lines of ``source`` (in place;
    ``source + ("with", ...)`` lines go to ``target + (...)``)."""
    for key in [k for k in lines if k[: len(target)] == target and len(k) > len(target)]:
        del lines[key]
    origin = dict(lines)
    lines[target] = origin[source]
    with_ = source + ("with",)
    for key, line in origin.items():
        if key[: len(with_)] == with_ and len(key) > len(with_):
            lines[target + key[len(with_):]] = line


def check_scenarios(model: ProductModel, path: Path, lines: LineMap) -> None:
    """Apply every scenario of ``model`` once, so that a model file with a broken scenario is
    rejected whichever scenario is computed.

    Raises
    ------
    ModelError
        As :func:`apply_scenario`, for the first broken scenario in file order.
    """
    for name in scenario_names(model):
        apply_scenario(model, name, path, lines)


def apply_scenario(model: ProductModel, name: str | None, path: Path, lines: LineMap,
                   ) -> tuple[ProductModel, LineMap, AppliedScenario | None]:
    """The model and its line map with scenario ``name`` applied.

    A driver: scenario names (:func:`_check_scenario_names`), parameters
    (:func:`_check_scenario_parameters`), input swaps (:func:`_replace_inputs`), transport
    changes (:func:`_change_legs`) and relocated processes (:func:`_move_processes`).

    Parameters
    ----------
    model : ProductModel
        The parsed model file (not changed).
    name : str or None
        A name under ``scenarios:``; None or ``"base"`` for the model as written.
    path : Path
        The model file (for error messages).
    lines : LineMap
        Its line map (not changed).

    Returns
    -------
    model : ProductModel
        A copy with the scenario's input and transport swaps made (the same object for
        ``base``). Parameter values are not applied here: ``load_model`` applies
        ``AppliedScenario.parameters`` before its own overrides.
    lines : LineMap
        A copy in which swapped inputs and legs point at the scenario entry.
    scenario : AppliedScenario or None
        None for ``base``.

    Raises
    ------
    ModelError
        ``file:line`` of the scenario entry for: an unknown scenario name (with the known
        ones), a reserved or badly formed scenario name, a parameter the model does not
        declare, an unknown process (also in ``locations``), an input or leg that matches nothing or (without
        ``all: true``) several, an input swapped twice, a swap that leaves an invalid leg.
    """
    _check_scenario_names(model, name, path, lines)
    if name is None or name == BASE:
        return model, lines, None
    scenario = model.scenarios[name]
    edit = _ScenarioEdit(model, name, path, lines, {p.id: i for i, p in enumerate(model.processes)},
                         model.model_copy(deep=True), dict(lines.lines), dict(lines.notes))
    _check_scenario_parameters(edit, scenario)
    replaced = _replace_inputs(edit, scenario)
    legs = _change_legs(edit, scenario)
    moved = _move_processes(edit, scenario)
    applied = AppliedScenario(name, scenario.description, dict(scenario.parameters), replaced, legs,
                              lines.line_of(edit.here), moved)
    return edit.new, LineMap(lines.path, edit.new_lines, edit.notes), applied


def _scenario_error(path: Path, lines: LineMap, loc: tuple, message: str) -> ModelError:
    """A :class:`ModelError` at ``loc`` (a key/index path) of the model file."""
    return ModelError(path, lines.line_of(loc), message)


def _check_scenario_names(model: ProductModel, name: str | None, path: Path, lines: LineMap) -> None:
    """Check the names declared under ``scenarios:`` and the one asked for.

    Raises
    ------
    ModelError
        A reserved or badly formed scenario name; ``name`` ``all`` or not declared.
    """
    for declared in model.scenarios:
        if declared in RESERVED:
            raise _scenario_error(path, lines, ("scenarios", declared), f"scenario name {declared!r} is reserved "
                                  f"({BASE!r} is the model as written, 'all' means every scenario): rename it")
        if not re.match(ID_PATTERN, declared):
            raise _scenario_error(path, lines, ("scenarios", declared), f"scenario name {declared!r} is not usable in "
                                  "file names: use letters, digits and _ . - (starting with a letter or digit)")
    if name is None or name == BASE:
        return
    if name == "all":
        raise _scenario_error(path, lines, ("scenarios",),
                              "'all' is not one scenario: `pcf compare MODEL` computes and compares every one")
    if name not in model.scenarios:
        known = ", ".join([BASE] + scenario_names(model))
        raise _scenario_error(path, lines, ("scenarios",), f"unknown scenario {name!r}; this model has: {known}")


@dataclass
class _ScenarioEdit:
    """One scenario being applied to a copy of the model.

    Attributes
    ----------
    model : ProductModel
        The model as written (read, not changed).
    name : str
        The scenario's name.
    path : Path
        The model file (for error messages).
    lines : LineMap
        The model's line map (read, not changed).
    ids : dict of str to int
        Process id -> index under ``processes:``.
    new : ProductModel
        The copy the swaps are made in.
    new_lines : dict
        The copy's lines (swapped entries point at their scenario entry).
    notes : dict
        The copy's notes appended to error messages about swapped entries.
    done : dict
        ``(process index, input index)`` or ``(process index, "leg", leg index)`` -> line of
        the scenario entry that swapped it.
    """

    model: ProductModel
    name: str
    path: Path
    lines: LineMap
    ids: dict[str, int]
    new: ProductModel
    new_lines: dict
    notes: dict
    done: dict[tuple, int] = field(default_factory=dict)

    @property
    def here(self) -> tuple:
        """Where the scenario is in the file."""
        return ("scenarios", self.name)

    def fail(self, loc: tuple, message: str) -> ModelError:
        """A :class:`ModelError` at ``loc`` of the model file (to be raised)."""
        return _scenario_error(self.path, self.lines, loc, message)


def _check_scenario_parameters(edit: _ScenarioEdit, scenario) -> None:
    """Raise a :class:`ModelError` when the scenario sets a parameter the model does not declare."""
    model = edit.model
    for pname in scenario.parameters:
        if pname not in model.parameters:
            raise edit.fail(edit.here + ("parameters", pname), f"scenario {edit.name!r} sets parameter {pname!r}, which the model "
                            f"does not declare (parameters: {', '.join(model.parameters) or 'none'})")


def _scope(edit: _ScenarioEdit, entry, loc: tuple) -> list[int]:
    """Indices of the processes a scenario entry looks in: its ``process``, or every process.

    Raises
    ------
    ModelError
        An unknown process.
    """
    if entry.process is None:
        return list(range(len(edit.model.processes)))
    if entry.process not in edit.ids:
        raise edit.fail(loc + ("process",), f"unknown process {entry.process!r}; defined processes: {', '.join(edit.ids)}")
    return [edit.ids[entry.process]]


def _pick(edit: _ScenarioEdit, found: list[tuple[int, int]], entry, loc: tuple, kind: str,
          key: str) -> list[tuple[int, int]]:
    """The matches of a replace (``kind`` input, ``key`` inputs) or transport entry
    (``leg``, ``transport``); none, or several without ``all: true``, is an error."""
    what = "transport leg" if kind == "leg" else kind
    if not found:
        where = f"process {entry.process!r}" if entry.process else "any process"
        hint = ("; an input is matched by its id, process id, background key, database code or activity name"
                if kind == "input" else "; a leg is matched by its name, or by its mode")
        raise edit.fail(loc + (kind,), f"no {what} of {where} matches {getattr(entry, kind)!r}{hint}")
    if len(found) > 1 and not entry.all:
        model, lines = edit.model, edit.lines
        shown = "; ".join(f"{format_loc(('processes', i, key, k))} of {model.processes[i].id!r} "
                          f"(line {lines.line_of(('processes', i, key, k))})" for i, k in found[:6])
        more = f" and {len(found) - 6} more" if len(found) > 6 else ""
        name_it = "give the input an id: and use that" if kind == "input" else "give the leg a name: and use that"
        raise edit.fail(loc + (kind,), f"{getattr(entry, kind)!r} matches {len(found)} {what}s: {shown}{more}; "
                        f"name the process, {name_it}, or set all: true to swap every one")
    return found


def _replace_inputs(edit: _ScenarioEdit, scenario) -> list[dict]:
    """Make the scenario's ``replace:`` swaps in ``edit.new``.

    Returns
    -------
    list of dict
        One ``{process, input, from, to}`` per input swapped.

    Raises
    ------
    ModelError
        An entry that matches no input or (without ``all: true``) several, an input swapped
        twice, a swap that leaves an invalid input.
    """
    replaced = []
    for j, entry in enumerate(scenario.replace):
        loc = edit.here + ("replace", j)
        found = []
        for i in _scope(edit, entry, loc):
            inputs = edit.model.processes[i].inputs
            with_id = [k for k, inp in enumerate(inputs) if inp.id == entry.input]
            found += [(i, k) for k in (with_id or [k for k, inp in enumerate(inputs) if _input_matches(inp, entry.input)])]
        for i, k in _pick(edit, found, entry, loc, "input", "inputs"):
            replaced.append(_swap_input(edit, i, k, entry, loc))
    return replaced


def _swap_input(edit: _ScenarioEdit, i: int, k: int, entry, loc: tuple) -> dict:
    """Swap input ``k`` of process ``i`` as ``entry`` (at ``loc``) says: a new target drops
    what described the old activity, a new amount drops its ``data`` statement.

    Returns
    -------
    dict
        ``{process, input, from, to}``.

    Raises
    ------
    ModelError
        The input is swapped already, or the swapped input is not valid.
    """
    model, lines = edit.model, edit.lines
    if (i, k) in edit.done:
        raise edit.fail(loc, f"{format_loc(('processes', i, 'inputs', k))} is already swapped by the entry on "
                        f"line {edit.done[(i, k)]}: swap an input once per scenario")
    edit.done[(i, k)] = lines.line_of(loc)
    old = model.processes[i].inputs[k]
    swap = entry.with_
    data = old.model_dump(exclude_none=True)
    if any(getattr(swap, f) is not None for f in ("process", "background", "database", "supplier_pcf")):
        for f in _TARGET_FIELDS + ("emission_factor", "dqr", "electricity"):  # they described the old activity
            data.pop(f, None)
    if swap.process is not None:
        data.pop("stage", None)  # a foreground input is reported in its process's stage
    if swap.amount is not None:
        data.pop("data", None)  # it said whether the old amount was primary
    data.update(swap.model_dump(exclude_none=True))
    changed = _put(edit, Input, data, ("processes", i, "inputs", k), loc,
                   f" (input {k + 1} of {model.processes[i].id!r} as scenario {edit.name!r} swaps it)")
    return {"process": model.processes[i].id, "input": k, "from": describe_input(old), "to": describe_input(changed)}


def _put(edit: _ScenarioEdit, kind, data: dict, where: tuple, loc: tuple, note: str):
    """Validate ``data`` as ``kind`` (Input or TransportLeg) and put it at ``where``
    (``("processes", i, "inputs" | "transport", k)``) of ``edit.new``; its errors point at the
    scenario entry ``loc``, and ``note`` tells later messages which scenario changed it.

    Raises
    ------
    ModelError
        The changed input or leg is not valid (at ``loc + ("with",)``).
    """
    try:
        changed = kind.model_validate(data)
    except ValidationError as exc:
        raise edit.fail(loc + ("with",), exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    _, i, field, k = where
    getattr(edit.new.processes[i], field)[k] = changed
    _relocate(edit.new_lines, where, loc)
    edit.notes[where] = note
    return changed


def _change_legs(edit: _ScenarioEdit, scenario) -> list[dict]:
    """Make the scenario's ``transport:`` changes in ``edit.new``.

    Returns
    -------
    list of dict
        One ``{process, leg, from, to}`` per transport leg changed.

    Raises
    ------
    ModelError
        An entry that matches no leg or (without ``all: true``) several, a leg changed twice,
        a change that leaves an invalid leg.
    """
    legs = []
    for j, entry in enumerate(scenario.transport):
        loc = edit.here + ("transport", j)
        found = []
        for i in _scope(edit, entry, loc):
            transport = edit.model.processes[i].transport
            named = [k for k, leg in enumerate(transport) if leg.name == entry.leg]
            found += [(i, k) for k in (named or [k for k, leg in enumerate(transport) if leg.mode == entry.leg])]
        for i, k in _pick(edit, found, entry, loc, "leg", "transport"):
            legs.append(_swap_leg(edit, i, k, entry, loc))
    return legs


def _swap_leg(edit: _ScenarioEdit, i: int, k: int, entry, loc: tuple) -> dict:
    """Change transport leg ``k`` of process ``i`` as ``entry`` (at ``loc``) says; a new mode
    drops the old leg's activity.

    Returns
    -------
    dict
        ``{process, leg, from, to}``.

    Raises
    ------
    ModelError
        The leg is changed already, or the changed leg is not valid.
    """
    model, lines = edit.model, edit.lines
    if (i, "leg", k) in edit.done:
        raise edit.fail(loc, f"{format_loc(('processes', i, 'transport', k))} is already changed by the entry on "
                        f"line {edit.done[(i, 'leg', k)]}: change a leg once per scenario")
    edit.done[(i, "leg", k)] = lines.line_of(loc)
    old = model.processes[i].transport[k]
    data = old.model_dump(exclude_none=True)
    given = entry.with_.model_dump(exclude_none=True)
    if "mode" in given:
        data.pop("activity", None)
    data.update(given)
    changed = _put(edit, TransportLeg, data, ("processes", i, "transport", k), loc,
                   f" (transport leg {k + 1} of {model.processes[i].id!r} as scenario {edit.name!r} changes it)")
    return {"process": model.processes[i].id, "leg": k, "from": describe_leg(old), "to": describe_leg(changed)}


def _move_processes(edit: _ScenarioEdit, scenario) -> list[dict]:
    """Give processes the locations of the scenario's ``locations:`` in ``edit.new``.

    Returns
    -------
    list of dict
        One ``{process, from, to}`` per process moved.

    Raises
    ------
    ModelError
        A process the model does not define.
    """
    moved = []
    for pid, location in scenario.locations.items():
        if pid not in edit.ids:
            raise edit.fail(edit.here + ("locations", pid), f"scenario {edit.name!r} moves process {pid!r}, which the "
                            f"model does not define (processes: {', '.join(edit.ids)})")
        moved.append({"process": pid, "from": edit.model.processes[edit.ids[pid]].location, "to": location})
        edit.new.processes[edit.ids[pid]].location = location
    return moved
