"""Charts as SVG built in Python (ENGINEERING: server-side, deterministic, no JavaScript).

- Every piece of text is escaped (html.escape) before it enters the markup, so the result is safe to inline.
- No `style` attribute anywhere: the Content-Security-Policy forbids inline styles (`style-src 'self'`). Colours
  are SVG presentation attributes (so a chart saved on its own still looks right) and classes that site.css
  styles with the same values.
- The same input gives byte-identical output: coordinates are rounded and formatted explicitly, and nothing
  depends on the clock, on randomness or on dictionary order.
- Accessible: the root is role="img" labelled by its <title> and <desc>; the <desc> lists every value, and each
  bar or cell carries a <title> with its label and value (a tooltip for pointer users). The page puts a data
  table beside each chart.

Labels cannot be measured on the server, so their width is estimated generously (`CHAR_EM` per character);
bar charts put each label above its bar, so only their legend and the heat map rely on the estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif'
CHAR_EM = 0.6  # estimated average glyph width, in em
INK = "#1b1f24"
MUTED = "#4a5360"
TRACK = "#f4f6f8"
# Series colours: each has a contrast of at least 4.5:1 with white (WCAG 2.2 non-text contrast asks 3:1), and
# stacked segments are separated by a white gap.
SERIES_FILLS = ("#0b5cad", "#b35c00", "#1e6b36", "#6b3fa0")
# Heat-map levels, from no record to the most frequent pair, with a text colour readable on each (AA).
HEAT_FILLS = ("#ffffff", "#dcebf9", "#a9cbef", "#2f6db0", "#083f77")
HEAT_TEXT = (INK, INK, INK, "#ffffff", "#ffffff")
HEAT_STROKE = "#8c96a3"

# Bar charts are drawn for a phone: 360 px wide (a 390 px screen less the page's margins) shows the text at its own
# size, 13 px. site.css lets them grow to 1.2 times that on wide screens, and scrolls the heat map rather than
# shrink it.
BAR_WIDTH = 360
BAR_LABEL_MAX = 44  # characters: longer bar labels are shortened with "…" (the bar's <title> holds the whole)
BAR_ROW = 36  # label line + bar
BAR_LABEL_Y = 13  # baseline of the label, from the top of the row
BAR_TOP = 17  # top of the bar, from the top of the row
BAR_HEIGHT = 14
BAR_VALUE_ROOM = 64  # room kept right of the longest bar for its value
FONT_SIZE = 13

CELL_W, CELL_H = 48, 30
HEAT_FONT = 12
HEAT_LABEL_MAX = 38  # characters: longer axis labels are shortened with "…" (their <title> holds the whole)


@dataclass(frozen=True)
class Bar:
    """One bar: a label and one value per series (stacked), each with its text as shown on the page."""

    label: str
    values: tuple[float, ...]
    texts: tuple[str, ...]
    total: str  # text written after the bar
    # Per series, the list the segment counts: (href, accessible name), or None; empty: no links at all.
    links: tuple[tuple[str, str] | None, ...] = ()


def _n(value: float) -> str:
    """A coordinate: at most one decimal, no trailing zero, never "-0"."""
    text = f"{round(value, 1):.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(**attrs: object) -> str:
    """Attributes in the order given; names with "_" become "-" (font_size -> font-size); values escaped."""
    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        text = _n(value) if isinstance(value, float) else str(value)
        parts.append(f'{name.rstrip("_").replace("_", "-")}="{escape(text, quote=True)}"')
    return " ".join(parts)


def _text_width(text: str, font_size: float) -> float:
    return len(text) * font_size * CHAR_EM


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _svg_open(
    ident: str,
    width: float,
    height: float,
    title: str,
    description: str,
    font_size: int,
    *,
    interactive: bool = False,
) -> list[str]:
    # A chart with links is a group, not an image: an image's content is presentational, its links would be
    # hidden from assistive technologies.
    role = "group" if interactive else "img"
    return [
        f"<svg {_attrs(xmlns='http://www.w3.org/2000/svg', class_='chart-svg', role=role, aria_labelledby=f'{ident}-title {ident}-desc', viewBox=f'0 0 {_n(width)} {_n(height)}', width=float(width), height=float(height), font_family=FONT_FAMILY, font_size=font_size)}>",
        f"<title {_attrs(id=f'{ident}-title')}>{escape(title)}</title>",
        f"<desc {_attrs(id=f'{ident}-desc')}>{escape(description)}</desc>",
    ]


def _bar_summary(bar: Bar, series: Sequence[str]) -> str:
    text = f"{bar.label}: {bar.total}"
    if len(series) > 1:
        text += " (" + ", ".join(f"{name}: {v}" for name, v in zip(series, bar.texts, strict=True)) + ")"
    return text


def bar_chart(
    *,
    ident: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    series: Sequence[str],
    maximum: float | None = None,
) -> SafeString:
    """A horizontal bar chart; with several series the bars are stacked and a legend names the series.

    `ident` makes the ids of the <title> and <desc> unique in the page; `maximum` fixes the scale (100 for
    percentages), otherwise the longest bar fills the width.
    """
    multi = len(series) > 1
    top = 28.0 if multi else 4.0
    height = top + BAR_ROW * len(bars) + 4
    area = BAR_WIDTH - BAR_VALUE_ROOM - 2
    largest = max([sum(bar.values) for bar in bars] + [maximum or 0])
    scale = area / largest if largest > 0 else 0.0
    summary = "; ".join(_bar_summary(bar, series) for bar in bars)
    interactive = any(link for bar in bars for link in bar.links)
    out = _svg_open(
        ident,
        BAR_WIDTH,
        height,
        title,
        f"{description} {summary}".strip(),
        FONT_SIZE,
        interactive=interactive,
    )
    if multi:
        out.append('<g class="chart-legend">')
        x = 2.0
        for i, name in enumerate(series):
            fill = SERIES_FILLS[i % len(SERIES_FILLS)]
            out.append(
                f"<rect {_attrs(class_=f'chart-swatch chart-series-{i % len(SERIES_FILLS)}', x=x, y=6.0, width=12.0, height=12.0, fill=fill)}/>"
            )
            out.append(
                f"<text {_attrs(class_='chart-label', x=x + 18, y=16.0, fill=INK)}>{escape(name)}</text>"
            )
            x += 18 + _text_width(name, FONT_SIZE) + 16
        out.append("</g>")
    for row, bar in enumerate(bars):
        y = top + row * BAR_ROW
        out.append('<g class="chart-row">')
        out.append(
            f"<text {_attrs(class_='chart-label', x=2.0, y=y + BAR_LABEL_Y, fill=INK)}>{escape(_shorten(bar.label, BAR_LABEL_MAX))}</text>"
        )
        out.append(
            f"<rect {_attrs(class_='chart-track', x=2.0, y=y + BAR_TOP, width=float(area), height=float(BAR_HEIGHT), fill=TRACK)}/>"
        )
        x = 2.0
        for i, (value, text) in enumerate(zip(bar.values, bar.texts, strict=True)):
            width = value * scale
            if value <= 0 or width <= 0:
                continue
            tip = f"{bar.label}, {series[i]}: {text}" if multi else f"{bar.label}: {text}"
            colour = i % len(SERIES_FILLS)
            segment = (
                f"<rect {_attrs(class_=f'chart-bar chart-series-{colour}', x=x, y=y + BAR_TOP, width=width, height=float(BAR_HEIGHT), fill=SERIES_FILLS[colour], stroke='#ffffff', stroke_width=1.0)}>"
                f"<title>{escape(tip)}</title></rect>"
            )
            link = bar.links[i] if i < len(bar.links) else None
            if link:  # the list this segment counts: focusable, named by its label, series and number
                segment = f"<a {_attrs(class_='chart-link', href=link[0], aria_label=link[1])}>{segment}</a>"
            out.append(segment)
            x += width
        out.append(
            f"<text {_attrs(class_='chart-value', x=x + 6, y=y + BAR_TOP + BAR_HEIGHT / 2 + 4.5, fill=MUTED)}>{escape(bar.total)}</text>"
        )
        out.append("</g>")
    out.append("</svg>")
    return mark_safe("\n".join(out))  # noqa: S308 - every piece of text above is escaped


def _level(value: int, largest: int) -> int:
    """0 for no record, then 1-4 by quarter of the largest count."""
    if value <= 0 or largest <= 0:
        return 0
    return min(4, max(1, -(-4 * value // largest)))


def heat_map(
    *,
    ident: str,
    title: str,
    description: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cells: Sequence[Sequence[int]],
    texts: Sequence[Sequence[str]],
) -> SafeString:
    """A grid of counts: one row per row label, one column per column label (written at 45 degrees above),
    each cell shaded by its count and showing it (empty cells show nothing; their <title> says 0)."""
    rows = [_shorten(label, HEAT_LABEL_MAX) for label in row_labels]
    columns = [_shorten(label, HEAT_LABEL_MAX) for label in column_labels]
    left = max([_text_width(label, HEAT_FONT) for label in rows] + [0]) + 10
    rise = max([_text_width(label, HEAT_FONT) for label in columns] + [0]) * 0.7071
    top = rise + 14
    width = left + CELL_W * (len(columns) - 0.5) + rise + 8 if columns else left
    height = top + CELL_H * len(rows) + 4
    largest = max([max(row, default=0) for row in cells] + [0])
    summary = "; ".join(
        f"{row_label} × {column_label}: {texts[i][j]}"
        for i, row_label in enumerate(row_labels)
        for j, column_label in enumerate(column_labels)
        if cells[i][j]
    )
    out = _svg_open(ident, width, height, title, f"{description} {summary}".strip(), HEAT_FONT)
    out.append('<g class="heat-columns">')
    for j, (label, full) in enumerate(zip(columns, column_labels, strict=True)):
        x, y = left + CELL_W * (j + 0.5), top - 8
        out.append(
            f"<text {_attrs(class_='chart-label', x=x, y=y, transform=f'rotate(-45 {_n(x)} {_n(y)})', fill=INK)}>"
            f"<title>{escape(full)}</title>{escape(label)}</text>"
        )
    out.append("</g>")
    for i, (label, full) in enumerate(zip(rows, row_labels, strict=True)):
        y = top + CELL_H * i
        out.append('<g class="heat-row">')
        out.append(
            f"<text {_attrs(class_='chart-label', x=left - 8, y=y + CELL_H / 2 + 4, text_anchor='end', fill=INK)}>"
            f"<title>{escape(full)}</title>{escape(label)}</text>"
        )
        for j, column_label in enumerate(column_labels):
            value, level = cells[i][j], _level(cells[i][j], largest)
            x = left + CELL_W * j
            out.append(
                f"<rect {_attrs(class_=f'heat heat-{level}', x=float(x), y=float(y), width=float(CELL_W), height=float(CELL_H), fill=HEAT_FILLS[level], stroke=HEAT_STROKE, stroke_width=1.0)}>"
                f"<title>{escape(f'{full} × {column_label}: {texts[i][j]}')}</title></rect>"
            )
            if value:
                out.append(
                    f"<text {_attrs(class_=f'heat-text heat-text-{level}', x=x + CELL_W / 2, y=y + CELL_H / 2 + 4, text_anchor='middle', fill=HEAT_TEXT[level])}>{escape(texts[i][j])}</text>"
                )
        out.append("</g>")
    out.append("</svg>")
    return mark_safe("\n".join(out))  # noqa: S308 - every piece of text above is escaped
