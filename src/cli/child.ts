import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * Runs the user's command with its own stdin, stdout and stderr, forwarding signals, and
 * resolves with its exit status (128+N when a signal ended it; 127 when it does not exist).
 */
export function runChild(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; status: Promise<number> } {
  // Signal handlers first: a signal that arrives while the command starts is forwarded once it
  // has, never left to end leastpriv before it writes anything.
  let child: ChildProcess | null = null;
  const forward = (signal: NodeJS.Signals) => {
    // A terminal already delivers Ctrl-C to the whole foreground group; forwarding it
    // again would make programs like Terraform see a second, forceful interrupt.
    if (signal === 'SIGINT' && process.stdin.isTTY) return;
    child?.kill(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  const started = spawn(file, args, { stdio: 'inherit', env });
  child = started;
  const status = new Promise<number>((resolve) => {
    const done = (code: number) => {
      for (const s of signals) process.off(s, forward);
      resolve(code);
    };
    started.on('error', (err: NodeJS.ErrnoException) => {
      process.stderr.write(
        err.code === 'ENOENT'
          ? `leastpriv: command not found: ${file}; check the name and PATH\n`
          : `leastpriv: cannot run ${file}: ${err.message}\n`,
      );
      done(err.code === 'ENOENT' ? 127 : 126);
    });
    started.on('exit', (code, signal) => done(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1)));
  });
  return { child: started, status };
}

/** Asks the command to stop, and ends it if it has not within three seconds. */
export function stopChild(child: ChildProcess): void {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}
