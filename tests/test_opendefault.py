"""The open default background table (databases/open-default.csv): citations, data quality
ratings, coverage of the battery and PV families, and the table's validation errors."""

from __future__ import annotations

import re

import pytest

from pcf.background.opendefault import DQR_COLUMNS, SOURCE, read_rows
from pcf.core.errors import SourceError
from pcf.core.units import parse_unit

ROWS = read_rows()
BY_KEY = {row.key: row for row in ROWS}

CN_REGIONS = ("north", "northeast", "east", "central", "northwest", "south", "southwest")


def test_keys_unique_and_units_parse():
    keys = [row.key for row in ROWS]
    assert len(keys) == len(set(keys))
    for row in ROWS:
        assert re.fullmatch(r"[a-z0-9_]+", row.key), row.key
        parse_unit(row.unit)


# An author or organisation (a capitalised word) and either a year or a URL/DOI.
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_URL_OR_DOI = re.compile(r"https?://|\bdoi\b|10\.\d{4,}/", re.IGNORECASE)
_AUTHOR = re.compile(r"\b[A-Z][A-Za-z&]+")


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.key)
def test_every_row_is_cited_and_rated(row):
    assert row.source.strip() and row.source.strip().lower() not in ("todo", "n/a")
    assert _AUTHOR.search(row.source), row.source
    assert _YEAR.search(row.source) or _URL_OR_DOI.search(row.source), row.source
    assert set(row.dqr) == {"ter", "ger", "tir", "p", "dqr"}
    for part in ("ter", "ger", "tir", "p"):
        assert isinstance(row.dqr[part], int) and 1 <= row.dqr[part] <= 5
    assert row.dqr["dqr"] == pytest.approx(sum(row.dqr[p] for p in ("ter", "ger", "tir", "p")) / 4)


def test_proxies_and_derived_rows_say_so():
    for row in ROWS:
        if "proxy" in row.key:
            assert "PROXY" in row.note, row.key
            assert row.dqr["ter"] >= 4, row.key
        if row.key.endswith("_derived"):
            assert "DERIVED" in row.note, row.key
            assert row.dqr["p"] >= 4, row.key


def test_existing_keys_kept():
    """Keys the examples and other tests use (they must never be renamed)."""
    for key in ("electricity_cn_east_2023", "electricity_cn_national_avg_2023", "natural_gas_combusted_mj",
                "transport_lorry_wtw", "transport_container_ship_wtw", "transport_air_longhaul_wtw",
                "nickel_sulfate_hexahydrate_glo_excl_cn", "lithium_hydroxide_monohydrate_brine_cl",
                "glass_toughened_ice", "silver_ice", "pet_defra", "eol_battery_collection_defra"):
        assert key in BY_KEY, key


def test_coverage_china_grid():
    """National 2021-2023; each of the 7 regional grids for 2022 and 2023. The 2021 regional
    figures (MEE/NBS Announcement 2024 No. 12) were not found in a citable copy (README)."""
    for year in (2021, 2022, 2023):
        assert BY_KEY[f"electricity_cn_national_avg_{year}"].location == "CN"
    for year in (2022, 2023):
        for region in CN_REGIONS:
            row = BY_KEY[f"electricity_cn_{region}_{year}"]
            assert row.location == f"CN-{region}" and row.year == str(year)
            assert set(row.gases) == {"co2_fossil"}  # MEE/NBS factors are CO2 only


def test_coverage_countries_fuels_freight():
    for country in ("eu27", "de", "fr", "pl", "us", "jp", "kr"):
        assert f"electricity_{country}_2024" in BY_KEY
    for key in ("natural_gas_combusted_mj", "diesel_combusted_mj", "hfo_combusted_mj", "coal_bituminous_combusted_mj",
                "transport_lorry_wtw", "transport_rail_wtw", "transport_container_ship_wtw",
                "transport_bulk_carrier_wtw", "transport_general_cargo_ship_wtw",
                "transport_air_longhaul_wtw", "transport_air_shorthaul_wtw"):
        assert key in BY_KEY, key
    assert BY_KEY["transport_air_shorthaul_wtw"].aircraft and BY_KEY["transport_air_longhaul_wtw"].aircraft
    assert not BY_KEY["transport_bulk_carrier_wtw"].aircraft


