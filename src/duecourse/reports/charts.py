"""Charts as server-rendered SVG: a horizontal bar chart (one bar per key) and a line chart (a time series).

No JavaScript and nothing from another site, and within the Content-Security-Policy: geometry is SVG
presentation attributes (`x`, `width`, …) and colours are classes styled in app.css, never a `style`
attribute. A chart is a picture of a table the page shows beside it (the accessible form of the same
numbers), so the SVG carries a title that sums it up and the table carries the detail. Every text put
into the markup goes through `format_html`, so a department named `<script>` stays text.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Bar chart geometry, in SVG user units (the SVG scales to its box; app.css gives it the width).
WIDTH = 640
LABEL_WIDTH = 190
VALUE_WIDTH = 64
ROW_HEIGHT = 28
BAR_HEIGHT = 18
PAD = 8
MAX_LABEL_CHARS = 28

# Line chart geometry.
LINE_HEIGHT = 260
LINE_LEFT = 48
LINE_RIGHT = 16
LINE_TOP = 16
LINE_BOTTOM = 40
SERIES_CLASSES = 6  # chart-series-0 … chart-series-5 in app.css; more series reuse them in turn


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0…max_value; a bar for a missing value is drawn empty with "–"
    text: str  # the value as shown at the bar's end ("92 %", "14")
    href: str = ""  # where the bar and its label lead (the people behind the number)
    tone: str = ""  # a class suffix: "good", "warn", "bad" (chart-bar-good …); "" = the plain colour


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per x label; None = no figure that week (a gap in the line)


def rate_tone(rate: float | None) -> str:
    """The colour band of a compliance rate: good from 95 %, a warning from 80 %, bad below."""
    if rate is None:
        return ""
    return "good" if rate >= 0.95 else "warn" if rate >= 0.8 else "bad"


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f} %"


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _num(value: float) -> str:
    """A coordinate as SVG text: at most one decimal, no trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(bars: Sequence[Bar], *, title: str, max_value: float | None = None) -> SafeString:
    """Horizontal bars in the given order, each with its label on the left and its value on the right.

    `max_value` is the full width (1.0 for rates); by default the largest value (at least 1)."""
    top = max_value if max_value is not None else max([1.0, *(b.value for b in bars)])
    track = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 2 * PAD
    height = max(len(bars), 1) * ROW_HEIGHT + 2 * PAD
    rows = []
    for index, bar in enumerate(bars):
        y = PAD + index * ROW_HEIGHT
        length = max(0.0, min(bar.value / top, 1.0)) * track if top else 0.0
        tone = f" chart-bar-{bar.tone}" if bar.tone else ""
        row = format_html(
            '<g class="chart-row"><title>{label}: {text}</title>'
            '<text class="chart-label" x="{lx}" y="{ty}" text-anchor="end">{short}</text>'
            '<rect class="chart-track" x="{bx}" y="{by}" width="{track}" height="{bh}" rx="3"></rect>'
            '<rect class="chart-bar{tone}" x="{bx}" y="{by}" width="{length}" height="{bh}" rx="3"></rect>'
            '<text class="chart-value" x="{vx}" y="{ty}">{text}</text></g>',
            label=bar.label,
            text=bar.text,
            short=_short(bar.label),
            lx=LABEL_WIDTH - PAD,
            ty=_num(y + ROW_HEIGHT / 2 + 4),
            bx=LABEL_WIDTH,
            by=_num(y + (ROW_HEIGHT - BAR_HEIGHT) / 2),
            track=track,
            bh=BAR_HEIGHT,
            tone=tone,
            length=_num(length),
            vx=LABEL_WIDTH + track + PAD,
        )
        rows.append(format_html('<a href="{}">{}</a>', bar.href, row) if bar.href else row)
    if not bars:
        rows.append(format_html('<text class="chart-empty" x="{}" y="{}">Nothing to show yet</text>', PAD, PAD + 18))
    # Bars that link are each a link a keyboard and a screen reader reach: the chart is then a group of them
    # (an image cannot hold interactive parts); without links it is one image.
    return format_html(
        '<svg class="chart chart-bars" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="{role}" '
        'aria-label="{title}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>{rows}</svg>',
        role="group" if any(bar.href for bar in bars) else "img",
        w=WIDTH,
        h=height,
        title=title,
        rows=mark_safe("".join(rows)),  # noqa: S308 - each row is built by format_html above
    )


def line_chart(
    labels: Sequence[str], series: Sequence[Series], *, title: str, max_value: float = 1.0, as_percent: bool = True
) -> SafeString:
    """One line per series over the x `labels` (weeks, oldest first), from 0 to `max_value`, with a
    legend. A None value breaks its line; each point carries its figure as a tooltip."""
    plot_w = WIDTH - LINE_LEFT - LINE_RIGHT
    plot_h = LINE_HEIGHT - LINE_TOP - LINE_BOTTOM
    steps = max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return LINE_LEFT + (plot_w * i / steps if len(labels) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return LINE_TOP + plot_h * (1 - max(0.0, min(value / max_value, 1.0)) if max_value else 1)

    def shown(value: float) -> str:
        return percent(value) if as_percent else f"{value:g}"

    grid = format_html_join(
        "",
        '<line class="chart-gridline" x1="{}" x2="{}" y1="{}" y2="{}"></line>'
        '<text class="chart-axis" x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (LINE_LEFT, WIDTH - LINE_RIGHT, _num(y(v)), _num(y(v)), LINE_LEFT - 6, _num(y(v) + 4), shown(v))
            for v in (max_value * q / 4 for q in range(5))
        ),
    )
    every = max(1, len(labels) // 8)  # at most about eight x labels, so they never overlap
    x_labels = format_html_join(
        "",
        '<text class="chart-axis" x="{}" y="{}" text-anchor="middle">{}</text>',
        ((_num(x(i)), LINE_TOP + plot_h + 18, label) for i, label in enumerate(labels) if i % every == 0),
    )
    lines = []
    for n, s in enumerate(series):
        css = f"chart-series-{n % SERIES_CLASSES}"
        runs: list[list[str]] = [[]]
        for i, value in enumerate(s.values[: len(labels)]):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(f"{_num(x(i))},{_num(y(value))}")
        paths = format_html_join(
            "", '<polyline class="chart-line {}" points="{}"></polyline>', ((css, " ".join(r)) for r in runs if r)
        )
        points = format_html_join(
            "",
            '<circle class="chart-point {}" cx="{}" cy="{}" r="3"><title>{}, {}: {}</title></circle>',
            (
                (css, _num(x(i)), _num(y(v)), s.name, labels[i], shown(v))
                for i, v in enumerate(s.values[: len(labels)])
                if v is not None
            ),
        )
        legend = format_html(
            '<g class="chart-legend"><rect class="chart-swatch {}" x="{}" y="{}" width="10" height="10"></rect>'
            '<text class="chart-axis" x="{}" y="{}">{}</text></g>',
            css,
            LINE_LEFT + n * 130,
            LINE_HEIGHT - 12,
            LINE_LEFT + n * 130 + 14,
            LINE_HEIGHT - 3,
            _short(s.name)[:18],
        )
        lines.append(format_html("{}{}{}", paths, points, legend))
    return format_html(
        '<svg class="chart chart-lines" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="{title}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>{grid}{xl}{lines}</svg>',
        w=WIDTH,
        h=LINE_HEIGHT,
        title=title,
        grid=grid,
        xl=x_labels,
        lines=mark_safe("".join(lines)),  # noqa: S308 - each part is built by format_html above
    )
