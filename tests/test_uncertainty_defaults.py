"""Default uncertainty of amounts without ``uncertainty:`` (issue 14 part 5).

The pedigree approach (Weidema B.P. et al. 2013, ecoinvent v3 data quality guideline, Table 10.5
for the score variances, Table 10.4 for the basic variances): the variance of ln(amount) is

    sigma^2 = basic variance + sum of the five pedigree score variances,   GSD = exp(sigma)

(GSD, not GSD^2: 95 % of the values lie within amount / GSD^1.96 .. amount * GSD^1.96).
Score variances used below (reliability, completeness, temporal, geographical, technological):
score 1: 0 each; score 2: 0.0006, 0.0001, 0.0002, 0.000025, 0.0006; score 3: 0.002, 0.0006,
0.002, 0.0001, 0.008; score 4: 0.008, 0.002, 0.008, 0.0006, 0.04. Basic variances: demand of
goods and energy 0.0006, transport services 0.12, CH4 0.04.

Background ``test-bg`` (tests/conftest.py): steel 2.0 kg CO2 / kg, air 1.0 kg CO2 / tkm.

Tolerances: with N iterations, the SE of a sample sd is about sd / sqrt(2 (N - 1)) (x 1.05 for
the small excess kurtosis of these lognormals), of a mean sd / sqrt(N); every statistical
assertion allows 4 SE, with fixed seeds.
"""

from __future__ import annotations

import json
import math
import textwrap

import pytest
from typer.testing import CliRunner

import cli
from pcf.core.errors import UncertaintyError
from pcf.lca import footprint
from pcf.lca.uncertainty import monte_carlo
from pcf.model import load_model
from pcf.model.distributions import DEFAULT_PEDIGREE, default_distribution, dqr_pedigree

N = 4000
#: sigma^2 of an input of secondary data (pcf default pedigree 3,3,3,3,3), basic 0.0006:
#: 0.0006 + 0.002 + 0.0006 + 0.002 + 0.0001 + 0.008 = 0.0133
S2_SECONDARY_INPUT = 0.0133
SD_SE = 1.05 / math.sqrt(2 * (N - 1))  # relative SE of a sample sd

HEAD = textwrap.dedent("""\
    format: pcf-model/1
    product:
      id: MCD
      name: default uncertainty test product
      process: p
      reference_flow: {amount: 1, unit: item}
    study: {background: test-bg, method: ipcc-2021-gwp100}
    processes:
    """)


def model(*processes: str) -> str:
    return HEAD + "".join(textwrap.indent(textwrap.dedent(p), "  ") for p in processes)


P_TWO = """\
    - id: p
      name: P
      stage: production
      output: {amount: 1, unit: item}
      inputs:
        - {background: steel, amount: 1, unit: kg, uncertainty: {distribution: lognormal, gsd: 1.05}}
        - {background: air, amount: 4, unit: tkm}
    """


def run(write_model, text: str, n: int = N, seed: int = 1, defaults: bool = True):
    system = load_model(write_model(text))
    return monte_carlo(system, n, seed, background=False, deterministic=footprint(system).total_kg_co2e,
                       defaults=defaults)


def test_unannotated_amount_gets_the_documented_gsd(bd, write_model):
    """The air input has no uncertainty: and its process states neither data nor dqr, so it is
    secondary data: pedigree (3,3,3,3,3), sigma = sqrt(0.0133) = 0.1153256, GSD 1.122239. The
    annotated steel input keeps its own GSD 1.05 and is not listed as a default."""
    d = run(write_model, model(P_TWO), n=100).to_dict()["defaults"]
    assert d["applied"] is True and d["unannotated"] == 1
    [a] = d["amounts"]
    assert (a["process"], a["field"], a["index"], a["input"]) == ("p", "inputs", 1, "air")
    assert a["pedigree"] == [3, 3, 3, 3, 3] and a["basic_variance"] == 0.0006
    assert a["source"] == "secondary data default"
    assert math.log(a["gsd"]) == pytest.approx(math.sqrt(0.0133), rel=1e-12)
    assert a["gsd"] == pytest.approx(1.122239, rel=1e-6)
    assert a["distribution"] == "lognormal, GSD 1.122 (pedigree 3,3,3,3,3, basic GSD 1.0248)"


