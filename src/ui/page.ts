/**
 * The capture page: one HTML document with its stylesheet and script inline. The live server
 * serves it with the data coming over server-sent events; `leastpriv report` writes it with the
 * data embedded. The Content-Security-Policy allows exactly the page's own style and script
 * (by hash), and nothing from anywhere else.
 */
import { createHash } from 'node:crypto';
import { CLIENT_JS } from './client.js';
import { STYLE } from './style.js';
import type { UiSnapshot } from './view.js';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The Content-Security-Policy of the page: its own inline style and script only; live mode may
 * also talk to its own server (events, the write button).
 */
export function contentSecurityPolicy(mode: 'live' | 'report'): string {
  return [
    "default-src 'none'",
    `script-src ${sha256(CLIENT_JS)}`,
    `style-src ${sha256(STYLE)}`,
    'img-src data:',
    `connect-src ${mode === 'live' ? "'self'" : "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
    ...(mode === 'live' ? ["frame-ancestors 'none'"] : []),
  ].join('; ');
}

/**
 * JSON that can sit inside `<script type="application/json">`: no `<` (so no `</script>` or
 * `<!--`), and no line or paragraph separator. `JSON.parse` reads it back unchanged.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The page. `data` is embedded for a report; a live page gets its data from the server. */
export function renderPage(options: { mode: 'live' } | { mode: 'report'; data: UiSnapshot }): string {
  const live = options.mode === 'live';
  const csp = live
    ? ''
    : `\n<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy('report')}">`;
  const data =
    options.mode === 'report'
      ? `<script type="application/json" id="leastpriv-data">${embedJson(options.data)}</script>\n`
      : '';
  const calls = options.mode === 'report' ? options.data.calls.length : 0;
  const subtitle = live
    ? '<span class="dot" id="dot"></span><span class="subtitle" id="conn">connecting…</span>'
    : `<span class="subtitle">report of ${calls} call${calls === 1 ? '' : 's'}</span>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">${csp}
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>leastpriv — ${live ? 'live capture' : 'capture report'}</title>
<style>${STYLE}</style>
</head>
<body data-mode="${live ? 'live' : 'report'}">
<header>
  <h1>leastpriv ${subtitle}</h1>
  <div class="counters">
    <span class="counter"><b id="n-calls">0</b><span>calls</span></span>
    <span class="counter deny"><b id="n-denied">0</b><span>denied</span></span>
    <span class="counter warn"><b id="n-unresolved">0</b><span>unresolved</span></span>
    <span class="counter"><b id="n-statements">0</b><span>statements</span></span>
    <span class="counter"><b id="n-actions">0</b><span>actions</span></span>
  </div>
  ${
    live
      ? '<button type="button" class="primary" id="write" title="Write the policy and the calls log now, as SIGHUP does">Write files now</button><span class="write-status" id="write-status"></span>'
      : ''
  }
</header>
<main>
  <section class="calls" aria-label="Calls">
    <div class="bar">
      <h2>Calls</h2>
      <input type="search" id="f-text" placeholder="Search operation, action, ARN…" aria-label="Search">
      <select id="f-service" aria-label="Service"><option value="">all services</option></select>
      <label><input type="checkbox" id="f-denied"> denied</label>
      <label><input type="checkbox" id="f-unresolved"> unresolved</label>
      <button type="button" id="f-follow" title="Scroll to the newest call and stay there">Follow</button>
      <span class="shown" id="shown"></span>
    </div>
    <div class="chips" id="chips" aria-label="Calls per service"></div>
    <div class="statement-filter hidden" id="statement-filter">Only the calls behind
      <span class="sid" id="statement-filter-sid"></span>
      <button type="button" id="statement-filter-clear">Show all calls</button></div>
    <div class="table" role="table">
      <div class="row thead" role="row"><div>Time (UTC)</div><div>Service</div><div>Operation</div><div>Status</div><div>Actions</div><div>Resource</div></div>
      <div class="viewport" id="viewport">
        <div class="spacer" id="spacer"></div>
        <div class="rows" id="rows"></div>
        <div class="empty" id="empty"></div>
      </div>
    </div>
    <div class="detail hidden" id="detail"></div>
  </section>
  <section class="policy" aria-label="Policy">
    <div class="bar">
      <h2>Policy</h2>
      <div class="tabs" role="tablist">
        <button type="button" class="tab on" data-tab="json">JSON</button>
        <button type="button" class="tab" data-tab="terraform">Terraform</button>
        <button type="button" class="tab" data-tab="cloudformation">CloudFormation</button>
      </div>
      <button type="button" class="copy" id="copy-policy">Copy</button>
    </div>
    <pre class="policy-text" id="policy-text"></pre>
    <div class="statements">
      <h2>Statements and the calls behind them</h2>
      <div id="statement-list"></div>
    </div>
    <div class="warnings" id="warnings"></div>
  </section>
</main>
${data}<script>${CLIENT_JS}</script>
</body>
</html>
`;
}
