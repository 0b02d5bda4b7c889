package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts. Each runs atomically on the server, which is what makes
// the multi-key steps (a record and its per-user index) all-or-nothing and
// TakeToken single-use. Where a script reaches keys named after stored data
// (the user of a session, the sessions of an index), ARGV[1] is the prefix
// and the names are built by the functions below, which mirror the Go ones
// in store.go. Times are compared as Lua numbers (doubles): exact for any
// millisecond time below 2^53, some 285,000 years.

const luaPrelude = `
local function field(v) return #v .. ':' .. v .. ':' end
local function sessionKey(p, id) return p .. 'session:' .. id end
local function sessionIndexKey(p, user) return p .. 'user_sessions:' .. user end
local function tokenKey(p, kind, id) return p .. 'token:' .. field(kind) .. id end
local function tokenIndexKey(p, user, kind) return p .. 'user_tokens:' .. field(user) .. kind end
local function tokenKindsKey(p, user) return p .. 'user_token_kinds:' .. user end

-- bump makes key live at least ttl ms (an index outlives its records).
local function bump(key, ttl)
  local cur = redis.call('PTTL', key)
  if cur == -1 or (cur >= 0 and cur < ttl) then
    redis.call('PEXPIRE', key, ttl)
  end
end

-- untrackToken removes a token id from its user's index, and the kind
-- from the user's kinds when no token of it is left.
local function untrackToken(p, user, kind, id)
  local idx = tokenIndexKey(p, user, kind)
  redis.call('SREM', idx, id)
  if redis.call('SCARD', idx) == 0 then
    redis.call('SREM', tokenKindsKey(p, user), kind)
  end
end
`

func script(body string) *goredis.Script { return goredis.NewScript(luaPrelude + body) }

// Sessions: a hash {u: user id, a: active expiry, i: idle expiry, t:
// attributes JSON} and a set of ids per user.

