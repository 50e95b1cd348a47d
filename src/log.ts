// One readable line per event. Under systemd (JOURNAL_STREAM set) each line
// carries a syslog priority prefix (`<6>`) so journalctl shows the right level.

export type Level = 'debug' | 'info' | 'notice' | 'warning' | 'error';

const PRIORITY: Record<Level, number> = { debug: 7, info: 6, notice: 5, warning: 4, error: 3 };

export interface Logger {
  /** false when debug() writes nothing: a caller with a line per op or per
   *  link (hundreds on a first run) need not make them. Absent = it may. */
  readonly debugging?: boolean;
  debug(msg: string): void;
  info(msg: string): void;
  notice(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
}

export interface LoggerOptions {
  /** Prefix lines with `<N>` for the journal. */
  journal: boolean;
  /** Lowest level written. */
  level: Level;
  write: (line: string) => void;
}

export function createLogger(opts: LoggerOptions): Logger {
  const min = PRIORITY[opts.level];
  const emit = (level: Level) => (msg: string): void => {
    const p = PRIORITY[level];
    if (p > min) return;
    for (const line of msg.split('\n')) opts.write(opts.journal ? `<${p}>${line}` : line);
  };
  return {
    debugging: PRIORITY.debug <= min,
    debug: emit('debug'), info: emit('info'), notice: emit('notice'), warning: emit('warning'), error: emit('error'),
  };
}

export const silentLogger: Logger = createLogger({ journal: false, level: 'error', write: () => undefined });

/** What guardStream() needs of a stream (process.stdout/stderr). */
export interface GuardableStream {
  write(chunk: string): boolean;
  on(event: 'error', listener: (e: Error) => void): unknown;
  readonly destroyed: boolean;
}

/**
 * Makes writing to `stream` harmless whatever becomes of it, and returns a
 * writer of lines. A stream's failure (EPIPE: the reader went away, as
 * journald can; ENOSPC: stderr is a file on a full disk) is an 'error' event,
 * and an 'error' event nobody listens to ends the process: the daemon died
 * mid-heal over a log line. Once the stream has failed, lines are dropped
 * (Node destroys a stream after its first error); the links, D-Bus and
 * sd_notify STATUS= carry on without it.
 */
export function guardStream(stream: GuardableStream): (line: string) => void {
  let broken = false;
  stream.on('error', () => { broken = true; });
  return (line) => {
    if (broken || stream.destroyed) return;
    try {
      stream.write(line + '\n');
    } catch {
      broken = true; // a write on a stream already torn down throws on some Node versions
    }
  };
}
