// Why the kernel (or ip itself) refused an operation, as a code. iproute2's
// words are read here and nowhere else: the loop, the event-fed view and the
// fake kernel speak codes. test/fixtures/kernel/ip-failures.txt holds the
// real answers each rule is for (capture-failures.sh re-records them).

export type KernelFailureCode =
  /** The link an op names is not there (deleted, renamed, moved): the view was stale. */
  | 'gone'
  /** The address or route an op names is not on its link. */
  | 'absent'
  /** What an op would make is already there (a link's name, an address). */
  | 'exists'
  /** Held by something else: a MAC an up sibling uses, a lower device taken by another driver. */
  | 'busy'
  /** The link a route needs is down. */
  | 'down'
  /** The kernel is short of memory or buffers, or asks to try again. */
  | 'resources'
  /** Not allowed for this process (no CAP_NET_ADMIN, a security module). */
  | 'permission'
  /** This kernel cannot do it (a link kind it was built without, an operation the driver lacks). */
  | 'unsupported'
  /** The request itself is wrong for this kernel (an MTU above the parent's, a value out of range). */
  | 'refused'
  /** Words no rule knows. */
  | 'unknown';

export interface KernelFailure {
  code: KernelFailureCode;
  /** Whether a later reconcile may succeed with no change by a person. */
  retry: boolean;
  /** The kernel's words, for people. */
  message: string;
}

const RETRY: Readonly<Record<KernelFailureCode, boolean>> = {
  gone: true, absent: true, exists: true, busy: true, down: true, resources: true, unknown: true,
  permission: false, unsupported: false, refused: false,
};

/** First match wins. Each row names the errno or extack text it reads. */
const RULES: readonly (readonly [RegExp, KernelFailureCode])[] = [
  // ip's own name lookup (`Cannot find device "x"`, `Device "x" does not exist.`), ENODEV
  [/Cannot find device|does not exist|No such device/, 'gone'],
  // EADDRNOTAVAIL; extack "Error: ipv4: Address not found." / "Error: ipv6: address not found."; ESRCH (a route)
  [/Cannot assign requested address|address not found|No such process/i, 'absent'],
  // EEXIST; extack "Error: ipv4: Address already assigned."
  [/File exists|already assigned/, 'exists'],
  // EBUSY; EADDRINUSE (a macvlan's MAC that an up sibling has: drivers/net/macvlan.c)
  [/Device or resource busy|Address already in use/, 'busy'],
  // ENETDOWN; extack "Error: Device for nexthop is not up."
  [/Network is down|is not up/, 'down'],
  // EAGAIN, ENOBUFS, ENOMEM
  [/Resource temporarily unavailable|No buffer space available|Cannot allocate memory/, 'resources'],
  // EPERM, EACCES
  [/Operation not permitted|Permission denied/, 'permission'],
  // EOPNOTSUPP; extack "Error: Unknown device type." (no such module)
  [/Operation not supported|Unknown device type/, 'unsupported'],
  // EINVAL, ERANGE
  [/Invalid argument|Numerical result out of range/, 'refused'],
];

/** The code for ip's words about one failed command. */
export function classifyIpFailure(message: string): KernelFailureCode {
  for (const [re, code] of RULES) if (re.test(message)) return code;
  return 'unknown';
}

/** A failure with a known code and the words to show. */
export function kernelFailure(code: KernelFailureCode, message: string): KernelFailure {
  return { code, retry: RETRY[code], message };
}

/** ip's words, classified. */
export function ipFailure(message: string): KernelFailure {
  return kernelFailure(classifyIpFailure(message), message);
}

/** A delete that found nothing to delete got what it wanted. */
export function alreadyGone(code: KernelFailureCode): boolean {
  return code === 'gone' || code === 'absent';
}
