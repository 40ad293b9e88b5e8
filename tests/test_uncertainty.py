"""Monte Carlo uncertainty (ISO 14067:2018 6.4.5, 7.3): distributions, pedigree GSD, sampling
of foreground and background, drivers, seeds, validation, CLI and report.

Background ``test-bg`` (tests/conftest.py): steel 2.0 kg CO2 / kg, air 1.0 kg CO2 / tkm, so a
chain ``x kg steel`` scores k = 2 kg CO2e per kg of steel (CO2 factor 1).

Sampling tolerances. With N iterations of a lognormal with sigma = ln GSD, the standard
error (SE) of the sample median of ln X is sigma * sqrt(pi / 2) / sqrt(N) and that of the
p-quantile is sigma * sqrt(p (1 - p)) / phi(z_p) / sqrt(N) (phi(1.96) = 0.05844), i.e.
0.0422 sigma at p = 0.975 and N = 4000; the SE of a mean is sd / sqrt(N), of an sd about
sd / sqrt(2 (N - 1)). Every statistical assertion allows 4 SE (a false failure rate of about
6e-5 for a fresh seed; the seeds here are fixed, so the tests are deterministic).
"""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pytest
from typer.testing import CliRunner

import cli
from pcf.core.errors import ModelError, UncertaintyError
from pcf.core.numbers import figure
from pcf.lca import footprint
from pcf.lca.uncertainty import monte_carlo
from pcf.model import load_model
from pcf.model.distributions import pedigree_sigma
from tests.conftest import flat

N = 4000
Z = 1.96

HEAD = textwrap.dedent("""\
    format: pcf-model/1
    product:
      id: MC
      name: Monte Carlo test product
      process: p
      reference_flow: {amount: 1, unit: item}
      declared_unit: {unit: kWh, description: test, per_reference_flow: 4}
    study: {background: test-bg, method: ipcc-2021-gwp100}
    processes:
      - id: p
        name: P
        stage: production
        output: {amount: 1, unit: item}
    """)


def one_input(line: str) -> str:
    """A model whose only process has the one input ``line`` (a YAML flow mapping)."""
    return HEAD + "    inputs:\n      - " + line + "\n"


def block(text: str) -> str:
    """Process fields (``inputs:``, ``emissions:``, ...) appended to HEAD's process."""
    return textwrap.indent(textwrap.dedent(text), "    ")


def run(write_model, text: str, n: int = N, seed: int = 1, background: bool = False, defaults: bool = True):
    system = load_model(write_model(text))
    return monte_carlo(system, n, seed, background=background, deterministic=footprint(system).total_kg_co2e,
                       defaults=defaults)


def quantile_se(sigma: float, p: float = 0.975, n: int = N) -> float:
    """SE of the p-quantile of ln X for a lognormal with sigma [-] (module docstring)."""
    z = 1.959964 if p in (0.975, 0.025) else None
    phi = math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return sigma * math.sqrt(p * (1 - p)) / phi / math.sqrt(n)


def test_lognormal_input_median_and_95_interval(bd, write_model):
    """3 kg steel, GSD 1.2, k = 2: median 6.0; 95 % interval 6 * 1.2^(-+1.96) = 4.1972 .. 8.5772;
    mean 6 * exp((ln 1.2)^2 / 2) = 6.1006 (above the deterministic 6.0, the median)."""
    mc = run(write_model, one_input("{background: steel, amount: 3, unit: kg, uncertainty: {distribution: lognormal, gsd: 1.2}}"))
    stats = mc.to_dict()
    sigma = math.log(1.2)
    assert stats["deterministic_kg_co2e"] == pytest.approx(6.0, rel=1e-6)
    assert stats["median"] == pytest.approx(6.0, rel=4 * sigma * math.sqrt(math.pi / 2) / math.sqrt(N))
    assert stats["p2_5"] == pytest.approx(4.19716, rel=4 * quantile_se(sigma))
    assert stats["p97_5"] == pytest.approx(8.57722, rel=4 * quantile_se(sigma))
    # sd of 6 X: 6 * sqrt((e^s2 - 1) e^s2) = 1.1168, SE of the mean 0.0177
    assert stats["mean"] == pytest.approx(6.10056, abs=4 * 1.1168 / math.sqrt(N))
    assert stats["per_declared_unit"]["median"] == pytest.approx(stats["median"] / 4, rel=1e-12)
    assert stats["iterations"] == N and stats["failed"] == 0
    assert stats["sampled"] == {"foreground_amounts": 1, "foreground_exchanges": 1, "background_exchanges": {},
                                "background_ranked": 0}


