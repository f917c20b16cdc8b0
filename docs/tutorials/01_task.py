# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 1. The task
#
# The model has one job: given a short DNA sequence, write its **reverse complement** —
# read the sequence backwards and swap each base for its partner (A↔T, G↔C). This page sets
# up the encoding, shows the two ways an LSTM can be asked to do it, and computes the best
# accuracy any model could reach in each. Every cell runs as plain Python; copy any of them.

# %%
import pandas as pd
from IPython.display import Markdown, display

import revcomp
from revcomp import charts
from revcomp.tasks import Task, ceiling_by_enumeration

revcomp.reverse_complement("ATGCA")

# %% [markdown]
# ## Four bases, four numbers
#
# Bases are encoded in the order of the original write-up, **A=0, T=1, G=2, C=3**. That order
# has a pleasant property: complementary bases differ only in the lowest bit, so the complement
# of a code is `code ^ 1`. Look at the last row below: XOR with 1 maps 0↔1 and 2↔3.

# %%
codes = revcomp.encode("ATGC")
pd.DataFrame(
    {
        "base": list("ATGC"),
        "code": codes.tolist(),
        "code ^ 1": (codes ^ 1).tolist(),
        "complement": list(revcomp.decode(codes ^ 1)),
    }
).set_index("base").T

# %% [markdown]
# Anything that is not A, T, G or C (in either case) is refused with an error that names the
# character and where it is — `N`, RNA's `U`, whitespace, digits:

# %%
for bad in ["ATGNA", "ACGU", "AT GC", ""]:
    try:
        revcomp.reverse_complement(bad)
    except ValueError as err:
        print(f"{bad!r:9} -> {err}")

# %% [markdown]
# ## Two framings
#
# An LSTM reads one symbol per step and can emit a prediction at every step. The first base of
# the answer is the complement of the *last* input base, so *when* the model must answer
# decides whether the task is even possible.
#
# - **`aligned`** — the original write-up's set-up. The model reads base *t* and must emit
#   output *t* at the same step. Output 0 needs the last input base, which has not arrived yet.
# - **`delayed`** — read, then write. After the sequence comes a `GO` token and `L−1` blanks
#   (`·`); the answer is read on those steps, after the whole input has been seen.
#
# In the picture below, each column is one LSTM step. Faded target cells are the ones that
# cannot be answered when they are due: the base they depend on is still to the right.

# %%
example = "ATGCA"
charts.framing_chart(charts.framing_frame(example))

# %% [markdown]
# ## The ceiling: what no model can beat
#
# In the `aligned` framing, output *t* is due at step *t* but depends on input *L−1−t*. While
# *t < (L−1)/2*, that base is unread, and since bases are uniformly random the best guess is
# right a quarter of the time. `Task.ceiling()` states this rule;
# `ceiling_by_enumeration` checks it from scratch, by enumerating all 4^L sequences and
# scoring the best possible answer for each prefix the model could have seen.

# %%
rows = []
for length in (5, 10):
    for name in revcomp.TASKS:
        task = Task(name, length)
        counted = ceiling_by_enumeration(task)
        assert counted == task.ceiling(), (name, length)
        rows += [{"task": name, "length": length, "position": p, "ceiling": c} for p, c in enumerate(counted)]
ceilings = pd.DataFrame(rows)
charts.ceiling_chart(ceilings)

# %%
summary = (
    ceilings.groupby(["task", "length"])["ceiling"].agg(mean="mean", whole_sequence="prod").reset_index()
)
summary

# %% tags=["hide-input"]
aligned5 = summary.query("task == 'aligned' and length == 5").iloc[0]
aligned10 = summary.query("task == 'aligned' and length == 10").iloc[0]
display(
    Markdown(
        f"So in the `aligned` framing a perfect model scores **{aligned5['mean']:.3f}** per base on "
        f"average at L=5 and gets a whole sequence right with probability "
        f"**1/{1 / aligned5['whole_sequence']:.0f}**; at L=10 those are "
        f"**{aligned10['mean']:.3f}** and **1/{1 / aligned10['whole_sequence']:.0f}**. "
        "The `delayed` framing's ceiling is 1 everywhere: every answer is due after its base "
        "has been read."
    )
)

# %% [markdown]
# This is the first thing to keep in mind when reading any accuracy number for the original
# set-up: an `aligned` model that scores 0.70 at L=5 is not 70% of the way to solving the
# task — it is perfect. The tutorials use both framings: `aligned` because it is where the
# project started, `delayed` because it asks the model to store the whole sequence and play it
# back, which is the more interesting thing to open up.
#
# Next: [training the models](../02_training/).
