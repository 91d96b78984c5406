"""Charts made with matplotlib's object API on the Agg canvas (no pyplot, no display).

Each chart comes as SVG (inline in the HTML page) and PNG (in the PDF). The SVG is made
reproducible: no date in its metadata and a fixed salt for its element ids.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib import rc_context
from matplotlib.figure import Figure

from .base import SHORT_LABELS

COMPARED = ("arrests", "migrant_smugglers_arrested", "victims_identified", "investigations_initiated")
BY_PRIORITY = ("arrests", "investigations_initiated", "victims_identified")
COLOURS = ("#003399", "#f2a900", "#5b9bd5", "#a5a5a5")
RC = {"svg.hashsalt": "empact-factsheet", "font.size": 9, "svg.fonttype": "none"}


def _priority_figure(figures: dict) -> Figure:
    rows = figures.get("by_priority") or []
    labels = [row["code"] for row in rows] or ["–"]
    fig = Figure(figsize=(7.5, 0.45 * max(len(labels), 3) + 1.2))
    ax = fig.add_subplot()
    height = 0.8 / len(BY_PRIORITY)
    for index, key in enumerate(BY_PRIORITY):
        values = [row.get(key, 0) or 0 for row in rows] or [0]
        positions = [i + index * height for i in range(len(labels))]
        ax.barh(positions, values, height=height, label=SHORT_LABELS[key], color=COLOURS[index])
    ax.set_yticks([i + height for i in range(len(labels))], labels)
    ax.invert_yaxis()
    ax.set_title(f"Results by priority, {figures.get('year')}")
    ax.legend(loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(
        left=0.16, right=0.97, top=1 - 0.5 / fig.get_figheight(), bottom=0.4 / fig.get_figheight()
    )
    return fig


def _comparison_figure(figures: dict) -> Figure:
    headline = figures.get("headline") or {}
    previous = figures.get("previous") or {}
    labels = [SHORT_LABELS[key] for key in COMPARED]
    fig = Figure(figsize=(7.5, 3.4))
    ax = fig.add_subplot()
    width = 0.38
    xs = range(len(COMPARED))
    ax.bar(
        [x - width / 2 for x in xs],
        [previous.get(key, 0) or 0 for key in COMPARED],
        width=width,
        label=str(figures.get("previous_year")),
        color=COLOURS[3],
    )
    ax.bar(
        [x + width / 2 for x in xs],
        [headline.get(key, 0) or 0 for key in COMPARED],
        width=width,
        label=str(figures.get("year")),
        color=COLOURS[0],
    )
    ax.set_xticks(list(xs), labels)
    ax.set_title(f"{figures.get('year')} against {figures.get('previous_year')}")
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.1)
    return fig


CHARTS = {"by_priority": _priority_figure, "vs_previous": _comparison_figure}


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, metadata={"Software": None})
    return buffer.getvalue()


def render_charts(figures: dict, *, svg: bool = True, png: bool = True) -> dict[str, dict]:
    """{chart name: {"svg": inline SVG text starting with ``<svg``, "png": bytes}}; each chart drawn once."""
    charts = {}
    with rc_context(RC):
        for name, make in CHARTS.items():
            fig = make(figures)
            charts[name] = {}
            if svg:
                charts[name]["svg"] = _svg(fig)
            if png:
                charts[name]["png"] = _png(fig)
    return charts


def charts_svg(figures: dict) -> dict[str, str]:
    return {name: chart["svg"] for name, chart in render_charts(figures, png=False).items()}


def charts_png(figures: dict) -> dict[str, bytes]:
    return {name: chart["png"] for name, chart in render_charts(figures, svg=False).items()}
