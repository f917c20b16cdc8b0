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
    return pd.DataFrame({"step": range(len(tokens)), "label": [
        f"{t}:{TOKEN_LABELS[tok] if tok != 5 else '·'}" for t, tok in enumerate(tokens)]})


def sample_logits_frame(cache: Any, sequence: int = 0) -> pd.DataFrame:
    """Logits and probabilities at each output step of one traced sequence, one row per base."""
    from revcomp.dna import BASES

    logits = cache.output("logits")[sequence]
    probs = cache.output("probs")[sequence]
    target = cache.targets[sequence].tolist()
    predicted = cache.predictions[sequence].tolist()
    return pd.DataFrame([
        {"position": p, "step": cache.task.output_step(p), "base": BASES[b], "logit": float(logits[p, b]),
         "probability": float(probs[p, b]), "target": BASES[target[p]], "predicted": BASES[predicted[p]],
         "is_target": b == target[p]}
        for p in range(cache.task.length) for b in range(4)
    ])


def logits_chart(frame: pd.DataFrame, title: str = "Logits at each output position") -> alt.LayerChart:
    """View 1: the four logits at every output position; the target base is outlined in black."""
    base = alt.Chart(frame).encode(
        x=alt.X("base:N", sort=list(BASE_ORDER), title=None, axis=alt.Axis(labels=False, ticks=False)),
        tooltip=["position:O", "base:N", alt.Tooltip("logit:Q", format=".2f"),
                 alt.Tooltip("probability:Q", format=".3f"), "target:N", "predicted:N"],
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


def activation_heatmap_chart(frame: pd.DataFrame, cache: Any, sequence: int = 0,
                             title: str = "Hidden state after each step") -> alt.Chart | alt.VConcatChart:
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
        return alt.Chart(data[data["quantity"] == quantity]).mark_rect().encode(
            x=alt.X("label:N", sort=labels["label"].tolist(), title="Step: input token",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("unit:O", title="Unit"),
            color=alt.Color("value:Q", scale=scale, title=quantity if len(order) > 1 else "Activation"),
            tooltip=["quantity:N", "step:O", "input:N", "unit:O", alt.Tooltip("value:Q", format=".3f")],
        ).properties(width=alt.Step(30), height=alt.Step(14))

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
    return pd.DataFrame([
        {"unit": u, "step": s, "mean": float(means[s, u]), "q10": float(quantiles[0][s, u]),
         "q90": float(quantiles[1][s, u]), "input": token_at_step[s]}
        for s in range(values.shape[1]) for u in range(values.shape[2])
    ])


def torch_quantiles(values: Any, qs: tuple[float, ...]) -> list[Any]:
    import torch

    return [torch.quantile(values.double(), q, dim=0) for q in qs]


def unit_explorer_chart(by_input: pd.DataFrame, over_steps: pd.DataFrame,
                        name: str = "hidden state") -> alt.HConcatChart:
    """Views 3 and 4, linked: a unit x input-token heatmap and each unit's path over the steps.

    Click a unit (a heatmap row or a line) to highlight it in both charts; shift-click adds more.
    """
    pick = alt.selection_point(fields=["unit"], on="click", clear="dblclick")
    inputs = [t for t in ("A", "T", "G", "C", "GO", "BLANK") if t in set(by_input["input"])]
    heat = alt.Chart(by_input, title=f"Mean {name} by the token just read").mark_rect().encode(
        x=alt.X("input:N", sort=inputs, title="Token just read", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("unit:O", title="Unit"),
        color=alt.Color("mean:Q", scale=DIVERGING, title="Mean"),
        opacity=alt.condition(pick, alt.value(1), alt.value(0.25)),
        tooltip=["unit:O", "input:N", alt.Tooltip("mean:Q", format=".3f"), "count:Q"],
    ).properties(width=alt.Step(36), height=alt.Step(18)).add_params(pick)
    lines_base = alt.Chart(over_steps, title=f"Each unit's {name} across steps (band: 10-90%)").encode(
        x=alt.X("step:O", title="Step", axis=alt.Axis(labelAngle=0)),
        color=alt.Color("unit:N", title="Unit"),
    )
    band = lines_base.mark_area(opacity=0.12).encode(y="q10:Q", y2="q90:Q").transform_filter(pick)
    lines = lines_base.mark_line(point=True).encode(
        y=alt.Y("mean:Q", title="Mean activation"),
        opacity=alt.condition(pick, alt.value(1), alt.value(0.12)),
        tooltip=["unit:N", "step:O", "input:N", alt.Tooltip("mean:Q", format=".3f"),
                 alt.Tooltip("q10:Q", format=".3f"), alt.Tooltip("q90:Q", format=".3f")],
    ).add_params(pick)
    return alt.hconcat(heat, alt.layer(band, lines).properties(width=360, height=300))


def pca_chart(frame: pd.DataFrame, explained: list[float], color_by: str = "x0",
              title: str = "Hidden-state trajectories in their first two principal components") -> alt.Chart:
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
    points = base.mark_circle(size=45).encode(
        color=alt.Color(f"{color_by}:N", scale=base_color_scale(), title=f"Base {color_by}"),
        tooltip=["dna:N", "step:Q", "input:N", alt.Tooltip("pc1:Q", format=".2f"),
                 alt.Tooltip("pc2:Q", format=".2f")],
    ).add_params(pick)
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
            xOffset=alt.XOffset("seed:N"),
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
    band = base.mark_area(opacity=0.18).encode(y=alt.Y("lo:Q"), y2="hi:Q")
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
