import { randomUUID } from 'node:crypto';
import type { CallInput, CallResult, LookupResult, VerifyResult } from './api.js';
import type { AuditTrail } from './audit/trail.js';
import type { CitizenField, LookupCitizenInput, VerifyCitizenInput } from './citizen/types.js';
import { validateContext, type CallContext, type LookupContext } from './context.js';
import { SessionEndedError, ValidationError } from './errors.js';

/** Options of `client.session()`. */
export interface SessionOptions {
  /** The officer who logged in. */
  operatorId: string;
  /** IP address of their device. */
  ip: string;
  /** Their browser or app, for the trail (e.g. `req.headers['user-agent']`, which may be absent). */
  userAgent?: string | undefined;
  /** Your own session id; default: a new UUID. */
  sessionId?: string;
}

/**
 * A call context without the operator (the session supplies its id and session id) but with the
 * IP address of **this** request: a session is not an IP. The IP guard checks it, and the event
 * records it as `operator.ip` with the session's login IP as `operator.loginIp`.
 */
export type SessionCallContext<P extends string = string> = Omit<CallContext<P>, 'operator'> & {
  /** IP address of the request that makes this call (e.g. Fastify's `req.ip`), not the login's. Required. */
  ip: string;
};
export type SessionLookupContext<P extends string = string, F extends CitizenField = CitizenField> = Omit<LookupContext<P, F>, 'operator'> & {
  /** IP address of the request that makes this call. Required. */
  ip: string;
};

/** An operator's session (login → calls → logout), each step on the audit trail. */
export interface ClientSession<P extends string = string> {
  readonly operator: { id: string; ip: string; sessionId: string; userAgent?: string };
  verifyCitizen(input: VerifyCitizenInput, context: SessionCallContext<P>): Promise<VerifyResult>;
  lookupCitizen<const F extends CitizenField>(input: LookupCitizenInput, context: SessionLookupContext<P, F>): Promise<LookupResult<F>>;
  /** `client.call` with the session's operator (see {@link DancuClient.call}). */
  call<A extends { found: boolean } = { found: boolean; [key: string]: unknown }>(operation: string, input: CallInput, context: SessionCallContext<P>): Promise<CallResult<A>>;
  /** Write `session.logout`. Later calls through the session fail with `ERR_SESSION_ENDED`. */
  end(): Promise<void>;
}

interface Caller {
  verifyCitizen(input: VerifyCitizenInput, context: CallContext): Promise<VerifyResult>;
  lookupCitizen(input: LookupCitizenInput, context: LookupContext): Promise<LookupResult>;
  call<A extends { found: boolean }>(operation: string, input: CallInput, context: CallContext): Promise<CallResult<A>>;
}

export class Session implements ClientSession {
  readonly operator: ClientSession['operator'];
  readonly #client: Caller;
  readonly #record: (type: 'session.login' | 'session.logout') => Promise<void>;
  readonly #login: Promise<void>;
  #ended = false;

  constructor(client: Caller, operator: ClientSession['operator'], record: (type: 'session.login' | 'session.logout') => Promise<void>) {
    this.#client = client;
    this.operator = operator;
    this.#record = record;
    this.#login = record('session.login');
    this.#login.catch(() => undefined); // surfaced by the first call or end()
  }

  async verifyCitizen(input: VerifyCitizenInput, context: SessionCallContext): Promise<VerifyResult> {
    await this.#ready();
    return this.#client.verifyCitizen(input, this.#context(context) as unknown as CallContext);
  }

  async lookupCitizen(input: LookupCitizenInput, context: SessionLookupContext): Promise<LookupResult> {
    await this.#ready();
    return this.#client.lookupCitizen(input, this.#context(context) as unknown as LookupContext);
  }

  async call<A extends { found: boolean } = { found: boolean; [key: string]: unknown }>(operation: string, input: CallInput, context: SessionCallContext): Promise<CallResult<A>> {
    await this.#ready();
    return this.#client.call<A>(operation, input, this.#context(context) as unknown as CallContext);
  }

  async end(): Promise<void> {
    if (this.#ended) return;
    await this.#login;
    this.#ended = true;
    await this.#record('session.logout');
  }

  /**
   * The client's context for a call of this session: its operator and session id, the call's own
   * IP (missing: `ERR_OPERATOR_REQUIRED` from the client's validation, audited as a denial) and the
   * login IP beside it. Whatever the caller put in `operator` is replaced, never trusted.
   */
  #context(context: unknown): Record<string, unknown> {
    const c = typeof context === 'object' && context !== null ? (context as Record<string, unknown>) : {};
    const { ip, operator: _ignored, ...rest } = c;
    return { ...rest, operator: { id: this.operator.id, ip, sessionId: this.operator.sessionId, loginIp: this.operator.ip } };
  }

  async #ready(): Promise<void> {
    if (this.#ended) throw new SessionEndedError();
    await this.#login;
  }
}

/**
 * Start an operator's session on `trail` (its `session.login` is written before the first call of
 * the session goes on). Options are checked as a call's operator is: `ERR_OPERATOR_REQUIRED` or
 * `ERR_INPUT_INVALID`, never a bare TypeError.
 */
export function openSession(options: SessionOptions, client: Caller, trail: Pick<AuditTrail, 'ready' | 'write'>): ClientSession {
  const o = (typeof options === 'object' && options !== null ? options : {}) as Partial<Record<keyof SessionOptions, unknown>>;
  const operator = validateContext({ purpose: { code: '-' }, operator: { id: o.operatorId, ip: o.ip, sessionId: o.sessionId ?? randomUUID() } }, false).operator;
  if (o.userAgent !== undefined && typeof o.userAgent !== 'string') throw new ValidationError('ERR_INPUT_INVALID', 'userAgent', 'invalid_type', 'must be a string');
  const full = { ...operator, sessionId: operator.sessionId!, ...(o.userAgent ? { userAgent: o.userAgent.slice(0, 256) } : {}) };
  return new Session(client, full, async (type) => {
    await trail.ready();
    await trail.write([{ type, operator: full }]);
  });
}
