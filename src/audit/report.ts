import type { AuditEvent } from './schema.js';
import { ValidationError } from '../errors.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A report as `summarise` makes it, or `ERR_INPUT_INVALID`. */
function checkReport(r: unknown): void {
  const ok = isObject(r) && typeof r['events'] === 'number' && ['byDay', 'byOperator', 'byPurpose', 'byOutcome'].every((k) => Array.isArray(r[k]));
  if (!ok) throw new ValidationError('ERR_INPUT_INVALID', 'report', 'invalid_argument', 'pass the report that summarise(events) returns');
}

/** One row of a summary: calls that reached the upstream, answered from cache/joined, refused, failed. */
export interface ReportRow {
  key: string;
  /** Calls the upstream answered (`lookup.outcome` match, mismatch, not_found, found). */
  upstream: number;
  /** `cache.hit`: answered without a request. */
  cached: number;
  /** `lookup.denied` and outcomes `denied`: refused by validation, purpose or quota. */
  denied: number;
  /** Outcomes `error` (upstream failures, the lock, throttling) and `unknown` (a crash before the outcome). */
  failed: number;
}

/** One operator session (`session.login` … `session.logout`), as the regulator asks for them. */
export interface SessionRow {
  operator: string;
  sessionId: string;
  loginIp?: string;
  login: string;
  /** Absent while the session is open (or if the process died before its logout). */
  logout?: string;
}

/** A guard alert (`guard.alert`): what a person should look at. */
export interface AlertRow {
  ts: string;
  guard: string;
  operator?: string;
  ip?: string;
  detail: string;
}

export interface AuditReport {
  events: number;
  /** Daily budget recorded by `config.loaded` (the largest seen), for the chart. */
  budgetPerDay: number | undefined;
  byDay: ReportRow[];
  byOperator: ReportRow[];
  byPurpose: ReportRow[];
  byOutcome: Array<{ key: string; count: number }>;
  sessions: number;
  /** Each session with its login and logout time, the latest {@link REPORT_LIST_LIMIT}. */
  sessionList?: SessionRow[];
  /** Guard alerts by guard. */
  alertsByGuard?: Array<{ key: string; count: number }>;
  /** The latest {@link REPORT_LIST_LIMIT} alerts. */
  alerts?: AlertRow[];
}

/** At most this many sessions and alerts are listed one by one (all are counted). */
export const REPORT_LIST_LIMIT = 1000;

/**
 * Summarise a trail event by event: memory grows with the days, operators and purposes, never with
 * the events (the lists of sessions and alerts keep the latest {@link REPORT_LIST_LIMIT}).
 */
export class ReportBuilder {
  readonly #tables = { day: new Map<string, ReportRow>(), operator: new Map<string, ReportRow>(), purpose: new Map<string, ReportRow>() };
  readonly #outcomes = new Map<string, number>();
  readonly #alertsByGuard = new Map<string, number>();
  readonly #sessions = new Map<string, SessionRow>();
  #alerts: AlertRow[] = [];
  #events = 0;
  #logins = 0;
  #budget: number | undefined;

