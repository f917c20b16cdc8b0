# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 4. Testing the story
#
# The original write-up ends with a reading of its small LSTM's neurons:
#
# > Some neurons encode **position**, some encode **base identity**, and some do **almost
# > nothing**.
#
# [The previous page](../03_looking_inside/) drew the pictures a reading like that comes from.
# This page turns each of the three parts into a measurement and then into an experiment on the
# shipped `delayed-L5-H8` model, and at the end asks the same questions of the other two shipped
# models. Four tools, all in `revcomp`:
#
# 1. **Roles** — how much of each unit's variance the step, the input or a stored base explains.
#    This is a correlation: it says what a unit *tracks*.
# 2. **Ablations** — knock one unit out and count what breaks: does the model *use* it?
# 3. **Probes** — can a stored base be read off the whole state, and does it take a non-linear
#    decoder to do it?
# 4. **Patching** — transplant state from another input and watch which outputs follow it.

# %%
import pandas as pd
import torch
from IPython.display import Markdown, display

import revcomp
from revcomp import charts
from revcomp.causal import ablate_units, ablation_summary, interchange, probe_patching
from revcomp.probes import probe_accuracy, probe_gap
from revcomp.roles import (
    BASE_SHARE,
    CAUSAL_INERT_CHANGE,
    INERT_STD,
    POSITION_SHARE,
    STORED_MARGIN,
    STORED_SHARE,
    check_claim,
    role_counts,
    unit_roles,
)
from revcomp.trace import analysis_sequences, trace

torch.set_num_threads(1)  # thousands of tiny tensor operations: one thread beats two

model = revcomp.load_model("delayed-L5-H8")
H, L = model.config.hidden_size, model.task.length
seqs = analysis_sequences(L)
cache = trace(model, seqs)


def pts(x: float) -> str:
    """An accuracy difference in percentage points (one decimal below 10)."""
    value = round(100 * x, 1 if abs(100 * x) < 9.95 else 0) + 0.0  # + 0.0: no "-0"
    text = f"{value:.1f}" if abs(value) < 9.95 else f"{value:.0f}"
    return f"{text} point" + ("" if text in ("1", "1.0") else "s")


def units_text(units: list) -> str:
    units = [str(u) for u in units]
    if not units:
        return "none"
    return ("unit " if len(units) == 1 else "units ") + (
        units[0] if len(units) == 1 else ", ".join(units[:-1]) + " and " + units[-1]
    )


display(
    Markdown(
        f"`{model.config.name}` has {H} hidden units and reads sequences of length {L}. Everything "
        f"below uses all **{len(seqs):,}** possible inputs; the model is right on "
        f"{cache.accuracy()['whole_sequence']:.1%} of them."
    )
)

# %% [markdown]
# ## Roles, computed
#
# Pool one unit's hidden-state value over every input and every step. **η²** (eta-squared) is the
# share of that variance explained by a grouping: by the step, by the token just read, by the
# base just read, or — once the step is known — by one of the stored bases `x0`, `x1`, ….
# `revcomp.roles.unit_roles` scores every unit and labels it by the first rule that matches:

# %%
display(
    Markdown(
        "| role | rule (first match wins) |\n|---|---|\n"
        f"| inert | standard deviation below {INERT_STD} (hidden values lie in −1…1) |\n"
        f"| position | the step explains at least {POSITION_SHARE:.0%} of the variance |\n"
        f"| current base | the base just read explains at least {BASE_SHARE:.0%} (on the read steps), "
        "more than any stored base, and over all steps the input explains at least as much as the step |\n"
        f"| stored base *k* | `xk` explains at least {STORED_SHARE:.0%} of the variance left once the "
        f"step is known, and at least {STORED_MARGIN:g}× as much as the next stored base |\n"
        "| mixed | none of the above |"
    )
)

# %%
hidden_roles = unit_roles(cache, "hidden")
cell_roles = unit_roles(cache, "cell")
score_columns = ["std", "eta2_step", "eta2_token", "eta2_base", *[f"within_x{k}" for k in range(L)]]
hidden_roles.set_index("unit")[["role", *score_columns]].assign(cell_role=cell_roles["role"].values).round(2)

