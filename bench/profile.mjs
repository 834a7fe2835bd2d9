// CPU profile of one path, summarised by self time: `node bench/profile.mjs hit|storm` (after
// `npm run build`). The path runs in a child under `node --cpu-prof`; the summary groups V8's
// samples by function and prints the top ones, with the share of (idle) and the garbage collector.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const which = process.argv[2] ?? 'hit';
const top = Number(process.argv[3] ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'dancu-prof-'));
execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, new URL(`./profile/${which}.mjs`, import.meta.url).pathname], { stdio: 'inherit' });
const file = readdirSync(dir).find((n) => n.endsWith('.cpuprofile'));
const p = JSON.parse(readFileSync(join(dir, file), 'utf8'));
rmSync(dir, { recursive: true, force: true });
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
p.samples.forEach((id, i) => {
  const d = p.timeDeltas[i] ?? 0;
  total += d;
  const cf = byId.get(id).callFrame;
  const where = cf.url ? ` ${cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^node:/, '')}` : '';
  const k = `${cf.functionName || '(anonymous)'}${where}`;
  self.set(k, (self.get(k) ?? 0) + d);
});
console.log(`\nself time, top ${top} of ${(total / 1e6).toFixed(1)} s sampled (${which}):`);
console.log('| share | function |\n|---|---|');
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${(100 * t / total).toFixed(1)}% | \`${k}\` |`);
