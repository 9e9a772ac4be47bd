// The `cert_util` module: gopher-lua-libs v0.7.0's not_after against a TLS server on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { runLua } from '../helpers/lua-harness';

/** A self-signed certificate for localhost valid for `days`, made with openssl. */
function selfSigned(days: number): { key: Buffer; cert: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'as-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', String(days), '-subj', '/CN=localhost'], { stdio: 'ignore' });
    return { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): cert_util.not_after gives the certificate\'s NotAfter as unix seconds, nil', async () => {
  const { key, cert } = selfSigned(3);
  const expected = Math.floor(Date.parse(new crypto.X509Certificate(cert).validTo) / 1000);
  let sni: string | undefined;
  const server = tls.createServer({ key, cert, SNICallback: (name, cb) => { sni = name; cb(null, undefined); } }, (s) => s.end());
  const port = await listen(server);
  try {
    const r = await runLua(`
      dynamic_loader("nauthilus_gll_cert_util")
      local cu = require("cert_util")
      local t, err = cu.not_after("localhost", "127.0.0.1:${port}")
      return t, err, select("#", cu.not_after("localhost", "127.0.0.1:${port}"))`);
    assert.deepEqual(r, [expected, null, 2]);
    assert.equal(sni, 'localhost');
  } finally {
    server.close();
  }
});

test('gopher-lua-libs v0.7.0 (Nauthilus 1.10): cert_util.not_after errors: refused dial, no TLS peer, bad arguments', async () => {
  const closed = net.createServer();
  const deadPort = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const plain = net.createServer((s) => s.end('not tls\r\n'));
  const plainPort = await listen(plain);
  try {
    const r = await runLua(`
      local cu = require("cert_util")
      local a, aerr = cu.not_after("localhost", "127.0.0.1:${deadPort}")
      local b, berr = cu.not_after("localhost", "127.0.0.1:${plainPort}")
      local ok, cerr = pcall(cu.not_after)
      return a, aerr, b, berr, ok, cerr`);
    assert.deepEqual(r.slice(0, 4), [null, `dial tcp 127.0.0.1:${deadPort}: connect: connection refused`, null, 'certs not found']);
    assert.equal(r[4], false);
    assert.match(String(r[5]), /bad argument #1 to 'not_after' \(string expected, got nil\)/);
  } finally {
    plain.close();
  }
});