// KEYS: session, index. ARGV: prefix, id, user, active, idle, attrs, ttl.
var createSessionScript = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'u', ARGV[3], 'a', ARGV[4], 'i', ARGV[5], 't', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('SADD', KEYS[2], ARGV[2])
bump(KEYS[2], tonumber(ARGV[7]))
return 1
`)

// KEYS: session. ARGV: prefix, id, active, idle, ttl. Returns 0 when the
// session is gone: it is never recreated.
var updateSessionExpiryScript = script(`
local user = redis.call('HGET', KEYS[1], 'u')
if not user then return 0 end
redis.call('HSET', KEYS[1], 'a', ARGV[3], 'i', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local idx = sessionIndexKey(ARGV[1], user)
redis.call('SADD', idx, ARGV[2])
bump(idx, tonumber(ARGV[5]))
return 1
`)

// KEYS: session. ARGV: attributes read, attributes to write. A compare and
// set: returns nil when the session is gone, "" when written, and the
// current attributes when they changed meanwhile (to merge into again).
var swapSessionAttributesScript = script(`
local cur = redis.call('HGET', KEYS[1], 't')
if not cur then return false end
if cur ~= ARGV[1] then return cur end
redis.call('HSET', KEYS[1], 't', ARGV[2])
return ''
`)

// KEYS: session. ARGV: prefix, id.
var deleteSessionScript = script(`
local user = redis.call('HGET', KEYS[1], 'u')
redis.call('DEL', KEYS[1])
if user then redis.call('SREM', sessionIndexKey(ARGV[1], user), ARGV[2]) end
return 1
`)

// KEYS: index. ARGV: prefix, user.
var deleteUserSessionsScript = script(`
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local k = sessionKey(ARGV[1], id)
  if redis.call('HGET', k, 'u') == ARGV[2] then redis.call('DEL', k) end
end
redis.call('DEL', KEYS[1])
return 1
`)

// KEYS: index. ARGV: prefix, user. Returns {id, active, idle, attrs} per
// session and drops the ids whose session is gone.
var listSessionsScript = script(`
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', sessionKey(ARGV[1], id), 'u', 'a', 'i', 't')
  if f[1] == ARGV[2] then
    out[#out + 1] = {id, f[2], f[3], f[4]}
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return out
`)

// KEYS: indexes. ARGV: prefix, now. Deletes the indexed sessions whose idle
// expiry is at or before now, drops ids whose session is gone, and returns
// how many sessions it deleted.
var purgeSessionsScript = script(`
local now, n = tonumber(ARGV[2]), 0
for _, idx in ipairs(KEYS) do
  for _, id in ipairs(redis.call('SMEMBERS', idx)) do
    local k = sessionKey(ARGV[1], id)
    local idle = redis.call('HGET', k, 'i')
    if not idle then
      redis.call('SREM', idx, id)
    elseif tonumber(idle) <= now then
      redis.call('DEL', k)
      redis.call('SREM', idx, id)
      n = n + 1
    end
  end
end
return n
`)

// Tokens: a hash {u: user id, e: expiry, s: session id if any, d: data if
// not nil}, a set of ids per (user, kind) and a set of kinds per user.

// KEYS: token, index, kinds. ARGV: prefix, id, kind, user, expires,
// session, has data ("1" or "0"), data, ttl.
var putTokenScript = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local f = {'u', ARGV[4], 'e', ARGV[5]}
if ARGV[6] ~= '' then f[#f + 1] = 's'; f[#f + 1] = ARGV[6] end
if ARGV[7] == '1' then f[#f + 1] = 'd'; f[#f + 1] = ARGV[8] end
redis.call('HSET', KEYS[1], unpack(f))
local ttl = tonumber(ARGV[9])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SADD', KEYS[2], ARGV[2])
bump(KEYS[2], ttl)
redis.call('SADD', KEYS[3], ARGV[3])
bump(KEYS[3], ttl)
return 1
`)

// KEYS: token. ARGV: prefix, kind, id, user filter or "". Returns {user,
// expires, session, data} and deletes the token, or nil (and leaves it)
// when it is missing or another user's.
var takeTokenScript = script(`
local f = redis.call('HMGET', KEYS[1], 'u', 'e', 's', 'd')
if not f[1] then return false end
if ARGV[4] ~= '' and f[1] ~= ARGV[4] then return false end
redis.call('DEL', KEYS[1])
untrackToken(ARGV[1], f[1], ARGV[2], ARGV[3])
return f
`)

// KEYS: token. ARGV: prefix, kind, id.
var deleteTokenScript = script(`
local user = redis.call('HGET', KEYS[1], 'u')
redis.call('DEL', KEYS[1])
if user then untrackToken(ARGV[1], user, ARGV[2], ARGV[3]) end
return 1
`)

// KEYS: kinds. ARGV: prefix, user, kind or "" for every kind.
var deleteUserTokensScript = script(`
local kinds = {ARGV[3]}
if ARGV[3] == '' then kinds = redis.call('SMEMBERS', KEYS[1]) end
for _, kind in ipairs(kinds) do
  local idx = tokenIndexKey(ARGV[1], ARGV[2], kind)
  for _, id in ipairs(redis.call('SMEMBERS', idx)) do
    local k = tokenKey(ARGV[1], kind, id)
    if redis.call('HGET', k, 'u') == ARGV[2] then redis.call('DEL', k) end
  end
  redis.call('DEL', idx)
  redis.call('SREM', KEYS[1], kind)
end
return 1
`)

// KEYS: index. ARGV: prefix, user, kind. Returns {id, expires, session,
// data} per token and drops the ids whose token is gone.
var listTokensScript = script(`
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', tokenKey(ARGV[1], ARGV[3], id), 'u', 'e', 's', 'd')
  if f[1] == ARGV[2] then
    out[#out + 1] = {id, f[2], f[3], f[4]}
  else
    untrackToken(ARGV[1], ARGV[2], ARGV[3], id)
  end
end
return out
`)

// KEYS: tokens. ARGV: prefix, now. Deletes those whose expiry is at or
// before now and returns how many. The kind and id are read back from the
// key: prefix, "token:", length, ':', kind, ':', id.
var purgeTokensScript = script(`
local now, n = tonumber(ARGV[2]), 0
local rest0 = #ARGV[1] + #'token:' + 1
for _, k in ipairs(KEYS) do
  local f = redis.call('HMGET', k, 'u', 'e')
  if f[1] and f[2] and tonumber(f[2]) <= now then
    local rest = string.sub(k, rest0)
    local colon = string.find(rest, ':', 1, true)
    local len = colon and tonumber(string.sub(rest, 1, colon - 1))
    redis.call('DEL', k)
    n = n + 1
    if len then
      untrackToken(ARGV[1], f[1], string.sub(rest, colon + 1, colon + len), string.sub(rest, colon + len + 2))
    end
  end
end
return n
`)

// Attempt counters: a hash {c: count, e: expiry}.

// KEYS: counter. ARGV: now, expires, ttl. Returns the new count.
var addAttemptScript = script(`
local e = redis.call('HGET', KEYS[1], 'e')
if e and tonumber(e) > tonumber(ARGV[1]) then
  return redis.call('HINCRBY', KEYS[1], 'c', 1)
end
redis.call('HSET', KEYS[1], 'c', 1, 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// KEYS: counters. ARGV: now. Deletes those whose window has ended.
var purgeAttemptsScript = script(`
local now, n = tonumber(ARGV[1]), 0
for _, k in ipairs(KEYS) do
  local e = redis.call('HGET', k, 'e')
  if e and tonumber(e) <= now then
    redis.call('DEL', k)
    n = n + 1
  end
end
return n
`)

// Throttle counters: a plain integer that expires with its window.

// KEYS: counter. ARGV: window in ms. Returns {count, ms left in the window}.
var hitScript = script(`
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1], 'NX')
return {n, redis.call('PTTL', KEYS[1])}
`)

// KEYS: counter. Takes one off a live counter above zero; DECR keeps the
// key's expiry.
var undoHitScript = script(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n and n > 0 and redis.call('PTTL', KEYS[1]) > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
`)

// KEYS: counter. Returns {count or nil, ms left (negative: no window)}.
var peekScript = script(`
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
`)
