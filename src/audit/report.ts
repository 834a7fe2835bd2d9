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

export interface AuditReport {
  events: number;
  /** Daily budget recorded by `config.loaded` (the largest seen), for the chart. */
  budgetPerDay: number | undefined;
  byDay: ReportRow[];
  byOperator: ReportRow[];
  byPurpose: ReportRow[];
  byOutcome: Array<{ key: string; count: number }>;
  sessions: number;
}

/** Summarise events by Vietnam day, operator, purpose and outcome. */
export function summarise(events: readonly AuditEvent[]): AuditReport {
  if (!Array.isArray(events)) throw new ValidationError('ERR_INPUT_INVALID', 'events', 'invalid_argument', 'pass an array of audit events (readEvents)');
  events = (events as unknown[]).filter(isObject) as unknown as AuditEvent[]; // a report counts events; anything else in the array is not one
  const tables = { day: new Map<string, ReportRow>(), operator: new Map<string, ReportRow>(), purpose: new Map<string, ReportRow>() };
  const outcomes = new Map<string, number>();
  let budget: number | undefined;
  let sessions = 0;
  const row = (m: Map<string, ReportRow>, key: string) => m.get(key) ?? (m.set(key, { key, upstream: 0, cached: 0, denied: 0, failed: 0 }), m.get(key)!);
  for (const e of events) {
    if (e.type === 'config.loaded') {
      const perDay = (e.detail?.['quota'] as { perDay?: number } | undefined)?.perDay;
      if (typeof perDay === 'number') budget = Math.max(budget ?? 0, perDay);
    }
    if (e.type === 'session.login') sessions++;
    let field: keyof Omit<ReportRow, 'key'> | undefined;
    if (e.type === 'lookup.outcome' && ['match', 'mismatch', 'not_found', 'found'].includes(e.outcome ?? '')) field = 'upstream';
    else if (e.type === 'cache.hit') field = 'cached';
    else if (e.type === 'lookup.denied' || (e.type === 'lookup.outcome' && e.outcome === 'denied')) field = 'denied';
    else if (e.type === 'lookup.outcome' && (e.outcome === 'error' || e.outcome === 'unknown')) field = 'failed';
    if (e.type === 'lookup.outcome' || e.type === 'cache.hit' || e.type === 'lookup.denied') {
      const k = e.outcome ?? 'none';
      outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    }
    if (!field) continue;
    row(tables.day, e.ts.slice(0, 10))[field]++;
    row(tables.operator, e.operator?.id ?? '(none)')[field]++;
    row(tables.purpose, e.purpose?.code ?? '(none)')[field]++;
  }
  const sorted = (m: Map<string, ReportRow>) => [...m.values()].sort((a, b) => a.key.localeCompare(b.key));
  return {
    events: events.length,
    budgetPerDay: budget,
    byDay: sorted(tables.day),
    byOperator: sorted(tables.operator),
    byPurpose: sorted(tables.purpose),
    byOutcome: [...outcomes].map(([key, count]) => ({ key, count })).sort((a, b) => a.key.localeCompare(b.key)),
    sessions,
  };
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
  return out.join('\n');
}

