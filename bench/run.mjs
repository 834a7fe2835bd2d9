// `npm run bench`: every benchmark, one after the other (never in parallel: 2 shared cores).
//   node bench/run.mjs [--json] [--rounds N]
import { parseArgs } from 'node:util';
import { benchQuota } from './quota.mjs';
import { benchTransport } from './transport.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, json: { type: 'boolean' } } });
const rounds = Number(values.rounds ?? 7);
const results = {
  node: process.version,
  transport: await benchTransport({ rounds }),
  quota: await benchQuota({ rounds }),
};
if (values.json) console.log(JSON.stringify(results, null, 2));
