/**
 * The worked example of an operation beyond verify and lookup: `XacMinhThongTinChuHo` (who heads
 * the citizen's household). The request is the verify tuple, as for every operation of the service;
 * the answer is read from `CongdanCollection/CongDan/ChuHo { QuanHe, SoDinhDanh, SoCMND, HoVaTen }`,
 * the household-head block of the citizen record in public samples. That this operation answers
 * with that record is assumed (docs/protocol.md, "Evidence").
 */
import { z } from 'zod';
import type { ExtraRequest } from './types.js';
import { UpstreamError } from '../errors.js';

/** The operation's name, as the purpose registry and `client.call` name it. */
export const HOUSEHOLD_HEAD_OPERATION = 'XacMinhThongTinChuHo';

/** What `client.call('XacMinhThongTinChuHo', …)` answers. */
export interface HouseholdHeadAnswer {
  /** Whether the citizen was found (the tuple matched). */
  found: boolean;
  /** The head of the citizen's household, as far as the gateway said. */
  head: { idNumber?: string; fullName?: string; relation?: string } | null;
  /** Whether the citizen is the head themselves (the head's ID number is theirs). */
  isHead: boolean;
  [key: string]: unknown;
}

const head = z.object({ QuanHe: z.string().optional(), SoDinhDanh: z.string().optional(), SoCMND: z.string().optional(), HoVaTen: z.string().optional() });
const record = z.object({ ChuHo: z.union([head, z.literal('')]).optional() }).passthrough();

/** Read the household-head answer from a SOAP `Body` (or the reference profile's JSON, same names). */
export function householdHead(body: Record<string, unknown>, r: ExtraRequest, status: number): HouseholdHeadAnswer {
  const col = body['CongdanCollection'];
  const raw = typeof col === 'object' && col !== null ? (col as Record<string, unknown>)['CongDan'] : undefined;
  if (raw === undefined || raw === '') return { found: false, head: null, isHead: false };
  const c = record.safeParse(raw);
  if (!c.success) {
    const i = c.error.issues[0]!;
    throw new UpstreamError('ERR_UPSTREAM_RESPONSE', status, `The gateway's ${HOUSEHOLD_HEAD_OPERATION} answer is not usable (${i.path.join('.') || 'CongDan'}: ${i.code}); it was not used.`, { requestId: r.requestId });
  }
  const h = c.data.ChuHo;
  if (h === undefined || h === '') return { found: true, head: null, isHead: false };
  const idNumber = h.SoDinhDanh?.trim() || h.SoCMND?.trim() || undefined;
  const out: NonNullable<HouseholdHeadAnswer['head']> = {};
  if (idNumber !== undefined) out.idNumber = idNumber;
  if (h.HoVaTen?.trim()) out.fullName = h.HoVaTen.trim();
  if (h.QuanHe?.trim()) out.relation = h.QuanHe.trim();
  return { found: true, head: out, isHead: idNumber !== undefined && idNumber === r.idNumber };
}
