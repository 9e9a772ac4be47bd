// `telegram` (gopher-lua-libs 0.7, Nauthilus 1.10's nauthilus_gll_telegram) against a local stand-in for the Bot API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runLua } from '../helpers/lua-harness';
import { startHttpServer, type TestHttpServer } from '../helpers/http-server';
import { CallContext } from '../../engine/lua/call-context';

let api: TestHttpServer;
const TOKEN = '123456:AA-bb_cc';

before(async () => {
  api = await startHttpServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    const form = new URLSearchParams(req.body);
    if (req.url.endsWith('/getUpdates')) {
      const offset = Number(form.get('offset') ?? 0);
      const updates = [{ update_id: 41, message: { text: 'a' } }, { update_id: 42, message: { text: 'b' } }].filter((u) => u.update_id >= offset);
      return res.end(JSON.stringify({ ok: true, result: updates }));
    }
    if (form.get('chat_id') === '404') return res.end(JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: chat not found' }));
    res.end(JSON.stringify({ ok: true, result: { message_id: 7, chat: { id: Number(form.get('chat_id')) }, text: form.get('text') } }));
  });
});
after(() => api.close());

const env = () => ({ AUTHSTUDIO_TELEGRAM_API: api.url, TELEGRAM_PASSWORD: TOKEN, TELEGRAM_CHAT_ID: '1001' });

test('Nauthilus 1.10 (gopher-lua-libs telegram): bot:sendMessage posts the Bot API form through an http client and returns the result', async () => {
  const call = new CallContext('s', { recordEvents: true });
  const [id, chat, text] = await runLua(`
    dynamic_loader("nauthilus_gll_http")
    dynamic_loader("nauthilus_gll_telegram")
    local http = require("http")
    local telegram = require("telegram")
    local bot = telegram.bot(os.getenv("TELEGRAM_PASSWORD"), http.client())
    local msg, err = bot:sendMessage({ chat_id = tonumber(os.getenv("TELEGRAM_CHAT_ID")), text = "login failed: alice", reply_markup = { inline_keyboard = { { { text = "ok", callback_data = "1" } } } } })
    if err then error(err) end
    return msg.message_id, msg.chat.id, msg.text`, { env: env(), call });
  assert.deepEqual([id, chat, text], [7, 1001, 'login failed: alice']);
  const sent = api.requests.at(-1)!;
  assert.equal(sent.method, 'POST');
  assert.equal(sent.url, `/bot${TOKEN}/sendMessage`);
  assert.equal(sent.headers['content-type'], 'application/x-www-form-urlencoded');
  const form = Object.fromEntries(new URLSearchParams(sent.body));
  assert.deepEqual(JSON.parse(form.reply_markup), { inline_keyboard: [[{ text: 'ok', callback_data: '1' }]] });
  delete form.reply_markup;
  assert.deepEqual(form, { chat_id: '1001', disable_notification: 'false', disable_web_page_preview: 'false', text: 'login failed: alice' });
  const traced = JSON.stringify(call.events);
  assert.ok(!traced.includes(TOKEN), 'the bot token is not in the trace');
});

test('Nauthilus 1.10 (gopher-lua-libs telegram): Telegram\'s description, a wrong field type and a dead API come back as (nil, err)', async () => {
  const before = api.requests.length;
  const [apiErr, typeErr] = await runLua(`
    local telegram = require("telegram")
    local bot = telegram.bot("${TOKEN}")
    local _, e1 = bot:sendMessage({ chat_id = 404, text = "x" })
    local _, e2 = bot:sendMessage({ chat_id = "not a number", text = "x" })
    return e1, e2`, { env: env() });
  assert.equal(apiErr, 'Bad Request: chat not found');
  assert.equal(typeErr, 'json: cannot unmarshal string into Go struct field MessageConfig.chat_id of type int64');
  assert.equal(api.requests.length, before + 1, 'a field of the wrong type sends nothing');
  const [dead] = await runLua(`
    local _, err = require("telegram").bot("${TOKEN}"):deleteMessage({ chat_id = 1, message_id = 2 })
    return err`, { env: { AUTHSTUDIO_TELEGRAM_API: 'http://127.0.0.1:1' } });
  assert.equal(dead, 'Post "http://127.0.0.1:1/bot<token>/deleteMessage": dial tcp 127.0.0.1:1: connect: connection refused');
});

test('Nauthilus 1.10 (gopher-lua-libs telegram): getUpdates continues after the last update it saw; a bad client argument raises', async () => {
  const [first, second, offset, badClient] = await runLua(`
    local telegram = require("telegram")
    local bot = telegram.bot("${TOKEN}")
    local u1 = bot:getUpdates()
    local u2 = bot:getUpdates()
    local ok, err = pcall(telegram.bot, "${TOKEN}", {})
    return #u1, #u2, bot:getOffset(), err`, { env: env() });
  assert.equal(first, 2);
  assert.equal(second, 0);
  assert.equal(offset, 43);
  assert.match(String(badClient), /bad argument #2 to 'bot' \(must be http_client_ud\)/);
});
