// The mock modules of a Nauthilus fixture's sections (http_client, dns, ldap, db, password, mail) and its expected_calls checks,
// installed into any VM (fixture-mocks.lua): the one VM of a `lua_test`, or every VM of a saved request's engine.
import fs from 'node:fs';
import path from 'node:path';
import { CallExpectations, DbExpectations, TRACKED_MODULES, type DbExpectedCall, type ExpectedCall } from './nauthilus-fixture';

const MOCKS_LUA = fs.readFileSync(findSource('fixture-mocks.lua'), 'utf8');

function findSource(name: string): string {
  // engine/testing/*.ts compiles to dist/engine/testing/; the .lua file stays next to the sources
  const candidates = [path.join(__dirname, name), path.join(__dirname, '..', '..', '..', 'engine', 'testing', name)];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`${name} not found (looked in ${candidates.join(', ')})`);
}

/** What a VM must offer to take the mocks (LuaVm.installHostChunk). */
export interface MockableVm {
  installHostChunk(src: string, chunkname: string, api: Record<string, unknown>): void;
}

/** One test's mocks: shared by every VM they are installed in, so calls are checked across stages in order. */
export class FixtureMocks {
  /** custom_log_add as "[CUSTOM] key: value", status messages as "[STATUS] text", in order. */
  readonly logs: string[] = [];
  readonly statusMessages: string[] = [];
  private readonly expectations = new Map<string, CallExpectations>();
  private readonly db: DbExpectations;

  constructor(private readonly data: Record<string, Record<string, unknown> | undefined>) {
    for (const key of Object.keys(TRACKED_MODULES)) {
      const calls = data[key]?.expected_calls as ExpectedCall[] | undefined;
      if (calls?.length) this.expectations.set(key, new CallExpectations(key, calls));
    }
    this.db = new DbExpectations((data.db?.expected_calls ?? []) as DbExpectedCall[]);
  }

  /** Install into a VM before its scripts load. */
  install(vm: MockableVm): void {
    const tracked: Record<string, string> = {};
    for (const key of this.expectations.keys()) tracked[TRACKED_MODULES[key]] = key;
    const d = this.data;
    vm.installHostChunk(MOCKS_LUA, '=[fixture mocks]', {
      record: (key: string, method: string, args: string) => this.expectations.get(String(key))?.record(String(method), String(args)) ?? undefined,
      log: (line: string) => void this.logs.push(String(line)),
      status: (msg: string) => {
        this.statusMessages.push(String(msg));
        this.logs.push(`[STATUS] ${msg}`);
      },
      mocks: JSON.stringify({ http_client: d.http_client, dns: d.dns, ldap: d.ldap, db: d.db, password: d.password, mail: d.mail }),
      db_record: (method: string, query: string) => this.db.record(String(method), String(query)) ?? undefined,
      db_last: () => JSON.stringify(this.db.lastMatchedCall() ?? null),
      tracked: JSON.stringify(tracked),
    });
  }

  /** After the run: every expected call that failed or never came (db first, then the modules). */
  finish(): string[] {
    const out: string[] = [];
    for (const exp of [this.db, ...this.expectations.values()]) {
      const err = exp.finish();
      if (err) out.push(err);
    }
    return out;
  }
}
