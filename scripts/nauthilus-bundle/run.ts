// `npm run fidelity -- --nauthilus-git <bare git dir> --tag v1.10.12` (or `--nauthilus-git <checkout dir>`):
// runs every script a Nauthilus release ships in server/lua-plugins.d against local stand-ins, checks that each
// compiles, runs and does what its source says, prints a table, then runs the whole bundle through
// `authstudio serve`. Exit 1 on any failure not listed in KNOWN (where Nauthilus does the same). A 1.x bundle gets a
// 1.x-layout site (site.ts), a 3.x bundle (environment/ and subject/ sources) the 3.x layout (site-v3.ts), its
// checks from checks-v3.ts before the shared ones, and a proxy site in front of an upstream (whole-v3.ts).
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import IORedis from 'ioredis';
import { loadConfigFile } from '../../engine/config/load';
import { AuthEngine } from '../../engine/engine';
import { buildHttpApp } from '../../engine/http/app';
import { checkWorkspace } from '../../engine/check';
import { startStandIns, type StandIns } from './standins';
import { softDelayReturnsOneValue, extractBundle, bundleScripts, prepareMariaDb, dropMariaDb, writeCsv, writeSiteConfig, siteEnv, USERS } from './site';
import { Driver } from './scenario';
import { writeSiteConfig3, type Backend3 } from './site-v3';
import { CHECKS3 } from './checks-v3';
import { proxyChecks, type ProxyResult } from './whole-v3';
import { CHECKS, IP, v1Name, keySpelling, runScenario, runErrors, type CheckContext } from './checks';
import { KNOWN, KNOWN_SERVE, NOTES, OUT_OF_SCOPE, csvChecks, runExampleChunk, serveRun } from './whole';

interface Row { script: string; compiles: string; runs: string; does: string; note: string; failed: boolean }

function args(argv: string[]): { git: string; tag: string } {
  const get = (n: string) => {
    const i = argv.indexOf(n);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const git = get('--nauthilus-git');
  const tag = get('--tag') ?? 'HEAD';
  if (!git) {
    console.error('usage: npm run fidelity -- --nauthilus-git <bare git dir or checkout> [--tag v1.10.12]');
    process.exit(2);
  }
  return { git, tag };
}

/** A pino logger whose JSON lines land in `lines`. */
function capture(lines: Array<Record<string, unknown>>) {
  return pino({ level: 'info' }, new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) {
        try {
          lines.push(JSON.parse(l) as Record<string, unknown>);
        } catch {
          // not JSON
        }
      }
      cb();
    },
  }));
}

