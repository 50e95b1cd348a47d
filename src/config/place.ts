// Where in its drop-in a network's value was written, so every diagnostic
// about it reads `path:line: Key=value: …`.

import type { Place } from '../errors.js';
import type { NetworkConfig } from '../model/config.js';

/** The place of a key (`Network.Driver`); without one kept by the parser, the file (and the key, when given). */
export function placeOf(net: Pick<NetworkConfig, 'where' | 'file'>, id: string, key?: string, value?: string): Place {
  const w = net.where[id];
  if (w !== undefined) return w;
  return key === undefined ? { file: net.file } : { file: net.file, key, value: value ?? '' };
}
