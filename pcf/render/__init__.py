"""Carbon labels and CFP study reports, rendered from a declaration.

Pure functions of a :class:`pcf.declaration.Declaration` (the result, its assessment and the
declared figure); no Brightway import. A result file is read with
:func:`pcf.declaration.read_declaration`, which checks its shape.
Templates (Jinja2, autoescape on) live in ``label_templates/`` next to the package;
PDFs are made by WeasyPrint and need a CJK font (``fonts-noto-cjk``), checked with
fontconfig before anything is rendered.

Examples
--------
>>> from pathlib import Path
>>> from pcf.declaration import read_declaration
>>> from pcf.render import render_label, render_report
>>> declaration = read_declaration("out/SKU-NMC811-75.result.json")  # doctest: +SKIP
>>> render_label(declaration, Path("out"))  # doctest: +SKIP
{'svg': PosixPath('out/SKU-NMC811-75.label.svg'), 'pdf': PosixPath('out/SKU-NMC811-75.label.pdf')}
>>> render_report(declaration, Path("out"))  # doctest: +SKIP
PosixPath('out/SKU-NMC811-75.report.pdf')
"""

from pcf.render.label import label_svg, render_label
from pcf.render.qr import label_verification_text
from pcf.render.report import render_report

__all__ = ["label_svg", "label_verification_text", "render_label", "render_report"]
