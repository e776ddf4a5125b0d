"""The SVG charts: geometry from the figures, text escaped, links kept, no style attributes (CSP)."""

import html
import re

from duecourse.reports.charts import Bar, Series, bar_chart, line_chart, percent, rate_tone


def _attr(svg: str, css: str, name: str) -> list[str]:
    return re.findall(rf'<[a-z]+ class="{css}"[^>]*? {name}="([^"]+)"', svg)


def test_bars_are_as_long_as_their_share_of_the_full_width():
    svg = bar_chart(
        [Bar("Sales", 0.5, "50 %", tone="bad"), Bar("Ops", 1.0, "100 %", tone="good"), Bar("HR", 0.0, "0 %")],
        title="Rate",
        max_value=1.0,
    )
    track = float(_attr(svg, "chart-track", "width")[0])
    assert [float(w) for w in re.findall(r'class="chart-bar[^"]*"[^>]*? width="([^"]+)"', svg)] == [
        track / 2,
        track,
        0.0,
    ]
    assert 'class="chart-bar chart-bar-bad"' in svg and 'class="chart-bar chart-bar-good"' in svg
    assert re.search(r'viewBox="0 0 640 (\d+)"', svg).group(1) == str(3 * 28 + 16)
    assert "style=" not in svg


def test_counts_scale_to_the_largest_and_rows_link_where_given():
    svg = bar_chart([Bar("A", 10, "10", href="/tasks/?a=1&b=2"), Bar("B", 5, "5")], title="Overdue")
    widths = [float(w) for w in re.findall(r'class="chart-bar"[^>]*? width="([^"]+)"', svg)]
    assert widths[1] == widths[0] / 2
    assert svg.count("<a ") == 1 and 'href="/tasks/?a=1&amp;b=2"' in svg


def test_text_is_escaped_and_long_labels_shortened_with_the_full_one_as_tooltip():
    name = "<script>alert(1)</script> and a department with a very long name"
    svg = bar_chart([Bar(name, 1, "1")], title="T & <b>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "T &amp; &lt;b&gt;" in svg
    label = re.search(r'<text class="chart-label"[^>]*>([^<]*)</text>', svg).group(1)
    assert label.endswith("…") and len(html.unescape(label)) == 28
    assert "very long name: 1</title>" in svg


def test_an_empty_bar_chart_says_so():
    assert "Nothing to show yet" in bar_chart([], title="Empty")


def test_line_chart_plots_each_series_with_gaps_points_and_a_legend():
    weeks = ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    svg = line_chart(
        weeks,
        [Series("Sales", [0.5, 0.75, None, 1.0]), Series("Ops", [1.0, 1.0, 1.0, 1.0])],
        title="Compliance trend",
    )
    lines = re.findall(r'<polyline class="chart-line (chart-series-\d)" points="([^"]+)"', svg)
    assert [css for css, _ in lines] == ["chart-series-0", "chart-series-0", "chart-series-1"]  # Sales breaks
    first = [tuple(map(float, p.split(","))) for p in lines[0][1].split()]
    top, bottom = 16, 260 - 40
    assert first[0][1] == (top + bottom) / 2 and first[1][1] == top + (bottom - top) / 4
    assert first[0][0] == 48 and [float(p.split(",")[0]) for p in lines[1][1].split()] == [640 - 16]
    assert svg.count('<circle class="chart-point') == 7
    assert "<title>Sales, 2026-11-09: 75 %</title>" in svg
    assert ">Ops</text>" in svg and "style=" not in svg


def test_line_chart_of_counts_and_a_single_week():
    svg = line_chart(["2026-11-02"], [Series("Overdue", [4])], title="Overdue", max_value=8, as_percent=False)
    assert re.search(r'points="(\d+(\.\d)?),(\d+(\.\d)?)"', svg)
    assert "<title>Overdue, 2026-11-02: 4</title>" in svg and ">8</text>" in svg


def test_rate_bands_and_percent_text():
    assert [rate_tone(r) for r in (None, 0.5, 0.8, 0.949, 0.95, 1.0)] == ["", "bad", "warn", "warn", "good", "good"]
    assert [percent(r) for r in (None, 0, 0.3333, 1.0)] == ["–", "0 %", "33 %", "100 %"]
