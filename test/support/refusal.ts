import assert from 'node:assert/strict';
import { formatDiagnostic, isFlatnetError } from '../../src/errors.js';

/** The message a user sees when an emitter refuses a network. */
export function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isFlatnetError(e)) return formatDiagnostic(e.toDiagnostic());
    throw e;
  }
  assert.fail('expected a refusal');
}
