// Test helper: a real OpenLDAP slapd (Debian package slapd) on a free loopback port, with its own temp directory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';

export const SLAPD_BIN = '/usr/sbin/slapd';
export const SLAPADD_BIN = '/usr/sbin/slapadd';
export const SUFFIX = 'dc=example,dc=test';
export const ADMIN_DN = `cn=admin,${SUFFIX}`;
export const ADMIN_PW = 'admin-secret';
export const READER_DN = `cn=reader,${SUFFIX}`;
export const READER_PW = 'reader-secret';

/** Why slapd cannot run here (with `tls`: with a certificate made by openssl), or undefined when it can. */
export function slapdMissing(opts: { tls?: boolean } = {}): string | undefined {
  if (!existsSync(SLAPD_BIN) || !existsSync(SLAPADD_BIN)) return `slapd is not installed (${SLAPD_BIN}): apt-get install -y slapd ldap-utils`;
  if (opts.tls && spawnSync('openssl', ['version']).status !== 0) return 'openssl is not installed: apt-get install -y openssl';
  return undefined;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export interface Slapd {
  uri: string;
  port: number;
  /** With `tls`: the ldaps:// URI and the self-signed certificate (PEM file) both listeners present. */
  ldapsUri?: string;
  certFile?: string;
  stop(): Promise<void>;
}

/**
 * Starts slapd with an mdb database for SUFFIX, loaded with `ldif` (entries below the suffix; the suffix entry,
 * ou=people and the reader are added here). The admin (rootdn) may write; the reader may only read.
 */
export async function startSlapd(ldif: string, opts: { tls?: boolean } = {}): Promise<Slapd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'as-slapd-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (opts.tls) {
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { encoding: 'utf8' });
    if (gen.status !== 0) throw new Error(`openssl failed: ${gen.stderr}`);
  }
  const db = path.join(dir, 'db');
  mkdirSync(db);
  const conf = path.join(dir, 'slapd.conf');
  writeFileSync(conf, [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/nis.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    `pidfile ${path.join(dir, 'slapd.pid')}`,
    ...(opts.tls ? [`TLSCertificateFile ${certFile}`, `TLSCertificateKeyFile ${keyFile}`] : []),
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    'database mdb',
    `suffix "${SUFFIX}"`,
    `rootdn "${ADMIN_DN}"`,
    `rootpw ${ADMIN_PW}`,
    `directory ${db}`,
    'maxsize 10485760',
    'access to attrs=userPassword by self write by anonymous auth by * none',
    `access to * by dn.exact="${READER_DN}" read by * none`,
    '',
  ].join('\n'));
  const base = [
    `dn: ${SUFFIX}`, 'objectClass: top', 'objectClass: dcObject', 'objectClass: organization', 'o: Example', 'dc: example', '',
    `dn: ou=people,${SUFFIX}`, 'objectClass: organizationalUnit', 'ou: people', '',
    `dn: ${READER_DN}`, 'objectClass: simpleSecurityObject', 'objectClass: organizationalRole', 'cn: reader', `userPassword: ${READER_PW}`, '',
  ].join('\n');
  const ldifFile = path.join(dir, 'data.ldif');
  writeFileSync(ldifFile, `${base}\n${ldif}`);
  const add = spawnSync(SLAPADD_BIN, ['-f', conf, '-l', ldifFile], { encoding: 'utf8' });
  if (add.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`slapadd failed: ${add.stderr}`);
  }
  const port = await freePort();
  const uri = `ldap://127.0.0.1:${port}/`;
  const tlsPort = opts.tls ? await freePort() : 0;
  const ldapsUri = opts.tls ? `ldaps://127.0.0.1:${tlsPort}/` : undefined;
  // -d 0: stay in the foreground (the test owns the process) and log nothing
  const child: ChildProcess = spawn(SLAPD_BIN, ['-f', conf, '-h', ldapsUri ? `${uri} ${ldapsUri}` : uri, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => { stderr += d; });
  let exited = false;
  child.once('exit', () => { exited = true; });
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port)) || (tlsPort && !(await canConnect(tlsPort)))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`slapd did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    uri,
    port,
    ldapsUri,
    certFile: opts.tls ? certFile : undefined,
    stop: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
