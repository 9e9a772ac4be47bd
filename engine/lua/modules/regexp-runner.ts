// Runs JS regexps for the `regexp` module without letting one block the engine: JS regexps backtrack (Go's RE2
// does not), so any pattern that could backtrack long runs in a helper thread the caller waits for synchronously,
// at most REGEXP_TIME_LIMIT_MS; a run past that is stopped (the thread is terminated) and reported.
import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

export const REGEXP_TIME_LIMIT_MS = 1000;
/** Below this many characters a pattern without nested or repeated unbounded quantifiers runs in-thread. */
const IN_THREAD_MAX_INPUT = 4096;

export interface RegexpJob { source: string; input: string; all: boolean }
export type RegexpResult = boolean | string[][];

/** Go's FindAllStringSubmatch / MatchString on a translated pattern (an empty match right after a match is skipped). */
export function runJob(job: RegexpJob): RegexpResult {
  const re = new RegExp(job.source, job.all ? 'gu' : 'u');
  if (!job.all) return re.test(job.input);
  const out: string[][] = [];
  let prevEnd = -1;
  let m: RegExpExecArray | null;
  while ((m = re.exec(job.input)) !== null) {
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      if (m.index !== prevEnd) out.push(Array.from(m, (g) => g ?? ''));
      const cp = job.input.codePointAt(m.index);
      re.lastIndex = m.index + (cp !== undefined && cp > 0xffff ? 2 : 1);
      if (m.index >= job.input.length) break;
    } else {
      out.push(Array.from(m, (g) => g ?? ''));
    }
    prevEnd = end;
  }
  return out;
}

const WORKER_SRC = `
const { workerData } = require('node:worker_threads');
const { port, flag } = workerData;
const runJob = ${runJob.toString()};
port.on('message', (job) => {
  let reply;
  try { reply = { ok: true, value: runJob(job) }; } catch (e) { reply = { ok: false, error: String(e && e.message || e) }; }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

let helper: { worker: Worker; port: MessagePort; flag: Int32Array } | null = null;

function startHelper(): NonNullable<typeof helper> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SRC, { eval: true, workerData: { port: port2, flag }, transferList: [port2] });
  worker.unref();
  worker.on('error', () => { if (helper?.worker === worker) helper = null; });
  return { worker, port: port1, flag };
}

/** Run a job; in the helper thread when `risky` or the input is long. Throws when it takes too long. */
export function runRegexp(job: RegexpJob, risky: boolean): RegexpResult {
  if (!risky && job.input.length <= IN_THREAD_MAX_INPUT) return runJob(job);
  helper ??= startHelper();
  const h = helper;
  Atomics.store(h.flag, 0, 0);
  h.port.postMessage(job);
  const waited = Atomics.wait(h.flag, 0, 0, REGEXP_TIME_LIMIT_MS);
  const msg = receiveMessageOnPort(h.port);
  if (waited === 'timed-out' && !msg) {
    helper = null;
    void h.worker.terminate();
    h.port.close();
    throw new Error(`regexp: matching took longer than ${REGEXP_TIME_LIMIT_MS} ms and was stopped (the pattern backtracks too much on this input)`);
  }
  const reply = msg!.message as { ok: boolean; value?: RegexpResult; error?: string };
  if (!reply.ok) throw new Error(`regexp: ${reply.error}`);
  return reply.value!;
}
