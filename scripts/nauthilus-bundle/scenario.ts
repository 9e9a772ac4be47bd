// Drives a site like its users would (logins through the HTTP API, hook calls) and records what every script did:
// its trace records (errors, custom logs, decisions), the answers, and what the stand-ins and Redis saw.
import type { FastifyInstance } from 'fastify';
import type { AuthEngine } from '../../engine/engine';
import type { StageRecord } from '../../engine/pipeline/trace';

export interface Login {
  label: string;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  decision?: string;
  statusMessage?: string;
  attributes: Record<string, string | string[]>;
  trace: StageRecord[];
  post: StageRecord[];
}

export interface HookCall { label: string; status: number; headers: Record<string, string | string[] | number | undefined>; body: string }

/** Everything the checks read. */
export interface Observed {
  logins: Login[];
  hooks: HookCall[];
  /** Every trace record by script name and by "stage:name" (stage records of features, filters, actions, backend). */
  records: Map<string, StageRecord[]>;
  /** Engine log lines (JSON objects). */
  logs: Array<Record<string, unknown>>;
}

export class Driver {
  readonly obs: Observed;
  constructor(private app: FastifyInstance, private engine: AuthEngine, logs: Array<Record<string, unknown>>) {
    this.obs = { logins: [], hooks: [], records: new Map(), logs };
  }

  /** POST /api/v1/auth/json as a trusted proxy would (fields in the body, extra HTTP headers). */
  async login(label: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Login> {
    const res = await this.app.inject({
      method: 'POST', url: '/api/v1/auth/json', headers: { 'content-type': 'application/json', ...headers },
      payload: { protocol: 'imap', method: 'PLAIN', client_port: '40000', local_ip: '127.0.0.1', local_port: '143', ssl: 'on', ...fields },
    });
    const out = this.engine.lastTrace(String(res.headers['x-nauthilus-session']));
    const post = out ? await out.postActions : [];
    const login: Login = {
      label, status: res.statusCode, headers: res.headers, body: res.body, decision: out?.decision,
      statusMessage: out?.statusMessage, attributes: out?.attributes ?? {}, trace: out?.trace ?? [], post,
    };
    for (const r of [...login.trace, ...post]) {
      // by name, and by stage kind and name (3.x ships an environment, a subject and an action of one name)
      for (const k of [r.name, `${r.stage}:${r.name}`]) {
        const list = this.obs.records.get(k) ?? [];
        list.push(r);
        this.obs.records.set(k, list);
      }
    }
    this.obs.logins.push(login);
    return login;
  }

  async hook(label: string, method: 'GET' | 'POST' | 'HEAD', url: string, body?: string, headers: Record<string, string> = {}): Promise<HookCall> {
    const res = await this.app.inject({ method, url: `/api/v1/custom/${url}`, payload: body, headers });
    const call = { label, status: res.statusCode, headers: res.headers, body: res.body };
    this.obs.hooks.push(call);
    return call;
  }
}

/** Lua errors recorded for a script name, as "file:line: message". */
export function errorsOf(obs: Observed, name: string): string[] {
  return (obs.records.get(name) ?? []).filter((r) => r.error || r.result === 'error').map((r) => r.error ?? r.result);
}

/** A custom-log value some record of `name` logged. */
export function logged(obs: Observed, name: string, key: string): string[] {
  return (obs.records.get(name) ?? []).map((r) => r.logs[key]).filter((v): v is string => v !== undefined);
}
