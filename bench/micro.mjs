// The micro-measurements that code comments lean on, reproducible: `node bench/micro.mjs`.
// Each line: the form the code uses, the form it avoids, medians of 7 rounds, same process.
import { median } from './stats.mjs';

const N = 200_000;
let sink; // results go here so the loops are not optimised away
function perCall(fn) {
  for (let i = 0; i < 20_000; i++) sink = fn(i);
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink = fn(i);
  return Number(process.hrtime.bigint() - t) / N / 1000; // µs
}
function compare(name, used, avoided) {
  const u = [], a = [];
  for (let r = 0; r < 7; r++) {
    u.push(perCall(used));
    a.push(perCall(avoided));
  }
  const mu = median(u), ma = median(a);
  console.log(`${name}\n  used    ${mu.toFixed(3)} µs\n  avoided ${ma.toFixed(3)} µs   (${(ma / mu).toFixed(1)}× the cost)`);
  return { used: mu, avoided: ma, ratio: ma / mu };
}

export function benchMicro() {
  const base = { operation: 'verify', operator: { id: 'cb.an', ip: '10.0.0.1' }, purpose: { code: 'HT-KS' }, subject: { hmac: 'h', masked: 'm' }, fields: ['fullName'] };
  const name = 'Nguyễn Văn Đông';
  const event = { v: 1, ts: 't', eventId: 'e', system: { id: 's' }, type: 'cache.hit', source: 'cache', requestId: 'r', outcome: 'match', ...base };
  const results = {
    spread: compare('object with a five-key base (src/client.ts): { type, ...base } vs { ...base, type }',
      (i) => ({ type: 'lookup.intent', requestId: i, ...base }),
      (i) => ({ ...base, type: 'lookup.intent', requestId: i })),
    eventCopy: compare('event copy (src/audit/chain.ts): Object.assign({}, body, { seq, prevHash, hash }) vs { ...body, seq, prevHash, hash }',
      (i) => Object.assign({}, event, { seq: i, prevHash: 'p', hash: 'h' }),
      (i) => ({ ...event, seq: i, prevHash: 'p', hash: 'h' })),
    lowerCase: compare("name key (src/citizen/name.ts): toLowerCase() vs toLocaleLowerCase('vi')",
      () => name.toLowerCase(),
      () => name.toLocaleLowerCase('vi')),
  };
  void sink;
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) benchMicro();
