import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../internal/time.js';
import type { AuditOptions } from '../options.js';
import type { KeyObject } from 'node:crypto';
import { checkpointSigner, type CheckpointSigner } from './checkpoint.js';
import type { CheckpointSettings } from './checkpointer.js';
import { JsonlAuditSink } from './jsonl-sink.js';
import { deriveAuditKeys } from './keys.js';
import type { AuditSink } from './sink.js';
import type { AuditPlan } from './trail.js';
import type { CheckpointWitness } from './witness.js';

/** The audit options after defaults: pure data, the user's sink if any (nothing built, no host read). */
export interface AuditSettings {
  sink: AuditSink | undefined;
  directory: string;
  instance: string | undefined;
  secret: string | Buffer | undefined;
  keyId: string;
  signingKey: string | Buffer | KeyObject | undefined;
  witness: CheckpointWitness | undefined;
  witnessMaxLagMs: number | undefined;
  checkpointEvery: number;
  checkpointIntervalMs: number;
  rawSubject: boolean;
  failOpen: boolean;
}

export function auditSettings(a: AuditOptions | undefined): AuditSettings {
  return {
    sink: a?.sink,
    directory: a?.directory ?? 'dancu-audit',
    instance: a?.instance,
    secret: a?.secret,
    keyId: a?.keyId ?? 'k1',
    signingKey: a?.signingKey,
    witness: a?.witness,
    witnessMaxLagMs: a?.witnessMaxLagMs,
    checkpointEvery: a?.checkpointEvery ?? 1000,
    checkpointIntervalMs: a?.checkpointIntervalMs ?? 60_000,
    rawSubject: a?.rawSubject ?? false,
    failOpen: a?.failOpen ?? false,
  };
}

/** One chain per client: host, pid and a random part (the default `audit.instance`). */
export function defaultAuditInstance(): string {
  return `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40) || 'dancu'}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * The trail a client writes: its keys and its sink (JSONL by default). The default instance is one
 * chain per client (host, pid, random), so any number of clients can share a directory; whichever
 * starts next seals the chain of one that crashed.
 */
export function buildAudit(s: AuditSettings, clock: Clock | undefined): AuditPlan {
  const instance = s.instance ?? defaultAuditInstance();
  const keys = deriveAuditKeys(s.secret, s.keyId);
  // Ed25519 when a signing key is given; HMAC under the audit secret otherwise (development).
  const signer: CheckpointSigner | undefined = s.signingKey !== undefined
    ? checkpointSigner({ privateKey: s.signingKey })
    : keys.checkpoint ? checkpointSigner({ hmacKey: keys.checkpoint, kid: s.keyId }) : undefined;
  const sink = s.sink ?? new JsonlAuditSink({ directory: s.directory, instance, ...(clock ? { clock } : {}) });
  const checkpoints: CheckpointSettings = { signer, witness: s.witness, every: s.checkpointEvery, intervalMs: s.checkpointIntervalMs, witnessMaxLagMs: s.witnessMaxLagMs };
  return { sink, instance, subjectKey: keys.subject, rawSubject: s.rawSubject, failOpen: s.failOpen, checkpoints };
}
