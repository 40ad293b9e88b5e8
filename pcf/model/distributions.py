"""Probability distributions of model amounts, the pedigree matrix, and the default
distribution of an amount without ``uncertainty:`` (:func:`default_distribution`).

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

#: Basic uncertainty of a foreground amount that has no ``uncertainty:``, as the variance of
#: ln(amount) [-], by what the amount is: ecoinvent's basic factors (Frischknecht et al. 2007,
#: ecoinvent report No. 1; transcribed in brightway-lca/pedigree_matrix data.py),
#: which act on GSD^2, converted by (ln U / 2)^2 and rounded as ecoinvent v3 does (Weidema et
#: al. 2013, Table 10.4): demand of energy, materials, semi-finished products and waste
#: treatment 1.05 -> 0.0006; demand of transport services 2.0 -> 0.12; CO2 emitted or taken up
#: 1.05 -> 0.0006; CO2 from land use (soil or biomass stock) 2.0 -> 0.12; other gases to air
#: (CH4, N2O from combustion; "inorganic emissions, others") 1.5 -> 0.04. The open default's
#: background rows use the same values per gas (:data:`pcf.background.opendefault.BASIC_VARIANCE`).
DEFAULT_BASIC_VARIANCE: dict[str, float] = {
    "input": 0.0006, "transport": 0.12, "co2": 0.0006, "co2_land_use": 0.12, "other_gas": 0.04,
}

#: Pedigree scores (reliability, completeness, temporal, geographical, further technological
#: correlation; 1 best .. 5) assumed for a foreground amount without ``uncertainty:`` and without
#: a ``dqr``, by whether its data are primary or secondary (``data:`` of the input or process;
#: unstated is secondary). A documented pcf default, not a value from the guideline:
#: primary (2, 2, 1, 1, 1): measured at the sites under study but not verified (reliability 2),
#: most sites (completeness 2), the study's period, area and technology (1);
#: secondary (3, 3, 3, 3, 3): the middle score of every indicator (non-verified data partly
#: based on qualified estimates, some sites, < 10 years old, similar area, different
#: technology), the model saying nothing more about the amount.
DEFAULT_PEDIGREE: dict[str, tuple[int, int, int, int, int]] = {
    "primary": (2, 2, 1, 1, 1),
    "secondary": (3, 3, 3, 3, 3),
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


def dqr_pedigree(dqr) -> tuple[int, int, int, int, int]:
    """Pedigree scores (reliability, completeness, temporal, geographical, technological)
    standing in for a PEF data quality rating: P -> reliability, TiR -> temporal, GeR ->
    geographical, TeR -> further technological correlation; completeness 1 (the PEF rating has
    no completeness criterion). A documented PROXY: the PEF and pedigree scales are both
    1 (best) .. 5 but their level definitions differ. A fractional rating (a model's ``dqr``
    may say 2.5) takes the next worse whole score (ceil), so the proxy is never narrower.

    Parameters
    ----------
    dqr : mapping
        ``{"ter", "ger", "tir", "p"}`` [-], each 1 .. 5 (PEF, Commission Recommendation (EU)
        2021/2279, Annex I, 4.6.5); other keys are ignored.

    Returns
    -------
    tuple of 5 int
    """
    def score(key: str) -> int:
        return int(math.ceil(float(dqr[key]) - 1e-9))

    return (score("p"), 1, score("tir"), score("ger"), score("ter"))


def dqr_sigma(dqr, basic_variance: float) -> float:
    """Standard deviation of ln(amount) from a PEF data quality rating [-]:
    sqrt(basic variance + pedigree variances of :func:`dqr_pedigree`) (:func:`pedigree_sigma`,
    ecoinvent v3 pedigree matrix); GSD = exp(sigma).

    Parameters
    ----------
    dqr : mapping
        ``{"ter", "ger", "tir", "p"}`` [-], 1 .. 5.
    basic_variance : float
        Variance of ln(amount) of the basic uncertainty [-] (>= 0).
    """
    return pedigree_sigma(dqr_pedigree(dqr), math.exp(math.sqrt(basic_variance)))


def default_distribution(amount: float, basic_variance: float, dqr=None,
                         data: str | None = None) -> tuple["Distribution", str]:
    """The lognormal pcf samples for an amount that has no ``uncertainty:``.

    The pedigree approach (Weidema et al. 2013, ecoinvent v3 data quality guideline, 10.2):
    sigma^2 = basic variance + the variances of five pedigree scores, the amount is the median,
    GSD = exp(sigma) (95 % of the values within amount / GSD^1.96 .. amount * GSD^1.96). The
    scores come from ``dqr`` (:func:`dqr_pedigree`) when the model rates the data, else from
    :data:`DEFAULT_PEDIGREE` for ``data`` (primary or secondary; None is secondary).

    Parameters
    ----------
    amount : float
        The deterministic amount [unit], not 0; negative for a credit (the lognormal of |amount|,
        sign kept).
    basic_variance : float
        :data:`DEFAULT_BASIC_VARIANCE` of what the amount is [-].
    dqr : mapping or None
        PEF rating ``{"ter", "ger", "tir", "p"}`` [-] of the amount's data.
    data : {"primary", "secondary"} or None

    Returns
    -------
    (Distribution, str)
        The lognormal (with its ``pedigree`` and ``basic_gsd``) and where the scores came from:
        ``"dqr"``, ``"primary data default"`` or ``"secondary data default"``.

    Raises
    ------
    ValueError
        ``amount`` is 0 or not finite.
    """
    if amount == 0 or not math.isfinite(amount):
        raise ValueError(f"no default distribution for an amount of {amount}")
    if dqr is not None:
        scores, source = dqr_pedigree(dqr), "dqr"
    else:
        kind = data if data == "primary" else "secondary"
        scores, source = DEFAULT_PEDIGREE[kind], f"{kind} data default"
    basic_gsd = math.exp(math.sqrt(basic_variance))
    sigma = pedigree_sigma(scores, basic_gsd)
    return Distribution("lognormal", amount, gsd=math.exp(sigma), pedigree=tuple(scores), basic_gsd=basic_gsd), source


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
