/**
 * `dancu/audit`: what an auditor runs on a trail — verify it, report on it, read its events — with
 * no client and no credentials. The CLI's `dancu audit verify|report` use the same functions.
 *
 * @packageDocumentation
 */
export { verifyDirectory, verifyLines, verifyPostgres, readEvents } from './verify.js';
export type { ChainReport, VerifyProblem, VerifyProblemReason } from './verify.js';
export { summarise, reportTable, reportCsv, reportHtml } from './report.js';
export type { AuditReport, ReportRow } from './report.js';
export { parseAuditEvent, AUDIT_EVENT_TYPES, AUDIT_SCHEMA_VERSION } from './schema.js';
export type { AuditEvent, AuditEventBody, AuditEventType } from './schema.js';
export { deriveAuditKeys } from './keys.js';
export type { Checkpoint } from './chain.js';
