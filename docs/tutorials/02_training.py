# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 2. Training
#
# The whole model is one-hot input → a one-layer `torch.nn.LSTM` with 8 hidden units → a
# linear layer to 4 bases. This page trains both framings live (a few seconds each on a
# laptop CPU), shows how they learn, and compares them with the ceiling from
# [the previous page](../01_task/).

# %%
import pandas as pd
import torch
from IPython.display import Markdown, display

import revcomp
from revcomp import charts
from revcomp.pretrained import shipped_metrics
from revcomp.train import history_frame

delayed_config = revcomp.Config(task="delayed", length=5, hidden_size=8, seed=0)
aligned_config = revcomp.Config(task="aligned", length=5, hidden_size=8, seed=0)
revcomp.build_model(delayed_config)

# %% [markdown]
# Training is plain Adam on a fresh batch of 256 random sequences every step — there is no
# fixed training set to memorise. Every 50 steps the model is scored on a held-out set of
# 4,096 sequences, and training stops as soon as every held-out sequence is right at every
# position that *can* be answered (for `aligned`, the unanswerable positions are left out:
# nothing can be learnt there).

# %%
delayed = revcomp.train(delayed_config)
aligned = revcomp.train(aligned_config)
for result in (delayed, aligned):
    print(
        f"{result.model.config.name}: {result.steps} steps, {result.seconds:.1f} s, "
        f"reached target: {result.reached_target}"
    )

# %% [markdown]
# ## Learning curves
#
# Watch the bottom panel: the share of held-out inputs the model gets fully right. The
# `delayed` model climbs from nothing to every input; the `aligned` model does the same on its
# answerable positions. Click a legend entry to isolate one model; drag or scroll to zoom.

# %%
history = pd.concat([history_frame(delayed), history_frame(aligned)])
charts.training_curves_chart(history)

# %% [markdown]
# ## Against the ceiling
#
# Now score both models on **every** possible input — 4^5 = 1,024 sequences — and put each
# position's accuracy next to its Bayes ceiling (black ticks).

# %%
scores = {
    name: revcomp.evaluate(r.model, exhaustive=True)
    for name, r in [("delayed", delayed), ("aligned", aligned)]
}
per_position = pd.DataFrame(
    [
        {"model": name, "position": p, "accuracy": acc, "ceiling": ceil}
        for name, s in scores.items()
        for p, (acc, ceil) in enumerate(zip(s.per_position_accuracy, s.ceiling, strict=True))
    ]
)
charts.position_accuracy_chart(per_position)

# %% tags=["hide-input"]
a, d = scores["aligned"], scores["delayed"]
display(
    Markdown(
        f"The `delayed` model is right on **{d.whole_sequence_correct:,} of {d.inputs_checked:,}** "
        f"inputs. The `aligned` model scores "
        f"{', '.join(f'{x:.2f}' for x in a.per_position_accuracy)} by position: "
        f"exactly 0.25 where the answer has not been read (over all inputs, *any* guess is right "
        f"a quarter of the time) and {min(a.per_position_accuracy[2:]):.2f} elsewhere — its "
        f"largest gap to the ceiling is {a.max_gap_to_ceiling:.3f}. Its whole-sequence accuracy, "
        f"{a.whole_sequence_accuracy:.4f}, is the ceiling 1/16."
    )
)

# %% [markdown]
# ## Same seed, same model
#
# Training is deterministic: the initial weights come from `torch.manual_seed(seed)`, batches
# from a seeded `torch.Generator`, and the thread count is fixed (`Config.threads`, default 1).
# Two runs with one seed give bitwise-identical weights; another seed gives another model.


# %%
def short_run(seed: int) -> dict[str, torch.Tensor]:
    return revcomp.train(revcomp.Config(seed=seed), steps=100).model.state_dict()


first, again, other = short_run(0), short_run(0), short_run(1)
print("seed 0 twice, identical:", all(torch.equal(first[k], again[k]) for k in first))
print("seed 0 vs seed 1, identical:", all(torch.equal(first[k], other[k]) for k in first))

# %% [markdown]
# ## The shipped models
#
# The later pages open up models that ship inside the package, so that every reader looks at
# the same weights. Each was made by one `revcomp train` command, recorded in a metrics file
# beside its checkpoint with its exhaustive evaluation:

# %%
pd.DataFrame(
    [
        {
            "model": name,
            "inputs checked": f"{m['evaluation']['inputs_checked']:,}",
            "whole-sequence accuracy": m["evaluation"]["whole_sequence_accuracy"],
            "steps": m["training"].get("steps"),
            "command": m["command"],
        }
        for name in revcomp.shipped_models()
        for m in [shipped_metrics(name)]
    ]
).set_index("model")

# %% [markdown]
# Load one with `revcomp.load_model("delayed-L5-H8")`. Checkpoints are
# [safetensors](https://huggingface.co/docs/safetensors) files with the config in their
# header: loading one never runs pickled code, and a file that is truncated, corrupted, made for
# another architecture or written by `torch.save` is refused with a clear error.
#
# Next: [looking inside](../03_looking_inside/).
