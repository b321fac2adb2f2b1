-- The Lua side of record UDFs: what a module sees in a Lua state before its own code runs
-- (`aerospike`, `record`, `list`, `map`, `bytes`, `geojson`, the log helpers, `math.sum` /
-- `math.product`, `list.clone` / `map.merge` ...) and the entry points TypeScript calls.
--
-- Values cross the JS/Lua boundary as byte strings only, so integer/float subtypes, booleans,
-- blobs and non-UTF-8 bytes survive exactly:
-- - values: Aerospike msgpack (strings/blobs/GeoJSON as str with a particle-type byte first);
-- - `I.run(fn, meta, bins, args)`:
--   meta = string.pack('>BI4I4i8i8I4Bi8I4s2s2s4', exists, generation, ttl-left, last-update
--   (ms since 2010), now (Unix ms), stored size, write-error code, instruction limit, time limit
--   (ms), set name, digest, key as msgpack or ''); bins = repeated pack('>s2s4', name, msgpack);
--   args = the request's msgpack argument list or ''. It returns pack('>Bs4', status (0 ok,
--   1 Lua error), result msgpack | error text) .. pack('>BBBBI4BI4B', open, created, has-updates,
--   result-code, old bin count, ttl-set, ttl, drop-key) .. pack('>I4', n) .. n x pack('>s2s4',
--   name, msgpack) .. pack('>I4', m) .. m x pack('>i4s2i4s4', level, source, line, message).
-- - `I.validate(chunk, instruction limit, seconds)`, `I.require(name)`, `I.addsource(file, src)`,
--   `I.setpath(user-path)`, `I.roundtrip(msgpack)` (tests).
--
-- Aerospike objects are Lua tables with a metatable (their state under a private key); `type()`
-- reports them as 'userdata' as the server does for its boxed values. Behaviour (return codes,
-- limits, bin cache, ordering, error texts) follows the server's udf_record / udf_aerospike /
-- mod-lua semantics; this is an independent implementation of those semantics.
--
-- Loaded by src/udf/lua-sources.ts into every Lua state, as the chunk "strato-prelude".

local G = _G
local rawtype, rawget, rawset, next, pairs, ipairs, select, tostring, tonumber, error, pcall, setmetatable, getmetatable, load =
  type, rawget, rawset, next, pairs, ipairs, select, tostring, tonumber, error, pcall, setmetatable, getmetatable, load
local mtype, mtointeger, mmin = math.type, math.tointeger, math.min
local spack, sunpack, ssub, sfind, sformat, sbyte, schar = string.pack, string.unpack, string.sub, string.find, string.format, string.byte, string.char
local tconcat, tsort, tunpack = table.concat, table.sort, table.unpack
local debuglib = debug
local dsethook, dgetinfo = debug.sethook, debug.getinfo
local osclock = os.clock

local P = {}      -- key of every object's private state
local NILV = {}   -- an Aerospike nil kept as a value (map values, bin cache)

local ListMT, MapMT, BytesMT, GeoMT, RecordMT, AerospikeMT = {}, {}, {}, {}, {}, {}
local CLASS = { [ListMT] = 'List', [MapMT] = 'Map', [BytesMT] = 'Bytes', [GeoMT] = 'GeoJSON', [RecordMT] = 'Record', [AerospikeMT] = 'Aerospike' }
local KIND = { [ListMT] = 'list', [MapMT] = 'map', [BytesMT] = 'bytes', [GeoMT] = 'geojson', [RecordMT] = 'record' }

-- kind of a value as Aerospike sees it; false for what it cannot hold (tables, functions, ...)
local function kind(v)
  local t = rawtype(v)
  if t == 'number' then return mtype(v) end
  if t == 'string' or t == 'boolean' or t == 'nil' then return t end
  if t == 'table' then
    local mt = getmetatable(v)
    if mt ~= nil then return KIND[mt] or false end
  end
  return false
end

local function typename(v)
  if rawtype(v) == 'table' then
    local mt = getmetatable(v)
    if mt ~= nil and CLASS[mt] then return CLASS[mt] end
  end
  if v == nil then return 'no value' end
  return rawtype(v)
end

local function argerror(n, fname, expected, v, level)
  error(sformat("bad argument #%d to '%s' (%s expected, got %s)", n, fname, expected, typename(v)), level + 1)
end

-- Aerospike strings are C strings: everything from the first NUL on is lost
local function cstr(s)
  local z = sfind(s, '\0', 1, true)
  if z then return ssub(s, 1, z - 1) end
  return s
end

-- value as stored by the server (mod_lua_toval): strings cut at NUL, unsupported values -> false
local function toval(v)
  local k = kind(v)
  if k == 'string' then return cstr(v), k end
  return v, k
end

local function optint(v, n, fname, default)
  if v == nil then return default end
  local i = mtointeger(v)
  if i == nil and rawtype(v) == 'string' then i = mtointeger(tonumber(v)) end
  if i == nil then
    if rawtype(v) == 'number' or tonumber(v) ~= nil then
      error(sformat("bad argument #%d to '%s' (number has no integer representation)", n, fname), 3)
    end
    argerror(n, fname, 'number', v, 3)
  end
  return i
end

local function optstr(v)
  local t = rawtype(v)
  if t == 'string' then return v end
  if t == 'number' then return tostring(v) end
  return nil
end

---------------------------------------------------------------------------------------------------
-- bytes
---------------------------------------------------------------------------------------------------
-- state: t = particle type, n = size, s = content as a string (when not being edited) or
-- a = content as an array of byte values (after the first edit)

