// nauthilus_password against real Lua: every scheme with computed and literal vectors, errors, generation, policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { bcrypt, argon2id, argon2i } from 'hash-wasm';
import { runLua, testServices } from '../helpers/lua-harness';
import { GENERATE_SCHEMES } from '../../engine/lua/modules/password-schemes';

const lq = (s: string) => JSON.stringify(s); // a JSON string literal is a valid Lua string literal for ASCII

/** compare_passwords(hash, plain) for each pair, returned as [match, err] tuples. */
async function compare(pairs: Array<[string, string]>): Promise<Array<[unknown, unknown]>> {
  const body = `local p = require("nauthilus_password")\nlocal out = {}\n` +
    pairs.map(([h, pw]) => `do local ok, err = p.compare_passwords(${lq(h)}, ${lq(pw)}); out[#out + 1] = {ok, err or false} end`).join('\n') +
    `\nreturn out`;
  const [out] = await runLua(body);
  return (out as Array<[unknown, unknown]>).map(([ok, err]) => [ok, err === false ? null : err]);
}

function salted(alg: string, plain: string, salt: Buffer, enc: 'base64' | 'hex' = 'base64'): string {
  return Buffer.concat([crypto.createHash(alg).update(plain).update(salt).digest(), salt]).toString(enc);
}

test('salted and unsalted {SCHEME} digests computed with node:crypto match, and a wrong password does not', async () => {
  const salt = crypto.randomBytes(8);
  const b64 = (alg: string, s: string) => crypto.createHash(alg).update(s).digest('base64');
  const hashes = [
    '{SSHA}' + salted('sha1', 'secret', salt),
    '{SSHA256}' + salted('sha256', 'secret', salt),
    '{SSHA512}' + salted('sha512', 'secret', salt),
    '{SSHA512.HEX}' + salted('sha512', 'secret', salt, 'hex'),
    '{SMD5}' + salted('md5', 'secret', salt),
    '{SHA}' + b64('sha1', 'secret'),
    '{SHA256}' + b64('sha256', 'secret'),
    '{SHA512}' + b64('sha512', 'secret'),
    '{MD5}' + b64('md5', 'secret'),
    '{PLAIN-MD5}' + crypto.createHash('md5').update('secret').digest('hex'),
  ];
  const res = await compare(hashes.flatMap((h): Array<[string, string]> => [[h, 'secret'], [h, 'Secret']]));
  for (let i = 0; i < hashes.length; i++) {
    assert.deepEqual(res[2 * i], [true, null], `${hashes[i]} should match`);
    assert.deepEqual(res[2 * i + 1], [false, null], `${hashes[i]} must not match a wrong password`);
  }
});

test('literal vectors: Nauthilus {SSHA256}, {SSHA}, {SHA}, {MD5}, MD5-crypt, apr1', async () => {
  const res = await compare([
    ['{SSHA256}9BT0VNzrkTp51/skOYDjOEFoYPN9FoGx/Gd+njZv5tEOgtl6TvODXg==', 'bc123'], // from Nauthilus' own tests
    ['{SSHA}gVK8WC9YyFT1gMsQHTGCgT3sSv5zYWx0', 'secret'], // sha1("secret" + "salt") + "salt" (openssl)
    ['{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=', 'secret'],
    ['{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==', 'secret'],
    ['$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/', 'password'], // openssl passwd -1
    ['{MD5-CRYPT}$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/', 'password'],
    ['$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/', 'password'], // openssl passwd -apr1
    ['$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/', 'passwort'],
  ]);
  assert.deepEqual(res, [[true, null], [true, null], [true, null], [true, null], [true, null], [true, null], [true, null], [false, null]]);
});

test('SHA-crypt $5$/$6$: specification vectors, {CRYPT} prefix, and hashes made by unixcrypt', async () => {
  const { encrypt } = (await new Function('s', 'return import(s)')('unixcrypt')) as { encrypt(p: string, s: string): string };
  const u5 = encrypt('geheim', '$5$abcdefgh');
  const u6 = encrypt('geheim', '$6$rounds=6000$abcdefgh');
  const res = await compare([
    ['$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5', 'Hello world!'],
    ['$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1', 'Hello world!'],
    ['$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA', 'Hello world!'],
    ['$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0', 'This is just a test'],
    // passwords of exactly the digest length (openssl passwd): unixcrypt 3.0.4 gets these wrong
    ['$6$saltstring$xNfEGWEsbTgq/Y30XyIRNcZdD2drPqzAwh6fXDj7D6WVE0OazIpLhya3Bird/wrtzcCJhM8Es.wueUOoZXbEi/', 'a'.repeat(64)],
    ['$5$saltstring$rjMPH2qyAsLvASQeJUKQQdHLfa3DC3Q9NLllO3sQ6m2', 'a'.repeat(32)],
    ['{CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1', 'Hello world!'],
    ['{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1', 'Hello world'],
    [u5, 'geheim'],
    [u6, 'geheim'],
    [u6, 'Geheim'],
  ]);
  assert.deepEqual(res, [[true, null], [true, null], [true, null], [true, null], [true, null], [true, null], [true, null],
    [false, null], [true, null], [true, null], [false, null]]);
});

