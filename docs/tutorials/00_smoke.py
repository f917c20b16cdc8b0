# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Site smoke test
#
# A placeholder page that proves the pipeline: this file is a jupytext
# "percent" script, executed at build time; its Altair charts are written
# into the page by the `revcomp-site` renderer and drawn in the browser by
# the vendored Vega libraries, with nothing loaded from the internet.
# It also runs as a plain script: `python docs/tutorials/00_smoke.py`.

# %%
import altair as alt
import pandas as pd
from IPython.display import display

from revcomp.charts import BASE_COLORS, base_color_scale

# %% [markdown]
# ## A bar chart in the base colours
#
# Every chart uses the same colour for each base.

# %%
counts = pd.DataFrame({"base": list(BASE_COLORS), "count": [7, 7, 5, 5]})
bars = (
    alt.Chart(counts, title="Bases in a toy sequence")
    .mark_bar()
    .encode(
        x=alt.X("base:N", sort=list(BASE_COLORS), title="Base"),
        y=alt.Y("count:Q", title="Count"),
        color=alt.Color("base:N", scale=base_color_scale(), legend=None),
        tooltip=["base:N", "count:Q"],
    )
    .properties(width=240, height=180)
)
display(bars)

# %% [markdown]
# ## A line chart with a tooltip and a selection
#
# Hover a point for its value; click a legend entry to highlight one series.

# %%
steps = list(range(0, 1001, 50))
curves = pd.DataFrame(
    [
        {"step": s, "hidden": h, "accuracy": round(1 - 0.75 * 0.5 ** (s / (80 * h)), 4)}
        for h in (4, 8, 16)
        for s in steps
    ]
)
pick = alt.selection_point(fields=["hidden"], bind="legend")
lines = (
    alt.Chart(curves, title="Toy learning curves")
    .mark_line(point=True)
    .encode(
        x=alt.X("step:Q", title="Training step"),
        y=alt.Y("accuracy:Q", title="Accuracy", scale=alt.Scale(domain=[0.2, 1])),
        color=alt.Color("hidden:O", title="Hidden units"),
        opacity=alt.condition(pick, alt.value(1), alt.value(0.15)),
        tooltip=["hidden:N", "step:Q", alt.Tooltip("accuracy:Q", format=".3f")],
    )
    .add_params(pick)
)
display(lines)
