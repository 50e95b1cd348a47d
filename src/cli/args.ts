// flatnetctl's command line: a small hand-written table, parsed with node:util.

import { parseArgs } from 'node:util';

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  min: number;
  max: number;
  /** Read-only: takes --json. */
  read: boolean;
  /** Options of this command alone (beyond --json), by name. */
  options?: readonly (keyof CommandOptions)[];
}

/** Options a single command takes: router-hints --for, cni-config --multus, probe --force. */
export interface CommandOptions {
  for?: string;
  multus?: boolean;
  force?: boolean;
}

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'status', usage: '[NAME…]', summary: 'Show the daemon, or the networks named, in detail', min: 0, max: Infinity, read: true },
  { name: 'list', usage: '', summary: 'List networks', min: 0, max: 0, read: true },
  { name: 'up', usage: 'NAME', summary: 'Bring a network taken down with "down" back', min: 1, max: 1, read: false },
  { name: 'down', usage: 'NAME', summary: 'Remove what flatnetd made for a network until "up" or a reload', min: 1, max: 1, read: false },
  { name: 'reload', usage: '', summary: 'Re-read /etc/flatnet.d and reconcile', min: 0, max: 0, read: false },
  { name: 'reconcile', usage: '', summary: 'Put every network right now', min: 0, max: 0, read: false },
  { name: 'plan', usage: '[PATH…]', summary: 'Show what a reconcile would change now, or with these drop-ins installed (changes nothing)', min: 0, max: Infinity, read: true },
  { name: 'check', usage: '[PATH…]', summary: 'Validate drop-ins offline (default /etc/flatnet.d); no daemon needed', min: 0, max: Infinity, read: true },
  { name: 'docker-args', usage: 'NAME', summary: 'Print the matching "docker network create" command', min: 1, max: 1, read: true },
  { name: 'podman-args', usage: 'NAME', summary: 'Print the matching "podman network create" command (netavark)', min: 1, max: 1, read: true },
  { name: 'cni-config', usage: 'NAME [--multus]', summary: 'Print this node\'s CNI conflist (--multus: a NetworkAttachmentDefinition)', min: 1, max: 1, read: true, options: ['multus'] },
  { name: 'router-hints', usage: 'NAME --for ROUTER', summary: 'Print advice for the router (routeros, openwrt): VLAN, gateway, DHCP pool', min: 1, max: 1, read: true, options: ['for'] },
  { name: 'probe', usage: 'NAME [--force]', summary: 'Scan the network\'s IPRange= on the LAN: who answers, this host or another (--force beyond a /22)', min: 1, max: 1, read: true, options: ['force'] },
  { name: 'monitor', usage: '', summary: 'Follow changes as they happen, one line each', min: 0, max: 0, read: true },
  { name: 'wait-online', usage: '[NAME…]', summary: 'Wait until the networks (default: all) are configured', min: 0, max: Infinity, read: false },
];

export type Parsed =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; command: CommandSpec; args: string[]; json: boolean; options: Options }
  | { kind: 'usage'; message: string };

/** The options besides --json, as systemctl and networkctl spell them. */
export interface Options extends CommandOptions {
  /** --no-legend: no column headers and no summary line. */
  noLegend: boolean;
  /** --full / -l: never shorten columns to the terminal's width. */
  full: boolean;
  /** --timeout=SECONDS for wait-online (0: wait forever); null: the default. */
  timeoutSec: number | null;
  /** --kernel: check also checks the drop-ins against the running kernel. */
  kernel: boolean;
  /** -n/--lines: journal lines shown by `status NAME` (default 10, 0 = none). */
  lines: number;
}

/** wait-online's default, as systemd-networkd-wait-online's. */
export const WAIT_ONLINE_DEFAULT_TIMEOUT_SEC = 120;

export function helpText(version: string): string {
  const w = Math.max(...COMMANDS.map((c) => `${c.name} ${c.usage}`.trim().length));
  return [
    `flatnetctl ${version}: query and control flatnetd`,
    '',
    'Usage: flatnetctl [OPTIONS] COMMAND [ARGS…]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${`${c.name} ${c.usage}`.trim().padEnd(w)}  ${c.summary}`),
    '',
    'Options:',
    '  --json           Print JSON (read commands; every key in PascalCase)',
    '  --no-legend      Print no column headers and no summary line',
    '  -l --full        Do not shorten columns to the terminal width',
    '  --no-pager       Accepted for systemd habits; flatnetctl never pages',
    '  --timeout=SECS   wait-online: give up after SECS (default 120, 0 = never)',
    '  --kernel         check: also against the running kernel (parents, MTU, names)',
    '  -n --lines=N     status NAME: show the last N journal lines about it (default 10)',
    '  --force          probe: scan a range larger than a /22',
    '  -h --help        Show this help',
    '  --version        Show the version',
    '',
    'Exit status: 0 ok, 1 failure (check: errors or unknown keys; status NAME: failed; wait-online: timed out),',
    '2 usage, 3 flatnetd not running.',
    'up, down, reload, reconcile and probe need root.',
  ].join('\n');
}

export function parseCommandLine(argv: readonly string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' },
        'no-legend': { type: 'boolean' }, 'no-pager': { type: 'boolean' }, full: { type: 'boolean', short: 'l' },
        timeout: { type: 'string' }, kernel: { type: 'boolean' }, lines: { type: 'string', short: 'n' },
        for: { type: 'string' }, multus: { type: 'boolean' }, force: { type: 'boolean' },
      },
    });
  } catch (e) {
    return { kind: 'usage', message: e instanceof Error ? e.message.split('\n')[0] ?? e.message : String(e) };
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const [name, ...args] = positionals;
  if (name === undefined) return { kind: 'usage', message: 'missing command' };
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return { kind: 'usage', message: `unknown command "${name}"` };
  const json = values.json === true;
  if (json && !command.read) return { kind: 'usage', message: `${name} does not print anything; --json is for read commands` };
  if (args.length < command.min) return { kind: 'usage', message: `${name} needs ${command.usage}` };
  if (args.length > command.max) {
    return { kind: 'usage', message: command.max === 0 ? `${name} takes no arguments` : `${name} takes ${command.usage}, not ${args.length} arguments` };
  }
  let timeoutSec: number | null = null;
  if (values.timeout !== undefined) {
    if (command.name !== 'wait-online') return { kind: 'usage', message: '--timeout is for wait-online' };
    timeoutSec = /^[0-9]{1,7}(\.[0-9]+)?$/.test(values.timeout) ? Number(values.timeout) : NaN;
    if (Number.isNaN(timeoutSec)) return { kind: 'usage', message: `--timeout=${values.timeout}: must be a number of seconds` };
  }
  if (values.kernel === true && command.name !== 'check') return { kind: 'usage', message: '--kernel is for check' };
  let lines = 10;
  if (values.lines !== undefined) {
    if (!/^[0-9]{1,5}$/.test(values.lines)) return { kind: 'usage', message: `--lines=${values.lines}: must be a number of lines` };
    lines = Number(values.lines);
  }
  const options: Options = { noLegend: values['no-legend'] === true, full: values.full === true, timeoutSec, kernel: values.kernel === true, lines };
  if (values.for !== undefined) options.for = values.for;
  if (values.multus === true) options.multus = true;
  if (values.force === true) options.force = true;
  const foreign = (['for', 'multus', 'force'] as const).find((o) => options[o] !== undefined && !(command.options ?? []).includes(o));
  if (foreign !== undefined) return { kind: 'usage', message: `${name} does not take --${foreign}` };
  return { kind: 'run', command, args, json, options };
}