test('bcrypt $2a$/$2b$/$2y$ and argon2i/argon2id: literal reference vectors and hashes made by hash-wasm', async () => {
  const b = await bcrypt({ password: 'pw-bcrypt', salt: crypto.randomBytes(16), costFactor: 4, outputType: 'encoded' });
  const small = { salt: crypto.randomBytes(16), parallelism: 1, iterations: 2, memorySize: 64, hashLength: 32, outputType: 'encoded' as const };
  const aid = await argon2id({ password: 'pw-argon', ...small });
  const ai = await argon2i({ password: 'pw-argon', ...small });
  const res = await compare([
    ['$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', 'U*U'], // OpenBSD test vector
    ['$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a', 'rasmuslerdorf'], // PHP manual
    ['$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA', 'password'], // argon2 reference
    ['$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc', 'password'],
    [b, 'pw-bcrypt'],
    ['$2y$' + b.slice(4), 'pw-bcrypt'],
    ['$2b$' + b.slice(4), 'pw-bcrypt'],
    ['{BLF-CRYPT}$2y$' + b.slice(4), 'pw-bcrypt'],
    [b, 'pw-Bcrypt'],
    [aid, 'pw-argon'],
    [ai, 'pw-argon'],
    [aid, 'pw-argon!'],
  ]);
  assert.deepEqual(res, [[true, null], [true, null], [true, null], [true, null], [true, null], [true, null], [true, null],
    [true, null], [false, null], [true, null], [true, null], [false, null]]);
});

test('plain text: no prefix, {PLAIN} and {CLEARTEXT}', async () => {
  const res = await compare([['hunter2', 'hunter2'], ['hunter2', 'hunter3'], ['hunter2', 'hunter22'], ['{PLAIN}abc', 'abc'], ['{CLEARTEXT}abc', 'abd']]);
  assert.deepEqual(res, [[true, null], [false, null], [false, null], [true, null], [false, null]]);
});

test('hashes that cannot be checked return false and an error', async () => {
  const res = await compare([
    ['{FOO}abc', 'x'],
    ['$9$abc$def', 'x'],
    ['$2y$10$tooshort', 'x'],
    ['', ''],
    ['{SSHA256}not*base64', 'x'],
    ['{SSHA256}' + Buffer.alloc(32).toString('base64'), 'x'], // digest without salt
    ['$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc', 'x'],
  ]);
  const messages = [/unsupported password scheme \{FOO\}/, /unsupported crypt hash/, /malformed bcrypt/, /empty password hash/, /invalid base64/, /too short/, /memory cost/];
  res.forEach(([ok, err], i) => {
    assert.equal(ok, false);
    assert.match(String(err), messages[i]);
    assert.match(String(err), /^compare_passwords: /);
  });
});

test('a bcrypt check does not stall the event loop (it runs on a worker thread)', async () => {
  const hash = await bcrypt({ password: 'slow', salt: crypto.randomBytes(16), costFactor: 12, outputType: 'encoded' });
  let last = performance.now();
  let maxGap = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 5);
  const t0 = performance.now();
  try {
    const [ok] = await compare([[hash, 'slow']]);
    assert.deepEqual(ok, [true, null]);
  } finally {
    clearInterval(probe);
  }
  const took = performance.now() - t0;
  assert.ok(maxGap < Math.max(150, took / 2), `event loop stalled for ${maxGap.toFixed(0)} ms of ${took.toFixed(0)} ms`);
});

