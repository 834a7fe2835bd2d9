import { describe, expectTypeOf, it } from 'vitest';
import { createClient, isDancuError, type DancuClient, type LookupResult, type VerifyResult } from '../../src/index.js';

declare const client: DancuClient;
const input = { idNumber: '079190012345', fullName: 'Nguyễn Văn An', dateOfBirth: '1990' };
const ctx = { purpose: { code: 'HT-KHAISINH' }, operator: { id: 'cb', ip: '10.0.0.1' } };

describe('the public contract, checked by the compiler', () => {
  it('purpose and operator are required by the type', () => {
    // @ts-expect-error no context at all
    void client.verifyCitizen(input);
    // @ts-expect-error no purpose
    void client.verifyCitizen(input, { operator: ctx.operator });
    // @ts-expect-error no operator
    void client.verifyCitizen(input, { purpose: ctx.purpose });
    // @ts-expect-error operator without ip
    void client.verifyCitizen(input, { purpose: ctx.purpose, operator: { id: 'cb' } });
    // @ts-expect-error a lookup must list its fields
    void client.lookupCitizen({ idNumber: input.idNumber }, ctx);
    // @ts-expect-error unknown field name
    void client.lookupCitizen({ idNumber: input.idNumber }, { ...ctx, fields: ['salary'] });
    expectTypeOf(client.verifyCitizen(input, ctx)).resolves.toEqualTypeOf<VerifyResult>();
    expectTypeOf(client.lookupCitizen({ idNumber: '1' }, { ...ctx, fields: ['fullName'] })).resolves.toEqualTypeOf<LookupResult>();
  });

  it('results are typed', () => {
    expectTypeOf<VerifyResult['match']>().toEqualTypeOf<boolean>();
    expectTypeOf<VerifyResult['source']>().toEqualTypeOf<'upstream' | 'cache' | 'joined'>();
    expectTypeOf<VerifyResult['fields']['fullName']>().toEqualTypeOf<boolean>();
    expectTypeOf<NonNullable<LookupResult['citizen']>['sex']>().toEqualTypeOf<'male' | 'female' | undefined>();
  });

  it('options are typed', () => {
    createClient({
      baseUrl: 'https://x',
      credentials: { clientId: 'a', clientSecret: 'b' },
      system: { id: 'a', unitCode: 'b', version: 'c' },
      // @ts-expect-error an operation is a name
      purposes: [{ code: 'A', title: 't', legalBasis: 'l', operations: [42] }],
    });
  });

  it('narrowing on the code gives that error\'s fields', () => {
    const err: unknown = new Error('x');
    if (isDancuError(err)) {
      switch (err.code) {
        case 'ERR_INPUT_INVALID':
          expectTypeOf(err.path).toEqualTypeOf<string>();
          expectTypeOf(err.reason).toEqualTypeOf<string>();
          break;
        case 'ERR_QUOTA_EXCEEDED':
          expectTypeOf(err.budget).toEqualTypeOf<string | undefined>();
          break;
        case 'ERR_UPSTREAM_LOCKED':
          expectTypeOf(err.lockedUntil).toEqualTypeOf<string | undefined>();
          break;
        case 'ERR_UPSTREAM_RATE_LIMITED':
          expectTypeOf(err.retryAfterMs).toEqualTypeOf<number>();
          break;
        case 'ERR_CONFIG_INVALID':
          expectTypeOf(err.issues[0]!.fix).toEqualTypeOf<string>();
          break;
        case 'ERR_GUARD_VELOCITY':
          // @ts-expect-error a guard refusal has no path
          void err.path;
          break;
      }
    }
    if (isDancuError(err, 'ERR_CREDENTIALS_WEAK')) expectTypeOf(err.problems).toEqualTypeOf<readonly string[]>();
    if (isDancuError(err, 'ERR_UPSTREAM')) expectTypeOf(err.status).toEqualTypeOf<number>();
  });
});
