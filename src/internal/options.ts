/** Arguments of public constructors and helpers, checked: `ERR_CONFIG_INVALID`, never a bare TypeError. */
import { ConfigError } from '../errors.js';

/**
 * Options of a store or sink constructor as an object (`undefined` → `{}`), with `clock` a function
 * and `max` (when named) a positive whole number, or `ERR_CONFIG_INVALID`.
 */
export function optionsObject<T extends object>(options: unknown, what: string, max?: string): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError([{ path: what, received: options === null ? 'null' : typeof options, message: 'options must be an object', fix: `pass { … } to ${what}, or nothing` }]);
  }
  const o = options as Record<string, unknown>;
  if (o['clock'] !== undefined && typeof o['clock'] !== 'function') {
    throw new ConfigError([{ path: `${what}.clock`, received: typeof o['clock'], message: 'must be a function returning epoch ms', fix: 'leave it out (Date.now) or pass () => ms' }]);
  }
  if (max !== undefined && o[max] !== undefined && !(Number.isInteger(o[max]) && (o[max] as number) > 0)) {
    throw new ConfigError([{ path: `${what}.${max}`, received: typeof o[max], message: 'must be a positive whole number', fix: 'leave it out for the default' }]);
  }
  return o as Partial<T>;
}

/** A secret option as bytes (UTF-8 for a string). */
export function secretBytes(secret: string | Buffer): Buffer {
  return Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
}