def test_coverage_materials():
    for key in ("aluminium_primary_iai_2022", "aluminium_primary_ice", "aluminium_secondary_ice",
                "copper_virgin_ice", "copper_recycled_ice",
                "steel_virgin_ice", "steel_recycled_ice", "stainless_steel_ice", "steel_world_avg_ice", "steel_eu_avg_ice",
                "pp_defra", "hdpe_defra", "ldpe_defra", "pet_defra", "ps_defra", "pvc_defra", "abs_ice",
                "nylon6_ice", "nylon66_ice", "polycarbonate_ice"):
        assert key in BY_KEY, key


def test_coverage_battery_chain():
    for key in ("nickel_sulfate_hexahydrate_glo_excl_cn", "cobalt_sulfate_heptahydrate_cn", "manganese_sulfate_greet",
                "lithium_carbonate_brine_cl", "lithium_carbonate_spodumene_cn",
                "lithium_hydroxide_monohydrate_brine_cl", "lithium_hydroxide_monohydrate_spodumene_cn",
                "graphite_natural_battery_cn", "graphite_synthetic_battery_cn",
                "lipf6_greet", "ethylene_carbonate_greet", "dimethyl_carbonate_greet", "pvdf_greet", "nmp_greet",
                "carbon_black_furnace_direct_ipcc2006", "polypropylene_greet", "polyethylene_greet",
                "copper_greet", "aluminium_greet", "aluminium_foil_defra",
                "cam_nmc811_greet", "cam_nmc622_greet", "cam_lfp_greet"):
        assert key in BY_KEY, key


def test_coverage_pv_chain_and_end_of_life():
    for key in ("mgsi_cn_derived", "polysilicon_siemens_cn_derived", "glass_toughened_ice", "eva_proxy_ldpe_ice",
                "backsheet_proxy_pet_defra", "silver_paste_front_derived_ice", "aluminium_extruded_virgin_ice",
                "eol_plastics_landfill_defra", "eol_plastics_incineration_defra", "eol_battery_collection_defra",
                "eol_pv_module_recycling_derived"):
        assert key in BY_KEY, key


def test_generator_rows_for_direct_and_contractual_electricity():
    """Renewable generators for a PPA or an on-site plant (issue 4.3): IPCC AR5 WG3 Annex III
    Table A.III.2 life-cycle medians (Schlömer et al. 2014, p. 1335), g CO2eq/kWh / 1000, as
    CO2e totals; global, 2014 (TiR 5: 11 years before 2025)."""
    medians = {"electricity_wind_onshore_ipcc_ar5": 11, "electricity_pv_utility_ipcc_ar5": 48,
               "electricity_pv_rooftop_ipcc_ar5": 41, "electricity_hydro_ipcc_ar5": 24}
    for key, grams in medians.items():
        row = BY_KEY[key]
        assert row.unit == "kWh" and row.location == "GLO" and row.year == "2014"
        assert row.gases == {"co2e_unsplit": pytest.approx(grams / 1000)}
        assert "Table A.III.2" in row.source and f"{grams} g CO2eq/kWh" in row.source
        assert row.dqr["tir"] == 5 and row.dqr["p"] == 3
        assert "not a grid factor" in row.note.lower()


