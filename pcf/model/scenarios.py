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

from ..errors import ModelError
from ..yamlsrc import LineMap, format_loc
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
    def fail(loc: tuple, message: str) -> ModelError:
        return ModelError(path, lines.line_of(loc), message)

    for declared in model.scenarios:
        if declared in RESERVED:
            raise fail(("scenarios", declared), f"scenario name {declared!r} is reserved "
                       f"({BASE!r} is the model as written, 'all' means every scenario): rename it")
        if not re.match(ID_PATTERN, declared):
            raise fail(("scenarios", declared), f"scenario name {declared!r} is not usable in file names: "
                       "use letters, digits and _ . - (starting with a letter or digit)")
    if name is None or name == BASE:
        return model, lines, None
    if name == "all":
        raise fail(("scenarios",), "'all' is not one scenario: `pcf compare MODEL` computes and compares every one")
    if name not in model.scenarios:
        known = ", ".join([BASE] + scenario_names(model))
        raise fail(("scenarios",), f"unknown scenario {name!r}; this model has: {known}")

    scenario = model.scenarios[name]
    here = ("scenarios", name)
    for pname in scenario.parameters:
        if pname not in model.parameters:
            raise fail(here + ("parameters", pname), f"scenario {name!r} sets parameter {pname!r}, which the model "
                       f"does not declare (parameters: {', '.join(model.parameters) or 'none'})")
    ids = {p.id: i for i, p in enumerate(model.processes)}
    new = model.model_copy(deep=True)
    new_lines = dict(lines.lines)
    notes = dict(lines.notes)
    replaced, legs = [], []

    def scope(entry, loc: tuple) -> list[int]:
        if entry.process is None:
            return list(range(len(model.processes)))
        if entry.process not in ids:
            raise fail(loc + ("process",), f"unknown process {entry.process!r}; defined processes: {', '.join(ids)}")
        return [ids[entry.process]]

    def pick(found: list[tuple[int, int]], entry, loc: tuple, kind: str, key: str) -> list[tuple[int, int]]:
        """The matches of a replace (``kind`` input, ``key`` inputs) or transport entry
        (``leg``, ``transport``); none, or several without ``all: true``, is an error."""
        what = "transport leg" if kind == "leg" else kind
        if not found:
            where = f"process {entry.process!r}" if entry.process else "any process"
            hint = ("; an input is matched by its id, process id, background key, database code or activity name"
                    if kind == "input" else "; a leg is matched by its name, or by its mode")
            raise fail(loc + (kind,), f"no {what} of {where} matches {getattr(entry, kind)!r}{hint}")
        if len(found) > 1 and not entry.all:
            shown = "; ".join(f"{format_loc(('processes', i, key, k))} of {model.processes[i].id!r} "
                              f"(line {lines.line_of(('processes', i, key, k))})" for i, k in found[:6])
            more = f" and {len(found) - 6} more" if len(found) > 6 else ""
            name_it = "give the input an id: and use that" if kind == "input" else "give the leg a name: and use that"
            raise fail(loc + (kind,), f"{getattr(entry, kind)!r} matches {len(found)} {what}s: {shown}{more}; "
                       f"name the process, {name_it}, or set all: true to swap every one")
        return found

    done: dict[tuple, int] = {}  # (process index, input index) -> line of the entry that swapped it
    for j, entry in enumerate(scenario.replace):
        loc = here + ("replace", j)
        found = []
        for i in scope(entry, loc):
            inputs = model.processes[i].inputs
            with_id = [k for k, inp in enumerate(inputs) if inp.id == entry.input]
            found += [(i, k) for k in (with_id or [k for k, inp in enumerate(inputs) if _input_matches(inp, entry.input)])]
        for i, k in pick(found, entry, loc, "input", "inputs"):
            if (i, k) in done:
                raise fail(loc, f"{format_loc(('processes', i, 'inputs', k))} is already swapped by the entry on "
                           f"line {done[(i, k)]}: swap an input once per scenario")
            done[(i, k)] = lines.line_of(loc)
            old = model.processes[i].inputs[k]
            swap = entry.with_
            data = old.model_dump(exclude_none=True)
            if any(getattr(swap, f) is not None for f in ("process", "background", "database", "supplier_pcf")):
                for f in _TARGET_FIELDS + ("emission_factor", "dqr", "electricity"):  # they described the old activity
                    data.pop(f, None)
            if swap.amount is not None:
                data.pop("data", None)  # it said whether the old amount was primary
            data.update(swap.model_dump(exclude_none=True))
            try:
                changed = Input.model_validate(data)
            except ValidationError as exc:
                raise fail(loc + ("with",), exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
            new.processes[i].inputs[k] = changed
            _relocate(new_lines, ("processes", i, "inputs", k), loc)
            notes[("processes", i, "inputs", k)] = (f" (input {k + 1} of {model.processes[i].id!r} as scenario "
                                                    f"{name!r} swaps it)")
            replaced.append({"process": model.processes[i].id, "input": k,
                             "from": describe_input(old), "to": describe_input(changed)})

    for j, entry in enumerate(scenario.transport):
        loc = here + ("transport", j)
        found = []
        for i in scope(entry, loc):
            transport = model.processes[i].transport
            named = [k for k, leg in enumerate(transport) if leg.name == entry.leg]
            found += [(i, k) for k in (named or [k for k, leg in enumerate(transport) if leg.mode == entry.leg])]
        for i, k in pick(found, entry, loc, "leg", "transport"):
            if (i, "leg", k) in done:
                raise fail(loc, f"{format_loc(('processes', i, 'transport', k))} is already changed by the entry on "
                           f"line {done[(i, 'leg', k)]}: change a leg once per scenario")
            done[(i, "leg", k)] = lines.line_of(loc)
            old = model.processes[i].transport[k]
            data = old.model_dump(exclude_none=True)
            given = entry.with_.model_dump(exclude_none=True)
            if "mode" in given:
                data.pop("activity", None)
            data.update(given)
            try:
                changed = TransportLeg.model_validate(data)
            except ValidationError as exc:
                raise fail(loc + ("with",), exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
            new.processes[i].transport[k] = changed
            _relocate(new_lines, ("processes", i, "transport", k), loc)
            notes[("processes", i, "transport", k)] = (f" (transport leg {k + 1} of {model.processes[i].id!r} as "
                                                       f"scenario {name!r} changes it)")
            legs.append({"process": model.processes[i].id, "leg": k,
                         "from": describe_leg(old), "to": describe_leg(changed)})

    moved = []
    for pid, location in scenario.locations.items():
        if pid not in ids:
            raise fail(here + ("locations", pid), f"scenario {name!r} moves process {pid!r}, which the model does "
                       f"not define (processes: {', '.join(ids)})")
        moved.append({"process": pid, "from": model.processes[ids[pid]].location, "to": location})
        new.processes[ids[pid]].location = location

    applied = AppliedScenario(name, scenario.description, dict(scenario.parameters), replaced, legs,
                              lines.line_of(here), moved)
    return new, LineMap(lines.path, new_lines, notes), applied
