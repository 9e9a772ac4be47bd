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

test('gluacrypto (Nauthilus 1.10): hmac(algorithm, message, key) — the message comes before the key', async () => {
  const [a, b, none, err, upper] = await runLua(`
    local c = require("crypto")
    local none, err = c.hmac("sha3", "m", "k")
    local up, uerr = c.hmac("SHA256", "m", "k")
    return c.hmac("sha256", "The quick brown fox jumps over the lazy dog", "key"), c.hmac("sha1", "m", "\\0k"), none, err, uerr`);
  // RFC 4231-style well-known vector: HMAC-SHA256(key="key", msg="The quick brown fox ...")
  assert.equal(a, 'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
  assert.equal(b, nodeCrypto.createHmac('sha1', Buffer.from([0, 0x6b])).update('m').digest('hex'));
  assert.equal(none, null);
  assert.equal(err, 'unsupported algorithm');
  assert.equal(upper, 'unsupported algorithm'); // gluacrypto matches the name exactly
});

test('gluacrypto (Nauthilus 1.10): the raw flag returns digest bytes; nil hashes as ""; crc32 is big-endian IEEE', async () => {
  const [rawLen, rawHex, hmacRaw, nilMd5, crc, crcRaw, num] = await runLua(`
    local c = require("crypto")
    local raw = c.sha256("abc", true)
    local hex = raw:gsub(".", function(ch) return string.format("%02x", ch:byte()) end)
    local hr = c.hmac("md5", "m", "k", true)
    return #raw, hex, #hr, c.md5(nil), c.crc32("hello world"), #c.crc32("hello world", 1), c.md5(6/2)`);
  assert.equal(rawLen, 32);
  assert.equal(rawHex, nodeCrypto.createHash('sha256').update('abc').digest('hex'));
  assert.equal(hmacRaw, 16);
  assert.equal(nilMd5, 'd41d8cd98f00b204e9800998ecf8427e'); // LVAsString(nil) is ""
  assert.equal(crc, '0d4a1185');
  assert.equal(crcRaw, 4);
  assert.equal(num, nodeCrypto.createHash('md5').update('3').digest('hex')); // 6/2 is "3" in gopher-lua
});

test('gluacrypto (Nauthilus 1.10): base64 functions and constants', async () => {
  const r = await runLua(`
    local c = require("crypto")
    local bad, err = c.base64_decode("abc")
    return c.base64_encode("\\0\\255?>"), c.base64_decode("AP8/Pg==") == "\\0\\255?>", c.base64_url_encode("\\0\\255?>"),
      c.base64_url_decode("AP8_Pg==") == "\\0\\255?>", bad, err, c.RAW_DATA, c.ZERO_PADDING, c._DEBUG, c._VERSION`);
  assert.deepEqual(r, ['AP8/Pg==', true, 'AP8_Pg==', true, null, 'illegal base64 data at input byte 0', 1, 2, false, '0.0.0']);
});

test('gluacrypto (Nauthilus 1.10): encrypt/decrypt des-ecb, des-cbc, aes-cbc (hex or RAW_DATA), errors', async () => {
  // expected ciphertexts from OpenSSL (des with the legacy provider), PKCS#5 padding as gluacrypto pads
  const r = await runLua(`
    local c = require("crypto")
    local out = {}
    local function put(v, err) out[#out + 1] = v or err end
    put(c.encrypt("hello world", "des-cbc", "12345678", 0, "\\1\\2\\3\\4\\5\\6\\7\\8"))
    put(c.encrypt("hello world", "des-ecb", "12345678"))
    put(c.encrypt("hello world", "aes-cbc", "0123456789abcdef", nil, "0000000000000000"))
    put(c.decrypt("28dba02eb5f6dd475d82e3681c83bb77", "des-ecb", "12345678"))
    put(c.decrypt("8fc3abb8f108d61aacda4c368308a125", "des-cbc", "12345678", 0, "\\1\\2\\3\\4\\5\\6\\7\\8"))
    local raw = c.encrypt("hello world", "aes-cbc", "0123456789abcdef", c.RAW_DATA, "0000000000000000")
    put(#raw)
    put(c.decrypt(raw, "aes-cbc", "0123456789abcdef", c.RAW_DATA, "0000000000000000"))
    put(c.encrypt("x", "aes-gcm", "0123456789abcdef"))
    put(c.encrypt("x", "des-ecb", "short"))
    put(c.decrypt("zz", "des-ecb", "12345678"))
    put(c.decrypt("00", "des-ecb", "12345678"))
    return out`);
  assert.deepEqual(r[0], [
    '8fc3abb8f108d61aacda4c368308a125',
    '28dba02eb5f6dd475d82e3681c83bb77',
    'f47bd259ee818e8742eee1727e8dc704',
    'hello world',
    'hello world',
    16,
    'hello world',
    'unsupported encrypt method',
    'crypto/des: invalid key size 5',
    "encoding/hex: invalid byte: U+007A 'z'",
    'crypto/cipher: input not full blocks',
  ]);
  // a wrong IV length panics in Go (a Lua error there too), it is not a silent result
  await assert.rejects(runLua('return require("crypto").encrypt("x", "aes-cbc", "0123456789abcdef", 0, "short")'), /IV length must equal block size/);
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
    ['c.aes_encrypt({}, "k", "i", "d")', "bad argument #1 to 'aes_encrypt' (string or number expected, got table)"],
  ]) {
    await assert.rejects(runLua(`local c = require("crypto")\n${body}\nreturn 1`), (e: Error & { format(): string }) => {
      assert.ok(e.format().startsWith(`test.lua:4: ${msg}`), e.format());
      return true;
    });
  }
});

test('Nauthilus 1.10 (gopher-lua-libs v0.7.0): crypto.GCM, crypto.CBC and crypto.CTR name the AES modes', async () => {
  const [names, same] = await runLua(`
    local crypto = require("crypto")
    local key, iv = string.rep("k", 16), string.rep("i", 16)
    local a = crypto.aes_encrypt(crypto.CBC, key, iv, "secret")
    local b = crypto.aes_encrypt("cbc", key, iv, "secret")
    return crypto.GCM .. "," .. crypto.CBC .. "," .. crypto.CTR, a == b and #a == 16`);
  assert.equal(names, 'GCM,CBC,CTR');
  assert.equal(same, true);
});