def test_hand_checked_gas_masses():
    # factors.csv freight_bulk_carrier_avg (DESNZ 2025, AR5): CO2 0.00349, CH4 0.000001, N2O 0.00004
    # kg CO2e/tkm; gas masses CH4 = 0.000001 / 28 = 3.5714e-8 kg, N2O = 0.00004 / 265 = 1.5094e-7 kg;
    # plus the DESNZ WTT bulk carrier average 0.0008 kg CO2e/tkm (ID 28_916_3221_14_1) unsplit.
    row = BY_KEY["transport_bulk_carrier_wtw"]
    assert row.gases["co2_fossil"] == pytest.approx(0.00349)
    assert row.gases["ch4_fossil"] == pytest.approx(3.5714286e-8, rel=1e-6)
    assert row.gases["n2o"] == pytest.approx(1.5094340e-7, rel=1e-6)
    assert row.gases["co2e_unsplit"] == pytest.approx(0.0008)
    # factors.csv cam_nmc811_greet2022_everbatt (AR6): CO2 23.7505, CH4 1.59183 and N2O 0.146626
    # kg CO2e/kg; CH4 = 1.59183 / 29.8 = 0.0534171 kg, N2O = 0.146626 / 273 = 0.000537092 kg.
    row = BY_KEY["cam_nmc811_greet"]
    assert row.gases["co2_fossil"] == pytest.approx(23.7505)
    assert row.gases["ch4_fossil"] == pytest.approx(0.0534171, rel=1e-5)
    assert row.gases["n2o"] == pytest.approx(0.000537092, rel=1e-5)
    # MG-Si derived: 11 kWh x 0.5306 kg CO2/kWh + 3.5808 kg direct = 9.4174 kg fossil CO2.
    assert BY_KEY["mgsi_cn_derived"].gases["co2_fossil"] == pytest.approx(9.4174)
    assert BY_KEY["electricity_cn_north_2022"].gases == {"co2_fossil": 0.6776}


# ------------------------------------------------------------------ validation errors

def _table(tmp_path, header_extra="dqr_ter,dqr_ger,dqr_tir,dqr_p", values="1,1,1,1", source="DESNZ (2025) table"):
    text = (
        "key,name,reference_product,unit,location,year,co2_fossil,ch4_fossil,ch4_biogenic,n2o,co2_biogenic,co2_dluc,"
        f"sf6,nf3,cf4,c2f6,co2e_unsplit,gwp_basis,aircraft,factor_ids,source,note{',' + header_extra if header_extra else ''}\n"
        "ok,ok,ok,kg,GLO,2025,1.0,,,,,,,,,,,AR6,,,DESNZ (2025) table,,1,1,1,1\n"
        f"bad,bad,bad,kg,GLO,2025,1.0,,,,,,,,,,,AR6,,,{source},{',' + values if header_extra else ''}\n"
    )
    path = tmp_path / "bg.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_dqr_column(tmp_path):
    path = _table(tmp_path, header_extra="dqr_ter,dqr_ger,dqr_tir", values="1,1,1")
    path.write_text(path.read_text().replace(",1,1,1,1\n", ",1,1,1\n"), encoding="utf-8")
    with pytest.raises(SourceError, match=rf"{re.escape(str(path))}:1: missing columns: dqr_p"):
        read_rows(path)


@pytest.mark.parametrize("values, message", [
    ("0,1,1,1", "dqr_ter = 0 is out of range"),
    ("1,6,1,1", "dqr_ger = 6 is out of range"),
    ("1,1,2.5,1", "dqr_tir = '2.5' is not an integer"),
    ("1,1,1,x", "dqr_p = 'x' is not an integer"),
    ("1,1,1,", "empty 'dqr_p'"),
])
def test_bad_dqr_value(tmp_path, values, message):
    path = _table(tmp_path, values=values)
    with pytest.raises(SourceError, match=rf"{re.escape(str(path))}:3: {re.escape(message)}"):
        read_rows(path)


@pytest.mark.parametrize("source", ["TODO", "n/a", "   "])
def test_placeholder_source_rejected(tmp_path, source):
    path = _table(tmp_path, source=source)
    with pytest.raises(SourceError, match=rf"{re.escape(str(path))}:3: "):
        read_rows(path)


def test_activity_fields_written(open_default):
    """Brightway activities carry the four ratings (int) and their mean (float)."""
    act = open_default.get_activity(("pcf-open-default", "cam_nmc811_greet"))
    row = BY_KEY["cam_nmc811_greet"]
    assert [act[c] for c in DQR_COLUMNS] == [row.dqr["ter"], row.dqr["ger"], row.dqr["tir"], row.dqr["p"]]
    assert all(isinstance(act[c], int) for c in DQR_COLUMNS)
    assert act["dqr"] == pytest.approx(row.dqr["dqr"])
    assert len(open_default.Database("pcf-open-default")) == len(read_rows(SOURCE))
