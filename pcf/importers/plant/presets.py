"""What each template kind fills in beforehand: product defaults and suggested rows.

Suggested rows name a process, a material or a carrier and, where the open default has one, a
background key; amounts are left empty for the plant to fill in (the importer refuses a row
whose amount is missing: fill it or delete the row). Keys are rows of
``databases/open-default.csv``; ``tests/test_plant_workbook.py`` checks they exist.
"""

from __future__ import annotations

#: kind -> Product field -> value.
PRODUCT: dict[str, dict[str, object]] = {
    "battery-pack": {"reference_process": "pack_system", "reference_amount": 1, "reference_unit": "item",
                     "declared_unit": "kWh",
                     "declared_description": "kWh of total energy delivered over the service life",
                     "standard": "ISO 14067:2018", "boundary": "cradle-to-grave", "pcr": "eu-battery-cfb-ev",
                     "method": "ef-3.1-climate-change"},
    "battery-cell": {"reference_process": "cell_production", "reference_amount": 1, "reference_unit": "kg",
                     "declared_unit": "kWh", "declared_description": "kWh of cell energy capacity",
                     "standard": "GB/T 24067-2024", "boundary": "cradle-to-gate",
                     "method": "ipcc-2021-gwp100"},
    "pv-module": {"reference_process": "module_assembly", "reference_amount": 1, "reference_unit": "item",
                  "declared_unit": "kWp", "declared_description": "kWp of rated module power (STC)",
                  "standard": "ISO 14067:2018", "boundary": "cradle-to-gate", "pcr": "pv-module",
                  "method": "ipcc-2021-gwp100"},
}

