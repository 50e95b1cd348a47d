// HTTP/1.1 over the engine's unix socket, with Node's own `http` (socketPath):
// the Engine API needs nothing more than JSON requests and one streamed
// response (/events), so no client library is taken on. This adapter knows
// no Engine API shapes; client.ts does.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { errnoOf } from '../errors.js';

export interface HttpAnswer {
  status: number;
  /** The body parsed as JSON, or the text when it is not JSON ('' for none). */
  body: unknown;
  headers: Record<string, string>;
}

export interface HttpStream {
  /** Ends the stream from our side; onEnd is not called for it. */
  close(): void;
}

export interface Transport {
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer>;
  /** A streamed GET: onLine per JSON line, onEnd once when the engine ends or breaks it. */
  stream(path: string, onLine: (value: unknown) => void, onEnd: (why: string) => void): Promise<HttpStream>;
}

export class TransportError extends Error {
  /** 'timeout' | 'refused' | 'missing' | 'io' */
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.name = 'TransportError';
    this.kind = kind;
  }
}

function transportError(e: unknown, socketPath: string): TransportError {
  const code = errnoOf(e);
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'ENOENT') return new TransportError('missing', `${socketPath}: no such socket`);
  if (code === 'ECONNREFUSED' || code === 'EACCES' || code === 'EPERM') return new TransportError('refused', `${socketPath}: ${msg}`);
  return new TransportError('io', `${socketPath}: ${msg}`);
}

function parseBody(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function headersOf(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') out[k] = v;
  return out;
}

export interface UnixHttpOptions {
  socketPath: string;
  /** A request (not a stream) that has not answered within this is abandoned. */
  timeoutMs: number;
}

export class UnixHttp implements Transport {
  private readonly o: UnixHttpOptions;
  constructor(o: UnixHttpOptions) {
    this.o = o;
  }

  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        socketPath: this.o.socketPath,
        method,
        path,
        // No keep-alive agent: a pooled idle socket is a file descriptor held
        // for nothing between the rare calls we make.
        agent: false,
        headers: {
          Host: 'docker',
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks).toString('utf8')), headers: headersOf(res) });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(transportError(e, this.o.socketPath));
        });
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new TransportError('timeout', `${this.o.socketPath}: ${method} ${path}: no answer within ${this.o.timeoutMs} ms`));
      }, this.o.timeoutMs);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(transportError(e, this.o.socketPath));
      });
      req.end(payload);
    });
  }

  stream(path: string, onLine: (value: unknown) => void, onEnd: (why: string) => void): Promise<HttpStream> {
    return new Promise((resolve, reject) => {
      let closedByUs = false;
      let ended = false;
      const end = (why: string): void => {
        if (ended || closedByUs) return;
        ended = true;
        onEnd(why);
      };
      const req = httpRequest({ socketPath: this.o.socketPath, method: 'GET', path, agent: false, headers: { Host: 'docker' } }, (res) => {
        clearTimeout(timer);
        if ((res.statusCode ?? 0) !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new TransportError('io', `GET ${path}: HTTP ${res.statusCode ?? 0}: ${engineMessage(parseBody(Buffer.concat(chunks).toString('utf8')))}`)));
          return;
        }
        resolve({ close: () => { closedByUs = true; req.destroy(); } });
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line === '') continue;
            try {
              onLine(JSON.parse(line) as unknown);
            } catch {
              // A line that is not JSON is not an event; the stream goes on.
            }
          }
        });
        res.on('end', () => end('the engine ended the event stream'));
        res.on('close', () => end('the event stream closed'));
        res.on('error', (e) => end(`the event stream broke: ${e.message}`));
      });
      // Only the answer's head is timed: the stream itself may rightly stay
      // silent for days.
      const timer = setTimeout(() => {
        req.destroy();
        reject(new TransportError('timeout', `${this.o.socketPath}: GET ${path}: no answer within ${this.o.timeoutMs} ms`));
      }, this.o.timeoutMs);
      req.on('error', (e) => {
        clearTimeout(timer);
        const err = transportError(e, this.o.socketPath);
        reject(err);
        end(err.message);
      });
      req.end();
    });
  }
}

/** The engine's own words from an error body (`{"message": "..."}`), or the text. */
export function engineMessage(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') return body.message;
  if (typeof body === 'string') return body.trim() || '(empty answer)';
  return JSON.stringify(body);
}
