"""Characterised intensities of background activities on their own, and the background search
with them (``pcf db search``).

The intensities come from the same machinery a footprint uses (:func:`pcf.lca.prepare.characterise`:
one sparse LU of ``A^T``, ``m = A^-T B^T c`` per ISO 14067 category, cached by :mod:`pcf.lca.bgcache`); an activity's figure is the
sum over the categories [kg CO2e / its unit], the ``kg_co2e_per_unit`` a result's
``data_sources`` lists for it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..background import method_spec
from ..background.methods import method_sha256
from ..background.search import Match, search_activities, searched_databases
from ..core.bw import brightway
from ..core.errors import BackgroundError
from .prepare import Node, characterised_background


def activity_intensities(node_ids: list[int], method: str) -> dict[int, float]:
    """Total characterised intensity of each activity [kg CO2e / unit of the activity].

    Parameters
    ----------
    node_ids : list of int
        Brightway node ids of background activities.
    method : str
        pcf method id (``ipcc-2021-gwp100``, ...; :data:`pcf.background.METHODS`).

    Returns
    -------
    dict of int to float
        Node id -> kg CO2e per unit (all ISO 14067 categories, biogenic CO2 +1 / uptake -1).

    Raises
    ------
    BackgroundError
        About ``method``: unknown or not installed (run ``pcf setup``).
    CalculationError
        A singular technosphere matrix.
    """
    spec = method_spec_about(method)
    if not node_ids:
        return {}
    bd = brightway()
    if spec.name not in bd.methods:
        raise BackgroundError(f"method {spec.id!r} is not installed: run `pcf setup`").about("method")
    nodes = [bd.get_node(id=i) for i in node_ids]
    full, _ = characterised_background(bd, spec, [Node(n.as_dict(), n.id, n.key) for n in nodes],
                                       method_sha256(bd, spec.name))  # cached like a footprint's
    return {i: float(full.intensity[full.col[i]].sum()) for i in node_ids}


def method_spec_about(method: str):
    """:func:`pcf.background.method_spec`, its error marked as about ``method``."""
    try:
        return method_spec(method)
    except BackgroundError as exc:
        raise exc.about("method") from None


@dataclass(frozen=True)
class SearchHit:
    """A :class:`pcf.background.search.Match` with its figure under the chosen method.

    ``kg_co2e_per_unit`` [kg CO2e / ``unit``]: :func:`activity_intensities`.
    """

    match: Match
    kg_co2e_per_unit: float

    def to_dict(self) -> dict:
        """JSON record: every field of the match (no node id) and ``kg_co2e_per_unit``."""
        m = asdict(self.match)
        m.pop("node_id")
        return {**m, "kg_co2e_per_unit": self.kg_co2e_per_unit}


@dataclass(frozen=True)
class BackgroundSearch:
    """What ``pcf db search`` found.

    Attributes
    ----------
    text : str
        The query.
    method : str
        pcf method id of the figures; ``method_label`` its human name.
    databases : tuple of str
        Names of the databases searched.
    hits : tuple of SearchHit
        Best first; empty when nothing matched.
    """

    text: str
    method: str
    method_label: str
    databases: tuple[str, ...]
    hits: tuple[SearchHit, ...]


def search_background(text: str, database: str | None = None, location: str | None = None,
                      unit: str | None = None, method: str = "ipcc-2021-gwp100",
                      limit: int | None = 20) -> BackgroundSearch:
    """Rank the activities of the installed backgrounds by fuzzy match and give each its
    kg CO2e per unit under ``method``.

    Parameters are those of :func:`pcf.background.search.search_activities`, and ``method`` (a
    pcf method id).

    Returns
    -------
    BackgroundSearch

    Raises
    ------
    BackgroundError
        Unknown method or database (about ``method`` / ``database``, listing the available
        ones), nothing to search for, a limit below 1.
    UnitError
        Unknown unit (about ``unit``).
    CalculationError
        A singular technosphere matrix in a matched database.
    """
    spec = method_spec_about(method)
    databases = tuple(e.name for e in searched_databases(database))
    matches = search_activities(text, database=database, location=location, unit=unit, limit=limit)
    figures = activity_intensities([m.node_id for m in matches], spec.id)
    hits = tuple(SearchHit(m, figures[m.node_id]) for m in matches)
    return BackgroundSearch(text, spec.id, spec.label, databases, hits)
