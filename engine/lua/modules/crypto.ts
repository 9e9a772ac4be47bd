// `crypto`: gopher-lua-libs' crypto (nauthilus_gll_crypto: AES GCM/CBC/CTR) and gluacrypto (nauthilus_gluacrypto:
// digests with a raw flag, hmac, crc32, base64, DES/AES-CBC encrypt/decrypt); Nauthilus gives both the name `crypto`.
import nodeCrypto from 'node:crypto';
import type { LuaModule } from '../module';
import { ret, fail } from '../values';
import { luaNumberText } from '../go-number';
import { crc32, gluaDecrypt, gluaEncrypt, GoPanic } from './crypto-gluacrypto';

const HASHES = new Set(['md5', 'sha1', 'sha256', 'sha512']);

/** Go's encoding/hex.DecodeString, with its error messages. */
function hexDecode(s: string): Buffer {
  const bad = /[^0-9a-fA-F]/.exec(s);
  if (bad) {
    const hex = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new Error(`encoding/hex: invalid byte: U+${hex} '${bad[0]}'`);
  }
  if (s.length % 2 === 1) throw new Error('encoding/hex: odd length hex string');
  return Buffer.from(s, 'hex');
}

/** Lua hands binary strings over as hex (flag set) so no byte is lost crossing into JS. */
function bytesOf(s: string, isHex: boolean): Buffer {
  return isHex ? Buffer.from(s, 'hex') : Buffer.from(s, 'utf8');
}

type Mode = 'gcm' | 'cbc' | 'ctr';

function aes(encrypt: boolean, modeArg: unknown, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const numeric = typeof modeArg === 'number';
  const mode = (numeric ? ({ 1: 'gcm', 2: 'cbc', 3: 'ctr' } as Record<number, Mode>)[modeArg as number] : String(modeArg).toLowerCase()) as Mode;
  if (mode !== 'gcm' && mode !== 'cbc' && mode !== 'ctr') throw new Error(`unsupported mode: ${String(modeArg)}`);
  if (![16, 24, 32].includes(key.length)) throw new Error(`crypto/aes: invalid key size ${key.length}`);
  const algo = `aes-${key.length * 8}-${mode}`;
  if (mode === 'gcm') {
    if (iv.length !== 12) throw new Error(`incorrect GCM nonce size: ${iv.length}, expected: 12`);
    if (encrypt) {
      const c = nodeCrypto.createCipheriv(algo as nodeCrypto.CipherGCMTypes, key, iv);
      return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
    }
    if (data.length < 16) throw new Error('cipher: message authentication failed');
    const d = nodeCrypto.createDecipheriv(algo as nodeCrypto.CipherGCMTypes, key, iv);
    d.setAuthTag(data.subarray(data.length - 16));
    try {
      return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
    } catch {
      throw new Error('cipher: message authentication failed');
    }
  }
  if (iv.length !== 16) throw new Error(`invalid IV size: ${iv.length}, expected: 16`);
  if (mode === 'ctr') {
    const c = encrypt ? nodeCrypto.createCipheriv(algo, key, iv) : nodeCrypto.createDecipheriv(algo, key, iv);
    return Buffer.concat([c.update(data), c.final()]);
  }
  if (encrypt) {
    const c = nodeCrypto.createCipheriv(algo, key, iv); // PKCS#7 padding, as gopher-lua-libs pads
    return Buffer.concat([c.update(data), c.final()]);
  }
  if (data.length % 16 !== 0) throw new Error('ciphertext is not a multiple of block size');
  const d = nodeCrypto.createDecipheriv(algo, key, iv).setAutoPadding(false);
  const plain = Buffer.concat([d.update(data), d.final()]);
  // the numeric modes (older gopher-lua-libs) strip the padding; the named modes return it as is
  if (!numeric) return plain;
  const n = plain[plain.length - 1];
  if (!plain.length || n === 0 || n > 16) throw new Error('invalid padding');
  for (let i = 0; i < n; i++) if (plain[plain.length - 1 - i] !== n) throw new Error('invalid padding byte');
  return plain.subarray(0, plain.length - n);
}

