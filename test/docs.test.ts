import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { REFERENCE_ERROR_CODES, REFERENCE_PATHS } from '../src/profiles.js';
import { WIRE_FIELD_NAMES } from '../src/transport/reference-profile.js';

const read = (p: string) => readFile(new URL(`../${p}`, import.meta.url), 'utf8');

describe('the docs say what the code does', () => {
  it('openapi.json describes the reference profile’s paths, error codes and fields', async () => {
    const api = JSON.parse(await read('docs/openapi.json'));
    expect(api.openapi).toBe('3.1.0');
    expect(Object.keys(api.paths).sort()).toEqual(Object.values(REFERENCE_PATHS).sort());
    const text = JSON.stringify(api);
    for (const code of Object.values(REFERENCE_ERROR_CODES)) expect(text).toContain(code);
    expect(api.components.schemas.Citizen.properties).toHaveProperty(Object.values(WIRE_FIELD_NAMES)[0]!);
    expect(Object.keys(api.components.schemas.Citizen.properties).sort()).toEqual(Object.values(WIRE_FIELD_NAMES).sort());
  });

  it('configuration.md documents every option', async () => {
    const doc = await read('docs/configuration.md');
    const src = await read('src/config/schema.ts');
    const block = src.slice(src.indexOf('export const optionsSchema = z.strictObject({'));
    const options = [...block.matchAll(/^ {2}([a-zA-Z]+): /gm)].map((m) => m[1]!);
    expect(options.length).toBeGreaterThan(15);
    for (const o of options) expect(doc, o).toContain(`| \`${o}\``);
  });

  it('protocol.md maps every SDK field to its wire name', async () => {
    const doc = await read('docs/protocol.md');
    for (const [field, wire] of Object.entries(WIRE_FIELD_NAMES)) expect(doc).toContain(`| \`${field}\` | \`${wire}\``);
  });

  it('testing-with-msw.md shows examples/vendor-tests/msw-guide.test.ts, which runs in this suite', async () => {
    const doc = await read('docs/testing-with-msw.md');
    const block = /```ts\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBe(await read('examples/vendor-tests/msw-guide.test.ts'));
  });
});
