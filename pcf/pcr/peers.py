"""Peer grading (issue 21 part 1): a declared figure against the figures of its peers.

A PCR's ``peer_grading:`` (:class:`pcf.pcr.schema.PeerGrading`, docs/pcr-format.md) says which
reference a result is compared with (the ``mean`` or ``median`` of its peer group), the
levels by the ratio of the result's declared figure to that reference (level 1: ratio at most
the first ``max_ratio``, ...; the last level is open-ended), the fewest peers a group may hold,
and optionally a reference value the PCR cites.

The peer group is what the caller hands in: :class:`Peer` records (an id, the declared figure
per declared unit, the PCR, declared unit and method it was computed under). pcf's api
gathers them from a batch summary, a folder of result files or the registry's current labels
(this room sits below those); :func:`peer_group` checks them and :func:`grade_against_peers`
grades. Everything here is a pure function of numbers and texts.

The group must be homogeneous: every peer under the result's PCR, declared unit and method
(a ratio between footprints of different functions or characterisations means nothing); a
group that mixes them is refused, naming what is mixed. A group smaller than the PCR's
minimum is refused. The graded result may itself be a member (a batch graded against its
own summary): the record says whether it is.

The idea of grading against an average comes from Hangzhou's 碳效码 (carbon-efficiency code:
an enterprise's carbon efficiency compared with the average of all industrial enterprises
and of its own industry, then given a level), as issue 21 describes it; its level bounds are
not in pcf's sources (pcr-sources/NOTES.md has no entry on it), so the shipped rule files
mark their bounds illustrative.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..core.codec import CodecError, from_json, record, to_json
from ..core.errors import PeerGradingError
from .schema import PCR, PeerGrading

FORMAT = "pcf-peer-grading/1"
"""Format id of the grading document (:class:`PeerGrade`)."""

KINDS = ("batch", "results", "registry", "pcr")
"""Where a peer group comes from: a batch summary, a folder of result files, the registry's
current labels, the reference value the PCR cites."""


@dataclass(frozen=True)
class Peer:
    """One member of a peer group (or the graded result itself).

    Attributes
    ----------
    id : str
        What names it where it comes from: a SKU id, a result file name, a label number.
    value : float or None
        Declared figure [kg CO2e / declared unit]; None when it has none.
    pcr : str or None
        PCR id it was assessed under.
    declared_unit : str or None
        The declared unit's unit text (``kWh``).
    method : str or None
        pcf method id (``ef-3.1-climate-change``).
    conforms : bool or None
        Whether it conforms to its PCR (None: not known, e.g. a summary-only batch row).
    """

    id: str
    value: float | None
    pcr: str | None
    declared_unit: str | None
    method: str | None
    conforms: bool | None = None


# ------------------------------------------------------------------ the grading document


@record
class LevelBound:
    """A level and its upper ratio bound (None: open-ended) [-]."""

    level: int
    max_ratio: float | None


@record
class GradedResult:
    """The result that is graded.

    Attributes
    ----------
    id : str
        Product id (the SKU of a batch row).
    name : str or None
    value : float
        Declared figure [``unit``].
    unit : str
        ``kg CO2e/<declared unit>``.
    conforms : bool or None
        Whether it conforms to the PCR (None: not known).
    nonconformities : int or None
    """

    id: str
    name: str | None
    value: float
    unit: str
    conforms: bool | None
    nonconformities: int | None


@record
class GroupReference:
    """The peer group's reference: ``statistic`` (mean or median) = ``value`` [``unit``]."""

    statistic: str
    value: float
    unit: str


