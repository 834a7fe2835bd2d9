/**
 * A procedure-system web app (Fastify) around dancu: officers log in and out (session events on the
 * audit trail), and a dossier endpoint verifies the applicant. The officer's IP comes from the
 * request (behind a proxy: configure Fastify's `trustProxy`), never from the body.
 *
 *   npx tsx examples/web-app/server.ts      (starts the sandbox and the app on 127.0.0.1:3000)
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { isDancuError, type ClientSession, type DancuClient } from 'dancu';

/** HTTP status for each refusal an officer can act on; anything else is a 502 with the code. */
const STATUS: Record<string, number> = {
  ERR_INPUT_INVALID: 422,
  ERR_PURPOSE_NOT_REGISTERED: 403,
  ERR_GUARD_ENUMERATION: 429,
  ERR_GUARD_VELOCITY: 429,
  ERR_GUARD_IP: 403,
  ERR_QUOTA_EXCEEDED: 429,
  ERR_SESSION_ENDED: 401,
};

export function buildApp(client: DancuClient): FastifyInstance {
  const app = Fastify({ logger: false });
  const sessions = new Map<string, ClientSession>(); // your real app: its own session store

  app.post<{ Body: { officerId: string } }>('/login', async (req) => {
    // Authenticate the officer with your own identity provider first; then open the dancu session.
    const token = randomUUID();
    sessions.set(token, client.session({ operatorId: req.body.officerId, ip: req.ip, userAgent: req.headers['user-agent'] ?? '', sessionId: token }));
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
        const r = await s.verifyCitizen(req.body, { purpose: { code: 'HT-KHAISINH', dossierId: req.params.id } });
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
