/**
 * The shell every report page shares: one self-contained HTML document (inline CSS and SVG, no
 * script, no font or image from anywhere), so it opens from a file in any browser, offline.
 */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** Text in HTML (element content and quoted attributes alike). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A table from rows of cells already escaped (cells are HTML). */
export function htmlTable(headers: string[], rows: string[][], className = ''): string {
  const head = `<tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table${className ? ` class="${className}"` : ''}>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms`;
  return `${seconds.toFixed(3)} s`;
}

export function formatDollars(usd: number): string {
  return `$${usd < 0.01 ? usd.toPrecision(3) : usd.toFixed(4)}`;
}

/** What each kind of span is drawn in: the timeline, its legend and the charts agree. */
export const CATEGORY_COLORS: Record<string, string> = {
  startup: '#9aa5b1',
  compute: '#3f9c5a',
  wait: '#e07a2f',
  send: '#3b7dd8',
  cleanup: '#8e6bbf',
  other: '#c2b280',
};

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 24px; color: #1f2933; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #e4e7eb; padding-bottom: 4px; }
.sub { color: #616e7c; margin: 0 0 16px; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 13px; }
.status-succeeded { background: #d9f2e1; color: #1f6b38; }
.status-failed, .status-lost, .status-cancelled { background: #fde2e1; color: #9b1c1c; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.summary dt { color: #616e7c; }
dl.summary dd { margin: 0; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 10px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
th { background: #f5f7fa; font-weight: 600; }
td.num, th.num { text-align: right; }
tr.failed td { color: #9b1c1c; }
.mark { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 8px; font-size: 12px; font-weight: 600; }
.mark-cheapest { background: #d9f2e1; color: #1f6b38; }
.mark-fastest { background: #dbe8fb; color: #1d4f91; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; border-radius: 2px; }
.note { color: #616e7c; font-size: 13px; }
pre { margin: 0; font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #3e4c59; }
svg .lane-label { font-size: 11px; }
details summary { cursor: pointer; color: #3e4c59; }
`;
