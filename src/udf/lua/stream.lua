-- The Lua side of stream UDFs (aggregations): the `stream` object a module's function receives
-- (`map`, `filter`, `reduce`, `aggregate`, `groupby`) and the entry point `I.run_stream`, loaded
-- into every Lua state after the prelude (prelude.lua), which hands it its internals.
--
-- Behaviour follows Aerospike's Lua stream library: a stream function only *describes* a pipeline
-- (each method appends an operation and returns the stream); the server then runs the operations
-- up to and including the first `reduce` over the records of one partition, and sends every value
-- the pipeline yields to the client, which runs the rest (from that `reduce` on) over the values of
-- all partitions and nodes. Quirks kept because clients see them: a `map` whose function returns
-- nil ends the stream; `aggregate` hands its accumulator on early (and starts a fresh one) as soon
-- as it is a number >= 1000; `reduce` over an empty stream yields nothing.
--
-- `I.run_stream(fn, args, records, instruction limit, time limit ms)`:
-- - args: the request's msgpack argument list or '';
-- - records: repeated pack('>s4s4', meta, bins) with meta and bins laid out as for `I.run`;
-- - returns pack('>B', status: 0 ok, 1 error) .. pack('>I4', n) .. n x pack('>Bs4', kind (0 value,
--   1 a record: sent as a NULL particle), msgpack) .. pack('>s4', error text) .. pack('>I4', m) ..
--   m x pack('>i4s2i4s4', level, source, line, message) (log lines).
--
-- Loaded by src/udf/lua-sources.ts after the prelude, as the chunk "strato-stream".

local I = ...
local X = I.internals()
local P, RecordMT, ListMT, MapMT, list, map = X.P, X.RecordMT, X.ListMT, X.MapMT, X.list, X.map
local dec, encode, toval, kind, cstr, with_bound, setcur = X.dec, X.encode, X.toval, X.kind, X.cstr, X.with_bound, X.setcur
local spack, sunpack, tconcat, tunpack = string.pack, string.unpack, table.concat, table.unpack
local rawtype, getmetatable, setmetatable, pcall, error, tostring = type, getmetatable, setmetatable, pcall, error, tostring
local G = _G

-- an accumulator that is a number this large is handed on early (as the reference library does)
local AGGREGATE_EARLY_AT = 1000

-- copy of a start value, so each aggregate run begins from the same one
local function fresh(v)
  local t = rawtype(v)
  if t ~= 'table' then return v end
  local mt = getmetatable(v)
  if mt == MapMT then return map.clone(v) end
  if mt == ListMT then return list.clone(v) end
  if mt ~= nil then return nil end
  local c = {}
  for k, x in next, v do c[k] = x end
  return c
end

-- Each operation turns a pull function (returns the next value, nil at the end) into another.
local function op_map(pull, f)
  local ended = false
  return function()
    if ended then return nil end
    local v = pull()
    if v == nil then ended = true return nil end
    return f(v)
  end
end

local function op_filter(pull, keep)
  local ended = false
  return function()
    while not ended do
      local v = pull()
      if v == nil then ended = true break end
      if keep(v) then return v end
    end
    return nil
  end
end

local function op_reduce(pull, f)
  local ended = false
  return function()
    if ended then return nil end
    ended = true
    local acc = pull()
    if acc == nil then return nil end
    while true do
      local v = pull()
      if v == nil then break end
      acc = f(acc, v)
    end
    return acc
  end
end

local function op_aggregate(pull, init, f)
  local ended = false
  return function()
    if ended then return nil end
    local acc = fresh(init)
    while true do
      local v = pull()
      if v == nil then break end
      acc = f(acc, v)
      if rawtype(acc) == 'number' and acc >= AGGREGATE_EARLY_AT then return acc end
    end
    ended = true
    return acc
  end
end

-- where an operation runs: on the server only, on either side, or on both (the server runs it
-- over a partition, the client over everything the servers sent)
local SERVER, EITHER, BOTH = 1, 3, 4

local Stream = {}
local StreamMT = { __index = Stream, __name = 'StreamOps' }

local function add(s, scope, fn, ...)
  s.ops[#s.ops + 1] = { scope = scope, fn = fn, args = table.pack(...) }
  return s
end
function Stream:map(f) return add(self, EITHER, op_map, f) end
function Stream:filter(f) return add(self, EITHER, op_filter, f) end
function Stream:reduce(f) return add(self, BOTH, op_reduce, f) end
function Stream:aggregate(init, f) return add(self, SERVER, op_aggregate, init, f) end
function Stream:groupby(keyf)
  local function into(m, v)
    local k = nil
    if keyf then k = keyf(v) end
    local l = m[k] or list()
    list.append(l, v)
    m[k] = l
    return m
  end
  local function joined(a, b)
    local l = list.clone(a)
    for v in list.iterator(b) do list.append(l, v) end
    return l
  end
  local function merged(m1, m2) return map.merge(m1, m2, joined) end
  return self:aggregate(map(), into):reduce(merged)
end

-- the operations this side runs: all of them up to and including the first 'both'
local function server_ops(ops)
  local out = {}
  for i = 1, #ops do
    local op = ops[i]
    out[#out + 1] = op
    if op.scope == BOTH then break end
  end
  return out
end

local function new_record(meta, binsblob)
  return setmetatable({ [P] = (X.record_state(meta, binsblob)) }, RecordMT)
end

function I.run_stream(fname, argsblob, recsblob, instr_limit, time_limit_ms)
  local args, nargs = X.call_args(argsblob)
  local pos = 1
  local function next_record()
    if pos > #recsblob then return nil end
    local meta, bins
    meta, bins, pos = sunpack('>s4s4', recsblob, pos)
    return new_record(meta, bins)
  end
  local out = {}
  local LOG = { logs = {}, now = 0 }
  setcur(LOG)
  G.aerospike = X.aerospike
  local f = G[fname]
  local ok, err
  if f == nil then
    ok, err = false, 'function not found'
  else
    ok, err = with_bound(instr_limit, time_limit_ms / 1000, function()
      local s = setmetatable({ ops = {} }, StreamMT)
      local fok, res = pcall(f, s, tunpack(args, 1, nargs))
      if not fok then error(res, 0) end
      local ops = server_ops(res.ops)
      local pull = next_record
      for i = 1, #ops do
        local op = ops[i]
        pull = op.fn(pull, tunpack(op.args, 1, op.args.n))
      end
      while true do
        local v = pull()
        if v == nil then break end
        local x, k = toval(v)
        if k == 'record' then out[#out + 1] = spack('>Bs4', 1, encode(nil))
        elseif k ~= false then out[#out + 1] = spack('>Bs4', 0, encode(x)) end
      end
    end)
  end
  setcur(nil)
  local msg = ''
  if not ok then
    if rawtype(err) == 'string' then msg = cstr(err)
    elseif rawtype(err) == 'number' then msg = tostring(err)
    else msg = 'result value type unexpected' end
  end
  local parts = { spack('>BI4', ok and 0 or 1, #out) }
  for i = 1, #out do parts[#parts + 1] = out[i] end
  parts[#parts + 1] = spack('>s4I4', msg, #LOG.logs)
  for i = 1, #LOG.logs do parts[#parts + 1] = LOG.logs[i] end
  return tconcat(parts)
end
