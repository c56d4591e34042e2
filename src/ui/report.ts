/**
 * `leastpriv report`: the capture page as one self-contained HTML file, its data embedded, for
 * CI artifacts and pull-request links. It loads nothing (its Content-Security-Policy forbids
 * any request) and is the same bytes for the same calls.
 */
import type { Session } from '../index.js';
import { renderPage } from './page.js';
import { type UiSnapshot, uiSnapshot } from './view.js';

export function renderReport(session: Session): string {
  return renderReportOf(uiSnapshot(session));
}

export function renderReportOf(data: UiSnapshot): string {
  return renderPage({ mode: 'report', data });
}

/** The data embedded in a report written by `renderReport` (null when there is none). */
export function reportData(html: string): UiSnapshot | null {
  const m = /<script type="application\/json" id="leastpriv-data">([^<]*)<\/script>/.exec(html);
  return m?.[1] === undefined ? null : (JSON.parse(m[1]) as UiSnapshot);
}
