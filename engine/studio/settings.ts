// The workspace's studio settings (.authstudio/settings.json): the Redis choice and other local, secret-bearing state.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AuthStudioError } from '../errors/registry';
import { parseRedisString } from '../config/redis-section';
import { PRIVATE_DIR } from './workspace-paths';

/** What the settings file holds. Never exported unless asked: it may carry a Redis password. */
export interface StudioSettingsData {
  version: 1;
  /** "mock" or a redis:// URL chosen in the studio; overrides the config's server.redis connection. */
  redis?: { url: string };
}

const FILE = 'settings.json';

/** Reads and writes `<workspace>/.authstudio/settings.json` (folder 0700, file 0600, atomic writes). */
export class StudioSettings {
  readonly file: string;
  private data: StudioSettingsData;
  /** Why the file was ignored when it could not be used (shown once in the log). */
  readonly problem: string | undefined;

  constructor(workspaceRoot: string) {
    this.file = path.join(workspaceRoot, PRIVATE_DIR, FILE);
    const { data, problem } = readSettings(this.file);
    this.data = data;
    this.problem = problem;
  }

  get redisUrl(): string | undefined {
    return this.data.redis?.url;
  }

  /** Remember (or with undefined forget) the Redis choice. */
  setRedisUrl(url: string | undefined): void {
    if (url !== undefined && typeof parseRedisString(url) === 'string') {
      throw new AuthStudioError('AS_ERR_BAD_REQUEST', `"${maskRedisUrl(url)}" is not "mock" or a redis:// URL`, { path: 'url' });
    }
    const next: StudioSettingsData = { ...this.data };
    if (url === undefined) delete next.redis;
    else next.redis = { url };
    this.write(next);
  }

  snapshot(): StudioSettingsData {
    return JSON.parse(JSON.stringify(this.data)) as StudioSettingsData;
  }

  private write(next: StudioSettingsData): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, this.file);
    this.data = next;
  }
}

function readSettings(file: string): { data: StudioSettingsData; problem?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { data: { version: 1 } };
  }
  try {
    const raw = JSON.parse(text) as Partial<StudioSettingsData>;
    const data: StudioSettingsData = { version: 1 };
    if (raw && typeof raw.redis?.url === 'string' && typeof parseRedisString(raw.redis.url) !== 'string') data.redis = { url: raw.redis.url };
    return { data };
  } catch (e) {
    return { data: { version: 1 }, problem: `${file} is not valid JSON (${(e as Error).message}): using defaults` };
  }
}

/** A Redis URL fit to show: the password replaced by "***". */
export function maskRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}
