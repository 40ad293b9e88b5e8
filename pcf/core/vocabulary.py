"""The words every layer shares: life-cycle stages, ISO 14067 GHG categories and their names.

This is their only definition. A format that names them its own way (PACT, Battery Pass,
Catena-X) keeps its mapping in its own module, keyed from these tuples.

References
----------
ISO 14067:2018 6.3.4.2 (life-cycle stages) and 7.3 (separately reported GHG categories);
GB/T 24067-2024 6.3.4.
"""

from __future__ import annotations

from typing import Literal, get_args

Stage = Literal["raw_material_acquisition", "production", "distribution", "use", "end_of_life"]
"""A life-cycle stage (ISO 14067:2018 6.3.4.2; GB/T 24067-2024 6.3.4): ``processes[].stage``."""

STAGES: tuple[str, ...] = get_args(Stage)
"""The life-cycle stages, in life-cycle order."""

CRADLE_TO_GATE: tuple[str, ...] = STAGES[:2]
"""The stages up to the factory gate (raw material acquisition, production)."""

GHG_CATEGORIES: tuple[str, ...] = ("fossil", "biogenic_emissions", "biogenic_removals", "dluc")
"""Disjoint ISO 14067:2018 7.3 categories [kg CO2e]; they sum to the total. ``aircraft`` is
reported as an "of which" part of ``fossil``."""

GHG_REPORTED: tuple[str, ...] = GHG_CATEGORIES + ("aircraft",)
"""Every separately reported GHG figure of a result's ``ghg`` [kg CO2e], in result order."""

GHG_DISPLAY: tuple[str, ...] = ("fossil", "aircraft") + GHG_CATEGORIES[1:]
""":data:`GHG_REPORTED` in display order: ``aircraft`` right under ``fossil``, of which it is part."""

#: Stage names: (Chinese, English).
STAGE_NAMES: dict[str, tuple[str, str]] = dict(zip(STAGES, (
    ("原材料获取", "Raw material acquisition"),
    ("生产", "Production"),
    ("分销", "Distribution"),
    ("使用", "Use"),
    ("生命末期", "End of life"),
)))

#: Short English stage names (label legend, report tables: space is tight there).
STAGE_SHORT: dict[str, str] = dict(zip(STAGES, ("Raw materials", "Production", "Distribution", "Use", "End of life")))

#: Abbreviated English stage names (column heads of terminal tables).
STAGE_ABBREVIATIONS: dict[str, str] = dict(zip(STAGES, ("Raw mat.", "Prod.", "Distr.", "Use", "EoL")))

#: Separately reported GHG categories of ISO 14067:2018 7.3: (Chinese, English), in display order.
GHG_NAMES: dict[str, tuple[str, str]] = dict(zip(GHG_DISPLAY, (
    ("化石源温室气体排放", "Fossil GHG emissions"),
    ("其中：航空运输", "of which aircraft"),
    ("生物源温室气体排放", "Biogenic GHG emissions"),
    ("生物源温室气体清除", "Biogenic GHG removals"),
    ("直接土地利用变化", "Direct land-use change (dLUC)"),
)))
