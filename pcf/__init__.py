"""pcf — product carbon footprint engine (ISO 14067:2018 / GB/T 24067-2024) with carbon labels.

The library works without the command line: load a model with :func:`pcf.model.load_model`,
compute it with :func:`pcf.lca.footprint`, assess it with :func:`pcf.pcr.assess`, and render
it with :mod:`pcf.render`.
"""

__version__ = "0.1.0"