def test_gsd_from_dqr_primary_data_and_transport_by_hand(bd, write_model):
    """Four amounts without uncertainty:, each GSD by hand from sigma^2 = basic + pedigree:

    - input with dqr {ter 2, ger 1, tir 2.5, p 4} -> pedigree (p 4, completeness 1, tir 3 (2.5
      rounded up), ger 1, ter 2): 0.0006 + 0.008 + 0 + 0.002 + 0 + 0.0006 = 0.0112, GSD 1.111633;
    - CH4 emission of a process with data: primary (pedigree 2,2,1,1,1), basic 0.04:
      0.04 + 0.0006 + 0.0001 = 0.0407, GSD 1.223533;
    - transport leg of a process rated dqr 1/1/1/1 (pedigree 1,1,1,1,1), basic 0.12: GSD 1.413982;
    - an input from another foreground process ({process: q}) gets no default.
    """
    text = model("""\
        - id: p
          name: P
          stage: production
          output: {amount: 1, unit: item}
          inputs:
            - {background: steel, amount: 1, unit: kg, dqr: {ter: 2, ger: 1, tir: 2.5, p: 4}}
            - {process: q, amount: 2, unit: item}
            - {process: r, amount: 1, unit: item}
        """, """\
        - id: q
          name: Q
          stage: production
          output: {amount: 1, unit: item}
          data: primary
          emissions:
            - {substance: methane, amount: 0.001, unit: kg}
        """, """\
        - id: r
          name: R
          stage: distribution
          output: {amount: 1, unit: item}
          dqr: {ter: 1, ger: 1, tir: 1, p: 1}
          transport:
            - {name: leg, mode: air_longhaul, distance: 100, mass: 10, activity: {background: air}}
        """)
    d = run(write_model, text, n=100).to_dict()["defaults"]
    got = {(a["process"], a["field"], a["index"]): a for a in d["amounts"]}
    assert set(got) == {("p", "inputs", 0), ("q", "emissions", 0), ("r", "transport", 0)}
    steel, ch4, leg = got[("p", "inputs", 0)], got[("q", "emissions", 0)], got[("r", "transport", 0)]
    assert steel["pedigree"] == [4, 1, 3, 1, 2] and steel["source"] == "dqr of the input"
    assert steel["gsd"] == pytest.approx(math.exp(math.sqrt(0.0112)), rel=1e-12)
    assert steel["gsd"] == pytest.approx(1.111633, rel=1e-6)
    assert ch4["pedigree"] == [2, 2, 1, 1, 1] and ch4["source"] == "primary data default"
    assert ch4["basic_variance"] == 0.04 and ch4["gsd"] == pytest.approx(1.223533, rel=1e-6)
    assert leg["pedigree"] == [1, 1, 1, 1, 1] and leg["source"] == "dqr of the process"
    assert leg["basic_variance"] == 0.12 and leg["gsd"] == pytest.approx(1.413982, rel=1e-6)


def test_default_distribution_math():
    """The library function by hand; a PEF rating maps P -> reliability, TiR -> temporal,
    GeR -> geographical, TeR -> technological, completeness 1; fractions round up."""
    assert dqr_pedigree({"ter": 5, "ger": 4, "tir": 3, "p": 2}) == (2, 1, 3, 4, 5)
    assert dqr_pedigree({"ter": 1.2, "ger": 1, "tir": 2.0, "p": 3.5}) == (4, 1, 2, 1, 2)
    assert DEFAULT_PEDIGREE == {"primary": (2, 2, 1, 1, 1), "secondary": (3, 3, 3, 3, 3)}
    dist, source = default_distribution(-2.0, 0.0006)
    assert source == "secondary data default" and dist.amount == -2.0
    assert dist.sigma == pytest.approx(math.sqrt(0.0133), rel=1e-12)
    assert dist.stats_row()[6] is True  # a credit: lognormal of |amount|, sign kept
    with pytest.raises(ValueError):
        default_distribution(0.0, 0.0006)


