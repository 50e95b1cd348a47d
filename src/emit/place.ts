// Where a shim address an emitter refuses was written, so the refusal reads
// `path:line: Key=value: …` like every other config error (placeOf: config/place.ts).

import type { Place } from '../errors.js';
import type { NetworkConfig } from '../model/config.js';
import { hostOf } from './pool.js';

/**
 * Where a shim address was written. The config keeps the place of the last
 * Address= only; for another one the file is still named.
 */
export function shimAddressPlace(net: Pick<NetworkConfig, 'where' | 'file'>, addr: string): Place {
  const w = net.where['Shim.Address'];
  if (w?.value !== undefined && hostOf(w.value) === addr) return w;
  return { file: net.file, key: 'Address', value: addr };
}
