"""The accounting rule: which total a declaration declares, and whether dLUC counts in it.

:mod:`pcf.lca.biogenic` computes every total a rule can select (``including_biogenic``,
``excluding_biogenic``, see its docstring); the rule that picks one is the declaration's: the
PCR's ``ghg_accounting`` section, or the study standard's default (:data:`STANDARD_RULES`).
:meth:`pcf.declaration.Declaration.declared_value` applies it.

References
----------
ISO 14067:2018 6.4.9.2 and 7.3 (clause numbers as in NOTES.md §5; the 2012 DIS 6.3.9.2 text
"shall be included in the CFP and documented separately" was seen).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

BASES: tuple[str, ...] = ("including_biogenic", "excluding_biogenic")
"""Totals a rule can declare (:mod:`pcf.lca.biogenic`)."""


@dataclass(frozen=True)
class AccountingRule:
    """Which total is declared, and where that rule comes from.

    Attributes
    ----------
    declared_total : {"including_biogenic", "excluding_biogenic"}
        One of :data:`BASES` (a result file naming another is refused when read).
    dluc_included : bool
        Whether dLUC emissions count in the declared figure.
    description, clause, confidence : str
        What the rule says, the clause it comes from, and its confidence tag (P, S, W as in
        NOTES.md).
    source : str
        ``ISO 14067:2018 (standard default)`` or ``PCR <id> <version>``.
    note : str or None
        What was not verified, or how the rule was applied.
    """

    declared_total: Literal["including_biogenic", "excluding_biogenic"]
    dluc_included: bool
    description: str
    clause: str
    confidence: str
    source: str
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The rule as the JSON object ``totals.rule`` of docs/result-json.md."""
        return asdict(self)


ISO_14067 = AccountingRule(
    declared_total="including_biogenic",
    dluc_included=True,
    description=("Fossil and biogenic GHG emissions and removals and dLUC emissions are included in the CFP "
                 "(biogenic CO2 +1, its uptake -1) and documented separately in the CFP study report."),
    clause="ISO 14067:2018 6.4.9.2 and 7.3 (numbering after NOTES.md §5; ISO/DIS 14067:2012 6.3.9.2 wording seen)",
    confidence="S",
    source="ISO 14067:2018 (standard default)",
)
"""The ISO 14067:2018 rule: every category, dLUC included."""

STANDARD_RULES: dict[str, AccountingRule] = {
    "ISO 14067:2018": ISO_14067,
    "GB/T 24067-2024": AccountingRule(
        declared_total="including_biogenic", dluc_included=True, description=ISO_14067.description,
        clause="GB/T 24067-2024, following ISO 14067:2018 6.4.9.2 and 7.3",
        confidence="W", source="GB/T 24067-2024 (standard default)",
        note="Separate reporting in GB/T 24067-2024 is likely but was not verified (NOTES.md §3a).",
    ),
}
"""Default rule of each study standard, used when no PCR states one."""


def rule_for(pcr: Any = None, standard: str = "ISO 14067:2018") -> AccountingRule:
    """The accounting rule that applies to a study.

    Parameters
    ----------
    pcr : pcf.pcr.PCR or None
        The PCR the result is declared under; its ``ghg_accounting`` section decides. Without
        a PCR, or when the PCR states no rule, the study standard's default applies.
    standard : str
        ``study.standard`` of the model (an unknown one gets the ISO 14067:2018 rule).

    Returns
    -------
    AccountingRule
    """
    default = STANDARD_RULES.get(standard, ISO_14067)
    section = getattr(pcr, "ghg_accounting", None)
    if section is None:
        if pcr is None:
            return default
        note = f"PCR {pcr.id} states no rule for biogenic carbon and dLUC; the standard's default applies."
        return AccountingRule(**{**default.to_dict(), "note": note})
    return AccountingRule(
        declared_total=section.declared_total, dluc_included=section.dluc == "included",
        description=section.description, clause=section.clause, confidence=section.confidence,
        source=f"PCR {pcr.id} {pcr.version}", note=section.note,
    )