def test_normal_input_mean_and_sd(bd, write_model):
    """10 kg steel, sd 1 kg: score mean 2 * 10 = 20, sd 2 * 1 = 2, p97.5 = 20 + 1.96 * 2 = 23.92."""
    stats = run(write_model, one_input("{background: steel, amount: 10, unit: kg, uncertainty: {distribution: normal, sd: 1}}")).to_dict()
    assert stats["mean"] == pytest.approx(20.0, abs=4 * 2 / math.sqrt(N))
    assert stats["sd"] == pytest.approx(2.0, abs=4 * 2 / math.sqrt(2 * (N - 1)))
    # SE of a normal quantile: sd * sqrt(p(1-p)) / phi(z) / sqrt(N) = 2 * 0.0422
    assert stats["p97_5"] == pytest.approx(23.92, abs=4 * 2 * 0.0422)


def test_triangular_input_mean(bd, write_model):
    """min 1, mode 2, max 6 kg of steel: mean (1 + 2 + 6) / 3 * 2 = 6.0 (the deterministic value
    is the mode, 4.0); sd 2 * sqrt((1 + 4 + 36 - 2 - 6 - 12) / 18) = 2.1602."""
    mc = run(write_model, one_input("{background: steel, amount: 2, unit: kg, "
                                    "uncertainty: {distribution: triangular, min: 1, max: 6}}"))
    stats = mc.to_dict()
    assert stats["deterministic_kg_co2e"] == pytest.approx(4.0, rel=1e-6)
    assert stats["mean"] == pytest.approx(6.0, abs=4 * 2.1602 / math.sqrt(N))
    assert stats["sd"] == pytest.approx(2.1602, abs=4 * 2.1602 / math.sqrt(2 * (N - 1)))
    assert 2.0 <= mc.scores.min() and mc.scores.max() <= 12.0


def test_pedigree_gsd_by_hand(bd, write_model):
    """Pedigree [2, 3, 1, 2, 4], basic GSD 1.05 (ecoinvent v3 variances, Weidema et al. 2013):
    sigma^2 = (ln 1.05)^2 + 0.0006 (reliability 2) + 0.0006 (completeness 3) + 0 (temporal 1)
            + 0.000025 (geographical 2) + 0.04 (technological 4)
            = 0.00238048 + 0.041225 = 0.04360548;  sigma = 0.2088193;  GSD = 1.232222.
    The 97.5 % quantile is the median times GSD^1.96 = 1.505742."""
    assert pedigree_sigma([2, 3, 1, 2, 4], 1.05) == pytest.approx(0.2088193, rel=1e-6)
    assert math.exp(pedigree_sigma([2, 3, 1, 2, 4], 1.05)) == pytest.approx(1.232222, rel=1e-6)
    assert pedigree_sigma([1, 1, 1, 1, 1], 1.0) == 0.0
    assert pedigree_sigma([5, 5, 5, 5, 5], 1.0) == pytest.approx(math.sqrt(0.04 + 0.008 + 0.04 + 0.002 + 0.12))
    text = one_input("{background: steel, amount: 1, unit: kg, uncertainty: {pedigree: [2, 3, 1, 2, 4], basic_gsd: 1.05}}")
    mc = run(write_model, text)
    stats = mc.to_dict()
    assert stats["p97_5"] / stats["median"] == pytest.approx(1.505742, rel=4 * quantile_se(0.2088193) + 4 * 0.2088193 * 1.2533 / math.sqrt(N))
    assert mc.drivers[0]["distribution"] == "lognormal, GSD 1.232 (pedigree 2,3,1,2,4, basic GSD 1.05)"
    # the same distribution is written to the Brightway exchange (so bw2calc's Monte Carlo sees it)
    from pcf.core.bw import brightway

    [exc] = [e for e in brightway().get_node(database="pcf-fg-MC", code="p").technosphere()]
    assert exc["uncertainty type"] == 2 and exc["scale"] == pytest.approx(0.2088193, rel=1e-6)
    assert exc["loc"] == pytest.approx(0.0, abs=1e-12) and exc["pedigree"]["further technological correlation"] == 4


