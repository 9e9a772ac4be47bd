// Hot reload under load: autocannon drives good logins while backend.lua is rewritten with a new `version`
// attribute and the server gets SIGHUP every second. Every failed response counts (target: 0); a one-at-a-time
// prober notes when each version first answers ("time until the new version serves").
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { CONNECTIONS, loginBodies, serve, workspace } from './common';

export interface HotReloadResult {
  duration_s: number;
  reloads: number;
  /** autocannon responses and their rate */
  requests: number;
  rps: number;
  /** autocannon errors (connection errors; they include the timeouts, also given on their own) */
  errors: number;
  timeouts: number;
  non2xx: number;
  status_codes: Record<string, number>;
  /** prober logins, and those that were not a 200 for the prober's account (or failed outright) */
  probes: number;
  wrong_decisions: number;
  /** the prober saw an older version after a newer one had answered (the swap should be one-way) */
  version_regressions: number;
  /** of the reloaded versions, how many answered at least once, and how long after their SIGHUP */
  versions_seen: number;
  new_version_ms: { min: number; mean: number; max: number };
  /** the server's own count of decisions (/metrics) over the run */
  decisions: Record<string, number>;
}

// the line of workspace()'s backend.lua that gets the version attribute
const ATTRS = 'b:attributes({ account = u.account })';
const PROBE_USER = 4242;
const PROBE_BODY = JSON.stringify({ username: `user${PROBE_USER}`, password: `pw${PROBE_USER}`, client_ip: '192.0.2.10', protocol: 'imap' });
const PROBE_ACCOUNT = `user${PROBE_USER}@example.test`;
// after the load, how long the prober may wait for the last version before it counts as never served
const LAST_VERSION_GRACE_MS = 5_000;

const round = (ms: number) => Math.round(ms * 10) / 10;
const until = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));

async function decisions(url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await (await fetch(`${url}/metrics`)).text()).matchAll(/^authstudio_auth_requests_total\{[^}]*decision="(\w+)"[^}]*\} (\d+)/gm)) {
    out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  }
  return out;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  // a hung shutdown must not hang the benchmark
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function hotReloadRun(opts: { durationSec: number; redis: string }): Promise<HotReloadResult> {
  const dir = workspace(false);
  const backend = path.join(dir, 'backend.lua');
  const original = fs.readFileSync(backend, 'utf8');
  if (!original.includes(ATTRS)) throw new Error(`hot-reload: workspace backend.lua no longer contains ${ATTRS}`);
  // rename, so a reload never reads a half-written file
  const writeVersion = (n: number) => {
    fs.writeFileSync(`${backend}.tmp`, original.replace(ATTRS, `b:attributes({ account = u.account, version = "${n}" })`));
    fs.renameSync(`${backend}.tmp`, backend);
  };
  writeVersion(1);
  let child: ChildProcess | undefined;
  try {
    const eng = await serve(path.join(dir, 'authstudio.yml'), opts.redis);
    child = eng.child;
    const authUrl = `${eng.url}/api/v1/auth/json`;
    const probe = async (): Promise<{ ok: boolean; version?: number; status: number }> => {
      const res = await fetch(authUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: PROBE_BODY });
      const body = (await res.json().catch(() => ({}))) as { ok?: boolean; attributes?: Record<string, unknown> };
      const v = body.attributes?.version;
      const version = Number(Array.isArray(v) ? v[0] : v);
      return { ok: res.status === 200 && body.ok === true && body.attributes?.account === PROBE_ACCOUNT, version: Number.isFinite(version) ? version : undefined, status: res.status };
    };
    const first = await probe();
    if (!first.ok || first.version !== 1) throw new Error(`hot-reload: the first login did not answer with version 1 (status ${first.status}, version ${first.version})`);
    const before = await decisions(eng.url);

    const sighupAt = new Map<number, number>();
    const firstSeen = new Map<number, number>();
    let probes = 0;
    let wrong = 0;
    let regressions = 0;
    let highest = 1;
    let lastVersion = 1;
    let deadline = Infinity;
    let aborted = false;
    const done = () => aborted || performance.now() >= deadline || (deadline < Infinity && firstSeen.has(lastVersion));
    const prober = (async () => {
      while (!done()) {
        probes++;
        try {
          const r = await probe();
          const t = performance.now();
          if (!r.ok || r.version === undefined) {
            if (wrong++ < 20) process.stderr.write(`hot-reload: probe answered ${r.status} (version ${r.version})\n`);
            continue;
          }
          if (!firstSeen.has(r.version)) firstSeen.set(r.version, t);
          if (r.version < highest) regressions++;
          highest = Math.max(highest, r.version);
        } catch (e) {
          if (wrong++ < 20) process.stderr.write(`hot-reload: probe failed: ${(e as Error).message}\n`);
        }
      }
    })();

    const start = performance.now();
    const reloader = (async () => {
      // one reload per second while the load runs; none in the last second, so the last one can still be seen
      for (let k = 1; k < opts.durationSec; k++) {
        await until(start + k * 1000);
        if (aborted) return;
        const v = k + 1;
        writeVersion(v);
        sighupAt.set(v, performance.now());
        lastVersion = v;
        child!.kill('SIGHUP');
      }
    })();
    reloader.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    const requests = loginBodies().map((body) => ({ method: 'POST' as const, path: '/api/v1/auth/json', headers: { 'content-type': 'application/json' }, body }));
    let r: autocannon.Result;
    try {
      r = await autocannon({ url: eng.url, connections: CONNECTIONS, duration: opts.durationSec, requests });
      await reloader;
      deadline = performance.now() + LAST_VERSION_GRACE_MS;
    } finally {
      // the load failed: the prober and the reloader must not outlive the server
      if (deadline === Infinity) aborted = true;
      await Promise.allSettled([prober, reloader]);
    }

    const delays = [...sighupAt].filter(([v]) => firstSeen.has(v)).map(([v, t]) => firstSeen.get(v)! - t);
    const after = await decisions(eng.url);
    const status_codes: Record<string, number> = {};
    for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) status_codes[code] = s.count ?? 0;
    return {
      duration_s: opts.durationSec,
      reloads: sighupAt.size,
      requests: r.requests.total,
      rps: Math.round(r.requests.average),
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      status_codes,
      probes,
      wrong_decisions: wrong,
      version_regressions: regressions,
      versions_seen: delays.length,
      new_version_ms: delays.length
        ? { min: round(Math.min(...delays)), mean: round(delays.reduce((a, b) => a + b, 0) / delays.length), max: round(Math.max(...delays)) }
        : { min: NaN, mean: NaN, max: NaN },
      decisions: Object.fromEntries(Object.entries(after).map(([k, n]) => [k, n - (before[k] ?? 0)])),
    };
  } finally {
    if (child) await stop(child);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
