"""Causal tests, probes and geometry on cases whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from revcomp.causal import ablate_units, ablation_summary, interchange, probe_patching, probe_patching_summary
from revcomp.geometry import clamped_gate_accuracy, gate_saturation, pca, pca_frame
from revcomp.interventions import set_unit
from revcomp.model import Config, build_model
from revcomp.probes import fit_probes, linear_probe, probe_accuracy, probe_gap, split_sequences
from revcomp.trace import analysis_sequences, trace
from tests.handset import CLOCK, COPIER, INERT, STORE, UNREAD, handset_model

torch.set_num_threads(1)


# --- ablation -------------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["delayed", "aligned"])
def test_ablating_units_nothing_reads_changes_nothing(task):
    model = handset_model(task, 3)
    table = ablate_units(model, units=[COPIER, UNREAD, INERT], n_random=0)
    assert len(table) == 3 * 3 * (3 + 2)  # units x methods x (3 positions + whole + answerable)
    assert (table["change"] == 0).all()
    # And the logits are untouched, not merely the argmax.
    seqs = analysis_sequences(3)
    clean = trace(model, seqs)
    for unit in (UNREAD, INERT):
        ablated = trace(model, seqs, interventions=[set_unit("hidden", unit, 0.0)])
        assert torch.equal(ablated["logits"], clean["logits"])


def test_ablation_effects_of_the_store_and_the_clock():
    model = handset_model("delayed", 3)
    table = ablate_units(model, units=[CLOCK, STORE], n_random=4)
    units = table[table["kind"] == "unit"].set_index(["unit", "method", "scope", "position"])["change"]
    # The store holds x0, the only thing the readout uses: position 2 falls from 1.0 to chance (0.25).
    for method in ("zero", "mean", "step_mean"):
        assert units[(STORE, method, "position", 2)] == pytest.approx(-0.75)
    # The clock is a pure function of the step: its per-step mean *is* the clock, so nothing changes...
    assert (
        table[(table["unit"] == CLOCK) & (table["kind"] == "unit") & (table["method"] == "step_mean")][
            "change"
        ]
        == 0
    ).all()
    # ...but zeroing it reopens the store's input gate and the stored base is overwritten.
    assert units[(CLOCK, "zero", "position", 2)] < -0.4
    # Control rows: n_random random directions per method.
    control = table[table["kind"] == "random direction"]
    assert control.groupby("method")["unit"].nunique().to_dict() == {"mean": 4, "step_mean": 4, "zero": 4}
    summary = ablation_summary(table)
    assert list(summary.index) == [str(CLOCK), str(STORE), "random (mean)"]


def test_ablation_at_chosen_steps_only():
    model = handset_model("delayed", 3)
    # Zeroing the store's hidden value during the read phase does nothing: its cell keeps x0.
    early = ablate_units(model, units=[STORE], methods=["zero"], steps=[0, 1, 2], n_random=0)
    assert (early["change"] == 0).all() and set(early["steps"]) == {"0,1,2"}
    # Zeroing it at the step that emits position 2 breaks exactly that position.
    late = ablate_units(model, units=[STORE], methods=["zero"], steps=[5], n_random=0)
    by_position = late[late["scope"] == "position"].set_index("position")["change"]
    assert by_position[2] == pytest.approx(-0.75) and by_position[0] == 0 and by_position[1] == 0


# --- probes ---------------------------------------------------------------------------------


def test_linear_probe_finds_a_planted_direction():
    generator = torch.Generator().manual_seed(0)
    n, d = 1200, 8
    direction = torch.randn(d, generator=generator)
    direction /= direction.norm()
    labels = torch.randint(0, 4, (n,), generator=generator)
    levels = torch.tensor([-3.0, -1.0, 1.0, 3.0])
    # Classes 2 apart along the direction, noise 0.5 in every dimension: the Bayes boundary is
    # orthogonal to the direction, and about 96% is the best any probe can do.
    features = 0.5 * torch.randn(n, d, generator=generator) + levels[labels, None] * direction
    train, test = split_sequences(n, 1 / 3, seed=0)
    probe = fit_probes(features[train], labels[train], "linear")
    assert probe.accuracy(features[test], labels[test]).item() > 0.93
    basis = probe.subspace()
    # The probe reads (almost) only the planted direction.
    assert basis.shape[1] <= 3
    captured = (basis.t().double() @ direction.double()).norm().item()
    assert captured > 0.95
    top = torch.linalg.svd(probe.raw_weights()[0] - probe.raw_weights()[0].mean(1, keepdim=True))[0][:, 0]
    assert abs(float(top @ direction)) > 0.95
    # Control: labels that the features do not carry -> chance.
    shuffled = labels[torch.randperm(n, generator=generator)]
    null = fit_probes(features[train], shuffled[train], "linear")
    assert null.accuracy(features[test], shuffled[test]).item() < 0.35


def test_mlp_probe_reads_an_onion_that_a_linear_probe_can_not():
    # Class = which of four concentric shells a point lies on: no linear boundary separates them.
    generator = torch.Generator().manual_seed(1)
    n = 1500
    labels = torch.randint(0, 4, (n,), generator=generator)
    angle = torch.rand(n, generator=generator) * 2 * math.pi
    radius = 1.0 + labels.float() + 0.1 * torch.randn(n, generator=generator)
    features = torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1)
    train, test = split_sequences(n, 1 / 3, seed=1)
    linear = fit_probes(features[train], labels[train], "linear")
    mlp = fit_probes(features[train], labels[train], "mlp", hidden=32, steps=400)
    linear_acc = linear.accuracy(features[test], labels[test]).item()
    mlp_acc = mlp.accuracy(features[test], labels[test]).item()
    assert linear_acc < 0.5 < 0.9 < mlp_acc
    # Deterministic: the same fit twice gives the same probe.
    again = fit_probes(features[train], labels[train], "mlp", hidden=32, steps=400)
    assert torch.equal(again.params["W1"], mlp.params["W1"])


def test_probe_table_on_the_hand_set_model():
    table = probe_accuracy(handset_model("delayed", 3), hidden=16, mlp_steps=100)
    assert len(table) == 2 * 2 * 6 * 3  # quantities x kinds x steps x bases
    acc = table.set_index(["quantity", "probe", "step", "base"])["test_accuracy"]
    for quantity in ("hidden", "cell"):
        for kind in ("linear", "mlp"):
            # x0 sits in the store at every step.
            assert all(acc[(quantity, kind, t, 0)] == 1.0 for t in range(6))
            # x1 is held by the copier at step 1 only.
            assert acc[(quantity, kind, 1, 1)] == 1.0
    # Before x2 is read, and for x1 after the copier moved on, nothing decodes them.
    unreadable = table[
        ((table["base"] == 2) & (table["step"] < 2)) | ((table["base"] == 1) & (table["step"] >= 3))
    ]
    assert unreadable["test_accuracy"].max() < 0.5
    assert not table.loc[(table["base"] == 2) & (table["step"] < 2), "read"].any()
    gap = probe_gap(table)
    assert {"linear", "mlp", "gap"} <= set(gap.columns) and gap["step"].ge(gap["base"]).all()


# --- patching -------------------------------------------------------------------------------


def test_interchange_on_the_hand_set_model():
    model = handset_model("delayed", 3)
    table = interchange(model, steps=[0, 2, 5], states=("both", "hidden", "cell"))
    both = table[table["state"] == "both"].set_index(["step", "position"])
    # After step 0 the donor's x0 is in the store: the answer at position 2 follows the donor.
    assert both.loc[(0, 2), "switched"] == 1.0 and both.loc[(0, 2), "expected"] == "A"
    assert both.loc[(2, 2), "switched"] == 1.0
    # Patching the hidden state alone at step 0 does not move the stored cell value.
    hidden = table[table["state"] == "hidden"].set_index(["step", "position"])
    assert hidden.loc[(0, 2), "switched"] == 0.0 and hidden.loc[(0, 2), "stayed"] == 1.0
    # At the last step the hidden state is what the readout reads.
    assert hidden.loc[(5, 2), "switched"] == 1.0
    assert table["n_pairs"].min() > 0


def test_full_state_patch_after_reading_switches_every_output():
    model = build_model(Config(task="delayed", length=4, hidden_size=6, seed=2))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3)
    table = interchange(model, steps=[3], states=("both",))
    # Whatever the model answers, B now answers exactly what A answers: only pairs where the answer
    # is A's are counted as switched, so compare predictions directly as well.
    seqs = analysis_sequences(4)
    donor_rows = torch.randperm(len(seqs), generator=torch.Generator().manual_seed(0))
    donor = trace(model, seqs[donor_rows])
    from revcomp.interventions import patch_state

    patched = trace(model, seqs, interventions=patch_state(donor, [3]))
    assert torch.equal(patched.predictions, donor.predictions)
    assert set(table["expected"]) == {"A"}


def test_probe_direction_patching_on_the_hand_set_model():
    table = probe_patching(handset_model("delayed", 3), bases=[0], n_random=2)
    summary = probe_patching_summary(table).set_index("kind")
    # x0 lives along one direction (the store unit): patching that direction moves the answer that needs x0.
    assert summary.loc["probe subspace", "target_switched"] == 1.0
    # The probe's main direction is the store unit.
    cache = trace(handset_model("delayed", 3), analysis_sequences(3))
    basis = linear_probe(cache, "hidden", step=2, base=0).subspace()
    assert abs(float(basis[STORE, 0])) > 0.99
    # Random directions of the same rank mostly miss it.
    random_rows = table[(table["kind"] == "random subspace") & table["target_position"]]
    assert random_rows["switched"].mean() < 1.0


# --- geometry -------------------------------------------------------------------------------


def test_pca_finds_the_three_varying_directions_of_the_hand_set_model():
    cache = trace(handset_model("delayed", 3), analysis_sequences(3))
    result = pca(cache, "hidden")
    # Varying units: clock, copier, store, unread -- but unread == copier, so the rank is 3.
    assert result.explained_variance_ratio[:3].sum() == pytest.approx(1.0)
    assert result.explained_variance_ratio[3:].max() < 1e-10
    assert np.allclose(result.components @ result.components.T, np.eye(5), atol=1e-8)
    frame = pca_frame(cache, "hidden", n_components=2)
    assert len(frame) == 64 * 6 and {"pc1", "pc2", "x0", "step"} <= set(frame.columns)
    # Projecting and reconstructing with all components returns the states.
    coords = result.project(cache["hidden"])
    rebuilt = coords @ result.components + result.mean
    assert np.allclose(rebuilt, cache["hidden"].numpy(), atol=1e-6)


def test_gate_saturation_and_clamping_on_the_hand_set_model():
    model = handset_model("delayed", 3)
    cache = trace(model, analysis_sequences(3))
    saturation = gate_saturation(cache).set_index(["gate", "unit"])
    assert saturation.loc[("input_gate", CLOCK), "share_high"] == 1.0
    assert saturation.loc[("forget_gate", COPIER), "share_low"] == 1.0
    assert saturation.loc[("input_gate", INERT), "share_saturated"] == 0.0  # sigmoid(0) = 0.5
    clamped = clamped_gate_accuracy(model).set_index("gates")
    # Every working gate is already a switch: clamping to exactly 0/1 changes nothing.
    assert (clamped["answerable"] == clamped.loc["none", "answerable"]).all()
    assert clamped.loc["none", "acc_pos2"] == 1.0 and clamped.loc["all", "acc_pos2"] == 1.0
