import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../internal/time.js';
import type { AuditOptions } from '../options.js';
import { JsonlAuditSink } from './jsonl-sink.js';
import { deriveAuditKeys } from './keys.js';
import type { AuditSink } from './sink.js';
import type { AuditPlan } from './trail.js';

/** The audit options after defaults: pure data, the user's sink if any (nothing built, no host read). */
export interface AuditSettings {
  sink: AuditSink | undefined;
  directory: string;
  instance: string | undefined;
  secret: string | Buffer | undefined;
  keyId: string;
  checkpointEvery: number;
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
    checkpointEvery: a?.checkpointEvery ?? 1000,
    rawSubject: a?.rawSubject ?? false,
    failOpen: a?.failOpen ?? false,
  };
}

/**
 * The trail a client writes: its keys and its sink (JSONL by default). The default instance is one
 * chain per client (host, pid, random), so any number of clients can share a directory; whichever
 * starts next seals the chain of one that crashed.
 */
export function buildAudit(s: AuditSettings, clock: Clock | undefined): AuditPlan {
  const instance = s.instance ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40) || 'dancu'}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const keys = deriveAuditKeys(s.secret, s.keyId);
  const sink =
    s.sink ??
    new JsonlAuditSink({
      directory: s.directory,
      instance,
      checkpointKey: keys.checkpoint ? { key: keys.checkpoint, kid: s.keyId } : undefined,
      checkpointEvery: s.checkpointEvery,
      ...(clock ? { clock } : {}),
    });
  return { sink, instance, subjectKey: keys.subject, rawSubject: s.rawSubject, failOpen: s.failOpen };
}