test('generate_password_hash without scheme gives Nauthilus 8-hex hash of nonce\\0password', async () => {
  const expect = (nonce: string, pw: string) => crypto.createHash('sha256').update(`${nonce}\0${pw}`).digest('hex').slice(0, 8);
  const [h1, e1] = await runLua('return require("nauthilus_password").generate_password_hash("s3cret")');
  assert.equal(h1, expect('', 's3cret'));
  assert.equal(e1, null);
  const services = { ...testServices(), passwordNonce: 'n0nce' };
  const [h2] = await runLua('return require("nauthilus_password").generate_password_hash("s3cret")', { services });
  assert.equal(h2, expect('n0nce', 's3cret'));
});

test('generate_password_hash(plain, scheme) round-trips through compare_passwords for every scheme', async () => {
  const body = `local p = require("nauthilus_password")
    local out = {}
    for _, s in ipairs(${JSON.stringify(GENERATE_SCHEMES).replace('[', '{').replace(']', '}')}) do
      local h, err = p.generate_password_hash("Pa55 wörd", s)
      local ok = p.compare_passwords(h or "", "Pa55 wörd")
      local bad = p.compare_passwords(h or "", "Pa55 word")
      -- "|" separates: "/" is in the crypt salt alphabet and may be the hash's 4th character
      out[#out + 1] = s .. "=" .. tostring(ok) .. "|" .. tostring(bad) .. "|" .. tostring(err) .. "|" .. tostring(h):sub(1, 4)
    end
    local _, err = p.generate_password_hash("x", "ROT13")
    return out, err`;
  const [out, err] = await runLua(body);
  for (const line of out as string[]) assert.match(line, /=true\|false\|nil\|/, line);
  assert.match(err as string, /unsupported scheme "ROT13"/);
  const bySchemes = Object.fromEntries((out as string[]).map((l) => [l.split('=')[0], l.split('|').pop()]));
  assert.equal(bySchemes.SSHA512, '{SSH');
  assert.ok(bySchemes['SHA512-CRYPT']?.startsWith('$6$'));
  assert.equal(bySchemes.BCRYPT, '$2y$');
  assert.equal(bySchemes.ARGON2ID, '$arg');
});

test('check_password_policy counts length, upper, lower, digits and specials as Nauthilus does', async () => {
  const [weak, strong, noNum, noSpecial, unicode, bytes, empty] = await runLua(`
    local p = require("nauthilus_password")
    local pol = {min_length = 8, min_upper = 1, min_lower = 1, min_number = 1, min_special = 1}
    return p.check_password_policy(pol, "weak"), p.check_password_policy(pol, "Strong1@"),
      p.check_password_policy(pol, "Strong@x"), p.check_password_policy(pol, "Strong1x"),
      p.check_password_policy({min_upper = 2, min_lower = 1}, "ÄÖü"),
      p.check_password_policy({min_length = 6}, "äöü"),
      p.check_password_policy({}, "")`);
  assert.deepEqual([weak, strong, noNum, noSpecial, unicode, bytes, empty], [false, true, false, false, true, true, true]);
});

test('Nauthilus 1.10: check_password_policy returns the boolean alone; a number password is its text', async () => {
  const [n, digits, strNum] = await runLua(`
    local p = require("nauthilus_password")
    return select("#", p.check_password_policy({min_length = 1}, "x")), p.check_password_policy({min_number = 6}, 123456),
      p.check_password_policy({min_length = 1}, "x", "ignored") == true`);
  assert.deepEqual([n, digits, strNum], [1, true, true]);
});

test('wrong argument types raise errors naming the function', async () => {
  await assert.rejects(runLua('return require("nauthilus_password").compare_passwords(nil, "x")'), /bad argument #1 to 'compare_passwords' \(string expected, got nil\)/);
  await assert.rejects(runLua('return require("nauthilus_password").compare_passwords("x", 5)'), /bad argument #2 to 'compare_passwords'/);
  await assert.rejects(runLua('return require("nauthilus_password").check_password_policy("x", "y")'), /bad argument #1 to 'check_password_policy' \(table expected/);
  await assert.rejects(runLua('return require("nauthilus_password").generate_password_hash({})'), /bad argument #1 to 'generate_password_hash'/);
});

test('dynamic_loader("nauthilus_password") then require works as in the seed backend', async () => {
  const [ok] = await runLua(`dynamic_loader("nauthilus_password")
    local nauthilus_password = require("nauthilus_password")
    local match, err = nauthilus_password.compare_passwords("{SSHA256}9BT0VNzrkTp51/skOYDjOEFoYPN9FoGx/Gd+njZv5tEOgtl6TvODXg==", "bc123")
    require("nauthilus_util").if_error_raise(err)
    return match`);
  assert.equal(ok, true);
});
