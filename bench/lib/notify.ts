// A NOTIFY_SOCKET the bench owns, as systemd would (same python3 reader as
// test/support/notify-socket.ts: Node has no unix datagram sockets), with the
// time each datagram arrived so READY=1 can be timed against the spawn.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { track, trackDir } from './netns.js';
import { which } from './sh.js';
import { NOTIFY_READER_PY } from '../../test/support/notify-socket.js';


export interface Datagram { t: number; text: string }

export class NotifySocket {
  readonly messages: Datagram[] = [];
  private waiters: { from: number; needle: string; resolve: (d: Datagram) => void }[] = [];

  private constructor(readonly path: string, private readonly dir: string, private readonly proc: ChildProcess) {}

  static async open(): Promise<NotifySocket> {
    const dir = trackDir(mkdtempSync(join(tmpdir(), 'fnb-notify-')));
    const path = join(dir, 'notify.sock');
    const py = which('python3');
    const proc = track(spawn(py, ['-c', NOTIFY_READER_PY, path], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const sock = new NotifySocket(path, dir, proc);
    if (proc.stdout === null) throw new Error('notify socket reader: no stdout');
    let bound: () => void = () => undefined;
    const isBound = new Promise<void>((res) => { bound = res; });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const t = performance.now();
      const msg: unknown = JSON.parse(line);
      if (msg === 'BOUND') { bound(); return; }
      if (typeof msg !== 'string') return;
      const d = { t, text: msg };
      sock.messages.push(d);
      const still: typeof sock.waiters = [];
      for (const w of sock.waiters) {
        if (msg.includes(w.needle)) w.resolve(d);
        else still.push(w);
      }
      sock.waiters = still;
    });
    await Promise.race([isBound, new Promise((_, rej) => setTimeout(() => rej(new Error(`python3 never bound ${path}`)), 10_000))]);
    return sock;
  }

  mark(): number {
    return this.messages.length;
  }

  /** The first datagram at index ≥ from containing needle, seen already or to come. */
  waitFor(needle: string, from = 0, timeoutMs = 30_000): Promise<Datagram> {
    for (let i = from; i < this.messages.length; i++) {
      const d = this.messages[i];
      if (d !== undefined && d.text.includes(needle)) return Promise.resolve(d);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${needle} on NOTIFY_SOCKET within ${timeoutMs} ms; got: ${JSON.stringify(this.messages.slice(from).map((m) => m.text))}`));
      }, timeoutMs);
      const waiter = { from, needle, resolve: (d: Datagram) => { clearTimeout(timer); resolve(d); } };
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.proc.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
