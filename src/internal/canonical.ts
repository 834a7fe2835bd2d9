import { hash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted, no whitespace, `undefined` members dropped. Functions and
 * class instances (stores, sinks, fetch) are replaced by a `[Name]` marker so a fingerprint says
 * *which kind* of store was configured without serialising its internals.
 */
export function canonicalJson(value: unknown): string {
  // Written directly (no intermediate copy): this runs for every audit event on the hot path.
  // Byte-identical to JSON.stringify(canonicalise(value)) — property-tested.
  return write(value) ?? 'null';
}

/** The canonical text of `value`, or undefined where JSON.stringify would drop it (object members). */
function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'function':
      return JSON.stringify(`[function ${value.name || 'anonymous'}]`);
    case 'undefined':
    case 'symbol':
      return undefined;
    case 'bigint':
      return JSON.stringify(value); // throws, as JSON.stringify does
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${Array.from(value, (v) => write(v) ?? 'null').join(',')}]`; // holes are null, as in JSON
  if (value instanceof URL) return JSON.stringify(value.href);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return JSON.stringify(`[${(value as object).constructor?.name ?? 'object'}]`);
  let out = '';
  for (const key of canonicalKeyOrder(Object.keys(value as object))) {
    const v = write((value as Record<string, unknown>)[key]);
    if (v === undefined) continue;
    out += `${out ? ',' : ''}${JSON.stringify(key)}:${v}`;
  }
  return `{${out}}`;
}

const INDEX = /^(?:0|[1-9]\d*)$/;
/**
 * Keys in the order `JSON.stringify(canonicalise(v))` prints them: sorted, except that array-index
 * keys ("0", "17") come first in numeric order, as JavaScript orders them in any object.
 */
function canonicalKeyOrder(keys: string[]): string[] {
  const sorted = keys.sort();
  const index = sorted.filter((k) => INDEX.test(k) && Number(k) < 2 ** 32 - 1);
  if (index.length === 0) return sorted;
  const set = new Set(index);
  return [...index.sort((a, b) => Number(a) - Number(b)), ...sorted.filter((k) => !set.has(k))];
}

/** The reference definition (kept for the property test that holds `canonicalJson` to it). */
export function canonicalise(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' ? `[function ${value.name || 'anonymous'}]` : value;
  }
  if (Array.isArray(value)) return value.map(canonicalise);
  if (value instanceof URL) return value.href;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return `[${(value as object).constructor?.name ?? 'object'}]`;
  // A null prototype: an own `__proto__` member (JSON.parse makes one) stays a member, as in the input.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = canonicalise(v);
  }
  return out;
}

/** SHA-256 of the UTF-8 text, hex. One-shot `crypto.hash` (Node ≥ 20.12): no Hash object per call. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}
