"""Altair charts for revcomp: one shared look, and a renderer for the docs site.

The idea
--------
Every chart in the project is an ordinary Altair chart. Importing this module
does two things:

1. It registers and enables the ``"revcomp"`` Altair theme: system fonts (the
   same stack the site uses, so nothing is fetched from a font service), one
   colour per DNA base (:data:`BASE_COLORS`, use :func:`base_color_scale` in
   encodings so A/T/G/C look the same in every chart) and default sizes.

2. It registers the ``"revcomp-site"`` renderer and enables it only when the
   environment variable ``REVCOMP_SITE_RENDERER`` is ``"1"``. The docs build
   (``docs/hooks/site_hooks.py``) sets that variable, and the notebook kernels
   that execute the tutorial pages inherit it. Anywhere else (your own Jupyter,
   a script) Altair keeps its default renderer, so copied code just works.

The site renderer emits no script and loads nothing from a CDN. A chart
becomes one element::

    <div class="revcomp-chart" data-spec="{...HTML-escaped Vega-Lite JSON...}"></div>

(plus ``data-embed-options="{...}"`` when vega-embed options were given, e.g.
via ``chart.display(actions=True)``). The site's ``docs/javascripts/charts.js``
finds every such element and renders it with the vendored vega, vega-lite and
vega-embed (SVG renderer, no action menu), also after Material's instant
navigation. While it renders, the element carries ``data-state="rendering"``;
afterwards ``data-state="rendered"``, or ``data-state="error"`` with a visible
``.revcomp-chart-error`` message.

Chart data travels inline in the page (about 50 bytes per row), so builders
should pass small, pre-aggregated data frames; Altair's default limit of
5,000 rows is left in place on purpose.

Chart builder functions for the tutorials live further down this module.
"""

from __future__ import annotations

import html
import json
import os
import warnings
from typing import Any, Final

import altair as alt
import pandas as pd

__all__ = [
    "BASE_COLORS",
    "BASE_ORDER",
    "CHART_CLASS",
    "SITE_RENDERER",
    "SITE_RENDERER_ENV",
    "THEME",
    "base_color_scale",
    "enable_site_renderer",
    "site_renderer",
]

# ---------------------------------------------------------------------------
# Theme
# ---------------------------------------------------------------------------

THEME: Final = "revcomp"

#: One colour per base, used by every chart (Okabe-Ito colour-blind-safe
#: palette, close to the usual sequence-logo convention: A green, T red,
#: G orange, C blue). Complementary pairs sit next to each other.
BASE_COLORS: Final[dict[str, str]] = {
    "A": "#009E73",
    "T": "#D55E00",
    "G": "#E69F00",
    "C": "#0072B2",
}

#: The order in which bases appear in legends and scales.
BASE_ORDER: Final[tuple[str, ...]] = tuple(BASE_COLORS)

#: Same fallback stack as Material for MkDocs with ``theme.font: false``.
FONT: Final = "-apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif"
MONO_FONT: Final = "SFMono-Regular, Consolas, Menlo, 'DejaVu Sans Mono', monospace"

#: Colours for categories that are not bases. They avoid the four base hues so a
#: green line never reads as "A"; for ordered categories (e.g. hidden sizes) prefer
#: the theme's sequential ``ordinal`` range.
CATEGORY_COLORS: Final[tuple[str, ...]] = (
    "#6A3D9A",  # purple
    "#56B4E9",  # sky blue
    "#CC79A7",  # pink
    "#404040",  # dark grey
    "#A6761D",  # brown
    "#B2ABD2",  # lavender
    "#999999",  # grey
    "#1B9E9E",  # teal
)

TEXT_COLOR: Final = "#333333"
GRID_COLOR: Final = "#E6E6E6"
WIDTH: Final = 520
HEIGHT: Final = 260


def base_color_scale(bases: tuple[str, ...] | list[str] | None = None) -> alt.Scale:
    """Colour scale mapping each base letter to its :data:`BASE_COLORS` colour.

    Use it as ``alt.Color("base:N", scale=base_color_scale())``. Pass ``bases``
    to restrict the legend to a subset (order follows :data:`BASE_ORDER`).
    """
    domain = [b for b in BASE_ORDER if bases is None or b in bases]
    return alt.Scale(domain=domain, range=[BASE_COLORS[b] for b in domain])


@alt.theme.register(THEME, enable=True)
def _revcomp_theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "background": "transparent",
            "view": {
                "continuousWidth": WIDTH,
                "continuousHeight": HEIGHT,
                "stroke": None,
            },
            "title": {
                "font": FONT,
                "fontSize": 14,
                "fontWeight": 600,
                "color": TEXT_COLOR,
                "anchor": "start",
            },
            "axis": {
                "labelFont": FONT,
                "titleFont": FONT,
                "labelFontSize": 11,
                "titleFontSize": 12,
                "titleFontWeight": 500,
                "labelColor": TEXT_COLOR,
                "titleColor": TEXT_COLOR,
                "gridColor": GRID_COLOR,
                "domainColor": "#999999",
                "tickColor": "#999999",
            },
            "legend": {
                "labelFont": FONT,
                "titleFont": FONT,
                "labelFontSize": 11,
                "titleFontSize": 12,
                "labelColor": TEXT_COLOR,
                "titleColor": TEXT_COLOR,
            },
            "axisXDiscrete": {"labelAngle": 0},  # upright base letters and positions
            "header": {"labelFont": FONT, "titleFont": FONT},
            "text": {"font": MONO_FONT},
            "range": {
                "category": list(CATEGORY_COLORS),
                "ordinal": {"scheme": "purples", "extent": [0.45, 1]},
            },
            "line": {"strokeWidth": 2},
            "point": {"size": 40, "filled": True},
        }
    }


# ---------------------------------------------------------------------------
# Site renderer
# ---------------------------------------------------------------------------

SITE_RENDERER: Final = "revcomp-site"
SITE_RENDERER_ENV: Final = "REVCOMP_SITE_RENDERER"
#: CSS class of the placeholder element that docs/javascripts/charts.js renders.
CHART_CLASS: Final = "revcomp-chart"


