// Headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: fd 3 in, fd 4 out, one JSON message per NUL).
// A pipe, not a port: the browser runs inside the test's network namespace,
// where its debugging port would be out of the test's reach, and nothing
// listens anywhere. No client library and no browser download: Debian's chromium.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | undefined {
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

interface Pending { resolve(v: unknown): void; reject(e: Error): void; method: string }

export interface Browser {
  /** A new tab at `url`, attached (flat sessions). */
  open(url: string): Promise<Page>;
  close(): Promise<void>;
  /** Chromium's stderr so far (for failure messages). */
  stderr(): string;
}

export interface Page {
  /** Runs `expression` in the page (awaiting a promise) and returns its JSON value. */
  eval<T = unknown>(expression: string): Promise<T>;
  send(method: string, params?: Record<string, unknown>): Promise<unknown>;
  /** Presses one key (Tab, Enter, Escape…), with Shift when asked. */
  key(key: 'Tab' | 'Enter' | 'Escape' | ' ', shift?: boolean): Promise<void>;
  /** Types text into the focused element as a keyboard would (input events). */
  type(text: string): Promise<void>;
  screenshot(): Promise<Buffer>;
  /** Runs `expression` in the DOM of the first frame whose URL contains `urlPart` (an isolated world: its DOM, not its globals); null while there is none. */
  frameEval<T = unknown>(urlPart: string, expression: string): Promise<T | null>;
  /** console messages and exceptions the page reported. */
  console: string[];
}

const KEYS = {
  'Tab': { code: 'Tab', keyCode: 9, text: '' },
  'Enter': { code: 'Enter', keyCode: 13, text: '\r' },
  'Escape': { code: 'Escape', keyCode: 27, text: '' },
  ' ': { code: 'Space', keyCode: 32, text: ' ' },
} as const;

/** @param wrap the argv prefix that puts the browser where it must run (`ip netns exec NS`). */
export function launchChromium(chromium: string, wrap: string[] = []): Browser {
  const profile = mkdtempSync(join(tmpdir(), 'fnt-chromium-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
    '--disable-extensions', '--disable-background-networking', '--disable-sync', '--mute-audio',
    '--remote-debugging-pipe', '--window-size=1280,900', `--user-data-dir=${profile}`, 'about:blank'];
  const argv = [...wrap, chromium, ...args];
  const proc: ChildProcess = spawn(argv[0] ?? chromium, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  const toBrowser = proc.stdio[3] as Writable;
  const fromBrowser = proc.stdio[4] as Readable;
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => { err = (err + b.toString()).slice(-20_000); });
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, (params: Record<string, unknown>) => void>();
  let buf = Buffer.alloc(0);
  fromBrowser.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (let nul = buf.indexOf(0); nul >= 0; nul = buf.indexOf(0)) {
      const msg = JSON.parse(buf.subarray(0, nul).toString('utf8')) as {
        id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string;
      };
      buf = buf.subarray(nul + 1);
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p?.resolve(msg.result);
      } else if (msg.method !== undefined) {
        listeners.get(`${msg.sessionId ?? ''}:${msg.method}`)?.(msg.params ?? {});
      }
    }
  });
  const exited = new Promise<void>((res) => proc.once('exit', () => {
    for (const p of pending.values()) p.reject(new Error(`chromium exited while waiting for ${p.method}; stderr:\n${err}`));
    pending.clear();
    res();
  }));
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<unknown> => {
    const id = nextId++;
    const msg = JSON.stringify(sessionId === undefined ? { id, method, params } : { id, method, params, sessionId });
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, method });
      toBrowser.write(`${msg}\0`);
    });
  };
  return {
    stderr: () => err,
    async open(url) {
      const { targetId } = await send('Target.createTarget', { url: 'about:blank' }) as { targetId: string };
      const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true }) as { sessionId: string };
      const s = (method: string, params?: Record<string, unknown>): Promise<unknown> => send(method, params, sessionId);
      const consoleLines: string[] = [];
      listeners.set(`${sessionId}:Runtime.consoleAPICalled`, (p) => {
        const args = (p['args'] as { value?: unknown; description?: string }[] | undefined) ?? [];
        consoleLines.push(`${String(p['type'])}: ${args.map((a) => String(a.value ?? a.description ?? '')).join(' ')}`);
      });
      listeners.set(`${sessionId}:Runtime.exceptionThrown`, (p) => {
        const d = p['exceptionDetails'] as { text?: string; exception?: { description?: string } } | undefined;
        consoleLines.push(`exception: ${d?.exception?.description ?? d?.text ?? ''}`);
      });
      await s('Runtime.enable');
      await s('Page.enable');
      const loaded = new Promise<void>((res) => listeners.set(`${sessionId}:Page.loadEventFired`, () => res()));
      await s('Page.navigate', { url });
      await loaded;
      const page: Page = {
        console: consoleLines,
        send: s,
        async eval<T>(expression: string): Promise<T> {
          const r = await s('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }) as {
            result: { value?: unknown }; exceptionDetails?: { text?: string; exception?: { description?: string } };
          };
          if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text ?? ''}`);
          return r.result.value as T;
        },
        async key(key, shift = false) {
          const k = KEYS[key];
          const base = { key, code: k.code, windowsVirtualKeyCode: k.keyCode, nativeVirtualKeyCode: k.keyCode, modifiers: shift ? 8 : 0 };
          await s('Input.dispatchKeyEvent', { type: k.text === '' ? 'rawKeyDown' : 'keyDown', ...base, ...(k.text ? { text: k.text } : {}) });
          await s('Input.dispatchKeyEvent', { type: 'keyUp', ...base });
        },
        async type(text) {
          await s('Input.insertText', { text });
        },
        async frameEval<T>(urlPart: string, expression: string): Promise<T | null> {
          interface Tree { frame: { id: string; url: string }; childFrames?: Tree[] }
          const { frameTree } = await s('Page.getFrameTree') as { frameTree: Tree };
          const find = (t: Tree): Tree | undefined => (t.frame.url.includes(urlPart) ? t : (t.childFrames ?? []).map(find).find((x) => x));
          const hit = find(frameTree);
          if (hit === undefined) return null;
          const { executionContextId } = await s('Page.createIsolatedWorld', { frameId: hit.frame.id, worldName: 'fnt-test' }) as { executionContextId: number };
          const r = await s('Runtime.evaluate', { expression, contextId: executionContextId, awaitPromise: true, returnByValue: true }) as {
            result: { value?: unknown }; exceptionDetails?: { text?: string };
          };
          if (r.exceptionDetails) throw new Error(`in the frame: ${r.exceptionDetails.text ?? ''}`);
          return r.result.value as T;
        },
        async screenshot() {
          const { data } = await s('Page.captureScreenshot', { format: 'png' }) as { data: string };
          return Buffer.from(data, 'base64');
        },
      };
      return page;
    },
    async close() {
      if (proc.exitCode !== null) {
        rmSync(profile, { recursive: true, force: true });
        return;
      }
      send('Browser.close').catch(() => undefined);
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
