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
}

export const COMMANDS: readonly CommandSpec[] = [
  { name: 'status', usage: '[NAME]', summary: 'Show the daemon, or one network, in detail', min: 0, max: 1, read: true },
  { name: 'list', usage: '', summary: 'List networks', min: 0, max: 0, read: true },
  { name: 'up', usage: 'NAME', summary: 'Bring a network taken down with "down" back', min: 1, max: 1, read: false },
  { name: 'down', usage: 'NAME', summary: 'Remove what flatnetd made for a network until "up" or a reload', min: 1, max: 1, read: false },
  { name: 'reload', usage: '', summary: 'Re-read /etc/flatnet.d and reconcile', min: 0, max: 0, read: false },
  { name: 'reconcile', usage: '', summary: 'Put every network right now', min: 0, max: 0, read: false },
  { name: 'plan', usage: '', summary: 'Show what a reconcile would change now (changes nothing)', min: 0, max: 0, read: true },
  { name: 'check', usage: '[PATH…]', summary: 'Validate drop-ins offline (default /etc/flatnet.d); no daemon needed', min: 0, max: Infinity, read: true },
  { name: 'docker-args', usage: 'NAME', summary: 'Print the matching "docker network create" command', min: 1, max: 1, read: true },
  { name: 'probe', usage: 'NAME', summary: 'Scan the network\'s IPRange= on the LAN: who answers, this host or another (--force beyond a /22)', min: 1, max: 1, read: true },
  { name: 'monitor', usage: '', summary: 'Follow changes as they happen, one line each', min: 0, max: 0, read: true },
];

export type Parsed =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; command: CommandSpec; args: string[]; json: boolean; force: boolean }
  | { kind: 'usage'; message: string };

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
    '  --json     Print JSON (read commands)',
    '  --force    probe: scan a range larger than a /22',
    '  -h --help  Show this help',
    '  --version  Show the version',
    '',
    'Exit status: 0 ok, 1 failure (check: errors found), 2 usage, 3 flatnetd not running.',
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
      options: { json: { type: 'boolean' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
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
  const force = values.force === true;
  if (force && name !== 'probe') return { kind: 'usage', message: '--force is for probe' };
  return { kind: 'run', command, args, json, force };
}
