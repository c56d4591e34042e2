/** The page's stylesheet: system fonts, no external resources. */
export const STYLE = `
:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #667085; --line: #e3e6eb;
  --accent: #2f5bd3; --accent-soft: #e8eefc; --deny: #b42318; --deny-soft: #fdecea;
  --warn: #9a6700; --warn-soft: #fff6dd; --ok: #1a7f37; --row: 28px;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--bg); display: flex; flex-direction: column; }
button, select, input { font: inherit; color: inherit; }
button { border: 1px solid var(--line); background: var(--panel); border-radius: 6px; padding: 3px 10px;
  cursor: pointer; }
button:hover { border-color: var(--accent); }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.primary:hover { filter: brightness(1.08); }
header { display: flex; align-items: center; gap: 18px; padding: 10px 16px; background: var(--panel);
  border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header h1 { font-size: 15px; margin: 0; font-weight: 650; display: flex; align-items: center; gap: 8px; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: #b8bec9; display: inline-block; }
.dot.live { background: #22a34a; box-shadow: 0 0 0 3px #22a34a33; }
.dot.lost { background: var(--deny); }
.subtitle { color: var(--muted); font-weight: 400; font-size: 12px; }
.counters { display: flex; gap: 14px; margin-left: auto; align-items: baseline; flex-wrap: wrap; }
.counter b { font-size: 16px; font-variant-numeric: tabular-nums; }
.counter span { color: var(--muted); margin-left: 3px; }
.counter.deny b { color: var(--deny); }
.counter.warn b { color: var(--warn); }
.counter.zero b { color: var(--ink); }
.write-status { color: var(--muted); max-width: 420px; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }
main { flex: 1; display: grid; grid-template-columns: minmax(0, 1.35fr) minmax(360px, 1fr); gap: 12px;
  padding: 12px; min-height: 0; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; display: flex;
  flex-direction: column; min-height: 0; overflow: hidden; }
h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0;
  font-weight: 600; }
.bar { display: flex; align-items: center; gap: 10px; padding: 8px 12px; border-bottom: 1px solid var(--line);
  flex-wrap: wrap; }
.bar input[type=search] { border: 1px solid var(--line); border-radius: 6px; padding: 3px 8px; width: 180px; }
.bar select { border: 1px solid var(--line); border-radius: 6px; padding: 3px 6px; background: var(--panel); }
.bar label { display: inline-flex; align-items: center; gap: 4px; color: var(--ink); cursor: pointer; }
.shown { color: var(--muted); margin-left: auto; }
.chips { display: flex; gap: 6px; padding: 8px 12px; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.chip { border: 1px solid var(--line); border-radius: 999px; padding: 1px 9px; background: var(--bg);
  font-size: 12px; cursor: pointer; }
.chip.on { background: var(--accent-soft); border-color: var(--accent); }
.chip .n { font-variant-numeric: tabular-nums; font-weight: 600; margin-left: 4px; }
.chip .d { color: var(--deny); margin-left: 4px; }
.statement-filter { background: var(--accent-soft); padding: 5px 12px; border-bottom: 1px solid var(--line); }
.table { flex: 1; display: flex; flex-direction: column; min-height: 0; }
.row { display: grid; grid-template-columns: 92px 92px minmax(120px, 1.1fr) 58px minmax(140px, 1.5fr)
  minmax(140px, 1.6fr); gap: 8px; align-items: center; height: var(--row); padding: 0 12px;
  white-space: nowrap; }
.row > div { overflow: hidden; text-overflow: ellipsis; }
.thead { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  border-bottom: 1px solid var(--line); font-weight: 600; }
.viewport { flex: 1; overflow-y: auto; position: relative; min-height: 120px; }
.spacer { width: 1px; }
.rows { position: absolute; left: 0; right: 0; top: 0; }
.rows .row { position: absolute; left: 0; right: 0; border-bottom: 1px solid #f0f1f4; cursor: pointer; }
.rows .row:hover { background: #f3f6fd; }
.rows .row.sel { background: var(--accent-soft); }
.rows .row.denied { background: var(--deny-soft); box-shadow: inset 3px 0 var(--deny); }
.rows .row.unresolved { background: var(--warn-soft); box-shadow: inset 3px 0 var(--warn); }
.mono, .row .time, .row .act, .row .res { font-family: var(--mono); font-size: 12px; }
.time { color: var(--muted); }
.status { font-family: var(--mono); font-weight: 600; }
.status.ok { color: var(--ok); }
.status.err { color: var(--deny); }
.missing { color: var(--deny); font-weight: 600; }
.reason { color: var(--warn); font-weight: 600; }
.empty { color: var(--muted); padding: 24px 12px; text-align: center; }
.detail { border-top: 1px solid var(--line); padding: 8px 12px; max-height: 30%; overflow: auto;
  font-size: 12px; }
.detail dl { display: grid; grid-template-columns: 90px 1fr; gap: 2px 10px; margin: 0; }
.detail dt { color: var(--muted); }
.detail dd { margin: 0; font-family: var(--mono); word-break: break-all; }
.tabs { display: flex; gap: 2px; align-items: center; }
.tab { border: none; border-bottom: 2px solid transparent; border-radius: 0; background: none; padding: 4px 10px;
  color: var(--muted); }
.tab.on { color: var(--ink); border-bottom-color: var(--accent); font-weight: 600; }
.copy { margin-left: auto; }
pre { margin: 0; font: 12px/1.5 var(--mono); white-space: pre; overflow: auto; }
.policy-text { flex: 0 1 auto; max-height: 42%; padding: 10px 12px; background: #fbfcfd;
  border-bottom: 1px solid var(--line); }
.statements { flex: 1; overflow: auto; padding: 4px 0; min-height: 0; }
.statements h2 { padding: 8px 12px 4px; }
details.st { border-bottom: 1px solid #f0f1f4; }
details.st > summary { padding: 6px 12px; cursor: pointer; display: flex; gap: 8px; align-items: baseline;
  list-style: none; }
details.st > summary::-webkit-details-marker { display: none; }
details.st > summary::before { content: "▸"; color: var(--muted); width: 10px; }
details.st[open] > summary::before { content: "▾"; }
.sid { font-family: var(--mono); font-weight: 600; }
.st-actions { color: var(--muted); font-family: var(--mono); font-size: 12px; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; flex: 1; min-width: 0; }
.st-count { color: var(--muted); white-space: nowrap; }
.st-body { padding: 2px 12px 10px 30px; }
.st-body pre { background: #fbfcfd; border: 1px solid var(--line); border-radius: 6px; padding: 8px;
  margin: 6px 0; max-height: 220px; }
.st-body ul { margin: 4px 0; padding-left: 18px; font-family: var(--mono); font-size: 12px; }
.st-body li { margin: 1px 0; word-break: break-all; }
.warnings { padding: 8px 12px; color: var(--warn); font-size: 12px; border-top: 1px solid var(--line);
  white-space: pre-line; max-height: 20%; overflow: auto; }
.warnings:empty { display: none; }
.hidden { display: none !important; }
`;
