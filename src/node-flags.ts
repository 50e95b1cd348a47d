// How Node is started for flatnetd, in one place: the launchers
// (debian/bin/flatnetd, nix/package.nix, the VM tier's) and every harness that
// starts the daemon (test/support, bench) pass exactly these; a packaging test
// holds them to it.
//
// --max-semi-space-size=1: V8's young generation otherwise grows to 16 MiB a
// half under the allocation of each reconcile's dumps, and RSS climbed from
// 60 to 100 MiB over 1,000 heals, still rising; capped at 1 MiB it levels off
// near 74 MiB at no cost in heal time (bench, N=10: p50 7.3 vs 7.6 ms). It
// costs ~15 ms of start-up (any V8 heap flag does: Node's built-in modules
// then compile without their code cache); 26 MiB for good is the better deal.
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
