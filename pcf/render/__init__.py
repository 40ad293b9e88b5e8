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

from pcf.core.lazy import exports

# Names are imported from their submodule on first use (pcf.core.lazy: light commands stay light).
__getattr__, __dir__, __all__ = exports(__name__, {
    "label": ['label_svg', 'render_label'],
    "qr": ['label_verification_text'],
    "report": ['render_report'],
})
