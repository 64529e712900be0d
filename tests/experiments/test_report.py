from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from langreward.experiments import build_report
from langreward.experiments.curves import curve_auc, rolling_mean, steps_to_threshold

CHROMIUM = Path("/usr/bin/chromium")


def fake_llm_runs(tiny_runs: list[Path], root: Path) -> list[Path]:
    """Copies of the tiny baseline runs relabelled as an LMGT sweep point with LLM stats."""
    out = []
    for i, src in enumerate(tiny_runs):
        dst = root / f"lmgt-copy-{i}"
        shutil.copytree(src, dst)
        config = yaml.safe_load((dst / "config.yaml").read_text())
        config["method"] = "lmgt"
        (dst / "config.yaml").write_text(yaml.safe_dump(config))
        meta = json.loads((dst / "meta.json").read_text())
        meta["config_key"] = "lmgtfake"
        (dst / "meta.json").write_text(json.dumps(meta))
        summary = json.loads((dst / "summary.json").read_text())
        summary.update(
            method="lmgt",
            labels={"lmgt.scale": 0.5},
            llm_spec="embedded",
            wall_time_s=summary["wall_time_s"] * 3,
            llm={
                "calls": 1000,
                "cache_hits": 400,
                "prompt_tokens": 900,
                "completion_tokens": 300,
                "llm_seconds": summary["wall_time_s"],
            },
        )
        (dst / "summary.json").write_text(json.dumps(summary))
        out.append(dst)
    return out


@pytest.fixture(scope="module")
def report_inputs(tiny_runs, tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("report-inputs")
    fake_llm_runs(tiny_runs, root)
    unfinished = root / "unfinished"
    shutil.copytree(tiny_runs[0], unfinished)
    (unfinished / "summary.json").unlink()
    return [tiny_runs[0].parent, root]


def test_html_report_embeds_curves_and_tables(report_inputs, tmp_path):
    out = build_report(report_inputs, tmp_path / "report.html")
    html = out.read_text()
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    assert len(images) == 1 and len(images[0]) > 5000  # one env, one figure
    assert html.count("<table>") == 2  # results + LLM cost
    assert "<h2>CartPole-v1</h2>" in html
    assert "baseline" in html and "lmgt scale=0.5" in html
    assert "40.0 %" in html  # cache hit rate 400 / 1000
    assert "1,200" in html  # tokens per run
    assert "33.3 %" in html  # LLM share of wall time
    assert "3.00×" in html and "1.00×" in html  # wall time vs baseline
    assert "unfinished" in html and "running or killed" in html  # listed, not counted
    assert "4 finished runs" in html
    assert "(25, last 20 ep.)" in html


def test_markdown_report_writes_pngs_next_to_it(report_inputs, tmp_path):
    out = build_report(report_inputs, tmp_path / "md" / "report.md", fmt="md")
    text = out.read_text()
    assert "![learning curves on CartPole-v1](report_CartPole-v1.png)" in text
    png = out.parent / "report_CartPole-v1.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| configuration | LLM | seeds | final eval return |" in text
    assert "| lmgt scale=0.5 | embedded | 2 |" in text


def test_report_errors(tmp_path, tiny_runs):
    with pytest.raises(ValueError, match="no run directories"):
        build_report([tmp_path], tmp_path / "r.html")
    with pytest.raises(ValueError, match="unknown report format"):
        build_report(tiny_runs, tmp_path / "r.pdf", fmt="pdf")  # type: ignore[arg-type]


def test_curve_numbers():
    assert rolling_mean(np.array([1.0, 3.0, 5.0]), 2).tolist() == [1.0, 2.0, 4.0]
    steps = np.array([10.0, 20.0, 30.0, 40.0])
    curve = np.array([1.0, 2.0, 3.0, 4.0])
    assert steps_to_threshold(steps, curve, 2.5, window=2) == 30
    assert steps_to_threshold(steps, curve, 2.0, window=3) == 30  # needs a full window
    assert steps_to_threshold(steps, curve, 9.0, window=2) is None
    assert steps_to_threshold(steps, curve, None) is None
    # held values over [10, 50]: 1*10 + 2*10 + 3*10 + 4*10 = 100, span 40
    assert curve_auc(steps, curve, 50) == pytest.approx(2.5)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_report_screenshot_is_not_blank(report_inputs, tmp_path):
    from matplotlib import image

    out = build_report(report_inputs, tmp_path / "report.html")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            out.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pixels = image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels.std() > 0.05
    not_white = (pixels < 0.9).any(axis=-1).mean()
    assert not_white > 0.02  # text, tables and the curve, not an empty page
    colored = (np.ptp(pixels, axis=-1) > 0.2).mean()
    assert colored > 0.001  # the coloured learning curves rendered
