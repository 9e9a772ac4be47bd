// `telegram` (nauthilus_gll_telegram): gopher-lua-libs 0.7's Telegram bot over an `http` client. Requests go to
// https://api.telegram.org, or to the engine environment's AUTHSTUDIO_TELEGRAM_API (a local stand-in for tests
// and studios that must not message a real chat). sendPhoto (a host file upload) answers (nil, err).
import type { LuaModule } from '../module';

const TELEGRAM_LUA = String.raw`
local M = {}
local http = require("http")
local json = require("json")
local BOT = { __name = "telegram_bot_ud" }
local methods = {}
BOT.__index = methods
local bots = setmetatable({}, { __mode = "k" })

local function argerr(fn, n, msg) error("bad argument #" .. n .. " to '" .. fn .. "' (" .. msg .. ")", 3) end

local JSON_TYPE = { string = "string", number = "number", boolean = "bool", table = "object" }
-- the Go struct fields each call reads, with their Go types (encoding/json's checks)
local function field(struct, t, name, gotype)
  local v = t[name]
  if v == nil then
    if gotype == "string" then return "" elseif gotype == "bool" then return false else return 0 end
  end
  local ok
  if gotype == "string" then ok = type(v) == "string"
  elseif gotype == "bool" then ok = type(v) == "boolean"
  else ok = type(v) == "number" and v == math.floor(v) end
  if not ok then
    local jt = JSON_TYPE[type(v)] or type(v)
    if type(v) == "number" then jt = "number " .. tostring(v) end
    error({ go = "json: cannot unmarshal " .. jt .. " into Go struct field " .. struct .. "." .. name .. " of type " .. gotype }, 0)
  end
  return v
end

local function int(v) return string.format("%d", v) end

local function base_chat(s, t, v)
  local user = field(s, t, "username", "string")
  v.chat_id = user ~= "" and user or int(field(s, t, "chat_id", "int64"))
  local reply = field(s, t, "reply_to_message_id", "int")
  if reply ~= 0 then v.reply_to_message_id = int(reply) end
  if t.reply_markup ~= nil then v.reply_markup = json.encode(t.reply_markup) end
  v.disable_notification = tostring(field(s, t, "disable_notification", "bool"))
end

local function base_edit(s, t, v)
  local inline = field(s, t, "inline_message_id", "string")
  if inline == "" then
    local user = field(s, t, "username", "string")
    v.chat_id = user ~= "" and user or int(field(s, t, "chat_id", "int64"))
    v.message_id = int(field(s, t, "message_id", "int"))
  else
    v.inline_message_id = inline
  end
  if t.reply_markup ~= nil then v.reply_markup = json.encode(t.reply_markup) end
end

local BUILD = {
  sendMessage = function(t, v)
    base_chat("MessageConfig", t, v)
    v.text = field("MessageConfig", t, "text", "string")
    v.disable_web_page_preview = tostring(field("MessageConfig", t, "disable_web_page_preview", "bool"))
    local mode = field("MessageConfig", t, "parse_mode", "string")
    if mode ~= "" then v.parse_mode = mode end
  end,
  forwardMessage = function(t, v)
    base_chat("ForwardConfig", t, v)
    v.from_chat_id = int(field("ForwardConfig", t, "from_chat_id", "int64"))
    v.message_id = int(field("ForwardConfig", t, "message_id", "int"))
  end,
  deleteMessage = function(t, v)
    v.chat_id = int(field("DeleteMessageConfig", t, "chat_id", "int64"))
    v.message_id = int(field("DeleteMessageConfig", t, "message_id", "int"))
  end,
  editMessageText = function(t, v)
    base_edit("EditMessageTextConfig", t, v)
    v.text = field("EditMessageTextConfig", t, "text", "string")
    v.parse_mode = field("EditMessageTextConfig", t, "parse_mode", "string")
    v.disable_web_page_preview = tostring(field("EditMessageTextConfig", t, "disable_web_page_preview", "bool"))
  end,
  editMessageCaption = function(t, v)
    base_edit("EditMessageCaptionConfig", t, v)
    v.caption = field("EditMessageCaptionConfig", t, "caption", "string")
    local mode = field("EditMessageCaptionConfig", t, "parse_mode", "string")
    if mode ~= "" then v.parse_mode = mode end
  end,
  editMessageReplyMarkup = function(t, v) base_edit("EditMessageReplyMarkupConfig", t, v) end,
}

-- POST the form to the Bot API; (result, nil) when Telegram answers ok, else (nil, err)
local function call(st, method, values)
  local keys = {}
  for k in pairs(values) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = http.query_escape(k) .. "=" .. http.query_escape(values[k]) end
  local base = os.getenv("AUTHSTUDIO_TELEGRAM_API") or "https://api.telegram.org"
  local req = http.request("POST", base .. "/bot" .. st.token .. "/" .. method, table.concat(parts, "&"))
  req:header_set("Content-Type", "application/x-www-form-urlencoded")
  local res, err = st.client:do_request(req)
  if res == nil then return nil, (err:gsub(st.token:gsub("%p", "%%%0"), "<token>")) end
  local ok, body = pcall(json.decode, res.body)
  if not ok or type(body) ~= "table" then return nil, "invalid character in the Telegram API response (not JSON)" end
  if not body.ok then return nil, tostring(body.description or "") end
  return body.result
end

local function send(name)
  return function(self, t)
    local st = bots[self]
    if st == nil then argerr(name, 1, "telegram_bot_ud excepted") end
    if type(t) ~= "table" then argerr(name, 2, "table expected, got " .. type(t)) end
    local values = {}
    local ok, e = pcall(BUILD[name], t, values)
    if not ok then
      if type(e) == "table" and e.go then return nil, e.go end
      error(e, 2)
    end
    return call(st, name, values)
  end
end
for name in pairs(BUILD) do methods[name] = send(name) end

function methods.sendPhoto(self)
  if bots[self] == nil then argerr("sendPhoto", 1, "telegram_bot_ud excepted") end
  return nil, "sendPhoto is not available in AuthStudio (it uploads files from the engine's host)"
end

function methods.getOffset(self)
  local st = bots[self]
  if st == nil then argerr("getOffset", 1, "telegram_bot_ud excepted") end
  return st.offset
end

function methods.getUpdates(self, config)
  local st = bots[self]
  if st == nil then argerr("getUpdates", 1, "telegram_bot_ud excepted") end
  if config ~= nil and type(config) ~= "table" then argerr("getUpdates", 2, "table expected, got " .. type(config)) end
  local v = {}
  if st.offset ~= 0 then v.offset = int(st.offset) end
  if config then
    if type(config.Offset) == "number" and config.Offset > 0 then v.offset = int(config.Offset) end
    if type(config.Limit) == "number" and config.Limit > 0 then v.limit = int(config.Limit) end
  end
  local result, err = call(st, "getUpdates", v)
  if err then return nil, err end
  result = type(result) == "table" and result or {}
  for _, u in ipairs(result) do
    if type(u.update_id) == "number" and u.update_id >= st.offset then st.offset = u.update_id + 1 end
  end
  return result
end

function M.bot(token, client)
  if type(token) ~= "string" and type(token) ~= "number" then argerr("bot", 1, "string expected, got " .. type(token)) end
  if client == nil then client = http.client()
  elseif type(client) ~= "table" or type(client.do_request) ~= "function" then argerr("bot", 2, "must be http_client_ud") end
  local b = setmetatable({}, BOT)
  bots[b] = { token = tostring(token), client = client, offset = 0 }
  return b
end

return M
`;

export const telegramModule: LuaModule = {
  name: 'telegram',
  legacyLoaderName: 'nauthilus_gll_telegram',
  summary: "Telegram bot (gopher-lua-libs' telegram) over an `http` client: sendMessage, edits, deletes, getUpdates.",
  install() {
    return { functions: {}, lua: TELEGRAM_LUA };
  },
};
