/**
 * `dancu audit report --format html` in a real browser: headless Chromium opens the page, the charts
 * are drawn (one bar per day with its count and day, the budget line; a bar per operator, upstream
 * and refused), and screenshots are taken. Needs Debian's chromium
 * (`.ci/run` installs it); skipped with a message on a laptop without it, a failure in CI.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { MemoryAuditSink } from '../../src/index.js';
import { reportHtml, subjectHtml, subjectLookups, summarise } from '../../src/audit/index.js';
import { ctx, setup } from '../helpers.js';

const CHROMIUM = process.env['DANCU_CHROMIUM'] ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  if (process.env['DANCU_REQUIRE_SERVICES'] === '1') throw new Error(`Chromium not found at ${CHROMIUM}, and DANCU_REQUIRE_SERVICES=1: the browser test must run.`);
  console.warn(`\n⚠ Chromium not found at ${CHROMIUM}: SKIPPING the HTML report browser test (apt-get install chromium, or set DANCU_CHROMIUM).\n`);
}

it.skipIf(!available)('the HTML report opens in headless Chromium and shows the daily chart against the budget and the operator chart', async () => {
  // Three Vietnam days of traffic, under a budget of 5 a day; on the full day a second operator's
  // three calls are refused by the quota (denied, never sent).
  let now = Date.parse('2026-11-20T03:00:00Z');
  const sink = new MemoryAuditSink();
  const { sandbox, client, close } = await setup({ populationSize: 40 }, { audit: { sink }, clock: () => now, quota: { perDay: 5 }, guards: { enumeration: false } });
  for (const [day, n] of [[0, 2], [1, 5], [2, 3]] as const) {
    now = Date.parse('2026-11-20T03:00:00Z') + day * 86_400_000;
    for (let i = 0; i < n; i++) {
      const c = sandbox.population[day * 10 + i]!;
      await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, ctx);
    }
    if (day === 1) {
      for (let i = 5; i < 8; i++) {
        const c = sandbox.population[day * 10 + i]!;
        const refused = await client.verifyCitizen({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth },
          { ...ctx, operator: { id: 'cb.macro', ip: '10.0.0.9' } }).then(() => undefined, (err: { code?: string }) => err.code);
        expect(refused).toBe('ERR_QUOTA_EXCEEDED');
      }
    }
  }
  await close();
  const dir = join(process.cwd(), '.tmp');
  await mkdir(dir, { recursive: true });
  const page = join(dir, 'audit-report.html');
  await writeFile(page, reportHtml(summarise(sink.events)));

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const tab = await browser.newPage({ viewport: { width: 900, height: 900 } });
    await tab.goto(`file://${page}`);
    const chart = tab.locator('svg[aria-label="daily upstream requests"]');
    const box = await chart.boundingBox();
    expect(box?.width).toBe(720);
    expect(box?.height).toBe(240);
    const bars = await chart.locator('rect').evaluateAll((rs) => rs.map((r) => ({ h: r.getBoundingClientRect().height, title: r.textContent })));
    expect(bars.map((b) => b.title)).toEqual(['2026-11-20: 2', '2026-11-21: 5', '2026-11-22: 3']);
    expect(bars[1]!.h).toBeGreaterThan(bars[2]!.h); // drawn to scale
    expect(bars[2]!.h).toBeGreaterThan(bars[0]!.h);
    expect(await tab.getByText('hạn mức 5/ngày').isVisible()).toBe(true); // Vietnamese by default
    // Each bar says its count and its day, for a reader of a printed page.
    expect(await chart.locator('text.count').allTextContents()).toEqual(['2', '5', '3']);
    const days = chart.locator('text.day');
    expect(await days.allTextContents()).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
    for (const d of await days.all()) expect(await d.isVisible()).toBe(true);
    const png = await chart.screenshot({ path: join(dir, 'audit-report-chart.png') });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(2_000);

    // Requests by operator, the busiest first: cb.test's 10 upstream, cb.macro's 3 refused.
    const ops = tab.locator('svg[aria-label="requests by operator"]');
    expect((await ops.boundingBox())?.width).toBe(720);
    const rows = await ops.locator('g.operator').evaluateAll((gs) => gs.map((g) => ({
      title: g.querySelector('title')?.textContent,
      upstream: g.querySelector('rect.upstream')!.getBoundingClientRect().width,
      denied: g.querySelector('rect.denied')!.getBoundingClientRect().width,
    })));
    expect(rows.map((r) => r.title)).toEqual(['cb.test: 10 upstream, 0 denied', 'cb.macro: 0 upstream, 3 denied']);
    expect(rows[0]!.upstream).toBeGreaterThan(400); // the busiest operator spans the chart
    expect(rows[0]!.denied).toBe(0);
    expect(rows[1]!.upstream).toBe(0);
    expect(rows[1]!.denied).toBeCloseTo(rows[0]!.upstream * 0.3, 0); // to scale
    expect(await tab.getByText('Mọi cán bộ, nhiều nhất trước.').isVisible()).toBe(true);
    await tab.screenshot({ path: join(dir, 'audit-report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
}, 60_000);

it.skipIf(!available)('the citizen\'s page (dancu audit subject --format html) opens in headless Chromium, in Vietnamese, one row per lookup', async () => {
  const sink = new MemoryAuditSink();
  const secret = 'browser-subject-secret-0123456789-abcdef';
  const { sandbox, client, close } = await setup({}, { audit: { sink, secret }, cache: { enabled: true } });
  const c = sandbox.population[3]!;
  const me = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
  await client.verifyCitizen(me, { ...ctx, purpose: { code: 'HT-KHAISINH', dossierId: 'HS-<1>' } });
  await client.verifyCitizen(me, { ...ctx, purpose: { code: 'HT-KHAISINH', dossierId: 'HS-2' } });
  await close();
  const r = await subjectLookups(sink.events, { idNumber: c.idNumber, secret });
  const dir = join(process.cwd(), '.tmp');
  await mkdir(dir, { recursive: true });
  const page = join(dir, 'audit-subject.html');
  await writeFile(page, subjectHtml(r));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 900, height: 700 } });
    await tab.goto(`file://${page}`);
    expect(await tab.getByRole('heading', { name: 'Ai đã tra cứu thông tin của tôi' }).isVisible()).toBe(true);
    expect(await tab.locator('html').getAttribute('lang')).toBe('vi');
    expect(await tab.locator('strong.count').textContent()).toBe('2');
    const rows = await tab.locator('table.lookups tr').evaluateAll((trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.map((x) => [x[3], x[4], x[5]])).toEqual([['HS-<1>', 'tra cứu CSDLQG', 'match'], ['HS-2', 'kết quả đã lưu', 'match']]);
    expect(await tab.content()).not.toContain(c.idNumber);
    const png = await tab.screenshot({ path: join(dir, 'audit-subject.png'), fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  } finally {
    await browser.close();
  }
}, 60_000);