local function bytes_new(s, t)
  return setmetatable({ [P] = { t = t or 4, n = #s, s = s } }, BytesMT)
end

local function bytes_str(st)
  if st.s then return st.s end
  local a, n, parts = st.a, st.n, {}
  local i = 1
  while i <= n do
    local j = mmin(i + 4095, n)
    parts[#parts + 1] = schar(tunpack(a, i, j))
    i = j + 1
  end
  local s = tconcat(parts)
  st.s, st.a = s, nil
  return s
end

local function bytes_arr(st)
  if st.a then return st.a end
  local s, a = st.s, {}
  local n = #s
  local i = 1
  while i <= n do
    local j = mmin(i + 4095, n)
    local chunk = { sbyte(s, i, j) }
    for k = 1, #chunk do a[i + k - 1] = chunk[k] end
    i = j + 1
  end
  st.a, st.s = a, nil
  return a
end

local function bytes_get(st, pos, len)   -- 1-based pos; nil when out of range
  if pos < 1 or len < 0 or pos + len - 1 > st.n then return nil end
  if st.s then return ssub(st.s, pos, pos + len - 1) end
  local a, parts = st.a, {}
  local i, last = pos, pos + len - 1
  while i <= last do
    local j = mmin(i + 4095, last)
    parts[#parts + 1] = schar(tunpack(a, i, j))
    i = j + 1
  end
  return tconcat(parts)
end

local function bytes_put(st, pos, s)     -- writes s at 1-based pos, growing (zero filled) as needed
  local a = bytes_arr(st)
  for i = st.n + 1, pos - 1 do a[i] = 0 end
  for i = 1, #s do a[pos + i - 1] = sbyte(s, i) end
  if pos + #s - 1 > st.n then st.n = pos + #s - 1 end
  return true
end

local function checkbytes(b, fname)
  if rawtype(b) == 'table' and getmetatable(b) == BytesMT then return b[P] end
  argerror(1, fname, 'Bytes', b, 3)
end

local function bytes_tostring(b)
  local st = checkbytes(b, 'tostring')
  if st.n == 0 then return 'Bytes()' end
  local s, out = bytes_str(st), {}
  for i = 1, #s do out[i] = sformat('%02X', sbyte(s, i)) end
  return tconcat(out, ' ')
end

local INT_FMT = {
  int16 = { '>i2', 2, -32768, 32767 }, int16_be = { '>i2', 2, -32768, 32767 }, int16_le = { '<i2', 2, -32768, 32767 },
  int32 = { '>i4', 4, -2147483648, 2147483647 }, int32_be = { '>i4', 4, -2147483648, 2147483647 }, int32_le = { '<i4', 4, -2147483648, 2147483647 },
  int64 = { '>i8', 8, math.mininteger, math.maxinteger }, int64_be = { '>i8', 8, math.mininteger, math.maxinteger }, int64_le = { '<i8', 8, math.mininteger, math.maxinteger },
}

local bytes = {}
bytes.size = function(b, ...) if select('#', ...) ~= 0 then return 0 end return checkbytes(b, 'size').n end
bytes.set_size = function(b, n, ...)
  if select('#', ...) ~= 0 then return false end
  checkbytes(b, 'set_size')
  n = optint(n, 2, 'set_size', 0)
  return n >= 0 and n <= 0xffffffff
end
bytes.get_type = function(b) return checkbytes(b, 'get_type').t end
bytes.set_type = function(b, t, ...)
  if select('#', ...) ~= 0 then return false end
  local st = checkbytes(b, 'set_type')
  t = optint(t, 2, 'set_type', 0)
  if t == 0 then return false end
  st.t = t & 0xff
  return true
end
bytes.get_byte = function(b, i, ...)
  if select('#', ...) ~= 0 then return end
  local st = checkbytes(b, 'get_byte')
  i = optint(i, 2, 'get_byte', 0)
  local s = bytes_get(st, i, 1)
  if s then return sbyte(s) end
end
bytes.set_byte = function(b, i, v, ...)
  if select('#', ...) ~= 0 then return false end
  local st = checkbytes(b, 'set_byte')
  i = optint(i, 2, 'set_byte', 0)
  v = optint(v, 3, 'set_byte', 0)
  if i < 1 or i > 0xffffffff or v < 0 or v > 255 then return false end
  return bytes_put(st, i, schar(v))
end
bytes.append_byte = function(b, v, ...)
  if select('#', ...) ~= 0 then return false end
  local st = checkbytes(b, 'append_byte')
  v = optint(v, 2, 'append_byte', 0)
  if v < 0 or v > 255 then return false end
  return bytes_put(st, st.n + 1, schar(v))
end
bytes.get_string = function(b, i, n, ...)
  if select('#', ...) ~= 0 then return end
  local st = checkbytes(b, 'get_string')
  i = optint(i, 2, 'get_string', 0)
  n = optint(n, 3, 'get_string', 0)
  if i < 1 or n < 0 then return end
  local avail = st.n - i + 1
  if avail < 0 then avail = 0 end
  local s = bytes_get(st, i, mmin(n, avail)) or ''
  if #s < n then s = s .. string.rep('\0', n - #s) end
  return s
end
bytes.set_string = function(b, i, s, ...)
  if select('#', ...) ~= 0 then return false end
  local st = checkbytes(b, 'set_string')
  i = optint(i, 2, 'set_string', 0)
  s = optstr(s)
  if i < 1 or not s then return false end
  return bytes_put(st, i, s)
end
bytes.append_string = function(b, s, ...)
  if select('#', ...) ~= 0 then return false end
  local st = checkbytes(b, 'append_string')
  s = optstr(s)
  if not s then return false end
  return bytes_put(st, st.n + 1, s)
end
bytes.get_bytes = function(b, i, n, ...)
  if select('#', ...) ~= 0 then return end
  local st = checkbytes(b, 'get_bytes')
  i = optint(i, 2, 'get_bytes', 0)
  n = optint(n, 3, 'get_bytes', 0)
  if i < 1 or n < 0 then return end
  local s = bytes_get(st, i, mmin(n, st.n - i + 1)) or ''
  if #s < n then s = s .. string.rep('\0', n - #s) end
  return bytes_new(s, 4)
end
bytes.set_bytes = function(b, i, v, n, ...)
  if select('#', ...) ~= 0 then return false end
  local st = checkbytes(b, 'set_bytes')
  i = optint(i, 2, 'set_bytes', 0)
  local vst = (rawtype(v) == 'table' and getmetatable(v) == BytesMT) and v[P] or nil
  if not vst then argerror(3, 'set_bytes', 'Bytes', v, 2) end
  n = optint(n, 4, 'set_bytes', 0)
  if i < 1 or n < 0 then return false end
  return bytes_put(st, i, ssub(bytes_str(vst), 1, n))
end
bytes.append_bytes = function(b, v, n, ...)
  if select('#', ...) ~= 0 then return false end
  local st = checkbytes(b, 'append_bytes')
  local vst = (rawtype(v) == 'table' and getmetatable(v) == BytesMT) and v[P] or nil
  if not vst then argerror(2, 'append_bytes', 'Bytes', v, 2) end
  n = optint(n, 3, 'append_bytes', 0)
  if n < 0 then return false end
  return bytes_put(st, st.n + 1, ssub(bytes_str(vst), 1, n))
end
for name, f in pairs(INT_FMT) do
  local fmt, size, lo, hi = f[1], f[2], f[3], f[4]
  bytes['get_' .. name] = function(b, i, ...)
    if select('#', ...) ~= 0 then return end
    local st = checkbytes(b, 'get_' .. name)
    i = optint(i, 2, 'get_' .. name, 0)
    local s = bytes_get(st, i, size)
    if s then return (sunpack(fmt, s)) end
  end
  bytes['set_' .. name] = function(b, i, v, ...)
    if select('#', ...) ~= 0 then return false end
    local st = checkbytes(b, 'set_' .. name)
    i = optint(i, 2, 'set_' .. name, 0)
    v = optint(v, 3, 'set_' .. name, 0)
    if i < 1 or v < lo or v > hi then return false end
    return bytes_put(st, i, spack(fmt, v))
  end
  bytes['append_' .. name] = function(b, v, ...)
    if select('#', ...) ~= 0 then return false end
    local st = checkbytes(b, 'append_' .. name)
    v = optint(v, 2, 'append_' .. name, 0)
    if v < lo or v > hi then return false end
    return bytes_put(st, st.n + 1, spack(fmt, v))
  end
end
local function varint(v)
  v = v & 0xffffffff
  local out = {}
  while v >= 0x80 do out[#out + 1] = schar((v & 0x7f) | 0x80); v = v >> 7 end
  out[#out + 1] = schar(v)
  return tconcat(out)
end
bytes.get_var_int = function(b, i, ...)
  if select('#', ...) ~= 0 then return end
  local st = checkbytes(b, 'get_var_int')
  i = optint(i, 2, 'get_var_int', 0)
  if i < 1 then return end
  local val, shift, pos = 0, 0, i
  while true do
    local s = bytes_get(st, pos, 1)
    local c = s and sbyte(s) or 0
    val = val | ((c & 0x7f) << shift)
    shift = shift + 7
    pos = pos + 1
    if c & 0x80 == 0 or pos > st.n then break end
  end
  return val & 0xffffffff, pos - i
end
bytes.set_var_int = function(b, i, v, ...)
  if select('#', ...) ~= 0 then return 0 end
  local st = checkbytes(b, 'set_var_int')
  i = optint(i, 2, 'set_var_int', 0)
  v = optint(v, 3, 'set_var_int', 0)
  if i < 1 or v < -2147483648 or v > 2147483647 then return 0 end
  local s = varint(v)
  bytes_put(st, i, s)
  return #s
end
bytes.append_var_int = function(b, v, ...)
  if select('#', ...) ~= 0 then return 0 end
  local st = checkbytes(b, 'append_var_int')
  v = optint(v, 2, 'append_var_int', 0)
  if v < -2147483648 or v > 2147483647 then return 0 end
  local s = varint(v)
  bytes_put(st, st.n + 1, s)
  return #s
end
bytes.tostring = bytes_tostring
setmetatable(bytes, { __call = function(_, n, ...)
  if select('#', ...) ~= 0 then return end
  if n ~= nil then optint(n, 1, 'bytes', 0) end
  return bytes_new('', 4)
end })
BytesMT.__index = function(b, i)
  local st = b[P]
  i = mtointeger(i)
  if i == nil or i < 1 or i > st.n then return nil end
  if st.a then return st.a[i] end
  return sbyte(st.s, i)
end
BytesMT.__newindex = function(b, i, v)
  local st = b[P]
  i = mtointeger(i)
  v = mtointeger(v)
  if i == nil or v == nil or i < 1 or v < 0 or v > 255 then return end
  bytes_put(st, i, schar(v))
end
BytesMT.__len = function(b) return b[P].n end
BytesMT.__tostring = bytes_tostring

---------------------------------------------------------------------------------------------------
-- geojson
---------------------------------------------------------------------------------------------------
local function geo_new(s) return setmetatable({ [P] = { s = s } }, GeoMT) end
local geojson = setmetatable({}, { __call = function(_, s, ...)
  if select('#', ...) ~= 0 then return end
  s = optstr(s)
  if s == nil then return end
  return geo_new(cstr(s))
end })
GeoMT.__tostring = function(g) return '"' .. g[P].s .. '"' end

---------------------------------------------------------------------------------------------------
-- msgpack (Aerospike dialect) encode
---------------------------------------------------------------------------------------------------
local map_order -- forward

local function str_header(n)
  if n < 32 then return schar(0xa0 + n)
  elseif n < 256 then return spack('>BB', 0xd9, n)
  elseif n < 65536 then return spack('>BI2', 0xda, n)
  end
  return spack('>BI4', 0xdb, n)
end

local function int_bytes(v)
  if v >= 0 then
    if v < 128 then return schar(v)
    elseif v < 256 then return spack('>BB', 0xcc, v)
    elseif v < 65536 then return spack('>BI2', 0xcd, v)
    elseif v < 4294967296 then return spack('>BI4', 0xce, v)
    end
    return spack('>Bi8', 0xcf, v)
  end
  if v >= -32 then return schar(v & 0xff)
  elseif v >= -128 then return spack('>Bi1', 0xd0, v)
  elseif v >= -32768 then return spack('>Bi2', 0xd1, v)
  elseif v >= -2147483648 then return spack('>Bi4', 0xd2, v)
  end
  return spack('>Bi8', 0xd3, v)
end

local function count_header(n, fix, b16, b32)
  if n < 16 then return schar(fix + n)
  elseif n < 65536 then return spack('>BI2', b16, n)
  end
  return spack('>BI4', b32, n)
end

-- bin: encoding a bin value, where a list read from an ordered list keeps its ordered flag (the
-- host re-sorts it, as Aerospike does); return values carry no list flags.
local function enc(v, out, bin)
  local k = kind(v)
  local o = #out + 1
  if k == 'integer' then out[o] = int_bytes(v)
  elseif k == 'string' then out[o] = str_header(#v + 1); out[o + 1] = '\3'; out[o + 2] = v
  elseif k == 'float' then out[o] = spack('>Bd', 0xcb, v)
  elseif k == 'boolean' then out[o] = v and '\195' or '\194'
  elseif k == 'list' then
    local st = v[P]
    local n = st.n
    local f = (bin and st.f) and (st.f & 1) or 0
    if f ~= 0 then
      out[o] = count_header(n + 1, 0x90, 0xdc, 0xdd)
      out[o + 1] = '\199\0\1'
    else
      out[o] = count_header(n, 0x90, 0xdc, 0xdd)
    end
    for i = 1, n do enc(st[i], out, bin) end
  elseif k == 'map' then
    local st = v[P]
    local order = map_order(st)
    local n = st.n
    if st.f & 1 ~= 0 then
      out[o] = count_header(n + 1, 0x80, 0xde, 0xdf)
      out[o + 1] = '\199\0' .. schar(st.f) .. '\192'
    else
      out[o] = count_header(n, 0x80, 0xde, 0xdf)
    end
    local keys, vals = st.k, st.v
    for i = 1, #order do
      local c = order[i]
      local key, val = keys[c], vals[c]
      if key == NILV then key = nil end
      if val == NILV then val = nil end
      enc(key, out, bin)
      enc(val, out, bin)
    end
  elseif k == 'bytes' then
    local st = v[P]
    local s = bytes_str(st)
    out[o] = str_header(#s + 1); out[o + 1] = schar(st.t); out[o + 2] = s
  elseif k == 'geojson' then
    local s = v[P].s
    out[o] = str_header(#s + 1); out[o + 1] = '\23'; out[o + 2] = s
  else
    out[o] = '\192'
  end
end

local function encode(v, bin)
  local out = {}
  enc(v, out, bin)
  return tconcat(out)
end

---------------------------------------------------------------------------------------------------
-- ordering (as_val_cmp) and map keys
---------------------------------------------------------------------------------------------------
local RANK = { ['nil'] = 1, boolean = 2, integer = 3, string = 4, list = 5, map = 6, record = 7, bytes = 9, float = 10, geojson = 11 }

local cmp
local function cmp_scalar(a, b)
  if a < b then return -1 elseif a > b then return 1 end
  return 0
end
cmp = function(a, b)
  local ka, kb = kind(a), kind(b)
  local ra, rb = RANK[ka] or 12, RANK[kb] or 12
  if ra ~= rb then return ra < rb and -1 or 1 end
  if ka == 'integer' or ka == 'string' then return cmp_scalar(a, b) end
  if ka == 'float' then
    if a ~= a or b ~= b then return cmp_scalar(spack('>d', a), spack('>d', b)) end
    return cmp_scalar(a, b)
  end
  if ka == 'boolean' then
    if a == b then return 0 end
    return a and 1 or -1
  end
  if ka == 'bytes' then return cmp_scalar(bytes_str(a[P]), bytes_str(b[P])) end
  if ka == 'geojson' then return cmp_scalar(a[P].s, b[P].s) end
  if ka == 'list' then
    local sa, sb = a[P], b[P]
    local n = mmin(sa.n, sb.n)
    for i = 1, n do
      local c = cmp(sa[i], sb[i])
      if c ~= 0 then return c end
    end
    return cmp_scalar(sa.n, sb.n)
  end
  if ka == 'map' then
    local sa, sb = a[P], b[P]
    if sa.n ~= sb.n then return cmp_scalar(sa.n, sb.n) end
    local oa, ob = map_order(sa), map_order(sb)
    for i = 1, #oa do
      local x, y = sa.k[oa[i]], sb.k[ob[i]]
      if x == NILV then x = nil end
      if y == NILV then y = nil end
      local c = cmp(x, y)
      if c ~= 0 then return c end
    end
    return 0
  end
  return 0
end

-- a Lua table key that identifies an Aerospike map key by value (1 and 1.0 differ; equal lists match)
local function canon(key, k)
  if k == 'integer' or k == 'string' or k == 'boolean' then return key end
  if k == 'nil' then return '\0n' end
  if k == 'float' then
    if key == 0 then key = 0.0 end
    return '\0d' .. spack('>d', key)
  end
  return '\0x' .. encode(key)
end

---------------------------------------------------------------------------------------------------
-- list
---------------------------------------------------------------------------------------------------
-- state: n = size, [1..n] = elements (absent = Aerospike nil)
local function list_new(st) return setmetatable({ [P] = st or { n = 0 } }, ListMT) end

local function checklist(l, fname, n)
  if rawtype(l) == 'table' and getmetatable(l) == ListMT then return l[P] end
  argerror(n or 1, fname, 'List', l, 3)
end

-- element as a list stores it: nothing for unsupported values and records
local function listval(v)
  local x, k = toval(v)
  if k == false or k == 'record' then return false end
  return true, x
end

local list = {}
list.create = function(...)
  local argc = select('#', ...)
  if argc < 1 or argc > 2 then return end
  local cap, step = ...
  cap = optint(cap, 1, 'create', -1)
  if cap < 0 then return end
  if optint(step, 2, 'create', 10) < 0 then return end
  return list_new()
end
list.new = list.create
list.insert = function(l, i, v)
  local st = checklist(l, 'insert')
  i = optint(i, 2, 'insert', 0)
  if i <= 0 then return end
  local ok, x = listval(v)
  if not ok then return end
  local n = st.n
  if i > n then
    st[i] = x
    st.n = i
  else
    for j = n, i, -1 do st[j + 1] = st[j] end
    st[i] = x
    st.n = n + 1
  end
end
list.append = function(l, v)
  local st = checklist(l, 'append')
  local ok, x = listval(v)
  if not ok then return end
  st.n = st.n + 1
  st[st.n] = x
end
list.prepend = function(l, v)
  local st = checklist(l, 'prepend')
  local ok, x = listval(v)
  if not ok then return end
  for j = st.n, 1, -1 do st[j + 1] = st[j] end
  st[1] = x
  st.n = st.n + 1
end
list.remove = function(l, i)
  local st = checklist(l, 'remove')
  i = optint(i, 2, 'remove', 0)
  local n = st.n
  if i <= 0 or i > n then return end
  for j = i, n - 1 do st[j] = st[j + 1] end
  st[n] = nil
  st.n = n - 1
end
list.concat = function(l, l2)
  local st = checklist(l, 'concat')
  local st2 = checklist(l2, 'concat', 2)
  local n, n2 = st.n, st2.n
  for j = 1, n2 do st[n + j] = st2[j] end
  st.n = n + n2
end
list.trim = function(l, i)
  local st = checklist(l, 'trim')
  i = optint(i, 2, 'trim', 0)
  if i <= 0 or i > st.n then return end
  for j = i, st.n do st[j] = nil end
  st.n = i - 1
end
list.take = function(l, n)
  local st = checklist(l, 'take')
  n = optint(n, 2, 'take', 0)
  if n <= 0 then return nil end
  local c = mmin(n, st.n)
  local out = { n = c }
  for j = 1, c do out[j] = st[j] end
  return list_new(out)
end
list.drop = function(l, n)
  local st = checklist(l, 'drop')
  n = optint(n, 2, 'drop', 0)
  if n <= 0 then return nil end
  local c = mmin(n, st.n)
  local out = { n = st.n - c }
  for j = 1, out.n do out[j] = st[c + j] end
  return list_new(out)
end
list.size = function(l) return checklist(l, 'size').n end
list.nbytes = function(l) checklist(l, 'nbytes') return #encode(l) end
list.iterator = function(l)
  local st = checklist(l, 'iterator')
  local i = 0
  return function()
    i = i + 1
    if i <= st.n then return st[i] end
  end
end
local tostr -- forward
list.tostring = function(l) checklist(l, 'tostring') return tostr(l) end
list.clone = function(l)
  local st = checklist(l, 'clone')
  local out = { n = st.n }
  for j = 1, st.n do out[j] = st[j] end
  return list_new(out)
end
list.merge = function(l1, l2)
  local a, b = checklist(l1, 'merge'), checklist(l2, 'merge', 2)
  local out = { n = a.n + b.n }
  for j = 1, a.n do out[j] = a[j] end
  for j = 1, b.n do out[a.n + j] = b[j] end
  return list_new(out)
end
setmetatable(list, { __call = function(_, t, ...)
  local l = list_new()
  if select('#', ...) == 0 and rawtype(t) == 'table' and not KIND[getmetatable(t) or NILV] then
    local st = l[P]
    for k, v in next, t do
      if rawtype(k) == 'number' then
        local ok, x = listval(v)
        if ok then st.n = st.n + 1; st[st.n] = x end
      end
    end
  end
  return l
end })
ListMT.__index = function(l, i)
  i = mtointeger(i)
  if i == nil or i < 1 then return nil end
  return l[P][i]
end
ListMT.__newindex = function(l, i, v)
  local st = l[P]
  i = mtointeger(i)
  if i == nil or i < 1 then return end
  local ok, x = listval(v)
  if not ok then return end
  st[i] = x
  if i > st.n then st.n = i end
end
ListMT.__len = function(l) return l[P].n end
ListMT.__pairs = function(l)
  local st, i = l[P], 0
  return function()
    i = i + 1
    if i <= st.n then return i, st[i] end
  end, l, nil
end

---------------------------------------------------------------------------------------------------
-- map (ordered by key like the server's as_orderedmap)
---------------------------------------------------------------------------------------------------
-- state: n = size, k[canon] = key, v[canon] = value (NILV for nil), o = sorted canons or nil, f = flags
local function map_new(flags) return setmetatable({ [P] = { n = 0, k = {}, v = {}, o = false, f = flags or 0 } }, MapMT) end

map_order = function(st)
  local o = st.o
  if o then return o end
  o = {}
  for c in next, st.v do o[#o + 1] = c end
  if #o > 1 then
    local keys = st.k
    tsort(o, function(x, y)
      local a, b = keys[x], keys[y]
      if a == NILV then a = nil end
      if b == NILV then b = nil end
      return cmp(a, b) < 0
    end)
  end
  st.o = o
  return o
end

local function map_set(st, key, k, val)
  local c = canon(key, k)
  if st.v[c] == nil then
    st.n = st.n + 1
    st.o = false
    if key == nil then st.k[c] = NILV else st.k[c] = key end
  end
  if val == nil then st.v[c] = NILV else st.v[c] = val end
end

local function map_remove(st, key, k)
  local c = canon(key, k)
  if st.v[c] ~= nil then
    st.v[c], st.k[c] = nil, nil
    st.n = st.n - 1
    st.o = false
  end
end

local function checkmap(m, fname, n)
  if rawtype(m) == 'table' and getmetatable(m) == MapMT then return m[P] end
  argerror(n or 1, fname, 'Map', m, 3)
end

local function map_iter(st, what)
  local o, i = map_order(st), 0
  local keys, vals = st.k, st.v
  return function()
    i = i + 1
    local c = o[i]
    if c == nil then return nil end
    local key, val = keys[c], vals[c]
    if key == NILV then key = nil end
    if val == NILV then val = nil end
    if what == 'k' then return key end
    if what == 'v' then return val end
    return key, val
  end
end

local map = {}
map.create = function(cap, ...)
  if select('#', ...) ~= 0 or cap == nil then return end
  cap = optint(cap, 1, 'create', 0)
  if cap < 1 then return end
  return map_new()
end
map.new = map.create
map.pairs = function(m) return map_iter(checkmap(m, 'pairs')) end
map.iterator = function(m) return map_iter(checkmap(m, 'iterator')) end
map.keys = function(m) return map_iter(checkmap(m, 'keys'), 'k') end
map.values = function(m) return map_iter(checkmap(m, 'values'), 'v') end
map.remove = function(m, key)
  local st = checkmap(m, 'remove')
  local x, k = toval(key)
  if k == false then return end
  map_remove(st, x, k)
end
map.size = function(m) return checkmap(m, 'size').n end
map.nbytes = function(m) checkmap(m, 'nbytes') return #encode(m) end
map.tostring = function(m) checkmap(m, 'tostring') return tostr(m) end
local function map_get(st, key)
  local x, k = toval(key)
  if k == false then return nil end
  local v = st.v[canon(x, k)]
  if v == NILV then return nil end
  return v
end
local function map_copy(st)
  local m = map_new(st.f)
  local d = m[P]
  for c, v in next, st.v do d.v[c] = v; d.k[c] = st.k[c] end
  d.n = st.n
  return m
end
map.clone = function(m) return map_copy(checkmap(m, 'clone')) end
map.merge = function(m1, m2, f)
  local a, b = checkmap(m1, 'merge'), checkmap(m2, 'merge', 2)
  local out = map_copy(a)
  local d = out[P]
  for key, v in map_iter(b) do
    local cur = map_get(d, key)
    local nv = (cur and f and rawtype(f) == 'function' and f(map_get(a, key), map_get(b, key))) or v
    local x, k = toval(nv)
    if k ~= false and k ~= 'record' then map_set(d, key, kind(key), x) end
  end
  return out
end
map.diff = function(m1, m2)
  local a, b = checkmap(m1, 'diff'), checkmap(m2, 'diff', 2)
  local out = map_new()
  local d = out[P]
  for key, v in map_iter(a) do
    if not map_get(b, key) then map_set(d, key, kind(key), v) end
  end
  for key, v in map_iter(b) do
    if not map_get(a, key) then map_set(d, key, kind(key), v) end
  end
  return out
end
setmetatable(map, { __call = function(_, t, cap, ...)
  local m = map_new()
  if select('#', ...) == 0 and rawtype(t) == 'table' and not KIND[getmetatable(t) or NILV] then
    local st = m[P]
    for key, v in next, t do
      local kx, kk = toval(key)
      local vx, vk = toval(v)
      if kk ~= false and vk ~= false then map_set(st, kx, kk, vx) end
    end
  end
  return m
end })
MapMT.__index = function(m, key) return map_get(m[P], key) end
MapMT.__newindex = function(m, key, v)
  local st = m[P]
  local kx, kk = toval(key)
  local vx, vk = toval(v)
  if kk == false or vk == 'record' then return end
  if vk == false then map_remove(st, kx, kk) return end
  map_set(st, kx, kk, vx)
end
MapMT.__len = function(m) return m[P].n end
MapMT.__pairs = function(m) return map_iter(m[P]), m, nil end

---------------------------------------------------------------------------------------------------
-- tostring (as_val_tostring)
---------------------------------------------------------------------------------------------------
tostr = function(v)
  local k = kind(v)
  if k == 'nil' then return 'NIL' end
  if k == 'boolean' then return v and 'true' or 'false' end
  if k == 'integer' then return sformat('%d', v) end
  if k == 'float' then return sformat('%.16g', v) end
  if k == 'string' then return '"' .. v .. '"' end
  if k == 'geojson' then return '"' .. v[P].s .. '"' end
  if k == 'bytes' then
    local st = v[P]
    if st.n == 0 then return '<NULL>' end
    return bytes_tostring(v)
  end
  if k == 'list' then
    local st, parts = v[P], {}
    for i = 1, st.n do parts[i] = tostr(st[i]) end
    return '[' .. tconcat(parts, ', ') .. ']'
  end
  if k == 'map' then
    local parts = {}
    for key, val in map_iter(v[P]) do parts[#parts + 1] = tostr(key) .. ':' .. tostr(val) end
    return '{' .. tconcat(parts, ', ') .. '}'
  end
  return '<NULL>'
end
ListMT.__tostring = tostr
MapMT.__tostring = tostr

---------------------------------------------------------------------------------------------------
-- msgpack decode
---------------------------------------------------------------------------------------------------
local dec

local function skip_ext(s, pos)
  local b = sbyte(s, pos)
  local len, hdr
  if b == 0xd4 then len, hdr = 1, 1
  elseif b == 0xd5 then len, hdr = 2, 1
  elseif b == 0xd6 then len, hdr = 4, 1
  elseif b == 0xd7 then len, hdr = 8, 1
  elseif b == 0xd8 then len, hdr = 16, 1
  elseif b == 0xc7 then len, hdr = sbyte(s, pos + 1), 2
  elseif b == 0xc8 then len, hdr = sunpack('>I2', s, pos + 1), 3
  elseif b == 0xc9 then len, hdr = sunpack('>I4', s, pos + 1), 5
  else return nil end
  local etype = sbyte(s, pos + hdr)
  return pos + hdr + 1 + len, etype
end

local function is_ext(s, pos)
  local b = sbyte(s, pos)
  return b ~= nil and ((b >= 0xd4 and b <= 0xd8) or (b >= 0xc7 and b <= 0xc9))
end

local function dec_blob(s, pos, n)
  if n == 0 then return bytes_new('', 4), pos end
  local t = sbyte(s, pos)
  local body = ssub(s, pos + 1, pos + n - 1)
  if t == 3 then return cstr(body), pos + n end
  if t == 23 then return geo_new(cstr(body)), pos + n end
  return bytes_new(body, t), pos + n
end

local function dec_list(s, pos, n)
  local flags
  if n > 0 and is_ext(s, pos) then
    pos, flags = skip_ext(s, pos)
    n = n - 1
  end
  local st = { n = n }
  if flags and flags ~= 0 then st.f = flags end
  local v
  for i = 1, n do
    v, pos = dec(s, pos)
    st[i] = v
  end
  return list_new(st), pos
end

local function dec_map(s, pos, n)
  local flags = 0
  if n > 0 and is_ext(s, pos) then
    pos, flags = skip_ext(s, pos)
    local _
    _, pos = dec(s, pos)
    n = n - 1
  end
  if flags & 8 ~= 0 then
    local st = { n = 0 }
    local key, v
    for _ = 1, n do
      key, pos = dec(s, pos)
      v, pos = dec(s, pos)
      st[st.n + 1] = key
      st[st.n + 2] = v
      st.n = st.n + 2
    end
    return list_new(st), pos
  end
  local m = map_new(flags)
  local st = m[P]
  local key, v
  for _ = 1, n do
    key, pos = dec(s, pos)
    v, pos = dec(s, pos)
    map_set(st, key, kind(key), v)
  end
  return m, pos
end

dec = function(s, pos)
  local b = sbyte(s, pos)
  if b == nil then error('truncated msgpack', 0) end
  if b < 0x80 then return b, pos + 1 end
  if b >= 0xe0 then return b - 256, pos + 1 end
  if b >= 0xa0 and b <= 0xbf then return dec_blob(s, pos + 1, b - 0xa0) end
  if b >= 0x90 and b <= 0x9f then return dec_list(s, pos + 1, b - 0x90) end
  if b >= 0x80 and b <= 0x8f then return dec_map(s, pos + 1, b - 0x80) end
  if b == 0xc0 then return nil, pos + 1 end
  if b == 0xc2 then return false, pos + 1 end
  if b == 0xc3 then return true, pos + 1 end
  if b == 0xca then return sunpack('>f', s, pos + 1) end
  if b == 0xcb then return sunpack('>d', s, pos + 1) end
  if b == 0xcc then return sunpack('>B', s, pos + 1) end
  if b == 0xcd then return sunpack('>I2', s, pos + 1) end
  if b == 0xce then return sunpack('>I4', s, pos + 1) end
  if b == 0xcf or b == 0xd3 then return sunpack('>i8', s, pos + 1) end
  if b == 0xd0 then return sunpack('>i1', s, pos + 1) end
  if b == 0xd1 then return sunpack('>i2', s, pos + 1) end
  if b == 0xd2 then return sunpack('>i4', s, pos + 1) end
  if b == 0xc4 or b == 0xd9 then local n, p = sunpack('>B', s, pos + 1) return dec_blob(s, p, n) end
  if b == 0xc5 or b == 0xda then local n, p = sunpack('>I2', s, pos + 1) return dec_blob(s, p, n) end
  if b == 0xc6 or b == 0xdb then local n, p = sunpack('>I4', s, pos + 1) return dec_blob(s, p, n) end
  if b == 0xdc then local n, p = sunpack('>I2', s, pos + 1) return dec_list(s, p, n) end
  if b == 0xdd then local n, p = sunpack('>I4', s, pos + 1) return dec_list(s, p, n) end
  if b == 0xde then local n, p = sunpack('>I2', s, pos + 1) return dec_map(s, p, n) end
  if b == 0xdf then local n, p = sunpack('>I4', s, pos + 1) return dec_map(s, p, n) end
  local p = skip_ext(s, pos)
  if p then return nil, p end
  error('bad msgpack', 0)
end

---------------------------------------------------------------------------------------------------
-- record (udf_record semantics: a bin cache in front of the stored bins)
---------------------------------------------------------------------------------------------------
local BIN_NAME_MAX = 15      -- bytes
local BIN_LIMIT = 512        -- bins a UDF may leave in a record
local UPDATE_LIMIT = 1024    -- distinct bins a UDF may touch
local ERR_INCOMPATIBLE_TYPE, ERR_BIN_NAME = 12, 21

local function cache_set(R, name, value, dirty)
  if R.too_many then return end
  local is_insert = value ~= NILV
  local cache = R.cache
  local i = R.cix[name]
  if i then
    local e = cache[i]
    if e.value ~= NILV then R.n_inserts = R.n_inserts - 1 end
    e.value, e.dirty = value, dirty
    if is_insert then R.n_inserts = R.n_inserts + 1 end
    return
  end
  if #cache >= UPDATE_LIMIT or (is_insert and R.n_inserts >= BIN_LIMIT) then
    R.too_many = true
    return
  end
  cache[#cache + 1] = { name = name, value = value, dirty = dirty }
  R.cix[name] = #cache
  if is_insert then R.n_inserts = R.n_inserts + 1 end
end

local function cache_free(R)
  R.cache, R.cix, R.n_inserts, R.too_many = {}, {}, 0, false
end

local function cache_reclaim(R, i)
  local cache = R.cache
  local last = #cache
  R.cix[cache[i].name] = nil
  if i < last then
    cache[i] = cache[last]
    R.cix[cache[i].name] = i
  end
  cache[last] = nil
end

local function stored_delete(R, name)
  if R.sv[name] == nil then return end
  R.sv[name] = nil
  local names = R.stored
  for i = 1, #names do
    if names[i] == name then table.remove(names, i) break end
  end
end

local function stored_set(R, name, value)
  if kind(value) == 'record' then return ERR_INCOMPATIBLE_TYPE end
  if R.sv[name] == nil then
    if #R.stored == BIN_LIMIT then return ERR_BIN_NAME end
    R.stored[#R.stored + 1] = name
  end
  R.sv[name] = encode(value, true)
  return 0
end

local function execute_failed(R, rc)
  R.result_code = rc
  R.has_updates = false
  local names = {}
  for i = 1, #R.old_stored do names[i] = R.old_stored[i] end
  local sv = {}
  for k, v in next, R.old_sv do sv[k] = v end
  R.stored, R.sv = names, sv
  cache_free(R)
end

local function execute_updates(R)
  if not R.has_updates then
    R.n_old_bins = #R.stored
    local names, sv = {}, {}
    for i = 1, #R.stored do names[i] = R.stored[i] end
    for k, v in next, R.sv do sv[k] = v end
    R.old_stored, R.old_sv = names, sv
  end
  if R.write_error ~= 0 then execute_failed(R, R.write_error) return -1 end
  if R.too_many then execute_failed(R, ERR_BIN_NAME) return -1 end
  local cache = R.cache
  local dirty = false
  local i = 1
  while i <= #cache do
    local e = cache[i]
    if e.dirty then
      if e.value == NILV then
        stored_delete(R, e.name)
        cache_reclaim(R, i)
        i = i - 1
      else
        local rc = stored_set(R, e.name, e.value)
        if rc ~= 0 then execute_failed(R, rc) return -1 end
      end
      dirty = true
    end
    i = i + 1
  end
  R.result_code = 0
  R.has_updates = true
  if dirty then
    for j = 1, #cache do cache[j].dirty = false end
  end
  return 0
end

local function checkrec(r, fname, n)
  if rawtype(r) == 'table' and getmetatable(r) == RecordMT then return r[P] end
  argerror(n or 1, fname, 'Record', r, 3)
end

local function bin_name(name)
  if rawtype(name) == 'number' then name = tostring(name) end
  if rawtype(name) ~= 'string' then return nil end
  name = cstr(name)
  if #name > BIN_NAME_MAX then return nil end
  return name
end

RecordMT.__index = function(r, name)
  local R = r[P]
  name = bin_name(name)
  if name == nil then return nil end
  local i = R.cix[name]
  if i then
    local v = R.cache[i].value
    if v == NILV then return nil end
    return v
  end
  if not R.open then return nil end
  local enc_v = R.sv[name]
  if enc_v == nil then return nil end
  local v = dec(enc_v, 1)
  cache_set(R, name, v, false)
  return v
end

RecordMT.__newindex = function(r, name, v)
  local R = r[P]
  if rawtype(name) ~= 'string' and rawtype(name) ~= 'number' then return end
  local x, k = toval(v)
  if k == false then error(sformat("can't set bin %s to unsupported type", tostring(name)), 2) end
  name = bin_name(name)
  if name == nil then return end
  if x == nil then x = NILV end
  cache_set(R, name, x, true)
end

local record = {}
record.ttl = function(r) local R = checkrec(r, 'ttl') return R.open and R.ttl or 0 end
record.last_update_time = function(r) local R = checkrec(r, 'last_update_time') return R.open and R.lut or 0 end
record.gen = function(r) local R = checkrec(r, 'gen') return R.open and R.gen or 0 end
record.size = function(r) local R = checkrec(r, 'size') return R.open and R.size or 0 end
record.memory_size = function(r) local R = checkrec(r, 'memory_size') return R.open and R.size or 0 end
record.device_size = function(r) checkrec(r, 'device_size') return 0 end
record.key = function(r)
  local R = checkrec(r, 'key')
  if not R.open then return nil end
  return R.key
end
record.setname = function(r)
  local R = checkrec(r, 'setname')
  if not R.open or R.setname == '' then return nil end
  return R.setname
end
record.digest = function(r) local R = checkrec(r, 'digest') return bytes_new(R.digest, 4) end
record.numbins = function(r) local R = checkrec(r, 'numbins') return R.open and #R.stored or 0 end
record.bin_names = function(r)
  local R = checkrec(r, 'bin_names')
  if not R.open then error("can't get bin names", 2) end
  local t = {}
  for i = 1, #R.stored do t[i] = R.stored[i] end
  return t
end
record.set_ttl = function(r, ttl)
  local R = checkrec(r, 'set_ttl')
  R.ttl_set = optint(ttl, 2, 'set_ttl', 0) & 0xffffffff
end
record.drop_key = function(r)
  local R = checkrec(r, 'drop_key')
  if R.open then R.drop_key = true; R.key = nil end
end

---------------------------------------------------------------------------------------------------
-- aerospike
---------------------------------------------------------------------------------------------------
local AS = setmetatable({}, AerospikeMT)
local CUR = nil            -- the record state of the call in progress (for logs)
local LOG_MAX = 64         -- log lines kept per call

local methods = {}
AerospikeMT.__index = methods
AerospikeMT.__tostring = function() return 'Aerospike' end

local function checkas(self, fname)
  if rawtype(self) ~= 'table' or getmetatable(self) ~= AerospikeMT then argerror(1, fname, 'Aerospike', self, 3) end
end

methods.create = function(self, r)
  checkas(self, 'create')
  local R = checkrec(r, 'create', 2)
  if R.open then
    if #R.stored ~= 0 then return 1 end
    return execute_updates(R)
  end
  R.open, R.created = true, true
  R.gen, R.ttl, R.lut = 0, 0, 0
  local rv = execute_updates(R)
  if rv ~= 0 then
    R.open, R.created = false, false
    return rv
  end
  return 0
end
methods.update = function(self, r)
  checkas(self, 'update')
  local R = checkrec(r, 'update', 2)
  if not R.open then return -2 end
  return execute_updates(R)
end
methods.exists = function(self, r)
  checkas(self, 'exists')
  local R = checkrec(r, 'exists', 2)
  return R.open
end
methods.remove = function(self, r)
  checkas(self, 'remove')
  local R = checkrec(r, 'remove', 2)
  if not R.open then return 1 end
  cache_free(R)
  for i = 1, #R.stored do cache_set(R, R.stored[i], NILV, true) end
  return execute_updates(R)
end
methods.log = function(self, level, msg)
  checkas(self, 'log')
  level = optint(level, 2, 'log', 0)
  msg = optstr(msg)
  local R = CUR
  if R and #R.logs < LOG_MAX then
    local info = dgetinfo(3, 'Sl')
    local src, line = '?', 0
    if info then
      src = info.source or '?'
      if ssub(src, 1, 1) == '@' or ssub(src, 1, 1) == '=' then src = ssub(src, 2) end
      line = info.currentline or 0
    end
    R.logs[#R.logs + 1] = spack('>i4s2i4s4', level, src, line, msg and cstr(msg) or '(null)')
  end
  return 0
end
G.print = function(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[i] = tostring((select(i, ...))) end
  local R = CUR
  if R and #R.logs < LOG_MAX then
    local info = dgetinfo(2, 'Sl')
    local src = info and info.source or '?'
    if ssub(src, 1, 1) == '@' or ssub(src, 1, 1) == '=' then src = ssub(src, 2) end
    R.logs[#R.logs + 1] = spack('>i4s2i4s4', 3, src, info and info.currentline or 0, tconcat(parts, '\t'))
  end
end
methods.get_current_time = function(self)
  checkas(self, 'get_current_time')
  return CUR and CUR.now or 0
end
methods.set_context = function(self) checkas(self, 'set_context') return 1 end
methods.get_config = function(self) checkas(self, 'get_config') return 1 end

---------------------------------------------------------------------------------------------------
-- globals
---------------------------------------------------------------------------------------------------
local function settype(v)
  local t = rawtype(v)
  if t == 'table' then
    local mt = getmetatable(v)
    if mt ~= nil and CLASS[mt] then return 'userdata' end
  end
  return t
end

G.list, G.map, G.bytes, G.geojson, G.record = list, map, bytes, geojson, record
G.List, G.Map, G.Bytes = ListMT, MapMT, BytesMT
G.aerospike = AS
G.type = settype
-- trace / debug / info / warn come from AEROSPIKE_LUA (loaded next, as "aerospike.lua")
math.sum = function(a, b) return a + b end
math.product = function(a, b) return a * b end
-- The Lua states share one WebAssembly memory with each other and the bound on execution must
-- stay in place, so user code gets no hooks, no registry or upvalue access, no binary chunks and
-- no process exit; print goes to the log.
local rawload, rawloadfile = load, loadfile
package.loaded.debug = { traceback = debuglib.traceback, getinfo = debuglib.getinfo }
G.load = function(chunk, name, mode, ...)
  if select('#', ...) > 0 then return rawload(chunk, name, 't', ...) end
  return rawload(chunk, name, 't')
end
G.loadfile = function(file, mode, ...)
  if select('#', ...) > 0 then return rawloadfile(file, 't', ...) end
  return rawloadfile(file, 't')
end
G.dofile = function(file)
  local f, err = rawloadfile(file, 't')
  if not f then error(err, 2) end
  return f()
end
os.exit = function() error('os.exit is not available to UDFs', 2) end
os.execute = function() return nil end
io.popen = function() return nil, 'io.popen is not available to UDFs' end
string.dump = function() error('string.dump is not available to UDFs', 2) end

---------------------------------------------------------------------------------------------------
-- modules (require of registered modules)
---------------------------------------------------------------------------------------------------
local SOURCES = {}
local USER_PATH = ''

local function searcher(name)
  local file = name .. '.lua'
  local src = (not sfind(name, '.', 1, true)) and SOURCES[file] or nil
  if src == nil then return sformat("\n\tno file '%s/%s'", USER_PATH, file) end
  local path = USER_PATH .. '/' .. file
  local fn, err = load(src, '@' .. path, 't')
  if not fn then error(sformat("error loading module '%s' from file '%s':\n\t%s", name, path, err), 0) end
  return fn, path
end
package.searchers = { package.searchers[1], searcher }
package.cpath = ''

---------------------------------------------------------------------------------------------------
-- execution bound
---------------------------------------------------------------------------------------------------
local HOOK_STEP = 1000     -- instructions between checks

local with_bound
with_bound = function(instr_limit, time_limit_s, f, ...)
  local steps, max_steps = 0, instr_limit // HOOK_STEP
  local t0 = osclock()
  local over = false
  local function hook()
    -- not in the instructions of with_bound itself, between the protected call and unhooking
    local caller = dgetinfo(2, 'f')
    if caller and caller.func == with_bound then return end
    if not over then
      steps = steps + 1
      if steps <= max_steps and osclock() - t0 <= time_limit_s then return end
      over = true
      -- from now on fail at every instruction, so code that catches the error cannot keep going
      dsethook(hook, '', 1)
    end
    error('UDF Execution Timeout', 3)
  end
  dsethook(hook, '', HOOK_STEP)
  local res = table.pack(pcall(f, ...))
  dsethook()
  return tunpack(res, 1, res.n)
end

---------------------------------------------------------------------------------------------------
-- entry points
---------------------------------------------------------------------------------------------------
local I = {}

function I.setpath(p)
  USER_PATH = p
  package.path = p .. '/?.lua'
  return ''
end

function I.addsource(file, src)
  SOURCES[file] = src
  return ''
end

-- require(name) as the server does when it creates a state for a module
function I.require(name)
  local ok, err = pcall(require, name)
  if ok then return '' end
  return rawtype(err) == 'string' and err or '(error object is not a string)'
end

-- runs a chunk at its top level, bounded; returns '' or the error as lua_tostring shows it
function I.validate(chunk, instr_limit, time_limit_s)
  local ok, err = with_bound(instr_limit, time_limit_s, chunk)
  if ok then return '' end
  local t = rawtype(err)
  if t == 'string' then return 's' .. err end
  if t == 'number' then return 's' .. tostring(err) end
  return 'n'
end

-- a record's state from the meta and bins blobs (layouts in lua-runtime.ts), with the call's
-- instruction and time limits; record and stream UDFs both start from it
local function record_state(meta, binsblob)
  local open, gen, ttl, lut, now, size, write_error, instr_limit, time_limit_ms, setname, digest, keyblob =
    sunpack('>BI4I4i8i8I4Bi8I4s2s2s4', meta)
  local R = {
    open = open == 1, created = false, gen = gen, ttl = ttl, lut = lut, now = now, size = size,
    setname = setname, digest = digest, key = nil, write_error = write_error,
    stored = {}, sv = {}, cache = {}, cix = {}, n_inserts = 0, too_many = false,
    has_updates = false, result_code = 0, n_old_bins = 0, old_stored = {}, old_sv = {},
    ttl_set = nil, drop_key = false, logs = {},
  }
  if #keyblob > 0 then R.key = dec(keyblob, 1) end
  local p = 1
  while p <= #binsblob do
    local name, v
    name, v, p = sunpack('>s2s4', binsblob, p)
    R.stored[#R.stored + 1] = name
    R.sv[name] = v
  end
  return R, instr_limit, time_limit_ms
end

-- a call's arguments: the msgpack list in `argsblob`; a missing or non-list blob means none
local function call_args(argsblob)
  local args, nargs = {}, 0
  if #argsblob > 0 then
    local ok, l = pcall(dec, argsblob, 1)
    if ok and kind(l) == 'list' then
      local st = l[P]
      nargs = st.n
      for i = 1, nargs do args[i] = st[i] end
    end
  end
  return args, nargs
end

-- one record UDF call; see lua-runtime.ts for the layouts
function I.run(fname, meta, binsblob, argsblob)
  local R, instr_limit, time_limit_ms = record_state(meta, binsblob)
  local args, nargs = call_args(argsblob)
  local rec = setmetatable({ [P] = R }, RecordMT)
  CUR = R
  G.aerospike = AS
  local f = G[fname]
  local ok, res
  if f == nil then
    ok, res = false, 'function not found'
  else
    ok, res = with_bound(instr_limit, time_limit_ms / 1000, f, rec, tunpack(args, 1, nargs))
    G.success, G.result = ok, res
  end
  CUR = nil
  local status, payload
  if ok then
    local x, k = toval(res)
    if k == false or k == 'record' then x = nil end
    status, payload = 0, encode(x)
  else
    status = 1
    if rawtype(res) == 'string' then payload = cstr(res) else payload = 'result value type unexpected' end
  end
  local out = { spack('>Bs4', status, payload) }
  out[2] = spack('>BBBBI4BI4B', R.open and 1 or 0, R.created and 1 or 0, R.has_updates and 1 or 0,
    R.result_code, R.n_old_bins, R.ttl_set and 1 or 0, R.ttl_set or 0, R.drop_key and 1 or 0)
  local write_bins = ok and R.has_updates and R.result_code == 0
  local n = write_bins and #R.stored or 0
  out[3] = spack('>I4', n)
  for i = 1, n do
    local name = R.stored[i]
    out[#out + 1] = spack('>s2s4', name, R.sv[name])
  end
  out[#out + 1] = spack('>I4', #R.logs)
  for i = 1, #R.logs do out[#out + 1] = R.logs[i] end
  return tconcat(out)
end

-- what the stream (aggregation) chunk builds on (stream.lua); UDF code cannot reach I
function I.internals()
  return {
    P = P, RecordMT = RecordMT, ListMT = ListMT, MapMT = MapMT, list = list, map = map,
    dec = dec, encode = encode, toval = toval, kind = kind, cstr = cstr, with_bound = with_bound,
    setcur = function(R) CUR = R end, aerospike = AS, record_state = record_state, call_args = call_args,
  }
end

-- test hooks: value round trips through the Lua model
function I.roundtrip(blob)
  local v = dec(blob, 1)
  return encode(v)
end

return I
