import { describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../../src/index.js';
import { reportCsv, reportHtml, reportTable, summarise, type AuditReport } from '../../src/audit/index.js';
import { ctx, rejection, setup } from '../helpers.js';

describe('dancu audit report', () => {
  it('summarises by day, operator, purpose and outcome; CSV and a self-contained HTML page with the budget', async () => {
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({}, { audit: { sink }, cache: { enabled: true }, quota: { perDay: 3 } });
    const p = (i: number) => ({ idNumber: sandbox.population[i]!.idNumber, fullName: sandbox.population[i]!.fullName, dateOfBirth: sandbox.population[i]!.dateOfBirth });
    const s = client.session({ operatorId: 'cb.<script>', ip: '10.0.0.2' });
    await s.verifyCitizen(p(0), { purpose: { code: 'HT-KHAISINH' }, ip: '10.0.0.2' });
    await s.verifyCitizen(p(0), { purpose: { code: 'HT-KHAISINH' }, ip: '10.0.0.2' }); // cached
    await client.verifyCitizen({ ...p(1), fullName: 'Sai Tên' }, ctx);
    await client.verifyCitizen(p(2), ctx);
    await rejection(client.verifyCitizen(p(3), ctx)); // quota: 3 per day
    await rejection(client.verifyCitizen(p(4), { ...ctx, purpose: { code: 'NOPE' } }));
    await s.end();
    await close();
    const r = summarise(sink.events);
    expect(r.budgetPerDay).toBe(3);
    expect(r.sessions).toBe(1);
    expect(r.byDay).toEqual([{ key: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), upstream: 3, cached: 1, denied: 2, failed: 0 }]);
    expect(r.byOperator).toEqual([
      { key: 'cb.<script>', upstream: 1, cached: 1, denied: 0, failed: 0 },
      { key: 'cb.test', upstream: 2, cached: 0, denied: 2, failed: 0 },
    ]);
    expect(r.byPurpose.map((x) => x.key)).toEqual(['HT-KHAISINH', 'NOPE']);
    expect(r.byOutcome).toEqual([{ key: 'denied', count: 2 }, { key: 'match', count: 3 }, { key: 'mismatch', count: 1 }]);
    expect(reportTable(r)).toContain('cb.<script>');
    // The regulator's ask: each operator's login and logout times.
    expect(r.sessionList).toEqual([{ operator: 'cb.<script>', sessionId: expect.any(String), loginIp: '10.0.0.2', login: expect.stringMatching(/\+07:00$/), logout: expect.stringMatching(/\+07:00$/) }]);
    expect(reportTable(r)).toMatch(/sessions \(operator, login, logout, login IP\):\n {2}cb\.<script> {2}\S+\+07:00 {2}\S+\+07:00 {2}10\.0\.0\.2/);
    // CSV: each count in its own column, outcomes in `count`, sessions with their times.
    const csv = reportCsv(r).trim().split('\n');
    expect(csv[0]).toBe('dimension,key,upstream,cached,denied,failed,count,login,logout');
    expect(csv).toContain('operator,cb.test,2,0,2,0,,,');
    expect(csv).toContain('outcome,match,,,,,3,,');
    expect(csv.find((l) => l.startsWith('session,'))).toMatch(/^session,cb\.<script>,,,,,,\S+\+07:00,\S+\+07:00$/);
    const html = reportHtml(r);
    expect(html).toMatch(/^<!doctype html><html lang="vi">/);
    expect(html).toContain('<svg');
    expect(html).toContain('hạn mức 3/ngày'); // Vietnamese by default
    expect(html).toContain('Phiên đăng nhập của cán bộ');
    expect(reportHtml(r, { lang: 'en' })).toContain('budget 3/day');
    expect(html).toContain('cb.&lt;script&gt;');
    expect(html).not.toContain('cb.<script>');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained, nothing to run or fetch
  });

  it('guard alerts are counted and listed; a single request stays visible beside thousands', async () => {
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({}, { audit: { sink } });
    const c = sandbox.population[0]!;
    await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, { ...ctx, operator: { id: 'cb.test', ip: '10.9.9.9' } }); // a new IP
    await close();
    const r = summarise(sink.events);
    expect(r.alertsByGuard).toEqual([{ key: 'new-ip', count: 1 }]);
    expect(r.alerts).toEqual([{ ts: expect.any(String), guard: 'new-ip', operator: 'cb.test', ip: '10.9.9.9', detail: '{"knownIps":1}' }]);
    expect(reportCsv(r)).toContain('alert,new-ip,,,,,1,,');
    expect(reportHtml(r, { lang: 'en' })).toMatch(/<h2>Guard alerts<\/h2><table class="alerts">.*<td>new-ip<\/td><td>cb\.test<\/td>/);
    const row = (key: string, upstream: number) => ({ key, upstream, cached: 0, denied: 0, failed: 0 });
    const big: AuditReport = { events: 0, budgetPerDay: 9000, byDay: [row('2026-10-01', 8000), row('2026-10-02', 1)], byOperator: [row('cb.a', 8000), row('cb.b', 1)], byPurpose: [], byOutcome: [], sessions: 0 };
    const html = reportHtml(big);
    const heights = [...html.matchAll(/<rect [^>]*height="([\d.]+)" fill="#2b6cb0"><title>/g)].map((m) => Number(m[1]));
    expect(heights[1]).toBeGreaterThanOrEqual(3);
    const widths = [...html.matchAll(/<rect class="upstream" [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths[1]).toBeGreaterThanOrEqual(3);
  });

  it('HTML charts stay readable for a month of days and many operators', () => {
    const row = (key: string, upstream: number, denied = 0) => ({ key, upstream, cached: 0, denied, failed: 0 });
    const r: AuditReport = {
      events: 0,
      budgetPerDay: 9000,
      byDay: Array.from({ length: 31 }, (_, i) => row(`2026-10-${String(i + 1).padStart(2, '0')}`, 100 * i)),
      byOperator: Array.from({ length: 25 }, (_, i) => row(`cb.${String(i).padStart(2, '0')}${i === 7 ? '-a-very-long-operator-identifier' : ''}`, i, i === 3 ? 500 : 0)),
      byPurpose: [],
      byOutcome: [],
      sessions: 0,
    };
    const html = reportHtml(r);
    const days = [...html.matchAll(/<text class="day"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(days).toEqual(['2026-10-01', '2026-10-04', '2026-10-07', '2026-10-10', '2026-10-13', '2026-10-16', '2026-10-19', '2026-10-22', '2026-10-25', '2026-10-28', '2026-10-31']);
    expect(html).not.toContain('class="count"'); // 31 bars are too narrow for their counts: the titles and the table have them
    const ops = [...html.matchAll(/<g class="operator"><title>([^<]*)</g)].map((m) => m[1]);
    expect(ops).toHaveLength(20);
    expect(ops[0]).toBe('cb.03: 3 upstream, 500 denied'); // mostly refused, and the busiest: first
    expect(ops[1]).toBe('cb.24: 24 upstream, 0 denied');
    expect(html).toContain('20 cán bộ nhiều nhất trên tổng 25.');
    expect(reportHtml(r, { lang: 'en' })).toContain('The 20 busiest of 25 operators.');
    expect(html).toContain('>cb.07-a-very-long-opera…<'); // the label is cut, the title is whole
    expect(html).toContain('<title>cb.07-a-very-long-operator-identifier: 7 upstream, 0 denied</title>');
  });
});