def test_single_default_lognormal_sd_over_mean_by_hand(bd, write_model):
    """Only 1 kg steel without uncertainty: the total is 2 X, X lognormal with sigma^2 = 0.0133,
    so sd / mean = sqrt(exp(sigma^2) - 1) = 0.115710 (whatever the factor 2) and the median is
    2.0. Relative SE of sd / mean ~ SD_SE (the mean's 0.0018 is negligible): tolerance 4 SE = 6.6 %.
    All the variance comes from the default: share 1."""
    text = model("""\
        - id: p
          name: P
          stage: production
          output: {amount: 1, unit: item}
          inputs:
            - {background: steel, amount: 1, unit: kg}
        """)
    mc = run(write_model, text)
    stats = mc.to_dict()
    assert stats["sd"] / stats["mean"] == pytest.approx(math.sqrt(math.exp(S2_SECONDARY_INPUT) - 1), rel=4 * SD_SE)
    assert stats["median"] == pytest.approx(2.0, rel=4 * math.sqrt(0.0133) * 1.2533 / math.sqrt(N))
    assert stats["defaults"]["variance_share"] == 1.0
    assert stats["defaults"]["without_defaults"]["sd"] == 0.0
    # with the default switched off there is nothing left to sample (background not sampled here)
    with pytest.raises(UncertaintyError, match="nothing to sample"):
        run(write_model, text, defaults=False)


def test_interval_widens_and_share_of_variance_by_hand(bd, write_model):
    """Steel 1 kg, GSD 1.05 (score 2 X) and air 4 tkm with the default (score 4 Y, sigma^2 0.0133).
    Var(2 X) = 4 (e^s1 - 1) e^s1 with s1 = (ln 1.05)^2 = 0.00238048: 0.00955598, sd 0.0977547.
    Var(4 Y) = 16 (e^0.0133 - 1) e^0.0133 = 0.2170896. With defaults sd = sqrt(0.2266456) =
    0.4760731; the defaults' share 0.2170896 / 0.2266456 = 0.95784. The share's SE is about
    2 sqrt(Var 2X Var 4Y / N) / Var = 0.0064 (sample covariance of independent draws):
    tolerance 0.026."""
    on = run(write_model, model(P_TWO)).to_dict()
    off = run(write_model, model(P_TWO), defaults=False).to_dict()
    assert on["sd"] == pytest.approx(0.4760731, rel=4 * SD_SE)
    assert off["sd"] == pytest.approx(0.0977547, rel=4 * SD_SE)
    assert on["p97_5"] - on["p2_5"] > 3 * (off["p97_5"] - off["p2_5"])
    assert on["defaults"]["variance_share"] == pytest.approx(0.95784, abs=0.026)
    assert on["defaults"]["without_defaults"]["sd"] == pytest.approx(0.0977547, rel=4 * SD_SE)
    assert on["sampled"]["foreground_amounts"] == 2
    # switched off: the air amount is not a random variable (held at 4 tkm in every iteration):
    # one foreground amount sampled, the only driver is steel, the defaults say so
    assert off["sampled"]["foreground_amounts"] == 1 and off["sampled"]["foreground_exchanges"] == 1
    assert [d["input"] for d in off["drivers"]] == ["steel"]
    assert off["defaults"]["applied"] is False and off["defaults"]["amounts"] == []
    assert off["defaults"]["unannotated"] == 1 and off["defaults"]["variance_share"] is None
    # 2 X + 4 with X lognormal, median 1, GSD 1.05: p2.5 = 2 / 1.05^1.96 + 4 = 5.82177,
    # p97.5 = 2 * 1.05^1.96 + 4 = 6.20119 (SE of ln-quantiles 0.0422 sigma, 4 SE)
    tol = 4 * 0.0422 * math.log(1.05) * 2.2
    assert off["p2_5"] == pytest.approx(4 + 2 / 1.05 ** 1.96, abs=tol)
    assert off["p97_5"] == pytest.approx(4 + 2 * 1.05 ** 1.96, abs=tol)
    # the default is a driver, said to be one
    air = next(d for d in on["drivers"] if d["input"] == "air")
    assert air["distribution"].startswith("default lognormal, GSD 1.122") and air["share"] > 0.8


runner = CliRunner()