# %%
counts = role_counts(hidden_roles)
cell_counts = role_counts(cell_roles)
stored = hidden_roles[hidden_roles["stored_base"] >= 0]
clockiest = hidden_roles.loc[hidden_roles["eta2_step"].idxmax()]
quietest = hidden_roles.loc[hidden_roles["std"].idxmin()]


def count_text(c: dict[str, int]) -> str:
    return ", ".join(f"{n} {role}" for role, n in c.items())


display(
    Markdown(
        f"Hidden state: **{count_text(counts)}**"
        + (f" (storing {', '.join(f'x{k}' for k in stored['stored_base'])})" if len(stored) else "")
        + f". Cell state: {count_text(cell_counts)}. The unit most tied to the step is unit "
        f"{clockiest['unit']}, with η² = {clockiest['eta2_step']:.2f} for the step — "
        + ("above" if clockiest["eta2_step"] >= POSITION_SHARE else "below")
        + f" the {POSITION_SHARE} bar for a position unit. The quietest is unit {quietest['unit']}, "
        f"with a standard deviation of {quietest['std']:.2f}, "
        f"{quietest['std'] / INERT_STD:.0f}× the {INERT_STD} bar for an inert one."
    )
)

# %% [markdown]
# These are correlations. A unit that follows the current base could be read by nothing; a unit
# with a small variance could be the one the readout leans on. The next test asks the model.
#
# ## Ablations: what breaks without each unit
#
# Each unit of the hidden state is replaced, at every step, in three ways: by **zero**; by its
# **mean** over all inputs and steps; and by its **per-step mean** — which keeps whatever the unit
# says about *when* and removes what it says about *which input*. If the per-step mean costs
# nothing while zero costs a lot, the unit is used as a clock. The control: the same three
# ablations along random directions of the hidden state. If random directions hurt as much
# as units do, the unit axes are nothing special — the code is distributed.
#
# In the chart, each row is a unit: its role and role scores on the left, the share of inputs that
# stop being right when it is ablated on the right, and below, where in the output the damage
# lands. The last row is the random-direction control. **Click a unit** (its role, a score, a
# point or a cell) to pick it out in all four panels; double-click clears.

# %%
N_RANDOM = 8
ablations = ablate_units(model, seqs, n_random=N_RANDOM)
charts.role_ablation_chart(charts.role_score_frame(hidden_roles), charts.ablation_frame(ablations))

# %%
lost = -ablation_summary(ablations)  # accuracy lost (whole sequence) per unit and method
unit_lost = lost.drop(index="random (mean)")
unit_lost.index = unit_lost.index.astype(int)
control = lost.loc["random (mean)"]
draws = -ablations[
    (ablations["kind"] == "random direction")
    & (ablations["scope"] == "answerable")
    & (ablations["method"] == "zero")
]["change"]
ratio = unit_lost["step_mean"] / unit_lost["zero"]
HALF = 0.6  # per-step mean costs at most this share of zero: the time course is used
half_clock = ratio[ratio <= HALF].index.tolist()
position_loss = (
    ablations[
        (ablations["kind"] == "unit")
        & (ablations["scope"] == "position")
        & (ablations["method"] == "step_mean")
    ]
    .pivot_table(index="unit", columns="position", values="change")
    .mul(-1)
)
targeted = []
for _, row in stored.iterrows():
    u, k = int(row["unit"]), int(row["stored_base"])
    needed = position_loss.loc[u, L - 1 - k]
    others = position_loss.loc[u].drop(L - 1 - k).mean()
    targeted.append((u, k, needed, others))
display(
    Markdown(
        f"Zeroing any one unit costs between **{pts(unit_lost['zero'].min())}** and "
        f"**{pts(unit_lost['zero'].max())}** of whole-sequence accuracy; zeroing a random direction "
        f"costs {pts(control['zero'])} on average ({pts(draws.min())} to {pts(draws.max())} over "
        f"{N_RANDOM} draws). "
        + (
            f"{(unit_lost['zero'] >= draws.min()).sum()} of {H} units fall inside the random range, "
            f"{(unit_lost['zero'] < draws.min()).sum()} below it: "
            + (
                "no unit is more fragile than a random direction — the unit axes are not special. "
                if (unit_lost["zero"] > draws.max()).sum() == 0
                else f"{(unit_lost['zero'] > draws.max()).sum()} cost more than any random direction. "
            )
        )
        + (
            f"For {units_text(half_clock)}, the per-step mean costs at most {HALF:.0%} of what zero costs "
            f"({', '.join(f'{r:.0%}' for r in ratio[half_clock])}): part of what they carry is the "
            "step, and the model uses it — but the rest of their cost is about which input was read. "
            if half_clock
            else f"For every unit the per-step mean costs more than {HALF:.0%} of what zero costs. "
        )
        + " ".join(
            f"Unit {u}, the stored-`x{k}` unit, shows its job in the per-position view: its per-step "
            f"mean costs {pts(needed)} at output {L - 1 - k} (the one that needs `x{k}`) and "
            f"{pts(others)} on average elsewhere."
            for u, k, needed, others in targeted
        )
    )
)

