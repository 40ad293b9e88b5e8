"""What a footprint needs to travel: the ``exchange:`` section of a model.

PACT, Catena-X and the Battery Pass ask for facts the calculation itself does not need: who
owns the data (company name and URN ids), how the product is identified and classified,
the mass of one product, its fossil carbon content, the reference period of the activity
data, the geography, whether packaging is inside the boundary, a link to the public study
and the verification. The section is optional; the exporters (:mod:`pcf.exchange`) say
which of its fields a format requires. Field reference: ``docs/model-format.md``;
mapping to each format: ``docs/exchange.md``.

References
----------
PACT Technical Specifications v2.3 and v3.0 (``ProductFootprint``, ``CarbonFootprint``);
PACT Methodology v3.0 3.2.3 (reference period, geography), 3.2.4 (declared unit, product
mass per declared unit), 3.3.2.4 (carbon content).
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, Literal, Union

import numpy as np

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..core.errors import UnitError
from ..core.units import conversion_factor, dimension_name

URN = r"^[uU][rR][nN]:"
"""A Uniform Resource Name (RFC 8141) as PACT checks it: it starts with ``urn:``."""

Expr = Union[float, int, str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Company(_Strict):
    """The data owner: ``name`` and one or more URN ``ids`` (e.g. ``urn:lei:...``,
    ``urn:pact:example.com:company-id:1``; Catena-X wants the BPNL as ``urn:bpn:id:BPNL...``)."""

    name: str = Field(min_length=1)
    ids: list[str] = Field(min_length=1)

    @field_validator("ids")
    @classmethod
    def _urns(cls, ids: list[str]) -> list[str]:
        return _check_urns(ids)


class ReferencePeriod(_Strict):
    """Period of the activity data, ``start`` (inclusive) to ``end`` (exclusive), dates."""

    start: date
    end: date

    @model_validator(mode="after")
    def _order(self) -> "ReferencePeriod":
        if self.end <= self.start:
            raise ValueError(f"reference_period: end ({self.end}) must be after start ({self.start})")
        return self


class Verification(_Strict):
    """A verification of the footprint by an independent party (PACT v3 ``Verification``)."""

    provider: str | None = None
    completed: date | None = None
    standard: str | None = None
    coverage: Literal["PCF calculation model", "PCF program", "product level"] | None = None
    comments: str | None = None


class Amount(_Strict):
    """``{amount, unit}`` of a mass, e.g. ``{amount: capacity_kwh * 5.03, unit: kg}``."""

    amount: Expr
    unit: str = "kg"
    source: str = ""


class Exchange(_Strict):
    """The optional ``exchange:`` section of a model (see the module docstring)."""

    company: Company | None = None
    product_ids: list[str] = []
    classifications: list[str] = []
    cpc: str | None = Field(default=None, pattern=r"^[0-9]{1,5}$")
    description: str = ""
    product_mass: Amount | None = None
    fossil_carbon_content: Amount | None = None
    packaging_included: bool | None = None
    reference_period: ReferencePeriod | None = None
    geography: str | None = None
    study_url: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
    verification: Verification | None = None

    @field_validator("product_ids", "classifications")
    @classmethod
    def _urns(cls, ids: list[str]) -> list[str]:
        return _check_urns(ids)


def _check_urns(ids: list[str]) -> list[str]:
    bad = [i for i in ids if not re.match(URN, i)]
    if bad:
        raise ValueError(f"not a URN (it starts with 'urn:'): {', '.join(repr(b) for b in bad)}")
    if len(set(ids)) != len(ids):
        raise ValueError("ids must not repeat")
    return ids


def resolve_exchange(section: Exchange | None, reference_location: str | None, value, fail,
                     declaration=None) -> dict[str, Any]:
    """The ``exchange`` field of a result: the section with its amounts evaluated.

    Parameters
    ----------
    section : Exchange or None
        The model's ``exchange:`` (None when absent).
    reference_location : str or None
        Location of the reference process, the default geography after the plant's country.
    value : callable
        ``value(expr, loc) -> float`` evaluates an amount over the parameters.
    fail : callable
        ``fail(loc, message) -> ModelError``.
    declaration : pcf.model.schema.Declaration, optional
        The model's ``declaration:``; its plant country and study link are the defaults of
        ``geography`` and ``study_url``.

    Returns
    -------
    dict
        ``{company: {name, ids} or None, product_ids, classifications, cpc, description,
        product_mass_kg [kg / reference flow] or None, fossil_carbon_content_kg_c [kg C /
        reference flow] or None, packaging_included, reference_period: {start, end} (ISO
        dates) or None, geography, geography_source, study_url, verification}``.

    Raises
    ------
    ModelError
        A mass that is not a mass, negative or not finite.
    """
    section = section or Exchange()
    base = ("exchange",)

    def mass(field: str, what: str) -> float | None:
        amount = getattr(section, field)
        if amount is None:
            return None
        loc = base + (field,)
        try:
            if dimension_name(amount.unit) != "mass":
                raise fail(loc + ("unit",), f"{what} is a mass: use kg, g or t, not {amount.unit!r}")
            factor = conversion_factor(amount.unit, "kg")
        except UnitError as exc:
            raise fail(loc + ("unit",), str(exc)) from None
        kg = value(amount.amount, loc + ("amount",)) * factor
        if not (np.isfinite(kg) and kg >= 0):
            raise fail(loc + ("amount",), f"{what} must be a finite number >= 0 [{amount.unit} per reference flow], got {kg}")
        return kg

    period = section.reference_period
    plant = getattr(declaration, "plant", None)
    country = getattr(plant, "country", "") or ""
    if section.geography:
        geography, geo_source = section.geography, "exchange.geography"
    elif country:
        geography, geo_source = country, "declaration.plant.country"
    else:
        geography, geo_source = reference_location, "location of the reference process"
    return {
        "company": section.company.model_dump() if section.company else None,
        "product_ids": list(section.product_ids),
        "classifications": list(section.classifications),
        "cpc": section.cpc,
        "description": section.description,
        "product_mass_kg": mass("product_mass", "the product mass"),
        "fossil_carbon_content_kg_c": mass("fossil_carbon_content", "the fossil carbon content"),
        "fossil_carbon_content_source": section.fossil_carbon_content.source if section.fossil_carbon_content else None,
        "packaging_included": section.packaging_included,
        "reference_period": {"start": period.start.isoformat(), "end": period.end.isoformat()} if period else None,
        "geography": geography,
        "geography_source": geo_source,
        "study_url": section.study_url or getattr(declaration, "study_url", None),
        "verification": ({k: (v.isoformat() if isinstance(v, date) else v)
                          for k, v in section.verification.model_dump().items()} if section.verification else None),
    }
