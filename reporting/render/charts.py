"""Charts made with matplotlib's object API on the Agg canvas (no pyplot, no display).

Each chart comes as SVG (inline in the HTML page), PNG (in the PDF) and a text alternative
(`alt`: the chart's numbers in words, for screen readers and the PDF's caption). A chart has no
title of its own: the section heading above it is its title. Every number on it — value labels
and axis ticks — goes through `oap.formats.number`. The SVG is reproducible: no date in its
metadata and a fixed salt for its element ids.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from oap.formats import number, percent

from .base import SHORT_LABELS

COMPARED = ("arrests", "migrant_smugglers_arrested", "victims_identified", "investigations_initiated")
BY_PRIORITY = ("arrests", "investigations_initiated", "victims_identified")
COLOURS = ("#003399", "#f2a900", "#5b9bd5", "#a5a5a5")
RC = {
    "svg.hashsalt": "empact-factsheet",
    "font.size": 9,
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
}
LABEL_SIZE = 7
PRIORITY_LABEL_WIDTH = 26  # characters per line of a priority's name beside its bars
THOUSANDS = FuncFormatter(lambda value, _position: number(float(value)))  # numpy floats


def _axes(fig: Figure, *, horizontal: bool):
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    axis = ax.xaxis if horizontal else ax.yaxis
    axis.set_major_formatter(THOUSANDS)
    axis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.grid(axis="x" if horizontal else "y", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    return ax


def _label(ax, bars, values) -> None:
    ax.bar_label(bars, labels=[number(v) if v else "" for v in values], padding=2, fontsize=LABEL_SIZE)


def _priority_label(row: dict) -> str:
    return "\n".join(textwrap.wrap(f"{row['number']}. {row['name']}", PRIORITY_LABEL_WIDTH))


def _priority_figure(figures: dict) -> Figure:
    rows = figures.get("by_priority") or []
    labels = [_priority_label(row) for row in rows] or ["–"]
    fig = Figure(figsize=(7.5, 0.62 * max(len(labels), 3) + 0.9), layout="constrained")
    ax = _axes(fig, horizontal=True)
    height = 0.8 / len(BY_PRIORITY)
    largest = 0
    for index, key in enumerate(BY_PRIORITY):
        values = [row.get(key, 0) or 0 for row in rows] or [0]
        largest = max(largest, *values)
        positions = [i + index * height for i in range(len(labels))]
        bars = ax.barh(positions, values, height=height, label=SHORT_LABELS[key], color=COLOURS[index])
        _label(ax, bars, values)
    ax.set_yticks([i + height for i in range(len(labels))], labels, fontsize=8)
    ax.set_xlim(0, (largest or 1) * 1.12)  # room for the value labels
    ax.invert_yaxis()
    ax.legend(loc="lower right", frameon=False)
    return fig


def _comparison_figure(figures: dict) -> Figure:
    headline = figures.get("headline") or {}
    previous = figures.get("previous") or {}
    fig = Figure(figsize=(7.5, 3.4), layout="constrained")
    ax = _axes(fig, horizontal=False)
    width = 0.38
    xs = range(len(COMPARED))
    largest = 0
    for offset, year, source, colour in (
        (-width / 2, figures.get("previous_year"), previous, COLOURS[3]),
        (width / 2, figures.get("year"), headline, COLOURS[0]),
    ):
        values = [source.get(key, 0) or 0 for key in COMPARED]
        largest = max(largest, *values)
        bars = ax.bar([x + offset for x in xs], values, width=width, label=str(year), color=colour)
        _label(ax, bars, values)
    ax.set_xticks(list(xs), [SHORT_LABELS[key] for key in COMPARED])
    ax.set_ylim(0, (largest or 1) * 1.12)
    ax.legend(frameon=False)
    return fig


def _comparison_alt(figures: dict) -> str:
    year, before = figures.get("year"), figures.get("previous_year")
    headline = figures.get("headline") or {}
    previous = figures.get("previous") or {}
    change = figures.get("change_vs_previous") or {}
    if not previous:
        parts = [f"{SHORT_LABELS[key]} {number(headline.get(key))}" for key in COMPARED]
        return f"Chart: bars of {year}; {before} has no results to compare. " + "; ".join(parts) + "."
    parts = [
        f"{SHORT_LABELS[key]} {number(previous.get(key))} in {before} and {number(headline.get(key))} "
        f"in {year} ({percent(change.get(key))})"
        for key in COMPARED
    ]
    return f"Chart: bars of {before} beside {year}. " + "; ".join(parts) + "."


def _priority_alt(figures: dict) -> str:
    rows = figures.get("by_priority") or []
    counted = ", ".join(SHORT_LABELS[key].lower() for key in BY_PRIORITY)
    parts = [
        f"{row['number']}. {row['name']}: "
        + ", ".join(f"{number(row.get(key))} {SHORT_LABELS[key].lower()}" for key in BY_PRIORITY)
        for row in rows
    ]
    return f"Chart: {counted} in {figures.get('year')}, by priority. " + ("; ".join(parts) or "None") + "."


#: name: (draw, describe)
CHARTS = {
    "vs_previous": (_comparison_figure, _comparison_alt),
    "by_priority": (_priority_figure, _priority_alt),
}


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    return buffer.getvalue()


def render_charts(figures: dict, *, svg: bool = True, png: bool = True) -> dict[str, dict]:
    """{chart name: {"svg": inline SVG text starting with ``<svg``, "png": bytes, "alt": text}}.

    Each chart is drawn once, whatever the formats asked for.
    """
    charts = {}
    with rc_context(RC):
        for name, (draw, describe) in CHARTS.items():
            fig = draw(figures)
            charts[name] = {"alt": describe(figures)}
            if svg:
                charts[name]["svg"] = _svg(fig)
            if png:
                charts[name]["png"] = _png(fig)
    return charts
