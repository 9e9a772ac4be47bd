// `yaml` (nauthilus_gll_yaml): yaml.decode(text) and yaml.encode(value) as gopher-lua-libs (yaml.v2) does them.
import YAML from 'yaml';
import type { LuaModule } from '../module';
import { ret, fail, toLua } from '../values';
import { luaNumberText } from '../go-number';

// yaml.v2 reads YAML 1.1 (yes/no/on/off are booleans) and leaves timestamps as strings
// yaml.Unmarshal is not strict: a repeated key is no error, the last one wins
const PARSE_OPTIONS = {
  version: '1.1' as const,
  uniqueKeys: false,
  customTags: (tags: YAML.Tags) => tags.filter((t) => (t as { tag?: string }).tag !== 'tag:yaml.org,2002:timestamp'),
};

/**
 * gopher-lua-libs' yaml.encode turns an integral number into an int64 and any other into a float64, which yaml.v2
 * writes with strconv 'g' (3, 1.5, 1.2345675e+06, 1e+21, .inf, .nan): gopher-lua's number text. Put first, and with a
 * `test` (never matching: encoding only), so the stringifier picks it for every number.
 */
const GO_NUMBER_TAG = {
  identify: (v: unknown) => typeof v === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:float',
  test: /(?!)/,
  resolve: (s: string) => Number(s),
  stringify: ({ value }: { value: unknown }) => {
    const n = Number(value);
    if (n === Infinity) return '.inf';
    if (n === -Infinity) return '-.inf';
    return Number.isNaN(n) ? '.nan' : luaNumberText(n);
  },
};
const ENCODE_OPTIONS = { version: '1.1' as const, customTags: (tags: YAML.Tags) => [GO_NUMBER_TAG as unknown as YAML.Tags[number], ...tags] };

/** yaml.v2 orders keys numbers first (numerically), then strings. */
function keyOrder(ka: unknown, kb: unknown): number {
  if (typeof ka === 'number' && typeof kb === 'number') return ka - kb;
  if (typeof ka === 'number') return -1;
  if (typeof kb === 'number') return 1;
  return String(ka) < String(kb) ? -1 : String(ka) > String(kb) ? 1 : 0;
}

/**
 * Lua tags each table as a sequence ("\x01s", items...) or a map ("\x01m", k1, v1, ...) so key types
 * survive; build the YAML nodes from that (plain JS Maps would print as !!omap under YAML 1.1).
 */
function build(doc: YAML.Document, v: unknown): unknown {
  if (!Array.isArray(v)) return doc.createNode(v === undefined ? null : v);
  if (v[0] === '\x01s') {
    const seq = new YAML.YAMLSeq();
    for (const x of v.slice(1)) seq.items.push(build(doc, x));
    return seq;
  }
  const pairs: Array<[unknown, unknown]> = [];
  for (let i = 1; i + 1 < v.length; i += 2) pairs.push([v[i], v[i + 1]]);
  pairs.sort((a, b) => keyOrder(a[0], b[0]));
  const map = new YAML.YAMLMap();
  for (const [k, x] of pairs) map.items.push(new YAML.Pair(build(doc, k), build(doc, x)));
  return map;
}

export const yamlModule: LuaModule = {
  name: 'yaml',
  legacyLoaderName: 'nauthilus_gll_yaml',
  summary: 'YAML decode(text) -> value, err and encode(value) -> text, err (YAML 1.1 as Go yaml.v2); stream encoders and decoders.',
  install() {
    return {
      functions: {
        decode_raw: (text: string) => {
          try {
            const docs = YAML.parseAllDocuments(text, PARSE_OPTIONS);
            const doc = Array.isArray(docs) ? docs[0] : undefined;
            if (!doc) return ret(undefined);
            if (doc.errors.length) return fail(`yaml: ${doc.errors[0].message.split('\n')[0]}`);
            return ret(toLua(doc.toJS({ maxAliasCount: 1000 })));
          } catch (e) {
            return fail(`yaml: ${(e as Error).message.split('\n')[0]}`);
          }
        },
        // document `index` (0-based) of a stream, as yaml.v2's Decoder reads one per call; "EOF" after the last
        decode_doc_raw: (text: string, index: number, strict: boolean) => {
          try {
            const docs = YAML.parseAllDocuments(text, { ...PARSE_OPTIONS, uniqueKeys: strict });
            const doc = Array.isArray(docs) ? docs[index] : undefined;
            if (!doc) return fail('EOF');
            if (doc.errors.length) return fail(`yaml: ${doc.errors[0].message.split('\n')[0]}`);
            return ret(toLua(doc.toJS({ maxAliasCount: 1000 })));
          } catch (e) {
            return fail(`yaml: ${(e as Error).message.split('\n')[0]}`);
          }
        },
        encode_raw: (tagged: unknown) => {
          try {
            const doc = new YAML.Document(null, ENCODE_OPTIONS);
            doc.contents = build(doc, tagged) as YAML.Document['contents'];
            return ret(doc.toString({ indentSeq: false }));
          } catch (e) {
            return fail(`yaml: ${(e as Error).message}`);
          }
        },
      },
      lua: YAML_LUA,
    };
  },
};

