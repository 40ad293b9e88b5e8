"""A declaration as a member of a peer group, or as the result graded against one
(:mod:`pcf.pcr.peers`, ``pcf grade``; issue 21 part 1)."""

from __future__ import annotations

from ..pcr.peers import Peer
from . import Declaration
from .comparison import declared_per_declared_unit


def peer_of(declaration: Declaration, id: str | None = None) -> Peer:
    """The declaration's figure and what a peer group matches on.

    Parameters
    ----------
    declaration : Declaration
    id : str, optional
        How the group names it (a result file's name); default the product id.

    Returns
    -------
    Peer
        ``value`` the declared figure [kg CO2e / declared unit] (None without a declared unit),
        ``pcr`` the assessment's PCR id (None without one), ``declared_unit`` the unit text,
        ``method``, ``conforms``.
    """
    result, assessment = declaration.result, declaration.assessment
    unit = result.product.declared_unit
    value = None
    if unit is not None and unit.per_reference_flow:
        value = declared_per_declared_unit(declaration)
    return Peer(id=id or result.product.id, value=value, pcr=None if assessment is None else assessment.pcr.id,
                declared_unit=None if unit is None else str(unit.unit), method=result.method,
                conforms=None if assessment is None else bool(assessment.conforms))


def nonconformities(declaration: Declaration) -> int | None:
    """How many nonconformities the declaration's assessment has (None without one)."""
    if declaration.assessment is None:
        return None
    return sum(1 for f in declaration.assessment.findings if f.severity == "nonconformity")