# %% [markdown]
# ## Probes: where the stored bases are, and in what form
#
# Ablations say the model needs every unit; they do not say where the stored bases are. A
# **probe** is a small classifier that tries to read stored base `xk` off the state at step *t*.
# Each is fitted on two thirds of the inputs and scored on the held-out third, both as a linear
# (logistic-regression) probe and as a one-hidden-layer MLP. A base the state does not carry
# scores at chance — about 0.25, a little below on this balanced set: the faded cells are probes
# for bases not read yet, a built-in control. The bottom row is the MLP's advantage.
#
# If an MLP reads a base that a linear probe cannot, the information is there but not along
# straight directions: the non-linear "onion" codes that Csordás et al. (2024, *Recurrent Neural
# Networks Learn to Store and Generate Sequences using Non-Linear Representations*) found in small
# RNNs that store sequences.

# %%
MLP_HIDDEN, MLP_STEPS = 16, 100  # small MLP probes so the page builds in seconds
probes = probe_accuracy(cache, hidden=MLP_HIDDEN, mlp_steps=MLP_STEPS)
charts.probe_grid_chart(charts.probe_grid_frame(probes, cache))

# %%
gap = probe_gap(probes)
read = probes[probes["read"]]
mean_acc = read.groupby(["quantity", "probe"])["test_accuracy"].mean()
unread = probes.loc[~probes["read"], "test_accuracy"]
widest = gap.loc[gap["gap"].idxmax()]
end_of_reading = gap[gap["step"] == L - 1].groupby("quantity")[["linear", "mlp"]].mean()
n_train, n_test = int(probes["n_train"].iloc[0]), int(probes["n_test"].iloc[0])
use_step = {k: model.task.output_step(L - 1 - k) for k in range(L)}  # the step that writes x[k]'s partner
at_use = probes[[use_step[k] == t for t, k in zip(probes["step"], probes["base"], strict=True)]]
display(
    Markdown(
        f"Probes were fitted on {n_train:,} inputs and scored on {n_test:,} (MLP probes: {MLP_HIDDEN} "
        f"hidden units, {MLP_STEPS} full-batch Adam steps). Averaged over every step and every base "
        f"already read, held-out accuracy is **{mean_acc['hidden', 'linear']:.2f} linear / "
        f"{mean_acc['hidden', 'mlp']:.2f} MLP** from the hidden state and "
        f"**{mean_acc['cell', 'linear']:.2f} / {mean_acc['cell', 'mlp']:.2f}** from the cell state; "
        f"probes for bases not yet read score {unread.min():.2f}–{unread.max():.2f}, at chance as "
        f"they must. At the end of reading (step {L - 1}), before any output, the linear probes "
        f"average {end_of_reading.loc['hidden', 'linear']:.2f} (hidden) and "
        f"{end_of_reading.loc['cell', 'linear']:.2f} (cell) over the {L} bases, the MLP probes "
        f"{end_of_reading.loc['hidden', 'mlp']:.2f} and {end_of_reading.loc['cell', 'mlp']:.2f}. "
        + (
            f"The widest linear–MLP gap is **{widest['gap']:+.2f}**, for `x{int(widest['base'])}` at "
            f"step {int(widest['step'])} in the {widest['quantity']} state "
            f"({widest['linear']:.2f} → {widest['mlp']:.2f}): there, part of the stored sequence is "
            "present but not linearly readable — onion-like, as Csordás et al. found. "
            if widest["gap"] >= 0.1
            else f"The widest linear–MLP gap is only {widest['gap']:+.2f}: in this model a linear "
            "readout gets essentially everything an MLP gets — no sign of onion codes. "
        )
        + (
            "At the step that writes out a base's complement, every probe reads that base perfectly "
            f"(held-out accuracy at least {at_use['test_accuracy'].min():.3f})."
            if at_use["test_accuracy"].min() >= 0.995
            else "At the step that writes out a base's complement, the probes read that base with "
            f"held-out accuracy {at_use['test_accuracy'].min():.2f}–{at_use['test_accuracy'].max():.2f}."
        )
    )
)

