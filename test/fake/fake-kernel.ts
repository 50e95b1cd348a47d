// A Kernel that behaves like Linux for everything flatnetd does (the rules
// are in fake-net.ts), so the planner and the reconcile loop are tested
// without root. Tests act as "another process" through the helpers below
// (a DHCP client, an admin with `ip`, Docker, a replugged USB NIC); those
// changes emit events but do not count as writes.

import type { ApplyResult, Kernel, KernelEvent } from '../../src/kernel/kernel.js';
import { kindOf } from '../../src/kinds/registry.js';
import type { Observed } from '../../src/model/observed.js';
import { kernelFailure, type KernelFailureCode } from '../../src/kernel/failure.js';
import { ROUTE_PROTO } from '../../src/model/ownership.js';
import { dispatchOp, type Op } from '../../src/plan/ops.js';
import { FakeNet, KernelRefusal, type Change, type FakeLink, type LinkSpec, type RouteSpec } from './fake-net.js';

export { KernelRefusal, type LinkSpec, type RouteSpec } from './fake-net.js';

export interface FakeKernelOptions {
  /** Fail the k-th op applied from now on (1-based), once. */
  failAtOp?: number;
  /** The code of the injected failure (default `resources`, as EAGAIN would be). */
  failCode?: KernelFailureCode;
}

export class FakeKernel implements Kernel {
  readonly net: FakeNet;
  /** Every op the kernel accepted, in order. */
  readonly applied: Op[] = [];
  private listeners = new Set<(e: KernelEvent) => void>();
  private failIn: number | null = null;
  private failCode: KernelFailureCode = 'resources';
  private opCount = 0;

  constructor(options: FakeKernelOptions = {}) {
    this.net = new FakeNet((what, text) => this.emit(what, text));
    if (options.failAtOp !== undefined) this.failNext(options.failAtOp, options.failCode);
  }

  get writes(): number {
    return this.applied.length;
  }

  /** Ops attempted so far (accepted or refused). */
  get attempts(): number {
    return this.opCount;
  }

  /** Make the k-th op applied from now (1-based) fail, once, with `code`. */
  failNext(k: number, code: KernelFailureCode = 'resources'): void {
    this.failIn = k;
    this.failCode = code;
  }

  async observe(): Promise<Observed> {
    return structuredClone({
      links: [...this.net.links.values()].sort((a, b) => a.ifindex - b.ifindex).map((l) => this.net.observedLink(l)),
      addresses: this.net.addresses,
      routes: this.net.routes,
    });
  }

  async apply(ops: readonly Op[]): Promise<ApplyResult> {
    for (const [index, op] of ops.entries()) {
      this.opCount++;
      try {
        if (this.failIn !== null && --this.failIn === 0) {
          this.failIn = null;
          throw new KernelRefusal(this.failCode, 'injected');
        }
        this.applyOne(op);
      } catch (e) {
        if (!(e instanceof KernelRefusal)) throw e;
        return { applied: index, failed: { index, op, ...kernelFailure(e.code, e.message) } };
      }
      this.applied.push(op);
    }
    return { applied: ops.length };
  }

  subscribe(onEvent: (e: KernelEvent) => void): () => void {
    this.listeners.add(onEvent);
    return () => { this.listeners.delete(onEvent); };
  }

  private emit(what: Change, text: string): void {
    // Delivered later, like netlink multicast: never inside the change itself.
    for (const l of this.listeners) queueMicrotask(() => l({ what, text }));
  }

  private applyOne(op: Op): void {
    const net = this.net;
    dispatchOp<void>(op, {
      'link-add': ({ link }) => {
        net.addLink({
          name: link.name, kind: link.kind, parent: link.parent, ...kindOf(link).attrs(link),
          mtu: link.mtu, mac: link.mac, alias: link.alias,
        });
      },
      'link-set': ({ name, changes }) => {
        const l = net.need(name);
        if (changes.mtu !== undefined) net.setMtu(l, changes.mtu);
        if (changes.mac !== undefined) net.setMac(l, changes.mac);
        if (changes.promisc !== undefined) this.setFlag(l, 'promisc', changes.promisc);
        if (changes.alias !== undefined) this.setFlag(l, 'alias', changes.alias);
        if (changes.up !== undefined) net.setUp(l, changes.up);
      },
      'link-del': ({ name }) => net.deleteLink(net.need(name)),
      'addr-add': ({ dev, cidr }) => net.addAddress(net.need(dev), cidr),
      'addr-del': ({ dev, cidr }) => net.deleteAddress(net.need(dev), cidr),
      // As the iproute2 backend writes them: always with our protocol.
      'route-add': ({ route }) => net.addRoute({ dst: route.dst, dev: route.dev, metric: route.metric, proto: ROUTE_PROTO }),
      'route-del': ({ route }) => net.deleteRoute({ dst: route.dst, dev: route.dev, metric: route.metric, proto: ROUTE_PROTO }),
    });
  }

  private setFlag(l: FakeLink, what: 'promisc' | 'alias', value: boolean | string): void {
    if (what === 'promisc' && typeof value === 'boolean') l.promisc = value;
    if (what === 'alias' && typeof value === 'string') l.alias = value === '' ? null : value;
    this.net.emitLink(l, `${what} ${String(value)}`);
  }

