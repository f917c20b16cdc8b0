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
# This page turns each of the three parts into a measurement, then into an experiment, on the
# shipped `delayed-L5-H8` model — and at the end asks the same questions of the other two shipped
# models. Four tools, all in `revcomp`:
#
# 1. **Roles** — how much of each unit's variance the step, the input or a stored base explains.
#    A correlation: it says what a unit *tracks*.
# 2. **Ablations** — knock one unit out and count what breaks: does the model *use* it?
# 3. **Probes** — can a stored base be read off the whole state, and does it take a non-linear
#    decoder to read it?
# 4. **Patching** — transplant state from another input and watch which outputs follow it.

# %%
import pandas as pd
import torch
from IPython.display import Markdown

import revcomp
from revcomp import charts
from revcomp import roles as rules
from revcomp.causal import ablate_units, ablation_summary, interchange, probe_patching
from revcomp.probes import probe_accuracy, probe_gap
from revcomp.roles import claim_verdicts, pts, stored_unit_effects, unit_losses, units_text
from revcomp.trace import analysis_sequences, trace

torch.set_num_threads(1)  # thousands of tiny tensor operations: one thread beats two
model = revcomp.load_model("delayed-L5-H8")
H, L = model.config.hidden_size, model.task.length
seqs = analysis_sequences(L)  # every possible input
cache = trace(model, seqs)
accuracy = cache.accuracy()["whole_sequence"]
print(f"{model.config.name}: {H} hidden units, {len(seqs):,} inputs, whole-sequence accuracy {accuracy}")

# %% [markdown]
# ## Roles, computed
#
# Pool one unit's hidden-state value over every input and every step. **η²** (eta-squared) is the
# share of that variance explained by a grouping: by the step, by the token just read, by the
# base just read (over the read steps), or — once the step is known — by one of the stored bases
# `x0`, `x1`, …. `revcomp.roles.unit_roles` labels each unit by the first rule that matches:
# **inert** if its standard deviation is tiny; **position** if the step explains most of its
# variance; **current base** if the base just read does (and beats every stored base, and over all
# steps the input explains at least as much as the step); **stored base k** if `xk` explains most
# of what is left once the step is known, by a clear margin over the next stored base; **mixed**
# otherwise. The bars:

# %%
pd.Series(
    {
        "inert: standard deviation below": rules.INERT_STD,
        "position: η² of the step at least": rules.POSITION_SHARE,
        "current base: η² of the base just read at least": rules.BASE_SHARE,
        "stored base k: η² of xk within a step at least": rules.STORED_SHARE,
        "stored base k: and at least this many times the next stored base": rules.STORED_MARGIN,
    },
    name="threshold",
).to_frame()

# %%
hidden_roles = rules.unit_roles(cache, "hidden")
cell_roles = rules.unit_roles(cache, "cell")
hidden_roles[["unit", "role", "detail"]].assign(**{"cell-state role": cell_roles["role"]}).set_index("unit")

# %% tags=["hide-input"]
counts, cell_counts = rules.role_counts(hidden_roles), rules.role_counts(cell_roles)
top_step = hidden_roles.loc[hidden_roles["eta2_step"].idxmax()]
quietest = hidden_roles.loc[hidden_roles["std"].idxmin()]
side = "above" if top_step["eta2_step"] >= rules.POSITION_SHARE else "below"
Markdown(
    f"Hidden state: **{', '.join(f'{n} {role}' for role, n in counts.items())}**. Cell state: "
    f"{', '.join(f'{n} {role}' for role, n in cell_counts.items())}. The unit most tied to the step "
    f"is unit {top_step['unit']} (η² = {top_step['eta2_step']:.2f}), {side} the "
    f"{rules.POSITION_SHARE} bar for a position unit. The quietest, unit {quietest['unit']}, has a "
    f"standard deviation of {quietest['std']:.2f}: {quietest['std'] / rules.INERT_STD:.0f}× the "
    "bar for an inert one."
)

