/** The hand-written canonical serialiser (hot path of the audit chain) is byte-identical to its definition. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalise, canonicalJson } from '../src/internal/canonical.js';

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
