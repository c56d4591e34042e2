import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * Runs the user's command with its own stdin, stdout and stderr, forwarding signals, and
 * resolves with its exit status (128+N when a signal ended it; 127 when it does not exist).
 * Signals are caught from before the command starts until `release()`: call it once the
 * outputs are written, so that no signal ends leastpriv before it has written them.
 */
export function runChild(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess | null; status: Promise<number>; release: () => void } {
  let child: ChildProcess | null = null;
  const forward = (signal: NodeJS.Signals) => {
    // A terminal already delivers Ctrl-C to the whole foreground group; forwarding it
    // again would make programs like Terraform see a second, forceful interrupt.
    if (signal === 'SIGINT' && process.stdin.isTTY) return;
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  const release = () => {
    for (const s of signals) process.off(s, forward);
  };
  const cannotRun = (err: NodeJS.ErrnoException): number => {
    process.stderr.write(
      err.code === 'ENOENT'
        ? `leastpriv: command not found: ${file}; check the name and PATH\n`
        : `leastpriv: cannot run ${file}: ${err.message}\n`,
    );
    return err.code === 'ENOENT' ? 127 : 126;
  };
  try {
    child = spawn(file, args, { stdio: 'inherit', env });
  } catch (err) {
    return { child: null, status: Promise.resolve(cannotRun(err as NodeJS.ErrnoException)), release };
  }
  const started = child;
  const status = new Promise<number>((resolve) => {
    started.on('error', (err: NodeJS.ErrnoException) => resolve(cannotRun(err)));
    started.on('exit', (code, signal) =>
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1)),
    );
  });
  return { child: started, status, release };
}

/** Asks the command to stop, and ends it if it has not within three seconds. */
export function stopChild(child: ChildProcess): void {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}
