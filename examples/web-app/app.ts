/**
 * A procedure-system web app (Fastify) around dancu: officers log in (checked against the
 * configured officer list) and out, with session events on the audit trail, and a dossier endpoint
 * verifies the applicant. Every call passes the IP of **the request that makes it** (`req.ip`),
 * never the login's and never a body field: a session token replayed from another address is seen
 * by the IP guard and recorded with both addresses (the Bình Thuận pattern).
 *
 * Behind a reverse proxy, set Fastify's `trustProxy` to **the proxy's own address** (e.g.
 * `trustProxy: '10.20.0.2'`), never `true`: trusting `X-Forwarded-For` from anywhere lets the client
 * choose the IP that dancu checks and the regulator's log records.
 *
 *   npx tsx examples/web-app/server.ts      (starts the sandbox and the app on 127.0.0.1:3000)
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { isDancuError, type ClientSession, type DancuClient } from 'dancu';

/** HTTP status for each refusal an officer can act on; anything else is a 502 with the code. */
const STATUS: Record<string, number> = {
  ERR_INPUT_INVALID: 422,
  ERR_OPERATOR_REQUIRED: 400,
  ERR_PURPOSE_NOT_REGISTERED: 403,
  ERR_GUARD_ENUMERATION: 429,
  ERR_GUARD_VELOCITY: 429,
  ERR_GUARD_IP: 403,
  ERR_QUOTA_EXCEEDED: 429,
  ERR_SESSION_ENDED: 401,
};

/** A password hash for the officer list: `scrypt$<salt>$<hash>` (your identity provider does this in production). */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64url')}$${scryptSync(password, salt, 32).toString('base64url')}`;
}

function passwordMatches(password: string, stored: string | undefined): boolean {
  const [scheme, salt, hash] = (stored ?? 'scrypt$AAAAAAAAAAAAAAAAAAAAAA$').split('$');
  const expected = Buffer.from(hash ?? '', 'base64url');
  const actual = scryptSync(password, Buffer.from(salt ?? '', 'base64url'), 32); // computed even for an unknown officer: no timing oracle
  return scheme === 'scrypt' && stored !== undefined && expected.length === actual.length && timingSafeEqual(expected, actual);
}

export interface AppOptions {
  /** Officer id → password hash ({@link hashPassword}). Only these officers can log in. */
  officers: Record<string, string>;
  /** Fastify's `trustProxy`: the reverse proxy's address, never `true` (see the comment above). Default: no proxy. */
  trustProxy?: string | string[];
}

export function buildApp(client: DancuClient, options: AppOptions): FastifyInstance {
  const app = Fastify({ logger: false, ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}) });
  const sessions = new Map<string, ClientSession>(); // your real app: its own session store

  app.post<{ Body: { officerId?: unknown; password?: unknown } }>('/login', async (req, reply) => {
    const { officerId, password } = req.body ?? {};
    if (typeof officerId !== 'string' || typeof password !== 'string' || !passwordMatches(password, options.officers[officerId])) {
      return reply.code(401).send({ error: 'wrong officer id or password' });
    }
    const token = randomBytes(32).toString('base64url');
    sessions.set(token, client.session({ operatorId: officerId, ip: req.ip, userAgent: req.headers['user-agent'] ?? '', sessionId: token.slice(0, 16) }));
    return { token };
  });

  app.post('/logout', async (req, reply) => {
    const token = String(req.headers['x-session'] ?? '');
    const s = sessions.get(token);
    if (!s) return reply.code(401).send({ error: 'not logged in' });
    sessions.delete(token);
    await s.end();
    return { ok: true };
  });

  app.post<{ Params: { id: string }; Body: { idNumber: string; fullName: string; dateOfBirth: string } }>(
    '/dossiers/:id/verify-applicant',
    async (req, reply) => {
      const s = sessions.get(String(req.headers['x-session'] ?? ''));
      if (!s) return reply.code(401).send({ error: 'not logged in' });
      try {
        // The IP of this request, every time: the guard checks it and the trail records it.
        const r = await s.verifyCitizen(req.body, { purpose: { code: 'HT-KHAISINH', dossierId: req.params.id }, ip: req.ip });
        return { match: r.match, fields: r.fields, subject: r.subject, source: r.source };
      } catch (err) {
        if (!isDancuError(err)) throw err;
        // The code is for the screen; the message is safe (no secret, no raw ID) but stays in your logs.
        return reply.code(STATUS[err.code] ?? 502).send({ error: err.code });
      }
    },
  );
  return app;
}
