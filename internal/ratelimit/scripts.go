package ratelimit

// The Lua scripts of Redis. Each runs atomically on the server, so a
// check and its charge are one step however many replicas call them.
//
// Lua numbers are doubles: every value here is an integer below 2^53
// (MaxLimit and MaxNanoUSD keep it so), and values are written back with
// string.format('%d') because tostring would switch to exponent notation
// past 14 digits. Time is the server's TIME in milliseconds, the same for
// every replica.

// luaCommon is shared by both scripts: refill mirrors refill in bucket.go.
const luaCommon = `
redis.replicate_commands()
local UNITS = 60000

local function int(x) return string.format('%d', x) end

local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function refill(level, stamp, now, limit)
  local capacity = limit * UNITS
  if level > capacity then level = capacity end
  if now <= stamp then return level, stamp end
  local need = capacity - level
  if need > 0 then
    if now - stamp >= math.ceil(need / limit) then
      level = capacity
    else
      level = level + (now - stamp) * limit
    end
  end
  return level, now
end

-- load returns a bucket's level and stamp at now; an absent bucket is full.
local function load(key, now, limit)
  local h = redis.call('HMGET', key, 'l', 't')
  if not h[1] then return limit * UNITS, now end
  return refill(tonumber(h[1]), tonumber(h[2]), now, limit)
end

-- store writes a bucket and lets it expire a minute after it would be
-- full again (at least two minutes): an expired bucket reads as full.
local function store(key, level, stamp, limit)
  redis.call('HSET', key, 'l', int(level), 't', int(stamp))
  local ttl = 120000
  local need = limit * UNITS - level
  if need > 0 then ttl = math.max(ttl, math.ceil(need / limit) + 60000) end
  redis.call('PEXPIRE', key, int(ttl))
end
`

// luaAllow checks every limit of a request and charges them all, or none.
//
// KEYS: nb bucket hashes, nc lease sorted sets, nbud budget counters.
// ARGV: nb, nc, nbud, cost, lease ID, lease TTL (ms); then per bucket its
// limit and amount (units); per lease set its limit; per budget its limit
// and TTL (ms, 0 = none).
//
// Reply: {2, missing budget indexes (0-based)...} when a budget counter
// does not exist yet (nothing was charged; the caller seeds and runs the
// script again); otherwise {1 admitted or 0 denied, bucket levels...,
// slots taken..., budget counters...}, all as they were before the
// charge.
const luaAllow = luaCommon + `
local nb, nc, nbud = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local ba, ca, ga = 6, 6 + 2 * nb, 6 + 2 * nb + nc

local spent, missing = {}, {2}
for i = 1, nbud do
  local v = redis.call('GET', KEYS[nb + nc + i])
  if v then spent[i] = tonumber(v) else missing[#missing + 1] = i - 1 end
end
if #missing > 1 then return missing end

local now = clock()
local out, ok = {1}, true
local levels, stamps = {}, {}
for i = 1, nb do
  local limit, amount = tonumber(ARGV[ba + 2 * i - 1]), tonumber(ARGV[ba + 2 * i])
  levels[i], stamps[i] = load(KEYS[i], now, limit)
  if amount > limit * UNITS or levels[i] < amount then ok = false end
  out[#out + 1] = levels[i]
end
for i = 1, nc do
  local key = KEYS[nb + i]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now))
  local n = redis.call('ZCARD', key)
  if n >= tonumber(ARGV[ca + i]) then ok = false end
  out[#out + 1] = n
end
for i = 1, nbud do
  if spent[i] + cost > tonumber(ARGV[ga + 2 * i - 1]) then ok = false end
  out[#out + 1] = spent[i]
end
if not ok then
  out[1] = 0
  return out
end

for i = 1, nb do
  local limit, amount = tonumber(ARGV[ba + 2 * i - 1]), tonumber(ARGV[ba + 2 * i])
  store(KEYS[i], levels[i] - amount, stamps[i], limit)
end
local lease = int(now + tonumber(ARGV[6]))
for i = 1, nc do
  redis.call('ZADD', KEYS[nb + i], lease, ARGV[5])
  redis.call('PEXPIRE', KEYS[nb + i], ARGV[6])
end
for i = 1, nbud do
  local key = KEYS[nb + nc + i]
  if cost ~= 0 then redis.call('INCRBY', key, ARGV[4]) end
  if tonumber(ARGV[ga + 2 * i]) > 0 then redis.call('PEXPIRE', key, ARGV[ga + 2 * i]) end
end
return out
`

// luaSettle replaces a reservation's estimates by the real figures.
//
// KEYS: nt TPM bucket hashes, nc lease sorted sets, nbud budget counters,
// then the reservation's settled marker.
// ARGV: nt, nc, nbud, token debt (units; negative = refund), cost
// difference, lease ID, marker TTL (ms); then per TPM bucket its limit;
// per budget its TTL (ms, 0 = none).
//
// Reply: 1 settled, 0 already settled.
const luaSettle = luaCommon + `
local nt, nc, nbud = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if not redis.call('SET', KEYS[#KEYS], '1', 'NX', 'PX', ARGV[7]) then return 0 end

local debt = tonumber(ARGV[4])
if debt ~= 0 and nt > 0 then
  local now = clock()
  for i = 1, nt do
    local limit = tonumber(ARGV[7 + i])
    -- An absent bucket is full: a refund cannot add to it.
    if debt > 0 or redis.call('EXISTS', KEYS[i]) == 1 then
      local level, stamp = load(KEYS[i], now, limit)
      store(KEYS[i], math.min(level - debt, limit * UNITS), stamp, limit)
    end
  end
end
for i = 1, nc do redis.call('ZREM', KEYS[nt + i], ARGV[6]) end
for i = 1, nbud do
  -- A counter gone since (expired) is seeded again from the ledger,
  -- which has the real cost by then.
  local key = KEYS[nt + nc + i]
  if redis.call('EXISTS', key) == 1 then
    if tonumber(ARGV[5]) ~= 0 then redis.call('INCRBY', key, ARGV[5]) end
    local ttl = ARGV[7 + nt + i]
    if tonumber(ttl) > 0 then redis.call('PEXPIRE', key, ttl) end
  end
end
return 1
`
