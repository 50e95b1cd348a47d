// dummy: the parent of an internal network (no Parent=), as libnetwork makes
// one when -o parent is absent. Nothing of it can be wrong but its kind.

import type { LinkKind } from './registry.js';
import { kindOrParentReason } from './common.js';

export const dummy: LinkKind = {
  kind: 'dummy',
  createArgs: () => ['type', 'dummy'],
  recreateReason: (want, have, parentIndex, nameOf) => kindOrParentReason(want, have, parentIndex, nameOf),
  // Frames never leave a dummy; its random MAC is as good as any.
  ownMac: () => false,
};