def _attr(value: Any) -> str:
    """Compact JSON, HTML-escaped for use inside a double-quoted attribute."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return html.escape(text, quote=True)


def site_renderer(
    spec: dict[str, Any], embed_options: dict[str, Any] | None = None, **_: Any
) -> dict[str, str]:
    """Altair renderer for the docs site: a placeholder ``div``, no script.

    Returns a MIME bundle whose ``text/html`` is
    ``<div class="revcomp-chart" data-spec="..."></div>``; the site's
    ``charts.js`` turns it into a chart with the vendored vega-embed.
    """
    attrs = f'class="{CHART_CLASS}" data-spec="{_attr(spec)}"'
    if embed_options:
        attrs += f' data-embed-options="{_attr(embed_options)}"'
    return {"text/html": f"<div {attrs}></div>"}


alt.renderers.register(SITE_RENDERER, site_renderer)


def enable_site_renderer() -> None:
    """Switch Altair to the docs-site renderer (done on import if the env var is 1)."""
    alt.renderers.enable(SITE_RENDERER)


if os.environ.get(SITE_RENDERER_ENV) == "1":
    enable_site_renderer()


# ---------------------------------------------------------------------------
# Chart builders (tutorial charts go below this line)
# ---------------------------------------------------------------------------

# --- the task and training ---


def _token_label(token: int) -> str:
    from revcomp.dna import BASES
    from revcomp.tasks import GO

    return BASES[token] if token < 4 else ("GO" if token == GO else "·")


def framing_frame(seq: str, tasks: tuple[str, ...] = ("aligned", "delayed")) -> pd.DataFrame:
    """Long table of what each framing feeds in and expects out at every step, for one sequence."""
    from revcomp.dna import BASES, encode
    from revcomp.tasks import Task

    codes = encode(seq).unsqueeze(0)
    rows = []
    for name in tasks:
        task = Task(name, codes.shape[1])
        for step, token in enumerate(task.inputs(codes)[0].tolist()):
            rows.append(
                {
                    "task": name,
                    "step": step,
                    "row": "1 input",
                    "symbol": _token_label(token),
                    "base": BASES[token] if token < 4 else "",
                    "answerable": "",
                }
            )
        answerable = task.answerable()
        for position, code in enumerate(task.targets(codes)[0].tolist()):
            rows.append(
                {
                    "task": name,
                    "step": task.output_step(position),
                    "row": "2 target",
                    "symbol": BASES[code],
                    "base": BASES[code],
                    "answerable": "yes" if answerable[position] else "no: not read yet",
                }
            )
    return pd.DataFrame(rows)


def framing_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """Step-by-step picture of the two framings: inputs on top, targets below, one panel per task."""
    base = alt.Chart(frame).encode(
        x=alt.X("step:O", title="LSTM step"),
        y=alt.Y("row:N", title=None, axis=alt.Axis(labelExpr="slice(datum.label, 2)")),
        tooltip=["task:N", "step:O", "row:N", "symbol:N", "answerable:N"],
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "base:N",
            scale=alt.Scale(domain=[*BASE_ORDER, ""], range=[*BASE_COLORS.values(), "#EEEEEE"]),
            legend=None,
        ),
        opacity=alt.condition("datum.answerable == 'no: not read yet'", alt.value(0.35), alt.value(0.9)),
    )
    text = base.mark_text(fontSize=13, fontWeight=600, color="white").encode(text="symbol:N")
    return (
        alt.layer(cells, text, data=frame)
        .properties(width=alt.Step(34), height=70)
        .facet(row=alt.Row("task:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")))
    )


def ceiling_chart(frame: pd.DataFrame) -> alt.Chart:
    """Best possible accuracy per output position; ``frame`` has task, length, position, ceiling."""
    return (
        alt.Chart(frame, title="The best any model can do, per output position")
        .mark_bar()
        .encode(
            x=alt.X("position:O", title="Output position"),
            y=alt.Y("ceiling:Q", title="Bayes-optimal accuracy", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("task:N", title="Framing"),
            xOffset="task:N",
            column=alt.Column("length:O", title="Sequence length"),
            tooltip=["task:N", "length:O", "position:O", alt.Tooltip("ceiling:Q", format=".3f")],
        )
        .properties(width=alt.Step(14), height=180)
        .resolve_scale(x="independent")
    )


def training_curves_chart(history: pd.DataFrame) -> alt.VConcatChart:
    """Loss and held-out accuracy against step; ``history`` has model, step, loss, accuracy.

    Drag over the top chart to zoom both (a shared x interval).
    """
    zoom = alt.selection_interval(encodings=["x"], bind="scales")
    pick = alt.selection_point(fields=["model"], bind="legend")
    common = alt.Chart(history).encode(
        x=alt.X("step:Q", title="Training step"),
        color=alt.Color("model:N", title="Model"),
        opacity=alt.condition(pick, alt.value(1), alt.value(0.15)),
    )
    loss = (
        common.mark_line()
        .encode(
            y=alt.Y("loss:Q", title="Cross-entropy loss", scale=alt.Scale(type="log")),
            tooltip=["model:N", "step:Q", alt.Tooltip("loss:Q", format=".4f")],
        )
        .properties(height=170, title="Training loss (log scale)")
        .add_params(zoom, pick)
    )
    solved = (
        common.mark_line()
        .encode(
            y=alt.Y("solved:Q", title="Share of held-out inputs solved", scale=alt.Scale(domain=[0, 1])),
            tooltip=["model:N", "step:Q", alt.Tooltip("solved:Q", format=".3f")],
        )
        .properties(height=170, title="Held-out inputs right at every answerable position")
    )
    return alt.vconcat(loss, solved)


def position_accuracy_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Accuracy per output position (bars) against the Bayes ceiling (black ticks).

    ``frame`` has model, position, accuracy, ceiling.
    """
    base = alt.Chart(frame).encode(x=alt.X("position:O", title="Output position"), xOffset="model:N")
    bars = base.mark_bar().encode(
        y=alt.Y("accuracy:Q", title="Accuracy", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("model:N", title="Model"),
        tooltip=[
            "model:N",
            "position:O",
            alt.Tooltip("accuracy:Q", format=".4f"),
            alt.Tooltip("ceiling:Q", format=".2f"),
        ],
    )
    ticks = base.mark_tick(color="black", thickness=2, size=18).encode(y="ceiling:Q")
    return alt.layer(bars, ticks).properties(title="Accuracy per position; ticks mark the ceiling")


# --- looking inside: the four views of the original write-up, and beyond ---

DIVERGING: Final = alt.Scale(scheme="blueorange", domainMid=0)

# Linked views share one selection parameter between sub-charts; that is the intended use, and
# Altair 6 warns about it every time ("Automatically deduplicated selection parameter").
warnings.filterwarnings(
    "ignore", message="Automatically deduplicated selection parameter", category=UserWarning
)


def _step_labels(cache: Any, sequence: int = 0) -> pd.DataFrame:
    from revcomp.trace import TOKEN_LABELS

    tokens = cache.tokens[sequence].tolist()
    return pd.DataFrame(
        {
            "step": range(len(tokens)),
            "label": [f"{t}:{TOKEN_LABELS[tok] if tok != 5 else '·'}" for t, tok in enumerate(tokens)],
        }
    )


def sample_logits_frame(cache: Any, sequence: int = 0) -> pd.DataFrame:
    """Logits and probabilities at each output step of one traced sequence, one row per base."""
    from revcomp.dna import BASES

    logits = cache.output("logits")[sequence]
    probs = cache.output("probs")[sequence]
    target = cache.targets[sequence].tolist()
    predicted = cache.predictions[sequence].tolist()
    return pd.DataFrame(
        [
            {
                "position": p,
                "step": cache.task.output_step(p),
                "base": BASES[b],
                "logit": float(logits[p, b]),
                "probability": float(probs[p, b]),
                "target": BASES[target[p]],
                "predicted": BASES[predicted[p]],
                "is_target": b == target[p],
            }
            for p in range(cache.task.length)
            for b in range(4)
        ]
    )


def logits_chart(frame: pd.DataFrame, title: str = "Logits at each output position") -> alt.LayerChart:
    """View 1: the four logits at every output position; the target base is outlined in black."""
    base = alt.Chart(frame).encode(
        x=alt.X("base:N", sort=list(BASE_ORDER), title=None, axis=alt.Axis(labels=False, ticks=False)),
        tooltip=[
            "position:O",
            "base:N",
            alt.Tooltip("logit:Q", format=".2f"),
            alt.Tooltip("probability:Q", format=".3f"),
            "target:N",
            "predicted:N",
        ],
    )
    bars = base.mark_bar().encode(
        y=alt.Y("logit:Q", title="Logit"),
        color=alt.Color("base:N", scale=base_color_scale(), title="Base"),
        stroke=alt.condition("datum.is_target", alt.value("black"), alt.value(None)),
        strokeWidth=alt.value(2),
    )
    return (
        alt.layer(bars, data=frame)
        .properties(width=alt.Step(16), height=180)
        .facet(column=alt.Column("position:O", title=f"{title} (outlined: the right answer)"))
    )


def activation_heatmap_chart(
    frame: pd.DataFrame, cache: Any, sequence: int = 0, title: str = "Hidden state after each step"
) -> alt.Chart | alt.VConcatChart:
    """View 2: unit x step heatmap for one sequence (``frame`` from ``cache.to_frame(name, sequences=[i])``).

    With several quantities in ``frame`` the chart gets one row per quantity; gates (0..1) are
    drawn on a sequential scale, states and the cell candidate on a diverging one centred at 0.
    """
    labels = _step_labels(cache, sequence)
    data = frame[frame["sequence"] == sequence][["step", "unit", "quantity", "value", "input"]].copy()
    data = data.merge(labels, on="step")
    data["quantity"] = data["quantity"].astype(str)
    data["input"] = data["input"].astype(str)
    order = list(dict.fromkeys(data["quantity"]))

    def heatmap(quantity: str) -> alt.Chart:
        gate = quantity in ("input_gate", "forget_gate", "output_gate")
        scale = alt.Scale(scheme="purples", domain=[0, 1]) if gate else DIVERGING
        return (
            alt.Chart(data[data["quantity"] == quantity])
            .mark_rect()
            .encode(
                x=alt.X(
                    "label:N",
                    sort=labels["label"].tolist(),
                    title="Step: input token",
                    axis=alt.Axis(labelAngle=0),
                ),
                y=alt.Y("unit:O", title="Unit"),
                color=alt.Color("value:Q", scale=scale, title=quantity if len(order) > 1 else "Activation"),
                tooltip=["quantity:N", "step:O", "input:N", "unit:O", alt.Tooltip("value:Q", format=".3f")],
            )
            .properties(width=alt.Step(30), height=alt.Step(14))
        )

    if len(order) == 1:
        return heatmap(order[0]).properties(title=title)
    rows = [heatmap(q).properties(title=q.replace("_", " ")) for q in order]
    return alt.vconcat(*rows, title=title).resolve_scale(color="independent")


def unit_by_input_frame(cache: Any, name: str = "hidden") -> pd.DataFrame:
    """Mean of each unit grouped by the token just read, over every sequence and step."""
    from revcomp.trace import TOKEN_LABELS

    values = cache[name].reshape(-1, cache[name].shape[-1])
    tokens = cache.tokens.reshape(-1)
    rows = []
    for token in tokens.unique().tolist():
        mask = tokens == token
        means = values[mask].mean(0)
        for unit, value in enumerate(means.tolist()):
            rows.append({"unit": unit, "input": TOKEN_LABELS[token], "mean": value, "count": int(mask.sum())})
    return pd.DataFrame(rows)


def unit_over_steps_frame(cache: Any, name: str = "hidden") -> pd.DataFrame:
    """Mean, 10th and 90th percentile of each unit at every step, over all sequences."""
    from revcomp.trace import TOKEN_LABELS

    values = cache[name]
    quantiles = torch_quantiles(values, (0.1, 0.9))
    means = values.mean(0)
    # A step where every sequence reads the same token (GO, BLANK) is labelled by it.
    columns = cache.tokens.T.tolist()
    token_at_step = [TOKEN_LABELS[col[0]] if len(set(col)) == 1 else "base" for col in columns]
    return pd.DataFrame(
        [
            {
                "unit": u,
                "step": s,
                "mean": float(means[s, u]),
                "q10": float(quantiles[0][s, u]),
                "q90": float(quantiles[1][s, u]),
                "input": token_at_step[s],
            }
            for s in range(values.shape[1])
            for u in range(values.shape[2])
        ]
    )


def torch_quantiles(values: Any, qs: tuple[float, ...]) -> list[Any]:
    import torch

    return [torch.quantile(values.double(), q, dim=0) for q in qs]


def unit_explorer_chart(
    by_input: pd.DataFrame, over_steps: pd.DataFrame, name: str = "hidden state"
) -> alt.HConcatChart:
    """Views 3 and 4, linked: a unit x input-token heatmap and each unit's path over the steps.

    Click a unit (a heatmap row or a line) to highlight it in both charts; shift-click adds more.
    """
    pick = alt.selection_point(fields=["unit"], on="click", clear="dblclick")
    inputs = [t for t in ("A", "T", "G", "C", "GO", "BLANK") if t in set(by_input["input"])]
    heat = (
        alt.Chart(by_input, title=f"Mean {name} by the token just read")
        .mark_rect()
        .encode(
            x=alt.X("input:N", sort=inputs, title="Token just read", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("unit:O", title="Unit"),
            color=alt.Color("mean:Q", scale=DIVERGING, title="Mean"),
            opacity=alt.condition(pick, alt.value(1), alt.value(0.25)),
            tooltip=["unit:O", "input:N", alt.Tooltip("mean:Q", format=".3f"), "count:Q"],
        )
        .properties(width=alt.Step(36), height=alt.Step(18))
        .add_params(pick)
    )
    lines_base = alt.Chart(over_steps, title=f"Each unit's {name} across steps (band: 10-90%)").encode(
        x=alt.X("step:O", title="Step", axis=alt.Axis(labelAngle=0)),
        color=alt.Color("unit:N", title="Unit"),
    )
    band = lines_base.mark_area(opacity=0.12).encode(y="q10:Q", y2="q90:Q").transform_filter(pick)
    lines = (
        lines_base.mark_line(point=True)
        .encode(
            y=alt.Y("mean:Q", title="Mean activation"),
            opacity=alt.condition(pick, alt.value(1), alt.value(0.12)),
            tooltip=[
                "unit:N",
                "step:O",
                "input:N",
                alt.Tooltip("mean:Q", format=".3f"),
                alt.Tooltip("q10:Q", format=".3f"),
                alt.Tooltip("q90:Q", format=".3f"),
            ],
        )
        .add_params(pick)
    )
    return alt.hconcat(heat, alt.layer(band, lines).properties(width=360, height=300))


def pca_chart(
    frame: pd.DataFrame,
    explained: list[float],
    color_by: str = "x0",
    title: str = "Hidden-state trajectories in their first two principal components",
) -> alt.Chart:
    """Trajectories of a few sequences in PC1/PC2; points coloured by a stored base, labelled by step."""
    data = frame.copy()
    for column in data.columns:
        if str(data[column].dtype) in ("category", "Int64"):
            data[column] = data[column].astype(str)
    pick = alt.selection_point(fields=[color_by], bind="legend")
    base = alt.Chart(data, title=title).encode(
        x=alt.X("pc1:Q", title=f"PC1 ({explained[0]:.0%} of variance)"),
        y=alt.Y("pc2:Q", title=f"PC2 ({explained[1]:.0%} of variance)"),
        opacity=alt.condition(pick, alt.value(0.9), alt.value(0.08)),
    )
    paths = base.mark_line(strokeWidth=1, color="#999999").encode(detail="sequence:N", order="step:Q")
    points = (
        base.mark_circle(size=45)
        .encode(
            color=alt.Color(f"{color_by}:N", scale=base_color_scale(), title=f"Base {color_by}"),
            tooltip=[
                "dna:N",
                "step:Q",
                "input:N",
                alt.Tooltip("pc1:Q", format=".2f"),
                alt.Tooltip("pc2:Q", format=".2f"),
            ],
        )
        .add_params(pick)
    )
    return alt.layer(paths, points).properties(width=420, height=340)


# --- capacity and generalization ---


def capacity_chart(runs: pd.DataFrame) -> alt.FacetChart:
    """Final whole-sequence accuracy against hidden size, one panel per sequence length.

    ``runs`` has one row per sweep run (see ``revcomp.sweep.capacity_table``):
    length, hidden_size, seed, recipe, whole_sequence_accuracy, solved, steps,
    train_seconds, checked. Points are seeds (a circle solved the task, a cross
    did not); lines join the mean over seeds per recipe. Click a legend entry to
    isolate a recipe.
    """
    pick = alt.selection_point(fields=["recipe"], bind="legend")
    base = alt.Chart().encode(
        x=alt.X("hidden_size:O", title="Hidden units (H)"),
        color=alt.Color("recipe:N", title="Recipe"),
        opacity=alt.condition(pick, alt.value(1), alt.value(0.12)),
    )
    mean = base.mark_line().encode(y=alt.Y("mean(whole_sequence_accuracy):Q"))
    points = (
        base.mark_point(size=70, filled=True)
        .encode(
            y=alt.Y(
                "whole_sequence_accuracy:Q", title="Whole-sequence accuracy", scale=alt.Scale(domain=[0, 1])
            ),
            shape=alt.Shape(
                "solved:N", title="Solved", scale=alt.Scale(domain=[True, False], range=["circle", "cross"])
            ),
            tooltip=[
                alt.Tooltip("length:O", title="L"),
                alt.Tooltip("hidden_size:O", title="H"),
                "seed:N",
                "recipe:N",
                alt.Tooltip("whole_sequence_accuracy:Q", title="whole-sequence accuracy", format=".5f"),
                alt.Tooltip("checked:N", title="inputs checked"),
                "solved:N",
                "steps:Q",
                alt.Tooltip("train_seconds:Q", title="seconds", format=".1f"),
            ],
        )
        .add_params(pick)
    )
    return (
        alt.layer(mean, points, data=runs)
        .properties(width=190, height=220)
        .facet(column=alt.Column("length:O", title="Sequence length L"))
        .resolve_scale(x="independent")
        .properties(title="Capacity: each run's accuracy against hidden size")
    )


def generalization_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Whole-sequence accuracy against test length: mean over seeds (line), worst to best seed (band).

    ``frame`` has one row per (training regime, test length), as made by
    ``revcomp.sweep.generalization_summary``: regime, test_length, mean, lo,
    hi, seeds, per_base, max_train_length. Dashed rules mark each regime's
    longest training length.
    """
    pick = alt.selection_point(fields=["regime"], bind="legend")
    base = alt.Chart(frame).encode(
        x=alt.X("test_length:Q", title="Test length L'", scale=alt.Scale(nice=False)),
        color=alt.Color("regime:N", title="Trained on", legend=alt.Legend(orient="bottom", columns=1)),
        opacity=alt.condition(pick, alt.value(1), alt.value(0.1)),
    )
    band = base.mark_area().encode(
        y=alt.Y("lo:Q"), y2="hi:Q", opacity=alt.condition(pick, alt.value(0.15), alt.value(0.03))
    )
    line = base.mark_line(point=True).encode(
        y=alt.Y("mean:Q", title="Whole-sequence accuracy", scale=alt.Scale(domain=[0, 1])),
        tooltip=[
            "regime:N",
            alt.Tooltip("test_length:Q", title="test length"),
            alt.Tooltip("mean:Q", title="mean over seeds", format=".3f"),
            alt.Tooltip("lo:Q", title="worst seed", format=".3f"),
            alt.Tooltip("hi:Q", title="best seed", format=".3f"),
            alt.Tooltip("per_base:Q", title="bases right (mean)", format=".3f"),
            "seeds:Q",
        ],
    )
    trained = frame.groupby("regime", as_index=False)["max_train_length"].first()
    rule = (
        alt.Chart(trained)
        .mark_rule(strokeDash=[4, 4])
        .encode(
            x="max_train_length:Q",
            color=alt.Color("regime:N"),
            tooltip=["regime:N", alt.Tooltip("max_train_length:Q", title="longest training length")],
        )
    )
    return (
        alt.layer(band, line.add_params(pick), rule)
        .properties(width=520, height=280)
        .properties(title="Length generalization: accuracy at lengths other than the training length")
    )


# --- testing the story ---

#: Colour per role family of :func:`revcomp.roles.unit_roles` (no base hues: "current base" is a role).
ROLE_COLORS: Final[dict[str, str]] = {
    "position": "#6A3D9A",
    "current base": "#56B4E9",
    "stored base": "#CC79A7",
    "mixed": "#A6761D",
    "inert": "#404040",
    "random direction": "#BBBBBB",
}
#: Chart labels and colours of the ablation methods of :func:`revcomp.causal.ablate_units`.
ABLATION_LABELS: Final[dict[str, str]] = {"zero": "zero", "mean": "mean", "step_mean": "per-step mean"}
ABLATION_COLORS: Final[tuple[str, ...]] = ("#404040", "#56B4E9", "#CC79A7")
#: Label of the random-direction control row in unit charts.
RANDOM_ROW: Final = "random"
#: Accuracy lost (0 = nothing, 1 = every input wrong): pale to dark red.
LOSS_SCALE: Final = alt.Scale(scheme="reds", domain=[0, 1], clamp=True)


def _role_family(role: str) -> str:
    return "stored base" if role.startswith("stored base") else role


def _short(value: str) -> str:
    """Vega expression: a 0..1 number as ``.73`` (``1.0`` for one), for small heatmap cells."""
    return f"{value} >= 0.995 ? '1.0' : replace(format({value}, '.2f'), '0.', '.')"


def _signed(value: str) -> str:
    """Vega expression: a small signed number as ``+.27`` / ``−.05`` / ``0``, for small heatmap cells."""
    return (
        f"abs({value}) < 0.005 ? '0' : ({value} > 0 ? '+' : '−') + "
        f"replace(format(abs({value}), '.2f'), '0.', '.')"
    )


def role_score_frame(roles: pd.DataFrame) -> pd.DataFrame:
    """Long table of :func:`revcomp.roles.unit_roles` scores, one row per (unit, score).

    Columns: ``unit`` (a string, shared with the ``random`` row of :func:`ablation_frame`), ``role``,
    ``family`` (``stored base k`` counted as ``stored base``), ``detail``, ``std``, ``score`` (``step``,
    ``token``, ``current base``, and ``x{k} | step`` for ``within_x{k}``) and ``value``.
    """
    length = sum(1 for column in roles.columns if column.startswith("within_x"))
    labels = {"eta2_step": "step", "eta2_token": "token", "eta2_base": "current base"}
    labels.update({f"within_x{k}": f"x{k} | step" for k in range(length)})
    rows = [
        {
            "unit": str(int(r["unit"])),
            "role": r["role"],
            "family": _role_family(r["role"]),
            "detail": r["detail"],
            "std": float(r["std"]),
            "score": label,
            "value": float(r[column]),
        }
        for _, r in roles.iterrows()
        for column, label in labels.items()
    ]
    return pd.DataFrame(rows)


def ablation_frame(ablations: pd.DataFrame, scope: str = "answerable") -> pd.DataFrame:
    """Compact accuracy-lost table from :func:`revcomp.causal.ablate_units`, for :func:`role_ablation_chart`.

    One row per unit and method for ``scope`` (``where == "all"``) and per output position
    (``where == "position"``); random directions: one row per draw for ``scope``, and their mean per
    position (unit ``random``). Columns: ``kind``, ``unit`` (string), ``draw``, ``method`` (label),
    ``where``, ``position`` (-1 for ``all``), ``needs`` (the stored base that position needs),
    ``lost`` (baseline - accuracy) and ``accuracy``.
    """
    data = ablations[ablations["scope"].isin([scope, "position"])].copy()
    length = int(data["position"].max()) + 1
    data["method"] = data["method"].map(ABLATION_LABELS)
    data["lost"] = -data["change"]
    data["where"] = data["scope"].map(lambda s: "position" if s == "position" else "all")
    data["position"] = data["position"].fillna(-1).astype(int)
    units = data[data["kind"] == "unit"].assign(unit=lambda f: f["unit"].astype(int).astype(str), draw=-1)
    randoms = data[data["kind"] == "random direction"].assign(draw=lambda f: f["unit"].astype(int))
    whole = randoms[randoms["where"] == "all"].assign(unit=RANDOM_ROW)
    per_position = (
        randoms[randoms["where"] == "position"]
        .groupby(["kind", "method", "where", "position"], as_index=False)[["lost", "accuracy"]]
        .mean()
        .assign(unit=RANDOM_ROW, draw=-1)
    )
    frame = pd.concat([units, whole, per_position], ignore_index=True)
    frame["needs"] = frame["position"].map(lambda p: f"x{length - 1 - p}" if p >= 0 else "")
    columns = ["kind", "unit", "draw", "method", "where", "position", "needs", "lost", "accuracy"]
    return frame[columns]


def role_ablation_chart(
    scores: pd.DataFrame, ablation: pd.DataFrame, scope_title: str = "whole sequence"
) -> alt.VConcatChart:
    """Roles and ablations side by side, one row per unit (plus the random-direction control).

    Top left: each unit's computed role and its role scores (``scores`` from
    :func:`role_score_frame`); top right: accuracy lost when the unit is set to zero, its mean or its
    per-step mean (``ablation`` from :func:`ablation_frame`); the ``random`` row holds the same three
    ablations of random directions. Bottom: the loss per output position, per method. Click a unit
    anywhere to highlight it everywhere (double-click clears).
    """
    pick = alt.selection_point(fields=["unit"], on="click", clear="dblclick")
    units = sorted(set(scores["unit"]), key=int)
    rows = [*units, RANDOM_ROW]
    y = alt.Y("unit:N", sort=rows, scale=alt.Scale(domain=rows), title="Unit")
    y_bare = alt.Y("unit:N", sort=rows, scale=alt.Scale(domain=rows), title=None, axis=None)
    height = 19 * len(rows)  # one 19-pixel row per unit; a number, not a Step, because of yOffset
    highlight = alt.condition(pick, alt.value(1), alt.value(0.3))
    methods = list(ABLATION_LABELS.values())

    roles = scores.drop_duplicates("unit")[["unit", "role", "detail", "std"]]
    roles = pd.concat(
        [
            roles,
            pd.DataFrame(
                [{"unit": RANDOM_ROW, "role": "control", "detail": "random directions", "std": float("nan")}]
            ),
        ],
        ignore_index=True,
    )
    role_text = (
        alt.Chart(roles, title=alt.Title("Role", anchor="start"))
        .mark_text(align="left", baseline="middle", fontSize=11)
        .encode(
            x=alt.value(6),
            y=y,
            text="role:N",
            opacity=highlight,
            color=alt.condition("datum.unit == 'random'", alt.value("#888888"), alt.value(TEXT_COLOR)),
            tooltip=["unit:N", "role:N", "detail:N", alt.Tooltip("std:Q", format=".3f")],
        )
        .properties(width=96, height=height)
        .add_params(pick)
    )
    order = list(dict.fromkeys(scores["score"]))
    heat_base = alt.Chart(scores).encode(
        x=alt.X(
            "score:N",
            sort=order,
            title="Share of variance explained (η²)",
            axis=alt.Axis(orient="top", labelAngle=-40, labelAlign="left"),
        ),
        y=y_bare,
        tooltip=["unit:N", "role:N", "score:N", alt.Tooltip("value:Q", title="η²", format=".3f"), "detail:N"],
    )
    heat = (
        heat_base.mark_rect(stroke="white", strokeWidth=1)
        .encode(
            color=alt.Color(
                "value:Q",
                scale=alt.Scale(scheme="purples", domain=[0, 1]),
                title="η²",
                legend=alt.Legend(orient="bottom", gradientLength=120),
            ),
            opacity=highlight,
        )
        .add_params(pick)
    )
    heat_text = (
        heat_base.mark_text(fontSize=9)
        .transform_calculate(label=_short("datum.value"))
        .encode(
            text="label:N",
            color=alt.condition("datum.value > 0.55", alt.value("white"), alt.value(TEXT_COLOR)),
            opacity=highlight,
        )
    )
    heatmap = alt.layer(heat, heat_text).properties(width=alt.Step(30), height=height)

    whole = ablation[ablation["where"] == "all"]
    strip = (
        alt.Chart(whole, title=alt.Title("Accuracy lost", subtitle=scope_title, anchor="start"))
        .mark_point(filled=True, size=46)
        .encode(
            x=alt.X(
                "lost:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", orient="top")
            ),
            y=y_bare,
            yOffset=alt.YOffset("method:N", sort=methods),
            color=alt.Color(
                "method:N",
                sort=methods,
                scale=alt.Scale(domain=methods, range=list(ABLATION_COLORS)),
                title="Ablation",
                legend=alt.Legend(orient="bottom"),
            ),
            shape=alt.Shape(
                "kind:N",
                legend=None,
                scale=alt.Scale(domain=["unit", "random direction"], range=["circle", "diamond"]),
            ),
            opacity=highlight,
            tooltip=[
                "unit:N",
                "kind:N",
                "draw:Q",
                "method:N",
                alt.Tooltip("lost:Q", title="accuracy lost", format=".1%"),
                alt.Tooltip("accuracy:Q", format=".3f"),
            ],
        )
        .properties(width=170, height=height)
        .add_params(pick)
    )
    top = alt.hconcat(role_text, heatmap, strip, spacing=6).resolve_scale(color="independent")

    by_position = ablation[ablation["where"] == "position"]
    cells = (
        alt.Chart(by_position)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("position:O", title="Output position"),
            y=y,
            color=alt.Color(
                "lost:Q",
                scale=LOSS_SCALE,
                title="Accuracy lost",
                legend=alt.Legend(orient="right", format="%", gradientLength=120),
            ),
            opacity=highlight,
            tooltip=[
                "unit:N",
                "method:N",
                "position:O",
                alt.Tooltip("needs:N", title="position needs"),
                alt.Tooltip("lost:Q", title="accuracy lost", format=".1%"),
                alt.Tooltip("accuracy:Q", format=".3f"),
            ],
        )
        .properties(width=alt.Step(22), height=height)
        .add_params(pick)
    )
    bottom = cells.facet(
        column=alt.Column(
            "method:N",
            sort=methods,
            title="Accuracy lost at each output position, by ablation",
            header=alt.Header(labelFontSize=12, titleFontSize=13, titleFontWeight=600),
        ),
        spacing=14,
    )
    return alt.vconcat(top, bottom, spacing=28).resolve_scale(color="independent")


def _token_step_labels(cache: Any) -> dict[int, str]:
    """``{step: "t:token"}``: the token read at each step (``x{t}`` where inputs differ, else GO / ·)."""
    from revcomp.trace import TOKEN_LABELS

    labels = {}
    for t, column in enumerate(cache.tokens.T.tolist()):
        token = f"x{t}" if len(set(column)) > 1 else TOKEN_LABELS[column[0]].replace("BLANK", "·")
        labels[t] = f"{t}:{token}"
    return labels


def probe_grid_frame(table: pd.DataFrame, cache: Any) -> pd.DataFrame:
    """Held-out probe accuracy (from :func:`revcomp.probes.probe_accuracy`) and the MLP - linear gap.

    One row per (quantity, panel, step, stored base): ``panel`` is ``linear``, ``MLP`` or ``MLP - linear``;
    ``value`` is the held-out accuracy (or the gap, only where the base has been read). ``cache`` (the
    trace the probes were fitted on) labels each step by the token it reads.
    """
    labels = _token_step_labels(cache)
    names = {"linear": "linear", "mlp": "MLP"}
    rows = []
    for _, r in table.iterrows():
        rows.append(
            {
                "quantity": r["quantity"],
                "panel": names[r["probe"]],
                "step": int(r["step"]),
                "step_label": labels[int(r["step"])],
                "base": f"x{int(r['base'])}",
                "read": bool(r["read"]),
                "value": float(r["test_accuracy"]),
                "train": float(r["train_accuracy"]),
                "chance": float(r["chance"]),
                "n_test": int(r["n_test"]),
            }
        )
    frame = pd.DataFrame(rows)
    wide = (
        frame[frame["read"]]
        .pivot_table(index=["quantity", "step", "step_label", "base"], columns="panel", values="value")
        .reset_index()
    )
    if {"linear", "MLP"} <= set(wide.columns):
        gap = wide.assign(panel="MLP - linear", read=True, value=wide["MLP"] - wide["linear"])
        frame = pd.concat([frame, gap.drop(columns=["linear", "MLP"])], ignore_index=True)
    return frame


def probe_grid_chart(frame: pd.DataFrame) -> alt.VConcatChart:
    """Probe accuracy per step (columns) and stored base (rows): linear, MLP and their gap, hidden and cell.

    ``frame`` from :func:`probe_grid_frame`. Faded cells are probes for a base not read yet: they must be
    at chance, a built-in control.
    """
    steps = frame.drop_duplicates("step").sort_values("step")["step_label"].tolist()
    bases = sorted(set(frame["base"]))
    quantities = [q for q in ("hidden", "cell") if q in set(frame["quantity"])]

    def panel(name: str, quantity: str, first: bool) -> alt.LayerChart:
        gap = name == "MLP - linear"
        data = frame[(frame["panel"] == name) & (frame["quantity"] == quantity)]
        if gap:
            scale = alt.Scale(scheme="blueorange", domain=[-0.5, 0.5], domainMid=0)
            color_title, dark = "Gap", "abs(datum.value) > 0.3"
        else:
            scale = alt.Scale(scheme="purples", domain=[0, 1])
            color_title, dark = "Accuracy", "datum.value > 0.6"
        base = alt.Chart(data, title=alt.Title(f"{name}: {quantity}", fontSize=12)).encode(
            x=alt.X(
                "step_label:N",
                sort=steps,
                title="Step: token read" if name == "MLP - linear" else None,
                axis=alt.Axis(labelAngle=0, labelFontSize=9),
            ),
            y=alt.Y("base:N", sort=bases, title="Stored base" if first else None),
            tooltip=[
                "quantity:N",
                "panel:N",
                alt.Tooltip("step_label:N", title="step"),
                "base:N",
                "read:N",
                alt.Tooltip("value:Q", title="held-out" if not gap else "gap", format=".3f"),
                alt.Tooltip("train:Q", title="train accuracy", format=".3f"),
                alt.Tooltip("chance:Q", format=".3f"),
                alt.Tooltip("n_test:Q", title="held-out inputs"),
            ],
        )
        rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
            color=alt.Color(
                "value:Q",
                scale=scale,
                title=color_title,
                legend=alt.Legend(orient="right", gradientLength=90),
            ),
            opacity=alt.condition("datum.read", alt.value(1), alt.value(0.35)),
        )
        text = (
            base.mark_text(fontSize=9)
            .transform_calculate(label=_short("datum.value") if not gap else _signed("datum.value"))
            .encode(
                text="label:N",
                color=alt.condition(dark, alt.value("white"), alt.value(TEXT_COLOR)),
            )
        )
        return alt.layer(rect, text).properties(width=alt.Step(24), height=alt.Step(17))

    rows = []
    for name in ("linear", "MLP", "MLP - linear"):
        if name in set(frame["panel"]):
            rows.append(alt.hconcat(*[panel(name, q, i == 0) for i, q in enumerate(quantities)], spacing=10))
    accuracy = alt.vconcat(*rows[:2], spacing=8)
    return alt.vconcat(accuracy, *rows[2:], spacing=14).resolve_scale(color="independent")


STATE_LABELS: Final[dict[str, str]] = {"both": "hidden + cell", "hidden": "hidden only", "cell": "cell only"}


def interchange_frame(table: pd.DataFrame, cache: Any) -> pd.DataFrame:
    """:func:`revcomp.causal.interchange` results with readable labels (``state``, ``step_label``)."""
    labels = _token_step_labels(cache)
    frame = table.copy()
    frame["state"] = frame["state"].map(STATE_LABELS)
    frame["step_label"] = frame["step"].map(labels)
    frame["needs"] = frame["position"].map(lambda p: f"x{cache.task.length - 1 - p}")
    return frame


def interchange_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """Activation patching: share of outputs that switch to the donor's answer, per patched step and
    output position; one row per patched state. Outlined cells are where a model that keeps each base
    in its state should switch (``expected == "A"``)."""
    steps = frame.drop_duplicates("step").sort_values("step")["step_label"].tolist()
    base = alt.Chart().encode(
        x=alt.X(
            "step_label:N",
            sort=steps,
            title="Step whose state is patched: token read",
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("position:O", title="Output position"),
        tooltip=[
            "state:N",
            alt.Tooltip("step_label:N", title="patched at step"),
            "position:O",
            alt.Tooltip("needs:N", title="position needs"),
            alt.Tooltip("expected:N", title="should follow"),
            alt.Tooltip("switched:Q", title="switched to donor", format=".1%"),
            alt.Tooltip("stayed:Q", title="kept own answer", format=".1%"),
            alt.Tooltip("other:Q", title="something else", format=".1%"),
            alt.Tooltip("n_pairs:Q", title="pairs"),
        ],
    )
    rect = base.mark_rect().encode(
        color=alt.Color(
            "switched:Q",
            scale=alt.Scale(scheme="purples", domain=[0, 1]),
            title="Switched",
            legend=alt.Legend(format="%", gradientLength=100),
        ),
        stroke=alt.condition("datum.expected == 'A'", alt.value("black"), alt.value("white")),
        strokeWidth=alt.condition("datum.expected == 'A'", alt.value(1.5), alt.value(1)),
    )
    text = (
        base.mark_text(fontSize=10)
        .transform_calculate(label="round(100 * datum.switched)")
        .encode(
            text="label:N",
            color=alt.condition("datum.switched > 0.55", alt.value("white"), alt.value(TEXT_COLOR)),
        )
    )
    return (
        alt.layer(rect, text, data=frame)
        .properties(width=alt.Step(40), height=alt.Step(20))
        .facet(
            row=alt.Row(
                "state:N",
                sort=list(STATE_LABELS.values()),
                title=None,
                header=alt.Header(labelAngle=0, labelAlign="left", labelFontSize=12),
            ),
            spacing=8,
        )
        .properties(title="Outputs that switch to the donor's answer (%), outlined: should switch")
    )


def probe_patching_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Per stored base and subspace kind: the switch rate at the output that needs the base and at the
    others (mean over positions and random draws, with the range over draws), from
    :func:`revcomp.causal.probe_patching`."""
    data = table.assign(
        where=table["target_position"].map({True: "the output that needs it", False: "the other outputs"})
    )
    per_draw = data.groupby(["base", "kind", "where", "draw"], as_index=False).agg(
        switched=("switched", "mean"),
        n_pairs=("n_pairs", "sum"),
        rank=("rank", "first"),
        step=("step", "first"),
    )
    frame = per_draw.groupby(["base", "kind", "where"], as_index=False).agg(
        switched=("switched", "mean"),
        lo=("switched", "min"),
        hi=("switched", "max"),
        draws=("draw", "count"),
        rank=("rank", "first"),
        step=("step", "first"),
    )
    frame["base"] = frame["base"].map(lambda k: f"x{k}")
    return frame


def probe_patching_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """Bars: share of outputs switched to the donor's answer after patching a probe's subspace (or a
    random one of the same rank, range over draws as a rule), at the output that needs the base and at
    the others."""
    kinds = ["probe subspace", "random subspace"]
    base = alt.Chart().encode(
        x=alt.X("base:N", title="Stored base whose probe subspace is patched"),
        xOffset=alt.XOffset("kind:N", sort=kinds),
        tooltip=[
            "base:N",
            "kind:N",
            "where:N",
            alt.Tooltip("switched:Q", format=".1%"),
            alt.Tooltip("lo:Q", title="lowest draw", format=".1%"),
            alt.Tooltip("hi:Q", title="highest draw", format=".1%"),
            "draws:Q",
            "rank:Q",
            alt.Tooltip("step:Q", title="patched at step"),
        ],
    )
    bars = base.mark_bar().encode(
        y=alt.Y(
            "switched:Q",
            title="Switched to the donor",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        ),
        color=alt.Color(
            "kind:N",
            sort=kinds,
            scale=alt.Scale(domain=kinds, range=["#6A3D9A", "#BBBBBB"]),
            title=None,
            legend=alt.Legend(orient="bottom"),
        ),
    )
    spread = base.mark_rule(color="#555555").encode(y="lo:Q", y2="hi:Q")
    return (
        alt.layer(bars, spread, data=frame)
        .properties(width=alt.Step(20), height=200)
        .facet(
            column=alt.Column(
                "where:N",
                sort=["the output that needs it", "the other outputs"],
                title=None,
                header=alt.Header(labelFontSize=12),
            )
        )
    )


def model_ablation_frame(
    name: str, roles: pd.DataFrame, ablations: pd.DataFrame, scope: str = "answerable"
) -> pd.DataFrame:
    """One row per unit (and random direction) of one model: role and accuracy lost per ablation method."""
    data = ablations[ablations["scope"] == scope]
    wide = data.pivot_table(index=["kind", "unit"], columns="method", values="change").reset_index()
    wide.columns.name = None
    role_of = dict(zip(roles["unit"], roles["role"], strict=True))
    std_of = dict(zip(roles["unit"], roles["std"], strict=True))
    is_unit = wide["kind"] == "unit"
    frame = pd.DataFrame(
        {
            "model": name,
            "unit": [str(u) if k else f"r{u}" for u, k in zip(wide["unit"], is_unit, strict=True)],
            "role": [
                role_of[u] if k else "random direction" for u, k in zip(wide["unit"], is_unit, strict=True)
            ],
            "std": [std_of[u] if k else float("nan") for u, k in zip(wide["unit"], is_unit, strict=True)],
        }
    )
    frame["family"] = frame["role"].map(_role_family)
    for method in ABLATION_LABELS:
        if method in wide.columns:
            frame[method] = -wide[method].to_numpy()
    return frame


def model_ablation_chart(frame: pd.DataFrame) -> alt.FacetChart:
    """Accuracy lost when zeroing each unit (x) against replacing it by its per-step mean (y), one panel
    per model. A position (clock) unit that the model uses sits low on the right: zeroing it hurts, its
    per-step mean is enough. A unit that does nothing sits at the origin. Click a role in the legend."""
    families = [f for f in ROLE_COLORS if f in set(frame["family"])]
    pick = alt.selection_point(fields=["family"], bind="legend")
    diagonal = (
        alt.Chart()
        .transform_aggregate(n="count()")
        .mark_rule(color="#BBBBBB", strokeDash=[4, 4], strokeWidth=1)
        .encode(x=alt.datum(0), y=alt.datum(0), x2=alt.datum(1), y2=alt.datum(1))
    )
    points = (
        alt.Chart()
        .mark_point(filled=True, size=55)
        .encode(
            x=alt.X(
                "zero:Q",
                title="Accuracy lost, unit set to zero",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y(
                "step_mean:Q",
                title="Accuracy lost, unit set to its per-step mean",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(
                "family:N",
                sort=families,
                title="Role",
                legend=alt.Legend(orient="bottom", columns=3),
                scale=alt.Scale(domain=families, range=[ROLE_COLORS[f] for f in families]),
            ),
            shape=alt.Shape(
                "family:N",
                sort=families,
                title="Role",
                legend=alt.Legend(orient="bottom", columns=3),
                scale=alt.Scale(
                    domain=families,
                    range=["diamond" if f == "random direction" else "circle" for f in families],
                ),
            ),
            opacity=alt.condition(pick, alt.value(0.9), alt.value(0.15)),
            tooltip=[
                "model:N",
                "unit:N",
                "role:N",
                alt.Tooltip("std:Q", format=".3f"),
                alt.Tooltip("zero:Q", title="lost, zero", format=".1%"),
                alt.Tooltip("mean:Q", title="lost, mean", format=".1%"),
                alt.Tooltip("step_mean:Q", title="lost, per-step mean", format=".1%"),
            ],
        )
        .add_params(pick)
    )
    return (
        alt.layer(diagonal, points, data=frame)
        .properties(width=170, height=170)
        .facet(
            column=alt.Column(
                "model:N",
                title=None,
                sort=list(dict.fromkeys(frame["model"])),
                header=alt.Header(labelFontSize=12),
            ),
            spacing=12,
        )
        .properties(
            title="Zeroing a unit against keeping only its per-step mean "
            "(inputs right at every answerable position)"
        )
    )
