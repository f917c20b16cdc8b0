# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # revcomp
#
# **A tiny LSTM that learns the reverse complement of DNA — small enough to open up, and
# tested causally rather than by eye.**
#
# Give it `ATGCA` and it answers `TGCAT`: read the sequence backwards, swap A↔T and G↔C. The
# network is one LSTM layer with eight hidden units and a linear readout. That is small
# enough to look at every number it computes — and to check, by intervening on them, which
# of those numbers it actually uses.

# %%
import altair as alt

import revcomp
from revcomp import charts
from revcomp.trace import trace

model = revcomp.load_model("delayed-L5-H8")
result = revcomp.evaluate(model, exhaustive=True)
print(
    f"{model.config.name}: right on {result.whole_sequence_correct:,} of "
    f"{result.inputs_checked:,} possible inputs"
)
print("ATGCA ->", model.predict("ATGCA"))

# %% [markdown]
# Here is the whole computation for that one input. Each row is a hidden unit, each column a
# step: five bases go in, then a `GO` token and four blanks while the answer comes out. Hover
# a cell for its value. Which of these units track the step, which the base just read, and
# which do nothing at all? The tutorials answer that with numbers and causal tests, not by eye.

# %%
cache = trace(model, ["ATGCA"])
charts.activation_heatmap_chart(
    cache.to_frame("hidden"), cache, title="Eight hidden units reading ATGCA and writing TGCAT"
).properties(width=alt.Step(46), height=alt.Step(24))

# %% [markdown]
# ## Where to go
#
# 1. [The task](tutorials/01_task/) — the encoding, two ways to frame the task for an LSTM,
#    and the accuracy ceiling the original set-up cannot beat.
# 2. [Training](tutorials/02_training/) — train both framings live, in seconds.
# 3. [Looking inside](tutorials/03_looking_inside/) — logits, hidden states, gates, cell
#    state and trajectories: the original write-up's four views, and more.
# 4. [Testing the story](tutorials/04_testing_the_story/) — neuron roles, ablations, probes
#    and activation patching put the readings from page 3 to the test.
# 5. [How small can it be?](tutorials/05_capacity/) — the capacity frontier and length
#    generalisation, measured over seeds.
#
# Then the [reflection](reflection/): what the hidden states revealed, what surprised us,
# what to explore next. The [API reference](api/) documents every function.
#
# ## Run it yourself
#
# With Python ≥ 3.11, from a clone of the repository:
#
# ```bash
# bash scripts/serve.sh   # set up .venv, execute every page, serve at http://127.0.0.1:8000/
# bash scripts/test.sh    # set up and run every test, including a headless-browser check
# ```
#
# Each tutorial page can be downloaded as a Python file (the download link at the top of the
# page) and run as a script; every code cell has a copy button.
