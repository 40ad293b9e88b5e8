"""Carbon labels and CFP study reports, rendered from a result dict.

Pure functions of a ``pcf-result/1`` result (docs/result-json.md); no Brightway import.
Templates (Jinja2, autoescape on) live in ``label_templates/`` next to the package;
PDFs are made by WeasyPrint and need a CJK font (``fonts-noto-cjk``), checked with
fontconfig before anything is rendered.

Examples
--------
>>> import json
>>> from pathlib import Path
>>> from pcf.render import render_label, render_report
>>> result = json.loads(Path("out/SKU-NMC811-75.result.json").read_text())  # doctest: +SKIP
>>> render_label(result, Path("out"))  # doctest: +SKIP
{'svg': PosixPath('out/SKU-NMC811-75.label.svg'), 'pdf': PosixPath('out/SKU-NMC811-75.label.pdf')}
>>> render_report(result, Path("out"))  # doctest: +SKIP
PosixPath('out/SKU-NMC811-75.report.pdf')
"""

from pcf.render.label import label_svg, render_label
from pcf.render.qr import label_verification_text
from pcf.render.report import render_report

__all__ = ["label_svg", "label_verification_text", "render_label", "render_report"]