async function main(): Promise<void> {
  const { git, tag } = args(process.argv.slice(2));
  const bundle = extractBundle(git, tag);
  const scripts = bundleScripts(bundle);
  // the release line by its files: 1.12 ships share/nauthilus_keys.lua, 3.x environment/ and subject/ sources
  const v3 = scripts.some((x) => x.startsWith('environment/'));
  const line = v3 ? '3' : scripts.includes('share/nauthilus_keys.lua') ? '1.12' : '1.10';
  console.log(`Nauthilus ${tag}: ${scripts.length} scripts in lua-plugins.d (extracted to a temp dir)`);
  // what the scripts print() (Nauthilus writes it to stdout) is kept out of the table: counted, shown with FIDELITY_PRINT=1
  const write = process.stdout.write.bind(process.stdout);
  let printed = 0;
  const printedLines: string[] = [];
  if (!process.env.FIDELITY_PRINT) {
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (String(chunk).startsWith('{')) {
        printed++;
        printedLines.push(String(chunk));
        return true;
      }
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
  }
  const s: StandIns = await startStandIns();
  const rows: Row[] = [];
  try {
    await prepareMariaDb();
    const csv = writeCsv(path.dirname(bundle));
    const env = siteEnv(s, csv);
    Object.assign(process.env, env);
    const site = { bundle, scripts, redisAddress: s.redis.address, imapPort: s.imap.port, softDelayUnauthenticatedOnly: softDelayReturnsOneValue(bundle) };
    // a 3.x bundle gets the 3.x layout a Nauthilus 3 site writes
    const profile = /^v?3\.1\b/.test(tag) ? '3.1' : '3.0';
    const writeSite = (backend: Backend3) => (v3 ? writeSiteConfig3({ ...site, backend, profile }) : writeSiteConfig({ ...site, backend: backend as 'mysql' | 'csv' }));
    const siteFile = writeSite('mysql');
    const csvFile = writeSite('csv');

    // 1. compiles: `authstudio check` of each site (syntax, top level, entry function)
    const problems = [...await checkWorkspace(siteFile), ...await checkWorkspace(csvFile)]
      .filter((p) => p.severity !== 'warning' || /init script/.test(p.message));
    const compileProblem = (script: string) => problems.filter((p) => (p.location?.file ?? '').endsWith(script) || p.message.includes(script)).map((p) => p.message);

    // 2. the site in-process, driven by the scenario
    const redis = new IORedis(s.redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    const alice = USERS[0];
    // alice's password is in the breach-range stand-in (reached over HTTP); the others are cached in Redis as not leaked
    const key = keySpelling(scripts.includes('share/nauthilus_keys.lua'));
    s.hibp.leaked.set(createHash('sha1').update(alice.password).digest('hex').toUpperCase(), 3);
    for (const u of USERS.filter((x) => x !== alice)) {
      await redis.hset(`${key('HAVEIBEENPWND:')}${createHash('md5').update(u.account).digest('hex')}`, createHash('sha1').update(u.password).digest('hex').slice(0, 5), '0');
    }
    s.blocklist.blocked.add(IP.blocked);
    s.geoip.rejected.add(IP.geoReject);
    const logs: Array<Record<string, unknown>> = [];
    const config = loadConfigFile(siteFile, { env: { ...process.env } });
    const engine = await AuthEngine.create(config, { logger: capture(logs), env: { ...process.env } });
    const app = await buildHttpApp(engine);
    const driver = new Driver(app, engine, logs);
    let ctx: CheckContext;
    try {
      await runScenario(driver, v3);
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      // FIDELITY_DEBUG=<label>: print that login's or hook call's whole record (for finding a difference);
      // FIDELITY_DEBUG=errors: every Lua error of every login, by login label and stage
      const dbg = process.env.FIDELITY_DEBUG;
      if (dbg) {
        for (const x of [...driver.obs.logins, ...driver.obs.hooks].filter((l) => l.label === dbg)) console.log(JSON.stringify(x, null, 1));
        for (const l of logs.filter((l) => Number(l.level) >= 40)) console.log(JSON.stringify(l).slice(0, 400));
        if (dbg === 'errors') {
          for (const l of driver.obs.logins) for (const r of [...l.trace, ...l.post].filter((x) => x.error)) console.log(l.label, `${r.stage}:${r.name}`, r.error?.slice(0, 200));
        }
        if (dbg === 'standins') {
          for (const r of s.telegram.requests) console.log('telegram', r.method, r.url, r.body.slice(0, 300));
          console.log('haproxy', s.haproxy.lines);
          for (const l of driver.obs.logins.filter((x) => x.label.startsWith('brute'))) console.log(l.label, l.status, JSON.stringify(l.headers), l.trace.map((r) => `${r.name}:${r.result}`).join(','), l.post.map((r) => `${r.name}:${r.result}:${r.error ?? ''}`).join(','));
        }
      }
      ctx = { obs: driver.obs, s, redis, metrics, tag, key, printed: printed + (process.env.FIDELITY_PRINT ? 1 : 0), printedLines };
      const csvResult = await csvChecks(csvFile, s);
      const proxyResult: ProxyResult | undefined = v3 && scripts.includes('backend/proxy_backend.lua') ? await proxyChecks(writeSite('proxy'), csvFile) : undefined;
      for (const script of scripts) {
        const compiled = compileProblem(script);
        let runErr: string[] = [];
        let does: string | undefined;
        if (OUT_OF_SCOPE[script]) {
          rows.push({ script, compiles: compiled.length ? 'no' : 'yes', runs: '-', does: '-', note: OUT_OF_SCOPE[script], failed: false });
          continue;
        }
        if (script.startsWith('examples/')) {
          const r = await runExampleChunk(path.join(bundle, script), path.dirname(bundle));
          runErr = r.errors;
          does = r.does;
        } else if (proxyResult && /proxy[-_]/.test(script)) {
          runErr = script.startsWith('init/') ? proxyResult.initErrors : proxyResult.errors;
          does = proxyResult.failures[script];
        } else if (script.includes('testing_csv')) {
          runErr = csvResult.errors;
          does = csvResult.failures[script];
        } else {
          runErr = runErrors(driver.obs, script);
          const check = v3 ? CHECKS3[script] ?? CHECKS[script] ?? CHECKS[v1Name(script)] : CHECKS[script];
          try {
            does = check ? await check(ctx) : 'no check written for this script';
          } catch (e) {
            does = `check threw: ${(e as Error).message}`;
          }
        }
        const known = KNOWN[`${tag}:${script}`] ?? KNOWN[`${line}:${script}`] ?? KNOWN[script];
        const bad = compiled.length > 0 || runErr.length > 0 || does !== undefined;
        rows.push({
          script, compiles: compiled.length ? 'no' : 'yes', runs: runErr.length ? 'no' : 'yes', does: does === undefined ? 'yes' : 'no',
          note: [compiled[0], runErr[0], does, bad && known ? `known: ${known}` : '', bad ? '' : NOTES[`${line}:${script}`] ?? NOTES[script] ?? '']
            .filter(Boolean).join('; ').slice(0, 300),
          failed: bad && !known,
        });
      }
    } finally {
      await app.close();
      await engine.close();
      redis.disconnect();
    }

    // 3. the whole bundle through `authstudio serve`
    const serve = await serveRun(siteFile, s, env, keySpelling(scripts.includes('share/nauthilus_keys.lua')), [...KNOWN_SERVE[line] ?? [], ...KNOWN_SERVE[tag] ?? []]);
    for (const r of serve) {
      rows.push({ script: `serve: ${r.what}`, compiles: '-', runs: r.ok ? 'yes' : 'no', does: r.ok ? 'yes' : 'no', note: [r.note, r.known ? `known: ${r.known}` : ''].filter(Boolean).join('; '), failed: !r.ok && !r.known });
    }
  } finally {
    await s.close();
    await dropMariaDb().catch((e: Error) => console.error(`could not drop the nauthilus database and user: ${e.message}`));
    fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
  }
  process.stdout.write = write;
  if (printed) console.log(`(${printed} lines the scripts printed to stdout are not shown; FIDELITY_PRINT=1 shows them)`);
  printTable(rows, tag);
  process.exit(rows.some((r) => r.failed) ? 1 : 0);
}

function printTable(rows: Row[], tag: string): void {
  const w = Math.max(...rows.map((r) => r.script.length), 6);
  console.log(`${'script'.padEnd(w)} | compiles | runs | does what it says | note`);
  console.log(`${'-'.repeat(w)}-|----------|------|-------------------|-----`);
  for (const r of rows) console.log(`${r.script.padEnd(w)} | ${r.compiles.padEnd(8)} | ${r.runs.padEnd(4)} | ${r.does.padEnd(17)} | ${r.note}`);
  const failed = rows.filter((r) => r.failed).length;
  const known = rows.filter((r) => !r.failed && /known:/.test(r.note)).length;
  console.log(`Nauthilus ${tag}: ${rows.length} rows, ${rows.length - failed - known} pass, ${known} known (Nauthilus does the same), ${failed} fail`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
