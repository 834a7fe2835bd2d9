import { hash } from 'node:crypto';

/**
 * A tag keyed by bits no store ever holds: SHA-256 over `hidden` — the part of an HMAC that is not
 * stored (its first bytes are the visible key) — and `parts`, base64url, `chars` long. Nothing in it
 * can be tested against guessed inputs without the HMAC's secret, and it costs a hash, not another
 * HMAC. Used for cache entry keys and the enumeration guard's value tags.
 */
export function hiddenTag(hidden: string, parts: readonly string[], chars: number): string {
  return hash('sha256', `${hidden}\u001f${parts.join('\u001f')}`, 'base64url').slice(0, chars);
}
