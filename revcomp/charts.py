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

#: Colours for categories that are not bases (the Okabe-Ito palette).
CATEGORY_COLORS: Final[tuple[str, ...]] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
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
            "header": {"labelFont": FONT, "titleFont": FONT},
            "text": {"font": MONO_FONT},
            "range": {"category": list(CATEGORY_COLORS)},
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
