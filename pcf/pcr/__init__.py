"""Product category rules (PCR): load machine-readable rules and assess results against them.

A rule is a versioned YAML file ``pcr_rules/<id>.yaml`` (format ``pcf-pcr/1``, documented in
``docs/pcr-format.md``). :func:`load_pcr` validates it (errors as ``file:line: message``);
:func:`assess` checks a footprint result against it and returns the ``assessment`` dict of
``docs/result-json.md``.

Examples
--------
>>> from pcf.pcr import load_pcr, assess
>>> pcr = load_pcr("eu-battery-cfb-ev")                       # doctest: +SKIP
>>> assessment = assess(result, pcr)                          # doctest: +SKIP
>>> assessment["conforms"], assessment["performance_class"]["class"]  # doctest: +SKIP
"""

from .assess import assess, assess_result, classify, grade
from .loader import RULES_DIR, list_pcrs, load_pcr
from .schema import PCR

__all__ = ["PCR", "RULES_DIR", "assess", "assess_result", "classify", "grade", "list_pcrs", "load_pcr"]
