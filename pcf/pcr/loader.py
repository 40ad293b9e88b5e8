"""Find, load and validate product category rule files (``pcr_rules/<id>.yaml``).

Every problem with a rule file is raised as :class:`pcf.core.errors.PCRError` whose text starts
with ``path:line:`` and says how to fix it.
"""

from __future__ import annotations

import difflib
import functools
import re
import types
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

from ..core.errors import ExpressionError, PCRError
from ..core.shipped import shipped
from ..model.exprsyntax import names_in
from ..core.yamlsrc import LineMap, Loc, format_loc, load_yaml
from ..core.vocabulary import STAGES
from .schema import PCR, PerformanceClasses

RULES_DIR = shipped("pcr_rules")
"""Directory of the shipped rule files: ``<repo>/pcr_rules`` (installed: ``pcf/_shipped/pcr_rules``)."""

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def list_pcrs(directory: str | Path | None = None) -> list[str]:
    """Ids of the rule files available.

    Parameters
    ----------
    directory : str or Path, optional
        Where to look; default :data:`RULES_DIR`.

    Returns
    -------
    list of str
        Sorted ids (file names without ``.yaml``).
    """
    folder = Path(directory) if directory is not None else RULES_DIR
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.yaml") if _ID_RE.match(p.stem))


def load_pcr(id_or_path: str | Path, directory: str | Path | None = None) -> PCR:
    """Load and validate a product category rule.

    Parameters
    ----------
    id_or_path : str or Path
        A rule id (``eu-battery-cfb-ev``, resolved to ``<directory>/<id>.yaml``) or the path
        of a rule file (anything that is a Path, contains a path separator or ends in
        ``.yaml`` / ``.yml``).
    directory : str or Path, optional
        Where ids are resolved; default :data:`RULES_DIR` (``<repo>/pcr_rules``).

    Returns
    -------
    PCR
        The validated rule.

    Raises
    ------
    PCRError
        Unknown id (the message lists the available ids), unreadable or invalid YAML, an
        unknown key, a value of the wrong type, or an inconsistent rule; the text starts
        with ``path:line:``.
    """
    path = _resolve(id_or_path, directory)
    data, lines = load_yaml(path, error=PCRError)
    if not isinstance(data, dict):
        raise PCRError(path, lines.line_of(()), "a PCR file must be a mapping of keys (format, id, ...)")
    try:
        pcr = PCR.model_validate(data)
    except ValidationError as exc:
        raise _to_pcr_error(exc, lines) from None
    _check(pcr, path, lines)
    return pcr


@functools.lru_cache(maxsize=64)
def shipped_rule(pcr_id: str, version: str) -> PCR | None:
    """The shipped rule file ``pcr_rules/<pcr_id>.yaml`` when its version is ``version``, else None.

    For text that names a rule by id and version (a result's assessment, a signed declaration
    of the registry): anything that is not a plain id (a path, ``..``) or a rule that fails to
    load gives None, never an error. Cached per process.

    Parameters
    ----------
    pcr_id : str
        The rule's ``id`` (``gbt-24067-generic``).
    version : str
        Its ``version`` (``"0.1"``).

    Returns
    -------
    PCR or None
    """
    if not isinstance(pcr_id, str) or not _ID_RE.match(pcr_id):
        return None
    try:
        pcr = load_pcr(pcr_id)
    except PCRError:
        return None
    return pcr if str(pcr.version) == str(version) else None


def _resolve(id_or_path: str | Path, directory: str | Path | None) -> Path:
    text = str(id_or_path)
    is_path = isinstance(id_or_path, Path) or "/" in text or "\\" in text or text.endswith((".yaml", ".yml"))
    if is_path:
        return Path(id_or_path)
    folder = Path(directory) if directory is not None else RULES_DIR
    path = folder / f"{text}.yaml"
    if not _ID_RE.match(text) or not path.is_file():
        available = ", ".join(list_pcrs(folder)) or "none"
        raise PCRError(
            path, None, f"unknown PCR id {text!r}; available ids: {available} (or give a rule file's path)"
        )
    return path


# --------------------------------------------------------------------------- shape errors


def _to_pcr_error(exc: ValidationError, lines: LineMap) -> PCRError:
    """The first error of a pydantic validation, as ``path:line: message``.

    Unknown keys come first (a typo also makes the intended key "missing"), then by line.
    """
    errors = sorted(
        exc.errors(), key=lambda e: (e["type"] != "extra_forbidden", lines.line_of(e["loc"]) or 0)
    )
    first = errors[0]
    loc = tuple(first["loc"])
    message = _describe(first, loc)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return PCRError(lines.path, lines.line_of(loc), message)