const YAML_LUA = `
local api = ...
local M = {}

-- gopher-lua-libs: a table whose keys are exactly 1..n is a sequence (an empty table too), else a map
local function tag(v, seen)
  local t = type(v)
  if t == "nil" or t == "boolean" or t == "number" or t == "string" then return v end
  if t ~= "table" then error("cannot encode values with " .. t .. " in them", 0) end
  if seen[v] then error("cannot encode recursively nested table (a table that contains itself)", 0) end
  seen[v] = true
  local n, count = #v, 0
  for _ in pairs(v) do count = count + 1 end
  local out
  if count == n then
    out = { "\\1s" }
    for i = 1, n do out[i + 1] = tag(v[i], seen) end
  else
    out = { "\\1m" }
    for k, x in pairs(v) do
      out[#out + 1] = tag(k, seen)
      out[#out + 1] = tag(x, seen)
    end
  end
  seen[v] = nil
  return out
end

function M.encode(...)
  if select("#", ...) == 0 then error("bad argument #1 to 'encode' (value expected)", 2) end
  local ok, tagged = pcall(tag, (...), {})
  if not ok then return nil, tostring(tagged) end
  return api.encode_raw(tagged)
end

function M.decode(text)
  if type(text) ~= "string" then error("bad argument #1 to 'decode' (string expected, got " .. type(text) .. ")", 2) end
  return api.decode_raw(text)
end

-- readers and writers: anything with a read / write method (prelude, shared with the other module)
local method = select(3, ...).io_method

local Encoder = {}
Encoder.__index = Encoder
function M.new_encoder(writer)
  local write = method(writer, "write", "new_encoder", "writer")
  return setmetatable({ writer = writer, write = write, count = 0 }, Encoder)
end
-- yaml.v2's Encoder: the second and later documents start with "---"; the error is the only return value
function Encoder:encode(...)
  if select("#", ...) == 0 then error("bad argument #1 to 'encode' (value expected)", 2) end
  local text, err = M.encode((...))
  if err then return err end
  if self.count > 0 then text = "---\\n" .. text end
  local ok, werr = pcall(self.write, self.writer, text)
  if not ok then return tostring(werr) end
  self.count = self.count + 1
end

local Decoder = {}
Decoder.__index = Decoder
function M.new_decoder(reader)
  local read = method(reader, "read", "new_decoder", "reader")
  return setmetatable({ reader = reader, read = read, index = 0, strict = false }, Decoder)
end
-- the stream is read to its end once; then one document per call, nil, "EOF" after the last
function Decoder:decode()
  if not self.text then
    local parts = {}
    while true do
      local ok, chunk = pcall(self.read, self.reader, 4096)
      if not ok then return nil, tostring(chunk) end
      if chunk == nil then break end
      parts[#parts + 1] = tostring(chunk)
    end
    self.text = table.concat(parts)
  end
  local v, err = api.decode_doc_raw(self.text, self.index, self.strict)
  if err ~= "EOF" then self.index = self.index + 1 end
  return v, err
end
-- yaml.v2 strict mode: a repeated mapping key is an error
function Decoder:set_strict(on)
  if type(on) ~= "boolean" then error("bad argument #1 to 'set_strict' (boolean expected, got " .. type(on) .. ")", 2) end
  self.strict = on
end

return M
`;
