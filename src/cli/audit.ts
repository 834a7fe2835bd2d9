import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { generateAuditKeyPair } from '../audit/checkpoint.js';
import { HttpWitness, serveWitness } from '../audit/http-witness.js';
import { deriveAuditKeys } from '../audit/keys.js';
import type { SqlClient } from '../audit/postgres-sink.js';
import { PostgresWitness } from '../audit/postgres-witness.js';
import { reportCsv, reportHtml, reportTable, summariseStream } from '../audit/report.js';
import { pruneTrail, sealTrail } from '../audit/retention.js';
import { subjectHtml, subjectLookups, subjectText } from '../audit/subject.js';
import { streamEvents, verifyDirectory, verifyPostgres, type ChainReport, type VerifyOptions } from '../audit/verify.js';
import { DirectoryWitness, type CheckpointWitness } from '../audit/witness.js';

const AUDIT_HELP = `Usage: dancu audit <keygen | verify | witness | report | subject | seal | prune> [options]

Run "dancu audit <command> --help" for the options of a command.`;

const KEYGEN_HELP = `Usage: dancu audit keygen --out <prefix>

Makes an Ed25519 key pair for checkpoint signatures: <prefix>.key (private, mode 0600: give it to
the writer as audit.signingKey, from a secret store) and <prefix>.pub (public: give it to auditors
and to the witness). Prints the key id (the public key's fingerprint, recorded in every checkpoint).`;

const VERIFY_HELP = `Usage: dancu audit verify <directory | postgres://…> [options]

Checks every chain: each event parses, has the next seq, links to the previous hash and hashes to
its own; every checkpoint is signed by the key given, links to the one before and matches its
event; none is beyond the end. With --witness, the witness's checkpoints must match too, and a
chain the witness (or the trail's manifest) knows but the trail lacks is reported as deleted.
Each chain is reported, whatever is wrong with another. Reasons: unparseable, altered, missing,
reordered, inserted, truncated, bad_checkpoint, wrong_key, unsigned, deleted, drift.
Exit 1 if any chain is bad. Reads each file once (streaming): memory does not grow with the trail.

Options:
  --public-key <f>    Ed25519 public key (PEM) that signs the checkpoints
  --witness <w>       the witness: a directory, an http(s):// URL, or a postgres:// URL
  --witness-table <t> PostgreSQL witness table (default dancu_audit_witness)
  --allow-unsigned    let a chain without checked checkpoints pass, with a warning
  --secret <s>        development trails: audit.secret (HMAC checkpoints)
  --secret-file <f>   read the secret from a file instead
  --key-id <id>       audit.keyId of HMAC checkpoints (default k1)
  --table <name>      PostgreSQL table of the trail (default dancu_audit)
  --json              print the reports as JSON
  --help              show this help`;

const WITNESS_HELP = `Usage: dancu audit witness --dir <directory> [options]

Serves an append-only checkpoint witness over HTTP until interrupted: writers POST checkpoints
(audit.witness = new HttpWitness({ url })); a checkpoint behind or beside what it holds for its
chain (a rollback or a fork) is refused with 409. Auditors verify against it with --witness <url>.

Options:
  --dir <d>           where the checkpoints are kept (one append-only file per chain)
  --host <h>          address to bind (default 127.0.0.1)
  --port <n>          port (default 8790; 0 picks one)
  --public-key <f>    accept only checkpoints signed by this key (repeatable)
  --token-file <f>    require "Authorization: Bearer <token>" on POST`;

const REPORT_HELP = `Usage: dancu audit report <directory | postgres://…> [options]

Summarises a trail by Vietnam day, operator, purpose and outcome: requests that left for the
upstream, answers from the cache, local refusals, failures; guard alerts; each operator's sessions
(login and logout times). Streams the trail: memory does not grow with its size.

Options:
  --format <f>     table (default), csv or html (self-contained: daily use against the budget, requests per operator)
  --lang <l>       language of the HTML page: vi (default) or en
  --out <file>     write to a file instead of standard output
  --table <name>   PostgreSQL table (default dancu_audit)
  --help           show this help`;

const SUBJECT_HELP = `Usage: dancu audit subject <directory | postgres://…> --id <ID number> --secret-file <f> [options]

Every lookup of one citizen in the trail (the data subject's right to know who processed their
data): when, which unit, which procedure and dossier, the outcome. Officers are named only with
--with-operators. Subjects are keyed hashes: the writer's audit.secret finds them, nothing else does.

Options:
  --id <n>             the citizen's ID number
  --secret <s>         audit.secret of the writer (prefer --secret-file: arguments are visible to other users)
  --secret-file <f>    read the secret from a file
  --key-id <id>        audit.keyId (default k1)
  --with-operators     name the officers (an investigation, not the citizen's own copy)
  --format <f>         text (default), json, or html (one page, in Vietnamese)
  --out <file>         write to a file instead of standard output
  --table <name>       PostgreSQL table (default dancu_audit)`;

