// dummy: the parent of an internal network (no Parent=), as libnetwork makes
// one when -o parent is absent. Nothing of it can be wrong but its kind.

import { dummyParentName } from '../model/config.js';
import type { LinkCommon } from '../model/desired.js';
import { kindOrParentReason, withKind } from './common.js';
import { NO_ATTRS, type ParentKind } from './kind.js';

export interface DesiredDummy extends LinkCommon {
  kind: 'dummy';
  parent: null;
}

export const dummy: ParentKind<DesiredDummy> = {
  kind: 'dummy',
  role: 'parent',
  keys: [],
  claim: (n) => (n.parent === null ? { name: dummyParentName(n.name), text: 'dummy parent', id: 'Network.Name', exclusive: true } : null),
  desired: (n, base) => (n.parent === null ? withKind(base, { kind: 'dummy', parent: null }) : null),
  createArgs: () => ['type', 'dummy'],
  recreateReason: (want, have, parentIndex, nameOf) => kindOrParentReason(want, have, parentIndex, nameOf),
  // Frames never leave a dummy; its random MAC is as good as any.
  ownMac: () => false,
  describe: () => 'dummy',
  attrs: () => NO_ATTRS,
  readback: { infoKinds: ['dummy'], read: () => NO_ATTRS },
};
