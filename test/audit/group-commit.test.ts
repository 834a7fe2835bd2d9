import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GroupCommit, type ChainStore } from '../../src/audit/group-commit.js';
import { lineHashMatches } from '../../src/audit/chain.js';
import { type AuditEvent, type AuditEventBody } from '../../src/index.js';
import { hashOf, GENESIS } from '../../src/audit/chain.js';

const body = (n: number): AuditEventBody =>
  ({ v: 1, ts: '2026-11-23T08:00:00.000+07:00', eventId: `e${n}`, type: 'session.login', system: { id: 's', unitCode: 'U', version: '1', instance: 'i', fingerprint: 'f', sdk: '0' } }) as AuditEventBody;

/** A store whose batches finish when the test says so, recording what it was asked and when. */
function scriptedStore() {
  const log: string[] = [];
  const batches: Array<{ events: AuditEvent[]; finish: (err?: Error) => void }> = [];
  const persisted: AuditEvent[] = [];
  const store: ChainStore = {
    open: async () => ({ head: undefined, recovery: { tornBytes: 0, danglingIntents: [] } }),
    persist: (linked) =>
      new Promise<void>((resolve, reject) => {
        const events = linked.bodies.map((b, i) => ({ ...b, seq: linked.firstSeq + i, prevHash: i === 0 ? linked.prevHash : linked.hashes[i - 1]!, hash: linked.hashes[i]! }));
        // Each line is the event as stored: it parses back to the event and its text hashes to its hash.
        linked.lines.forEach((line, i) => {
          expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify(events[i])));
          expect(lineHashMatches(line)).toBe(true);
        });
        log.push(`persist ${events.map((e) => e.eventId).join(',')}`);
        batches.push({
          events,
          finish: (err) => {
            if (err) return reject(err);
            persisted.push(...events);
            resolve();
          },
        });
      }),
    idle: async () => void log.push('idle'),
    instance: 'gc',
    clock: Date.now,
    checkpoints: { lastCheckpoint: async () => undefined, appendCheckpoint: async () => undefined },
  };
  return { store, log, batches, persisted };
}

const tick = () => new Promise((r) => setImmediate(r));
const realTimeout = setTimeout;
afterEach(() => {
  vi.useRealTimers();
});

describe('group commit', () => {
  it('hands the next batch to the store before it acknowledges the previous one (the disk and the callers overlap)', async () => {
    const { store, log, batches } = scriptedStore();
    const gc = new GroupCommit(store, {});
    const w1 = gc.write([body(1)]).then(() => log.push('ack e1'));
    await tick();
    const w2 = gc.write([body(2)]).then(() => log.push('ack e2')); // queued while e1 is being persisted
    const w3 = gc.write([body(3)]).then(() => log.push('ack e3'));
    batches[0]!.finish();
    await tick();
    expect(log).toEqual(['persist e1', 'persist e2,e3', 'ack e1']);
    batches[1]!.finish();
    await Promise.all([w1, w2, w3]);
    // Nothing queued after the second batch: the store may release what it holds, then the acks.
    expect(log).toEqual(['persist e1', 'persist e2,e3', 'ack e1', 'idle', 'ack e2', 'ack e3']);
  });

  it('a test that fakes timers still gets every acknowledgement of a large batch', async () => {
    const store: ChainStore = { ...scriptedStore().store, persist: async () => undefined };
    const gc = new GroupCommit(store, {});
    vi.useFakeTimers(); // fakes setImmediate too, as vitest and Jest do by default
    const writes = Array.from({ length: 100 }, (_, i) => gc.write([body(i)]));
    const stalled = new Promise((r) => realTimeout(() => r('stalled'), 2000)); // the real clock, taken before faking
    const all = await Promise.race([Promise.all(writes).then(() => 'all acknowledged'), stalled]);
    expect(all).toBe('all acknowledged');
  });

  it('any schedule of writes and failed batches: each write settles with its batch, the stored chain has no hole', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ writes: fc.integer({ min: 1, max: 4 }), fail: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        async (steps) => {
          const { store, batches, persisted } = scriptedStore();
          const gc = new GroupCommit(store, {});
          const settled = new Map<string, 'ok' | 'failed'>();
          let n = 0;
          const all: Promise<unknown>[] = [];
          const failedIds = new Set<string>();
          let finished = 0;
          for (const step of steps) {
            for (let i = 0; i < step.writes; i++) {
              const b = body(++n);
              all.push(gc.write([b]).then(() => settled.set(b.eventId, 'ok'), () => settled.set(b.eventId, 'failed')));
            }
            await tick();
            // Finish every batch handed over so far, the first one of this step as scripted.
            while (finished < batches.length) {
              const batch = batches[finished++]!;
              const fail = step.fail && finished === batches.length;
              if (fail) for (const e of batch.events) failedIds.add(e.eventId);
              batch.finish(fail ? new Error('disk full') : undefined);
              await tick();
            }
          }
          while (finished < batches.length) {
            batches[finished++]!.finish();
            await tick();
          }
          await Promise.all(all);
          await gc.flush();
          expect(settled.size).toBe(n);
          for (const [id, how] of settled) expect(how).toBe(failedIds.has(id) ? 'failed' : 'ok');
          // The persisted events form one unbroken chain: seq 1..k, each prevHash the hash before.
          let prev = GENESIS;
          persisted.forEach((e, i) => {
            expect(e.seq).toBe(i + 1);
            expect(e.prevHash).toBe(prev);
            expect(hashOf(e)).toBe(e.hash);
            prev = e.hash;
          });
          expect(persisted.length).toBe(n - failedIds.size);
        },
      ),
      { numRuns: 200 },
    );
  });
});