const SEAL_HELP = `Usage: dancu audit seal <directory> --before <YYYY-MM-DD> --signing-key-file <f> [--witness <w>]

Retention, step 1: verifies each chain of a JSONL trail with the key's public half (and the witness),
then writes a signed seal — the chain head at the end of its last day file before the date — to the
chain's seals.jsonl and to the witness. Then "dancu audit prune" may delete those day files, and
verify starts at the seal. A chain that does not verify is not sealed (exit 1).`;

const PRUNE_HELP = `Usage: dancu audit prune <directory> --before <YYYY-MM-DD>

Retention, step 2: deletes the day files before the date whose every event a seal covers (and
nothing else). Prints each file deleted.`;

function witnessOf(w: string, pools: Array<{ end(): Promise<void> }>): Promise<CheckpointWitness> | CheckpointWitness {
  if (/^https?:\/\//.test(w)) return new HttpWitness({ url: w });
  if (!isPostgres(w)) return new DirectoryWitness(w);
  return import('pg').then((pg) => {
    const pool = new pg.default.Pool({ connectionString: w, max: 2 });
    pools.push(pool);
    return new PostgresWitness({ pool });
  });
}

async function seal(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { before: { type: 'string' }, 'signing-key-file': { type: 'string' }, witness: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help || positionals.length !== 1 || !values.before || !values['signing-key-file']) {
    console.log(SEAL_HELP);
    return values.help ? 0 : 2;
  }
  const pools: Array<{ end(): Promise<void> }> = [];
  try {
    const witness = values.witness ? await witnessOf(values.witness, pools) : undefined;
    const results = await sealTrail(positionals[0]!, values.before, { signingKey: await readFile(values['signing-key-file'], 'utf8'), ...(witness ? { witness } : {}) });
    for (const r of results) console.log(r.seal ? `sealed ${r.instance} at seq ${r.seal.seq}` : `not sealed ${r.instance}: ${r.skipped}`);
    return results.some((r) => r.skipped?.includes('does not verify')) ? 1 : 0;
  } finally {
    for (const p of pools) await p.end();
  }
}

async function prune(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { before: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help || positionals.length !== 1 || !values.before) {
    console.log(PRUNE_HELP);
    return values.help ? 0 : 2;
  }
  const deleted = await pruneTrail(positionals[0]!, values.before);
  for (const f of deleted) console.log(`deleted ${f}`);
  console.log(`${deleted.length} day file(s) deleted`);
  return 0;
}

export async function withPool<T>(url: string, fn: (pool: SqlClient) => Promise<T>): Promise<T> {
  const pg = await import('pg').catch(() => {
    throw new Error('reading a PostgreSQL trail needs the pg package: npm install pg');
  });
  const pool = new pg.default.Pool({ connectionString: url, max: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

const isPostgres = (s: string) => /^postgres(ql)?:\/\//.test(s);

async function keygen(rest: string[]): Promise<number> {
  const { values } = parseArgs({ args: rest, options: { out: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help || !values.out) {
    console.log(KEYGEN_HELP);
    return values.help ? 0 : 2;
  }
  const pair = generateAuditKeyPair();
  await writeFile(`${values.out}.key`, pair.privateKey, { mode: 0o600, flag: 'wx' });
  await writeFile(`${values.out}.pub`, pair.publicKey, { mode: 0o644, flag: 'wx' });
  console.log(`wrote ${values.out}.key (private: the writer's audit.signingKey) and ${values.out}.pub (public: for auditors and the witness)`);
  console.log(`key id ${pair.kid}`);
  return 0;
}

function printReports(reports: ChainReport[], json: boolean, target: string): boolean {
  const ok = reports.length > 0 && reports.every((r) => r.ok);
  if (json) {
    console.log(JSON.stringify({ ok, chains: reports }, null, 2));
    return ok;
  }
  if (reports.length === 0) console.log(`no audit chain found in ${target}`);
  for (const r of reports) {
    console.log(`${r.ok ? 'OK ' : 'BAD'} ${r.instance}: ${r.events} events, last seq ${r.lastSeq}, ${r.checkpoints} checkpoints${r.witnessed !== undefined ? `, ${r.witnessed} witnessed` : ''}`);
    if (r.problem) console.log(`    ${r.problem.seq > 0 ? `first bad seq ${r.problem.seq}: ` : ''}${r.problem.reason} — ${r.problem.message}${r.problem.file ? ` (${r.problem.file}:${r.problem.line})` : ''}`);
    for (const w of r.warnings) console.log(`    warning: ${w}`);
  }
  return ok;
}

async function verify(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: {
      'public-key': { type: 'string' }, witness: { type: 'string' }, 'witness-table': { type: 'string' }, 'allow-unsigned': { type: 'boolean' },
      secret: { type: 'string' }, 'secret-file': { type: 'string' }, 'key-id': { type: 'string' }, table: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(VERIFY_HELP);
    return values.help ? 0 : 2;
  }
  const secret = values['secret-file'] ? (await readFile(values['secret-file'], 'utf8')).trim() : values.secret;
  const options: VerifyOptions = { allowUnsigned: values['allow-unsigned'] === true };
  if (values['public-key']) options.publicKey = await readFile(values['public-key'], 'utf8');
  if (secret !== undefined) options.hmacKey = deriveAuditKeys(secret, values['key-id'] ?? 'k1').checkpoint!;
  const target = positionals[0]!;
  const run = async (witness: CheckpointWitness | undefined) => {
    const o = witness ? { ...options, witness } : options;
    return isPostgres(target) ? withPool(target, (pool) => verifyPostgres(pool, values.table ?? 'dancu_audit', o)) : verifyDirectory(target, o);
  };
  const w = values.witness;
  const reports = w === undefined
    ? await run(undefined)
    : isPostgres(w)
      ? await withPool(w, (pool) => run(new PostgresWitness({ pool, ...(values['witness-table'] ? { table: values['witness-table'] } : {}) })))
      : await run(witnessOf(w, []) as CheckpointWitness);
  return printReports(reports, values.json === true, target) ? 0 : 1;
}

async function witness(rest: string[]): Promise<number> {
  const { values } = parseArgs({
    args: rest,
    options: { dir: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'public-key': { type: 'string', multiple: true }, 'token-file': { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help || !values.dir) {
    console.log(WITNESS_HELP);
    return values.help ? 0 : 2;
  }
  if (values.port !== undefined && !/^\d+$/.test(values.port)) throw new Error(`--port takes a number, got "${values.port}"`);
  const publicKeys = await Promise.all((values['public-key'] ?? []).map((f) => readFile(f, 'utf8')));
  const token = values['token-file'] ? (await readFile(values['token-file'], 'utf8')).trim() : undefined;
  const server = await serveWitness({ directory: values.dir, host: values.host ?? '127.0.0.1', port: Number(values.port ?? 8790), publicKeys, ...(token ? { token } : {}) });
  console.log(`dancu audit witness on ${server.url} (checkpoints in ${values.dir}${publicKeys.length ? `, ${publicKeys.length} accepted key(s)` : ''})`);
  if (publicKeys.length === 0 && !token) {
    console.log('warning: no --public-key and no --token-file: anyone who can reach this port can post checkpoints (a forged head would make the witness refuse the real writer)');
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

async function report(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: { format: { type: 'string' }, out: { type: 'string' }, table: { type: 'string' }, lang: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help || positionals.length !== 1) {
    console.log(REPORT_HELP);
    return values.help ? 0 : 2;
  }
  const target = positionals[0]!;
  if (values.lang !== undefined && values.lang !== 'vi' && values.lang !== 'en') throw new Error(`--lang takes vi or en, got "${values.lang}"`);
  const r = isPostgres(target)
    ? await withPool(target, (pool) => summariseStream(streamEvents({ pool, table: values.table ?? 'dancu_audit' })))
    : await summariseStream(streamEvents({ directory: target }));
  const format = values.format ?? 'table';
  const text = format === 'csv' ? reportCsv(r) : format === 'html' ? reportHtml(r, { lang: values.lang === 'en' ? 'en' : 'vi' }) : format === 'table' ? `${reportTable(r)}\n` : undefined;
  if (text === undefined) throw new Error(`--format takes table, csv or html, got "${format}"`);
  if (values.out) await writeFile(values.out, text);
  else process.stdout.write(text);
  return 0;
}

async function subject(rest: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: { id: { type: 'string' }, secret: { type: 'string' }, 'secret-file': { type: 'string' }, 'key-id': { type: 'string' }, 'with-operators': { type: 'boolean' }, format: { type: 'string' }, out: { type: 'string' }, table: { type: 'string' }, help: { type: 'boolean' } },
  });
  const secret = values['secret-file'] ? (await readFile(values['secret-file'], 'utf8')).trim() : values.secret;
  if (values.help || positionals.length !== 1 || !values.id || secret === undefined) {
    console.log(SUBJECT_HELP);
    return values.help ? 0 : 2;
  }
  const target = positionals[0]!;
  const o = { idNumber: values.id, secret, ...(values['key-id'] ? { keyId: values['key-id'] } : {}), withOperators: values['with-operators'] === true };
  const r = isPostgres(target)
    ? await withPool(target, (pool) => subjectLookups(streamEvents({ pool, table: values.table ?? 'dancu_audit' }), o))
    : await subjectLookups(streamEvents({ directory: target }), o);
  const format = values.format ?? 'text';
  const text = format === 'json' ? `${JSON.stringify(r, null, 2)}\n` : format === 'html' ? subjectHtml(r) : format === 'text' ? `${subjectText(r)}\n` : undefined;
  if (text === undefined) throw new Error(`--format takes text, json or html, got "${format}"`);
  if (values.out) await writeFile(values.out, text);
  else process.stdout.write(text);
  return 0;
}

export function auditCommand(sub: string | undefined, rest: string[]): Promise<number> {
  if (sub === 'subject') return subject(rest);
  if (sub === 'seal') return seal(rest);
  if (sub === 'prune') return prune(rest);
  if (sub === 'keygen') return keygen(rest);
  if (sub === 'verify') return verify(rest);
  if (sub === 'witness') return witness(rest);
  if (sub === 'report') return report(rest);
  console.log(AUDIT_HELP);
  return Promise.resolve(sub === '--help' ? 0 : 2);
}
