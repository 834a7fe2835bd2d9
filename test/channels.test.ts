/**
 * `dancu:call` and `dancu:upstream` on `node:diagnostics_channel`, subscribed to as an APM tool
 * would, against the sandbox over HTTP: the events of a miss, a hit, a refusal and a retry, and no
 * ID number, name, date of birth, IP or operator id in any context.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, MemoryAuditSink } from '../src/index.js';
import { createSandbox, SANDBOX_PURPOSES } from '../src/testing/index.js';

const sandbox = await createSandbox({ populationSize: 10 });
afterAll(() => sandbox.close());

type Seen = { channel: string; event: string; context: Record<string, unknown> };
const seen: Seen[] = [];
const subscribe = (name: string) => {
  const handlers = Object.fromEntries(['start', 'end', 'asyncStart', 'asyncEnd', 'error'].map((event) => [event,
    (context: object) => void seen.push({ channel: name, event, context: { ...context } })])) as never;
  tracingChannel(name).subscribe(handlers);
  return () => tracingChannel(name).unsubscribe(handlers);
};

describe('diagnostics_channel tracing', () => {
  it('publishes each call and each request to the gateway, with no personal data in any context', async () => {
    const stop = [subscribe('dancu:call'), subscribe('dancu:upstream')];
    const client = createClient({
      baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'apm', unitCode: 'UBND-X', version: '1' },
      purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() }, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    });
    try {
      const c = sandbox.population[0]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
      const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.canary-officer', ip: '10.9.8.7' } };
      sandbox.inject('500', 1); // the first request fails and is retried
      const miss = await client.verifyCitizen(input, ctx);
      const hit = await client.verifyCitizen(input, ctx);
      await client.verifyCitizen({ ...input, dateOfBirth: '2999-01-01' }, ctx).catch(() => undefined);

      const calls = seen.filter((s) => s.channel === 'dancu:call');
      expect(calls.map((s) => s.event)).toEqual([
        'start', 'end', 'asyncStart', 'asyncEnd', // the miss
        'start', 'end', 'asyncStart', 'asyncEnd', // the hit
        'start', 'end', 'error', 'asyncStart', 'asyncEnd', // refused before the network
      ]);
      expect(calls[3]!.context).toEqual({ operation: 'verify', source: 'upstream', purpose: 'HT-KHAISINH' });
      expect(calls[7]!.context).toEqual({ operation: 'verify', source: 'cache', purpose: 'HT-KHAISINH' });
      expect(calls[12]!.context).toMatchObject({ operation: 'verify', errorCode: 'ERR_INPUT_INVALID' });
      expect(hit.source).toBe('cache');

      // Two requests for the miss (a 500, then the answer), one request id; none for the hit or the refusal.
      const ends = seen.filter((s) => s.channel === 'dancu:upstream' && s.event === 'asyncEnd').map((s) => s.context);
      expect(ends).toEqual([
        expect.objectContaining({ operation: 'verify', attempt: 1, requestId: miss.requestId, errorCode: 'ERR_UPSTREAM' }),
        { operation: 'verify', attempt: 2, requestId: miss.requestId, serverAddress: '127.0.0.1', serverPort: Number(new URL(sandbox.url).port) },
      ]);

      // No personal data: the contexts without the error objects the caller gets anyway.
      const text = JSON.stringify(seen.map((s) => ({ ...s.context, error: undefined })));
      for (const canary of [c.idNumber, c.fullName, c.dateOfBirth, '2999-01-01', 'cb.canary-officer', '10.9.8.7']) expect(text).not.toContain(canary);
    } finally {
      for (const s of stop) s();
      await client.close();
    }
  });

  it('an operation the profile does not declare is published as "unknown", not as the caller wrote it', async () => {
    seen.length = 0;
    const stop = subscribe('dancu:call');
    const client = createClient({
      baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'apm', unitCode: 'UBND-X', version: '1' },
      purposes: SANDBOX_PURPOSES, audit: { sink: new MemoryAuditSink() },
    });
    const c = sandbox.population[2]!;
    try {
      const err = await client.call('x'.repeat(10_000), { idNumber: c.idNumber }, { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'o', ip: '10.0.0.1' } }).catch((e: { code: string }) => e);
      expect(err).toMatchObject({ code: 'ERR_INPUT_INVALID' });
      expect(seen.filter((s) => s.event === 'asyncEnd').map((s) => s.context['operation'])).toEqual(['unknown']);
    } finally {
      stop();
      await client.close();
    }
  });
});
