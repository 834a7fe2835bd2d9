import { describe, expect, it } from 'vitest';
import { MemoryAuditSink, reportCsv, reportHtml, reportTable, summarise } from '../../src/index.js';
import { ctx, rejection, setup } from '../helpers.js';

describe('dancu audit report', () => {
  it('summarises by day, operator, purpose and outcome; CSV and a self-contained HTML page with the budget', async () => {
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({}, { audit: { sink }, cache: { enabled: true }, quota: { perDay: 3 } });
    const p = (i: number) => ({ idNumber: sandbox.population[i]!.idNumber, fullName: sandbox.population[i]!.fullName, dateOfBirth: sandbox.population[i]!.dateOfBirth });
    const s = client.session({ operatorId: 'cb.<script>', ip: '10.0.0.2' });
    await s.verifyCitizen(p(0), { purpose: { code: 'HT-KHAISINH' } });
    await s.verifyCitizen(p(0), { purpose: { code: 'HT-KHAISINH' } }); // cached
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
});
