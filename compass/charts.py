"""The report's two charts as inline SVG, drawn on the server (no client library).

The same markup goes into the web page, the PDF (WeasyPrint draws SVG) and the report-ready
email. Workflow names come from the model, so every text is XML-escaped; the charts carry
numbers only and the names appear in a table or legend next to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from markupsafe import Markup

INK, MUTED, BRAND, LINE = "#1c2b2a", "#52605f", "#0f766e", "#d5e3e1"
TINT, WARM = "#f0fdfa", "#b45309"
FONT = "Inter, 'DejaVu Sans', Arial, sans-serif"


@dataclass(frozen=True)
class Point:
    rank: int
    name: str
    effort_days: float  # x: person-days to set up
    value: float  # y: dollars a year (or impact when there is no money)


@dataclass(frozen=True)
class Bar:
    rank: int
    name: str
    stage: int  # 1-based stage number, for the colour
    start_week: int
    end_week: int


def _text(x: float, y: float, body: str, *, size: int = 11, fill: str = MUTED,
          anchor: str = "start", weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}">{escape(body)}</text>')


def _short_money(value: float) -> str:
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    if value >= 1_000:
        return f"${value / 1_000:.0f}k"
    return f"${value:.0f}"


def value_effort(points: list[Point], *, money: bool, title: str) -> Markup:
    """Impact against effort: each workflow a numbered dot, quadrants named."""
    if not points:
        return Markup("")
    width, height = 640, 340
    left, right, top, bottom = 64, 16, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    max_x = max(max(p.effort_days for p in points) * 1.15, 5)
    max_y = max(max(p.value for p in points) * 1.15, 1)

    def px(p: Point) -> tuple[float, float]:
        return (left + plot_w * p.effort_days / max_x, top + plot_h * (1 - p.value / max_y))

    parts = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" '
             f'stroke="{LINE}"/>',
             f'<rect x="{left}" y="{top}" width="{plot_w / 2:.1f}" height="{plot_h / 2:.1f}" '
             f'fill="{TINT}"/>']
    # Quadrant names: the corner a reader should look at first is "Quick wins".
    parts += [_text(left + 8, top + 16, "Quick wins", fill=BRAND, weight="bold"),
              _text(left + plot_w - 8, top + 16, "Big bets", anchor="end"),
              _text(left + 8, top + plot_h - 8, "Easy extras"),
              _text(left + plot_w - 8, top + plot_h - 8, "Reconsider", anchor="end")]
    for i in range(1, 4):
        y = top + plot_h * i / 4
        label = _short_money(max_y * (1 - i / 4)) if money else f"{max_y * (1 - i / 4):.1f}"
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{LINE}" stroke-dasharray="3 3"/>')
        parts.append(_text(left - 6, y + 4, label, size=10, anchor="end"))
    for i in range(0, 5):
        x = left + plot_w * i / 4
        parts.append(_text(x, top + plot_h + 16, f"{max_x * i / 4:.0f}", size=10,
                           anchor="middle"))
    parts.append(_text(left + plot_w / 2, height - 6, "Effort: person-days to set up",
                       size=11, anchor="middle", fill=INK))
    y_label = "Return a year" if money else "Impact (1–5)"
    parts.append(f'<text transform="translate(14 {top + plot_h / 2:.0f}) rotate(-90)" '
                 f'font-size="11" fill="{INK}" text-anchor="middle">{y_label}</text>')
    placed: list[tuple[float, float]] = []
    for point in sorted(points, key=lambda p: p.rank):
        x, y = px(point)
        # Nudge a dot that would sit on another, so every number stays readable.
        while any(abs(x - a) < 18 and abs(y - b) < 18 for a, b in placed):
            x += 14
            y -= 6
        placed.append((x, y))
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="10" fill="{BRAND}"/>')
        parts.append(_text(x, y + 4, str(point.rank), size=11, fill="#fff", anchor="middle",
                           weight="bold"))
    return _svg(width, height, title, parts)


def timeline(bars: list[Bar], *, title: str) -> Markup:
    """The roadmap as a Gantt strip: one row per workflow, coloured by stage."""
    if not bars:
        return Markup("")
    row, left, top = 24, 210, 26
    width = 640
    height = top + row * len(bars) + 12
    last = max(b.end_week for b in bars)
    span = max(last, 4)
    scale = (width - left - 16) / span
    colours = [BRAND, "#14b8a6", WARM, "#7c3aed"]
    parts = []
    step = 1 if span <= 12 else 2 if span <= 24 else 4
    for week in range(0, span + 1, step):
        x = left + week * scale
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{height - 10}" '
                     f'stroke="{LINE}"/>')
        parts.append(_text(x, top - 10, f"W{week}" if week else "Start", size=9,
                           anchor="middle"))
    for i, bar in enumerate(bars):
        y = top + i * row
        name = bar.name if len(bar.name) <= 30 else bar.name[:29] + "…"
        parts.append(_text(left - 8, y + 15, f"{bar.rank}. {name}", size=10, fill=INK,
                           anchor="end"))
        x = left + (bar.start_week - 1) * scale
        w = max(scale * (bar.end_week - bar.start_week + 1), 6)
        parts.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" rx="3" '
                     f'fill="{colours[(bar.stage - 1) % len(colours)]}"/>')
    return _svg(width, height, title, parts)


def _svg(width: int, height: int, title: str, parts: list[str]) -> Markup:
    body = "".join(parts)
    # Safe: every text that reaches this markup went through `escape` above.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" '
        f'role="img" class="chart" '
        f'font-family="{FONT}" aria-label="{escape(title, {chr(34): "&quot;"})}">'
        f"<title>{escape(title)}</title>{body}</svg>")


_SIZE = re.compile(r'^(<svg [^>]*?) width="(\d+)" height="(\d+)"')


def fluid(svg: Markup) -> Markup:
    """The chart for an email: as wide as the message allows, never wider (a mail client
    has no stylesheet of ours; the web page sizes it by its `chart` class, as its CSP
    allows no style attribute)."""
    return Markup(_SIZE.sub(  # noqa: S704 - only our own size attributes are rewritten
        r'\1 width="100%" style="max-width:\2px;height:auto"', str(svg), count=1))


def weeks_of(timeframe: str) -> tuple[int, int] | None:
    """(first, last) week of a stage's timeframe: "Weeks 1–4", "Months 2–3", "Week 6"."""
    numbers = [int(n) for n in re.findall(r"\d+", timeframe)][:2]
    if not numbers:
        return None
    first, last = numbers[0], numbers[-1]
    if re.search(r"month", timeframe, re.I):
        first, last = (first - 1) * 4 + 1, last * 4
    return (first, max(first, last))
