"""The command line: train, evaluate, predict, models -- in-process (fast) and as a real subprocess."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import torch

from revcomp import Config, build_model, evaluate, load_checkpoint, load_model, save_checkpoint
from revcomp.pretrained import shipped_metrics, shipped_models, shipped_path

RUNNERS = ["in-process", "subprocess"]


@pytest.fixture(params=RUNNERS)
def revcomp(request, cli, cli_subprocess):
    """Run the CLI both ways: ``main(argv)`` in this process, and ``python -m revcomp.cli``."""
    return cli if request.param == "in-process" else cli_subprocess


# --- train ------------------------------------------------------------------------------------


def test_train_writes_checkpoint_and_metrics_with_the_command(cli, tmp_path):
    out = tmp_path / "models" / "tiny.safetensors"
    argv = [
        "train",
        "--task",
        "delayed",
        "--length",
        "3",
        "--hidden",
        "8",
        "--seed",
        "0",
        "--steps",
        "3000",
        "--eval-samples",
        "512",
        "--eval-every",
        "25",
        "--quiet",
        "--out",
        str(out),
    ]
    run = cli(*argv)
    assert run.code == 0, run.err
    assert "delayed-L3-H8" in run.err and "reached target" in run.err
    model = load_checkpoint(out)
    assert model.config == Config(
        task="delayed", length=3, hidden_size=8, seed=0, max_steps=3000, eval_samples=512, eval_every=25
    )
    metrics = json.loads((tmp_path / "models" / "tiny.metrics.json").read_text())
    assert metrics["command"] == "revcomp " + " ".join(argv)
    assert metrics["config"] == model.config.to_dict()
    assert metrics["training"]["reached_target"] is True
    assert metrics["training"]["steps"] % 25 == 0
    ev = metrics["evaluation"]
    assert ev["exhaustive"] is True and ev["inputs_checked"] == 64
    assert ev == evaluate(model, exhaustive=True).to_dict()
    assert ev["whole_sequence_accuracy"] == 1.0


def test_train_as_a_subprocess(cli_subprocess, tmp_path):
    out = tmp_path / "a.safetensors"
    run = cli_subprocess(
        "train",
        "--task",
        "aligned",
        "--length",
        "2",
        "--hidden",
        "4",
        "--steps",
        "30",
        "--lr",
        "0.01",
        "--batch-size",
        "32",
        "--target",
        "0.9",
        "--quiet",
        "--out",
        out,
    )
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    config = load_checkpoint(out).config
    assert (config.task, config.length, config.hidden_size, config.batch_size) == ("aligned", 2, 4, 32)
    assert (config.learning_rate, config.target_accuracy) == (0.01, 0.9)
    assert json.loads((tmp_path / "a.metrics.json").read_text())["command"].startswith("revcomp train --task")


# --- evaluate ---------------------------------------------------------------------------------


def test_evaluate_json_shape(revcomp, tiny_checkpoint, tiny_model):
    run = revcomp("evaluate", tiny_checkpoint, "--exhaustive", "--json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert {"per_position_accuracy", "ceiling", "whole_sequence_accuracy", "inputs_checked"} <= set(data)
    assert len(data["per_position_accuracy"]) == len(data["ceiling"]) == 3
    assert data["ceiling"] == [1.0, 1.0, 1.0]
    assert data["inputs_checked"] == 64
    assert data["model"] == "delayed-L3-H8"
    expected = evaluate(tiny_model, exhaustive=True).to_dict()
    assert {k: data[k] for k in expected} == expected


def test_evaluate_aligned_shipped_model_shows_the_ceiling(cli):
    name = next(n for n in shipped_models() if shipped_metrics(n)["config"]["task"] == "aligned")
    data = json.loads(cli("evaluate", name, "--exhaustive", "--json").out)
    length = shipped_metrics(name)["config"]["length"]
    assert data["ceiling"] == [0.25] * (length // 2) + [1.0] * (length - length // 2)
    assert data["inputs_checked"] == 4**length
    assert data["per_position_accuracy"] == shipped_metrics(name)["evaluation"]["per_position_accuracy"]


def test_evaluate_sampled(cli):
    data = json.loads(cli("evaluate", "delayed-L5-H8", "--samples", "777", "--json").out)
    assert data["inputs_checked"] == 777
    assert data["exhaustive"] is False


def test_evaluate_text_table(revcomp):
    run = revcomp("evaluate", "delayed-L5-H8", "--exhaustive")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "delayed-L5-H8: 1,024 all inputs checked"
    assert lines[1].split() == ["position", "accuracy", "ceiling"]
    assert [line.split() for line in lines[2:7]] == [[str(p), "1.0000", "1.00"] for p in range(5)]
    assert lines[7].startswith("whole-sequence accuracy 1.0000 (ceiling 1.0000; 1,024 correct)")


def test_evaluate_defaults_to_the_default_model(cli):
    run = cli("evaluate", "--samples", "100", "--json")
    assert json.loads(run.out)["model"] == "delayed-L5-H8"


# --- predict ----------------------------------------------------------------------------------


def test_predict_json_shape(revcomp):
    run = revcomp("predict", "--model", "delayed-L5-H8", "--json", "ATGCA", "ggtac")
    assert run.code == 0, run.err
    rows = json.loads(run.out)
    assert rows == [
        {"input": "ATGCA", "predicted": "TGCAT", "expected": "TGCAT", "correct": True},
        {"input": "ggtac", "predicted": "GTACC", "expected": "GTACC", "correct": True},
    ]


def test_predict_text(cli):
    run = cli("predict", "ATGCA")
    assert run.code == 0
    assert run.out.splitlines() == ["input     ATGCA", "predicted TGCAT  correct", "expected  TGCAT"]


def test_predict_reports_wrong_answers(cli, tmp_path):
    """An untrained model gets some wrong: 'correct' is false and the text marks the mismatches."""
    path = save_checkpoint(build_model(Config(length=4, hidden_size=2, seed=0)), tmp_path / "u.safetensors")
    seqs = ["ACGT", "AAAA", "CCCC", "GATC", "TTAG", "GGGA"]
    rows = json.loads(cli("predict", "--model", path, "--json", *seqs).out)
    assert [r["expected"] for r in rows] == ["ACGT", "TTTT", "GGGG", "GATC", "CTAA", "TCCC"]
    wrong = [r for r in rows if not r["correct"]]
    assert wrong, rows
    assert all(r["predicted"] != r["expected"] for r in wrong)
    text = cli("predict", "--model", path, wrong[0]["input"]).out.splitlines()
    n_wrong = sum(p != e for p, e in zip(wrong[0]["predicted"], wrong[0]["expected"], strict=True))
    assert text[1].endswith(f"{n_wrong} mismatch(es)")
    assert text[3].count("^") == n_wrong


# --- models -----------------------------------------------------------------------------------


def test_models_lists_one_line_per_shipped_model(revcomp):
    run = revcomp("models")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert len(lines) == len(shipped_models())
    pattern = re.compile(r"(\S+)\s+task=(\w+) length=(\d+) hidden=(\d+) whole_sequence_accuracy=([\d.]+)")
    for line, name in zip(lines, shipped_models(), strict=True):
        match = pattern.match(line)
        assert match, line
        cfg, ev = shipped_metrics(name)["config"], shipped_metrics(name)["evaluation"]
        assert match.group(1) == name
        assert (match.group(2), int(match.group(3)), int(match.group(4))) == (
            cfg["task"],
            cfg["length"],
            cfg["hidden_size"],
        )
        assert float(match.group(5)) == pytest.approx(ev["whole_sequence_accuracy"], abs=1e-4)


# --- user errors: one line on stderr, exit 2, no traceback -------------------------------------


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    (folder / "garbage.safetensors").write_bytes(
        b"\x13\x00\x00\x00\x00\x00\x00\x00{not json at all}" + b"\x00" * 20
    )
    (folder / "text.txt").write_text("ACGT\n")
    torch.save(build_model(Config(length=5)).state_dict(), folder / "pickled.pt")
    save_checkpoint(build_model(Config(length=13)), folder / "long.safetensors")
    shutil.copyfile(shipped_path("delayed-L5-H8"), folder / "cut.safetensors")
    data = (folder / "cut.safetensors").read_bytes()
    (folder / "cut.safetensors").write_bytes(data[: len(data) // 2])
    (folder / "a-directory").mkdir()
    return folder


BAD = [
    # (argv, text the one-line message must contain); {dir} is a folder of broken files
    (["predict", "ATNGC"], "invalid base 'N' at position 2"),
    (["predict", "ATGCA", "AUGCA"], "invalid base 'U' at position 1"),
    (["predict", "AT3GC"], "invalid base '3' at position 2"),
    (["predict", "AT GC"], "invalid base ' ' at position 2"),
    (["predict", "ATGC\n"], "invalid base '\\n' at position 4"),
    (["predict", "AT\tGC"], "invalid base '\\t' at position 2"),
    (["predict", "ATGCé"], "invalid base 'é' at position 4"),
    (["predict", "Äatgc"], "invalid base 'Ä' at position 0"),
    (["predict", "AT-GC"], "invalid base '-' at position 2"),
    (["predict", ""], "empty sequence"),
    (["predict", "ATGC"], "has length 4, but model delayed-L5-H8 reads length 5"),
    (["predict", "ATGCAT"], "has length 6, but model delayed-L5-H8 reads length 5"),
    (["predict", "--model", "aligned-L5-H8", "ATGCA", "AAAAAAAAAA"], "input 2 'AAAAAAAAAA' has length 10"),
    (["predict", "--model", "no-such-model", "ATGCA"], "unknown model 'no-such-model'"),
    (["evaluate", "no-such-model"], "unknown model 'no-such-model'"),
    (["evaluate", "{dir}/missing.safetensors"], "no such model file"),
    (["predict", "--model", "{dir}/missing.safetensors", "ATGCA"], "no such model file"),
    (["evaluate", "{dir}/garbage.safetensors"], "corrupt or truncated checkpoint"),
    (["evaluate", "{dir}/cut.safetensors"], "truncated"),
    (["evaluate", "{dir}/text.txt"], "too short"),
    (["evaluate", "{dir}/pickled.pt"], "refusing to unpickle"),
    (["evaluate", "{dir}/a-directory"], "is a directory"),
    (["evaluate", "{dir}/long.safetensors", "--exhaustive"], "--exhaustive refused for length 13"),
    (["evaluate", "delayed-L5-H8", "--samples", "0"], "samples must be positive"),
    (["train", "--hidden", "0", "--out", "{dir}/x.safetensors"], "invalid config: hidden_size=0"),
    (
        ["train", "--length", "0", "--out", "{dir}/x.safetensors"],
        "sequence length must be a positive integer",
    ),
    (["train", "--eval-samples", "0", "--out", "{dir}/x.safetensors"], "invalid config: eval_samples=0"),
    (["train", "--task", "sideways", "--out", "{dir}/x.safetensors"], "invalid choice: 'sideways'"),
    (["train", "--length", "five", "--out", "{dir}/x.safetensors"], "invalid int value: 'five'"),
    (["train", "--length", "5"], "the following arguments are required: --out"),
    (["train", "--device", "tpu9", "--out", "{dir}/x.safetensors"], "--device 'tpu9' is not a device"),
    (["train", "--device", "meta", "--out", "{dir}/x.safetensors"], "--device 'meta' is not supported"),
    (["predict"], "the following arguments are required: SEQ"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: command"),
]
if not torch.cuda.is_available():  # on a GPU machine --device cuda trains instead
    BAD.append((["train", "--device", "cuda", "--out", "{dir}/x.safetensors"], "no CUDA device is available"))


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(a) or "no-args" for a, _ in BAD])
def test_user_errors_exit_2_with_one_line_and_no_traceback(revcomp, bad_files, argv, message):
    run = revcomp(*(a.replace("{dir}", str(bad_files)) for a in argv))
    assert run.code == 2, (run.code, run.out, run.err)
    assert "Traceback" not in run.err
    assert run.err.endswith("\n") and run.err.count("\n") == 1, run.err
    assert message in run.err, run.err
    assert run.err.startswith("revcomp")
    assert run.out == ""
    assert not (bad_files / "x.safetensors").exists()


def test_loading_helpers_agree_with_the_cli(cli):
    """The CLI's default model is the library's default model."""
    assert load_model().config.name in cli("evaluate", "--samples", "10").out
