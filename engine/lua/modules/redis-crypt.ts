// Nauthilus 3.0 redis_encrypt / redis_decrypt / redis_is_encryption_enabled (redislib/security.go, security/manager.go,
// util/crypto): ChaCha20-Poly1305 with the key SHA-256(secret), a random 12-byte nonce before the sealed text, all in
// standard base64. Without a secret (storage.redis.encryption_secret unset) both pass the text through unchanged.
// Decrypting text that is not base64 or does not open gives it back unchanged (Nauthilus allows plaintext).
import crypto from 'node:crypto';
import type { ModuleHost } from '../module';
import { fail, ret } from '../values';

const NONCE = 12;
const TAG = 16;

function key(secret: string): Buffer {
  return crypto.createHash('sha256').update(secret, 'utf8').digest();
}

export function redisEncrypt(secret: string | undefined, plaintext: string): string {
  if (plaintext === '' || !secret) return plaintext;
  const nonce = crypto.randomBytes(NONCE);
  const c = crypto.createCipheriv('chacha20-poly1305', key(secret), nonce, { authTagLength: TAG });
  const sealed = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return Buffer.concat([nonce, sealed, c.getAuthTag()]).toString('base64');
}

export function redisDecrypt(secret: string | undefined, encoded: string): string {
  if (encoded === '' || !secret) return encoded;
  // Go's base64.StdEncoding: padded standard alphabet only
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded)) return encoded;
  const data = Buffer.from(encoded, 'base64');
  if (data.length < NONCE + TAG) return encoded;
  try {
    const d = crypto.createDecipheriv('chacha20-poly1305', key(secret), data.subarray(0, NONCE), { authTagLength: TAG });
    d.setAuthTag(data.subarray(data.length - TAG));
    return Buffer.concat([d.update(data.subarray(NONCE, data.length - TAG)), d.final()]).toString('utf8');
  } catch {
    return encoded;
  }
}

/** The host functions behind the three Lua functions (the Lua side checks arguments as gopher-lua does). */
export function cryptFunctions(host: ModuleHost) {
  const secret = () => host.services.redis.settings.encryptionSecret;
  return {
    crypt_encrypt: (s: string) => {
      try {
        return ret(redisEncrypt(secret(), s));
      } catch (e) {
        return fail((e as Error).message);
      }
    },
    crypt_decrypt: (s: string) => ret(redisDecrypt(secret(), s)),
    crypt_enabled: () => Boolean(secret()),
  };
}

export const CRYPT_LUA = `
local function gostring(fn, v)
  if type(v) == "number" then return tostring(v) end
  if type(v) ~= "string" then error("bad argument #2 to '" .. fn .. "' (string expected, got " .. type(v) .. ")", 3) end
  return v
end
function M.redis_encrypt(h, s) return api.crypt_encrypt(gostring("redis_encrypt", s)) end
function M.redis_decrypt(h, s) return api.crypt_decrypt(gostring("redis_decrypt", s)) end
function M.redis_is_encryption_enabled(h) return api.crypt_enabled() end
`;