def test_cli_no_default_uncertainty(bd, write_model, tmp_path):
    path = write_model(model(P_TWO))
    out = tmp_path / "out"
    result = runner.invoke(cli.app, ["footprint", str(path), "--out", str(out), "--monte-carlo", "100", "--seed", "2",
                                     "--no-default-uncertainty"])
    assert result.exit_code == 0, result.output
    u = json.loads((out / "MCD.result.json").read_text())["uncertainty"]
    assert u["defaults"]["applied"] is False and u["sampled"]["foreground_amounts"] == 1
    assert "Default uncertainty off: 1 amounts without stated uncertainty held fixed" in " ".join(result.output.split())
    result = runner.invoke(cli.app, ["footprint", str(path), "--out", str(out), "--monte-carlo", "100", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "Default uncertainty: 1 amounts without stated uncertainty sampled" in " ".join(result.output.split())
    # the top contributions name their stage as the tables do (P_TWO's process p is in production)
    top = next(line for line in result.output.splitlines() if line.startswith("Top contributions: "))
    assert "(Production) " in top and "(production)" not in top


def test_cli_no_default_uncertainty_needs_monte_carlo(bd, write_model, tmp_path):
    out = tmp_path / "never"
    result = runner.invoke(cli.app, ["footprint", str(write_model(model(P_TWO))), "--out", str(out),
                                     "--no-default-uncertainty"])
    assert result.exit_code == 2
    assert "--no-default-uncertainty goes with --monte-carlo" in " ".join(result.output.split())
    assert not out.exists()


def test_report_says_so_next_to_the_interval(bd, write_model, tmp_path):
    from tests.test_render import pdftotext

    from pcf.api import compute
    from pcf.render import render_report

    declaration = compute(write_model(model(P_TWO)), monte_carlo=300, seed=4)
    share = declaration.result.uncertainty.defaults.variance_share
    text = " ".join(pdftotext(render_report(declaration, tmp_path / "on")).split())
    assert "Default uncertainty 1 amounts without stated uncertainty were sampled with a default lognormal" in text
    # P_TWO: steel states its uncertainty, air does not; said once, without a stray "uncertainty:,"
    assert "Sampled 2 foreground amounts (1 with stated uncertainty, 1 with a default);" in text
    assert "default) foreground amounts" not in text  # the template no longer repeats the words
    assert "uncertainty:," not in text and "uncertainty: were" not in text
    assert "from the default for secondary data" in text and "of the variance" in text
    assert f"{100 * share:.1f} %" in text and "Without them the 95 % interval would be" in text
    assert ("1 amounts without stated uncertainty were sampled with a default distribution from their data "
            "quality (pedigree matrix)") in text  # the limitations say it too
    off = compute(write_model(model(P_TWO)), monte_carlo=300, seed=4, default_uncertainty=False)
    text = " ".join(pdftotext(render_report(off, tmp_path / "off")).split())
    assert "1 amounts without stated uncertainty were held fixed, so this interval understates the uncertainty" in text
    assert "1 amounts without stated uncertainty were held fixed in the Monte Carlo" in text


def test_a_result_written_before_defaults_still_reads(bd, write_model):
    from pcf.api import compute
    from pcf.declaration import Declaration
    from pcf.render.report_uncertainty import uncertainty_context

    data = compute(write_model(model(P_TWO)), monte_carlo=50, seed=4).to_json()
    del data["uncertainty"]["defaults"]
    old = Declaration.from_json(json.loads(json.dumps(data)))
    assert not old.result.uncertainty.defaults
    assert uncertainty_context(old.result)["defaults"] is None
    assert "defaults" not in old.to_json()["uncertainty"]


def test_recompute_note_repeats_the_default_setting(bd, write_model):
    """`pcf recompute` says which command draws the same samples again: with the defaults held
    fixed that command needs --no-default-uncertainty."""
    from pcf.api import compute
    from pcf.declaration.recompute import recompute_options

    path = write_model(model(P_TWO))
    off = recompute_options(compute(path, monte_carlo=20, seed=5, default_uncertainty=False)).notes
    on = recompute_options(compute(path, monte_carlo=20, seed=5)).notes
    assert any("--monte-carlo 20 --seed 5 --no-default-uncertainty`" in n for n in off)
    assert any("--monte-carlo 20 --seed 5`" in n for n in on)
