"""Peer grading on the published label pages (issue 21 part 1).

Each current, valid footprint label whose PCR defines ``peer_grading`` gets its level among the
registry's current labels under that PCR (:func:`pcf.registry.peers.label_peers`,
:func:`pcf.pcr.peers.grade_against_peers`) and the group's figures drawn as an anonymous strip:
one dot per label, no product names or label numbers, the page's own label marked, the
reference (mean or median) and the level bounds as lines. A group smaller than the PCR's
minimum gets a note instead; a PCR that is not shipped with this pcf, has no peer grading, or
whose group mixes declared units or methods shows nothing.
"""

from __future__ import annotations

from ..core.errors import PCRError, PeerGradingError
from ..pcr.loader import load_pcr
from ..pcr.peers import PeerGrade, grade_against_peers
from ..registry.peers import label_peers

STRIP = (320.0, 46.0)
"""Width and height of the strip [SVG user units]."""
_MARGIN = 12.0


def peer_views(labels: list, at: str) -> dict[str, dict]:
    """Label number -> what its page shows of its peer grading.

    Parameters
    ----------
    labels : list of LabelRecord
        Every label of the registry.
    at : str
        ISO 8601 UTC: the publishing time (labels current then).

    Returns
    -------
    dict of str to dict
        ``{"line": str, "strip": dict, "note": None}`` (the grading's
        :meth:`~pcf.pcr.peers.PeerGrade.label_line` and :func:`strip`) or ``{"line": None,
        "strip": None, "note": str}`` (group too small); labels without a view are absent.
    """
    views: dict[str, dict] = {}
    for pcr_id in sorted({label.pcr_id for label in labels}):
        try:
            pcr = load_pcr(pcr_id)
        except PCRError:
            continue
        if pcr.peer_grading is None:
            continue
        found = label_peers(labels, pcr_id, at)
        minimum = pcr.peer_grading.min_group.size
        for peer in found.peers:
            if len(found.peers) < minimum:
                views[peer.id] = {"line": None, "strip": None, "note": f"{len(found.peers)} 个同类标签，少于 {minimum} 个，不分级 · {len(found.peers)} "
                                          f"current label(s) under {pcr_id}, fewer than the {minimum} its peer grading "
                                          "needs: not graded"}
                continue
            try:
                grade = grade_against_peers(peer, found.peers, pcr, kind="registry", source="registry", date=at,
                                            graded_at=at, skipped=found.skipped)
            except PeerGradingError:
                continue
            views[peer.id] = {"line": grade.label_line(), "strip": strip(grade), "note": None}
    return views


def strip(grade: PeerGrade) -> dict:
    """Geometry of the anonymous strip of a grading's group [SVG user units, :data:`STRIP`].

    Returns
    -------
    dict
        ``width``, ``height``, ``dots`` [{x}] (one per member, sorted), ``own`` {x} (the graded
        label), ``reference`` {x, text}, ``bounds`` [{x, text}] (level bounds inside the range),
        ``low`` / ``high`` (the range's ends, as printed) and ``unit``.
    """
    ref = grade.group.reference.value
    values = list(grade.group.distribution)
    bounds = [b.max_ratio * ref for b in grade.levels if b.max_ratio is not None]
    lo, hi = min(values + [grade.result.value, ref]), max(values + [grade.result.value, ref])
    span = hi - lo or abs(hi) or 1.0
    width, height = STRIP

    def x(v: float) -> float:
        return round(_MARGIN + (width - 2 * _MARGIN) * (v - lo) / span, 2)

    return {
        "width": width, "height": height, "unit": grade.result.unit,
        "dots": [{"x": x(v)} for v in values],
        "own": {"x": x(grade.result.value)},
        "reference": {"x": x(ref), "text": f"{grade.group.reference.statistic} {ref:.3g}"},
        "bounds": [{"x": x(b), "text": f"{b / ref:g}×"} for b in bounds if lo <= b <= hi],
        "low": f"{lo:.3g}", "high": f"{hi:.3g}",
    }
