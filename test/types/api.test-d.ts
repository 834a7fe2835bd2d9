import { describe, expectTypeOf, it } from 'vitest';
import { createClient, isDancuError, type CitizenField, type CitizenRecord, type DancuClient, type LookupResult, type PurposeDefinition, type VerifyResult } from '../../src/index.js';

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
    expectTypeOf(client.lookupCitizen({ idNumber: '1' }, { ...ctx, fields: ['fullName'] })).resolves.toEqualTypeOf<LookupResult<'fullName'>>();
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

  it('purpose codes are the registered ones when createClient sees them as literals', () => {
    const base = { baseUrl: 'https://x', credentials: { clientId: 'a', clientSecret: 'b' }, system: { id: 'a', unitCode: 'b', version: 'c' } };
    const typed = createClient({
      ...base,
      purposes: [
        { code: 'HT-KHAISINH', title: 't', legalBasis: 'l', operations: ['verify'] },
        { code: 'DD-CAPGCN', title: 't', legalBasis: 'l', operations: ['verify', 'lookup'], fields: ['fullName', 'permanentAddress'] },
      ],
    });
    expectTypeOf(typed).toEqualTypeOf<DancuClient<'HT-KHAISINH' | 'DD-CAPGCN'>>();
    void typed.verifyCitizen(input, { purpose: { code: 'HT-KHAISINH' }, operator: ctx.operator });
    // @ts-expect-error a typo in the purpose code does not compile
    void typed.verifyCitizen(input, { purpose: { code: 'HT-KHAISIHN' }, operator: ctx.operator });
    // @ts-expect-error nor through a session
    void typed.session({ operatorId: 'cb', ip: '10.0.0.1' }).verifyCitizen(input, { purpose: { code: 'NOPE' }, ip: '10.0.0.1' });

    const PURPOSES = [{ code: 'HT-CUTRU', title: 't', legalBasis: 'l', operations: ['verify'] }] as const; // declared elsewhere: as const
    expectTypeOf(createClient({ ...base, purposes: PURPOSES })).toEqualTypeOf<DancuClient<'HT-CUTRU'>>();
    const loose: PurposeDefinition[] = [...PURPOSES]; // a list typed PurposeDefinition[]: any string, checked at run time
    expectTypeOf(createClient({ ...base, purposes: loose })).toEqualTypeOf<DancuClient<string>>();
  });

  it('a lookup result has the fields asked for and no others', async () => {
    const r = await client.lookupCitizen({ idNumber: '1' }, { ...ctx, fields: ['fullName', 'sex'] });
    expectTypeOf(r.citizen!.fullName).toEqualTypeOf<string | undefined>(); // present when the upstream holds it
    expectTypeOf(r.citizen!.sex).toEqualTypeOf<'male' | 'female' | undefined>();
    // @ts-expect-error not asked for: not in the result
    void r.citizen!.permanentAddress;
    const fields: CitizenField[] = ['fullName'];
    const any = await client.lookupCitizen({ idNumber: '1' }, { ...ctx, fields }); // fields known only at run time
    expectTypeOf(any.citizen).toEqualTypeOf<CitizenRecord | null>();
  });
});