# %% [markdown]
# These are correlations. A unit that follows the current base could be read by nothing; a unit
# with a small variance could be the one the readout leans on. The next test asks the model.
#
# ## Ablations: what breaks without each unit
#
# Each unit of the hidden state is replaced, at every step, in three ways: by **zero**; by its
# **mean** over all inputs and steps; and by its **per-step mean**, which keeps whatever the unit
# says about *when* and removes what it says about *which input*. If the per-step mean costs
# nothing while zero costs a lot, the unit is used as a clock. The control: the same three
# ablations along random directions of the hidden state. If random directions hurt as much as
# units do, the unit axes are nothing special — the code is distributed.
#
# In the chart each row is a unit: its role and role scores on the left, the share of inputs that
# stop being right when it is ablated on the right, and below, where in the output the damage
# lands. The last row is the random-direction control. **Click a unit** (its role, a score, a
# point or a cell) to pick it out in all four panels; double-click clears.

# %%
N_RANDOM = 8
ablations = ablate_units(model, seqs, n_random=N_RANDOM)
charts.role_ablation_chart(charts.role_score_frame(hidden_roles), charts.ablation_frame(ablations))


# %% tags=["hide-input"]
HALF = 0.6  # "the time course is used": per-step mean costs at most this share of what zero costs
lost = unit_losses(ablations)
control = -ablation_summary(ablations).loc["random (mean)"]
draws = -ablations.query("kind == 'random direction' and scope == 'answerable' and method == 'zero'")[
    "change"
]
above = int((lost["zero"] > draws.max()).sum())
time_used = lost.index[lost["step_mean"] <= HALF * lost["zero"]].tolist()
Markdown(
    f"Zeroing one unit costs **{pts(lost['zero'].min())}** to **{pts(lost['zero'].max())}** of "
    f"whole-sequence accuracy; zeroing a random direction costs {pts(control['zero'])} on average "
    f"(from {pts(draws.min())} to {pts(draws.max())} over {N_RANDOM} draws), and "
    + (
        "no unit costs more than the worst random direction: the unit axes are not special. "
        if above == 0
        else f"{above} units cost more than any random direction. "
    )
    + f"For {units_text(time_used)} the per-step mean costs at most {HALF:.0%} of what zero costs "
    f"({', '.join(f'{r:.0%}' for r in lost.loc[time_used, 'step_mean'] / lost.loc[time_used, 'zero'])}):"
    " part of what they carry is the step, and the model uses it; the rest is which input was read. "
    + " ".join(
        f"Unit {u}, the stored-`x{k}` unit, shows its job in the per-position panel: its per-step mean "
        f"costs {pts(need)} at output {L - 1 - k}, the one that needs `x{k}`, and {pts(rest)} on "
        "average elsewhere."
        for u, k, need, rest in stored_unit_effects(model.task, hidden_roles, ablations)[
            ["unit", "base", "at_need", "elsewhere"]
        ].itertuples(index=False)
    )
)

# %% [markdown]
# ## Probes: where the stored bases are, and in what form
#
# Ablations say the model needs every unit; they do not say where the stored bases are. A
# **probe** is a small classifier that tries to read stored base `xk` off the state at step *t*.
# Each is fitted on two thirds of the inputs and scored on the held-out third, once as a linear
# (logistic-regression) probe and once as a one-hidden-layer MLP. A base the state does not carry
# scores at chance — a quarter, or a little below on this balanced set. The faded cells are probes
# for bases not read yet: a built-in control. The bottom row is the MLP's advantage.
#
# If an MLP reads a base that a linear probe cannot, the information is there but not along
# straight directions: the non-linear "onion" codes that Csordás et al. (2024, *Recurrent Neural
# Networks Learn to Store and Generate Sequences using Non-Linear Representations*) found in small
# RNNs that store sequences.

# %%
MLP_HIDDEN, MLP_STEPS = 16, 100  # small MLP probes, so that the page builds in seconds
probes = probe_accuracy(cache, hidden=MLP_HIDDEN, mlp_steps=MLP_STEPS)
charts.probe_grid_chart(charts.probe_grid_frame(probes, cache))

