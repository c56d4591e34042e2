import type { Session } from '../index.js';
import { renderPolicy } from '../output/policy.js';

/**
 * Shows the policy on the terminal as it grows, redrawn in place at most twice a second.
 * Lines are cut to the terminal's width (a wrapped line would take rows the redraw does not
 * erase), and other messages go through `log`, which prints them above the view and redraws it,
 * so that a redraw never erases them.
 */
export class LivePolicy {
  private timer: NodeJS.Timeout | null = null;
  private shown = -1;
  /** Rows the last drawing took (each line is cut to fit one row). */
  private lines = 0;

  constructor(
    private readonly session: Session,
    private readonly out: NodeJS.WriteStream,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.draw(), 500);
    this.timer.unref();
  }

  /** Stops redrawing; the last drawing stays on the screen, and what follows goes below it. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Prints a message above the view; the view is drawn again below it. */
  log(text: string): void {
    this.out.write(`${this.erase()}${text.endsWith('\n') ? text : `${text}\n`}`);
    this.lines = 0;
    if (this.shown !== -1) this.draw(true);
  }

  private erase(): string {
    return this.lines > 0 ? `\r\x1b[${this.lines}A\x1b[0J` : '';
  }

  private draw(force = false): void {
    if (!force && this.session.revision === this.shown) return;
    this.shown = this.session.revision;
    const rows = this.out.rows ?? 40;
    const columns = this.out.columns ?? 80;
    const body = renderPolicy(this.session.policy().documents, 'json').trimEnd().split('\n');
    const room = Math.max(5, rows - 4);
    const shown =
      body.length > room ? [...body.slice(0, room - 1), `  … ${body.length - room + 1} more lines`] : body;
    const header = `── policy so far: ${this.session.callCount} calls ──`;
    const text = [header, ...shown].map((line) => fit(line, columns));
    this.out.write(`${this.erase()}${text.join('\n')}\n`);
    this.lines = text.length;
  }
}

/** A line cut to fit one row of `columns` (the last column stays free: some terminals wrap there). */
function fit(line: string, columns: number): string {
  const width = Math.max(10, columns - 1);
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}
