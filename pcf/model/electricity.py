"""Where an electricity input comes from: the ``electricity:`` statement of a model input.

An input that consumes electricity names its source (issue 4.3):

- ``grid``: the grid of a country, province or regional grid, for a year
  (``{source: grid, region: CN, year: 2023}``; ``region: CN-east`` or ``华东`` for a regional
  grid, ``CN-JS`` for a province);
- ``direct``: a generator connected directly to the plant, on site or by a direct line
  (``{source: direct, generator: {name: roof PV, technology: solar PV rooftop, capacity: 2 MWp},
  connection: on-site, behind the meter}``);
- ``contractual``: a contractual instrument with the evidence it rests on
  (``{source: contractual, instrument: ppa, generator: {...}, evidence: {ids: [...], issuer,
  period, volume_mwh, retired: true}}``).

The footprint uses the factor of the activity the input links, whatever the statement says;
which sources count is the PCR's decision (:mod:`pcf.pcr.electricity`). Field reference:
``docs/model-format.md``.

References
----------
ISO 14067:2018 6.4.9.4 (electricity; contractual instruments only when they meet the listed
criteria, otherwise the grid / residual mix) -- clause number as given by the issue, not
verified against the 2018 text (pcr-sources/NOTES.md section 5: "not found"); ISO/DIS 14067
(2012) 6.3.9.3 [P-draft] and the GB/T 24067 consultation draft [S]: electricity emissions
include generation, T&D losses and upstream.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Source = Literal["grid", "direct", "contractual"]
"""Kinds of electricity supply a model can state."""

Instrument = Literal["ppa", "green_certificate", "guarantee_of_origin", "rec", "i_rec",
                     "green_electricity_trade", "green_tariff"]
"""Contractual instruments: power purchase agreement, green electricity certificate (e.g. China
GEC 绿证), guarantee of origin (EU GO), renewable energy certificate (US REC), I-REC, green
electricity trade (China 绿电交易, electricity bundled with its certificate), a supplier's
green tariff (retail product)."""

INSTRUMENT_NAMES = {
    "ppa": "power purchase agreement (PPA)",
    "green_certificate": "green electricity certificate (e.g. China GEC 绿证)",
    "guarantee_of_origin": "guarantee of origin (GO)",
    "rec": "renewable energy certificate (REC)",
    "i_rec": "I-REC",
    "green_electricity_trade": "green electricity trade (绿电交易)",
    "green_tariff": "supplier green tariff",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Generator(_Strict):
    """The generating plant: ``name`` (e.g. ``roof PV of plant 2``), ``technology`` (e.g.
    ``solar PV rooftop``, ``wind onshore``, ``hydro``), optional ``capacity`` (text with its
    unit, e.g. ``2 MWp``) and ``location`` (country, province or grid region)."""

    name: str = Field(min_length=1)
    technology: str = Field(min_length=1)
    capacity: str | None = None
    location: str | None = None


class Evidence(_Strict):
    """What a contractual instrument (or a direct supply) rests on.

    ``ids`` (contract or certificate numbers), ``issuer`` (registry or issuing body, e.g.
    ``China GEC platform``, ``AIB``), ``period`` (generation / consumption period covered, e.g.
    ``2024`` or ``2024-01/2024-12``), ``volume_mwh`` [MWh] (volume of the instrument),
    ``retired`` (cancelled or retired on the company's behalf so nobody else claims it),
    ``documents`` (where the verifier finds them), ``note``.
    """

    ids: list[str] = []
    issuer: str | None = None
    period: str | None = None
    volume_mwh: float | None = Field(default=None, gt=0)
    retired: bool | None = None
    documents: str | None = None
    note: str | None = None


GRID_FIELDS = ("region", "year", "mix")
DIRECT_FIELDS = ("generator", "connection", "evidence")
CONTRACTUAL_FIELDS = ("instrument", "generator", "evidence")


class Electricity(_Strict):
    """The source of an electricity input.

    ``source`` is ``grid`` (needs ``region`` and ``year``; optional ``mix``: ``average``
    (default, location-based) or ``residual``), ``direct`` (needs ``generator`` and
    ``connection``; optional ``evidence``) or ``contractual`` (needs ``instrument``; ``generator``
    and ``evidence`` are what a PCR checks). Fields of another source are refused.
    """

    source: Source
    region: str | None = Field(default=None, min_length=1)
    year: int | None = Field(default=None, ge=1990, le=2100)
    mix: Literal["average", "residual"] | None = None
    generator: Generator | None = None
    connection: str | None = Field(default=None, min_length=1)
    instrument: Instrument | None = None
    evidence: Evidence | None = None
    comment: str | None = None

    @model_validator(mode="after")
    def _fields_of_the_source(self) -> "Electricity":
        allowed = {"grid": GRID_FIELDS, "direct": DIRECT_FIELDS, "contractual": CONTRACTUAL_FIELDS}[self.source]
        others = [f for f in dict.fromkeys(GRID_FIELDS + DIRECT_FIELDS + CONTRACTUAL_FIELDS)
                  if f not in allowed and getattr(self, f) is not None]
        if others:
            raise ValueError(f"{', '.join(others)} do{'es' if len(others) == 1 else ''} not go with source "
                             f"{self.source!r} (it takes {', '.join(allowed)})")
        needed = {"grid": ("region", "year"), "direct": ("generator", "connection"),
                  "contractual": ("instrument",)}[self.source]
        missing = [f for f in needed if getattr(self, f) is None]
        if missing:
            examples = {"region": "region: CN (or CN-east, 华东, CN-JS)", "year": "year: 2023",
                        "generator": "generator: {name: roof PV, technology: solar PV rooftop}",
                        "connection": "connection: on-site, behind the meter",
                        "instrument": "instrument: ppa (or green_certificate, guarantee_of_origin, rec, "
                                      "i_rec, green_electricity_trade, green_tariff)"}
            raise ValueError(f"a {self.source} source needs {' and '.join(missing)}: add "
                             + "; ".join(examples[f] for f in missing))
        return self
