// Names and object paths on the bus. Network names come from drop-in file names
// and may hold any byte; object path elements may only hold [A-Za-z0-9_], so
// names are escaped exactly as systemd's sd_bus_path_encode() does (compared
// against libsystemd 252 in the unit test): every byte outside [A-Za-z0-9], and a
// leading digit, becomes `_xx`; '' becomes `_` (`10-lan` → `_310_2dlan`).

export const BUS_NAME = 'org.flatnet.flatnet1';
export const MANAGER_PATH = '/org/flatnet/flatnet1';
export const NETWORK_PATH_PREFIX = '/org/flatnet/flatnet1/network';
export const MANAGER_IFACE = 'org.flatnet.flatnet1.Manager';
export const NETWORK_IFACE = 'org.flatnet.flatnet1.Network';
export const OBJECT_MANAGER_IFACE = 'org.freedesktop.DBus.ObjectManager';
export const PROPERTIES_IFACE = 'org.freedesktop.DBus.Properties';

const HEX = '0123456789abcdef';

function isAlpha(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** One object path element, escaped as systemd's bus_label_escape(). */
export function busLabelEscape(label: string): string {
  if (label === '') return '_';
  let out = '';
  const bytes = Buffer.from(label, 'utf8');
  bytes.forEach((b, i) => {
    const keep = isAlpha(b) || (i > 0 && isDigit(b));
    out += keep ? String.fromCharCode(b) : `_${HEX[b >> 4] ?? '0'}${HEX[b & 15] ?? '0'}`;
  });
  return out;
}

/**
 * Inverse of busLabelEscape; null for an element our encoder would not have
 * produced (systemd's decoder is more lenient, e.g. `_2D`, a bare `1`; we want one
 * path per name, so only the canonical spelling maps back).
 */
export function busLabelUnescape(element: string): string | null {
  if (element === '_') return '';
  const bytes: number[] = [];
  for (let i = 0; i < element.length; i++) {
    if (element[i] === '_') {
      const hex = element.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(element.charCodeAt(i));
    }
  }
  const buf = Buffer.from(bytes);
  const text = buf.toString('utf8');
  // Not valid UTF-8, or not canonical: no name encodes to this element.
  if (!Buffer.from(text, 'utf8').equals(buf)) return null;
  return busLabelEscape(text) === element ? text : null;
}

/** `/org/flatnet/flatnet1/network/my_2dnet` for network `my-net`. */
export function networkPath(name: string): string {
  return `${NETWORK_PATH_PREFIX}/${busLabelEscape(name)}`;
}

/** The network name an object path stands for, or null when it is not a network path. */
export function networkNameFromPath(path: string): string | null {
  const prefix = `${NETWORK_PATH_PREFIX}/`;
  if (!path.startsWith(prefix)) return null;
  const element = path.slice(prefix.length);
  if (element.includes('/')) return null;
  return busLabelUnescape(element);
}