const csvCell = (v: string | number) => (typeof v === 'number' ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function reportCsv(r: AuditReport): string {
  checkReport(r);
  const lines = ['dimension,key,upstream,cached,denied,failed'];
  for (const [dim, rows] of [['day', r.byDay], ['operator', r.byOperator], ['purpose', r.byPurpose]] as const) {
    for (const x of rows) lines.push([dim, x.key, x.upstream, x.cached, x.denied, x.failed].map(csvCell).join(','));
  }
  for (const o of r.byOutcome) lines.push(['outcome', o.key, o.count, '', '', ''].map(csvCell).join(','));
  return `${lines.join('\n')}\n`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Operators shown in the operator chart, the busiest first (the tables list them all). */
const TOP_OPERATORS = 20;

/**
 * Daily upstream requests as bars against the budget line, each bar labelled with its count and
 * its day (at most about twelve day labels: a month of days would overlap).
 */
function dailyChart(r: AuditReport): string {
  const days = r.byDay;
  const max = Math.max(1, r.budgetPerDay ?? 0, ...days.map((d) => d.upstream));
  const W = 720, H = 240, pad = 30, bottom = 44;
  const bw = days.length ? (W - 2 * pad) / days.length : 0;
  const y = (v: number) => H - bottom - (v / max) * (H - pad - bottom);
  const every = Math.max(1, Math.ceil(days.length / 12));
  const bars = days.map((d, i) => {
    const x = pad + i * bw;
    const mid = (x + bw / 2).toFixed(1);
    const label = i % every === 0 ? `<text class="day" x="${mid}" y="${H - bottom + 16}" text-anchor="middle" font-size="11" fill="#4a5568">${esc(d.key)}</text>` : '';
    return `<rect x="${(x + 2).toFixed(1)}" y="${y(d.upstream).toFixed(1)}" width="${Math.max(1, bw - 4).toFixed(1)}" height="${(H - bottom - y(d.upstream)).toFixed(1)}" fill="#2b6cb0"><title>${esc(d.key)}: ${d.upstream}</title></rect>` +
      (bw >= 24 ? `<text class="count" x="${mid}" y="${(y(d.upstream) - 4).toFixed(1)}" text-anchor="middle" font-size="11" fill="#1a202c">${d.upstream}</text>` : '') + label;
  }).join('');
  const budget = r.budgetPerDay ? `<line x1="${pad}" x2="${W - pad}" y1="${y(r.budgetPerDay)}" y2="${y(r.budgetPerDay)}" stroke="#c53030" stroke-dasharray="6 4"/><text x="${W - pad}" y="${y(r.budgetPerDay) - 4}" text-anchor="end" font-size="12" fill="#c53030">budget ${r.budgetPerDay}/day</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="daily upstream requests"><line x1="${pad}" x2="${W - pad}" y1="${H - bottom}" y2="${H - bottom}" stroke="#718096"/>${bars}${budget}</svg>`;
}

/**
 * Requests per operator, the busiest first: what reached the upstream (blue) and what was refused
 * locally (orange), side by side in one bar. One officer far above the others, or mostly refused,
 * is where an auditor looks first (a macro under one account: Quảng Trị). With its key: the colours,
 * and how many operators it shows.
 */
function operatorChart(r: AuditReport): string {
  const rows = [...r.byOperator].sort((a, b) => b.upstream + b.denied - (a.upstream + a.denied) || a.key.localeCompare(b.key)).slice(0, TOP_OPERATORS);
  const max = Math.max(1, ...rows.map((x) => x.upstream + x.denied));
  const W = 720, label = 160, right = 90, row = 22;
  const H = rows.length * row + 10;
  const scale = (v: number) => (v / max) * (W - label - right);
  const bars = rows.map((x, i) => {
    const top = 5 + i * row;
    const up = scale(x.upstream), den = scale(x.denied);
    const name = x.key.length > 24 ? `${x.key.slice(0, 23)}…` : x.key; // the whole id is in the title and the table
    return `<g class="operator"><title>${esc(x.key)}: ${x.upstream} upstream, ${x.denied} denied</title>` +
      `<text x="${label - 8}" y="${top + 15}" text-anchor="end" font-size="12" fill="#1a202c">${esc(name)}</text>` +
      `<rect class="upstream" x="${label}" y="${top + 3}" width="${up.toFixed(1)}" height="${row - 6}" fill="#2b6cb0"/>` +
      `<rect class="denied" x="${(label + up).toFixed(1)}" y="${top + 3}" width="${den.toFixed(1)}" height="${row - 6}" fill="#dd6b20"/>` +
      `<text x="${(label + up + den + 6).toFixed(1)}" y="${top + 15}" font-size="11" fill="#4a5568">${x.upstream} / ${x.denied}</text></g>`;
  }).join('');
  const key = rows.length < r.byOperator.length ? `The ${rows.length} busiest of ${r.byOperator.length} operators.` : 'Every operator, the busiest first.';
  return `<p class="key">${key}<span style="background:#2b6cb0"></span>upstream<span style="background:#dd6b20"></span>denied</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="requests by operator">${bars}</svg>`;
}

/**
 * A self-contained HTML page (no script, nothing fetched): a chart of daily upstream requests
 * against the budget, a chart of requests per operator (upstream and refused), and the tables.
 */
export function reportHtml(r: AuditReport, title = 'dancu audit report'): string {
  checkReport(r);
  title = String(title);
  const table = (name: string, rows: ReportRow[]) =>
    `<h2>By ${esc(name)}</h2><table><tr><th>${esc(name)}</th>${COLS.map((c) => `<th>${c}</th>`).join('')}</tr>${rows
      .map((x) => `<tr><td>${esc(x.key)}</td>${COLS.map((c) => `<td>${x[c]}</td>`).join('')}</tr>`).join('')}</table>`;
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#1a202c}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #cbd5e0;padding:.25em .75em;text-align:right}td:first-child,th:first-child{text-align:left}.key{font-size:12px;color:#4a5568}.key span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}</style></head>
<body><h1>${esc(title)}</h1><p>${r.events} events, ${r.sessions} sessions. Upstream = calls the national database answered; cached = answered by the dedup cache; denied = refused locally (validation, purpose, quota, guards).</p>
<h2>Daily requests to the upstream (Vietnam days)</h2>
${dailyChart(r)}
<h2>Requests by operator</h2>
${operatorChart(r)}
${table('day', r.byDay)}${table('operator', r.byOperator)}${table('purpose', r.byPurpose)}
<h2>Outcomes</h2><table><tr><th>outcome</th><th>count</th></tr>${r.byOutcome.map((o) => `<tr><td>${esc(o.key)}</td><td>${o.count}</td></tr>`).join('')}</table>
</body></html>
`;
}