export const cryptoModule: LuaModule = {
  name: 'crypto',
  legacyLoaderName: 'nauthilus_gll_crypto',
  summary: 'gluacrypto and gopher-lua-libs crypto: md5/sha1/sha256/sha512/crc32 (hex or raw), hmac, base64, DES/AES-CBC encrypt/decrypt, AES GCM/CBC/CTR.',
  install() {
    return {
      functions: {
        hash: (alg: string, s: string, isHex: boolean) => (alg === 'crc32'
          ? crc32(bytesOf(s, isHex)).toString('hex')
          : nodeCrypto.createHash(alg).update(bytesOf(s, isHex)).digest('hex')),
        // gluacrypto: hmac(algorithm, message, key); the algorithm name is matched exactly
        hmac: (alg: string, msg: string, msgHex: boolean, key: string, keyHex: boolean) => {
          if (!HASHES.has(alg)) return fail('unsupported algorithm');
          return ret(nodeCrypto.createHmac(alg, bytesOf(key, keyHex)).update(bytesOf(msg, msgHex)).digest('hex'));
        },
        numstr: (n: number) => luaNumberText(n),
        // gluacrypto encrypt/decrypt; data, key and iv cross as hex (ciphertext given as hex text is decoded here)
        glua: (encrypt: boolean, method: string, data: string, dataIsHexText: boolean, key: string, iv: string) => {
          let d: Buffer;
          try {
            d = dataIsHexText ? hexDecode(data) : Buffer.from(data, 'hex');
          } catch (e) {
            return fail((e as Error).message);
          }
          try {
            const out = (encrypt ? gluaEncrypt : gluaDecrypt)(d, method, Buffer.from(key, 'hex'), Buffer.from(iv, 'hex'));
            return ret(out.toString('hex'));
          } catch (e) {
            if (e instanceof GoPanic) throw e; // a Go panic: a Lua error in Nauthilus as well
            return fail((e as Error).message);
          }
        },
        // key, iv and data always arrive as hex (the script's own, or made from raw bytes in Lua)
        aes: (encrypt: boolean, mode: unknown, key: string, iv: string, data: string) => {
          let k: Buffer, i: Buffer, d: Buffer;
          try {
            for (const [what, v] of [['key', key], ['IV', iv], ['data', data]] as const) {
              try {
                hexDecode(v);
              } catch (e) {
                throw new Error(`failed to decode ${what}: ${(e as Error).message}`);
              }
            }
            [k, i, d] = [hexDecode(key), hexDecode(iv), hexDecode(data)];
          } catch (e) {
            return fail(`failed to decode params: ${(e as Error).message}`);
          }
          try {
            return ret(aes(encrypt, mode, k, i, d).toString('hex'));
          } catch (e) {
            return fail(`failed to ${encrypt ? 'encrypt' : 'decrypt'}: ${(e as Error).message}`);
          }
        },
      },
      lua: CRYPTO_LUA,
    };
  },
};

