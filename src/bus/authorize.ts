// Who may change the host through the bus: root always; anyone else when
// polkit says so for org.flatnet.flatnet1.manage (auth_admin_keep by
// default, a rules.d rule can grant a group), as systemd-networkd and
// NetworkManager do. Without polkitd on the bus: root only. The bus policy
// lets the calls through to us, so this check is the one that counts.

import { DBusError, Message, Variant, type MessageBus } from 'dbus-next';
import { describeError } from '../errors.js';
import { BusErrors } from './errors.js';

export const MANAGE_ACTION = 'org.flatnet.flatnet1.manage';

const BUS_DAEMON = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' };
const POLKIT = { destination: 'org.freedesktop.PolicyKit1', path: '/org/freedesktop/PolicyKit1/Authority',
  interface: 'org.freedesktop.PolicyKit1.Authority' };
/** The caller's header flag saying it can wait for a password prompt (D-Bus spec, ALLOW_INTERACTIVE_AUTHORIZATION). */
const ALLOW_INTERACTIVE = 0x4;
/** CheckAuthorization's AllowUserInteraction. */
const POLKIT_ALLOW_INTERACTION = 0x1;
const NOT_THERE = new Set(['org.freedesktop.DBus.Error.ServiceUnknown', 'org.freedesktop.DBus.Error.NameHasNoOwner']);

export interface AuthorizeLog {
  warning(line: string): void;
}

/** Resolves when the caller of `msg` may make it; throws AccessDenied (or InteractiveAuthorizationRequired) saying why not. */
export async function authorize(bus: MessageBus, msg: Message, log?: AuthorizeLog): Promise<void> {
  const what = `${msg.interface ?? ''}.${msg.member ?? ''}`;
  const sender = msg.sender;
  if (typeof sender !== 'string' || sender === '') {
    throw new DBusError(BusErrors.AccessDenied, `${what} changes the host and the caller is unknown`);
  }
  let uid: unknown;
  try {
    const reply = await bus.call(new Message({ ...BUS_DAEMON, member: 'GetConnectionUnixUser', signature: 's', body: [sender] }));
    uid = reply?.body[0];
  } catch (e) {
    throw new DBusError(BusErrors.AccessDenied, `${what} changes the host and the caller's uid is unknown (${describeError(e)})`);
  }
  if (uid === 0) return;
  const who = `caller uid ${String(uid)}`;
  const interactive = ((msg.flags ?? 0) & ALLOW_INTERACTIVE) !== 0;
  let body: unknown[];
  try {
    const reply = await bus.call(new Message({
      ...POLKIT, member: 'CheckAuthorization', signature: '(sa{sv})sa{ss}us',
      body: [['system-bus-name', { name: new Variant('s', sender) }], MANAGE_ACTION, {},
        interactive ? POLKIT_ALLOW_INTERACTION : 0, ''],
    }));
    body = reply?.body ?? [];
  } catch (e) {
    if (e instanceof DBusError && NOT_THERE.has(e.type)) {
      throw new DBusError(BusErrors.AccessDenied,
        `${what} changes the host and is for root only (${who}; polkit is not running to allow others); run it with sudo`);
    }
    log?.warning(`D-Bus: polkit could not decide on ${what} for ${who}: ${describeError(e)}; refused`);
    throw new DBusError(BusErrors.AccessDenied, `${what} changes the host; ${who} is not root and polkit could not decide (${describeError(e)})`);
  }
  const [authorized, challenge] = Array.isArray(body[0]) ? body[0] as unknown[] : [];
  if (authorized === true) return;
  if (challenge === true) {
    throw new DBusError('org.freedesktop.DBus.Error.InteractiveAuthorizationRequired',
      `${what} changes the host: ${who} must authenticate as an administrator (polkit action ${MANAGE_ACTION}); `
      + 'run it with sudo, or from a session with a polkit agent');
  }
  throw new DBusError(BusErrors.AccessDenied,
    `${what} changes the host; ${who} is not root and polkit does not allow it (action ${MANAGE_ACTION}); run it with sudo`);
}
