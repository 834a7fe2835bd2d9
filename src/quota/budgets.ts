import { createHmac } from 'node:crypto';
import type { BudgetSpec } from './types.js';

/** Quota settings after validation and defaults (see `QuotaOptions` for the meaning). */
export interface QuotaPlan {
  lockThreshold: number;
  safetyMargin: number;
  /** Global day cap: `perDay`, or `floor(lockThreshold × (1 − safetyMargin))`. */
  perDay: number;
  perMinute: { rate: number; burst: number } | undefined;
  perUnit: { perMinute?: number; perDay?: number } | undefined;
  perOperator: { perMinute?: number; perDay?: number } | undefined;
  perPurpose: Record<string, { perDay: number }>;
  /** HMAC key of operator ids in store keys (from the state secret). */
  operatorKey: Buffer;
}

/** Who a reservation is for. */
export interface QuotaSubject {
  unitCode: string;
  operatorId: string;
  purposeCode: string;
}

const part = (s: string) => encodeURIComponent(s);

/** The store-key part of an operator id: 128 bits of its HMAC under the plan's key, base64url. */
export function operatorKeyPart(plan: QuotaPlan, operatorId: string): string {
  return createHmac('sha256', plan.operatorKey).update(operatorId).digest('base64url').slice(0, 22);
}

/**
 * The budgets one call draws from, most global first (so a denial names the widest budget that
 * refused). Codes are URI-encoded into keys (no separator can be forged); operator ids appear only
 * as an HMAC ({@link operatorKeyPart}), computed once per call and only with operator budgets.
 */
export function budgetsFor(plan: QuotaPlan, who: QuotaSubject): BudgetSpec[] {
  const out: BudgetSpec[] = [];
  if (plan.perMinute) {
    out.push({ id: 'global.minute', key: 'b:global', kind: 'bucket', limit: plan.perMinute.burst, ratePerMinute: plan.perMinute.rate });
  }
  out.push({ id: 'global.day', key: 'd:global', kind: 'day', limit: plan.perDay });
  if (plan.perUnit?.perMinute) {
    out.push({ id: 'unit.minute', key: `b:unit:${part(who.unitCode)}`, kind: 'bucket', limit: plan.perUnit.perMinute, ratePerMinute: plan.perUnit.perMinute });
  }
  if (plan.perUnit?.perDay) out.push({ id: 'unit.day', key: `d:unit:${part(who.unitCode)}`, kind: 'day', limit: plan.perUnit.perDay });
  const purpose = plan.perPurpose[who.purposeCode];
  if (purpose) out.push({ id: 'purpose.day', key: `d:purpose:${part(who.purposeCode)}`, kind: 'day', limit: purpose.perDay });
  const op = plan.perOperator?.perMinute || plan.perOperator?.perDay ? operatorKeyPart(plan, who.operatorId) : '';
  if (plan.perOperator?.perMinute) {
    out.push({ id: 'operator.minute', key: `b:op:${op}`, kind: 'bucket', limit: plan.perOperator.perMinute, ratePerMinute: plan.perOperator.perMinute });
  }
  if (plan.perOperator?.perDay) out.push({ id: 'operator.day', key: `d:op:${op}`, kind: 'day', limit: plan.perOperator.perDay });
  return out;
}

/** The same budgets scaled to one instance's conservative share (fallback when the shared store is down). */
export function localShare(budgets: readonly BudgetSpec[], instances: number): BudgetSpec[] {
  return budgets.map((b) => {
    const share: BudgetSpec = { ...b, key: `local:${b.key}`, limit: Math.floor(b.limit / instances) };
    if (b.ratePerMinute !== undefined) share.ratePerMinute = b.ratePerMinute / instances;
    return share;
  });
}
