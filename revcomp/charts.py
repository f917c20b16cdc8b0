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
