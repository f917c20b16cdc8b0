"""Sweeps: resumable results files, their schema, evaluation at other lengths, the CLI subcommand."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
import torch

from revcomp import cli, evaluate, load_checkpoint
from revcomp.model import Config, build_model
from revcomp.sweep import (
    CSV_FIELDS,
    Recipe,
    RunSpec,
    _confirm,
    at_length,
    configuration_table,
    evaluate_at_length,
    failing_configurations,
    fit,
    frontier,
    inputs_wrong,
    load_frontier,
    load_results,
    read_results,
    run_sweep,
    set_forget_bias,
)
from revcomp.tasks import Task, random_sequences
from revcomp.train import train


def tiny(**overrides) -> RunSpec:
    fields = dict(length=2, hidden_size=2, max_steps=20, time_budget_s=5.0, eval_samples=64)
    fields.update(overrides)
    return RunSpec(**fields)


class Interrupt(Exception):
    pass


# --- evaluate_at_length -------------------------------------------------------------------------


def test_evaluate_at_length_equals_evaluate_at_the_training_length():
    model = train(Config(length=4, hidden_size=4, max_steps=30)).model
    for exhaustive in (False, True):
        expected = evaluate(model, exhaustive=exhaustive, samples=777)
        assert evaluate_at_length(model, 4, 777, exhaustive=exhaustive) == expected


def test_evaluate_at_length_reads_the_outputs_at_steps_L_to_2L():
    model = train(Config(length=4, hidden_size=4, max_steps=30)).model
    seqs = random_sequences(50, 7, torch.Generator().manual_seed(1))
    task = Task("delayed", 7)
    with torch.no_grad():
        by_hand = model(task.inputs(seqs))[:, 7:14].argmax(-1)
    assert torch.equal(at_length(model, 7).predict_codes(seqs), by_hand)
    # The view shares weights and equals a model built for length 7 with the same weights.
    rebuilt = build_model(Config(length=7, hidden_size=4))
    rebuilt.load_state_dict(model.state_dict())
    assert torch.equal(rebuilt.predict_codes(seqs), by_hand)
    assert at_length(model, 7).lstm is model.lstm


def test_evaluate_at_length_known_answer_for_a_constant_model():
    model = build_model(Config(length=5, hidden_size=3))
    with torch.no_grad():  # always answers base 0 (A): right on exactly 1/4 of inputs per position
        model.readout.weight.zero_()
        model.readout.bias.copy_(torch.tensor([5.0, 0.0, 0.0, 0.0]))
    result = evaluate_at_length(model, 3, samples=1000)
    assert result.exhaustive and result.inputs_checked == 64
    assert result.per_position_accuracy == [0.25] * 3
    assert result.whole_sequence_accuracy == 1 / 64


def test_evaluate_at_length_rejects_bad_lengths():
    model = build_model(Config(length=3, hidden_size=2))
    with pytest.raises(ValueError):
        evaluate_at_length(model, 0)


# --- training ------------------------------------------------------------------------------------


def test_fit_with_the_default_recipe_is_train():
    config = Config(length=3, hidden_size=4, max_steps=120, eval_every=40)
    a, b = train(config), fit(config)
    assert a.steps == b.steps
    for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values(), strict=True):
        assert torch.equal(x, y)


def test_time_budgets_stop_training():
    config = Config(length=6, hidden_size=8, max_steps=1_000_000, target_accuracy=1.0)
    result = train(config, time_budget_s=0.2)
    assert result.steps < 1_000_000 and not result.reached_target
    assert result.history[-1]["step"] == result.steps
    fitted = fit(config, time_budget_s=0.2)
    assert fitted.stopped == "time" and fitted.steps < 1_000_000
    with pytest.raises(ValueError):
        train(config, time_budget_s=0)


def test_recipes_run():
    config = Config(length=4, hidden_size=4, max_steps=60, eval_every=20)
    warm = fit(config, Recipe(schedule="cosine", warm_start=(2,), warm_steps=30, forget_bias=1.0))
    assert [s["lengths"] for s in warm.stages] == [[2], [4]]
    mixed = fit(config, Recipe(schedule="plateau", train_lengths=(2, 4)))
    assert mixed.stages[0]["lengths"] == [2, 3, 4]
    model = build_model(config)
    set_forget_bias(model, 1.0)
    assert torch.all(model.lstm.bias_ih_l0[4:8] == 1.0) and torch.all(model.lstm.bias_hh_l0[4:8] == 0)
    with pytest.raises(ValueError):
        Recipe(schedule="linear")
    with pytest.raises(ValueError):
        fit(config, Recipe(train_lengths=(2, 3)))


def test_confirm_checks_all_inputs_and_returns_the_failures():
    model = build_model(Config(length=3, hidden_size=3))
    with torch.no_grad():  # always answers A: only the all-T input (reverse complement AAA) is right
        model.readout.weight.zero_()
        model.readout.bias.copy_(torch.tensor([5.0, 0.0, 0.0, 0.0]))
    share, failures = _confirm({3: model}, samples=64, seed=0)
    assert share == 1 / 64 and failures[3].shape == (63, 3)
    assert not (failures[3] == 1).all(1).any()  # TTT is not among the failures


def test_confirm_and_replay_recipe_stops_only_when_confirmed():
    config = Config(length=2, hidden_size=8, max_steps=2000, eval_every=20, eval_samples=16)
    fitted = fit(config, Recipe(confirm_samples=16, confirm_every=40, replay=0.1))
    assert fitted.stopped == "target" and fitted.stages[-1]["confirm_checks"] >= 1
    assert evaluate(fitted.model, exhaustive=True).whole_sequence_accuracy == 1.0


def test_run_keys_ignore_later_recipe_fields_at_their_defaults():
    spec = tiny()
    assert spec.key == tiny(recipe=Recipe(confirm_every=0, replay=0.0)).key
    assert spec.key != tiny(recipe=Recipe(replay=0.1)).key


# --- resumable sweeps ----------------------------------------------------------------------------


def test_interrupted_sweep_keeps_finished_runs_and_skips_them(tmp_path):
    out = tmp_path / "runs.jsonl"
    specs = [tiny(seed=s) for s in range(3)]
    finished = []

    def stop_after_first(record):
        finished.append(record["key"])
        raise Interrupt

    with pytest.raises(Interrupt):
        run_sweep(specs, out, progress=False, on_record=stop_after_first)
    first = read_results(out)
    assert [r["key"] for r in first] == [specs[0].key]

    # A crash while writing leaves a half line: it is ignored, then dropped on the next append.
    with open(out, "a") as handle:
        handle.write('{"key": "half-writ')
    assert read_results(out) == first

    ran = []
    records = run_sweep(specs, out, progress=False, on_record=lambda r: ran.append(r["key"]))
    assert ran == [specs[1].key, specs[2].key]
    assert [r["key"] for r in records] == [s.key for s in specs]
    assert records[0] == first[0]  # kept as written, not re-run
    assert len(out.read_text().splitlines()) == 3
    assert all(json.loads(line) for line in out.read_text().splitlines())

    ran.clear()
    assert run_sweep(specs, out, progress=False, on_record=lambda r: ran.append(r)) == records
    assert ran == []


def test_jsonl_schema(tmp_path):
    out = tmp_path / "runs.jsonl"
    spec = tiny(eval_lengths=(1, 3))
    (record,) = run_sweep([spec], out, command="revcomp sweep --test", progress=False)
    for key in CSV_FIELDS:
        assert key in record
    assert record["seed"] == 0 and record["hidden_size"] == 2 and record["length"] == 2
    assert record["command"] == "revcomp sweep --test"
    assert record["versions"]["torch"] == torch.__version__
    assert record["steps"] >= 1 and record["wall_seconds"] >= record["train_seconds"] > 0
    assert record["eval_exhaustive"] and record["eval_inputs"] == 16
    assert [g["length"] for g in record["generalization"]] == [1, 3]
    assert record["spec"]["recipe"]["schedule"] == "constant"
    assert isinstance(record["solved"], bool)


def test_csv_schema_and_resume(tmp_path):
    out = tmp_path / "runs.csv"
    specs = [tiny(seed=0), tiny(seed=1, recipe=Recipe(schedule="cosine", forget_bias=1.0))]
    records = run_sweep(specs, out, progress=False)
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_FIELDS and len(rows) == 2
    back = read_results(out)
    assert back[1]["forget_bias"] == 1.0 and back[0]["forget_bias"] is None
    assert back[0]["per_position_accuracy"] == records[0]["per_position_accuracy"]
    assert back[0]["versions"] == records[0]["versions"]
    assert isinstance(back[0]["solved"], bool) and back[0]["steps"] == records[0]["steps"]
    frame = pd.read_csv(out)
    assert list(frame.columns) == list(CSV_FIELDS)
    ran = []
    run_sweep(specs, out, progress=False, on_record=ran.append)
    assert ran == []


def test_frontier_summary():
    rows = [
        {
            "task": "delayed",
            "length": 5,
            "recipe": "plain",
            "hidden_size": h,
            "seed": s,
            "solved": h >= 8 or s == 0,
        }
        for h in (4, 8)
        for s in range(3)
    ]
    (row,) = frontier(pd.DataFrame(rows))
    assert row["min_hidden_all_seeds"] == 8 and row["min_hidden_any_seed"] == 4


# --- the command line ----------------------------------------------------------------------------


def test_cli_sweep_runs_and_resumes(tmp_path, capsys):
    out = tmp_path / "cli.jsonl"
    argv = [
        "sweep",
        "--out",
        str(out),
        "--lengths",
        "2",
        "--hidden",
        "2",
        "--seeds",
        "0-1",
        "--steps",
        "20",
        "--time-budget",
        "5",
        "--eval-samples",
        "64",
        "--quiet",
    ]
    assert cli.main([*argv, "--save-dir", str(tmp_path / "models")]) == 0
    err = capsys.readouterr().err
    assert "2 run now" in err
    records = read_results(out)
    assert len(records) == 2 and records[0]["command"].startswith("revcomp sweep --out")
    saved = load_checkpoint(tmp_path / "models" / f"{records[1]['key']}.safetensors")
    assert saved.config.seed == 1 and saved.config.hidden_size == 2
    assert cli.main(argv) == 0
    assert "0 run now, 2 already" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra",
    [
        ["--out", "results.txt"],
        ["--lengths", "abc"],
        ["--tasks", "reverse"],
        ["--time-budget", "-1"],
        ["--hidden", "0"],
        ["--schedule", "linear"],
        ["--train-lengths", "4-9", "--lengths", "5"],
    ],
)
def test_cli_sweep_bad_input_exits_2(tmp_path, capsys, extra):
    argv = ["sweep", "--out", str(tmp_path / "x.jsonl"), "--steps", "5", "--quiet", *extra]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_sweep_refuses_a_foreign_results_file(tmp_path, capsys):
    out = tmp_path / "notes.jsonl"
    out.write_text("hello\n")
    assert cli.main(["sweep", "--out", str(out), "--steps", "5", "--quiet"]) == 2


# --- committed results ---------------------------------------------------------------------------


def test_committed_results_load():
    capacity = load_results("capacity")
    assert {"task", "length", "hidden_size", "seed", "solved", "recipe"} <= set(capacity.columns)
    assert len(load_results("generalization")) > 0
    summary = load_frontier()
    assert summary["rows"]


def test_configuration_table_counts_solved_seeds_and_wrong_inputs():
    runs = pd.DataFrame(
        {
            "length": [5, 5, 5, 5],
            "recipe": ["constant", "constant", "cosine", "constant"],
            "hidden_size": [4, 4, 4, 6],
            "seed": [1, 0, 0, 0],
            "solved": [False, True, True, True],
            "whole_sequence_accuracy": [0.75, 1.0, 1.0, 1.0],
            "eval_inputs": [1024, 1024, 1024, 512],
            "steps": [100, 300, 200, 50],
            "train_seconds": [1.0, 3.0, 2.0, 0.5],
        }
    )
    assert inputs_wrong(runs).tolist() == [256, 0, 0, 0]
    table = configuration_table(runs)
    assert table[["recipe", "H", "seeds solved"]].values.tolist() == [
        ["cosine", 4, "1 / 1"],
        ["plain", 4, "1 / 2"],
        ["plain", 6, "1 / 1"],
    ]
    plain4 = table.iloc[1]
    assert plain4["inputs wrong, per seed"] == "0, 256"  # seed order
    assert plain4["median steps"] == 200 and plain4["checked"] == 1024
    failing = failing_configurations(runs)
    assert failing.values.tolist() == [[5, "plain", 4, 1, 2, 256, 1024]]
