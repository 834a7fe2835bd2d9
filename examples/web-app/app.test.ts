/** The web app example, tested the way its authors would: Fastify's inject, the sandbox over HTTP, the trail read back. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, MemoryAuditSink, type DancuClient } from 'dancu';
import { createSandbox, SANDBOX_PURPOSES, type Sandbox } from 'dancu/testing';
import { buildApp } from './app.js';

let sandbox: Sandbox;
let client: DancuClient;
const sink = new MemoryAuditSink();
beforeAll(async () => {
  sandbox = await createSandbox({ populationSize: 20 });
  client = createClient({
    baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'web', unitCode: 'U', version: '1' },
    purposes: SANDBOX_PURPOSES, audit: { sink }, guards: { ip: { allow: ['127.0.0.0/8'] } },
  });
});
afterAll(async () => {
  await client.close();
  await sandbox.close();
});

it('login, verify an applicant, refuse a bad input, logout — all on the trail with the officer and IP', async () => {
  const app = buildApp(client);
  const c = sandbox.population[0]!;
  const { token } = (await app.inject({ method: 'POST', url: '/login', payload: { officerId: 'cb.an' } })).json();
  const ok = await app.inject({ method: 'POST', url: '/dossiers/HS-7/verify-applicant', headers: { 'x-session': token }, payload: { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth } });
  expect(ok.statusCode).toBe(200);
  expect(ok.json()).toMatchObject({ match: true, source: 'upstream' });
  const bad = await app.inject({ method: 'POST', url: '/dossiers/HS-7/verify-applicant', headers: { 'x-session': token }, payload: { idNumber: '123', fullName: 'X', dateOfBirth: '1990' } });
  expect(bad.statusCode).toBe(422);
  expect(bad.json()).toEqual({ error: 'ERR_INPUT_INVALID' });
  expect((await app.inject({ method: 'POST', url: '/logout', headers: { 'x-session': token } })).statusCode).toBe(200);
  expect((await app.inject({ method: 'POST', url: '/dossiers/HS-7/verify-applicant', headers: { 'x-session': token }, payload: {} })).statusCode).toBe(401);

  const types = sink.events.map((e) => e.type);
  expect(types).toEqual(expect.arrayContaining(['session.login', 'lookup.intent', 'lookup.outcome', 'lookup.denied', 'session.logout']));
  const login = sink.events.find((e) => e.type === 'session.login')!;
  expect(login.operator).toMatchObject({ id: 'cb.an', ip: '127.0.0.1', sessionId: token });
  expect(sink.events.find((e) => e.type === 'lookup.intent')).toMatchObject({ operator: { id: 'cb.an', ip: '127.0.0.1' }, purpose: { code: 'HT-KHAISINH', dossierId: 'HS-7' } });
  await app.close();
});