def test_drivers_rank_the_wide_input_first(bd, write_model):
    """Two inputs into the same matrix cell (steel of p): A = 1 kg lognormal GSD 1.5, B = 1 kg
    normal sd 0.05. Variances of their score parts: A 4 (e^s2 - 1) e^s2 = 0.8424 with
    s2 = (ln 1.5)^2 = 0.16440; B 4 * 0.05^2 = 0.01, so A carries ~99 % of the variance.
    Mean 2 (exp(s2 / 2) + 1) = 4.1713."""
    text = HEAD + block("""\
            inputs:
              - {background: steel, amount: 1, unit: kg, uncertainty: {distribution: lognormal, gsd: 1.5}}
              - {background: steel, amount: 1, unit: kg, uncertainty: {distribution: normal, sd: 0.05}}
        """)
    mc = run(write_model, text)
    first, second = mc.drivers
    assert (first["index"], second["index"]) == (0, 1)
    assert first["share"] > 0.95 and second["share"] < 0.03
    assert first["share"] + second["share"] == pytest.approx(1.0)
    assert first["spearman"] > 0.95 and first["input"] == "steel" and first["process"] == "p"
    assert mc.to_dict()["mean"] == pytest.approx(4.1713, abs=4 * math.sqrt(0.8524) / math.sqrt(N))


def test_emission_and_removal_are_sampled_with_their_signs(bd, write_model):
    """Direct CO2 2 kg, GSD 1.1, and a removal of 1 kg CO2, sd 0.1: score = X_e - X_r,
    mean 2 exp((ln 1.1)^2 / 2) - 1 = 1.00910, sd sqrt(4 (e^s2 - 1) e^s2 + 0.01) = 0.21641.
    The removal lowers the score, so its rank correlation is negative."""
    text = HEAD + block("""\
            emissions:
              - {substance: carbon dioxide, origin: fossil, amount: 2, unit: kg, uncertainty: {distribution: lognormal, gsd: 1.1}}
            removals:
              - {substance: carbon dioxide, origin: biogenic, amount: 1000, unit: g, uncertainty: {distribution: normal, sd: 100}}
        """)
    mc = run(write_model, text)
    stats = mc.to_dict()
    assert stats["deterministic_kg_co2e"] == pytest.approx(1.0, rel=1e-6)
    assert stats["mean"] == pytest.approx(1.00910, abs=4 * 0.21641 / math.sqrt(N))
    assert stats["sd"] == pytest.approx(0.21641, abs=4 * 0.21641 / math.sqrt(2 * (N - 1)))
    removal = next(d for d in mc.drivers if d["field"] == "removals")
    emission = next(d for d in mc.drivers if d["field"] == "emissions")
    assert removal["spearman"] < -0.3 and emission["spearman"] > 0.8
    assert removal["distribution"] == "normal, sd 0.1"  # 100 g -> 0.1 kg


