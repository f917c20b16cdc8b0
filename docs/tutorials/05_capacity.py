# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 5. Capacity and length generalization
#
# Two questions about the `delayed` framing (read the sequence, then a GO token, then write
# the reverse complement):
#
# 1. **Capacity.** How few hidden units does the one-layer LSTM need to get *every* input
#    right, at lengths 5, 10 and 20?
# 2. **Length generalization.** The `delayed` input has the same six tokens at every length,
#    so weights trained at one length can be run at any other. Do they still work there?
#
# The literature is not encouraging on the second: an 8-layer LSTM trained to reverse strings
# of length 8-64 got 4% of lengths 65-128 entirely right (Grefenstette et al., 2015). On the
# first, very small RNNs are known to store sequences in non-linear "onion" codes (Csordás et
# al., 2024), so small can work -- if training finds it.
#
# Everything below is read from results committed in `revcomp/results/` and made with
# `revcomp sweep`, except one point that is re-run live on this page.

# %%
import pandas as pd
import torch
from IPython.display import Markdown, display

import revcomp
from revcomp import charts
from revcomp.sweep import (
    capacity_table,
    evaluate_at_length,
    generalization_summary,
    load_frontier,
    load_results,
    regime_label,
)

runs = load_results("capacity")
runs["recipe"] = runs["recipe"].replace({"constant": "plain"})
summary = load_frontier()
general = load_results("generalization")


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"


# %% [markdown]
# ## How a run is judged
#
# A run trains one model (task, length L, hidden size H, seed) with a training recipe, inside
# a wall-clock budget, then checks it. For L <= 10 the check is **exhaustive**: a 100,000-input
# sample first, and if that is perfect, all 4^L inputs (1,048,576 at L = 10). A run is
# *solved* only if every one of them is right. For L = 20 (10^12 inputs) the bar is >= 99.9%
# of 100,000 sampled inputs. A hidden size is on the frontier when **every seed** (three)
# solves it.
#
# The recipes:
#
# * **plain** -- the library's `revcomp.train`: Adam at a constant learning rate 0.03, batches
#   of 256 fresh random sequences, gradient clipping at 1, stop once a 4,096-sequence held-out
#   set is solved.
# * **cosine+fb1+confirm100k** -- the same optimizer with three changes: the learning rate
#   decays along a cosine from 0.03 to 0.0003 over the run's step budget; the LSTM's
#   forget-gate bias starts at 1 instead of near 0; and a solved held-out set is not enough
#   to stop -- 100,000 more fresh sequences must be solved too.
#
# The commands that produced the committed runs:

# %%
commands = runs.groupby("command", sort=False).size()
display(Markdown("\n".join(f"* `{cmd}` ({n} runs)" for cmd, n in commands.items())))

# %% [markdown]
# ## The capacity frontier
#
# Each point is one run (one seed); a filled circle solved the task, a cross did not. Lines
# join the mean over seeds. Hover for the details of a run.

# %%
charts.capacity_chart(capacity_table(runs))

# %%
table = (
    runs.groupby(["length", "recipe", "hidden_size"])
    .agg(
        seeds=("seed", "nunique"),
        solved=("solved", "sum"),
        worst=("whole_sequence_accuracy", "min"),
        median_steps=("steps", "median"),
        median_seconds=("train_seconds", "median"),
    )
    .reset_index()
)
lines = [
    "| L | recipe | H | seeds solved | worst seed's whole-sequence accuracy | median steps | median s |",
    "|---|---|---|---|---|---|---|",
]
for r in table.itertuples():
    lines.append(
        f"| {r.length} | {r.recipe} | {r.hidden_size} | {int(r.solved)} / {r.seeds} | {r.worst:.5f} "
        f"| {r.median_steps:,.0f} | {r.median_seconds:.0f} |"
    )
display(Markdown("\n".join(lines)))

# %%
best = summary["best"]
base = summary["baseline_plain_adam_60s"]


def frontier_text(length: str) -> str:
    h = best.get(length, {}).get("min_hidden_all_seeds")
    recipe = best.get(length, {}).get("recipe")
    before = base.get(length)
    before_text = f"H = {before}" if before else "nothing up to H = 32"
    if h is None:
        return f"**L = {length}: not reached** by any configuration tried (baseline: {before_text})."
    return f"**L = {length}: H = {h}** with `{recipe}`, all seeds (baseline: {before_text})."


display(Markdown("\n".join(f"* {frontier_text(n)}" for n in sorted(best, key=int))))

# %% [markdown]
# ### Which configurations fail
#
# Every configuration in the sweep where at least one seed did not solve the task:

# %%
failed = table[table["solved"] < table["seeds"]]
display(
    Markdown(
        "\n".join(
            f"* L = {r.length}, H = {r.hidden_size}, {r.recipe}: {r.seeds - int(r.solved)} of {r.seeds} "
            f"seeds fail (worst seed {pct(r.worst, 2)} of inputs entirely right)"
            for r in failed.itertuples()
        )
        or "* none"
    )
)

