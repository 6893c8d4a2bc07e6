"""The report page's stylesheet, inlined into the HTML (system fonts only: nothing to fetch).

Three layouts: a desktop grid; a phone layout under 640 px (cards in one or two columns,
tables stacked a row per block with each cell's column name beside it, charts in boxes that
scroll sideways, so the page itself is never wider than the screen); and print (white, no
page break after a heading or inside a card, chart or row, table headers repeated).
"""

CSS = """\
:root { --ink: #1d2733; --muted: #5f6b7a; --line: #dfe3e8; --bg: #f5f6f8; --card: #fff; --accent: #1f3a5f; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 40px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 14px; margin-bottom: 20px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 11px; color: var(--muted); }
h1 { margin: 4px 0 6px; font-size: 26px; color: var(--accent); overflow-wrap: anywhere; }
h2 { font-size: 15px; margin: 26px 0 10px; color: var(--accent); text-transform: uppercase; letter-spacing: .05em; }
.meta { color: var(--muted); font-size: 13px; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.pill { font-size: 12px; vertical-align: middle; padding: 3px 10px; border-radius: 12px; background: #e3e8ef;
  text-transform: uppercase; letter-spacing: .06em; color: var(--accent); }
.pill.closed { background: #e3f1e6; color: #1b5e20; } .pill.terminated { background: #fbe4e4; color: #b71c1c; }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
  position: relative; min-width: 0; }
.card .label { font-size: 12px; color: var(--muted); padding-right: 44px; }
.card .value { font-size: 24px; font-weight: 650; margin: 2px 0; font-variant-numeric: tabular-nums;
  overflow-wrap: anywhere; }
.card .sub { font-size: 12px; color: var(--muted); }
.card .clause { position: absolute; top: 10px; right: 12px; font-size: 11px; color: #8a94a3; }
.chart-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; margin-bottom: 12px; }
.chart { display: block; width: 100%; height: auto; background: var(--card); border: 1px solid var(--line);
  border-radius: 8px; }
.chart .grid { stroke: #edf0f3; stroke-width: 1; } .chart .axis { stroke: #9aa3ad; }
.chart .tick { font-size: 11px; fill: #5f6b7a; } .chart .legend { font-size: 12px; fill: #33404d; }
.chart .chart-title { font-size: 14px; font-weight: 650; fill: var(--accent); }
.chart .marker { stroke-dasharray: 4 3; stroke-width: 1.4; } .chart .marker-label { font-size: 11px; font-weight: 600; }
.chart .asof { stroke: #b00020; stroke-width: 1.5; stroke-dasharray: 2 2; } .chart .bar-label { font-size: 10.5px; }
.two { display: grid; grid-template-columns: minmax(0, 1.2fr) minmax(0, 1fr); gap: 20px; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top;
  overflow-wrap: break-word; }
thead th { background: #eef1f5; font-size: 12px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .04em; }
table.kv th { width: 46%; font-weight: 500; color: var(--muted); } table.kv td { font-variant-numeric: tabular-nums; }
td.clause { color: #8a94a3; font-size: 12px; white-space: nowrap; }
.grid-table td:first-child { white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.overdue td { background: #fff4f4; } tr.due td { background: #fffaf0; }
.badge { display: inline-block; font-size: 11px; padding: 1px 8px; border-radius: 10px; background: #e8ecf1;
  white-space: nowrap; }
.badge.done, .badge.resolved { background: #e3f1e6; color: #1b5e20; }
.badge.due, .badge.pending { background: #fff1d6; color: #8a5a00; }
.badge.overdue { background: #fbe4e4; color: #b71c1c; } .badge.upcoming { background: #e6eef8; color: #1f4f86; }
.badge.withdrawn { background: #eee; color: #666; }
.muted { color: var(--muted); }
footer { margin-top: 28px; font-size: 12px; color: var(--muted); border-top: 1px solid var(--line); padding-top: 10px; }
@media (max-width: 900px) {
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .two { grid-template-columns: minmax(0, 1fr); gap: 0; }
}
@media (max-width: 640px) {
  main { padding: 16px 12px 28px; }
  h1 { font-size: 22px; }
  .card .value { font-size: 20px; }
  .chart { min-width: 720px; }
  .grid-table thead { display: none; }
  .grid-table, .grid-table tbody, .grid-table tr, .grid-table td { display: block; width: 100%; }
  .grid-table { border: 0; background: none; }
  .grid-table tr { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin-bottom: 8px;
    padding: 4px 0; }
  .grid-table td { display: grid; grid-template-columns: 7.5em minmax(0, 1fr); gap: 8px; border: 0; padding: 3px 10px;
    overflow-wrap: anywhere; }
  table.kv th, table.kv td { overflow-wrap: anywhere; }
  .grid-table td::before { content: attr(data-label); color: var(--muted); font-size: 11px; text-transform: uppercase;
    letter-spacing: .04em; padding-top: 2px; }
  .grid-table td:first-child { white-space: normal; }
  .grid-table td[colspan]::before { content: none; }
  .grid-table td > .badge { justify-self: start; }
  tr.overdue td, tr.due td { background: none; } tr.overdue { border-left: 4px solid #d32f2f; }
  tr.due { border-left: 4px solid #f9a825; }
}
@media (max-width: 640px) {
  .cards { gap: 8px; } .card { padding: 10px; } .card .label { padding-right: 0; margin-top: 12px; }
  .card .clause { top: 6px; right: 8px; }
}
@media (max-width: 340px) {
  .cards { grid-template-columns: minmax(0, 1fr); }
}
@media print {
  @page { margin: 14mm 12mm; }
  body { background: #fff; font-size: 11px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { max-width: none; padding: 0; }
  .cards { grid-template-columns: repeat(4, minmax(0, 1fr)); }
  .two { grid-template-columns: minmax(0, 1.2fr) minmax(0, 1fr); }
  h1, h2, .eyebrow { break-after: avoid; page-break-after: avoid; }
  h2 + * { break-before: avoid; page-break-before: avoid; }
  .card, .chart-wrap, .chart, table.kv, tr, footer { break-inside: avoid; page-break-inside: avoid; }
  .chart-wrap { overflow: visible; } .chart { min-width: 0; }
  thead { display: table-header-group; }
}
"""