# %% [markdown]
# ## Patching: is the stored sequence where the probes say?
#
# **Interchange.** Pair every input B with another input A. Run B, but at one step replace its state
# with A's, and ask for each output whether B's answer switches to A's. A model that keeps each base
# in its state should switch exactly the outputs whose base had already been read at the patched
# step and are still to be written (outlined). Patching the hidden and cell state together, then
# each alone, tells which of the two carries the stored sequence forward.

# %%
patched = interchange(model, seqs)
charts.interchange_chart(charts.interchange_frame(patched, cache))

# %%
should = patched[patched["expected"] == "A"]
shouldnt = patched[patched["expected"] == "B"]
switch_by_state = should.groupby("state")["switched"].mean()
stray_by_state = shouldnt.groupby("state")["switched"].mean()
at_end = should[should["step"] == L - 1].groupby("state")["switched"].mean()
writing = patched[patched["step"] == patched["position"].map(model.task.output_step)]
hidden_writing = writing.loc[writing["state"] == "hidden", "switched"].mean()
whole = patched[patched["state"] == "both"]
exact = ((whole["expected"] == "A") == (whole["switched"] > 0.99)) & (
    (whole["expected"] == "B") == (whole["stayed"] > 0.99)
)
display(
    Markdown(
        f"Patching the whole state switches **{switch_by_state['both']:.0%}** of the outlined outputs "
        f"and {stray_by_state['both']:.1%} of the others: "
        + (
            f"in all {len(whole)} step × position cells it does exactly what a stored-sequence model "
            "predicts. "
            if exact.all()
            else f"{exact.sum()} of {len(whole)} step × position cells follow the prediction exactly. "
        )
        + f"The cell state alone switches {switch_by_state['cell']:.0%} of the outlined outputs, the "
        f"hidden state alone {switch_by_state['hidden']:.0%}. At the end of reading (step {L - 1}) the "
        f"gap is starker: cell alone {at_end['cell']:.0%}, hidden alone {at_end['hidden']:.0%}. "
        + (
            "The stored sequence is carried in the cell. "
            if at_end["cell"] > at_end["hidden"] + 0.3
            else "Both halves of the state carry the stored sequence. "
        )
        + f"Patched at the step that writes an output, the hidden state alone switches "
        f"{hidden_writing:.0%} of that output: the hidden state is what the readout reads."
    )
)

# %% [markdown]
# **Probe-direction patching.** A sharper test of the linear probes: at the end of reading, replace
# only the part of B's state that lies in the subspace a linear probe for `xk` reads (rank at most
# 3, in hidden and cell) by A's. If that subspace *is* where the model keeps `xk`, the output that
# needs `xk` switches and the others stay. The control patches random subspaces of the same rank
# (bars: mean; rule: range over draws). Pairs come from the probes' held-out third.

# %%
N_PATCH_RANDOM = 3
direction_patch = probe_patching(model, seqs, n_random=N_PATCH_RANDOM)
patch_frame = charts.probe_patching_frame(direction_patch)
charts.probe_patching_chart(patch_frame)

# %%
need = patch_frame[patch_frame["where"] == "the output that needs it"].pivot_table(
    index="base", columns="kind", values="switched"
)
elsewhere = patch_frame[patch_frame["where"] == "the other outputs"].pivot_table(
    index="base", columns="kind", values="switched"
)
beats = need[need["probe subspace"] > need["random subspace"] + 0.2].index.tolist()
display(
    Markdown(
        "At the output that needs the base, the probe subspace switches "
        + ", ".join(f"`{b}` {need.loc[b, 'probe subspace']:.2f}" for b in need.index)
        + f"; random subspaces switch {need['random subspace'].min():.2f}–"
        f"{need['random subspace'].max():.2f}. "
        + (
            f"Only for {', '.join(f'`{b}`' for b in beats)} does the probe direction clearly beat "
            "random ones (by more than 0.2): "
            if 0 < len(beats) < len(need)
            else "Every probe direction beats random ones by more than 0.2: "
            if len(beats) == len(need)
            else "No probe direction beats random ones by more than 0.2: "
        )
        + (
            "the linear probes find a direction the model really uses for some bases and only a "
            "shadow of it for the rest — consistent with the probe gap above: what a linear probe "
            "cannot read well, patching its subspace cannot move."
            if len(beats) < len(need)
            else "the linear probes find where the model keeps each base."
        )
        + f" Elsewhere in the output, probe patches switch {elsewhere['probe subspace'].mean():.2f} "
        f"on average, random ones {elsewhere['random subspace'].mean():.2f}."
    )
)

