/**
 * The JSON Schema of the deployment file, published as docs/dancu.config.schema.json for editors
 * (`"$schema": "./node_modules/dancu/docs/dancu.config.schema.json"`). It is generated from the same
 * zod schema `createClient` validates with, plus the declared stores the file reader accepts; this
 * test regenerates it (DANCU_UPDATE_SCHEMA=1 writes it) and validates files with ajv.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { optionsSchema } from '../src/config/schema.js';
import { materialise } from '../src/config/deployment-file.js';

const PATH = new URL('../docs/dancu.config.schema.json', import.meta.url);
const text = { type: 'string', minLength: 1 } as const;
const prefix = { type: 'string', pattern: '^[A-Za-z0-9:._-]{1,64}$' };
const redisStore = {
  description: 'A Redis store: { "redis": "<url>" }, or on a Redis Cluster { "redisCluster": ["<url of a node>", …] }; "prefix"?: "<deployment prefix>" (ioredis is an optional peer).',
  oneOf: [
    { type: 'object', properties: { redis: text, prefix }, required: ['redis'], additionalProperties: false },
    { type: 'object', properties: { redisCluster: { type: 'array', items: text, minItems: 1 }, prefix }, required: ['redisCluster'], additionalProperties: false },
  ],
};

type Node = { properties: Record<string, unknown>; [k: string]: unknown };
function deploymentFileSchema(): Record<string, unknown> {
  const s = z.toJSONSchema(optionsSchema, { unrepresentable: 'any', io: 'input' }) as Node;
  const props = s.properties;
  // Objects and functions a JSON file cannot hold: built by createClientFromConfig, or code only.
  for (const k of ['profile', 'fetch', 'clock', 'logger']) delete props[k];
  (props['quota'] as Node).properties['store'] = redisStore;
  (props['cache'] as Node).properties['store'] = redisStore;
  const guards = props['guards'] as Node;
  delete guards.properties['store']; // beside the quota's or cache's Redis, automatically
  delete guards.properties['onAlert'];
  const audit = props['audit'] as Node;
  audit.properties['sink'] = {
    description: 'Where the trail goes: PostgreSQL, JSONL files, or memory (development only).',
    oneOf: [
      { type: 'object', properties: { postgres: text, table: { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$' } }, required: ['postgres'], additionalProperties: false },
      { type: 'object', properties: { jsonl: { type: 'object', properties: { directory: text }, additionalProperties: false } }, required: ['jsonl'], additionalProperties: false },
      { type: 'object', properties: { memory: { type: 'object', additionalProperties: false } }, required: ['memory'], additionalProperties: false },
    ],
  };
  audit.properties['witness'] = {
    description: 'Where checkpoints are also kept, out of the writer\'s reach.',
    oneOf: [
      { type: 'object', properties: { directory: text }, required: ['directory'], additionalProperties: false },
      { type: 'object', properties: { url: text, token: text }, required: ['url'], additionalProperties: false },
      { type: 'object', properties: { postgres: text, table: text }, required: ['postgres'], additionalProperties: false },
    ],
  };
  props['deployment'] = {
    type: 'object', description: 'What dancu doctor\'s checklist needs to know; ignored by createClientFromConfig.',
    properties: {
      instances: { type: 'integer', minimum: 1 },
      auditRetentionDays: { type: 'integer', minimum: 1 },
      auditRetentionMaxDays: { type: 'integer', minimum: 1 },
    },
    additionalProperties: false,
  };
  props['$schema'] = { type: 'string' };
  return {
    $schema: s['$schema'], $id: 'https://dancu.invalid/dancu.config.schema.json',
    title: 'dancu deployment file', description: 'The options of createClient as JSON, secrets as "${ENV_VAR}", stores declared: what dancu doctor checks and createClientFromConfig runs.',
    ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$schema')),
  };
}

describe('docs/dancu.config.schema.json', () => {
  const schema = deploymentFileSchema();
  it('is generated from the options schema (DANCU_UPDATE_SCHEMA=1 rewrites it)', async () => {
    const json = `${JSON.stringify(schema, null, 2)}\n`;
    if (process.env['DANCU_UPDATE_SCHEMA'] === '1') await writeFile(PATH, json);
    expect(await readFile(PATH, 'utf8')).toBe(json);
  });

  it('accepts the example deployment file (with $schema) and refuses a typo, a literal number as text, an undeclarable store', async () => {
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    const example = JSON.parse(await readFile(new URL('../examples/deployment/dancu.config.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(example['$schema']).toBe('../../docs/dancu.config.schema.json');
    // A file with "$schema" is read as the options without it.
    expect(materialise(example).options).not.toHaveProperty('$schema');
    for (const bad of [
      { ...example, timeoutMS: 1000 },
      { ...example, quota: { lockThreshold: '10000' } },
      { ...example, cache: { store: { memcached: 'x' } } },
      { ...example, audit: { sink: { s3: 'bucket' } } },
    ]) expect(validate(bad)).toBe(false);
  });
});