#: kind -> sheet -> rows (column key -> value).
ROWS: dict[str, dict[str, list[dict[str, object]]]] = {
    "battery-pack": {
        "Processes": [
            {"id": "pack_system", "name": "battery pack, delivered and collected at end of life", "stage": "production",
             "location": "CN", "output_amount": 1, "output_unit": "item"},
            {"id": "pack_assembly", "name": "battery pack assembly", "stage": "production", "location": "CN",
             "output_amount": 1, "output_unit": "item", "data": "primary"},
            {"id": "distribution", "name": "shipment of the pack to the customer", "stage": "distribution",
             "output_amount": 1, "output_unit": "item"},
            {"id": "end_of_life", "name": "end-of-life pack collected and sent to a recycler", "stage": "end_of_life",
             "output_amount": 1, "output_unit": "item"},
        ],
        "BOM": [
            {"process": "pack_system", "material": "assembled pack", "amount": 1, "unit": "item",
             "from_process": "pack_assembly"},
            {"process": "pack_system", "material": "shipment", "amount": 1, "unit": "item",
             "from_process": "distribution"},
            {"process": "pack_system", "material": "end of life", "amount": 1, "unit": "item",
             "from_process": "end_of_life"},
            {"process": "pack_assembly", "material": "battery cells", "unit": "kg"},
            {"process": "pack_assembly", "material": "housing, aluminium", "unit": "kg",
             "background": "aluminium_primary_iai_2022"},
            {"process": "pack_assembly", "material": "battery management system electronics", "unit": "kg",
             "background": "electronic_part_greet"},
            {"process": "pack_assembly", "material": "busbars and cables, copper", "unit": "kg",
             "background": "copper_greet"},
            {"process": "pack_assembly", "material": "steel parts", "unit": "kg", "background": "steel_world_avg_ice"},
            {"process": "pack_assembly", "material": "plastic parts", "unit": "kg", "background": "polypropylene_greet"},
        ],
        "Energy": [
            {"process": "pack_assembly", "carrier": "electricity", "unit": "kWh",
             "background": "electricity_cn_national_avg_2023", "source": "grid", "region": "CN", "year": 2023},
            {"process": "pack_assembly", "carrier": "natural gas", "unit": "MJ", "background": "natural_gas_combusted_mj"},
        ],
        "Transport": [
            {"process": "distribution", "name": "plant to customer", "mode": "container_ship", "distance_unit": "km",
             "mass_unit": "kg"},
        ],
        "EndOfLife": [
            {"process": "end_of_life", "name": "collection and transport to the recycler", "unit": "kg",
             "background": "eol_battery_collection_defra"},
        ],
    },
    "battery-cell": {
        "Processes": [
            {"id": "cell_production", "name": "battery cell production", "stage": "production", "location": "CN",
             "output_amount": 1, "output_unit": "kg", "data": "primary"},
        ],
        "BOM": [
            {"process": "cell_production", "material": "cathode active material", "unit": "kg",
             "background": "cam_nmc811_greet"},
            {"process": "cell_production", "material": "graphite, synthetic", "unit": "kg",
             "background": "graphite_synthetic_battery_cn"},
            {"process": "cell_production", "material": "graphite, natural", "unit": "kg",
             "background": "graphite_natural_battery_cn"},
            {"process": "cell_production", "material": "binder PVDF", "unit": "kg", "background": "pvdf_greet"},
            {"process": "cell_production", "material": "solvent NMP", "unit": "kg", "background": "nmp_greet"},
            {"process": "cell_production", "material": "electrolyte salt LiPF6", "unit": "kg", "background": "lipf6_greet"},
            {"process": "cell_production", "material": "ethylene carbonate", "unit": "kg",
             "background": "ethylene_carbonate_greet"},
            {"process": "cell_production", "material": "dimethyl carbonate", "unit": "kg",
             "background": "dimethyl_carbonate_greet"},
            {"process": "cell_production", "material": "copper foil", "unit": "kg", "background": "copper_greet"},
            {"process": "cell_production", "material": "aluminium foil", "unit": "kg", "background": "aluminium_greet"},
            {"process": "cell_production", "material": "separator, polyethylene", "unit": "kg",
             "background": "polyethylene_greet"},
        ],
        "Energy": [
            {"process": "cell_production", "carrier": "electricity", "unit": "kWh",
             "background": "electricity_cn_national_avg_2023", "source": "grid", "region": "CN", "year": 2023},
            {"process": "cell_production", "carrier": "natural gas", "unit": "MJ",
             "background": "natural_gas_combusted_mj"},
        ],
        "Transport": [
            {"process": "cell_production", "name": "cathode active material to the plant", "mode": "lorry",
             "distance_unit": "km", "mass_unit": "kg"},
        ],
        "Waste": [
            {"process": "cell_production", "name": "electrode scrap", "unit": "kg"},
        ],
    },
    "pv-module": {
        "Processes": [
            {"id": "module_assembly", "name": "PV module assembly", "stage": "production", "location": "CN",
             "output_amount": 1, "output_unit": "item", "data": "primary"},
        ],
        "BOM": [
            {"process": "module_assembly", "material": "solar cells (polysilicon)", "unit": "kg",
             "background": "polysilicon_siemens_cn_derived"},
            {"process": "module_assembly", "material": "front glass", "unit": "kg", "background": "glass_toughened_ice"},
            {"process": "module_assembly", "material": "frame, aluminium", "unit": "kg",
             "background": "aluminium_extruded_virgin_ice"},
            {"process": "module_assembly", "material": "encapsulant EVA", "unit": "kg",
             "background": "eva_proxy_ldpe_ice"},
            {"process": "module_assembly", "material": "backsheet", "unit": "kg",
             "background": "backsheet_proxy_pet_defra"},
            {"process": "module_assembly", "material": "junction box", "unit": "kg",
             "background": "junction_box_proxy_electronics_small_defra"},
            {"process": "module_assembly", "material": "ribbons, copper", "unit": "kg", "background": "copper_greet"},
        ],
        "Energy": [
            {"process": "module_assembly", "carrier": "electricity", "unit": "kWh",
             "background": "electricity_cn_national_avg_2023", "source": "grid", "region": "CN", "year": 2023},
        ],
        "Transport": [
            {"process": "module_assembly", "name": "glass to the plant", "mode": "lorry", "distance_unit": "km",
             "mass_unit": "kg"},
        ],
        "Waste": [
            {"process": "module_assembly", "name": "glass and cell breakage", "unit": "kg"},
        ],
    },
}