# %% [markdown]
# ## The three claims, for `delayed-L5-H8`
#
# Each part of the write-up's sentence is now judged on the evidence above. Two definitions make
# the causal half precise; the thresholds are set in the next cell.

# %%
CLOCK_MIN_LOSS, CLOCK_KEEP = 0.10, 0.10
LITTLE = 0.05  # "costs little": under 5 points
display(
    Markdown(
        f"- A **clock unit** (used for position) loses at least {pts(CLOCK_MIN_LOSS)} when set to its "
        f"overall mean, but at most {CLOCK_KEEP:.0%} of that when set to its per-step mean: what the "
        "model needs from it is its time course.\n"
        f"- A unit that **does almost nothing** changes accuracy by less than "
        f"{pts(CAUSAL_INERT_CHANGE)} under every ablation (the bar of `revcomp.roles.check_claim`), "
        f"or is inert by the role rules. One that changes it by less than {pts(LITTLE)} costs *little*."
    )
)


def unit_losses(ablations: pd.DataFrame) -> pd.DataFrame:
    """Accuracy lost (answerable positions) per unit and method."""
    table = -ablation_summary(ablations).drop(index="random (mean)")
    table.index = table.index.astype(int)
    return table


def clock_units(losses: pd.DataFrame) -> list[int]:
    ok = (losses["mean"] >= CLOCK_MIN_LOSS) & (losses["step_mean"] <= CLOCK_KEEP * losses["mean"])
    return losses.index[ok].tolist()


def targeted_stored(
    model, roles: pd.DataFrame, ablations: pd.DataFrame
) -> list[tuple[int, int, float, float]]:
    """Stored-base units whose per-step-mean ablation hits the output that needs their base hardest."""
    L = model.task.length
    answerable = [p for p, ok in enumerate(model.task.answerable()) if ok]
    per_position = (
        ablations[
            (ablations["kind"] == "unit")
            & (ablations["scope"] == "position")
            & (ablations["method"] == "step_mean")
        ]
        .pivot_table(index="unit", columns="position", values="change")
        .mul(-1)
    )
    out = []
    for _, row in roles[roles["stored_base"] >= 0].iterrows():
        u, k = int(row["unit"]), int(row["stored_base"])
        p = L - 1 - k
        if p in answerable:
            rest = per_position.loc[u, [q for q in answerable if q != p]].mean()
            out.append((u, k, float(per_position.loc[u, p]), float(rest)))
    return out


def judge(name: str, model, roles: pd.DataFrame, ablations: pd.DataFrame) -> dict:
    """Counts, evidence and a verdict for each of the three claims."""
    losses = unit_losses(ablations)
    control = -ablation_summary(ablations).loc["random (mean)"]
    claim = check_claim(roles, ablations)
    position = claim["position_units"]
    clocks = clock_units(losses)
    base = claim["base_units"]
    targeted = [t for t in targeted_stored(model, roles, ablations) if t[2] >= 3 * t[3]]
    base_cost = losses.loc[base, "step_mean"].mean() if base else float("nan")
    inert = sorted(set(claim["inert_units"]) | set(claim["causally_inert_units"]))
    worst = losses.max(axis=1)
    little = worst[worst < LITTLE].index.tolist()
    return {
        "model": name,
        "H": model.config.hidden_size,
        "counts": claim["counts"],
        "position": position,
        "clocks": clocks,
        "base": base,
        "targeted": targeted,
        "base_cost": base_cost,
        "random_cost": float(control["step_mean"]),
        "inert": inert,
        "little": little,
        "cheapest": (int(worst.idxmin()), float(worst.min())),
        "quietest": (int(roles.loc[roles["std"].idxmin(), "unit"]), float(roles["std"].min())),
        "losses": losses,
        "verdicts": {
            "position": "confirmed"
            if position and clocks
            else "partly confirmed"
            if position or clocks
            else "refuted",
            "base identity": "refuted" if not base else "confirmed" if targeted else "partly confirmed",
            "almost nothing": "confirmed" if inert else "partly confirmed" if little else "refuted",
        },
    }


