// A NOTIFY_SOCKET the test owns, as systemd would: a unix datagram socket.
// Node has no AF_UNIX datagrams, so a tiny python3 process binds it and
// prints each datagram as one JSON line.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The reader: binds argv[1], prints "BOUND", then each datagram, as JSON lines. */
export const NOTIFY_READER_PY = `
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
if sys.argv[1].startswith("@"):
    s.bind("\\0" + sys.argv[1][1:])
else:
    s.bind(sys.argv[1])
    os.chmod(sys.argv[1], 0o777)
print(json.dumps("BOUND"), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
`;

export interface NotifySocket {
  path: string;
  /** Every datagram received so far, in order. */
  messages: string[];
  /** Resolves with the first datagram containing `needle` (e.g. `READY=1`). */
  waitFor(needle: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** `abstract`: an address in the abstract namespace (`@name`), as systemd may give. */
export async function openNotifySocket(o: { abstract?: boolean } = {}): Promise<NotifySocket> {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-notify-'));
  const path = o.abstract === true ? `@fnt-${process.pid}-notify-${dir.slice(-6)}` : join(dir, 'notify.sock');
  const proc: ChildProcess = spawn('python3', ['-c', NOTIFY_READER_PY, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  const waiters: { needle: string; resolve: (m: string) => void }[] = [];
  let bound: () => void = () => undefined;
  const isBound = new Promise<void>((res) => { bound = res; });
  if (proc.stdout === null) throw new Error('no stdout from the notify socket reader');
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const msg: unknown = JSON.parse(line);
    if (msg === 'BOUND') { bound(); return; }
    if (typeof msg !== 'string') return;
    messages.push(msg);
    for (const w of waiters.splice(0)) {
      if (msg.includes(w.needle)) w.resolve(msg);
      else waiters.push(w);
    }
  });
  await isBound;
  return {
    path,
    messages,
    waitFor(needle, timeoutMs = 20_000) {
      const seen = messages.find((m) => m.includes(needle));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${needle} on NOTIFY_SOCKET within ${timeoutMs} ms; got: ${JSON.stringify(messages)}`)), timeoutMs);
        waiters.push({ needle, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      });
    },
    close() {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
