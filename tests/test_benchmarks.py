"""Smoke test of the benchmark script (``make benchmarks``): it runs, checks agreement
with torch.nn before timing, and reports what benchmarks/README.md says it reports.

The timings themselves are not tested: they depend on the machine."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def run_module():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(
            "benchmarks_run", BENCH / "run.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))


def run(run_module, capsys, *argv):
    rc = run_module.main(run_module.parse_args(list(argv)))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_json_report_has_every_cell_and_implementation(run_module, capsys):
    rc, out, _ = run(
        run_module,
        capsys,
        "--configs",
        "a",
        "--repeats",
        "2",
        "--warmup",
        "0",
        "--json",
    )
    assert rc == 0
    report = json.loads(out)
    assert report["disagreements"] == [] and report["skipped"] == {}
    assert [(r["cell"], r["config"]) for r in report["results"]] == [
        ("RNN", "a"),
        ("LSTM", "a"),
        ("GRU", "a"),
    ]
    for r in report["results"]:
        assert set(r["median_ms"]) == {
            "torch.nn",
            "torch.nn, oneDNN off",
            "rnnbook.nn",
            "rnnbook.npnn",
        }
        assert r["ratio_to_torch"]["torch.nn"] == 1.0
        assert r["ratio_to_torch_onednn_off"]["torch.nn, oneDNN off"] == 1.0
        assert all(t > 0 for t in r["median_ms"].values())
        assert all(e < run_module.TOLERANCE for e in r["max_rel_error"].values())
        assert all(n is None or n >= 0 for n in r["page_faults_per_pass"].values())


def test_markdown_table_has_one_row_per_cell(run_module, capsys):
    rc, out, _ = run(
        run_module,
        capsys,
        "--configs",
        "a",
        "--cells",
        "lstm",
        "--repeats",
        "1",
        "--warmup",
        "0",
    )
    assert rc == 0
    rows = [line for line in out.splitlines() if line.startswith("| LSTM")]
    assert len(rows) == 1 and rows[0].count("|") == 11  # 10 columns
    assert "N=64, L=50, H_in=1, H=20, 2 layers" in rows[0]


def test_bad_arguments_are_refused(run_module, capsys):
    rc, _, err = run(run_module, capsys, "--cells", "transformer", "--repeats", "1")
    assert rc == 2 and "TRANSFORMER" in err and "expected cells" in err
    with pytest.raises(SystemExit):
        run_module.parse_args(["--repeats", "0"])


def test_onednn_off_switches_torch_nn_to_its_loop_over_time_and_back(run_module):
    """The baseline "torch.nn, oneDNN off" must really leave oneDNN's fused LSTM, and
    restore the setting afterwards (the autograd graph names the kernel that ran)."""
    import torch
    from cases import onednn_off

    lstm = torch.nn.LSTM(1, 3)
    x = torch.randn(4, 2, 1)
    before = torch.backends.mkldnn.enabled
    with onednn_off():
        assert torch.backends.mkldnn.enabled is False
        off = lstm(x)[0].grad_fn.name()
    assert torch.backends.mkldnn.enabled == before
    assert "Mkldnn" not in off
    if before and torch.backends.mkldnn.is_available():
        assert "Mkldnn" in lstm(x)[0].grad_fn.name()