@record
class PeerGroupRecord:
    """What the peer group held when the result was graded.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    source : str
        Where it was read: a folder or file, the registry's location, the PCR's citation.
    date : str
        ISO 8601: when the group's figures were made (the newest result, the summary's last
        change, the grading time for the registry, the cited value's date for ``pcr``).
    size : int or None
        Number of peers (for ``pcr``: how many products the cited value summarises, if known).
    members : tuple of str
        Their ids (SKU ids, result files, label numbers; empty for ``pcr``).
    includes_graded : bool or None
        Whether the graded result is one of them (None for ``pcr``).
    conforming : int or None
        How many members conform to the PCR (None: not known).
    skipped : dict of str to int
        What was read but is not in the group, by reason (``failed``: failed batch rows, ...).
    reference : GroupReference
    illustrative : bool
        True: the reference is pcf's illustrative value, not a published one (``pcr`` only).
    distribution : tuple of float
        The members' declared figures, sorted [``reference.unit``]: anonymous (no ids), for a
        strip or histogram.
    """

    kind: str
    source: str
    date: str
    size: int | None
    members: tuple[str, ...]
    includes_graded: bool | None
    conforming: int | None
    skipped: dict[str, int]
    reference: GroupReference
    illustrative: bool
    distribution: tuple[float, ...]