# %% tags=["hide-input"]
gap = probe_gap(probes)  # read bases only: linear, mlp and gap = mlp - linear
mean = gap.groupby("quantity")[["linear", "mlp"]].mean()
before = gap[gap["step"] == L - 1].groupby("quantity")[["linear", "mlp"]].mean()
unread = probes.loc[~probes["read"], "test_accuracy"]
widest = gap.loc[gap["gap"].idxmax()]
at_use = probes[probes["step"] == probes["base"].map(lambda k: model.task.output_step(L - 1 - k))]
onion = widest["gap"] >= 0.1
Markdown(
    f"Fitted on {probes['n_train'].iloc[0]:,} inputs and scored on {probes['n_test'].iloc[0]:,} "
    f"(MLP probes: {MLP_HIDDEN} hidden units, {MLP_STEPS} full-batch Adam steps). Over every step and "
    f"every base already read, held-out accuracy is **{mean.loc['hidden', 'linear']:.2f} linear, "
    f"{mean.loc['hidden', 'mlp']:.2f} MLP** from the hidden state and **{mean.loc['cell', 'linear']:.2f}"
    f" and {mean.loc['cell', 'mlp']:.2f}** from the cell state; probes for bases not read yet score "
    f"{unread.min():.2f}–{unread.max():.2f}, at chance as they must. At the end of reading (step "
    f"{L - 1}), the last moment before any output, linear probes average "
    f"{before.loc['hidden', 'linear']:.2f} (hidden) and {before.loc['cell', 'linear']:.2f} (cell) "
    f"over the {L} bases; MLP probes {before.loc['hidden', 'mlp']:.2f} and {before.loc['cell', 'mlp']:.2f}. "
    f"The widest linear–MLP gap is **{widest['gap']:+.2f}**, for `x{widest['base']}` at step "
    f"{widest['step']} in the {widest['quantity']} state ({widest['linear']:.2f} → {widest['mlp']:.2f})"
    + (
        ": part of the stored sequence is present but not linearly readable — onion-like, as Csordás et "
        "al. found. "
        if onion
        else ": a linear readout gets essentially all an MLP gets, no sign of onion codes. "
    )
    + "At the step that writes a base's complement, every probe reads that base with held-out accuracy "
    + (
        f"of {at_use['test_accuracy'].min():.2f} or more."
        if at_use["test_accuracy"].min() < 0.995
        else "1.00."
    )
)

# %% [markdown]
# ## Patching: is the stored sequence where the probes say?
#
# **Interchange.** Pair every input B with another input A. Run B, but at one step replace its state
# with A's, and ask for each output whether B's answer switches to A's. A model that keeps each base
# in its state should switch exactly the outputs whose base had been read by the patched step and
# that are still to be written (outlined). Patching the hidden and cell state together, then each
# alone, tells which of the two carries the stored sequence forward.

# %%
patched = interchange(model, seqs)
charts.interchange_chart(charts.interchange_frame(patched, cache))

# %% tags=["hide-input"]
should = patched[patched["expected"] == "A"].groupby("state")["switched"].mean()
stray = patched[patched["expected"] == "B"].groupby("state")["switched"].mean()
at_end = patched.query("expected == 'A' and step == @L - 1").groupby("state")["switched"].mean()
both = patched[patched["state"] == "both"]
exact = int((both["switched"].where(both["expected"] == "A", both["stayed"]) > 0.99).sum())
writing = patched.query("state == 'hidden'")
writing = writing[writing["step"] == writing["position"].map(model.task.output_step)]["switched"].mean()
Markdown(
    f"Patching the whole state switches **{should['both']:.0%}** of the outlined outputs and "
    f"{stray['both']:.1%} of the others; {exact} of {len(both)} step × position cells follow the "
    f"prediction exactly. The cell state alone switches {should['cell']:.0%} of the outlined outputs, "
    f"the hidden state alone {should['hidden']:.0%}; at the end of reading (step {L - 1}) the "
    f"contrast is starker, {at_end['cell']:.0%} against {at_end['hidden']:.0%}. "
    + (
        "The stored sequence is carried in the cell. "
        if at_end["cell"] > at_end["hidden"] + 0.3
        else "Both halves of the state carry the stored sequence. "
    )
    + f"Patched at the step that writes an output, the hidden state alone switches {writing:.0%} of "
    "that output: the hidden state is what the readout reads."
)

