import type { Session } from '../index.js';
import { renderPolicy } from '../output/policy.js';

/** Shows the policy on the terminal as it grows, redrawn in place at most twice a second. */
export class LivePolicy {
  private timer: NodeJS.Timeout | null = null;
  private shown = -1;
  private lines = 0;

  constructor(
    private readonly session: Session,
    private readonly out: NodeJS.WriteStream,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.draw(), 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private draw(): void {
    if (this.session.revision === this.shown) return;
    this.shown = this.session.revision;
    const rows = this.out.rows ?? 40;
    const body = renderPolicy(this.session.policy().documents, 'json').trimEnd().split('\n');
    const room = Math.max(5, rows - 4);
    const shown =
      body.length > room ? [...body.slice(0, room - 1), `  … ${body.length - room + 1} more lines`] : body;
    const header = `── policy so far: ${this.session.callCount} calls ──`;
    const text = [header, ...shown];
    const clear = this.lines > 0 ? `\x1b[${this.lines}A\x1b[0J` : '';
    this.out.write(`${clear}${text.join('\n')}\n`);
    this.lines = text.length;
  }
}
