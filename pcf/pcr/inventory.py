"""How ``pcr-inventory`` findings are named (issue 21): the PCR lint writes them
(:func:`pcf.pcr.lint.lint_inventory`) into a result's ``lint`` record and the assessment reads
them back (:func:`pcf.pcr.requirements.check_inventory`). A module of its own so that the
assessment, which never sees the model, does not load the model's lint and loader for two names
(``pcf issue`` assesses every result it labels).
"""

from __future__ import annotations

from .schema import PCR

#: The ``check`` of every ``pcr-inventory`` finding.
INVENTORY_CHECK = "pcr-inventory"


def inventory_tag(pcr: PCR, flow) -> str:
    """How every ``pcr-inventory`` finding about ``flow`` under ``pcr`` starts (the assessment
    finds the findings of a flow by it)."""
    return f"PCR {pcr.id!r} inventory: {flow.name} ({flow.substance})"