def test_transport_distance_uncertainty(bd, write_model):
    """500 kg carried 1000 km (800 .. 1600 km triangular) by 'air' (1 kg CO2/tkm): deterministic
    500 tkm -> 500 kg CO2e; mean 0.5 t * (800 + 1000 + 1600) / 3 km = 566.67; sd 0.5 *
    sqrt((800^2 + 1000^2 + 1600^2 - 800*1000 - 800*1600 - 1000*1600) / 18) = 84.98."""
    text = HEAD + block("""\
            transport:
              - {name: flight, mode: air_longhaul, distance: 1000, mass: 500, activity: {background: air},
                 uncertainty: {distribution: triangular, min: 800, max: 1600}}
        """)
    stats = run(write_model, text).to_dict()
    assert stats["deterministic_kg_co2e"] == pytest.approx(500.0, rel=1e-6)
    assert stats["mean"] == pytest.approx(566.667, abs=4 * 84.98 / math.sqrt(N))
    assert stats["drivers"][0]["input"] == "flight" and stats["drivers"][0]["field"] == "transport"


def test_allocated_input_moves_together_in_both_coproducts(bd, write_model):
    """p makes 1 kg of p and 1 kg of co-product q (mass allocation 0.5 / 0.5) from 2 kg steel
    with GSD 1.3; r uses 1 kg p and 1 kg q, so the score is 4 X, X the steel amount's factor.
    Sampled as ONE variable the score's 97.5 % / median ratio is 1.3^1.96 = 1.67236 (two
    independent halves would give a narrower ~1.45)."""
    text = textwrap.dedent("""\
        format: pcf-model/1
        product: {id: MC, name: co-products, process: r, reference_flow: {amount: 1, unit: item}}
        study: {background: test-bg}
        processes:
          - id: r
            name: R
            stage: production
            output: {amount: 1, unit: item}
            inputs:
              - {process: p, amount: 1, unit: kg}
              - {process: q, amount: 1, unit: kg}
          - id: p
            name: P
            stage: raw_material_acquisition
            output: {amount: 1, unit: kg}
            coproducts: [{id: q, name: Q, amount: 1, unit: kg}]
            allocation: {method: mass}
            inputs:
              - {background: steel, amount: 2, unit: kg, uncertainty: {distribution: lognormal, gsd: 1.3}}
        """)
    mc = run(write_model, text)
    stats = mc.to_dict()
    sigma = math.log(1.3)
    assert stats["deterministic_kg_co2e"] == pytest.approx(4.0, rel=1e-6)
    assert stats["sampled"]["foreground_amounts"] == 1 and stats["sampled"]["foreground_exchanges"] == 2
    tolerance = 4 * quantile_se(sigma) + 4 * sigma * 1.2533 / math.sqrt(N)
    assert stats["p97_5"] / stats["median"] == pytest.approx(1.3 ** Z, rel=tolerance)


def test_background_is_sampled_with_a_deterministic_foreground(bd, write_model):
    """1 kg steel, no uncertainty in the model. test-bg rows rate DQR 1/1/1/1, so each exchange
    carries only the basic CO2 variance 0.0006 (databases/README.md): GSD exp(sqrt(0.0006)) =
    1.024797, and the 95 % interval of the score is 2 / 1.049181 .. 2 * 1.049181 = 1.90625 ..
    2.09836. The test-bg matrices hold 8 biosphere exchanges with distributions: elec 3 gases,
    steel 1, air 1, wood 3."""
    mc = run(write_model, one_input("{background: steel, amount: 1, unit: kg}"), background=True, defaults=False)
    stats = mc.to_dict()
    sigma = math.sqrt(0.0006)
    assert stats["sd"] > 0
    assert stats["p2_5"] == pytest.approx(1.906249, rel=4 * quantile_se(sigma))
    assert stats["p97_5"] == pytest.approx(2.098362, rel=4 * quantile_se(sigma))
    assert stats["sampled"]["foreground_amounts"] == 0
    assert stats["sampled"]["background_exchanges"] == {"test-bg": 8}
    [driver] = stats["drivers"]  # only the steel exchange is used by the product
    assert driver["kind"] == "background" and driver["process"] == "steel" and driver["share"] == 1.0
    assert driver["distribution"] == "lognormal, GSD 1.025"
    assert "DERIVED" in stats["background_note"]


