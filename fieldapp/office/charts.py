"""Charts drawn on the server as inline SVG: bars (stacked or single) and horizontal bars.

No chart library: a report's numbers become rectangles and text in a viewBox that scales with
the page. Colours come from CSS classes (.chart-s0 ... .chart-s7) so the stylesheet owns them.
Every chart has a title and description for screen readers, and each bar a tooltip; the
report's table below it carries the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 76, 12, 16, 44
MAX_LABELS = 13
SERIES_CLASSES = 8


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    tone: int | None = None  # a fixed colour (.chart-s<n>), e.g. grey for "everyone else"


def nice_ceiling(value: float, *, integer: bool = False) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above value (a step that reads well)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if integer and power == 1 and step == 2.5:
            continue  # counts step in whole numbers
        if value <= step * power + 1e-9:
            return max(1, step * power) if integer else step * power
    return 10 * power  # pragma: no cover - the loop always returns


def axis(largest: float, *, integer: bool = False, ticks: int = 5) -> tuple[float, float]:
    """The top of the axis and the step between gridlines, both round numbers."""
    step = nice_ceiling(max(largest, 0) / ticks, integer=integer) if largest > 0 else 1
    return step * max(1, math.ceil(largest / step - 1e-9)), step


def _svg(title: str, description: str, body: list[str], height: int = HEIGHT) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'preserveAspectRatio="xMidYMid meet" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
    )
    return Markup(head + "".join(body) + "</svg>")


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    ceiling: float | None = None,
    totals: bool = True,
    integer: bool = False,
) -> Markup:
    """Vertical bars per label; several series stack. Missing values (None) draw nothing."""
    stacks = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    if ceiling:
        top, step = ceiling, ceiling / 4
    else:
        top, step = axis(max(stacks, default=0), integer=integer)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    body = []
    for tick in range(round(top / step) + 1):
        value = step * tick
        y = TOP + plot_h - plot_h * value / top
        body.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="chart-axis" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    count = max(len(labels), 1)
    slot = plot_w / count
    bar = max(2.0, min(56.0, slot * 0.7))
    every = max(1, math.ceil(count / MAX_LABELS))
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar) / 2
        base = TOP + plot_h
        for index, one in enumerate(series):
            value = one.values[i]
            if not value:
                continue
            h = plot_h * min(value, top) / top
            base -= h
            name = f" {one.name}" if len(series) > 1 else ""
            tip = f"{label}:{name} {fmt(value)}"
            tone = one.tone if one.tone is not None else index % SERIES_CLASSES
            body.append(
                f'<rect class="chart-s{tone}" x="{x:.1f}" y="{base:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" rx="2"><title>{escape(tip)}</title></rect>'
            )
        has_value = any(s.values[i] is not None for s in series)
        if totals and has_value and bar >= 22:
            body.append(
                f'<text class="chart-value" x="{x + bar / 2:.1f}" y="{base - 5:.1f}" '
                f'text-anchor="middle">{escape(fmt(stacks[i]))}</text>'
            )
        if i % every == 0:
            # Every other label hides on a phone, where the chart is drawn small.
            alt = " chart-tick-alt" if (i // every) % 2 else ""
            body.append(
                f'<text class="chart-axis{alt}" x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    body.append(
        f'<line class="chart-base" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
        f'y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>'
    )
    return _svg(title, description, body)


def hbar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    description: str,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
) -> Markup:
    """One horizontal bar per label, labels on the left (long names such as plotter models)."""
    row, label_w, pad = 30, 230, 60
    height = max(row * len(labels) + 16, 60)
    top, _ = axis(max(values, default=0), integer=True)
    plot_w = WIDTH - label_w - pad
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 8 + row * i
        w = plot_w * (value / top) if value else 0
        body.append(
            f'<text class="chart-axis" x="{label_w - 10}" y="{y + 19}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect class="chart-s0" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 10}"'
            f' rx="2"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
            f'<text class="chart-value" x="{label_w + w + 6:.1f}" y="{y + 19}">'
            f"{escape(fmt(value))}</text>"
        )
    return _svg(title, description, body, height)
