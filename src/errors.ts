// One error type for the whole daemon: a code a program can switch on, a place
// a person can go to, and a message that says what is wrong there.

export type ErrorCode =
  | 'syntax'          // a line of a drop-in that is not [Section], Key=Value or a comment
  | 'unknown-key'     // a key or section we do not know (warning, ignored)
  | 'invalid-value'   // a value that does not parse or is out of range
  | 'missing-key'     // a required key is absent
  | 'duplicate'       // two drop-ins claim the same network, shim name or parent+VLAN
  | 'conflict'        // a link we would make exists and is not ours
  | 'unreadable'      // a drop-in that cannot be read (permissions, binary, too large)
  | 'parent-missing'  // flatnetctl check --kernel: the parent is not on this machine (the daemon waits instead)
  | 'kernel'          // the kernel refused an operation (why, as a code: kernel/failure.ts)
  | 'unsupported'     // the kernel or parent cannot do what is asked (wifi+macvlan, no ipvlan)
  | 'address-in-use'  // another host on the LAN answers for a shim's address (ARP probe)
  | 'not-found'       // no network by that name
  | 'engine'          // the container engine's network differs from the drop-in
  | 'internal';

/**
 * A note is advice about a valid drop-in (the shim's address needs Docker's
 * --aux-address): `flatnetctl check` shows it; the daemon neither logs nor
 * publishes it, so a correct drop-in never shows up as a warning in status.
 */
export type Severity = 'error' | 'warning' | 'note';

/** Where a fact came from: a drop-in line, or a kernel object. */
export interface Place {
  file?: string;
  line?: number;
  key?: string;
  value?: string;
  /** e.g. a link name when the place is in the kernel rather than in a file */
  object?: string;
}

export interface Diagnostic extends Place {
  severity: Severity;
  code: ErrorCode;
  message: string;
  /** The network this diagnostic belongs to, when known. */
  network?: string;
}

/** `/etc/flatnet.d/10-lan.conf:7: VLAN=5000: must be 1..4094` */
export function formatDiagnostic(d: Diagnostic): string {
  let head = '';
  if (d.file !== undefined) head = d.line !== undefined ? `${d.file}:${d.line}: ` : `${d.file}: `;
  else if (d.object !== undefined) head = `${d.object}: `;
  const kv = d.key !== undefined ? `${d.key}=${d.value ?? ''}: ` : '';
  return `${head}${kv}${d.message}`;
}

export class FlatnetError extends Error {
  readonly code: ErrorCode;
  readonly place: Place;
  constructor(code: ErrorCode, message: string, place: Place = {}) {
    super(message);
    this.name = 'FlatnetError';
    this.code = code;
    this.place = place;
  }
  toDiagnostic(severity: Severity = 'error', network?: string): Diagnostic {
    const d: Diagnostic = { severity, code: this.code, message: this.message, ...this.place };
    if (network !== undefined) d.network = network;
    return d;
  }
}

export function isFlatnetError(e: unknown): e is FlatnetError {
  return e instanceof FlatnetError;
}

/** A message for any thrown value, without a stack. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The errno name of a failed system call (`ENOENT`), or '' when the value carries none. */
export function errnoOf(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : '';
}
