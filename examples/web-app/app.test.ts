/** The web app example, tested the way its authors would: Fastify's inject, the sandbox over HTTP, the trail read back. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClient, MemoryAuditSink, type DancuClient } from 'dancu';
import { createSandbox, SANDBOX_PURPOSES, type Sandbox } from 'dancu/testing';
import { buildApp, hashPassword } from './app.js';

let sandbox: Sandbox;
let client: DancuClient;
const sink = new MemoryAuditSink();
const officers = { 'cb.an': hashPassword('mat-khau-rieng-cua-cb-an-2026'), 'cb.binh': hashPassword('mat-khau-rieng-cua-cb-binh') };
beforeAll(async () => {
  sandbox = await createSandbox({ populationSize: 20 });
  client = createClient({
    baseUrl: sandbox.url, credentials: sandbox.credentials, system: { id: 'web', unitCode: 'U', version: '1' },
    purposes: SANDBOX_PURPOSES, audit: { sink }, guards: { ip: { allow: ['127.0.0.0/8', '10.20.0.0/16'] } },
  });
});
afterAll(async () => {
  await client.close();
  await sandbox.close();
});

const applicant = (i: number) => {
  const c = sandbox.population[i]!;
  return { idNumber: c.idNumber, fullName: c.fullName, dateOfBirth: c.dateOfBirth };
};

it('login, verify an applicant, refuse a bad input, logout — all on the trail with the officer and IP', async () => {
  const app = buildApp(client, { officers });
  const { token } = (await app.inject({ method: 'POST', url: '/login', payload: { officerId: 'cb.an', password: 'mat-khau-rieng-cua-cb-an-2026' } })).json();
  const ok = await app.inject({ method: 'POST', url: '/dossiers/HS-7/verify-applicant', headers: { 'x-session': token }, payload: applicant(0) });
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
  expect(login.operator).toMatchObject({ id: 'cb.an', ip: '127.0.0.1' });
  expect(sink.events.find((e) => e.type === 'lookup.intent')).toMatchObject({ operator: { id: 'cb.an', ip: '127.0.0.1', loginIp: '127.0.0.1' }, purpose: { code: 'HT-KHAISINH', dossierId: 'HS-7' } });
  await app.close();
});

it('login is authenticated: an unknown officer or a wrong password gets no session', async () => {
  const app = buildApp(client, { officers });
  for (const payload of [{ officerId: 'cb.an', password: 'wrong' }, { officerId: 'cb.nobody', password: 'mat-khau-rieng-cua-cb-an-2026' }, { officerId: 'cb.an' }, {}]) {
    expect((await app.inject({ method: 'POST', url: '/login', payload })).statusCode).toBe(401);
  }
  expect(sink.events.filter((e) => e.type === 'session.login' && e.operator?.id === 'cb.nobody')).toEqual([]);
  await app.close();
});

it('a session token replayed from another address: the IP guard sees the new address, the trail records both, nothing is sent', async () => {
  const app = buildApp(client, { officers });
  const login = await app.inject({ method: 'POST', url: '/login', remoteAddress: '10.20.1.15', payload: { officerId: 'cb.binh', password: 'mat-khau-rieng-cua-cb-binh' } });
  const { token } = login.json();
  const atDesk = await app.inject({ method: 'POST', url: '/dossiers/HS-8/verify-applicant', remoteAddress: '10.20.1.15', headers: { 'x-session': token }, payload: applicant(1) });
  expect(atDesk.statusCode).toBe(200);
  const before = sandbox.stats().total;
  const replayed = await app.inject({ method: 'POST', url: '/dossiers/HS-8/verify-applicant', remoteAddress: '203.0.113.9', headers: { 'x-session': token }, payload: applicant(2) });
  expect(replayed.statusCode).toBe(403);
  expect(replayed.json()).toEqual({ error: 'ERR_GUARD_IP' });
  expect(sandbox.stats().total).toBe(before);
  const denied = sink.events.filter((e) => e.type === 'lookup.denied' && e.operator?.id === 'cb.binh');
  expect(denied).toHaveLength(1);
  expect(denied[0]).toMatchObject({ code: 'ERR_GUARD_IP', operator: { ip: '203.0.113.9', loginIp: '10.20.1.15' } });
  await app.close();
});

it('behind a proxy: only the configured proxy may say which client it forwards for', async () => {
  const app = buildApp(client, { officers, trustProxy: '127.0.0.1' });
  const viaProxy = await app.inject({ method: 'POST', url: '/login', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '10.20.3.4' }, payload: { officerId: 'cb.an', password: 'mat-khau-rieng-cua-cb-an-2026' } });
  const direct = await app.inject({ method: 'POST', url: '/login', remoteAddress: '10.20.9.9', headers: { 'x-forwarded-for': '10.20.3.4' }, payload: { officerId: 'cb.an', password: 'mat-khau-rieng-cua-cb-an-2026' } });
  expect(viaProxy.statusCode).toBe(200);
  expect(direct.statusCode).toBe(200);
  const logins = sink.events.filter((e) => e.type === 'session.login').slice(-2);
  expect(logins.map((e) => e.operator?.ip)).toEqual(['10.20.3.4', '10.20.9.9']); // a forged header from elsewhere is ignored
  await app.close();
});
