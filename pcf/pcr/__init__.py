"""Product category rules (PCR): load machine-readable rules and assess results against them.

A rule is a versioned YAML file ``pcr_rules/<id>.yaml`` (format ``pcf-pcr/1``, documented in
``docs/pcr-format.md``). :func:`load_pcr` validates it (errors as ``file:line: message``);
:func:`assess` checks a :class:`pcf.lca.result.FootprintResult` against it, grading the
declared figure the declaration hands in, and returns an :class:`~pcf.pcr.assessment.Assessment`
(:func:`pcf.declaration.build_declaration` does both); :func:`assess_result` takes the PCR by
id, path or object and checks the electricity mode asked for.

Examples
--------
>>> from pcf.pcr import load_pcr, assess
>>> pcr = load_pcr("eu-battery-cfb-ev")                       # doctest: +SKIP
>>> assessment = assess(result, pcr, declared_per_declared_unit=0.2)  # doctest: +SKIP
>>> assessment.conforms, assessment.performance_class.class_  # doctest: +SKIP
"""

from pcf.core.lazy import exports

# Names are imported from their submodule on first use (pcf.core.lazy: light commands stay light).
__getattr__, __dir__, __all__ = exports(__name__, {
    "assess": ['assess', 'assess_result', 'classify', 'grade', 'resolve_pcr'],
    "loader": ['RULES_DIR', 'list_pcrs', 'load_pcr', 'shipped_rule'],
    "peers": ['Peer', 'PeerGrade', 'grade_against_peers', 'grade_against_reference'],
    "schema": ['PCR'],
})
