import type { CitizenField } from '../citizen/types.js';
import { PurposeError } from '../errors.js';

/**
 * Operations of the population service: `verify`, `lookup`, or the name of an operation the wire
 * profile declares beyond them (`client.call(name, …)`, e.g. `XacMinhThongTinChuHo`).
 */
export type Operation = 'verify' | 'lookup' | (string & {});

/**
 * A purpose registered with the provincial police for this system: the procedure (thủ tục hành
 * chính) it serves, its legal basis, and what it may do. A call can only be made under one of these.
 */
export interface PurposeDefinition<P extends string = string> {
  /** Procedure code (`MaDVC`), as registered upstream. 1–64 characters. */
  code: P;
  /** Human title, for audit reports. */
  title: string;
  /** Legal basis (law, decree, decision), recorded with every lookup for the auditor. */
  legalBasis: string;
  /** Operations allowed under this purpose. */
  operations: readonly Operation[];
  /** Fields a lookup may return under this purpose. Required when `operations` has `lookup`. */
  fields?: readonly CitizenField[];
}

/** The immutable registry of purposes of one client. */
export class PurposeRegistry {
  readonly #byCode: ReadonlyMap<string, PurposeDefinition>;

  constructor(purposes: readonly PurposeDefinition[]) {
    this.#byCode = new Map(purposes.map((p) => [p.code, Object.freeze({ ...p })]));
  }

  /** Registered purposes, in registration order. */
  list(): PurposeDefinition[] {
    return [...this.#byCode.values()];
  }

  get(code: string): PurposeDefinition | undefined {
    return this.#byCode.get(code);
  }

  /**
   * Step 2 of the pipeline. Throws `ERR_PURPOSE_NOT_REGISTERED`, `ERR_PURPOSE_OPERATION` or
   * `ERR_PURPOSE_FIELD`; returns the definition when the call is allowed.
   */
  authorize(code: string, operation: Operation, fields?: readonly CitizenField[]): PurposeDefinition {
    const def = this.#byCode.get(code);
    if (def === undefined) {
      throw new PurposeError('ERR_PURPOSE_NOT_REGISTERED', code,
        `Purpose "${code}" is not registered with this client. Register it in createClient({ purposes }) ` +
          'only if the provincial police licensed this system for it; nothing was sent.');
    }
    if (!def.operations.includes(operation)) {
      throw new PurposeError('ERR_PURPOSE_OPERATION', code,
        `Purpose "${code}" does not allow the "${operation}" operation (allowed: ${def.operations.join(', ')}).`);
    }
    if (fields !== undefined) {
      const allowed = def.fields ?? [];
      const refused = fields.filter((f) => !allowed.includes(f));
      if (refused.length > 0) {
        throw new PurposeError('ERR_PURPOSE_FIELD', code,
          `Purpose "${code}" does not allow the field(s) ${refused.join(', ')} (allowed: ${allowed.join(', ') || 'none'}).`);
      }
    }
    return def;
  }
}
