/**
 * `dancu/audit`: what an auditor runs on a trail — verify it (with the public key and a witness),
 * report on it, read its events — with no client and no credentials; and the pieces a deployment
 * wires: checkpoint keys and witnesses. The CLI's `dancu audit …` commands use the same functions.
 *
 * @packageDocumentation
 */
export { verifyDirectory, verifyLines, verifyPostgres, readEvents, streamEvents, readSeals } from './verify.js';
export type { ChainReport, VerifyProblem, VerifyProblemReason, VerifyOptions, Line } from './verify.js';
export { summarise, summariseStream, ReportBuilder, reportTable, reportCsv, reportHtml, REPORT_LIST_LIMIT } from './report.js';
export type { AuditReport, ReportRow, SessionRow, AlertRow } from './report.js';
export { sealTrail, pruneTrail, oldestDay } from './retention.js';
export type { SealResult } from './retention.js';
export { subjectLookups, subjectText, subjectHtml } from './subject.js';
export type { SubjectLookup, SubjectReport, SubjectOptions } from './subject.js';
export { parseAuditEvent, AUDIT_EVENT_TYPES, AUDIT_SCHEMA_VERSION } from './schema.js';
export type { AuditEvent, AuditEventBody, AuditEventType } from './schema.js';
export { deriveAuditKeys } from './keys.js';
export { checkpointSigner, generateAuditKeyPair, keyFingerprint, parseCheckpoint, checkpointId } from './checkpoint.js';
export type { Checkpoint, CheckpointSigner, CheckpointKeys } from './checkpoint.js';
export type { CheckpointSettings } from './checkpointer.js';
export { DirectoryWitness, WitnessRefusal, witnessAccepts } from './witness.js';
export type { CheckpointWitness, WitnessProblem } from './witness.js';
export { HttpWitness, serveWitness } from './http-witness.js';
export type { HttpWitnessOptions, WitnessServer } from './http-witness.js';
export { PostgresWitness, witnessMigrationSql } from './postgres-witness.js';
