"""The trace recomputes nn.LSTM faithfully, interventions edit what they say, tables hold the right values."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from revcomp.interventions import patch, patch_state, replace, scale_unit, set_unit, zero_unit
from revcomp.model import Config, build_model
from revcomp.pretrained import load_model, shipped_models
from revcomp.tasks import random_sequences
from revcomp.trace import (
    HOOKABLE_NAMES,
    NAMES,
    UNIT_NAMES,
    Trace,
    activation_frame,
    analysis_sequences,
    trace,
)
from tests.handset import CLOCK, COPIER, STORE, handset_model

torch.set_num_threads(1)
N = 10_000


def _sharpened(task: str, seed: int = 0):
    """A random model with weights x3: saturating gates, so small errors would be amplified."""
    model = build_model(Config(task=task, length=5, hidden_size=8, seed=seed))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3)
    return model.eval()


def _models():
    cases = [pytest.param(_sharpened, task, id=f"random-{task}") for task in ("aligned", "delayed")]
    for name in shipped_models():
        if name.endswith("L5-H8"):
            cases.append(pytest.param(lambda _task, name=name: load_model(name), None, id=name))
    return cases


@pytest.mark.parametrize(("make", "task"), _models())
def test_trace_matches_nn_lstm_on_10000_sequences(make, task):
    model = make(task)
    seqs = random_sequences(N, model.task.length, torch.Generator().manual_seed(7))
    cache = trace(model, seqs)
    with torch.no_grad():
        out, (h_n, c_n) = model.lstm(model.one_hot(model.task.inputs(seqs)))
        logits = model.readout(out)
    assert (cache["hidden"] - out).abs().max() <= 1e-5
    assert (cache["hidden"][:, -1] - h_n[0]).abs().max() <= 1e-5
    assert (cache["cell"][:, -1] - c_n[0]).abs().max() <= 1e-5
    assert (cache["logits"] - logits).abs().max() <= 1e-4
    assert torch.equal(cache.predictions, model.predict_codes(seqs))


@pytest.mark.parametrize("task", ["aligned", "delayed"])
def test_trace_is_the_same_algorithm_in_float64(task):
    model = _sharpened(task, seed=1).double()
    seqs = random_sequences(500, 5, torch.Generator().manual_seed(1))
    cache = trace(model, seqs)
    with torch.no_grad():
        out, (_, c_n) = model.lstm(model.one_hot(model.task.inputs(seqs)).double())
    assert (cache["hidden"] - out).abs().max() <= 1e-12
    assert (cache["cell"][:, -1] - c_n[0]).abs().max() <= 1e-12


def test_gates_and_state_obey_the_lstm_equations():
    model = _sharpened("delayed", seed=2)
    cache = trace(model, random_sequences(300, 5, torch.Generator().manual_seed(2)))
    i, f, g, o = (cache[n] for n in ("input_gate", "forget_gate", "cell_candidate", "output_gate"))
    c, h = cache["cell"], cache["hidden"]
    previous = torch.cat([torch.zeros_like(c[:, :1]), c[:, :-1]], dim=1)
    assert torch.allclose(c, f * previous + i * g, atol=1e-6)
    assert torch.allclose(h, o * torch.tanh(c), atol=1e-6)
    assert torch.allclose(cache["probs"], torch.softmax(cache["logits"], -1), atol=1e-6)
    # The gates really are the PyTorch i, f, g, o blocks: recompute step 0 directly.
    x0 = model.one_hot(cache.tokens[:, 0])
    pre = x0 @ model.lstm.weight_ih_l0.t() + model.lstm.bias_ih_l0 + model.lstm.bias_hh_l0
    pi, pf, pg, po = pre.detach().chunk(4, dim=1)
    assert torch.allclose(i[:, 0], torch.sigmoid(pi), atol=1e-6)
    assert torch.allclose(f[:, 0], torch.sigmoid(pf), atol=1e-6)
    assert torch.allclose(g[:, 0], torch.tanh(pg), atol=1e-6)
    assert torch.allclose(o[:, 0], torch.sigmoid(po), atol=1e-6)


def test_cache_names_and_accessors():
    model = handset_model("delayed", 3)
    cache = trace(model, ["ACG", "TTA"])
    assert isinstance(cache, Trace)
    assert cache.names == NAMES
    assert set(UNIT_NAMES) <= set(cache)
    assert cache["cell"].shape == (2, 6, 5)
    assert cache["logits"].shape == (2, 6, 4)
    assert cache.output("probs").shape == (2, 3, 4)
    assert cache.output_steps == [3, 4, 5]
    # The hand-set model answers complement(x0) everywhere: right at the last position.
    assert cache.predictions.tolist() == [[1, 1, 1], [0, 0, 0]]
    assert cache.accuracy()["per_position"][2] == 1.0
    with pytest.raises(KeyError, match="no internal named"):
        cache["gates"]
    with pytest.raises(ValueError, match="length 3"):
        trace(model, ["ACGT"])


def test_zero_unit_edits_only_the_chosen_steps_and_reruns_the_rest():
    model = handset_model("delayed", 3)
    seqs = analysis_sequences(3)
    clean = trace(model, seqs)
    # Zero the clock's hidden value at step 0: the store's input gate reopens at step 1.
    edited = trace(model, seqs, interventions=[zero_unit("hidden", CLOCK, steps=[0])])
    assert torch.equal(edited["hidden"][:, 0, CLOCK], torch.zeros(64))
    assert torch.equal(
        edited["hidden"][:, 1:, CLOCK], clean["hidden"][:, 1:, CLOCK]
    )  # the clock's cell is intact
    assert torch.equal(edited["cell"][:, 0], clean["cell"][:, 0])
    assert (edited["input_gate"][:, 1, STORE] > 0.99).all() and (
        clean["input_gate"][:, 1, STORE] < 1e-6
    ).all()
    assert edited.accuracy()["per_position"][2] < 1.0
    # Nothing before the intervention changes.
    multi = trace(model, seqs, interventions=[zero_unit("hidden", COPIER, steps=[2, 3])])
    assert torch.equal(multi["hidden"][:, :2], clean["hidden"][:, :2])
    assert (multi["hidden"][:, [2, 3], COPIER] == 0).all()
    assert torch.equal(multi["hidden"][:, 4:, COPIER], clean["hidden"][:, 4:, COPIER])


def test_plain_function_hooks_see_every_name_and_step():
    model = handset_model("aligned", 3)
    calls = []

    def hook(name, step, tensor):
        calls.append((name, step, tuple(tensor.shape)))
        return tensor * 0 if (name == "hidden" and step == 2) else tensor

    cache = trace(model, ["ACG", "TTT"], interventions=[hook])
    expected = {(n, t) for n in HOOKABLE_NAMES for t in range(3)}
    assert {(n, t) for n, t, _ in calls} == expected
    assert all(shape == ((2, 4) if n == "logits" else (2, 5)) for n, _, shape in calls)
    assert (cache["hidden"][:, 2] == 0).all()
    # Logits at step 2 are the readout of a zero hidden state: the readout bias.
    assert torch.allclose(cache["logits"][:, 2], model.readout.bias.expand(2, 4))


def test_set_scale_replace_and_gate_interventions():
    model = handset_model("delayed", 3)
    seqs = analysis_sequences(3)
    clean = trace(model, seqs)
    same = trace(model, seqs, interventions=[scale_unit("cell", [0, 1, 2], 1.0)])
    assert torch.equal(same["hidden"], clean["hidden"])
    by_step = trace(
        model, seqs, interventions=[set_unit("hidden", STORE, lambda step: float(step), steps=[1, 2])]
    )
    assert (by_step["hidden"][:, 1, STORE] == 1).all() and (by_step["hidden"][:, 2, STORE] == 2).all()
    # Closing the store's input gate at step 0 means it never stores anything.
    closed = trace(model, seqs, interventions=[zero_unit("input_gate", STORE, steps=[0])])
    assert closed["cell"][:, :, STORE].abs().max() < 1e-6
    doubled = trace(model, seqs, interventions=[replace("logits", lambda step, x: x * 2)])
    assert torch.allclose(doubled["logits"], clean["logits"] * 2)
    with pytest.raises(ValueError, match="can not intervene"):
        zero_unit("probs", 0)
    with pytest.raises(ValueError, match="out of range"):
        trace(model, seqs, interventions=[zero_unit("hidden", 9)])


def test_patching_the_whole_state_reproduces_the_donor():
    model = _sharpened("delayed", seed=3)
    seqs = random_sequences(2000, 5, torch.Generator().manual_seed(3))
    donor_seqs = random_sequences(2000, 5, torch.Generator().manual_seed(4))
    donor = trace(model, donor_seqs)
    everywhere = trace(model, seqs, interventions=patch_state(donor, steps=None))
    assert torch.equal(everywhere["hidden"], donor["hidden"])
    assert torch.allclose(everywhere["logits"], donor["logits"], atol=1e-6)
    # In the delayed task the inputs after the last base are the same for everyone, so patching
    # (h, c) once, after reading, hands over the donor's whole answer.
    once = trace(model, seqs, interventions=patch_state(donor, steps=[4]))
    assert torch.allclose(once["logits"][:, 5:], donor["logits"][:, 5:], atol=1e-5)
    assert torch.equal(once.predictions, donor.predictions)
    # Patching one unit only copies that unit.
    one = trace(model, seqs, interventions=[patch("cell", donor, steps=[0], unit=3)])
    assert torch.equal(one["cell"][:, 0, 3], donor["cell"][:, 0, 3])


def test_activation_frame_holds_the_right_values():
    model = handset_model("delayed", 3)
    seqs = analysis_sequences(3)
    cache = trace(model, seqs)
    frame = activation_frame(cache, ["hidden", "probs"], sequences=[5, 9])
    assert len(frame) == 2 * 6 * (5 + 4)
    expected_columns = [
        "sequence",
        "dna",
        "step",
        "position",
        "token",
        "input",
        "target",
        "predicted",
        "x0",
        "x1",
        "x2",
        "unit",
        "quantity",
        "value",
    ]
    assert list(frame.columns) == expected_columns
    for _, row in frame.sample(40, random_state=0).iterrows():
        assert row["value"] == pytest.approx(
            float(cache[row["quantity"]][row["sequence"], row["step"], row["unit"]])
        )
        dna = "".join("ATGC"[c] for c in seqs[row["sequence"]].tolist())
        assert row["dna"] == dna and [row[f"x{k}"] for k in range(3)] == list(dna)
        if row["step"] < 3:
            assert row["input"] == dna[row["step"]] and pd.isna(row["position"]) and pd.isna(row["target"])
        else:
            p = row["step"] - 3
            assert row["position"] == p
            assert row["target"] == {"A": "T", "T": "A", "G": "C", "C": "G"}[dna[2 - p]]
            assert row["input"] == ("GO" if p == 0 else "BLANK")
    assert cache.to_frame().shape[0] == 64 * 6 * 5 * len(UNIT_NAMES)


def test_initial_state_and_state_at_continue_a_run():
    model = _sharpened("aligned", seed=5)
    seqs = random_sequences(50, 5, torch.Generator().manual_seed(5))
    full = trace(model, seqs)
    h, c = full.state_at(4)
    resumed = trace(model, seqs, initial_state=(h, c))
    # Step 0 of the resumed run reads x0 on top of the final state, so it differs...
    assert not torch.allclose(resumed["hidden"][:, 0], full["hidden"][:, 0])
    # ...and a zero initial state reproduces the plain run.
    zero = trace(model, seqs, initial_state=(torch.zeros(8), torch.zeros(8)))
    assert torch.equal(zero["hidden"], full["hidden"])
