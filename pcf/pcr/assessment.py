"""The PCR assessment of a footprint result: a tree of frozen records.

:func:`pcf.pcr.assess` checks a :class:`pcf.lca.result.FootprintResult` against a PCR and
returns an :class:`Assessment` (findings, performance class, conformance); it never writes
into the result. The figure that is graded is the declared one, handed in by the
:class:`pcf.declaration.Declaration`, which owns it; the ``declared_total`` object of the
JSON ``assessment`` is written by the declaration's codec from that figure.
"""

from __future__ import annotations

from typing import Any

from ..core.codec import ABSENT, from_json, key, record, to_json


@record
class PcrRef:
    """The PCR an assessment was made against.

    Attributes
    ----------
    id, version, title : str
    source : str
        Citation of its first source.
    """

    id: str
    version: str
    title: str
    source: str


@record
class Finding:
    """One finding of a PCR check.

    Attributes
    ----------
    rule : str
        Rule id, e.g. ``declared-unit``.
    clause : str
        Clause of the PCR's source, e.g. "Regulation (EU) 2023/1542 Art. 7(1)(d)".
    confidence : str
        P, S or W (NOTES.md): how well the clause is sourced.
    severity : str
        ``nonconformity`` or ``observation``.
    message, fix : str
        What is wrong and how to fix it.
    """

    rule: str
    clause: str
    confidence: str
    severity: str
    message: str
    fix: str


@record
class Threshold:
    """Upper bound of a performance class.

    Attributes
    ----------
    class_ : str
        JSON ``class``.
    max : float or None
        [kg CO2e / declared unit]; None for the last, open class.
    """

    class_: str = key("class")
    max: float | None


@record
class Grade:
    """A performance class (:func:`pcf.pcr.assess.grade`); for an alternative class set also
    its ``id`` and ``title``. Only ``id`` and ``title`` are present when the result has no
    figure to grade.

    Attributes
    ----------
    class_ : str or None
        JSON ``class``; None when the result is not graded (it does not conform).
    value : float
        The declared figure graded [kg CO2e / declared unit].
    unit : str
    thresholds : tuple of Threshold
    source, clause : str
    strict : bool
        Whether a value equal to a bound is above it.
    illustrative : bool
        Thresholds not fixed by the regulator.
    graded : bool
    reason : str or None
        Why the result is not graded.
    id, title : str or ABSENT
        Of an alternative class set.
    """

    id: str = ABSENT
    title: str = ABSENT
    class_: str | None = key("class", default=ABSENT)
    value: float = ABSENT
    unit: str = ABSENT
    thresholds: tuple[Threshold, ...] = ABSENT
    source: str = ABSENT
    clause: str = ABSENT
    strict: bool = ABSENT
    illustrative: bool = ABSENT
    graded: bool = ABSENT
    reason: str | None = ABSENT


@record
class ContentItem:
    """One item of a declaration or report checklist (:mod:`pcf.pcr.contents`).

    Attributes
    ----------
    item : str
        Item id.
    zh, en : str
        Its names.
    text : str or None
        What the PCR asks.
    status : str
        ``present``, ``missing`` or ``not checked``.
    found : str or None
        What was found in the result.
    severity, clause, confidence : str
    """

    item: str
    zh: str
    en: str
    text: str | None
    status: str
    found: str | None
    severity: str
    clause: str
    confidence: str


@record
class Contents:
    """The PCR's declaration and report checklists (None where the PCR has no such rule)."""

    declaration: tuple[ContentItem, ...] | None = None
    report: tuple[ContentItem, ...] | None = None


@record
class LabelRule:
    """The PCR's label rules.

    Attributes
    ----------
    validity_years : float or None
        Validity period of a label [years].
    clause, confidence, note : str
    """

    validity_years: float | None
    clause: str
    confidence: str
    note: str | None


@record
class Assessment:
    """A footprint result checked against a PCR.

    Attributes
    ----------
    pcr : PcrRef
    conforms : bool
        No nonconformity among the findings.
    findings : tuple of Finding
    stages : dict of str to float or None
        PCR stage name -> [kg CO2e / declared unit] (None without a usable declared unit).
    performance_class : Grade or None
        None when the PCR defines no classes or there is no figure per declared unit.
    alternative_classes : tuple of Grade
        The PCR's other class sets.
    electricity : dict or None
        The electricity mode checked: ``{mode, selected_by, default_mode, modes, description,
        clause, confidence, note, sources, grid_level, same_country, checked}``; None when the
        PCR has no electricity rules.
    contents : Contents
    label : LabelRule or None
    """

    pcr: PcrRef
    conforms: bool
    findings: tuple[Finding, ...]
    stages: dict[str, float | None]
    performance_class: Grade | None
    alternative_classes: tuple[Grade, ...] = ()
    electricity: dict[str, Any] | None = None
    contents: Contents = Contents()
    label: LabelRule | None = None

    @property
    def nonconformities(self) -> tuple[Finding, ...]:
        """The findings of severity ``nonconformity``."""
        return tuple(f for f in self.findings if f.severity == "nonconformity")

    def to_json(self) -> dict[str, Any]:
        """JSON values of the assessment (``declared_total`` is added by the declaration)."""
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Assessment":
        """Build from JSON values (a ``declared_total`` key is ignored: the declaration owns it).

        Raises
        ------
        pcf.core.codec.CodecError
        """
        return from_json(cls, {k: v for k, v in data.items() if k != "declared_total"})