# %% [markdown]
# **Probe-direction patching.** A sharper test of the linear probes: at the end of reading,
# replace only the part of B's state inside the subspace that a linear probe for `xk` reads (in
# hidden and cell) by A's. If that subspace *is* where the model keeps `xk`, the output that needs
# `xk` switches and the others stay. The control patches random subspaces of the same rank (bars:
# mean over draws; rule: their range). The pairs come from the probes' held-out third.

# %%
N_PATCH_RANDOM = 3
patch_frame = charts.probe_patching_frame(probe_patching(model, seqs, n_random=N_PATCH_RANDOM))
charts.probe_patching_chart(patch_frame)

# %% tags=["hide-input"]
need = patch_frame.query("where == 'the output that needs it'").pivot(
    index="base", columns="kind", values="switched"
)
rest = patch_frame.query("where == 'the other outputs'").pivot(
    index="base", columns="kind", values="switched"
)
beats = need.index[need["probe subspace"] > need["random subspace"] + 0.2].tolist()
Markdown(
    "At the output that needs the base, patching the probe subspace switches "
    + ", ".join(f"`{b}` {v:.2f}" for b, v in need["probe subspace"].items())
    + f"; random subspaces ({N_PATCH_RANDOM} draws) switch {need['random subspace'].min():.2f}–"
    f"{need['random subspace'].max():.2f}, and elsewhere in the output probe patches switch "
    f"{rest['probe subspace'].mean():.2f} on average, random ones {rest['random subspace'].mean():.2f}. "
    + (
        f"The probe direction clearly beats random ones (by more than 0.2) for {len(beats)} of {L} bases"
        + (f" ({', '.join(f'`{b}`' for b in beats)})" if beats else "")
    )
    + (
        ": the linear probes find where the model keeps each base."
        if len(beats) == L
        else ": for the rest, a linear probe finds only a shadow of what the model uses — what a linear "
        "probe reads poorly, patching its subspace cannot move."
    )
)

# %% [markdown]
# ## The three claims, for the delayed-L5-H8 model
#
# Each part of the write-up's sentence is now judged on the evidence above by
# `revcomp.roles.claim_verdicts`: roles decide the correlational half, and these definitions (constants
# of `revcomp.roles`) the causal half.

# %% tags=["hide-input"]
Markdown(
    f"- A **clock unit** loses at least {pts(rules.CLOCK_MIN_LOSS)} when set to its overall mean but at most "
    f"{rules.CLOCK_KEEP:.0%} of that when set to its per-step mean: what the model needs from it is its time "
    "course, i.e. position.\n"
    f"- A stored-base unit is **targeted** when its per-step mean costs the output that needs its base at "
    f"least {rules.TARGETED:g} times what it costs the other outputs on average.\n"
    f"- A unit **does almost nothing** if it is inert by the role rules or changes accuracy by less than "
    f"{pts(rules.CAUSAL_INERT_CHANGE)} under every ablation (`revcomp.roles.check_claim`); it costs "
    f"*little* under {pts(rules.LITTLE)}."
)

# %%
main = claim_verdicts(model, hidden_roles, ablations)
main

# %% tags=["hide-input"]
v, e = main.set_index("claim")["verdict"], main.set_index("claim")["evidence"]
clocks = main.set_index("claim").loc["position", "causal_units"]
Markdown(
    f"1. *Some neurons encode position* — **{v['position']}**. {e['position']}"
    + (
        f" The step still matters: for {units_text(time_used)} the per-step mean costs at most "
        f"{HALF:.0%} of what zero costs, so their time course is used, but each also carries which input "
        "was read. Position is spread over several units; none is the clock."
        if time_used and not clocks
        else ""
    )
    + f"\n2. *Some neurons encode base identity* — **{v['base identity']}**. {e['base identity']} The "
    f"probes and patches say where the rest of the sequence is: spread over the state, mostly in the "
    f"cell (cell-only patching switches {should['cell']:.0%} of the outputs it should), partly in "
    f"directions a linear probe reads poorly (widest gap {widest['gap']:+.2f}).\n"
    f"3. *Some neurons do almost nothing* — **{v['almost nothing']}**. {e['almost nothing']}"
)