  add(e: AuditEvent): void {
    if (!isObject(e)) return; // a report counts events; anything else is not one
    this.#events++;
    const ts = typeof e.ts === 'string' ? e.ts : '';
    if (e.type === 'config.loaded') {
      const perDay = (e.detail?.['quota'] as { perDay?: number } | undefined)?.perDay;
      if (typeof perDay === 'number') this.#budget = Math.max(this.#budget ?? 0, perDay);
    }
    if (e.type === 'session.login') {
      this.#logins++;
      const id = String(e.operator?.sessionId ?? e.eventId);
      this.#sessions.set(id, { operator: e.operator?.id ?? '(none)', sessionId: id, ...(e.operator?.ip ? { loginIp: e.operator.ip } : {}), login: ts });
      if (this.#sessions.size > REPORT_LIST_LIMIT) this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    if (e.type === 'session.logout') {
      const s = this.#sessions.get(String(e.operator?.sessionId));
      if (s) s.logout = ts;
    }
    if (e.type === 'guard.alert') {
      const guard = String(e.detail?.['guard'] ?? 'unknown');
      this.#alertsByGuard.set(guard, (this.#alertsByGuard.get(guard) ?? 0) + 1);
      const { guard: _g, ...rest } = e.detail ?? {};
      void _g;
      this.#alerts.push({ ts, guard, ...(e.operator?.id ? { operator: e.operator.id } : {}), ...(e.operator?.ip ? { ip: e.operator.ip } : {}), detail: JSON.stringify(rest).slice(0, 200) });
      if (this.#alerts.length > 2 * REPORT_LIST_LIMIT) this.#alerts = this.#alerts.slice(-REPORT_LIST_LIMIT);
    }
    let field: keyof Omit<ReportRow, 'key'> | undefined;
    if (e.type === 'lookup.outcome' && ['match', 'mismatch', 'not_found', 'found'].includes(e.outcome ?? '')) field = 'upstream';
    else if (e.type === 'cache.hit') field = 'cached';
    else if (e.type === 'lookup.denied' || (e.type === 'lookup.outcome' && e.outcome === 'denied')) field = 'denied';
    else if (e.type === 'lookup.outcome' && (e.outcome === 'error' || e.outcome === 'unknown')) field = 'failed';
    if (e.type === 'lookup.outcome' || e.type === 'cache.hit' || e.type === 'lookup.denied') {
      const k = e.outcome ?? 'none';
      this.#outcomes.set(k, (this.#outcomes.get(k) ?? 0) + 1);
    }
    if (!field) return;
    const row = (m: Map<string, ReportRow>, key: string) => m.get(key) ?? (m.set(key, { key, upstream: 0, cached: 0, denied: 0, failed: 0 }), m.get(key)!);
    row(this.#tables.day, ts.slice(0, 10))[field]++;
    row(this.#tables.operator, e.operator?.id ?? '(none)')[field]++;
    row(this.#tables.purpose, e.purpose?.code ?? '(none)')[field]++;
  }

  result(): AuditReport {
    const sorted = (m: Map<string, ReportRow>) => [...m.values()].sort((a, b) => a.key.localeCompare(b.key));
    const counts = (m: Map<string, number>) => [...m].map(([key, count]) => ({ key, count })).sort((a, b) => a.key.localeCompare(b.key));
    return {
      events: this.#events,
      budgetPerDay: this.#budget,
      byDay: sorted(this.#tables.day),
      byOperator: sorted(this.#tables.operator),
      byPurpose: sorted(this.#tables.purpose),
      byOutcome: counts(this.#outcomes),
      sessions: this.#logins,
      sessionList: [...this.#sessions.values()].map((x) => ({ ...x })),
      alertsByGuard: counts(this.#alertsByGuard),
      alerts: this.#alerts.slice(-REPORT_LIST_LIMIT),
    };
  }
}

/** Summarise events by Vietnam day, operator, purpose and outcome, with sessions and guard alerts. */
export function summarise(events: Iterable<AuditEvent>): AuditReport {
  if (typeof (events as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] !== 'function' || typeof events === 'string') {
    throw new ValidationError('ERR_INPUT_INVALID', 'events', 'invalid_argument', 'pass an array of audit events (readEvents)');
  }
  const b = new ReportBuilder();
  for (const e of events) b.add(e);
  return b.result();
}

/** {@link summarise} over a stream (`streamEvents`): one pass, memory independent of the trail's size. */
export async function summariseStream(events: AsyncIterable<AuditEvent>): Promise<AuditReport> {
  if (typeof (events as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] !== 'function') {
    throw new ValidationError('ERR_INPUT_INVALID', 'events', 'invalid_argument', 'pass streamEvents(source)');
  }
  const b = new ReportBuilder();
  for await (const e of events) b.add(e);
  return b.result();
}

const COLS = ['upstream', 'cached', 'denied', 'failed'] as const;

export function reportTable(r: AuditReport): string {
  checkReport(r);
  const out: string[] = [`${r.events} events, ${r.sessions} sessions${r.budgetPerDay ? `, budget ${r.budgetPerDay}/day` : ''}`];
  for (const [title, rows] of [['day (Vietnam)', r.byDay], ['operator', r.byOperator], ['purpose', r.byPurpose]] as const) {
    const width = Math.max(title.length, ...rows.map((x) => x.key.length));
    out.push('', `${title.padEnd(width)}  ${COLS.map((c) => c.padStart(8)).join('  ')}`);
    for (const x of rows) out.push(`${x.key.padEnd(width)}  ${COLS.map((c) => String(x[c]).padStart(8)).join('  ')}`);
  }
  out.push('', 'outcomes: ' + r.byOutcome.map((o) => `${o.key} ${o.count}`).join(', '));
  if (r.alertsByGuard?.length) out.push('alerts: ' + r.alertsByGuard.map((o) => `${o.key} ${o.count}`).join(', '));
  if (r.sessionList?.length) {
    out.push('', 'sessions (operator, login, logout, login IP):');
    for (const x of r.sessionList) out.push(`  ${x.operator}  ${x.login}  ${x.logout ?? '(open)'}  ${x.loginIp ?? ''}`.trimEnd());
  }
  return out.join('\n');
}

const csvCell = (v: string | number | undefined) => (v === undefined ? '' : typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * One row per day, operator and purpose (each count in its column), then outcomes and alerts (in
 * `count`), then sessions (`login`, `logout`).
 */
export function reportCsv(r: AuditReport): string {
  checkReport(r);
  const lines = ['dimension,key,upstream,cached,denied,failed,count,login,logout'];
  for (const [dim, rows] of [['day', r.byDay], ['operator', r.byOperator], ['purpose', r.byPurpose]] as const) {
    for (const x of rows) lines.push([dim, x.key, x.upstream, x.cached, x.denied, x.failed, '', '', ''].map(csvCell).join(','));
  }
  for (const o of r.byOutcome) lines.push(['outcome', o.key, '', '', '', '', o.count, '', ''].map(csvCell).join(','));
  for (const o of r.alertsByGuard ?? []) lines.push(['alert', o.key, '', '', '', '', o.count, '', ''].map(csvCell).join(','));
  for (const x of r.sessionList ?? []) lines.push(['session', x.operator, '', '', '', '', '', x.login, x.logout].map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Operators shown in the operator chart, the busiest first (the tables list them all). */
const TOP_OPERATORS = 20;
/** A bar for a count above zero is at least this many pixels: a single request stays visible beside thousands. */
const MIN_BAR = 3;

const TEXT = {
  vi: {
    title: 'Báo cáo nhật ký tra cứu dân cư (dancu)',
    intro: (r: AuditReport) => `${r.events} sự kiện, ${r.sessions} phiên đăng nhập. Gửi CSDLQG = số lần CSDL quốc gia về dân cư trả lời; bộ nhớ đệm = trả lời từ bộ nhớ đệm, không gửi; từ chối = bị chặn tại chỗ (kiểm tra dữ liệu, mục đích, hạn mức, cảnh báo).`,
    daily: 'Số yêu cầu gửi CSDLQG theo ngày (giờ Việt Nam)', byOperator: 'Yêu cầu theo cán bộ', budget: (n: number) => `hạn mức ${n}/ngày`,
    busiest: (n: number, of: number) => `${n} cán bộ nhiều nhất trên tổng ${of}.`, every: 'Mọi cán bộ, nhiều nhất trước.',
    upstream: 'gửi CSDLQG', cached: 'bộ nhớ đệm', denied: 'từ chối', failed: 'lỗi', count: 'số lượng',
    day: 'ngày', operator: 'cán bộ', purpose: 'mục đích', outcome: 'kết quả', by: (x: string) => `Theo ${x}`,
    alerts: 'Cảnh báo', guard: 'loại cảnh báo', time: 'thời điểm', detail: 'chi tiết',
    sessions: 'Phiên đăng nhập của cán bộ', login: 'đăng nhập', logout: 'đăng xuất', ip: 'địa chỉ IP', open: '(chưa đăng xuất)',
    other: 'English', lang: 'vi',
  },
  en: {
    title: 'dancu audit report',
    intro: (r: AuditReport) => `${r.events} events, ${r.sessions} sessions. Upstream = calls the national database answered; cached = answered by the dedup cache; denied = refused locally (validation, purpose, quota, guards).`,
    daily: 'Daily requests to the upstream (Vietnam days)', byOperator: 'Requests by operator', budget: (n: number) => `budget ${n}/day`,
    busiest: (n: number, of: number) => `The ${n} busiest of ${of} operators.`, every: 'Every operator, the busiest first.',
    upstream: 'upstream', cached: 'cached', denied: 'denied', failed: 'failed', count: 'count',
    day: 'day', operator: 'operator', purpose: 'purpose', outcome: 'outcome', by: (x: string) => `By ${x}`,
    alerts: 'Guard alerts', guard: 'guard', time: 'time', detail: 'detail',
    sessions: 'Operator sessions', login: 'login', logout: 'logout', ip: 'IP address', open: '(open)',
    other: 'Tiếng Việt', lang: 'en',
  },
} as const;
type Texts = (typeof TEXT)['vi' | 'en'];

/** Height of a bar: to scale, and at least {@link MIN_BAR} pixels for any count above zero. */
const barSize = (v: number, max: number, span: number) => (v > 0 ? Math.max(MIN_BAR, (v / max) * span) : 0);

/**
 * Daily upstream requests as bars against the budget line, each bar labelled with its count and
 * its day (at most about twelve day labels: a month of days would overlap).
 */
function dailyChart(r: AuditReport, t: Texts): string {
  const days = r.byDay;
  const max = Math.max(1, r.budgetPerDay ?? 0, ...days.map((d) => d.upstream));
  const W = 720, H = 240, pad = 30, bottom = 44;
  const bw = days.length ? (W - 2 * pad) / days.length : 0;
  const span = H - pad - bottom;
  const y = (v: number) => H - bottom - (v / max) * span;
  const every = Math.max(1, Math.ceil(days.length / 12));
  const bars = days.map((d, i) => {
    const x = pad + i * bw;
    const mid = (x + bw / 2).toFixed(1);
    const h = barSize(d.upstream, max, span);
    const label = i % every === 0 ? `<text class="day" x="${mid}" y="${H - bottom + 16}" text-anchor="middle" font-size="11" fill="#4a5568">${esc(d.key)}</text>` : '';
    return `<rect x="${(x + 2).toFixed(1)}" y="${(H - bottom - h).toFixed(1)}" width="${Math.max(1, bw - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="#2b6cb0"><title>${esc(d.key)}: ${d.upstream}</title></rect>` +
      (bw >= 24 ? `<text class="count" x="${mid}" y="${(H - bottom - h - 4).toFixed(1)}" text-anchor="middle" font-size="11" fill="#1a202c">${d.upstream}</text>` : '') + label;
  }).join('');
  const budget = r.budgetPerDay ? `<line x1="${pad}" x2="${W - pad}" y1="${y(r.budgetPerDay)}" y2="${y(r.budgetPerDay)}" stroke="#c53030" stroke-dasharray="6 4"/><text x="${W - pad}" y="${y(r.budgetPerDay) - 4}" text-anchor="end" font-size="12" fill="#c53030">${esc(t.budget(r.budgetPerDay))}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="daily upstream requests"><line x1="${pad}" x2="${W - pad}" y1="${H - bottom}" y2="${H - bottom}" stroke="#718096"/>${bars}${budget}</svg>`;
}

/**
 * Requests per operator, the busiest first: what reached the upstream (blue) and what was refused
 * locally (orange), side by side in one bar. One officer far above the others, or mostly refused,
 * is where an auditor looks first (a macro under one account: Quảng Trị). With its key: the colours,
 * and how many operators it shows.
 */
function operatorChart(r: AuditReport, t: Texts): string {
  const rows = [...r.byOperator].sort((a, b) => b.upstream + b.denied - (a.upstream + a.denied) || a.key.localeCompare(b.key)).slice(0, TOP_OPERATORS);
  const max = Math.max(1, ...rows.map((x) => x.upstream + x.denied));
  const W = 720, label = 160, right = 90, row = 22;
  const H = rows.length * row + 10;
  const bars = rows.map((x, i) => {
    const top = 5 + i * row;
    const up = barSize(x.upstream, max, W - label - right), den = barSize(x.denied, max, W - label - right);
    const name = x.key.length > 24 ? `${x.key.slice(0, 23)}…` : x.key; // the whole id is in the title and the table
    return `<g class="operator"><title>${esc(x.key)}: ${x.upstream} upstream, ${x.denied} denied</title>` +
      `<text x="${label - 8}" y="${top + 15}" text-anchor="end" font-size="12" fill="#1a202c">${esc(name)}</text>` +
      `<rect class="upstream" x="${label}" y="${top + 3}" width="${up.toFixed(1)}" height="${row - 6}" fill="#2b6cb0"/>` +
      `<rect class="denied" x="${(label + up).toFixed(1)}" y="${top + 3}" width="${den.toFixed(1)}" height="${row - 6}" fill="#dd6b20"/>` +
      `<text x="${(label + up + den + 6).toFixed(1)}" y="${top + 15}" font-size="11" fill="#4a5568">${x.upstream} / ${x.denied}</text></g>`;
  }).join('');
  const key = rows.length < r.byOperator.length ? t.busiest(rows.length, r.byOperator.length) : t.every;
  return `<p class="key">${esc(key)}<span style="background:#2b6cb0"></span>${esc(t.upstream)}<span style="background:#dd6b20"></span>${esc(t.denied)}</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="requests by operator">${bars}</svg>`;
}

/**
 * A self-contained HTML page (no script, nothing fetched), in Vietnamese by default (`lang: 'en'`
 * for English): a chart of daily upstream requests against the budget, a chart of requests per
 * operator (upstream and refused), the tables, the guard alerts and each operator's sessions with
 * login and logout times.
 */
export function reportHtml(r: AuditReport, options?: string | { title?: string; lang?: 'vi' | 'en' }): string {
  checkReport(r);
  const o: { title?: string | undefined; lang?: 'vi' | 'en' } = typeof options === 'object' && options !== null ? options : { title: options === undefined ? undefined : String(options) };
  const t: Texts = TEXT[o.lang === 'en' ? 'en' : 'vi'];
  const title = o.title === undefined ? t.title : String(o.title);
  const cols = COLS.map((c) => t[c]);
  const table = (name: string, rows: ReportRow[]) =>
    `<h2>${esc(t.by(name))}</h2><table><tr><th>${esc(name)}</th>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${rows
      .map((x) => `<tr><td>${esc(x.key)}</td>${COLS.map((c) => `<td>${x[c]}</td>`).join('')}</tr>`).join('')}</table>`;
  const alerts = r.alerts?.length
    ? `<h2>${esc(t.alerts)}</h2><table class="alerts"><tr><th>${esc(t.time)}</th><th>${esc(t.guard)}</th><th>${esc(t.operator)}</th><th>${esc(t.ip)}</th><th>${esc(t.detail)}</th></tr>${r.alerts
      .map((a) => `<tr><td>${esc(a.ts)}</td><td>${esc(a.guard)}</td><td>${esc(a.operator ?? '')}</td><td>${esc(a.ip ?? '')}</td><td>${esc(a.detail)}</td></tr>`).join('')}</table>`
    : '';
  const sessions = r.sessionList?.length
    ? `<h2>${esc(t.sessions)}</h2><table class="sessions"><tr><th>${esc(t.operator)}</th><th>${esc(t.login)}</th><th>${esc(t.logout)}</th><th>${esc(t.ip)}</th></tr>${r.sessionList
      .map((x) => `<tr><td>${esc(x.operator)}</td><td>${esc(x.login)}</td><td>${esc(x.logout ?? t.open)}</td><td>${esc(x.loginIp ?? '')}</td></tr>`).join('')}</table>`
    : '';
  return `<!doctype html><html lang="${t.lang}"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#1a202c}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #cbd5e0;padding:.25em .75em;text-align:right}td:first-child,th:first-child{text-align:left}table.alerts td,table.sessions td{text-align:left}.key{font-size:12px;color:#4a5568}.key span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}</style></head>
<body><h1>${esc(title)}</h1><p>${esc(t.intro(r))}</p>
<h2>${esc(t.daily)}</h2>
${dailyChart(r, t)}
<h2>${esc(t.byOperator)}</h2>
${operatorChart(r, t)}
${table(t.day, r.byDay)}${table(t.operator, r.byOperator)}${table(t.purpose, r.byPurpose)}
<h2>${esc(t.by(t.outcome))}</h2><table><tr><th>${esc(t.outcome)}</th><th>${esc(t.count)}</th></tr>${r.byOutcome.map((x) => `<tr><td>${esc(x.key)}</td><td>${x.count}</td></tr>`).join('')}</table>
${alerts}${sessions}
</body></html>
`;
}
