// `npm run bench`: every benchmark, one after the other (never in parallel: 2 shared cores).
//   node --expose-gc bench/run.mjs [--json] [--rounds N]
import { parseArgs } from 'node:util';
import { benchAudit } from './audit.mjs';
import { benchCache } from './cache.mjs';
import { benchQuota } from './quota.mjs';
import { benchTransport } from './transport.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string' }, json: { type: 'boolean' } } });
const rounds = Number(values.rounds ?? 7);
const results = {
  node: process.version,
  transport: await benchTransport({ rounds }),
  quota: await benchQuota({ rounds }),
  cache: await benchCache({ rounds }),
  audit: await benchAudit(),
};
if (values.json) console.log(JSON.stringify(results, null, 2));