  // ---- "another process" ----

  /** A NIC, veth end or any link someone else made (give `alias` to fake one of ours). */
  addForeignLink(spec: LinkSpec): number {
    return this.net.addLink({ up: true, ...spec }).ifindex;
  }

  /** A physical NIC, up with carrier. */
  addNic(name: string, over: Partial<LinkSpec> = {}): number {
    return this.addForeignLink({ name, kind: null, mtu: 1500, ...over });
  }

  deleteLink(name: string): void { this.net.deleteLink(this.net.need(name)); }
  setCarrier(name: string, on: boolean): void {
    const l = this.net.need(name);
    l.wire = on;
    this.net.emitLink(l, on ? 'carrier on' : 'NO-CARRIER');
  }
  setUp(name: string, up: boolean): void { this.net.setUp(this.net.need(name), up); }
  setMtu(name: string, mtu: number): void { this.net.setMtu(this.net.need(name), mtu); }
  setMac(name: string, mac: string): void { this.net.setMac(this.net.need(name), mac); }
  setPromisc(name: string, on: boolean): void { this.setFlag(this.net.need(name), 'promisc', on); }
  setAlias(name: string, alias: string | null): void { this.setFlag(this.net.need(name), 'alias', alias ?? ''); }
  /** Renames need the link down, as in Linux 6.1 (`busy` otherwise). */
  renameLink(from: string, to: string): void { this.net.rename(this.net.need(from), to); }
  /** `metric` is that of the prefix route the kernel adds (networkd's DHCP: 1024). */
  addAddress(name: string, cidr: string, opts: { dynamic?: boolean; metric?: number } = {}): void {
    this.net.addAddress(this.net.need(name), cidr, opts.dynamic ?? false, opts.metric);
  }
  removeAddress(name: string, cidr: string): void { this.net.deleteAddress(this.net.need(name), cidr); }
  flushAddresses(name: string): void {
    const l = this.net.need(name);
    for (const a of this.net.addresses.filter((x) => x.ifindex === l.ifindex)) this.net.deleteAddress(l, a.cidr);
  }
  /** A route of someone else's (default `proto boot`, as `ip route add` makes). */
  addRoute(spec: RouteSpec): void { this.net.addRoute({ proto: 3, ...spec }); }
  removeRoute(spec: RouteSpec): void { this.net.deleteRoute(spec); }

  // ---- looking ----

  link(name: string): FakeLink | undefined { return this.net.find(name); }
  ifindex(name: string): number | undefined { return this.net.find(name)?.ifindex; }
  addressesOf(name: string): string[] {
    const l = this.net.find(name);
    return l === undefined ? [] : this.net.addresses.filter((a) => a.ifindex === l.ifindex).map((a) => a.cidr);
  }
  /** `ip route get`: the device (and route) a packet to `ip` leaves by. */
  routeGet(ip: string): { dev: string; dst: string; metric: number; proto: number } | null {
    const r = this.net.routeGet(ip);
    return r === null ? null : { dev: this.net.links.get(r.ifindex)?.name ?? '?', dst: r.dst, metric: r.metric, proto: r.proto };
  }

  /** The whole state as `ip`-like lines, for test failure messages. */
  dump(): string {
    const net = this.net;
    const out: string[] = [];
    const links = [...net.links.values()].sort((a, b) => a.ifindex - b.ifindex);
    for (const l of links) {
      const p = net.parentOf(l);
      const flags = [l.up ? 'UP' : null, net.carrier(l) ? 'LOWER_UP' : null, l.promisc ? 'PROMISC' : null].filter((f) => f !== null);
      const kind = l.kind === null ? '' : ` ${l.kind}${l.vlanId !== null ? ` id ${l.vlanId}` : ''}${l.mode !== null ? ` mode ${l.mode}` : ''}${l.ipvlanFlag !== null ? ` ${l.ipvlanFlag}` : ''}`;
      const alias = l.alias === null ? '' : ` alias "${l.alias}"`;
      out.push(`${l.ifindex}: ${l.name}${p !== undefined ? `@${p.name}` : ''}: <${flags.join(',')}> mtu ${l.mtu} link/ether ${l.mac}${kind}${alias}`);
      for (const a of net.addresses.filter((x) => x.ifindex === l.ifindex)) {
        out.push(`    inet${a.family === 6 ? '6' : ''} ${a.cidr} scope ${a.scope}${a.dynamic ? ' dynamic' : ''}`);
      }
    }
    for (const r of net.routes) {
      const dev = net.links.get(r.ifindex)?.name ?? `if${r.ifindex}`;
      const proto = r.proto === 2 ? 'kernel' : r.proto === ROUTE_PROTO ? 'flatnet' : String(r.proto);
      out.push(`${r.dst}${r.gateway !== null ? ` via ${r.gateway}` : ''} dev ${dev} proto ${proto} scope ${r.scope} metric ${r.metric}${r.table !== 254 ? ` table ${r.table}` : ''}`);
    }
    return out.join('\n');
  }
}
