/** Forked deployment processes for the multi-process tests: real Node processes running TypeScript through tsx. */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';

export function startWorker(script: URL): Promise<ChildProcess> {
  const child = fork(script.pathname, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', () => resolve(child)); // the worker says it is ready
  });
}

/** Send one run to every worker; resolve with their results (matched by run id). */
export function runAll<M extends object, R extends { runId: string }>(
  workers: ChildProcess[],
  message: M,
): { results: Promise<R[]>; stop: () => void } {
  const runId = randomUUID();
  const results = Promise.all(
    workers.map(
      (w, index) =>
        new Promise<R>((resolve) => {
          const onMessage = (m: R) => {
            if (m.runId === runId) {
              w.off('message', onMessage);
              resolve(m);
            }
          };
          w.on('message', onMessage);
          w.send({ type: 'run', runId, index, ...message });
        }),
    ),
  );
  return { results, stop: () => workers.forEach((w) => w.send({ type: 'stop' })) };
}

/** Ask every worker to exit; kill (by its PID, which we started) any that has not within 5 s. */
export async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.exitCode !== null || w.signalCode !== null) return;
      const exited = new Promise((r) => w.once('exit', r));
      if (w.connected) w.send({ type: 'exit' });
      const timer = setTimeout(() => w.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}
