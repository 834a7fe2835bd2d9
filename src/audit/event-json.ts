import { z } from 'zod';
import { canonicalJson } from '../internal/canonical.js';
import { AuditEventSchema, type AuditEventBody } from './schema.js';

/**
 * The canonical JSON of a chained event without its `hash` — byte for byte what
 * `canonicalJson({ ...body, seq, prevHash })` writes (property-tested), written faster: this runs
 * for every audit event, cache hits included. Key orders come from the event schema, sorted once;
 * `seq` and `prevHash` are merged in without copying the body; the nested objects the schema
 * knows (system, operator, purpose, subject) are written from their sorted key lists; a frozen
 * nested object (the trail's `system`) is written once and remembered. Anything the schema does not
 * describe — an unknown key, a value of another type — goes through the generic writer, so the
 * result never depends on which path wrote it.
 */
export function canonicalEventJson(body: AuditEventBody, seq: number, prevHash: string): string {
  const b = body as unknown as Record<string, unknown>;
  if (Object.getPrototypeOf(b) !== Object.prototype) return canonicalJson({ ...b, seq, prevHash });
  for (const k in b) if (!BODY_KEYS.has(k)) return canonicalJson({ ...b, seq, prevHash });
  let out = '{';
  for (const k of TOP) {
    const v = k === 'seq' ? seq : k === 'prevHash' ? prevHash : b[k];
    if (v === undefined) continue;
    const nested = NESTED[k];
    const text = typeof v === 'string' || typeof v === 'number' ? JSON.stringify(v) : nested !== undefined ? flat(v, nested) : isStrings(v) ? JSON.stringify(v) : canonicalJson(v);
    out += out.length > 1 ? `,${LABEL[k]}${text}` : `${LABEL[k]}${text}`;
  }
  return `${out}}`;
}

/** Keys of a schema object, unwrapping `.optional()`. */
function keysOf(schema: z.ZodType): string[] {
  const inner = schema instanceof z.ZodOptional ? schema.unwrap() : schema;
  return Object.keys((inner as z.ZodObject).shape).sort();
}

const shape = AuditEventSchema.shape;
/** Members of a chained event except `hash`, in canonical (sorted) order. */
const TOP: readonly string[] = Object.keys(shape).filter((k) => k !== 'hash').sort();
/** Members a body may carry for this writer: the schema's, less the ones the chain assigns. */
const BODY_KEYS: ReadonlySet<string> = new Set(TOP.filter((k) => k !== 'seq' && k !== 'prevHash'));
const NESTED: Readonly<Record<string, readonly string[]>> = {
  system: keysOf(shape.system),
  operator: keysOf(shape.operator),
  purpose: keysOf(shape.purpose),
  subject: keysOf(shape.subject),
};
const LABEL: Readonly<Record<string, string>> = Object.fromEntries(
  [...TOP, ...Object.values(NESTED).flat()].map((k) => [k, `${JSON.stringify(k)}:`]),
);

const frozenText = new WeakMap<object, string>();

/** A dense array of strings (`fields`): its canonical text is JSON.stringify's. */
function isStrings(v: unknown): boolean {
  if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false; // a hole reads as undefined
  return true;
}

/** A nested object of string members from `keys`; anything else through the generic writer. */
function flat(v: unknown, keys: readonly string[]): string {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return canonicalJson(v);
  const frozen = Object.isFrozen(v);
  if (frozen) {
    const known = frozenText.get(v);
    if (known !== undefined) return known;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) if (!keys.includes(k) || (o[k] !== undefined && typeof o[k] !== 'string')) return canonicalJson(v);
  let out = '{';
  for (const k of keys) {
    const s = o[k];
    if (s === undefined) continue;
    out += out.length > 1 ? `,${LABEL[k]}${JSON.stringify(s)}` : `${LABEL[k]}${JSON.stringify(s)}`;
  }
  const text = `${out}}`;
  if (frozen) frozenText.set(v, text);
  return text;
}
