"""``revcomp inspect``: right answers on the hand-set model, one-line errors, shipped models."""

from __future__ import annotations

import json

import pytest
import torch

from revcomp import cli
from revcomp.checkpoint import save_checkpoint
from tests.handset import CLOCK, COPIER, INERT, STORE, UNREAD, handset_model

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def handset_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "handset.safetensors"
    save_checkpoint(handset_model("delayed", 3), path)
    return str(path)


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_inspect_registers_itself():
    cli._load_extra_commands()
    assert cli.COMMANDS["inspect"].__name__ == "cmd_inspect"
    assert "inspect" in cli.EXTRA_COMMANDS and cli.EXTRA_HELP["inspect"]


def test_inspect_json_on_the_hand_set_model(capsys, handset_path):
    status, out, err = run(capsys, "inspect", handset_path, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert {"units", "ablations", "probes"} <= set(report)
    roles = {u["unit"]: u["role"] for u in report["units"]}
    assert roles == {
        CLOCK: "position",
        COPIER: "current base",
        STORE: "stored base 0",
        UNREAD: "current base",
        INERT: "inert",
    }
    by_unit = {u["unit"]: u for u in report["units"]}
    assert by_unit[STORE]["within_x0"] == pytest.approx(1.0, abs=1e-6)
    # Units nothing reads: ablation changes nothing; the store: position 2 drops from 1 to 0.25.
    for unit in (COPIER, UNREAD, INERT):
        assert by_unit[unit]["ablation"] == {"zero": 0.0, "mean": 0.0, "step_mean": 0.0}
    store_zero = next(
        a for a in report["ablations"] if a["kind"] == "unit" and a["unit"] == STORE and a["method"] == "zero"
    )
    assert store_zero["per_position_change"] == pytest.approx([0.0, 0.0, -0.75])
    assert any(a["kind"] == "random direction" for a in report["ablations"])
    # x0 is stored in one unit: every probe reads it at the end of reading (step 2).
    x0 = [p for p in report["probes"] if p["base"] == 0 and p["step"] == 2]
    assert len(x0) == 4 and all(p["test_accuracy"] == 1.0 for p in x0)
    assert report["inputs"] == {"count": 64, "exhaustive": True, "seed": 0, "ablation_count": 64}
    assert report["claim"]["parts"]["position"] and report["claim"]["causally_inert_units"] == [1, 3, 4]


def test_inspect_text_tables(capsys, handset_path):
    status, out, _ = run(capsys, "inspect", handset_path)
    assert status == 0
    assert "Unit roles" in out and "Single-unit ablation" in out and "Probes" in out
    assert "stored base 0" in out and "claim check" in out
    store_line = next(line for line in out.splitlines() if line.strip().startswith(f"{STORE}  stored base 0"))
    assert "1.00" in store_line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["inspect", "no-such-model"], "unknown model"),
        (["inspect", "/nonexistent/model.safetensors"], "no such model file"),
        (["inspect", "--samples", "3"], "--samples"),
    ],
)
def test_inspect_user_errors_are_one_line(capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


def test_inspect_corrupt_checkpoint(capsys, tmp_path):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    status, _, err = run(capsys, "inspect", str(path))
    assert status == 2 and err.startswith("revcomp: error:") and len(err.strip().splitlines()) == 1


def test_inspect_shipped_model(capsys):
    status, out, err = run(capsys, "inspect", "delayed-L5-H8", "--json")
    assert status == 0, err
    report = json.loads(out)
    assert len(report["units"]) == 8 and report["accuracy"]["whole_sequence"] > 0.99
    assert all(u["role"] for u in report["units"])
    # Baseline unit ablations: with 8 units the random-direction control is reported per method.
    assert set(report["ablation_control"]) == {"zero", "mean", "step_mean"}
    at_use = [p for p in report["probes"] if "at use" in p["moment"] and p["quantity"] == "hidden"]
    # At the step whose output needs x[k], the readout is linear, so a linear probe must read it.
    assert all(p["test_accuracy"] > 0.95 for p in at_use if p["probe"] == "linear")