# %% [markdown]
# ## Three models, three answers
#
# The same role rules and ablations for all three shipped models. The `aligned` model cannot
# answer its early positions, so for it accuracy counts the answerable positions only (see
# [page 1](../01_task/)). In the chart each point is a unit: the accuracy lost when it is set to
# zero (across) and when it keeps its per-step mean (up). A clock unit sits low on the right; a
# unit that does nothing sits at the origin; grey diamonds are random directions. Click a role in
# the legend to isolate it.

# %%
ABLATION_INPUTS, N_RANDOM_OTHERS = 512, 4  # for the two other models, to keep the page fast
roles_of, ablations_of, verdicts_of = {"delayed-L5-H8": hidden_roles}, {"delayed-L5-H8": ablations}, {}
inputs = {"delayed-L5-H8": (len(seqs), len(seqs), N_RANDOM)}
for name in ("aligned-L5-H8", "delayed-L10-H32"):
    other = revcomp.load_model(name)
    other_seqs = analysis_sequences(other.task.length)  # all 4**L inputs, or 4,096 random ones
    roles_of[name] = rules.unit_roles(trace(other, other_seqs), "hidden")
    ablations_of[name] = ablate_units(other, other_seqs[:ABLATION_INPUTS], n_random=N_RANDOM_OTHERS)
    verdicts_of[name] = claim_verdicts(other, roles_of[name], ablations_of[name])
    inputs[name] = (len(other_seqs), min(ABLATION_INPUTS, len(other_seqs)), N_RANDOM_OTHERS)
verdicts_of = {"delayed-L5-H8": main, **verdicts_of}
table = rules.claim_table(roles_of, verdicts_of)
table

# %%
charts.model_ablation_chart(
    pd.concat([charts.model_ablation_frame(name, roles_of[name], ablations_of[name]) for name in roles_of])
)

# %% tags=["hide-input"]
Markdown(
    "\n\n".join(
        f"**`{name}`** — roles on {n[0]:,} inputs, ablations on {n[1]:,} with {n[2]} random directions.\n\n"
        + "\n".join(
            f"- *{c.claim.capitalize()}* — **{c.verdict}**. {c.evidence}"
            for c in verdicts_of[name].itertuples()
        )
        for name, n in inputs.items()
        if name != "delayed-L5-H8"
    )
)

# %% tags=["hide-input"]
verdict_rows = table.loc[[f"{claim}?" for claim in rules.CLAIMS]]
counts = table.loc[list(rules.ROLES)]
mixed_largest = (counts.loc["mixed"] == counts.max()).all()
tied = [name for name in counts if sorted(counts[name])[-2] == counts.loc["mixed", name]]
Markdown(
    (
        "So the write-up's sentence is not a fact about LSTMs but a description of one model: whether each "
        "part holds depends on which model you open. "
        if (verdict_rows.nunique(axis=1) > 1).any()
        else "The three models agree on every part of the sentence. "
    )
    + " ".join(
        f"*{claim[:-1].capitalize()}*: "
        + (
            f"{row.iloc[0]} for all three."
            if row.nunique() == 1
            else "; ".join(f"{verdict} for `{name}`" for name, verdict in row.items()) + "."
        )
        for claim, row in verdict_rows.iterrows()
    )
    + (
        " What holds in all three is duller: mixed units, with no single role, are the largest group in "
        f"every model{' (tied in ' + ', '.join(f'`{n}`' for n in tied) + ')' if tied else ''}: "
        if mixed_largest
        else " Mixed units, with no single role, make up "
    )
    + ", ".join(
        f"{counts.loc['mixed', name] / table.loc['hidden units', name]:.0%} of `{name}`" for name in table
    )
    + (". One neuron per concept is the exception." if mixed_largest else ".")
)

# %% [markdown]
# Next: [how small can it be?](../05_capacity/) — then the [reflection](../../reflection/) on
# what the project set out to test and what it found.
