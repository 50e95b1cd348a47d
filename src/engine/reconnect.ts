// One container's re-attach: a forced disconnect (the engine still lists the
// dead endpoint), then a connect with what it had. A retry after a failed
// connect skips the disconnect: the engine already let go of the endpoint and
// only the job still holds its addresses.

import { EngineError, type EngineClient } from './client.js';
import { connectFate, disconnectFate, type StepFate } from './reattach.js';
import type { ReconnectSpec } from './types.js';

export interface Job {
  spec: ReconnectSpec;
  /** The disconnect went through: the engine no longer holds the endpoint, only we do. */
  disconnected: boolean;
}

/**
 * @param onRetry a step failed and will be tried again: the step and the engine's words
 * @param onGone the container was removed meanwhile: the engine's words
 */
export async function reconnect(client: EngineClient, job: Job, onRetry: (step: string, says: string) => void, onGone: (says: string) => void): Promise<StepFate> {
  const fail = (step: 'disconnect' | 'connect', e: unknown): StepFate => {
    const status = e instanceof EngineError ? e.status : 0;
    const says = e instanceof EngineError ? e.engineSays : e instanceof Error ? e.message : String(e);
    const fate = step === 'disconnect' ? disconnectFate(status, says) : connectFate(status, says);
    if (fate === 'gone') onGone(says);
    if (fate === 'retry') onRetry(step, says);
    return fate;
  };
  const s = job.spec;
  if (!job.disconnected) {
    try {
      await client.disconnect(s.networkId, s.containerId);
    } catch (e) {
      const fate = fail('disconnect', e);
      if (fate !== 'done') return fate;
    }
    job.disconnected = true;
  }
  try {
    await client.connect(s);
    return 'done';
  } catch (e) {
    return fail('connect', e);
  }
}
