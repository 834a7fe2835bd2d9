import { describe, expect, it, vi } from 'vitest';
import * as dancu from '../src/index.js';

describe('errors', () => {
  it('one tree: every subclass is a DancuError with a stable code', () => {
    const locked = new dancu.UpstreamLockedError('2026-11-24T00:00:00.000+07:00', { requestId: 'r1' });
    expect(locked).toBeInstanceOf(dancu.UpstreamError);
    expect(locked).toBeInstanceOf(dancu.TransportError);
    expect(locked).toBeInstanceOf(dancu.DancuError);
    expect(locked).toBeInstanceOf(Error);
    expect(locked).not.toBeInstanceOf(dancu.RateLimitedError);
    expect(locked).not.toBeInstanceOf(dancu.ValidationError);
    expect(locked.name).toBe('UpstreamLockedError');
    expect(locked.toJSON()).toMatchObject({ code: 'ERR_UPSTREAM_LOCKED', status: 423, requestId: 'r1', lockedUntil: '2026-11-24T00:00:00.000+07:00' });
    expect(dancu.isDancuError(locked)).toBe(true);
    expect(dancu.isDancuError(new Error('x'))).toBe(false);
    expect(dancu.isDancuError(null)).toBe(false);
    expect(dancu.isDancuError({ code: 'ERR_UPSTREAM' })).toBe(false);
  });

  it('instanceof and isDancuError work across two copies of the package (duplicate installs)', async () => {
    // A fresh module registry loads a second, independent copy of the error modules.
    vi.resetModules();
    const other = (await import('../src/errors.js')) as typeof import('../src/errors.js');
    expect(other.DancuError).not.toBe(dancu.DancuError);
    const foreign = new other.RateLimitedError(1000);
    expect(foreign).toBeInstanceOf(dancu.DancuError);
    expect(foreign).toBeInstanceOf(dancu.RateLimitedError);
    expect(foreign).toBeInstanceOf(dancu.UpstreamError);
    expect(foreign).not.toBeInstanceOf(dancu.UpstreamLockedError);
    expect(dancu.isDancuError(foreign)).toBe(true);
    expect(other.isDancuError(new dancu.PurposeError('ERR_PURPOSE_NOT_REGISTERED', 'X', 'm'))).toBe(true);
  });

  it('the cause is kept', () => {
    const cause = new Error('socket hang up');
    const err = new dancu.TransportError('ERR_UPSTREAM_UNREACHABLE', 'unreachable', 'r', { cause });
    expect(err.cause).toBe(cause);
    expect(err.toJSON()).not.toHaveProperty('cause');
  });

  it('every code is documented in docs/errors.md', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const src = await readFile(new URL('../src/errors/base.ts', import.meta.url), 'utf8');
    const codes = [...src.matchAll(/\| '(ERR_[A-Z_]+)'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(15);
    for (const code of codes) expect(doc, code).toContain(`\`${code}\``);
  });
});
