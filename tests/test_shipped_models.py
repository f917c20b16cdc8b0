"""The pretrained models shipped in revcomp/models/: present, documented, reproducible, and good.

Tests iterate over whatever is shipped (models may be swapped for smaller ones), and require an
aligned L=5, a delayed L=5 and a delayed L=10 model among them. Checks that enumerate 4**10 inputs
or retrain a big model are marked slow (they still run in .ci/run).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import torch

from revcomp import DEFAULT_MODEL, Config, evaluate, load_checkpoint, load_model, shipped_models
from revcomp.cli import main
from revcomp.pretrained import MODELS_DIR, resolve_model_path, shipped_metrics, shipped_path

NAMES = shipped_models()
METRICS = {name: shipped_metrics(name) for name in NAMES}
QUICK_LENGTH = 6  # exhaustive checks up to 4**6 inputs are quick; longer ones are marked slow


def by_length(quick_length: int):
    """One pytest param per shipped model, marked slow above ``quick_length``."""
    return [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.slow] if METRICS[name]["config"]["length"] > quick_length else [],
        )
        for name in NAMES
    ]


def out_argument(command: str) -> str:
    argv = shlex.split(command)
    return argv[argv.index("--out") + 1]


def test_the_required_models_are_shipped():
    kinds = {(m["config"]["task"], m["config"]["length"]) for m in METRICS.values()}
    assert {("aligned", 5), ("delayed", 5), ("delayed", 10)} <= kinds, kinds
    assert DEFAULT_MODEL in NAMES


def test_every_file_in_the_models_folder_belongs_to_a_model():
    expected = {"README.md"}
    for name in NAMES:
        expected |= {f"{name}.safetensors", f"{name}.metrics.json"}
    assert {p.name for p in MODELS_DIR.iterdir()} == expected


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_is_small_and_matches_its_metrics_file(name):
    path = shipped_path(name)
    assert path.stat().st_size < 50_000
    model = load_checkpoint(path)
    metrics = METRICS[name]
    assert model.config.name == name == metrics["name"]
    assert Config.from_dict(metrics["config"]) == model.config
    assert metrics["config"]["threads"] == 1


@pytest.mark.parametrize("name", NAMES)
def test_metrics_record_the_one_command_that_made_the_model(name):
    metrics = METRICS[name]
    command = metrics["command"]
    assert command.startswith("revcomp train "), command
    assert out_argument(command) == f"revcomp/models/{name}.safetensors"
    assert metrics["training"]["reached_target"] is True
    assert metrics["training"]["steps"] > 0


def test_models_readme_lists_every_model_and_its_command():
    readme = (MODELS_DIR / "README.md").read_text()
    for name in NAMES:
        assert f"`{name}`" in readme
        assert METRICS[name]["command"] in readme


@pytest.mark.parametrize("name", NAMES)
def test_recorded_evaluation_is_exhaustive_and_meets_the_goal(name):
    metrics = METRICS[name]
    cfg, ev = metrics["config"], metrics["evaluation"]
    assert ev["exhaustive"] is True
    assert ev["inputs_checked"] == 4 ** cfg["length"]
    assert_meets_goal(cfg["task"], ev)


def assert_meets_goal(task: str, ev: dict) -> None:
    if task == "aligned":
        # Within 1 percentage point of the Bayes ceiling at every output position.
        for position, (acc, ceiling) in enumerate(
            zip(ev["per_position_accuracy"], ev["ceiling"], strict=True)
        ):
            assert acc >= ceiling - 0.01, f"position {position}: {acc} vs ceiling {ceiling}"
    else:
        # Correct on every one of the 4**L inputs.
        assert ev["whole_sequence_correct"] == ev["inputs_checked"]
        assert ev["whole_sequence_accuracy"] == 1.0


@pytest.mark.parametrize("name", by_length(QUICK_LENGTH))
def test_exhaustive_evaluation_now_matches_the_metrics_file_and_the_goal(name):
    model = load_model(name)
    result = evaluate(model, exhaustive=True)
    assert result.inputs_checked == 4**model.task.length
    assert result.to_dict() == METRICS[name]["evaluation"]
    assert_meets_goal(model.config.task, result.to_dict())


@pytest.mark.parametrize("name", by_length(5))
def test_recorded_command_reproduces_the_weights_bitwise(name, tmp_path):
    """Re-run the metrics file's command (writing elsewhere): the same weights, bit for bit."""
    argv = shlex.split(METRICS[name]["command"])[1:]
    out = tmp_path / f"{name}.safetensors"
    argv[argv.index("--out") + 1] = str(out)
    assert main(argv) == 0
    fresh, shipped = load_checkpoint(out), load_model(name)
    assert fresh.config == shipped.config
    for key, tensor in shipped.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], tensor), key
    assert (tmp_path / f"{name}.metrics.json").exists()


def test_default_model_predicts_the_readme_example():
    model = load_model()
    assert model.config.name == DEFAULT_MODEL
    assert model.predict("ATGCA") == "TGCAT"
    assert model.predict(["GGTAC", "aaaac"]) == ["GTACC", "GTTTT"]


def test_models_load_by_name_and_by_path():
    for name in NAMES:
        assert resolve_model_path(name) == shipped_path(name)
        assert load_model(str(shipped_path(name))).config.name == name


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("no-such-model", ValueError, "unknown model 'no-such-model'"),
        ("missing.safetensors", FileNotFoundError, "no such model file"),
        ("some/dir/missing", FileNotFoundError, "no such model file"),
    ],
)
def test_unknown_models_are_clear_errors(name, error, message):
    with pytest.raises(error, match=message):
        load_model(name)


def test_predict_refuses_the_wrong_length():
    model = load_model("delayed-L5-H8")
    with pytest.raises(ValueError, match="length 4 does not match the model's length 5"):
        model.predict("ACGT")


def test_models_folder_is_inside_the_package():
    import revcomp

    assert MODELS_DIR == Path(revcomp.__file__).parent / "models"
