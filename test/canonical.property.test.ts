/** The hand-written canonical serialiser (hot path of the audit chain) is byte-identical to its definition. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalise, canonicalJson } from '../src/internal/canonical.js';
import { canonicalEventJson } from '../src/audit/event-json.js';
import type { AuditEventBody } from '../src/index.js';

describe('canonicalJson', () => {
  it('equals JSON.stringify(canonicalise(value)) for any JSON-like value', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true, withBoxedValues: false, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true }), (v) => {
        let expected: string | undefined;
        try {
          expected = JSON.stringify(canonicalise(v)) ?? 'null';
        } catch {
          expected = undefined;
        }
        if (expected === undefined) expect(() => canonicalJson(v)).toThrow();
        else expect(canonicalJson(v)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('sorts keys, drops undefined members, names functions and class instances', () => {
    expect(canonicalJson({ b: 1, a: [undefined, () => 1, new URL('http://x/')], c: undefined, d: new Map() })).toBe(
      '{"a":[null,"[function anonymous]","http://x/"],"b":1,"d":"[Map]"}',
    );
  });
});

/** Event bodies as the trail writes them, and bent every way a caller's sink or a bug could bend them. */
const str = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\u2028', '\ud800'));
const odd = fc.oneof(str, fc.integer(), fc.constant(undefined), fc.constant(null), fc.anything({ maxDepth: 2 }),
  fc.constantFrom({ z: 1, a: [2, { y: 1, b: 0 }] }, function named() {}, new URL('http://x/'), [undefined, 1]));
const member = (keys: string[]) =>
  fc.dictionary(
    fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.constantFrom('extra', '0', '__proto__') }),
    fc.oneof({ weight: 6, arbitrary: str }, { weight: 1, arbitrary: odd }),
    { maxKeys: keys.length + 1 },
  )
    .chain((o) => fc.constantFrom(o, Object.freeze({ ...o }), new Map(Object.entries(o)) as unknown as typeof o));
const eventBody = fc.record(
  {
    v: fc.oneof(fc.constant(1), odd),
    ts: str,
    eventId: fc.oneof(fc.uuid(), odd),
    type: fc.constantFrom('cache.hit', 'lookup.intent', 'guard.alert'),
    system: member(['id', 'unitCode', 'version', 'instance', 'fingerprint', 'sdk']),
    operator: member(['id', 'ip', 'sessionId', 'userAgent']),
    purpose: member(['code', 'dossierId', 'legalBasis']),
    subject: member(['hmac', 'masked', 'raw']),
    fields: fc.oneof(fc.array(str, { maxLength: 3 }), odd),
    requestId: str,
    outcome: fc.oneof(fc.constantFrom('match', 'found'), odd),
    latencyMs: fc.oneof(fc.double(), fc.integer()),
    detail: fc.oneof(fc.dictionary(str, odd), odd),
    seq: fc.integer(),
    hash: str,
    unknownKey: odd,
  },
  { requiredKeys: ['v', 'ts', 'type'] },
);

describe('canonicalEventJson (the chain\'s writer of every event)', () => {
  it('equals canonicalJson({ ...body, seq, prevHash }) for any body, odd ones included', () => {
    fc.assert(
      fc.property(eventBody, fc.integer({ min: 1 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }), (body, seq, prevHash) => {
        const b = body as unknown as AuditEventBody;
        let expected: string | undefined;
        try {
          expected = canonicalJson({ ...b, seq, prevHash });
        } catch {
          expected = undefined;
        }
        if (expected === undefined) expect(() => canonicalEventJson(b, seq, prevHash)).toThrow();
        else {
          expect(canonicalEventJson(b, seq, prevHash)).toBe(expected);
          expect(canonicalEventJson(b, seq, prevHash)).toBe(expected); // frozen members: the remembered text too
          // A member that is not frozen may change between events: never a remembered text for it.
          const members = [b.system, b.operator, b.purpose, b.subject] as Array<Record<string, unknown> | undefined>;
          for (const m of members) if (m && Object.getPrototypeOf(m) === Object.prototype && !Object.isFrozen(m)) m['id'] = `${String(m['id'])}+`;
          expect(canonicalEventJson(b, seq, prevHash)).toBe(canonicalJson({ ...b, seq, prevHash }));
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