def test_open_default_gsd_from_dqr(open_default):
    """electricity_cn_east_2023 rates TeR 3, GeR 1, TiR 1, P 3 -> pedigree (3, 1, 1, 1, 3):
    sigma^2 = 0.0006 (basic CO2) + 0.002 (reliability 3) + 0.008 (technological 3) = 0.0106,
    sigma = 0.1029563, GSD 1.108443."""
    node = open_default.get_node(database="pcf-open-default", code="electricity_cn_east_2023")
    [exc] = list(node.biosphere())
    assert exc["uncertainty type"] == 2
    assert exc["scale"] == pytest.approx(0.1029563, rel=1e-6)
    assert exc["loc"] == pytest.approx(math.log(0.55), rel=1e-9)
    assert exc["pedigree"] == {"reliability": 3, "completeness": 1, "temporal correlation": 1,
                               "geographical correlation": 1, "further technological correlation": 3}


def test_setup_rewrites_a_table_written_by_an_older_format(open_default):
    from pcf.background import setup

    meta = open_default.databases["pcf-open-default"]
    meta["pcf_table_format"] = 1
    open_default.databases["pcf-open-default"] = meta
    assert setup()["open-default"].startswith("built")
    assert setup()["open-default"] == "present"


def test_same_seed_same_numbers_other_seed_other_numbers(bd, write_model):
    text = one_input("{background: steel, amount: 3, unit: kg, uncertainty: {distribution: lognormal, gsd: 1.2}}")
    a = run(write_model, text, n=300, seed=11, background=True).to_dict()
    b = run(write_model, text, n=300, seed=11, background=True).to_dict()
    c = run(write_model, text, n=300, seed=12, background=True).to_dict()
    assert a == b
    assert a["mean"] != c["mean"] and a["seed"] == 11 and c["seed"] == 12


def test_agrees_with_bw2calc_own_monte_carlo(bd, write_model):
    """An independent check of where the samples go (signs, loops, background): bw2calc's
    LCA(use_distributions=True) samples the distributions pcf writes to the exchanges. On the
    loop model of test_lca (s_a = 1.25, s_b = 2.5) with uncertain loop input, electricity,
    steel and N2O, both means agree within 4 combined standard errors."""
    from tests.builders import loop_model

    text = loop_model(uncertainty={"a": {"distribution": "triangular", "min": 0.05, "max": 0.3},
                                   "elec": {"distribution": "lognormal", "gsd": 1.3},
                                   "steel": {"distribution": "normal", "sd": 0.2}})
    system = load_model(write_model(text))
    ours = monte_carlo(system, 2000, seed=5)
    from pcf.background import method_spec
    from pcf.core.bw import brightway

    bd = brightway()
    import bw2calc as bc

    node = bd.get_node(database="pcf-fg-LOOP", code="a")
    fu, data_objs, _ = bd.prepare_lca_inputs(demand={node: 1}, method=method_spec("ipcc-2021-gwp100").name)
    lca = bc.LCA(demand=fu, data_objs=data_objs, use_distributions=True, seed_override=5)
    lca.lci()
    lca.lcia()
    theirs = [lca.score]
    for _ in range(999):
        next(lca)
        theirs.append(lca.score)
    theirs = np.array(theirs)
    se = math.sqrt(ours.statistics()["se_mean"] ** 2 + theirs.std(ddof=1) ** 2 / len(theirs))
    assert ours.statistics()["mean"] == pytest.approx(theirs.mean(), abs=4 * se)
    assert ours.statistics()["mean"] > ours.deterministic  # the loop input is skewed upwards (mode 0.1, mean 0.15)


def test_nothing_to_sample_is_an_error(bd, write_model):
    system = load_model(write_model(one_input("{background: steel, amount: 1, unit: kg}")))
    with pytest.raises(UncertaintyError, match="nothing to sample"):
        monte_carlo(system, 100, 1, background=False, defaults=False)
    with pytest.raises(UncertaintyError, match="at least 10"):
        monte_carlo(system, 5, 1)
    with pytest.raises(UncertaintyError, match="seed"):
        monte_carlo(system, 100, -1)