def _describe(error: dict, loc: Loc) -> str:
    where = format_loc(loc) or "document"
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _keys_at(loc[:-1])
        hint = ""
        close = difflib.get_close_matches(key, allowed, n=1)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        return f"{where}: unknown key {key!r}{hint} (allowed keys: {', '.join(allowed)})"
    if kind == "missing":
        return f"{where}: required key missing; add it (see docs/pcr-format.md)"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{where}: {error['input']!r} is not allowed; use one of {expected}"
    got = error.get("input")
    shown = f" (got {got!r})" if not isinstance(got, (dict, list)) else ""
    hint = "; put it in quotes" if kind == "string_type" and isinstance(got, (int, float, bool)) else ""
    if kind == "finite_number":
        hint = "; write a finite number (.nan, .inf and numbers beyond about 1.8e308 are not numbers here)"
    return f"{where}: {error['msg']}{shown}{hint}"


def _keys_at(loc: Loc) -> list[str]:
    """Keys the model allows at ``loc`` (for 'did you mean')."""
    model: type[BaseModel] | None = PCR
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        model = _model_in(field.annotation) if field else None
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) in (list, typing.Union):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


# --------------------------------------------------------------------------- consistency


def _check(pcr: PCR, path: Path, lines: LineMap) -> None:
    """Checks across parts of the file; raise PCRError at the offending line."""

    def fail(loc: Loc, message: str) -> typing.NoReturn:
        raise PCRError(path, lines.line_of(loc), f"{format_loc(loc)}: {message}")

    if pcr.id != path.stem:
        fail(("id",), f"id {pcr.id!r} differs from the file name {path.name!r}; make them equal")

    source_ids = [s.id for s in pcr.sources]
    for i, sid in enumerate(source_ids):
        if source_ids.index(sid) != i:
            fail(("sources", i, "id"), f"source id {sid!r} is used twice; make ids unique")

    du = pcr.declared_unit
    if du.per_reference_flow is not None and du.unit is None:
        fail(("declared_unit", "unit"), "a rule that fixes per_reference_flow must name the unit it counts")
    names = [p.name for p in du.parameters]
    for i, name in enumerate(names):
        if names.index(name) != i:
            fail(("declared_unit", "parameters", i, "name"), f"parameter {name!r} is listed twice")
    try:
        used = names_in(du.per_reference_flow) if du.per_reference_flow is not None else set()
    except ExpressionError as exc:
        fail(("declared_unit", "per_reference_flow"), f"{exc}; use numbers, names, + - * / ** ( ) min max")
    for name in sorted(used - set(names)):
        fail(
            ("declared_unit", "per_reference_flow"),
            f"the expression uses {name!r}, which is not in declared_unit.parameters; declare it",
        )

    mapped: dict[str, int] = {}
    stage_names: set[str] = set()
    for i, stage in enumerate(pcr.stages):
        if stage.name in stage_names:
            fail(("stages", i, "name"), f"stage name {stage.name!r} is used twice")
        stage_names.add(stage.name)
        for j, model_stage in enumerate(stage.model_stages):
            if model_stage in mapped:
                fail(
                    ("stages", i, "model_stages", j),
                    f"model stage {model_stage!r} is already mapped by stages[{mapped[model_stage]}]; "
                    "map each model stage onto one PCR stage",
                )
            mapped[model_stage] = i
    required, excluded = pcr.required_stages.stages, pcr.excluded_stages.stages
    for j, stage in enumerate(required):
        if stage not in mapped:
            fail(("required_stages", "stages", j),
                 f"required stage {stage!r} is not in any stages[].model_stages; map it")
    for j, stage in enumerate(excluded):
        if stage in mapped:
            fail(
                ("excluded_stages", "stages", j),
                f"stage {stage!r} is both excluded and mapped by stages[{mapped[stage]}]; choose one",
            )
    for stage in STAGES:
        if stage not in mapped and stage not in excluded:
            fail(("stages",), f"model stage {stage!r} is neither mapped onto a PCR stage nor excluded")

    if pcr.performance_classes is not None:
        _check_classes(pcr.performance_classes, pcr.declared_unit.unit, fail, ("performance_classes",))
    alternative_ids: list[str] = []
    for i, alt in enumerate(pcr.alternative_classes):
        if alt.id in alternative_ids:
            fail(("alternative_classes", i, "id"), f"class set {alt.id!r} is listed twice; make ids unique")
        alternative_ids.append(alt.id)
        _check_classes(alt, pcr.declared_unit.unit, fail, ("alternative_classes", i))
    if pcr.electricity is not None:
        _check_electricity(pcr.electricity, fail)
    if pcr.label is not None and pcr.label.low_carbon_limit is not None:
        _check_low_carbon(pcr.label.low_carbon_limit, pcr.declared_unit.unit, fail)
    if pcr.end_of_life is not None:
        for material, a in pcr.end_of_life.A.items():
            if not 0.0 <= a <= 1.0:
                fail(("end_of_life", "A", material), f"A of {material!r} is a share between 0 and 1, got {a}")
    for key in ("primary_data", "data_quality"):
        rule = getattr(pcr, key)
        if rule is not None:
            _check_threshold_rule(key, rule, excluded, fail)
    if pcr.gwp_basis is not None:
        if pcr.gwp_basis.illustrative and not pcr.gwp_basis.rationale:
            fail(("gwp_basis", "illustrative"), "illustrative thresholds need a rationale; add one")
        if pcr.gwp_basis.illustrative and pcr.gwp_basis.above != "observation":
            fail(("gwp_basis", "above"), "an illustrative threshold (pcf's, not the rule-maker's) can only give an "
                                         "observation; set above: observation")
    if pcr.peer_grading is not None:
        _check_peer_grading(pcr.peer_grading, pcr.declared_unit.unit, fail)
    _check_inventory(pcr.inventory, excluded, fail)
    for key in ("declaration", "report"):
        contents = getattr(pcr, key)
        if contents is None:
            continue
        seen: set[str] = set()
        for i, item in enumerate(contents.items):
            if item.item == "other" and not item.text:
                fail((key, "items", i, "text"), "an item 'other' needs text: what the verifier has to confirm")
            if item.item != "other" and item.item in seen:
                fail((key, "items", i, "item"), f"item {item.item!r} is listed twice")
            seen.add(item.item)


