"""Inline SVG charts for the HTML report: step charts over valid time and a survival timeline.

Hand-written SVG: no JavaScript, no fonts or files to fetch, renders offline and prints.
The floats here are pixel coordinates and rounded axis ticks only; every ledger figure the
page prints comes from the state's Decimal and int values (commands/reporting/report.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html import escape
from itertools import pairwise

WIDTH = 1100
LEFT, RIGHT, TOP, BOTTOM = 78, 24, 34, 42


@dataclass(frozen=True)
class Series:
    label: str
    color: str
    points: list[tuple[date, float]]  # step values: each holds until the next point
    fill: bool = False


@dataclass(frozen=True)
class Marker:
    on: date
    label: str
    color: str = "#7a4d00"
    kind: str = "line"  # line (full height) | dot (on the top band)
    row: int = 0


@dataclass
class Axis:
    start: date
    end: date
    left: float = LEFT
    right: float = WIDTH - RIGHT
    ticks: list[date] = field(default_factory=list)

    def x(self, day: date) -> float:
        span = max(1, (self.end - self.start).days)
        return self.left + (self.right - self.left) * min(max((day - self.start).days, 0), span) / span


def quarter_ticks(start: date, end: date) -> list[date]:
    """First days of quarters (or of years, on long spans) inside [start, end]."""
    step = 3 if (end - start).days <= 3 * 366 else 12
    day = date(start.year, 1, 1)
    ticks = []
    while day <= end:
        if day >= start:
            ticks.append(day)
        month = day.month - 1 + step
        day = date(day.year + month // 12, month % 12 + 1, 1)
    return ticks


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    return value


def _fmt(value: float) -> str:
    return f"{value:,.0f}"


def _x_axis(axis: Axis, top: float, bottom: float) -> list[str]:
    out = []
    for tick in quarter_ticks(axis.start, axis.end):
        x = axis.x(tick)
        label = tick.strftime("%b %Y") if tick.month == 1 or (axis.end - axis.start).days <= 800 else ""
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
        if label:
            out.append(f'<text x="{x:.1f}" y="{bottom + 16}" class="tick" text-anchor="middle">{label}</text>')
    return out


def step_chart(
    title: str, axis: Axis, series: list[Series], markers: list[Marker], y_max: float, height: int = 280
) -> str:
    """Step lines (a figure holds until it changes), y from 0, with dated markers."""
    bottom = height - BOTTOM
    top = TOP + 14 * (1 + max((m.row for m in markers), default=0))
    y_top = _nice_max(y_max)

    def y(value: float) -> float:
        return bottom - (bottom - top) * value / y_top

    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" class="chart">']
    parts.append(f'<text x="{LEFT}" y="18" class="chart-title">{escape(title)}</text>')
    for i in range(5):
        value = y_top * i / 4
        parts.append(f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{axis.right}" y2="{y(value):.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y(value) + 4:.1f}" class="tick" text-anchor="end">{_fmt(value)}</text>')
    parts += _x_axis(axis, top, bottom)
    parts.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{axis.right}" y2="{bottom}" class="axis"/>')
    for s in series:
        path = _step_path(s.points, axis, y)
        if s.fill and path:
            x_end = axis.x(axis.end)
            x_start = axis.x(s.points[0][0])
            area = f"{path} L{x_end:.1f},{bottom} L{x_start:.1f},{bottom} Z"
            parts.append(f'<path d="{area}" fill="{s.color}" fill-opacity="0.18" stroke="none"/>')
        parts.append(f'<path d="{path}" fill="none" stroke="{s.color}" stroke-width="2.2"/>')
    for m in markers:
        x = axis.x(m.on)
        label_y = TOP + 12 + 14 * m.row
        if m.kind == "line":
            parts.append(
                f'<line x1="{x:.1f}" y1="{label_y + 3}" x2="{x:.1f}" y2="{bottom}" class="marker" stroke="{m.color}"/>'
            )
        else:
            parts.append(f'<circle cx="{x:.1f}" cy="{label_y - 4}" r="4" fill="{m.color}"/>')
        anchor = "end" if x > axis.right - 160 else "start"
        dx = -6 if anchor == "end" else 6
        parts.append(
            f'<text x="{x + dx:.1f}" y="{label_y}" class="marker-label" fill="{m.color}" '
            f'text-anchor="{anchor}">{escape(m.label)}</text>'
        )
    parts.append(_legend(series, height))
    parts.append("</svg>")
    return "".join(parts)


def _step_path(points: list[tuple[date, float]], axis: Axis, y: object) -> str:
    if not points:
        return ""
    to_y = y  # type: ignore[assignment]
    d = [f"M{axis.x(points[0][0]):.1f},{to_y(points[0][1]):.1f}"]  # type: ignore[operator]
    for (_, before), (day, value) in pairwise(points):
        x = axis.x(day)
        d.append(f"L{x:.1f},{to_y(before):.1f} L{x:.1f},{to_y(value):.1f}")  # type: ignore[operator]
    d.append(f"L{axis.x(axis.end):.1f},{to_y(points[-1][1]):.1f}")  # type: ignore[operator]
    return " ".join(d)


def _legend(series: list[Series], height: int) -> str:
    x, parts = LEFT, []
    for s in series:
        parts.append(f'<rect x="{x}" y="{height - 14}" width="14" height="4" fill="{s.color}"/>')
        parts.append(f'<text x="{x + 20}" y="{height - 9}" class="legend">{escape(s.label)}</text>')
        x += 34 + 7 * len(s.label)
    return "".join(parts)


STATUS_COLORS = {
    "surviving": "#2f6fad",
    "extended": "#c77700",
    "expired": "#9aa3ad",
    "indefinite": "#2e8b57",
    "until-statute-of-limitations": "#7b4fa0",
    "not-started": "#c9ced4",
}


def survival_chart(rows: list[dict[str, object]], axis: Axis, start: date | None, as_of: date) -> str:
    """One bar per section from Closing to its expiry (7.3); open-ended bars run to the edge."""
    row_h, top = 19, 44
    height = top + row_h * len(rows) + 40
    label_w = 250
    axis = Axis(axis.start, axis.end, left=label_w, right=WIDTH - RIGHT)
    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="Survival timeline" class="chart">']
    parts.append(
        f'<text x="{LEFT - 60}" y="18" class="chart-title">Survival of representations (7.3) as of {as_of}</text>'
    )
    parts += _x_axis(axis, top - 6, top + row_h * len(rows))
    for i, row in enumerate(rows):
        y = top + row_h * i
        status = str(row["status"])
        color = STATUS_COLORS.get(status, "#888")
        title = f"{row['section']} {row['title']}"
        parts.append(
            f'<text x="{label_w - 10}" y="{y + 13}" class="tick" text-anchor="end">{escape(title[:38])}</text>'
        )
        if start is None and status != "indefinite":
            continue
        x0 = axis.x(start) if start else axis.left
        expires = row["expires_on"]
        x1 = axis.x(expires) if isinstance(expires, date) else axis.right  # type: ignore[arg-type]
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(2.0, x1 - x0):.1f}" height="{row_h - 7}" rx="3" '
            f'fill="{color}" fill-opacity="0.85"><title>{escape(title)}: {escape(status)}'
            f"{' until ' + str(expires) if expires else ''}</title></rect>"
        )
        text = str(expires) if isinstance(expires, date) else status.replace("-", " ")
        inside = x1 - x0 > 110
        tx, anchor, fill = (x1 - 6, "end", "#fff") if inside else (x1 + 6, "start", "#333")
        parts.append(
            f'<text x="{tx:.1f}" y="{y + 13}" class="bar-label" text-anchor="{anchor}" fill="{fill}">{text}</text>'
        )
    x = axis.x(as_of)
    parts.append(f'<line x1="{x:.1f}" y1="{top - 8}" x2="{x:.1f}" y2="{top + row_h * len(rows)}" class="asof"/>')
    parts.append(f'<text x="{x + 4:.1f}" y="{top - 12}" class="marker-label" fill="#b00020">as of</text>')
    legend_x = label_w
    for status, color in STATUS_COLORS.items():
        parts.append(f'<rect x="{legend_x}" y="{height - 16}" width="12" height="10" rx="2" fill="{color}"/>')
        parts.append(f'<text x="{legend_x + 17}" y="{height - 7}" class="legend">{status.replace("-", " ")}</text>')
        legend_x += 40 + 7 * len(status)
    parts.append("</svg>")
    return "".join(parts)