# %% [markdown]
# ### What moved the frontier
#
# Compare the two recipes at the same length and hidden size:

# %%
pivot = table.pivot_table(index=["length", "hidden_size"], columns="recipe", values=["solved", "worst"])
both = [idx for idx in pivot.index if pivot.loc[idx].notna().all()]
notes = []
for length, h in both:
    row = pivot.loc[(length, h)]
    parts = [
        f"{recipe}: {int(row[('solved', recipe)])} of 3 solved, worst seed {pct(row[('worst', recipe)], 2)}"
        for recipe in pivot.columns.levels[1]
        if not pd.isna(row[("solved", recipe)])
    ]
    notes.append(f"* L = {length}, H = {h} -- " + "; ".join(parts))
display(Markdown("\n".join(notes) or "* no configuration was run with both recipes"))

# %% [markdown]
# ## Re-running one point, live
#
# The frontier at L = 5 includes H = 8 with the plain recipe. Training is deterministic for a
# given seed and thread count, so the same configuration retrains here, on one thread, in a
# few seconds -- and is then checked on all 4^5 = 1,024 inputs.

# %%
torch.set_num_threads(1)
live = revcomp.train(revcomp.Config(task="delayed", length=5, hidden_size=8, seed=0, threads=1))
live_eval = revcomp.evaluate(live.model, exhaustive=True)
committed = runs[
    (runs["length"] == 5) & (runs["hidden_size"] == 8) & (runs["seed"] == 0) & (runs["recipe"] == "plain")
]
committed_steps = int(committed["steps"].iloc[0]) if len(committed) else None
display(
    Markdown(
        f"Live: delayed L = 5, H = 8, seed 0 trained in **{live.steps:,} steps** "
        f"({live.seconds:.1f} s) and gets **{live_eval.whole_sequence_correct:,} of "
        f"{live_eval.inputs_checked:,}** inputs entirely right "
        f"({pct(live_eval.whole_sequence_accuracy)}). "
        + (
            f"The committed run took {committed_steps:,} steps"
            + (" -- the same." if committed_steps == live.steps else ".")
            if committed_steps is not None
            else ""
        )
    )
)

# %% [markdown]
# ## Length generalization
#
# `evaluate_at_length(model, L')` runs a trained `delayed` model on inputs of another length
# L' -- the bases, GO, then L' - 1 BLANKs -- and reads the outputs at steps L'..2L'-1. Each run
# below was tested on 10,000 random inputs per length from 2 to 20 (all inputs when there are
# fewer). The band spans the worst and best seed; the dashed line marks the longest training
# length.

# %%
gsum = generalization_summary(general)
charts.generalization_chart(gsum)


# %%
def at(regime: str, length: int) -> pd.Series:
    return gsum[(gsum["regime"] == regime) & (gsum["test_length"] == length)].iloc[0]


lines = []
for regime, group in gsum.groupby("regime"):
    longest = int(group["max_train_length"].iloc[0])
    inside = group[group["test_length"] <= longest]
    beyond = group[group["test_length"] == longest + 2]
    text = f"* **{regime}**: at the training lengths, worst {pct(inside['lo'].min())}"
    if len(beyond):
        b = beyond.iloc[0]
        text += (
            f"; two bases longer (L' = {longest + 2}), {pct(b['mean'])} on average "
            f"(seeds {pct(b['lo'])} to {pct(b['hi'])}), {pct(b['per_base'])} of bases"
        )
    shorter = group[group["test_length"] == longest - 2]
    if len(shorter) and not group["regime"].iloc[0].count("mixed"):
        s = shorter.iloc[0]
        text += f"; two bases shorter (L' = {longest - 2}), {pct(s['mean'])}"
    lines.append(text)
display(Markdown("\n".join(lines)))

# %% [markdown]
# The pattern: a model trained at one fixed length is good only at that length -- and not
# reliably even at shorter ones, because the GO token arrives earlier than it ever did in
# training. Mixed-length training fixes the shorter lengths (they are in its training
# distribution) but not the longer ones: beyond the longest training length accuracy falls
# off within a few bases, as Grefenstette et al. found for string reversal.

# %% [markdown]
# ## Reproduce
#
# ```bash
# revcomp sweep --out my_runs.jsonl --lengths 5 --hidden 4,6,8 --seeds 0-2 --time-budget 30
# ```
#
# appends one JSON line per finished run; interrupt it and run the same command again to
# continue where it stopped. `revcomp.sweep.load_results("capacity")` reads the committed
# runs into a DataFrame.

# %%
if __name__ == "__main__":
    print(f"{len(runs)} capacity runs, {len(general)} generalization runs")
    print(", ".join(f"L={k}: H={v['min_hidden_all_seeds']}" for k, v in best.items()))
    assert live_eval.whole_sequence_accuracy == 1.0
    _ = regime_label
