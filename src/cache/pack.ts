import type { VerifyAnswer } from '../transport/types.js';
import type { CachedEntry } from './types.js';

/**
 * A cached entry as one short string, for the memory store (a million entries) and the Redis store
 * (before encryption): a verify answer is `V` + its flags + seconds since 2020 + request id +
 * purpose, with the request id, when a UUID, as 22 base64url characters. Lookups and the answers of
 * other operations (rare, and off by default) are `L` + JSON.
 */
const EPOCH_2020_S = 1_577_836_800;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FLAG = { '1': true, '0': false } as const;

function packId(id: string): string {
  return UUID.test(id) ? `~${Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url')}` : id;
}
function unpackId(id: string): string {
  if (!id.startsWith('~')) return id;
  const h = Buffer.from(id.slice(1), 'base64url').toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function pack(e: CachedEntry): string {
  // A lookup's record, an extra operation's answer, or a request id the short form cannot carry: JSON.
  if (!isVerifyAnswer(e.answer) || (!UUID.test(e.requestId) && /[|~]/.test(e.requestId))) return `L${JSON.stringify(e)}`;
  const a = e.answer;
  const f = a.fields;
  const flags = `${+a.found}${+a.match}${+f.fullName}${+f.dateOfBirth}${f.sex === undefined ? '-' : +f.sex}${a.detail === 'overall' ? 'o' : 'f'}`;
  const t = Math.floor(e.checkedAt / 1000) - EPOCH_2020_S;
  return `V${flags}${t.toString(36)}|${packId(e.requestId)}|${e.purpose}`;
}

const answers = new Map<string, VerifyAnswer>();
function isVerifyAnswer(a: CachedEntry['answer']): a is VerifyAnswer {
  return 'match' in a && 'fields' in a && 'detail' in a;
}
export function unpack(v: string): CachedEntry {
  if (v[0] === 'L') return JSON.parse(v.slice(1)) as CachedEntry;
  const flags = v.slice(1, 7);
  let answer = answers.get(flags); // a handful of shapes: one shared frozen object each
  if (!answer) {
    const fields: VerifyAnswer['fields'] = { fullName: FLAG[flags[2] as '1'], dateOfBirth: FLAG[flags[3] as '1'] };
    if (flags[4] !== '-') fields.sex = FLAG[flags[4] as '1'];
    answer = Object.freeze({ found: FLAG[flags[0] as '1'], match: FLAG[flags[1] as '1'], detail: flags[5] === 'o' ? 'overall' : 'fields', fields: Object.freeze(fields) } as const);
    answers.set(flags, answer);
  }
  // The purpose is last and may hold any character, '|' included: split at the first two only.
  const a = v.indexOf('|', 7);
  const b = v.indexOf('|', a + 1);
  const t = v.slice(7, a), r = v.slice(a + 1, b), p = v.slice(b + 1);
  return { answer, requestId: unpackId(r), checkedAt: (parseInt(t, 36) + EPOCH_2020_S) * 1000, purpose: p };
}
