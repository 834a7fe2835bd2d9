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
    expect(reportCsv(r).split('\n')[0]).toBe('dimension,key,upstream,cached,denied,failed');
    const html = reportHtml(r);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('budget 3/day');
    expect(html).toContain('cb.&lt;script&gt;');
    expect(html).not.toContain('cb.<script>');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained, nothing to run or fetch
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
    expect(html).toContain('The 20 busiest of 25 operators.');
    expect(html).toContain('>cb.07-a-very-long-opera…<'); // the label is cut, the title is whole
    expect(html).toContain('<title>cb.07-a-very-long-operator-identifier: 7 upstream, 0 denied</title>');
  });
});
