// Where a shim address an emitter refuses was written, so the refusal reads
// `path:line: Key=value: …` like every other config error (placeOf: config/place.ts).

import { FlatnetError, type Place } from '../errors.js';
import type { EngineRefusal } from '../kinds/kind.js';
import type { NetworkConfig } from '../model/config.js';
import { placeOf } from '../config/place.js';
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

export function isRefusal<T extends object>(x: T | EngineRefusal): x is EngineRefusal {
  return 'refuse' in x && typeof x.refuse === 'string';
}

/** A driver's refusal (kinds/) as the error an emitter throws, at the key it blames. */
export function refusal(net: Pick<NetworkConfig, 'where' | 'file'>, r: EngineRefusal): FlatnetError {
  return new FlatnetError(r.code, r.refuse, placeOf(net, r.id, r.key, r.value));
}
