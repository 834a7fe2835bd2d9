import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { MemoryAuditSink, PurposeError, ValidationError, type DancuClient } from '../src/index.js';
import type { Sandbox } from '../src/testing/index.js';
import { clientFor, ctx, lookupCtx, rejection, setup } from './helpers.js';

/**
 * Denials at steps 1–2 never reach the network. The client gets a counting `fetch`, and the
 * sandbox's own counters must stay at zero, token requests included.
 */
describe('local refusals make no network call', () => {
  let sandbox: Sandbox;
  let client: DancuClient;
  let close: () => Promise<void>;
  let fetches = 0;
  beforeAll(async () => {
    ({ sandbox, close } = await setup());
    client = clientFor(sandbox, {
      fetch: (input, init) => {
        fetches++;
        return globalThis.fetch(input, init);
      },
    });
  });
  afterAll(async () => {
    await client.close();
    await close();
  });

  const good = () => {
    const c = sandbox.population[0]!;
    return { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
  };

  const cases: Array<[string, () => Promise<unknown>, string]> = [
    ['no context at all', () => (client.verifyCitizen as any)(good()), 'ERR_PURPOSE_REQUIRED'],
    ['no purpose', () => (client.verifyCitizen as any)(good(), { operator: ctx.operator }), 'ERR_PURPOSE_REQUIRED'],
    ['purpose without code', () => (client.verifyCitizen as any)(good(), { purpose: {}, operator: ctx.operator }), 'ERR_PURPOSE_REQUIRED'],
    ['no operator', () => (client.verifyCitizen as any)(good(), { purpose: ctx.purpose }), 'ERR_OPERATOR_REQUIRED'],
    ['operator without ip', () => (client.verifyCitizen as any)(good(), { purpose: ctx.purpose, operator: { id: 'x' } }), 'ERR_OPERATOR_REQUIRED'],
    ['operator ip not an IP', () => client.verifyCitizen(good(), { ...ctx, operator: { id: 'x', ip: 'my-laptop' } }), 'ERR_INPUT_INVALID'],
    ['unregistered purpose', () => client.verifyCitizen(good(), { ...ctx, purpose: { code: 'QUANG-CAO' } }), 'ERR_PURPOSE_NOT_REGISTERED'],
    ['operation not allowed', () => client.lookupCitizen({ idNumber: good().idNumber }, { ...ctx, fields: ['fullName'] }), 'ERR_PURPOSE_OPERATION'],
    ['field not allowed', () => client.lookupCitizen({ idNumber: good().idNumber }, { ...lookupCtx, fields: ['religion'] }), 'ERR_PURPOSE_FIELD'],
    ['lookup without fields', () => (client.lookupCitizen as any)({ idNumber: good().idNumber }, lookupCtx), 'ERR_INPUT_INVALID'],
    ['year contradicts ID', () => client.verifyCitizen({ ...good(), dateOfBirth: String(Number(good().dateOfBirth.slice(0, 4)) + 1) }, ctx), 'ERR_INPUT_INVALID'],
    ['unknown province', () => client.verifyCitizen({ ...good(), idNumber: `003${good().idNumber.slice(3)}` }, ctx), 'ERR_INPUT_INVALID'],
    ['future date', () => client.verifyCitizen({ ...good(), idNumber: '001326000001', dateOfBirth: '2026-12-31' }, ctx), 'ERR_INPUT_INVALID'],
    ['unknown input key', () => client.verifyCitizen({ ...good(), address: 'x' } as any, ctx), 'ERR_INPUT_INVALID'],
    ['number as ID', () => client.verifyCitizen({ ...good(), idNumber: 79190012345 } as any, ctx), 'ERR_INPUT_INVALID'],
  ];

  it.each(cases)('%s → %s', async (_name, call, code) => {
    const err = await rejection(call());
    expect(err.code).toBe(code);
    expect(err).toBeInstanceOf(code.startsWith('ERR_PURPOSE') ? PurposeError : ValidationError);
    expect(fetches).toBe(0);
    expect(sandbox.stats()).toMatchObject({ total: 0, tokenRequests: 0 });
  });

  it('errors name the field path and never echo the raw ID number', async () => {
    const id = good().idNumber;
    const err = await rejection(client.verifyCitizen({ ...good(), dateOfBirth: '1850' }, ctx));
    expect(err.path).toBe('dateOfBirth');
    expect(JSON.stringify(err)).not.toContain(id);
    expect(String(err.stack)).not.toContain(id);
  });

  it('property: any input the validator refuses costs nothing upstream', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ idNumber: fc.oneof(fc.string(), fc.stringMatching(/^\d{12}$/)), fullName: fc.string(), dateOfBirth: fc.string() }),
        async (input) => {
          try {
            await client.verifyCitizen(input, ctx);
          } catch (err) {
            expect((err as ValidationError).code).toMatch(/^ERR_(INPUT_INVALID|UPSTREAM)/);
          }
        },
      ),
      { numRuns: 200 },
    );
    // Valid-by-chance inputs may reach the sandbox; every request it saw must have passed validation.
    expect(sandbox.stats().byStatus['400'] ?? 0).toBe(0);
  });
});

describe('refusals say no more than they must, and the trail calls them denials', () => {
  it('an unknown input key is counted, never named: a key that is an ID number appears nowhere', async () => {
    const { sandbox, client, close } = await setup();
    try {
      const c = sandbox.population[0]!;
      const input = { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth, '079190012345': true, 'Nguyễn Văn An': 1 };
      const err = await rejection(client.verifyCitizen(input as never, ctx));
      expect(err).toMatchObject({ code: 'ERR_INPUT_INVALID', reason: 'unrecognized_keys' });
      expect(err.message).toContain('2 unknown keys');
      for (const out of [err.message, String(err.stack), inspect(err), JSON.stringify(err)]) {
        expect(out).not.toContain('079190012345');
        expect(out).not.toContain('Nguyễn');
      }
      const lookup = await rejection(client.lookupCitizen({ idNumber: c.idNumber, '079190012345': 1 } as never, { ...lookupCtx, fields: ['fullName'] }));
      expect(lookup.message).toContain('1 unknown key;');
      expect(lookup.message).not.toContain('079190012345');
    } finally {
      await close();
    }
  });

  it('a missing operator is recorded as a denial (outcome "denied"), not an error', async () => {
    const sink = new MemoryAuditSink();
    const { sandbox, client, close } = await setup({}, { audit: { sink } });
    try {
      const c = sandbox.population[0]!;
      await rejection((client.verifyCitizen as any)({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, { purpose: ctx.purpose }));
      await rejection((client.verifyCitizen as any)({ idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth }, { purpose: ctx.purpose, operator: { id: 'cb.x' } }));
      const denied = sink.events.filter((e) => e.type === 'lookup.denied');
      expect(denied.map((e) => [e.outcome, e.code])).toEqual([['denied', 'ERR_OPERATOR_REQUIRED'], ['denied', 'ERR_OPERATOR_REQUIRED']]);
    } finally {
      await close();
    }
  });
});
