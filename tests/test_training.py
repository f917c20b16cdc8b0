"""Training: it learns, it stops at the target, and it is deterministic."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from revcomp import Config, build_model, evaluate, train

SHORT = Config(task="delayed", length=4, hidden_size=8, seed=0, max_steps=120, eval_every=40)


def weights(model) -> dict[str, torch.Tensor]:
    return {name: t.detach().clone() for name, t in model.state_dict().items()}


def assert_bitwise_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def without_seconds(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in record.items() if k != "seconds"} for record in history]


@pytest.mark.parametrize("task", ["aligned", "delayed"])
def test_same_seed_gives_bitwise_identical_weights(task):
    config = dataclasses.replace(SHORT, task=task)
    first = train(config)
    torch.manual_seed(12345)  # disturb the global RNG: training must not depend on it
    torch.rand(100)
    second = train(config)
    assert_bitwise_equal(weights(first.model), weights(second.model))
    assert without_seconds(first.history) == without_seconds(second.history)
    assert first.steps == second.steps == 120


def test_different_seeds_give_different_weights():
    a = train(SHORT)
    b = train(dataclasses.replace(SHORT, seed=1))
    wa, wb = weights(a.model), weights(b.model)
    assert all(not torch.equal(wa[name], wb[name]) for name in wa)


def test_initial_weights_are_seeded():
    assert_bitwise_equal(weights(build_model(SHORT)), weights(build_model(SHORT)))
    other = weights(build_model(dataclasses.replace(SHORT, seed=1)))
    assert not torch.equal(weights(build_model(SHORT))["readout.weight"], other["readout.weight"])


def test_training_changes_the_weights_and_lowers_the_loss():
    start = weights(build_model(SHORT))
    result = train(dataclasses.replace(SHORT, max_steps=400))
    end = weights(result.model)
    assert all(not torch.equal(start[n], end[n]) for n in start)
    assert result.history[-1]["loss"] < 0.5 * result.history[0]["loss"]


def test_tiny_model_solves_its_task_exhaustively(tiny_result):
    """The shared fixture trains delayed L=3 H=8 to the target; it must be right on all 64 inputs."""
    assert tiny_result.reached_target
    assert tiny_result.steps < tiny_result.model.config.max_steps
    assert tiny_result.steps % tiny_result.model.config.eval_every == 0  # stops at an evaluation
    assert tiny_result.final["answerable_whole_sequence_accuracy"] == 1.0
    result = evaluate(tiny_result.model, exhaustive=True)
    assert result.inputs_checked == 64
    assert result.whole_sequence_accuracy == 1.0
    assert tiny_result.model.predict("ACG") == "CGT"
    assert tiny_result.model.predict(["AAC", "gtt"]) == ["GTT", "AAC"]


def test_aligned_training_reaches_the_ceiling():
    result = train(Config(task="aligned", length=4, hidden_size=8, seed=0, max_steps=3000))
    assert result.reached_target
    ev = evaluate(result.model, exhaustive=True)
    assert ev.ceiling == [0.25, 0.25, 1.0, 1.0]
    assert ev.max_gap_to_ceiling <= 0.01
    assert ev.answerable_whole_sequence_accuracy == 1.0
    assert ev.whole_sequence_accuracy == pytest.approx(1 / 16)


def test_history_records_each_evaluation():
    result = train(SHORT)
    assert [r["step"] for r in result.history] == [40, 80, 120]
    record = result.history[-1]
    assert set(record) >= {
        "step",
        "seconds",
        "loss",
        "per_position_accuracy",
        "whole_sequence_accuracy",
        "answerable_whole_sequence_accuracy",
    }
    assert len(record["per_position_accuracy"]) == 4
    assert result.final is record
    assert result.seconds >= record["seconds"] > 0


def test_the_final_step_is_always_evaluated():
    result = train(dataclasses.replace(SHORT, max_steps=50, eval_every=40))
    assert [r["step"] for r in result.history] == [40, 50]
    assert result.steps == 50 and not result.reached_target


def test_steps_argument_overrides_max_steps():
    result = train(SHORT, steps=40)
    assert result.steps == 40
    assert [r["step"] for r in result.history] == [40]


def test_zero_steps_returns_the_initial_model():
    result = train(SHORT, steps=0)
    assert result.steps == 0 and result.history == [] and result.final == {}
    assert_bitwise_equal(weights(result.model), weights(build_model(SHORT)))


def test_target_below_one_stops_earlier():
    full = train(dataclasses.replace(SHORT, max_steps=3000))
    loose = train(dataclasses.replace(SHORT, max_steps=3000, target_accuracy=0.5))
    assert loose.reached_target and full.reached_target
    assert loose.steps < full.steps
    assert loose.final["answerable_whole_sequence_accuracy"] >= 0.5


def test_continuing_training_from_an_existing_model():
    first = train(SHORT)
    before = weights(first.model)
    more = train(SHORT, model=first.model, steps=40)
    assert more.model is first.model
    assert any(not torch.equal(before[n], t) for n, t in weights(more.model).items())


def test_training_uses_the_configured_thread_count():
    previous = torch.get_num_threads()
    try:
        train(dataclasses.replace(SHORT, threads=2), steps=1)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


@pytest.mark.parametrize(
    "changes",
    [
        {"hidden_size": 0},
        {"hidden_size": 8.5},
        {"hidden_size": True},
        {"batch_size": 0},
        {"max_steps": -1},
        {"eval_every": 0},
        {"eval_samples": 0},
        {"threads": 0},
        {"learning_rate": 0.0},
        {"grad_clip": -1.0},
        {"target_accuracy": 0.0},
        {"target_accuracy": 1.5},
        {"task": "sideways"},
        {"length": 0},
    ],
)
def test_invalid_configs_are_refused(changes):
    with pytest.raises(ValueError):
        Config(**changes)


def test_config_round_trips_through_json_and_names_itself():
    config = Config(task="aligned", length=7, hidden_size=12, seed=3, learning_rate=0.01)
    assert config.name == "aligned-L7-H12"
    assert Config.from_dict(json.loads(config.to_json())) == config
    with pytest.raises(ValueError, match="unknown config keys: colour"):
        Config.from_dict({**config.to_dict(), "colour": "red"})
