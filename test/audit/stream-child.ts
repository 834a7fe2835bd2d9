/**
 * Child of stream.test.ts: verify and report on a trail in a process of its own, and print what it
 * found with the process's peak RSS (so the parent's own memory does not blur the figure).
 */
import { streamEvents, summariseStream, verifyDirectory } from '../../src/audit/index.js';

const [dir, publicKey] = process.argv.slice(2) as [string, string];
const t0 = Date.now();
const [chain] = await verifyDirectory(dir, { publicKey });
const t1 = Date.now();
const report = await summariseStream(streamEvents({ directory: dir }));
const t2 = Date.now();
process.stdout.write(JSON.stringify({
  ok: chain?.ok, events: chain?.events, problem: chain?.problem, reportEvents: report.events, upstream: report.byDay.reduce((n, d) => n + d.upstream, 0),
  verifyMs: t1 - t0, reportMs: t2 - t1, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
}));
