import { LRUCache } from 'lru-cache';
import type { VerifyAnswer } from '../transport/types.js';
import type { CachedEntry, CacheStore } from './types.js';
import { optionsObject } from '../internal/options.js';

/** Options of {@link MemoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /** Most entries kept; the least recently used go first. Default `10000`. */
  maxEntries?: number;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  clock?: () => number;
}

/**
 * Entries are kept small, so that a million fit in about 300 MB: a verify answer is packed into one
 * short string (`V` + its flags + seconds since 2020 + request id + purpose), with the request id,
 * when a UUID, as 22 base64url characters. Lookups (rare, and off by default) are kept as JSON.
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

function pack(e: CachedEntry): string {
  if (!isVerifyAnswer(e.answer)) return `L${JSON.stringify(e)}`; // a lookup's record, an extra operation's answer
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
function unpack(v: string): CachedEntry {
  if (v[0] === 'L') return JSON.parse(v.slice(1)) as CachedEntry;
  const flags = v.slice(1, 7);
  let answer = answers.get(flags); // a handful of shapes: one shared frozen object each
  if (!answer) {
    const fields: VerifyAnswer['fields'] = { fullName: FLAG[flags[2] as '1'], dateOfBirth: FLAG[flags[3] as '1'] };
    if (flags[4] !== '-') fields.sex = FLAG[flags[4] as '1'];
    answer = Object.freeze({ found: FLAG[flags[0] as '1'], match: FLAG[flags[1] as '1'], detail: flags[5] === 'o' ? 'overall' : 'fields', fields: Object.freeze(fields) } as const);
    answers.set(flags, answer);
  }
  const [t, r, p] = v.slice(7).split('|') as [string, string, string];
  return { answer, requestId: unpackId(r), checkedAt: (parseInt(t, 36) + EPOCH_2020_S) * 1000, purpose: p };
}

/**
 * The embedded default: an LRU with per-entry TTL (lru-cache), in this process's memory. Values are
 * kept as plain data (not encrypted: they never leave the process). `invalidateSubject` scans the
 * keys: it is rare (an officer corrects a record), and an index per citizen would cost more memory
 * than the entries themselves.
 */
export class MemoryCacheStore implements CacheStore {
  readonly #lru: LRUCache<string, string>;

  constructor(options: MemoryCacheStoreOptions = {}) {
    options = optionsObject<MemoryCacheStoreOptions>(options, 'MemoryCacheStore', 'maxEntries');
    const clock = options.clock;
    this.#lru = new LRUCache<string, string>({
      max: options.maxEntries ?? 10_000,
      ttlAutopurge: false,
      // An injected clock must be read on every check (lru-cache otherwise caches 'now' for 1 ms).
      ...(clock ? { perf: { now: clock }, ttlResolution: 0 } : {}),
    });
  }

  get(key: string): CachedEntry | undefined {
    const v = this.#lru.get(key);
    return v === undefined ? undefined : unpack(v);
  }

  set(key: string, _subject: string, entry: CachedEntry, ttlMs: number): void {
    // Round-trip through a Buffer: V8 keeps concatenated strings as ropes; this stores flat ones.
    this.#lru.set(Buffer.from(key).toString(), Buffer.from(pack(entry)).toString(), { ttl: ttlMs });
  }

  /** Keys start with their subject (see `CacheStore`): a scan by prefix. */
  invalidateSubject(subject: string): number {
    const keys: string[] = [];
    for (const k of this.#lru.keys()) if (k.startsWith(subject)) keys.push(k);
    for (const k of keys) this.#lru.delete(k);
    return keys.length;
  }

  size(): number {
    return this.#lru.size;
  }
}
