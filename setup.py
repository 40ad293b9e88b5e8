"""The package layout of pcf (everything else is in pyproject.toml).

The data folders beside the package (pcf/core/shipped.py: ``SHIPPED``) go into a wheel as
``pcf/_shipped/<name>/``; an editable install reads them where they are.
"""

from setuptools import find_packages, setup

SHIPPED = ("pcr_rules", "label_templates", "databases")

setup(
    packages=find_packages(include=["pcf", "pcf.*"]) + [f"pcf._shipped.{name}" for name in SHIPPED],
    package_dir={f"pcf._shipped.{name}": name for name in SHIPPED},
    package_data={f"pcf._shipped.{name}": ["*"] for name in SHIPPED},
)
