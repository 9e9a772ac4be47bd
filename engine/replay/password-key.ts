// The machine's corpus key: passwords recorded with --record-passwords are sealed with AES-256-GCM under a key file
// in the user's config folder (mode 0600), never in the corpus folder, so a corpus copied elsewhere carries none.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuthStudioError } from '../errors/registry';

const KEY_FILE = 'corpus-key';

/** A password as the corpus holds it: ciphertext, IV and tag (base64), and which key sealed it. */
export interface SealedPassword {
  alg: 'aes-256-gcm';
  key_id: string;
  iv: string;
  tag: string;
  data: string;
}

/** The user's AuthStudio config folder: AUTHSTUDIO_CONFIG_DIR, else the platform's per-user config place. */
export function userConfigDir(env: Record<string, string | undefined> = process.env): string {
  if (env.AUTHSTUDIO_CONFIG_DIR) return env.AUTHSTUDIO_CONFIG_DIR;
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'authstudio');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'authstudio');
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'authstudio');
}

/** The key and its id (a hash that names the key in the corpus without revealing it). */
export class CorpusKey {
  private constructor(private readonly key: Buffer, readonly id: string, readonly file: string) {}

  /** The key of this machine; `create` makes it (0600, in a 0700 folder) when there is none yet. */
  static load(opts: { create: boolean; env?: Record<string, string | undefined> }): CorpusKey | undefined {
    const dir = userConfigDir(opts.env);
    const file = path.join(dir, KEY_FILE);
    let hex: string;
    try {
      hex = fs.readFileSync(file, 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AuthStudioError('AS_ERR_BAD_REQUEST', `cannot read the corpus key ${file}: ${(e as Error).message}`, { cause: e });
      if (!opts.create) return undefined;
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      hex = crypto.randomBytes(32).toString('hex');
      // wx: two recorders starting together must not overwrite each other's key
      try {
        fs.writeFileSync(file, hex + '\n', { mode: 0o600, flag: 'wx' });
      } catch (w) {
        if ((w as NodeJS.ErrnoException).code !== 'EEXIST') throw w;
        hex = fs.readFileSync(file, 'utf8').trim();
      }
    }
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new AuthStudioError('AS_ERR_BAD_REQUEST', `the corpus key ${file} is not 64 hex digits; delete it to make a new one (passwords sealed with it are then lost)`);
    const key = Buffer.from(hex, 'hex');
    return new CorpusKey(key, crypto.createHash('sha256').update(key).digest('hex').slice(0, 16), file);
  }

  seal(password: string): SealedPassword {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(password, 'utf8'), cipher.final()]);
    return { alg: 'aes-256-gcm', key_id: this.id, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  /** The password, or undefined when another key sealed it or the ciphertext was altered. */
  open(sealed: SealedPassword): string | undefined {
    if (sealed.alg !== 'aes-256-gcm' || sealed.key_id !== this.id) return undefined;
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