BAD = [
    ("{distribution: lognormal, gsd: 1}", "must be > 1"),
    ("{distribution: lognormal, gsd: 0.8}", "must be > 1"),
    ("{distribution: lognormal}", "needs gsd"),
    ("{distribution: normal, sd: -0.1}", "sd must be > 0"),
    ("{distribution: normal, sd: 2}", "changes sign"),
    ("{distribution: normal, gsd: 1.2}", "needs sd"),
    ("{distribution: triangular, min: 5, max: 9}", "must lie between min 5 and max 9"),
    ("{distribution: triangular, min: 1, max: 2}", "must lie between min 1 and max 2"),
    ("{distribution: triangular, min: 4, max: 2}", "must be below max"),
    ("{distribution: uniform, min: -1, max: 4}", "change sign"),
    ("{distribution: beta, min: 1, max: 4}", "distribution"),
    ("{pedigree: [1, 2, 3, 4, 6], basic_gsd: 1.05}", "1 (best) .. 5, got 6"),
    ("{pedigree: [0, 2, 3, 4, 5], basic_gsd: 1.05}", "got 0"),
    ("{pedigree: [1, 2, 3, 4], basic_gsd: 1.05}", "5 scores"),
    ("{pedigree: [1, 2, 3, 4, 5]}", "needs basic_gsd"),
    ("{pedigree: [1, 2, 3, 4, 5], basic_gsd: 0.9}", "basic_gsd must be >= 1"),
    ("{pedigree: [1, 1, 1, 1, 1], basic_gsd: 1}", "give no uncertainty"),
    ("{pedigree: [1, 2, 3, 4, 5], basic_gsd: 1.05, distribution: normal, sd: 1}", "not both"),
    ("{gsd: 1.2}", "name the distribution"),
    ("{distribution: lognormal, gsd: 1.2, sd: 1}", "do not go with a lognormal"),
]


@pytest.mark.parametrize("spec,message", BAD)
def test_invalid_uncertainty_has_file_and_line(write_model, spec, message):
    text = one_input("{background: steel, amount: 3, unit: kg, uncertainty: " + spec + "}")
    path = write_model(text)
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}:{len(text.splitlines())}:")


def test_lognormal_of_zero_amount_is_refused(write_model):
    text = one_input("{background: steel, amount: 0, unit: kg, uncertainty: {distribution: lognormal, gsd: 1.2}}")
    with pytest.raises(ModelError, match="cannot be 0"):
        load_model(write_model(text))


def test_bounds_may_be_expressions_and_follow_the_unit(bd, write_model):
    """2000 g of steel, triangular 1000 g .. 3 * 1000 g: in kg 1 .. 2 .. 3, mean 2 kg -> 4 kg CO2e."""
    text = one_input("{background: steel, amount: 2000, unit: g, uncertainty: {distribution: triangular, min: 1000, "
                     "max: 3 * 1000}}")
    system = load_model(write_model(text))
    [inp] = system.processes["p"].inputs
    assert (inp.uncertainty.minimum, inp.uncertainty.amount, inp.uncertainty.maximum) == (1000, 2000, 3000)
    stats = monte_carlo(system, N, 3, background=False).to_dict()
    # triangular 1 .. 2 .. 3 kg: sd sqrt((1 + 4 + 9 - 2 - 3 - 6) / 18) = 0.4082 kg -> score sd 0.8165
    assert stats["mean"] == pytest.approx(4.0, abs=4 * 0.8165 / math.sqrt(N))
    assert stats["drivers"][0]["distribution"] == "triangular 1 .. 3"


runner = CliRunner()
UNCERTAIN = one_input("{background: steel, amount: 3, unit: kg, uncertainty: {distribution: lognormal, gsd: 1.2}}")


