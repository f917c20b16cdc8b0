"""The role scorer labels units whose job is known by construction, and its numbers are right."""

from __future__ import annotations

import pytest
import torch

from revcomp.causal import ablate_units
from revcomp.pretrained import load_model
from revcomp.roles import (
    CLAIMS,
    ROLES,
    check_claim,
    claim_verdicts,
    eta_squared,
    label_role,
    pts,
    role_counts,
    roles_per_step,
    unit_roles,
    units_text,
)
from revcomp.trace import analysis_sequences, trace
from tests.handset import CLOCK, COPIER, INERT, STORE, UNREAD, handset_model

torch.set_num_threads(1)

EXPECTED = {
    CLOCK: "position",
    COPIER: "current base",
    STORE: "stored base 0",
    UNREAD: "current base",
    INERT: "inert",
}


def test_eta_squared_known_values():
    groups = torch.tensor([0, 0, 1, 1, 2, 2])
    pure = torch.tensor([1.0, 1.0, 5.0, 5.0, -2.0, -2.0])
    assert eta_squared(pure, groups).item() == pytest.approx(1.0)
    # Within-group spread only: group means all equal.
    unrelated = torch.tensor([1.0, -1.0, 2.0, -2.0, 3.0, -3.0])
    assert eta_squared(unrelated, groups).item() == pytest.approx(0.0)
    # Half and half: means (0, 2) with +-1 noise -> between 1, total 2.
    half = torch.tensor([-1.0, 1.0, 1.0, 3.0])
    assert eta_squared(half, torch.tensor([0, 0, 1, 1])).item() == pytest.approx(0.5)
    assert eta_squared(torch.zeros(6), groups).item() == 0.0


@pytest.mark.parametrize("task", ["delayed", "aligned"])
def test_roles_of_the_hand_set_model(task):
    roles = unit_roles(handset_model(task, 3))
    assert dict(zip(roles["unit"], roles["role"], strict=True)) == EXPECTED
    clock = roles.loc[CLOCK]
    assert clock["eta2_step"] == pytest.approx(1.0, abs=1e-6)
    copier = roles.loc[COPIER]
    assert copier["eta2_base"] == pytest.approx(1.0, abs=1e-6)
    assert copier["eta2_step"] == pytest.approx(0.0, abs=1e-6)
    store = roles.loc[STORE]
    assert store["within_x0"] == pytest.approx(1.0, abs=1e-6)
    assert store["within_x1"] == pytest.approx(0.0, abs=1e-6) and store["stored_base"] == 0
    assert roles.loc[UNREAD, "readout_norm"] == 0 and roles.loc[UNREAD, "recurrent_norm"] == 0
    # The cell state has the same jobs (the clock's cell is a ramp).
    cell = unit_roles(handset_model(task, 3), "cell")
    assert dict(zip(cell["unit"], cell["role"], strict=True)) == EXPECTED


def test_label_rules_and_thresholds():
    base = {
        "std": 0.3,
        "eta2_step": 0.1,
        "eta2_token": 0.3,
        "eta2_base": 0.1,
        "within_x0": 0.1,
        "within_x1": 0.1,
    }
    assert label_role({**base, "std": 0.01}, 2)[0] == "inert"
    assert label_role({**base, "eta2_step": 0.85}, 2)[0] == "position"
    assert label_role({**base, "eta2_base": 0.7}, 2)[0] == "current base"
    # Copies bases while reading, but the clock explains more overall: mixed.
    assert label_role({**base, "eta2_base": 0.7, "eta2_step": 0.55, "eta2_token": 0.4}, 2)[0] == "mixed"
    assert label_role({**base, "within_x1": 0.6}, 2)[0] == "stored base 1"
    # Not dominant enough: two bases share the within-step variance.
    role, detail = label_role({**base, "within_x0": 0.55, "within_x1": 0.45}, 2)
    assert role == "mixed" and "x0" in detail


def test_roles_per_step_sees_stored_and_current_bases_within_each_step():
    per_step = roles_per_step(handset_model("delayed", 3))
    store = per_step[(per_step["unit"] == STORE) & (per_step["factor"] == "x0")]
    assert store["eta2"].min() == pytest.approx(1.0, abs=1e-6)
    copier = per_step[(per_step["unit"] == COPIER) & (per_step["factor"] == "input")]
    read = copier[copier["step"] < 3]
    assert read["eta2"].min() == pytest.approx(1.0, abs=1e-6)
    assert (copier[copier["step"] >= 3]["variance"] < 1e-12).all()  # GO/BLANK: no variation
    # x2 is not known before step 2: it explains nothing there.
    early = per_step[(per_step["factor"] == "x2") & (per_step["step"] < 2)]
    assert early["eta2"].max() == 0
    assert per_step["position"].dropna().tolist()[:5] == [0] * 5


def test_check_claim_on_the_hand_set_model_with_ablations():
    model = handset_model("delayed", 3)
    roles = unit_roles(model)
    ablations = ablate_units(model, n_random=2)
    claim = check_claim(roles, ablations)
    assert claim["position_units"] == [CLOCK]
    assert claim["base_units"] == [COPIER, STORE, UNREAD]
    assert claim["inert_units"] == [INERT]
    # Nothing reads the copiers or the inert unit: ablating them does nothing. The store and the clock matter.
    assert claim["causally_inert_units"] == [COPIER, UNREAD, INERT]
    assert all(claim["parts"].values())
    assert role_counts(roles) == {"inert": 1, "position": 1, "current base": 2, "stored base": 1, "mixed": 0}


def test_trained_model_roles_are_scored_consistently():
    model = load_model("delayed-L5-H8")
    cache = trace(model, analysis_sequences(5))
    roles = unit_roles(cache)
    assert sum(role_counts(roles).values()) == 8
    assert set(roles["role"].str.replace(r" \d+$", "", regex=True)) <= set(ROLES)
    # eta2 by step plus within-step share of x0 can not exceed the whole.
    explained = roles["eta2_step"] + (1 - roles["eta2_step"]) * roles["within_x0"]
    assert (explained <= 1 + 1e-9).all()
    # The scores are shares of variance.
    score_columns = [c for c in roles.columns if c.startswith(("eta2_", "within_"))]
    assert ((roles[score_columns] >= 0) & (roles[score_columns] <= 1)).all().all()


def test_claim_verdicts_on_the_hand_set_model():
    model = handset_model("delayed", 3)
    verdicts = claim_verdicts(model, unit_roles(model), ablate_units(model, n_random=2)).set_index("claim")
    assert list(verdicts.index) == list(CLAIMS)
    # The clock is a position unit, but not a causal clock: the store only needs its h to be non-zero
    # after step 0, so setting it to its overall mean costs nothing.
    assert verdicts.loc["position", "verdict"] == "partly confirmed"
    assert verdicts.loc["position", "role_units"] == [CLOCK]
    assert verdicts.loc["position", "causal_units"] == []
    # The store's per-step mean breaks exactly the output that needs x0: a targeted stored-base unit.
    assert verdicts.loc["base identity", "verdict"] == "confirmed"
    assert verdicts.loc["base identity", "causal_units"] == [STORE]
    assert verdicts.loc["almost nothing", "verdict"] == "confirmed"
    assert verdicts.loc["almost nothing", "role_units"] == [INERT]
    assert verdicts.loc["almost nothing", "causal_units"] == [COPIER, UNREAD, INERT]
    assert all(isinstance(text, str) and text for text in verdicts["evidence"])
    assert pts(0.034) == "3.4 points" and pts(0.5) == "50 points" and units_text([1, 2]) == "units 1 and 2"