def position_text(j: dict) -> str:
    H, v = j["H"], j["verdicts"]["position"]
    text = f"**{v.capitalize()}.** {len(j['position'])} of {H} units are position units by their role scores"
    text += f" ({units_text(j['position'])})" if j["position"] else ""
    text += f", and {len(j['clocks'])} pass the causal clock test" + (
        f" ({units_text(j['clocks'])})" if j["clocks"] else ""
    )
    if j["clocks"]:
        rows = j["losses"].loc[j["clocks"]]
        text += (
            ": zeroing them costs "
            + ", ".join(pts(x) for x in rows["zero"])
            + ", their per-step mean "
            + ", ".join(pts(x) for x in rows["step_mean"])
        )
    if set(j["position"]) != set(j["clocks"]) and j["position"] and j["clocks"]:
        text += (
            ". The two tests do not pick the same units: a high η² for the step does not mean the "
            "step is all the model reads from a unit"
        )
    return text + "."


def base_text(j: dict) -> str:
    H, v = j["H"], j["verdicts"]["base identity"]
    c = j["counts"]
    text = (
        f"**{v.capitalize()}.** {len(j['base'])} of {H} units are base units by their role scores "
        f"({c['current base']} current base, {c['stored base']} stored base)"
    )
    if j["targeted"]:
        text += ". " + " ".join(
            f"Unit {u} stores `x{k}`, and its per-step-mean ablation costs {pts(a)} at the output "
            f"that needs `x{k}` against {pts(b)} elsewhere."
            for u, k, a, b in j["targeted"]
        )
    else:
        text += ", but no stored-base unit's ablation singles out the output that needs its base"
        text += "."
    if j["base"]:
        text += (
            f" Replacing a base unit by its per-step mean costs {pts(j['base_cost'])} on average; a "
            f"random direction costs {pts(j['random_cost'])}"
            + (
                " — so base units are not more important than arbitrary directions of the state."
                if j["base_cost"] <= j["random_cost"] + 0.05
                else f": here the base units matter {j['base_cost'] / j['random_cost']:.1f}× as much as "
                "an arbitrary direction."
            )
        )
    return text


def nothing_text(j: dict) -> str:
    H, v = j["H"], j["verdicts"]["almost nothing"]
    u_cheap, cheapest = j["cheapest"]
    u_quiet, quietest = j["quietest"]
    text = (
        f"**{v.capitalize()}.** {len(j['inert'])} of {H} units are inert or change accuracy by less "
        f"than {pts(CAUSAL_INERT_CHANGE)} under every ablation"
    )
    text += f" ({units_text(j['inert'])})" if j["inert"] else ""
    text += (
        f". The cheapest unit to lose (unit {u_cheap}) "
        + ("costs at most" if cheapest < LITTLE else "still costs")
        + f" {pts(cheapest)} under its most damaging ablation, and the quietest (unit {u_quiet}) has a "
        f"standard deviation of {quietest:.2f}"
    )
    if j["little"] and not j["inert"]:
        text += (
            f"; {len(j['little'])} units cost less than {pts(LITTLE)} under every ablation "
            f"({units_text(j['little'])})"
        )
    return text + "."


main = judge("delayed-L5-H8", model, hidden_roles, ablations)
display(
    Markdown(
        "1. *Some neurons encode position.* "
        + position_text(main)
        + (
            f" The step still matters: for {units_text(half_clock)} the per-step mean costs at most "
            f"{HALF:.0%} of what zero costs, so their time course is used — but they also carry which input "
            "was read, and no single unit is the clock."
            if half_clock and not main["clocks"]
            else ""
        )
        + "\n2. *Some neurons encode base identity.* "
        + base_text(main)
        + f" The probes and patches say where the rest of the sequence is: spread over the state, "
        f"mostly in the cell (cell-only patching switches {switch_by_state['cell']:.0%} of the outputs "
        f"it should), partly in directions no linear probe reads well.\n"
        "3. *Some neurons do almost nothing.* " + nothing_text(main)
    )
)

