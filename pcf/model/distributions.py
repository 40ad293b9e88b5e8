"""Probability distributions of model amounts, and the pedigree matrix.

A model amount may carry ``uncertainty:`` (docs/model-format.md, "Uncertainty"). pcf keeps
it as a :class:`Distribution` in the unit the amount ends up in, writes it to the Brightway
exchange in ``stats_arrays`` form (so bw2calc's own Monte Carlo sees it too), and samples it
in :mod:`pcf.lca.uncertainty` (ISO 14067:2018 6.4.5 and 7.3: uncertainty assessment).

Conventions (those of ecoinvent and Brightway):

- lognormal: the amount is the **median** ``exp(mu)``; ``gsd`` is the geometric standard
  deviation ``exp(sigma)`` [-] (> 1). 95 % of the values lie within amount / gsd^1.96 ..
  amount * gsd^1.96; the mean is amount * exp(sigma^2 / 2), above the deterministic value.
- normal: the amount is the mean; ``sd`` is the standard deviation [unit of the amount].
- triangular: the amount is the mode; ``minimum`` .. ``maximum`` [unit of the amount].
- uniform: ``minimum`` .. ``maximum`` [unit of the amount]; the amount lies between them.

Pedigree matrix (ecoinvent v3 data quality guideline: Weidema B.P., Bauer C., Hischier R.,
Mutel C., Nemecek T., Reinhard J., Vadenbo C.O., Wernet G. (2013) Overview and methodology.
Data quality guideline for the ecoinvent database version 3, ecoinvent Report 1 (v3),
Table 10.5): each of the five scores (1 best .. 5) adds a variance ``v_i`` of the
ln-transformed amount to the basic variance,

    sigma^2 = (ln basic_gsd)^2 + sum_i v_i = sum_i (ln U_i)^2,  GSD = exp(sigma)

with ``U_i = exp(sqrt(v_i))`` the uncertainty factor of score i on the GSD. The v3 variances
are the ecoinvent v2 factors (Frischknecht R. et al. 2007, ecoinvent report No. 1, which
act on the 95 % factor GSD^2) converted as ``v = (ln U_v2 / 2)^2`` and rounded, e.g.
reliability 3: U_v2 = 1.10 -> (ln 1.10 / 2)^2 = 0.00227 ~ 0.002; the v2 factors are
transcribed in brightway-lca/pedigree_matrix ``data.py`` (``version_1``). The empirical
factors of Ciroth A., Muller S., Weidema B., Lesage P. (2016) Int J LCA 21:1338,
doi:10.1007/s11367-013-0670-5, are larger and were not adopted by ecoinvent v3; pcf does
not use them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

#: Pedigree indicators in the order of a model's ``pedigree: [..]`` list.
PEDIGREE_INDICATORS = ("reliability", "completeness", "temporal correlation", "geographical correlation",
                       "further technological correlation")

#: Variance of ln(amount) added by each score 1..5 [-], ecoinvent v3 (Weidema et al. 2013, Table 10.5).
PEDIGREE_VARIANCE: dict[str, tuple[float, float, float, float, float]] = {
    "reliability": (0.0, 0.0006, 0.002, 0.008, 0.04),
    "completeness": (0.0, 0.0001, 0.0006, 0.002, 0.008),
    "temporal correlation": (0.0, 0.0002, 0.002, 0.008, 0.04),
    "geographical correlation": (0.0, 0.000025, 0.0001, 0.0006, 0.002),
    "further technological correlation": (0.0, 0.0006, 0.008, 0.04, 0.12),
}

#: stats_arrays uncertainty type ids (stats_arrays.uncertainty_choices).
STATS_ARRAYS_ID = {"lognormal": 2, "normal": 3, "uniform": 4, "triangular": 5}


def pedigree_sigma(scores: tuple[int, ...] | list[int], basic_gsd: float = 1.0) -> float:
    """Standard deviation of ln(amount) from pedigree scores [-].

    Parameters
    ----------
    scores : sequence of 5 int
        Reliability, completeness, temporal, geographical and further technological
        correlation, each 1 (best) .. 5.
    basic_gsd : float
        GSD of the basic uncertainty [-] (>= 1), e.g. 1.0248 for CO2 from combustion
        (ecoinvent basic variance 0.0006).

    Returns
    -------
    float
        sigma = sqrt((ln basic_gsd)^2 + sum of the score variances); GSD = exp(sigma).

    Raises
    ------
    ValueError
        Not five scores, a score outside 1..5, or basic_gsd < 1.

    References
    ----------
    Weidema et al. (2013), ecoinvent Report 1 (v3), Table 10.5.
    """
    scores = list(scores)
    if len(scores) != len(PEDIGREE_INDICATORS):
        raise ValueError(f"pedigree needs {len(PEDIGREE_INDICATORS)} scores "
                         f"[{', '.join(PEDIGREE_INDICATORS)}], got {len(scores)}")
    for name, score in zip(PEDIGREE_INDICATORS, scores):
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValueError(f"pedigree score for {name} must be an integer 1 (best) .. 5, got {score!r}")
    if not basic_gsd >= 1:
        raise ValueError(f"basic_gsd must be >= 1 (1 = no basic uncertainty), got {basic_gsd}")
    variance = math.log(basic_gsd) ** 2
    variance += sum(PEDIGREE_VARIANCE[name][score - 1] for name, score in zip(PEDIGREE_INDICATORS, scores))
    return math.sqrt(variance)


@dataclass(frozen=True)
class Distribution:
    """The distribution of one amount, in the unit of that amount.

    Attributes
    ----------
    kind : {"lognormal", "normal", "triangular", "uniform"}
    amount : float
        The deterministic value [unit]: median (lognormal), mean (normal), mode (triangular),
        or the value used without Monte Carlo (uniform).
    gsd : float or None
        Geometric standard deviation [-], lognormal only.
    sd : float or None
        Standard deviation [unit], normal only.
    minimum, maximum : float or None
        Bounds [unit], triangular and uniform only.
    pedigree : tuple of int or None
        The pedigree scores the GSD was derived from, if any (reported, not used again).
    basic_gsd : float or None
        The basic GSD that went with the pedigree scores.
    """

    kind: str
    amount: float
    gsd: float | None = None
    sd: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    pedigree: tuple | None = None
    basic_gsd: float | None = None

    @property
    def sigma(self) -> float:
        """ln(gsd) [-], lognormal only."""
        return math.log(self.gsd)

    def scaled(self, factor: float) -> "Distribution":
        """The distribution of ``factor * X`` (a unit conversion, an allocation share, a sign).

        Raises
        ------
        ValueError
            ``factor`` is zero or not finite.
        """
        scalar = np.ndim(factor) == 0  # batch variants (pcf.model.variants) scale by arrays
        if scalar and (factor == 0 or not math.isfinite(factor)):
            raise ValueError(f"cannot scale a distribution by {factor}")
        lo = self.minimum * factor if self.minimum is not None else None
        hi = self.maximum * factor if self.maximum is not None else None
        if scalar and factor < 0:
            lo, hi = hi, lo
        return replace(self, amount=self.amount * factor, sd=abs(self.sd * factor) if self.sd is not None else None,
                       minimum=lo, maximum=hi)

    def stats_row(self) -> tuple:
        """``(uncertainty_type, loc, scale, shape, minimum, maximum, negative)`` as in a
        ``stats_arrays`` / ``bw_processing`` distributions array (NaN where unused)."""
        nan = math.nan
        if self.kind == "lognormal":
            return (2, math.log(abs(self.amount)), self.sigma, nan, nan, nan, self.amount < 0)
        if self.kind == "normal":
            return (3, self.amount, self.sd, nan, nan, nan, False)
        if self.kind == "uniform":
            return (4, self.amount, nan, nan, self.minimum, self.maximum, False)
        return (5, self.amount, nan, nan, self.minimum, self.maximum, False)

    def exchange_fields(self) -> dict:
        """The Brightway exchange fields (``uncertainty type``, ``loc``, ``scale``, ``minimum``,
        ``maximum``, ``negative``) that describe this distribution."""
        kind, loc, scale, _, lo, hi, negative = self.stats_row()
        fields = {"uncertainty type": kind, "loc": loc}
        if not math.isnan(scale):
            fields["scale"] = scale
        if not math.isnan(lo):
            fields["minimum"] = lo
            fields["maximum"] = hi
        if negative:
            fields["negative"] = True
        if self.pedigree is not None:
            fields["pedigree"] = dict(zip(PEDIGREE_INDICATORS, self.pedigree))
        return fields

    def mean(self) -> float:
        """Expected value [unit]."""
        if self.kind == "lognormal":
            return self.amount * math.exp(self.sigma ** 2 / 2)
        if self.kind == "normal":
            return self.amount
        if self.kind == "uniform":
            return (self.minimum + self.maximum) / 2
        return (self.minimum + self.amount + self.maximum) / 3

    def describe(self, unit: str = "") -> str:
        """Short text, e.g. ``lognormal, GSD 1.2`` or ``triangular 1 .. 3 kg``."""
        u = f" {unit}" if unit else ""
        if self.kind == "lognormal":
            text = f"lognormal, GSD {self.gsd:.4g}"
            if self.pedigree is not None:
                text += f" (pedigree {','.join(str(s) for s in self.pedigree)}, basic GSD {self.basic_gsd:g})"
            return text
        if self.kind == "normal":
            return f"normal, sd {self.sd:.4g}{u}"
        return f"{self.kind} {self.minimum:.4g} .. {self.maximum:.4g}{u}"
