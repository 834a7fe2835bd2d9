/**
 * What an upstream writes is untrusted: a lock end, an error code or a token that carries an ID
 * number, a name or a line break must reach no message, no cause, no log line and no audit event.
 * The client talks to an injected `fetch` that answers as a hostile gateway would.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createClient, isDancuError, MemoryAuditSink, type DancuClientOptions, type FetchLike } from '../../src/index.js';
import { lgspSoapProfile, REFERENCE_PATHS } from '../../src/profiles.js';
import { SANDBOX_PURPOSES } from '../../src/testing/index.js';
import { rejection } from '../helpers.js';

const ID = '079190012345';
const NAME = 'Nguyễn Văn An';
const HOSTILE = `${ID} ${NAME}\r\nX-Injected: 1`;
const input = { idNumber: ID, fullName: NAME, dateOfBirth: '1990-05-17' };
const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb.test', ip: '10.0.0.7' } };

function options(fetch: FetchLike, sink: MemoryAuditSink, extra: Partial<DancuClientOptions> = {}): DancuClientOptions {
  return {
    baseUrl: 'http://127.0.0.1:9/',
    credentials: { clientId: 'mot-cua-tinh', clientSecret: 'Vq7#tR2m-Lw9$kP4' },
    system: { id: 'he-thong', unitCode: 'U', version: '1' },
    purposes: SANDBOX_PURPOSES,
    fetch,
    retry: { attempts: 1 },
    audit: { sink },
    ...extra,
  };
}

/** Everything a person or a log could see of an error and of the trail. */
function visible(err: unknown, sink: MemoryAuditSink): string {
  const causes: unknown[] = [];
  for (let c: unknown = err; c !== undefined && causes.length < 6; c = (c as { cause?: unknown }).cause) causes.push(c);
  return [
    ...causes.map((c) => `${String((c as Error)?.message)}\n${String((c as Error)?.stack)}\n${inspect(c, { depth: 5 })}`),
    JSON.stringify(err),
    JSON.stringify(sink.events),
  ].join('\n');
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('untrusted upstream text', () => {
  it('a 423 whose KhoaDen and MaLoi carry an ID number, a name and a line break: dropped and counted, never echoed', async () => {
    const sink = new MemoryAuditSink();
    const fetch: FetchLike = async (url) => String(url).endsWith(REFERENCE_PATHS.token)
      ? json(200, { access_token: 'tok-1', token_type: 'Bearer', expires_in: 300 })
      : json(423, { MaLoi: `003 ${ID}`, MoTa: HOSTILE, KhoaDen: HOSTILE });
    const client = createClient(options(fetch, sink));
    try {
      const err = await rejection(client.verifyCitizen(input, ctx));
      expect(err).toMatchObject({ code: 'ERR_UPSTREAM_LOCKED', lockedUntil: undefined, upstreamCode: undefined, discarded: 2 });
      const seen = visible(err, sink);
      for (const bad of [ID, NAME, 'X-Injected', '\r']) expect(seen).not.toContain(bad);
      expect(sink.events.find((e) => e.type === 'upstream.locked')).toMatchObject({ detail: { discarded: 2, status: 423 } });
    } finally {
      await client.close();
    }
  });

  it('a well-formed lock end and code are kept', async () => {
    const sink = new MemoryAuditSink();
    const until = '2026-12-02T00:00:00+07:00';
    const fetch: FetchLike = async (url) => String(url).endsWith(REFERENCE_PATHS.token)
      ? json(200, { access_token: 'tok-1', token_type: 'Bearer', expires_in: 300 })
      : json(423, { MaLoi: '003', KhoaDen: until });
    const client = createClient(options(fetch, sink));
    try {
      expect(await rejection(client.verifyCitizen(input, ctx))).toMatchObject({ code: 'ERR_UPSTREAM_LOCKED', lockedUntil: until, upstreamCode: '003', discarded: 0 });
    } finally {
      await client.close();
    }
  });

  it('a SOAP fault (LGSP) whose MaLoi and KhoaDen carry personal data: the same', async () => {
    const sink = new MemoryAuditSink();
    const profile = lgspSoapProfile({ appName: 'MOTCUA', partnerCode: 'P1', integrationCode: 'DC-01' });
    const fault = `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault>` +
      `<faultcode>soapenv:Client</faultcode><faultstring>${ID}</faultstring><detail><MaLoi>${ID} ${NAME}</MaLoi><KhoaDen>${ID}&#13;&#10;${NAME}</KhoaDen></detail>` +
      `</soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
    const fetch: FetchLike = async (url) => String(url).includes('token')
      ? json(200, { access_token: 'tok-1', expires_in: 300 })
      : new Response(fault, { status: 423, headers: { 'content-type': 'text/xml' } });
    const client = createClient(options(fetch, sink, { profile }));
    try {
      const err = await rejection(client.verifyCitizen(input, ctx));
      expect(err).toMatchObject({ code: 'ERR_UPSTREAM_LOCKED', lockedUntil: undefined, upstreamCode: undefined, discarded: 2 });
      const seen = visible(err, sink);
      for (const bad of [ID, NAME, '\r']) expect(seen).not.toContain(bad);
    } finally {
      await client.close();
    }
  });

  it('an access token with CR/LF is refused when it arrives (ERR_UPSTREAM_RESPONSE, not quoted); no API request is sent', async () => {
    const sink = new MemoryAuditSink();
    const token = `tok\r\nX-Injected: ${ID}`;
    let apiRequests = 0;
    const fetch: FetchLike = async (url) => {
      if (String(url).endsWith(REFERENCE_PATHS.token)) return json(200, { access_token: token, token_type: 'Bearer', expires_in: 300 });
      apiRequests++;
      return json(200, {});
    };
    const client = createClient(options(fetch, sink));
    try {
      const err = await rejection(client.verifyCitizen(input, ctx));
      expect(isDancuError(err) && err.code).toBe('ERR_UPSTREAM_RESPONSE');
      expect(apiRequests).toBe(0);
      const seen = visible(err, sink);
      for (const bad of ['X-Injected', ID, 'tok\r']) expect(seen).not.toContain(bad);
    } finally {
      await client.close();
    }
  });

  it('a kept cause never quotes a header: fetch failing on a header value keeps only a blanked copy', async () => {
    const sink = new MemoryAuditSink();
    const secretHeader = 'Bearer sk-live-0123456789';
    const fetch: FetchLike = async (url) => {
      if (String(url).endsWith(REFERENCE_PATHS.token)) return json(200, { access_token: 'tok-1', token_type: 'Bearer', expires_in: 300 });
      throw new TypeError('fetch failed', { cause: new TypeError(`Headers.append: "${secretHeader}" is an invalid header value.`) });
    };
    const client = createClient(options(fetch, sink));
    try {
      const err = await rejection(client.verifyCitizen(input, ctx));
      expect(err.code).toBe('ERR_UPSTREAM_UNREACHABLE');
      expect(visible(err, sink)).not.toContain('sk-live');
      expect(String(err.cause.cause.message)).toContain('Headers.append');
    } finally {
      await client.close();
    }
  });
});
