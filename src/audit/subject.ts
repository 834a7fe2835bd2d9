import { createHmac } from 'node:crypto';
import { maskIdNumber, parseIdNumber } from '../citizen/id-number.js';
import { ValidationError } from '../errors.js';
import { deriveAuditKeys } from './keys.js';
import type { AuditEvent } from './schema.js';

/** One processing of a citizen's data, as the citizen is told of it. */
export interface SubjectLookup {
  ts: string;
  /** The unit (agency) and the system that made the lookup. */
  unit: string;
  system: string;
  operation: string;
  purpose: string;
  legalBasis?: string;
  dossierId?: string;
  /** `upstream` (the national database answered), `cache`/`joined` (answered without asking it again), `refused` (stopped before it left). */
  source: 'upstream' | 'cache' | 'joined' | 'refused';
  outcome: string;
  /** Only with `withOperators`. */
  operator?: string;
}

export interface SubjectReport {
  /** The ID number, masked. */
  subject: string;
  lookups: SubjectLookup[];
}

export interface SubjectOptions {
  /** The citizen's ID number (12 digits, or a legacy 9-digit one). */
  idNumber: string;
  /** `audit.secret` of the writer: subjects are keyed hashes, found only with it. */
  secret: string | Buffer;
  /** `audit.keyId`. Default `k1`. */
  keyId?: string;
  /** Name the officers too (an investigation, not the citizen's own copy). Default `false`. */
  withOperators?: boolean;
}

/**
 * Every lookup of one citizen in a trail (Law 91/2025: the data subject's right to know who
 * processed their data): when, which unit, which procedure and dossier, the outcome; without the
 * officers unless `withOperators`. One pass over the events (`streamEvents`); memory grows only with
 * this citizen's lookups.
 */
export async function subjectLookups(events: AsyncIterable<AuditEvent> | Iterable<AuditEvent>, options: SubjectOptions): Promise<SubjectReport> {
  if (typeof options !== 'object' || options === null) throw new ValidationError('ERR_INPUT_INVALID', 'options', 'invalid_argument', 'pass { idNumber, secret }');
  const parsed = parseIdNumber(options.idNumber, new Date().getUTCFullYear() + 1);
  if (!parsed.ok) throw new ValidationError('ERR_INPUT_INVALID', 'idNumber', parsed.problem, 'must be a 12-digit personal ID number or a 9-digit legacy one');
  const id = parsed.id.value;
  const key = deriveAuditKeys(options.secret, options.keyId ?? 'k1').subject;
  const hmac = createHmac('sha256', key).update(id).digest('hex').slice(0, 32);
  const it = events as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null;
  if (typeof it?.[Symbol.asyncIterator] !== 'function' && typeof it?.[Symbol.iterator] !== 'function') {
    throw new ValidationError('ERR_INPUT_INVALID', 'events', 'invalid_argument', 'pass streamEvents(source) or an array of events');
  }
  const lookups: SubjectLookup[] = [];
  for await (const e of events) {
    if (typeof e !== 'object' || e === null || e.subject?.hmac !== hmac) continue;
    if (e.type !== 'lookup.outcome' && e.type !== 'cache.hit' && e.type !== 'lookup.denied') continue;
    const source = e.type === 'lookup.denied' || e.outcome === 'denied' ? 'refused' : e.type === 'cache.hit' ? (e.source === 'joined' ? 'joined' : 'cache') : 'upstream';
    lookups.push({
      ts: String(e.ts), unit: String(e.system?.unitCode ?? ''), system: String(e.system?.id ?? ''), operation: String(e.operation ?? ''),
      purpose: String(e.purpose?.code ?? ''), ...(e.purpose?.legalBasis ? { legalBasis: e.purpose.legalBasis } : {}), ...(e.purpose?.dossierId ? { dossierId: e.purpose.dossierId } : {}),
      source, outcome: String(e.outcome ?? e.code ?? ''), ...(options.withOperators && e.operator?.id ? { operator: e.operator.id } : {}),
    });
  }
  lookups.sort((a, b) => a.ts.localeCompare(b.ts));
  return { subject: maskIdNumber(id), lookups };
}

export function subjectText(r: SubjectReport): string {
  const lines = [`${r.lookups.length} lookup(s) of ${r.subject}`];
  for (const l of r.lookups) {
    lines.push(`${l.ts}  ${l.unit}  ${l.purpose}${l.dossierId ? ` (dossier ${l.dossierId})` : ''}  ${l.operation}  ${l.source}  ${l.outcome}${l.operator ? `  by ${l.operator}` : ''}`);
  }
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const SOURCE_VI: Record<SubjectLookup['source'], string> = { upstream: 'tra cứu CSDLQG', cache: 'kết quả đã lưu', joined: 'kết quả đã lưu', refused: 'bị từ chối, không gửi' };

/**
 * One page, in Vietnamese, that a citizen can be handed: who processed their data, when, for which
 * procedure and dossier, and with what result. Self-contained (no script, nothing fetched).
 */
export function subjectHtml(r: SubjectReport): string {
  const withOps = r.lookups.some((l) => l.operator !== undefined);
  const rows = r.lookups.map((l) => `<tr><td>${esc(l.ts.replace('T', ' ').slice(0, 19))}</td><td>${esc(l.unit)}<br><small>${esc(l.system)}</small></td><td>${esc(l.purpose)}${l.legalBasis ? `<br><small>${esc(l.legalBasis)}</small>` : ''}</td><td>${esc(l.dossierId ?? '')}</td><td>${esc(SOURCE_VI[l.source])}</td><td>${esc(l.outcome)}</td>${withOps ? `<td>${esc(l.operator ?? '')}</td>` : ''}</tr>`).join('');
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Thông tin về việc xử lý dữ liệu cá nhân của công dân ${esc(r.subject)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#1a202c;max-width:60em}table{border-collapse:collapse;width:100%}td,th{border:1px solid #cbd5e0;padding:.3em .6em;text-align:left;vertical-align:top}small{color:#4a5568}</style></head>
<body><h1>Ai đã tra cứu thông tin của tôi</h1>
<p>Số định danh cá nhân: <strong>${esc(r.subject)}</strong>. Có <strong class="count">${r.lookups.length}</strong> lần hệ thống tra cứu hoặc dùng thông tin của công dân trong Cơ sở dữ liệu quốc gia về dân cư, theo nhật ký của hệ thống (Luật Bảo vệ dữ liệu cá nhân 2025: quyền được biết về việc xử lý dữ liệu cá nhân).</p>
<table class="lookups"><tr><th>Thời điểm (giờ Việt Nam)</th><th>Đơn vị</th><th>Thủ tục, căn cứ</th><th>Hồ sơ</th><th>Cách thức</th><th>Kết quả</th>${withOps ? '<th>Cán bộ</th>' : ''}</tr>${rows}</table>
</body></html>
`;
}