def _check_threshold_rule(key: str, rule, excluded: list[str],
                          fail: typing.Callable[[Loc, str], typing.NoReturn]) -> None:
    """primary_data / data_quality: something to check, illustrative thresholds only observe."""
    limits = ("stages", "min_share") if key == "primary_data" else ("max_dqr", "min_coverage")
    if not any(getattr(rule, name) for name in limits):
        fail((key,), f"{key} sets nothing to check; give {' or '.join(limits)}")
    if rule.illustrative and not rule.rationale:
        fail((key, "illustrative"), "illustrative thresholds need a rationale; add one")
    if rule.illustrative and rule.severity != "observation":
        fail((key, "severity"), "an illustrative threshold (pcf's, not the rule-maker's) can only give an "
                                "observation; set severity: observation")
    for j, stage in enumerate(getattr(rule, "stages", [])):
        if stage in excluded:
            fail((key, "stages", j), f"stage {stage!r} is excluded from the system boundary; drop it here")


def _check_electricity(rules, fail: typing.Callable[[Loc, str], typing.NoReturn]) -> None:
    """Modes unique, the default one of them, instruments and evidence only with contractual."""
    ids = [m.id for m in rules.modes]
    for i, mode in enumerate(rules.modes):
        loc = ("electricity", "modes", i)
        if ids.index(mode.id) != i:
            fail(loc + ("id",), f"mode {mode.id!r} is listed twice; make mode ids unique")
        if mode.sources.contractual == "not_accepted" and (mode.instruments or mode.evidence):
            fail(loc + ("instruments" if mode.instruments else "evidence",),
                 "instruments and evidence go with sources.contractual accepted or unknown; drop them")
        if mode.evidence and not mode.evidence_clause:
            fail(loc + ("evidence",), "evidence needs evidence_clause: the clause the criteria come from")
        if mode.sources.grid == "not_accepted" and mode.grid_level == "national":
            fail(loc + ("grid_level",), "grid_level applies to an accepted grid; drop it or accept the grid")
    if rules.default_mode not in ids:
        fail(("electricity", "default_mode"),
             f"default_mode {rules.default_mode!r} is not one of the modes ({', '.join(ids)})")
    if rules.max_age_years is not None and not rules.age_clause:
        fail(("electricity", "max_age_years"), "max_age_years needs age_clause: the clause it comes from")


