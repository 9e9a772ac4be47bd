// The `nauthilus_mail` module against a real local SMTP/LMTP server (test/helpers/smtp-server.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { runLua } from '../helpers/lua-harness';
import { LuaVm } from '../../engine/lua/vm';
import { CallContext } from '../../engine/lua/call-context';
import { startSmtpServer } from '../helpers/smtp-server';
import { testServices } from '../helpers/lua-harness';

test('send_mail delivers over SMTP with AUTH: envelope, headers and body as the server received them', async () => {
  const smtp = await startSmtpServer({ credentials: { user: 'alerts', pass: 's3cret' } });
  try {
    const services = testServices();
    const vm = await LuaVm.create({ poolName: 'actions', services, memoryLimitBytes: 64 << 20, allowIo: false });
    const script = await vm.loadScript('mail.lua', `
      dynamic_loader("nauthilus_mail")
      local nauthilus_mail = require("nauthilus_mail")
      function send()
        return nauthilus_mail.send_mail({
          smtp_server = "127.0.0.1", smtp_port = ${smtp.port}, helo_name = "auth.example.test",
          username = "alerts", password = "s3cret", tls = false, starttls = false,
          from = '"Sicherheitshinweis" <abuse@example.test>', to = { "alice@example.test", "bob@example.test" },
          subject = "Password leak detected", body = "Hallo,\\n\\nyour password was found.\\n.\\nBye",
        })
      end`, 5000);
    const call = new CallContext('s1', { recordEvents: true });
    const [err] = await vm.evalEnv(script, 'send', call, 10000);
    vm.close();
    assert.equal(err, null);
    const m = await smtp.nextMessage();
    assert.equal(m.helo, 'auth.example.test');
    assert.deepEqual(m.auth, { user: 'alerts', pass: 's3cret' });
    assert.equal(m.mailFrom, 'abuse@example.test');
    assert.deepEqual(m.rcptTo, ['alice@example.test', 'bob@example.test']);
    assert.match(m.data, /^From: "?Sicherheitshinweis"? <abuse@example\.test>\r$/m);
    assert.match(m.data, /^To: alice@example\.test, bob@example\.test\r$/m);
    assert.match(m.data, /^Subject: Password leak detected\r$/m);
    assert.ok(m.data.includes('\r\n\r\nHallo,\r\n\r\nyour password was found.\r\n.\r\nBye'), m.data);
    assert.ok(!smtp.commands.includes('STARTTLS'), 'no STARTTLS unless asked for');
    const ev = call.events.find((e) => e.kind === 'mail');
    assert.deepEqual(ev?.detail.to, ['alice@example.test', 'bob@example.test']);
    assert.ok(!JSON.stringify(call.events).includes('s3cret'), 'the trace never shows the password');
  } finally {
    await smtp.close();
  }
});

test('send_mail speaks LMTP (LHLO) with the Nauthilus field names and a single recipient string', async () => {
  const lmtp = await startSmtpServer({ lmtp: true });
  try {
    const [err] = await runLua(`
      local mail = require("nauthilus_mail")
      return mail.send_mail({ lmtp = true, server = "127.0.0.1", port = ${lmtp.port}, helo_name = "localhost.localdomain",
        from = "noreply@example.test", to = "carol@example.test", subject = "Hi", body = "Text" })`);
    assert.equal(err, null);
    const m = await lmtp.nextMessage();
    assert.equal(lmtp.commands[0], 'LHLO localhost.localdomain');
    assert.deepEqual([m.mailFrom, m.rcptTo, m.auth], ['noreply@example.test', ['carol@example.test'], undefined]);
  } finally {
    await lmtp.close();
  }
});

test('failures are error returns: refused port, rejected recipient, bad credentials, missing fields', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const dead = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const smtp = await startSmtpServer({ reject: ['nobody@example.test'], credentials: { user: 'u', pass: 'right' } });
  try {
    const r = await runLua(`
      local mail = require("nauthilus_mail")
      local base = { server = "127.0.0.1", port = ${smtp.port}, username = "u", password = "right", from = "a@example.test", subject = "s", body = "b" }
      local function with(t) local c = {} for k, v in pairs(base) do c[k] = v end for k, v in pairs(t) do c[k] = v end return c end
      return mail.send_mail(with({ port = ${dead}, to = { "x@example.test" } })),
        mail.send_mail(with({ to = { "nobody@example.test" } })),
        mail.send_mail(with({ password = "wrong", to = { "x@example.test" } })),
        mail.send_mail(with({ to = {} })),
        mail.send_mail({ to = "x@example.test", from = "a@example.test" }),
        mail.send_mail(with({ starttls = true, to = { "x@example.test" } }))`);
    assert.match(r[0] as string, /^send_mail: .*ECONNREFUSED/);
    assert.match(r[1] as string, /^send_mail: .*550 5\.1\.1/);
    assert.match(r[2] as string, /^send_mail: .*535/);
    assert.equal(r[3], 'send_mail: no recipients (to) given');
    assert.equal(r[4], 'send_mail: no server given');
    assert.match(r[5] as string, /^send_mail: .*454 4\.7\.0/, 'starttls = true fails when the upgrade fails');
    assert.equal(smtp.messages.length, 0);
  } finally {
    await smtp.close();
  }
  await assert.rejects(runLua('local mail = require("nauthilus_mail")\nmail.send_mail("x")\nreturn 1'), (e: Error & { format(): string }) =>
    /^test\.lua:4: bad argument #1 to 'send_mail' \(table expected, got string\)/.test(e.format()));
});
