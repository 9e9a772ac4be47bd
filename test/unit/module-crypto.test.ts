// The `crypto` module: digests, hmac and AES (gopher-lua-libs' test vectors), binary safe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import nodeCrypto from 'node:crypto';
import { runLua } from '../helpers/lua-harness';

const KEY = '86e15cbc1cbf510d8f2e51d4b63a2144';
const HELLO = '48656c6c6f20776f726c64'; // "Hello world"

test('hex digests, including binary input with NUL and non-UTF-8 bytes', async () => {
  const bin = Buffer.from([0, 255, 1, 0x80, 0x41]);
  const r = await runLua(`
    local c = require("crypto")
    local bin = "\\0\\255\\1\\128A"
    return c.md5("1\\n"), c.md5("test"), c.sha256("1\\n"), c.sha1("abc"), c.sha512("abc"), c.sha256(bin), c.md5(42)`);
  const h = (alg: string, d: Buffer | string) => nodeCrypto.createHash(alg).update(d).digest('hex');
  assert.deepEqual(r, [
    'b026324c6904b2a9cb4b88d6d61c81d1', '098f6bcd4621d373cade4e832627b4f6',
    '4355a46b19d348dc2f57c046f8ef63d4538ebb936000f3c9ee954a27460dd865', h('sha1', 'abc'), h('sha512', 'abc'), h('sha256', bin), h('md5', '42'),
  ]);
});

test('hmac(algorithm, key, message) returns a hex digest or an error', async () => {
  const [a, b, none, err] = await runLua(`
    local c = require("crypto")
    local none, err = c.hmac("sha3", "k", "m")
    return c.hmac("sha256", "key", "The quick brown fox jumps over the lazy dog"), c.hmac("SHA1", "\\0k", "m"), none, err`);
  assert.equal(a, 'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
  assert.equal(b, nodeCrypto.createHmac('sha1', Buffer.from([0, 0x6b])).update('m').digest('hex'));
  assert.equal(none, null);
  assert.match(err as string, /unsupported algorithm sha3/);
});

test('aes_encrypt_hex / aes_decrypt_hex match gopher-lua-libs, errors included', async () => {
  const r = await runLua(`
    local c = require("crypto")
    local out = {}
    local function e(...) local v, err = c.aes_encrypt_hex(...) out[#out + 1] = v or err end
    local function d(...) local v, err = c.aes_decrypt_hex(...) out[#out + 1] = v or err end
    e("GCM", "${KEY}", "b6b86d581a991a652158bd10", "${HELLO}")
    e("cbc", "${KEY}", "068bb92e032884ba8b260fa7d3a80005", "${HELLO}")
    e("CTR", "${KEY}", "e3057fc2bf103a09a1b2c3d4e5f60718", "${HELLO}")
    e("GCM", "${KEY}", "b6b86d581a991a652158bd10", "48656c6c6f207w76f726c64")
    e("GCM", "86e15cbc1cbf51d8f2e51d4b63a2144", "b6b86d581a991a652158bd10", "${HELLO}")
    e("GCM", "${KEY}", "b6b86d581a991a652158bd010211", "${HELLO}")
    e("CBC", "${KEY}", "068bb92e03288884ba8b260fa7d3a80005", "${HELLO}")
    d("GCM", "${KEY}", "b6b86d581a991a652158bd10", "7ec4e38508a26abf7b46e8dc90a7299d5144bcf045e460c3ef6b3e")
    d("cbc", "${KEY}", "068bb92e032884ba8b260fa7d3a80005", "dfba6f71cce4d4b76be301b577d9f095")
    d("CTR", "${KEY}", "e3057fc2bf103a09a1b2c3d4e5f60718", "138434a80bd7dcd9ee8adc")
    d("GCM", "${KEY}", "b6b86d581a991a652158bd10", "7ec4e38508a26abf7b46e8dc90a7299d5144bcf045e460c3ef6b3f")
    d("ctr", "00", "e3057fc2bf103a09a1b2c3d4e5f60718", "00")
    return out`);
  assert.deepEqual(r[0], [
    '7ec4e38508a26abf7b46e8dc90a7299d5144bcf045e460c3ef6b3e',
    'dfba6f71cce4d4b76be301b577d9f095',
    '138434a80bd7dcd9ee8adc',
    "failed to decode params: failed to decode data: encoding/hex: invalid byte: U+0077 'w'",
    'failed to decode params: failed to decode key: encoding/hex: odd length hex string',
    'failed to encrypt: incorrect GCM nonce size: 14, expected: 12',
    'failed to encrypt: invalid IV size: 17, expected: 16',
    HELLO,
    HELLO + '0505050505', // named CBC mode returns the padding, as gopher-lua-libs does
    HELLO,
    'failed to decrypt: cipher: message authentication failed',
    'failed to decrypt: crypto/aes: invalid key size 1',
  ]);
});

test('aes_encrypt / aes_decrypt take raw bytes (binary safe); numeric modes keep the old hex API', async () => {
  const [roundTrip, len, legacyEnc, legacyDec] = await runLua(`
    local c = require("crypto")
    local key = "0123456789abcdef"
    local iv = "\\0\\1\\2\\3\\4\\5\\6\\7\\8\\9\\10\\11"
    local data = "secret \\0\\255 bytes"
    local ct = assert(c.aes_encrypt("GCM", key, iv, data))
    local pt = assert(c.aes_decrypt("gcm", key, iv, ct))
    return pt == data, #ct,
      c.aes_encrypt(1, "${KEY}", "b6b86d581a991a652158bd10", "${HELLO}"),
      c.aes_decrypt(2, "${KEY}", "068bb92e032884ba8b260fa7d3a80005", "dfba6f71cce4d4b76be301b577d9f095")`);
  assert.equal(roundTrip, true);
  assert.equal(len, Buffer.byteLength("secret \0\xff bytes", "latin1") + 16); // ciphertext plus the GCM tag
  assert.equal(legacyEnc, '7ec4e38508a26abf7b46e8dc90a7299d5144bcf045e460c3ef6b3e');
  assert.equal(legacyDec, HELLO); // the numeric CBC mode strips the padding, as the old API did
});

test('wrong argument types raise Lua errors', async () => {
  for (const [body, msg] of [
    ['c.md5(nil)', "bad argument #1 to 'md5' (string expected, got nil)"],
    ['c.aes_encrypt({}, "k", "i", "d")', "bad argument #1 to 'aes_encrypt' (string or number expected, got table)"],
  ]) {
    await assert.rejects(runLua(`local c = require("crypto")\n${body}\nreturn 1`), (e: Error & { format(): string }) => {
      assert.ok(e.format().startsWith(`test.lua:4: ${msg}`), e.format());
      return true;
    });
  }
});