@record
class PeerGrade:
    """A result graded against its peer group (the ``pcf-peer-grading/1`` document).

    Attributes
    ----------
    format : str
        :data:`FORMAT`.
    graded_at : str
        ISO 8601 UTC.
    pcr_id, pcr_version : str
    declared_unit, method : str
        What the result and every peer share.
    result : GradedResult
    group : PeerGroupRecord
    ratio : float
        result.value / group.reference.value [-].
    level : int
        The level the ratio falls in (1 best).
    levels : tuple of LevelBound
    strict : bool
        True: a level needs ratio < max_ratio (else <=).
    source, clause, confidence : str
        Where the level bounds come from.
    illustrative : bool
        True: the level bounds are pcf's.
    rationale : str or None
    indicative : bool
        True when the result does not conform to the PCR (or its conformance is not known):
        the level is shown, but is not a grading under the PCR (``reason`` says why).
    reason : str or None
    """

    format: str
    graded_at: str
    pcr_id: str
    pcr_version: str
    declared_unit: str
    method: str
    result: GradedResult
    group: PeerGroupRecord
    ratio: float
    level: int
    levels: tuple[LevelBound, ...]
    strict: bool
    source: str
    clause: str
    confidence: str
    illustrative: bool
    rationale: str | None
    indicative: bool
    reason: str | None

    def to_json(self) -> dict:
        """The document as JSON values."""
        return to_json(self)

    @classmethod
    def from_json(cls, data) -> "PeerGrade":
        """Read a ``pcf-peer-grading/1`` document.

        Raises
        ------
        pcf.core.codec.CodecError
            Not such a document, a key missing or unknown, a value of the wrong kind, a level
            that is not one of its levels (the message gives the JSON path).
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            got = data.get("format") if isinstance(data, dict) else None
            raise CodecError("$.format", f"{got!r} is not a peer grading (expected {FORMAT!r}); "
                                         "write it with `pcf grade`")
        grade = from_json(cls, data)
        if grade.level not in [b.level for b in grade.levels]:
            raise CodecError("$.level", f"level {grade.level} is not one of the document's levels")
        return grade

    def label_line(self) -> str:
        """The grading as one bilingual line for a label, e.g. ``同类对标 第2级/共5级 Peer level 2
        of 5: 0.97 × median of 252 peers · 示例 illustrative · 参考 indicative``."""
        return label_line(self)

    def text(self) -> tuple[str, str]:
        """The one-line statement (English, Chinese), e.g. ``peer level 2 of 5 (ratio 0.93 to the
        mean of 252 peers)`` / ``同类对标 第2级（共5级）：为252个同类产品平均值的0.93倍``."""
        return grading_text(self)


# ------------------------------------------------------------------ the logic


def reference(values: Sequence[float], statistic: str) -> float:
    """The group's reference value.

    Parameters
    ----------
    values : sequence of float
        Declared figures [kg CO2e / declared unit], at least one.
    statistic : {"mean", "median"}
        Arithmetic mean (:func:`statistics.fmean`) or median (the middle value; the mean of
        the two middle values of an even count, :func:`statistics.median`).

    Returns
    -------
    float
        [same unit as ``values``].

    Raises
    ------
    ValueError
        No values, or an unknown statistic.
    """
    if not values:
        raise ValueError("a reference needs at least one value")
    if statistic == "mean":
        return statistics.fmean(values)
    if statistic == "median":
        return float(statistics.median(values))
    raise ValueError(f"unknown statistic {statistic!r}; use mean or median")


def level_of(ratio: float, rule: PeerGrading) -> int:
    """The level of a ratio: the first level whose ``max_ratio`` is >= ``ratio`` (> when the
    rule is ``strict``); the open-ended last level takes the rest.

    Parameters
    ----------
    ratio : float
        Declared figure / the group's reference [-].
    rule : PeerGrading

    Returns
    -------
    int
    """
    for bound in rule.levels:
        if bound.max_ratio is None or (ratio < bound.max_ratio if rule.strict else ratio <= bound.max_ratio):
            return bound.level
    return rule.levels[-1].level  # not reached: the loader makes the last level open-ended


def rule_of(pcr: PCR) -> PeerGrading:
    """The PCR's ``peer_grading``.

    Raises
    ------
    PeerGradingError
        The PCR has none (the message names it).
    """
    if pcr.peer_grading is None:
        raise PeerGradingError(
            f"PCR {pcr.id} v{pcr.version} defines no peer grading (no peer_grading: section), so its results "
            "cannot be graded against their peers; add one to the rule file (docs/pcr-format.md) or use a PCR "
            "that has one")
    return pcr.peer_grading


def check_subject(subject: Peer) -> float:
    """The graded result's declared figure.

    Raises
    ------
    PeerGradingError
        It has no PCR assessment, declared unit or method, or no finite declared figure per
        declared unit.
    """
    if subject.pcr is None:
        raise PeerGradingError(f"{subject.id} was not assessed against a PCR: peer grading is defined by the PCR's "
                               "peer_grading; set study.pcr in the model and compute it again")
    if subject.declared_unit is None or subject.value is None or not math.isfinite(subject.value):
        raise PeerGradingError(f"{subject.id} has no declared figure per declared unit: peers are compared per "
                               "declared unit; add product.declared_unit to the model and compute it again")
    return float(subject.value)


def _mixed(peers: Sequence[Peer], attribute: str, wanted: str | None) -> str | None:
    """What is mixed in one attribute of the group, or None."""
    counts = Counter(getattr(p, attribute) for p in peers)
    if set(counts) == {wanted}:
        return None
    parts = []
    for value, n in counts.most_common():
        ids = [p.id for p in peers if getattr(p, attribute) == value]
        shown = ", ".join(ids[:3]) + (", ..." if len(ids) > 3 else "")
        parts.append(f"{value if value is not None else 'none'} ({n}: {shown})")
    return "; ".join(parts)


def peer_group(subject: Peer, peers: Iterable[Peer], pcr: PCR) -> list[Peer]:
    """Check a peer group against the graded result and the PCR.

    Parameters
    ----------
    subject : Peer
        The graded result.
    peers : iterable of Peer
        The candidate group (already without what the source skips, e.g. failed batch rows).
    pcr : PCR
        The subject's PCR (its ``peer_grading``).

    Returns
    -------
    list of Peer
        The group, in the order given.

    Raises
    ------
    PeerGradingError
        The PCR has no peer grading; a peer under another PCR, declared unit or method than
        the subject's (the message lists each value with its count and first ids); a peer
        without a declared figure; fewer peers than ``peer_grading.min_group.size``; a reference
        that is not above zero (no ratio to it grades).
    """
    rule = rule_of(pcr)
    check_subject(subject)
    group = list(peers)
    for attribute, what in (("pcr", "PCRs"), ("declared_unit", "declared units"), ("method", "methods")):
        mixed = _mixed(group, attribute, getattr(subject, attribute)) if group else None
        if mixed:
            raise PeerGradingError(
                f"the peer group mixes {what} or differs from the graded result's "
                f"({getattr(subject, attribute)}): {mixed}; a peer group holds results under one PCR, declared unit "
                "and method, those of the graded result")
    missing = [p.id for p in group if p.value is None or not math.isfinite(p.value)]
    if missing:
        raise PeerGradingError(f"{len(missing)} peer(s) have no declared figure per declared unit: "
                               f"{', '.join(missing[:5])}; leave them out of the group")
    minimum = rule.min_group.size
    if len(group) < minimum:
        why = "an illustrative minimum, not the rule-maker's" if rule.min_group.illustrative else rule.min_group.source
        raise PeerGradingError(f"the peer group holds {len(group)} result(s); PCR {pcr.id}'s peer grading needs at "
                               f"least {minimum} ({why}); grade against a larger group")
    ref = reference([p.value for p in group], rule.statistic)
    _check_reference(ref, rule.statistic)
    return group


def _check_reference(value: float, statistic: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise PeerGradingError(f"the peer group's {statistic} is {value!r} kg CO2e per declared unit: a ratio to a "
                               "reference that is not above zero does not grade; use another group")


def grade_against_peers(subject: Peer, group: Sequence[Peer], pcr: PCR, *, kind: str, source: str, date: str,
                        graded_at: str, name: str | None = None, nonconformities: int | None = None,
                        skipped: dict[str, int] | None = None) -> PeerGrade:
    """Grade a result against a peer group (:func:`peer_group` checks it first).

    Parameters
    ----------
    subject : Peer
        The graded result (its ``value`` [kg CO2e / declared unit]).
    group : sequence of Peer
        The peers (the subject may be one of them: matched by id).
    pcr : PCR
    kind : str
        One of :data:`KINDS` except ``pcr`` (:func:`grade_against_reference`).
    source, date : str
        Where the group was read and when its figures were made (ISO 8601).
    graded_at : str
        ISO 8601 UTC.
    name : str, optional
        The product's name.
    nonconformities : int, optional
    skipped : dict, optional
        What the source read but left out, by reason.

    Returns
    -------
    PeerGrade

    Raises
    ------
    PeerGradingError
        As :func:`peer_group`.
    """
    if kind not in KINDS[:-1]:
        raise ValueError(f"kind must be one of {KINDS[:-1]}, got {kind!r}")
    group = peer_group(subject, group, pcr)
    rule = rule_of(pcr)
    values = [float(p.value) for p in group]
    ref = GroupReference(statistic=rule.statistic, value=reference(values, rule.statistic),
                         unit=f"kg CO2e/{subject.declared_unit}")
    known = [p.conforms for p in group]
    record_ = PeerGroupRecord(
        kind=kind, source=source, date=date, size=len(group), members=tuple(p.id for p in group),
        includes_graded=any(p.id == subject.id for p in group),
        conforming=None if any(c is None for c in known) else sum(1 for c in known if c),
        skipped=dict(skipped or {}), reference=ref, illustrative=False, distribution=tuple(sorted(values)))
    return _grade(subject, record_, pcr, graded_at, name, nonconformities)


def grade_against_reference(subject: Peer, pcr: PCR, *, graded_at: str, name: str | None = None,
                            nonconformities: int | None = None) -> PeerGrade:
    """Grade a result against the reference value its PCR cites (``peer_grading.reference_value``).

    Raises
    ------
    PeerGradingError
        The PCR has no peer grading or cites no reference value (the message names the PCR);
        the result has no declared figure, or another declared unit or method than the PCR's.
    """
    rule = rule_of(pcr)
    check_subject(subject)
    cited = rule.reference_value
    if cited is None:
        raise PeerGradingError(f"PCR {pcr.id} v{pcr.version} cites no reference value (peer_grading.reference_value); "
                               "grade against a batch summary, a folder of results or the registry instead")
    expected_unit = cited.unit.removeprefix("kg CO2e/")
    if subject.declared_unit != expected_unit:
        raise PeerGradingError(f"the reference value is per {expected_unit}, the result's declared unit is "
                               f"{subject.declared_unit}; compute the result per the PCR's declared unit")
    if subject.method != pcr.method.id:
        raise PeerGradingError(f"the result was computed with {subject.method}, the PCR's reference value is under "
                               f"its method {pcr.method.id}; compute the result with {pcr.method.id}")
    ref = GroupReference(statistic=cited.statistic, value=cited.value, unit=cited.unit)
    record_ = PeerGroupRecord(
        kind="pcr", source=cited.source, date=cited.date or "", size=cited.group_size, members=(),
        includes_graded=None, conforming=None, skipped={}, reference=ref, illustrative=cited.illustrative,
        distribution=())
    return _grade(subject, record_, pcr, graded_at, name, nonconformities)


def _grade(subject: Peer, group: PeerGroupRecord, pcr: PCR, graded_at: str, name: str | None,
           nonconformities: int | None) -> PeerGrade:
    rule = rule_of(pcr)
    value = check_subject(subject)
    ratio = value / group.reference.value
    indicative = subject.conforms is not True
    reason = None
    if subject.conforms is False:
        reason = (f"the result does not conform to PCR {pcr.id} ({nonconformities if nonconformities is not None else 'some'} "
                  "nonconformities): the level is indicative, not a grading under the PCR")
    elif subject.conforms is None:
        reason = "the result's conformance to the PCR is not known: the level is indicative"
    return PeerGrade(
        format=FORMAT, graded_at=graded_at, pcr_id=pcr.id, pcr_version=pcr.version,
        declared_unit=str(subject.declared_unit), method=str(subject.method),
        result=GradedResult(id=subject.id, name=name, value=value, unit=group.reference.unit,
                            conforms=subject.conforms, nonconformities=nonconformities),
        group=group, ratio=ratio, level=level_of(ratio, rule),
        levels=tuple(LevelBound(level=b.level, max_ratio=b.max_ratio) for b in rule.levels),
        strict=rule.strict, source=rule.source, clause=rule.clause, confidence=rule.confidence,
        illustrative=rule.illustrative, rationale=rule.rationale, indicative=indicative, reason=reason)


_STAT_ZH = {"mean": "平均值", "median": "中位数"}


def ratio_text(ratio: float, bounds: Sequence[float | None]) -> str:
    """The ratio with two decimals, or more where two would show a level bound the ratio is not
    (0.8007 is ``0.801``, not ``0.80``, next to the bound 0.8); at most six."""
    for digits in range(2, 7):
        text = f"{ratio:.{digits}f}"
        if not any(b is not None and float(text) == b and ratio != b for b in bounds):
            return text
    return f"{ratio:.6f}"


def grading_text(grade: PeerGrade) -> tuple[str, str]:
    """The grading in one line, English and Chinese.

    Returns
    -------
    (str, str)
        ``peer level 2 of 5 (ratio 0.93 to the mean of 252 peers)`` and
        ``同类对标 第2级（共5级）：为252个同类产品平均值的0.93倍``; for a cited reference ``... to the
        mean cited by PCR eu-battery-cfb-ev``; ``, indicative`` / ``，仅供参考`` when the result
        does not conform; ``illustrative levels`` when the bounds are pcf's.
    """
    n = len(grade.levels)
    stat = grade.group.reference.statistic
    ratio = ratio_text(grade.ratio, [b.max_ratio for b in grade.levels])
    if grade.group.kind == "pcr":
        of_en = f"the {stat} cited by PCR {grade.pcr_id}"
        of_zh = f"PCR {grade.pcr_id} 引用的{_STAT_ZH.get(stat, stat)}"
    else:
        of_en = f"the {stat} of {grade.group.size} peers"
        of_zh = f"{grade.group.size}个同类产品{_STAT_ZH.get(stat, stat)}"
    en = f"peer level {grade.level} of {n} (ratio {ratio} to {of_en})"
    zh = f"同类对标 第{grade.level}级（共{n}级）：为{of_zh}的{ratio}倍"
    if grade.illustrative:
        en, zh = en + ", illustrative levels", zh + "，分级界限为示例"
    if grade.indicative:
        en, zh = en + ", indicative", zh + "，仅供参考"
    return en, zh


def label_line(grade: PeerGrade) -> str:
    """:meth:`PeerGrade.label_line`: level, ratio and group in one bilingual line; ``示例
    illustrative`` when the level bounds (or the cited reference) are pcf's, ``参考 indicative``
    when the result does not conform."""
    n = len(grade.levels)
    ratio = ratio_text(grade.ratio, [b.max_ratio for b in grade.levels])
    stat = grade.group.reference.statistic
    of = (f"{stat} cited by the PCR" if grade.group.kind == "pcr" else f"{stat} of {grade.group.size} peers")
    line = f"同类对标 第{grade.level}级/共{n}级 Peer level {grade.level} of {n}: {ratio} × {of}"
    if grade.illustrative or grade.group.illustrative:
        line += " · 示例 illustrative"
    if grade.indicative:
        line += " · 参考 indicative"
    return line