def test_cli_monte_carlo_prints_interval_and_writes_it(bd, write_model, tmp_path):
    model = write_model(UNCERTAIN)
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["footprint", str(model), "--out", str(out), "--monte-carlo", "200", "--seed", "7"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "MC.result.json").read_text())
    u = data["uncertainty"]
    assert u["iterations"] == 200 and u["seed"] == 7
    assert u["p2_5"] < u["median"] < u["p97_5"]
    text = " ".join(result.output.split())
    assert "Monte Carlo (200 iterations, seed 7)" in text and "95 % interval" in text
    assert f"{figure(u['p2_5'])} .. {figure(u['p97_5'])}" in text   # the one number policy (pcf.core.numbers)


def test_cli_without_monte_carlo_has_null_uncertainty(bd, write_model, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["footprint", str(write_model(UNCERTAIN)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "MC.result.json").read_text())["uncertainty"] is None
    assert "95 % interval" not in flat(result.output)


@pytest.mark.parametrize("args,message", [(["--seed", "3"], "--seed goes with --monte-carlo"),
                                          (["--monte-carlo", "5"], "at least 10"),
                                          (["--monte-carlo", "0"], "at least 10")])
def test_cli_bad_monte_carlo_options_exit_2(bd, write_model, tmp_path, args, message):
    out = tmp_path / "never"
    result = runner.invoke(cli.app, ["footprint", str(write_model(UNCERTAIN)), "--out", str(out), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_report_shows_the_interval_and_drivers(bd, write_model, tmp_path):
    from tests.test_render import pdftotext

    from pcf.api import compute
    from pcf.render import render_report
    from pcf.render import fmt
    from pcf.render.report_uncertainty import uncertainty_context

    declaration = compute(write_model(UNCERTAIN), monte_carlo=500, seed=3)
    u = declaration.to_json()["uncertainty"]
    ctx = uncertainty_context(declaration.result)
    assert ctx["interval"] == f"{fmt.sig(u['p2_5'])} – {fmt.sig(u['p97_5'])}"
    assert len(ctx["histogram"]["bars"]) == len(u["histogram"]["counts"])
    text = " ".join(pdftotext(render_report(declaration, tmp_path)).split())
    assert "2.5 不确定性 Uncertainty" in text
    assert ctx["interval"] in text and "seed 3" in text and "500" in text
    assert "steel" in text  # the driver


def test_report_without_monte_carlo_says_so_without_a_command_line(bd, write_model, tmp_path):
    """The study report says no uncertainty analysis was run; it prints no command line (issue 20 part 5)."""
    from tests.test_render import pdftotext

    from pcf.api import compute
    from pcf.render import render_report

    result = compute(write_model(UNCERTAIN))
    text = " ".join(pdftotext(render_report(result, tmp_path)).split())
    assert "No Monte Carlo" in text and "--monte-carlo" not in text and "pcf footprint" not in text


def test_use_stage_amount_per_year_scales_its_uncertainty(bd, write_model):
    """A use-stage emission of 1 kg CO2 per year (sd 0.1 kg per year) over a 10-year service
    life: 10 kg over the life, sd 10 x 0.1 = 1 kg (the whole life's amount is one draw)."""
    text = textwrap.dedent("""\
        format: pcf-model/1
        product: {id: MC, name: use stage, process: u, reference_flow: {amount: 1, unit: item},
                  service_life: {amount: 10, unit: year}}
        study: {background: test-bg}
        processes:
          - id: u
            name: U
            stage: use
            output: {amount: 1, unit: item}
            emissions:
              - {substance: carbon dioxide, amount: 1, unit: kg, per: year, uncertainty: {distribution: normal, sd: 0.1}}
        """)
    stats = run(write_model, text).to_dict()
    assert stats["deterministic_kg_co2e"] == pytest.approx(10.0, rel=1e-6)
    assert stats["sd"] == pytest.approx(1.0, abs=4 * 1.0 / math.sqrt(2 * (N - 1)))
    assert stats["mean"] == pytest.approx(10.0, abs=4 * 1.0 / math.sqrt(N))