const CRYPTO_LUA = `
local api = ...
local M = {}

local str = select(3, ...).check_string -- gopher-lua CheckString (prelude)

local function tohex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
local function fromhex(h) return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end)) end

-- text crosses to JS as is; anything with NUL or non-ASCII bytes crosses as hex
local function cross(s)
  if s:find("[%z\\128-\\255]") then return tohex(s), true end
  return s, false
end

-- gopher-lua's LVAsString (gluacrypto's argument reading): strings and numbers as text, anything else ""
local function gostr(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return api.numstr(v) end
  return ""
end

-- gopher-lua's LVAsBool: only nil and false are false
local function truthy(v) return v ~= nil and v ~= false end

local function digest(alg, s, raw)
  local x, hex = cross(gostr(s))
  local h = api.hash(alg, x, hex)
  if truthy(raw) then return fromhex(h) end
  return h
end

for _, alg in ipairs({ "md5", "sha1", "sha256", "sha512", "crc32" }) do
  M[alg] = function(s, raw) return digest(alg, s, raw) end
end

-- gluacrypto: hmac(algorithm, message, key [, raw])
function M.hmac(alg, msg, key, raw)
  local m, mh = cross(gostr(msg))
  local k, kh = cross(gostr(key))
  local h, err = api.hmac(gostr(alg), m, mh, k, kh)
  if h == nil then return nil, err end
  if truthy(raw) then return fromhex(h) end
  return h
end

local function b64(enc) return require("base64")[enc] end
function M.base64_encode(s) return b64("StdEncoding"):encode_to_string(gostr(s)) end
function M.base64_decode(s) return b64("StdEncoding"):decode_string(gostr(s)) end
function M.base64_url_encode(s) return b64("URLEncoding"):encode_to_string(gostr(s)) end
function M.base64_url_decode(s) return b64("URLEncoding"):decode_string(gostr(s)) end

-- gopher-lua's ToInt for the options argument: a number, or a string holding one; else 0
local function options_of(v)
  if type(v) == "string" then v = tonumber(v) end
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then return 0 end
  return math.tointeger(v < 0 and math.ceil(v) or math.floor(v)) or 0
end

M.RAW_DATA = 1
M.ZERO_PADDING = 2
M._DEBUG = false
M._VERSION = "0.0.0"
-- gopher-lua-libs v0.7.0: the AES mode names, each field holding its own name
M.GCM, M.CBC, M.CTR = "GCM", "CBC", "CTR"

-- gluacrypto: encrypt(data, method, key, options, iv): hex unless options has RAW_DATA
function M.encrypt(s, method, key, options, iv)
  local raw = options_of(options) & 1 == 1
  local r, err = api.glua(true, gostr(method), tohex(gostr(s)), false, tohex(gostr(key)), tohex(gostr(iv)))
  if r == nil then return nil, err end
  if raw then return fromhex(r) end
  return r
end

-- gluacrypto: decrypt(data, method, key, options, iv): data is hex unless options has RAW_DATA
function M.decrypt(s, method, key, options, iv)
  local raw = options_of(options) & 1 == 1
  local data = gostr(s)
  local r, err
  if raw then
    r, err = api.glua(false, gostr(method), tohex(data), false, tohex(gostr(key)), tohex(gostr(iv)))
  else
    r, err = api.glua(false, gostr(method), data, true, tohex(gostr(key)), tohex(gostr(iv)))
  end
  if r == nil then return nil, err end
  return fromhex(r)
end

local function mode_arg(fn, m)
  if type(m) ~= "number" and type(m) ~= "string" then
    error(string.format("bad argument #1 to '%s' (string or number expected, got %s)", fn, type(m)), 3)
  end
  return m
end

-- raw strings in and out (binary safe: converted to hex on the Lua side); a numeric mode is the
-- older gopher-lua-libs API, which took and returned hex
function M.aes_encrypt(mode, key, iv, data)
  mode = mode_arg("aes_encrypt", mode)
  if type(mode) == "number" then return M.aes_encrypt_hex(mode, key, iv, data) end
  local r, err = api.aes(true, mode, tohex(str("aes_encrypt", 2, key)), tohex(str("aes_encrypt", 3, iv)), tohex(str("aes_encrypt", 4, data)))
  if r == nil then return nil, err end
  return fromhex(r)
end

function M.aes_decrypt(mode, key, iv, data)
  mode = mode_arg("aes_decrypt", mode)
  if type(mode) == "number" then return M.aes_decrypt_hex(mode, key, iv, data) end
  local r, err = api.aes(false, mode, tohex(str("aes_decrypt", 2, key)), tohex(str("aes_decrypt", 3, iv)), tohex(str("aes_decrypt", 4, data)))
  if r == nil then return nil, err end
  return fromhex(r)
end

-- hex strings in and out
function M.aes_encrypt_hex(mode, key, iv, data)
  mode = mode_arg("aes_encrypt_hex", mode)
  return api.aes(true, mode, str("aes_encrypt_hex", 2, key), str("aes_encrypt_hex", 3, iv), str("aes_encrypt_hex", 4, data))
end

function M.aes_decrypt_hex(mode, key, iv, data)
  mode = mode_arg("aes_decrypt_hex", mode)
  return api.aes(false, mode, str("aes_decrypt_hex", 2, key), str("aes_decrypt_hex", 3, iv), str("aes_decrypt_hex", 4, data))
end

return M
`;
