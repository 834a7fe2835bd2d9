import { hkdfSync } from 'node:crypto';
import type { Clock } from '../internal/time.js';
import type { QuotaOptions } from '../options.js';
import type { QuotaPlan } from './budgets.js';
import type { QuotaManagerOptions } from './manager.js';
import { MemoryQuotaStore } from './memory-store.js';
import type { QuotaStore } from './types.js';

/** The quota's options after defaults: pure data, the user's store if any (nothing built). */
export interface QuotaSettings {
  limits: Omit<QuotaPlan, 'operatorKey'>;
  store: QuotaStore | undefined;
  onExhausted: 'fail' | 'wait';
  maxWaitMs: number;
  storeTimeoutMs: number;
  fallbackInstances: number | undefined;
}

export function quotaSettings(q: QuotaOptions | undefined): QuotaSettings {
  const lockThreshold = q?.lockThreshold ?? 10_000;
  const safetyMargin = q?.safetyMargin ?? 0.1;
  return {
    limits: {
      lockThreshold,
      safetyMargin,
      perDay: q?.perDay ?? Math.floor(lockThreshold * (1 - safetyMargin)),
      perMinute: q?.perMinute ? { rate: q.perMinute.rate, burst: q.perMinute.burst ?? q.perMinute.rate } : undefined,
      perUnit: q?.perUnit,
      perOperator: q?.perOperator,
      perPurpose: q?.perPurpose ?? {},
    },
    store: q?.store,
    onExhausted: q?.onExhausted ?? 'fail',
    maxWaitMs: q?.maxWaitMs ?? 5_000,
    storeTimeoutMs: q?.storeTimeoutMs ?? 1_000,
    fallbackInstances: q?.fallback?.instances,
  };
}

/** The quota a client runs with: the store (memory by default) and the key of operator ids in store keys. */
export function buildQuota(s: QuotaSettings, clock: Clock, stateSecret: Buffer): Omit<QuotaManagerOptions, 'clock'> {
  return {
    // Operator ids reach store keys only as this HMAC: Redis holds no operator id (docs/security-model.md).
    plan: { ...s.limits, operatorKey: Buffer.from(hkdfSync('sha256', stateSecret, Buffer.from('dancu-quota'), 'operator', 32)) },
    store: s.store ?? new MemoryQuotaStore({ clock }),
    onExhausted: s.onExhausted,
    maxWaitMs: s.maxWaitMs,
    storeTimeoutMs: s.storeTimeoutMs,
    fallbackInstances: s.fallbackInstances,
  };
}
