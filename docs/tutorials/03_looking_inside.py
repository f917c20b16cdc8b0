# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 3. Looking inside
#
# The original write-up looked at a trained model in four ways: the logits for a sample
# sequence, the hidden activations after each base, a heatmap of each neuron's activation by
# base type, and a line plot of each neuron across positions. This page draws all four for the
# shipped `delayed-L5-H8` model, then goes further: the gates and cell state that `nn.LSTM`
# keeps to itself, and the geometry of the whole hidden-state trajectory.
#
# Pictures suggest stories; they do not test them. Each reading here is put to a causal test on
# [the next page](../04_testing_the_story/).

# %%
from IPython.display import Markdown, display

import revcomp
from revcomp import charts
from revcomp.geometry import pca, pca_frame
from revcomp.trace import NAMES, analysis_sequences, trace

model = revcomp.load_model("delayed-L5-H8")
print(model)

# %% [markdown]
# ## One call, every internal
#
# `revcomp.trace.trace` runs the model step by step from its own `nn.LSTM` weights and keeps
# everything under a name — the same idea as TransformerLens's `run_with_cache`. A test checks
# it against `nn.LSTM` to within 1e-5 on 10,000 sequences.

# %%
sample = trace(model, ["ATGCA"])
print(NAMES)
print(sample)
print("predicted:", revcomp.decode(sample.predictions[0]), " expected:", revcomp.reverse_complement("ATGCA"))

# %% [markdown]
# ## View 1 — the logits for one sequence
#
# At each of the five output steps the readout scores the four bases. Look at how far the
# outlined bar (the right answer) stands above the other three: that gap is the model's margin.

# %%
logits = charts.sample_logits_frame(sample)
charts.logits_chart(logits)

# %% tags=["hide-input"]
margins = (
    logits.assign(other=lambda f: f["logit"].where(~f["is_target"]))
    .groupby("position")
    .agg(target=("logit", lambda s: s[logits.loc[s.index, "is_target"]].iloc[0]), best_other=("other", "max"))
)
display(
    Markdown(
        f"The smallest margin between the right base's logit and the best wrong one is "
        f"**{(margins['target'] - margins['best_other']).min():.2f}** (at position "
        f"{(margins['target'] - margins['best_other']).idxmin()}); the largest is "
        f"**{(margins['target'] - margins['best_other']).max():.2f}**."
    )
)

# %% [markdown]
# ## View 2 — the hidden state after each step
#
# Eight units (rows) over ten steps (columns): five bases read in, then `GO` and four blanks
# while the answer comes out. Notice that almost every unit changes at almost every step —
# there is no unit that lights up for one base and stays dark otherwise.

# %%
charts.activation_heatmap_chart(sample.to_frame("hidden"), sample)

# %% [markdown]
# ## Views 3 and 4 — every unit, over all 1,024 inputs
#
# One sequence can mislead, so now trace all 4^5 = 1,024 inputs. On the left, each unit's mean
# activation grouped by the token it has just read (the original "activation by base type"
# heatmap). On the right, each unit's mean across the ten steps with a band for the middle 80%
# of inputs. **Click a unit** in either chart to highlight it in both (double-click clears).
#
# Two things to look for: rows of the heatmap whose colour changes with the base (a unit that
# reads the current base), and lines whose mean moves steadily with the step while the band
# stays narrow (a unit that tracks position).

# %%
everything = trace(model, analysis_sequences(model.task.length))
charts.unit_explorer_chart(charts.unit_by_input_frame(everything), charts.unit_over_steps_frame(everything))

# %% [markdown]
# ## Beyond the hidden state: gates and cell
#
# `nn.LSTM` returns only `h`. The trace also keeps the input, forget and output gates, the
# cell candidate and the cell state `c`, which is where an LSTM keeps what it must remember.
# Here they are for the sample sequence `ATGCA`. Watch the forget gate (values near 1 keep the
# cell, near 0 wipe it) and how the cell state holds values across the read phase.

# %%
charts.activation_heatmap_chart(
    sample.to_frame(["input_gate", "forget_gate", "output_gate", "cell_candidate", "cell", "hidden"]),
    sample,
    title="Every internal of ATGCA, step by step",
)

# %% [markdown]
# ## The shape of the whole trajectory
#
# Principal component analysis of the hidden states of all 1,024 inputs at all ten steps.
# Each grey path is one input sequence moving through the first two components; points are
# coloured by the sequence's first base `x0`. Click a base in the legend to isolate it.
# The question: does the state space separate inputs by what they stored?

# %%
hidden_pca = pca(everything, "hidden")
few = analysis_sequences(model.task.length)[:: 1024 // 48]
trajectories = pca_frame(trace(model, few), "hidden", n_components=2, result=hidden_pca)
charts.pca_chart(trajectories, hidden_pca.explained_variance_ratio.tolist(), color_by="x0")

# %% tags=["hide-input"]
ratios = hidden_pca.explained_variance_ratio
cell_pca = pca(everything, "cell")
display(
    Markdown(
        f"The first two components hold **{ratios[:2].sum():.0%}** of the hidden state's variance "
        f"and the first four {ratios[:4].sum():.0%}; for the cell state the first two hold "
        f"{cell_pca.explained_variance_ratio[:2].sum():.0%}. Storing five bases takes more "
        "than two dimensions, so any 2-D picture of this model is a shadow of it."
    )
)

# %% [markdown]
# What the pictures suggest — and the next page tests — is a distributed code: units whose
# activity depends on the step *and* on several stored bases at once, rather than one neuron
# per job. Next: [testing the story](../04_testing_the_story/).