def _check_per_declared_unit(at: Loc, needs: str, no_rationale: str, figure, declared_unit: str | None,
                             fail: typing.Callable[[Loc, str], typing.NoReturn]) -> None:
    """A limit or a set of class thresholds (``figure``: ``unit``, ``illustrative``, ``rationale``)
    is in kg CO2e per the declared unit, and an illustrative one says why (``needs``: how the
    messages start, e.g. ``performance classes need``; ``no_rationale`` the refusal of an
    illustrative figure without a rationale)."""
    if declared_unit is None:
        fail(at, f"{needs} a declared unit: set declared_unit.unit")
    expected_unit = f"kg CO2e/{declared_unit}"
    if figure.unit != expected_unit:
        fail(at + ("unit",), f"unit {figure.unit!r} must be {expected_unit!r} (per the declared unit)")
    if figure.illustrative and not figure.rationale:
        fail(at + ("illustrative",), no_rationale)


def _check_low_carbon(limit, declared_unit: str | None, fail: typing.Callable[[Loc, str], typing.NoReturn]) -> None:
    """``label.low_carbon_limit``: per the declared unit; an illustrative limit says why."""
    _check_per_declared_unit(("label", "low_carbon_limit"), "a low-carbon limit needs",
                             "an illustrative limit needs a rationale; add one", limit, declared_unit, fail)


def _check_classes(
    pc: PerformanceClasses, declared_unit: str | None, fail: typing.Callable[[Loc, str], typing.NoReturn],
    at: Loc = ("performance_classes",),
) -> None:
    _check_per_declared_unit(at, "performance classes need", "illustrative thresholds need a rationale; add one",
                             pc, declared_unit, fail)
    seen: set[str] = set()
    previous: float | None = None
    last = len(pc.thresholds) - 1
    for i, threshold in enumerate(pc.thresholds):
        loc = at + ("thresholds", i)
        if threshold.class_ in seen:
            fail(loc + ("class",), f"class {threshold.class_!r} is listed twice")
        seen.add(threshold.class_)
        if threshold.max is None:
            if i != last:
                fail(loc + ("max",), "only the last threshold may be open-ended (max: null)")
            continue
        if previous is not None and not threshold.max > previous:
            fail(loc + ("max",), f"max {threshold.max} must be greater than the previous max {previous}")
        previous = threshold.max


def _check_peer_grading(rule, declared_unit: str | None, fail: typing.Callable[[Loc, str], typing.NoReturn]) -> None:
    """``peer_grading``: levels 1..n with rising ratio bounds and an open-ended last one; every
    illustrative figure says why; a cited reference is per the declared unit and of the grading's
    statistic."""
    at: Loc = ("peer_grading",)
    last = len(rule.levels) - 1
    previous: float | None = None
    for i, level in enumerate(rule.levels):
        loc = at + ("levels", i)
        if level.level != i + 1:
            fail(loc + ("level",), f"level {level.level} is listed as number {i + 1}; number the levels 1, 2, ... in order")
        if level.max_ratio is None:
            if i != last:
                fail(loc + ("max_ratio",), "only the last level may be open-ended (max_ratio: null)")
            continue
        if i == last:
            fail(loc + ("max_ratio",), "the last level must be open-ended (max_ratio: null), so that every ratio "
                                       "gets a level")
        if previous is not None and not level.max_ratio > previous:
            fail(loc + ("max_ratio",), f"max_ratio {level.max_ratio} must be greater than the previous {previous}")
        previous = level.max_ratio
    if rule.illustrative and not rule.rationale:
        fail(at + ("illustrative",), "illustrative level bounds need a rationale; add one")
    if rule.min_group.illustrative and not rule.min_group.rationale:
        fail(at + ("min_group", "illustrative"), "an illustrative minimum group size needs a rationale; add one")
    ref = rule.reference_value
    if ref is not None:
        _check_per_declared_unit(at + ("reference_value",), "a reference value needs",
                                 "an illustrative reference value needs a rationale; add one", ref, declared_unit, fail)
        if ref.statistic != rule.statistic:
            fail(at + ("reference_value", "statistic"),
                 f"the reference value is a {ref.statistic} but the levels are ratios to the {rule.statistic}; "
                 "cite a value of the same statistic")


def _check_inventory(rule, excluded: list[str], fail: typing.Callable[[Loc, str], typing.NoReturn]) -> None:
    """``inventory`` (if any): each flow listed once (by any of its names), its stages inside the boundary."""
    if rule is None:
        return
    seen: dict[str, int] = {}
    for i, flow in enumerate(rule.flows):
        for name in [flow.substance, *flow.synonyms]:
            key = name.strip().lower()
            if key in seen and seen[key] != i:
                fail(("inventory", "flows", i), f"{name!r} already names inventory.flows[{seen[key]}]; list each "
                                                "flow once")
            seen[key] = i
    for j, stage in enumerate(rule.stages):
        if stage in excluded:
            fail(("inventory", "stages", j), f"stage {stage!r} is excluded from the system boundary; drop it here")
