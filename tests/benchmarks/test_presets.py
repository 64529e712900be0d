"""Every benchmark preset and variant is a valid experiment config (a typo fails here, not an
hour into a benchmark run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import lare_bench  # noqa: E402
import lmgt_bench  # noqa: E402

from langreward.lmgt import LMGTSettings  # noqa: E402


@pytest.mark.parametrize("preset", sorted(lmgt_bench.PRESETS))
def test_lmgt_presets_validate(preset: str) -> None:
    for variant in lmgt_bench.VARIANTS:
        config = lmgt_bench.variant_config(preset, variant, "embedded")
        assert config.method == ("baseline" if variant == "baseline" else "lmgt")
        if variant.startswith("llm"):
            assert config.lmgt["judge"] == "llm"
            assert config.lmgt["background"] is (variant == "llm-bg")
        if variant != "baseline":
            LMGTSettings.parse(config.lmgt)  # the method's own settings validate too
            # the LLM variants' own settings (a cheaper key, ...) reach only them and their
            # control, the constant judge
            own = lmgt_bench.PRESETS[preset].get("llm_lmgt", {})
            same_budget = variant.startswith("llm") or variant == "constant"
            for name, value in own.items():
                if variant != "llm-coarse" or name != "key":
                    assert (config.lmgt.get(name) == value) is same_budget
        if variant == "llm-coarse":
            coarse = lmgt_bench.PRESETS[preset].get("coarse_key", 3)
            assert config.lmgt["key"] == {"bins": coarse}


@pytest.mark.parametrize("preset", sorted(lare_bench.PRESETS))
def test_lare_presets_validate(preset: str) -> None:
    for variant in lare_bench.VARIANTS:
        config = lare_bench.variant_config(preset, variant, "embedded:qwen2.5-coder-1.5b")
        assert config.method == "lare" and config.algo == "sac"


def test_lmgt_headers_build_for_every_preset() -> None:
    for preset in lmgt_bench.PRESETS:
        header = lmgt_bench.header_text(preset, lmgt_bench.VARIANTS, "embedded", 5, 2, "")
        assert lmgt_bench.PRESETS[preset]["base"]["env"]["id"] in header


@pytest.mark.parametrize("preset", ["mountaincar", "acrobot"])
def test_spec_shaping_arms_validate_and_share_one_budget(preset: str) -> None:
    import spec_shaping_bench

    from langreward.experiments.preflight import preflight_problems

    sections = spec_shaping_bench.arms(preset, candidates=4, trial_steps=5000)
    budget = spec_shaping_bench.PRESETS[preset]["budget"]
    for arm, section in sections.items():
        config = spec_shaping_bench.arm_config(preset, arm, section, budget)
        trial = 4 * 5000 if section.get("candidates", 1) > 1 else 0
        assert config.total_timesteps + trial == budget, arm
        if arm == "hand":
            assert preflight_problems(config) == []  # its feature names are the env's