# %% [markdown]
# ## Three models, three answers
#
# The same role rules and ablations, now for all three shipped models. The `aligned` model
# cannot answer its early positions, so for it accuracy counts the answerable positions only
# (see [page 1](../01_task/)). In the chart, each point is a unit: how much is lost when it is set
# to zero (across) and when it keeps its per-step mean (up). A clock unit sits low on the right;
# a unit that does nothing sits at the origin; grey diamonds are random directions. Click a role in
# the legend to isolate it.

# %%
ABLATION_INPUTS, N_RANDOM_OTHERS = 512, 4
main.update(
    roles=hidden_roles, ablations=ablations, inputs=len(seqs), ablation_inputs=len(seqs), draws=N_RANDOM
)
studies = {"delayed-L5-H8": main}
for name in ("aligned-L5-H8", "delayed-L10-H32"):
    other = revcomp.load_model(name)
    other_seqs = analysis_sequences(other.task.length)  # all 4**L inputs, or 4,096 random ones
    other_roles = unit_roles(trace(other, other_seqs), "hidden")
    other_ablations = ablate_units(other, other_seqs[:ABLATION_INPUTS], n_random=N_RANDOM_OTHERS)
    studies[name] = judge(name, other, other_roles, other_ablations)
    studies[name].update(
        roles=other_roles,
        ablations=other_ablations,
        inputs=len(other_seqs),
        ablation_inputs=min(ABLATION_INPUTS, len(other_seqs)),
        draws=N_RANDOM_OTHERS,
    )

pd.DataFrame(
    [
        {
            "model": name,
            "hidden units": j["H"],
            "inputs (roles / ablations)": f"{j['inputs']:,} / {j['ablation_inputs']:,}",
            **j["counts"],
            "clock units (causal)": len(j["clocks"]),
            "cheapest unit to lose": pts(j["cheapest"][1]),
            **{f"{claim}?": verdict for claim, verdict in j["verdicts"].items()},
        }
        for name, j in studies.items()
    ]
).set_index("model").T

# %%
charts.model_ablation_chart(
    pd.concat(
        [charts.model_ablation_frame(name, j["roles"], j["ablations"]) for name, j in studies.items()],
        ignore_index=True,
    )
)

# %%
display(
    Markdown(
        "\n\n".join(
            f"**`{name}`** ({j['H']} units; roles on {j['inputs']:,} inputs, ablations on "
            f"{j['ablation_inputs']:,} with {j['draws']} random directions).\n\n"
            f"- *Position:* {position_text(j)}\n"
            f"- *Base identity:* {base_text(j)}\n"
            f"- *Almost nothing:* {nothing_text(j)}"
            for name, j in studies.items()
            if name != "delayed-L5-H8"
        )
    )
)

# %%
verdict_sets = {claim: {j["verdicts"][claim] for j in studies.values()} for claim in main["verdicts"]}
mixed_share = {name: j["counts"]["mixed"] / j["H"] for name, j in studies.items()}
mixed_largest = all(j["counts"]["mixed"] == max(j["counts"].values()) for j in studies.values())
display(
    Markdown(
        (
            "So the write-up's sentence is not a fact about LSTMs but a description of one model: "
            "whether each part holds depends on which model you open. "
            if any(len(v) > 1 for v in verdict_sets.values())
            else "The three models agree on every part of the sentence. "
        )
        + " ".join(
            f"*{claim.capitalize()}*: "
            + (
                f"{next(iter(verdicts))} for all three."
                if len(verdicts) == 1
                else ", ".join(f"{j['verdicts'][claim]} for `{name}`" for name, j in studies.items()) + "."
            )
            for claim, verdicts in verdict_sets.items()
        )
        + (
            " What holds in all three is duller: *mixed* units — no single role — are the largest group "
            "in every model ("
            + ", ".join(f"{share:.0%} of `{name}`" for name, share in mixed_share.items())
            + "), and one neuron per concept is the exception."
            if mixed_largest
            else " Mixed units — no single role — make up "
            + ", ".join(f"{share:.0%} of `{name}`" for name, share in mixed_share.items())
            + "."
        )
    )
)

# %% [markdown]
# Next: [how small can it be?](../05_capacity/) — and the [reflection](../../reflection/) on what
# the project set out to test and what it found.
