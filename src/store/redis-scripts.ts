import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Lua scripts of RedisRunStore. A script runs atomically on the server, so a compare-and-set
 * in Lua is safe on a connection shared with any other traffic, unlike WATCH/MULTI, whose WATCH
 * state belongs to the connection and is cleared by anyone else's EXEC on it.
 *
 * Every key a script touches is passed in KEYS (never built in Lua), so a `keyPrefix` of the
 * connection applies to them too.
 */

/**
 * Files run ARGV[1] in the indexes after its key KEYS[1] was written:
 * KEYS[2] unfinished set, KEYS[3] finished set; ARGV[2] createdAt when unfinished, else '';
 * ARGV[3] finishedAt when over, else ''; ARGV[4] when it expires, when over, else ''; ARGV[5] the retention in ms.
 * An over run expires `retention` after it finished. Entries of the finished set older than that
 * belong to keys Redis has expired already (both go by the server's clock), so they are dropped here
 * to keep the set from growing when nobody calls prune.
 */
const FILE_RUN = `
local function file_run()
  if ARGV[2] ~= '' then
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  else
    redis.call('ZREM', KEYS[2], ARGV[1])
  end
  if ARGV[3] ~= '' then
    redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
    redis.call('PEXPIREAT', KEYS[1], ARGV[4])
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', string.format('(%d', now - tonumber(ARGV[5])))
  else
    redis.call('ZREM', KEYS[3], ARGV[1])
  end
end
`;

/**
 * KEYS and ARGV[1..5] as in FILE_RUN; ARGV[6] the run's JSON. KEYS[4] the sorted set of its target's
 * runs in its channel (listRecent): ARGV[7] its createdAt, or '' for a run not listed (a rerun);
 * ARGV[8] how many the set keeps (the newest); ARGV[9] how long the set lives after its last run,
 * in ms. Returns 1, or 0 if the run exists.
 */
export const CREATE = script(`${FILE_RUN}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[6])
file_run()
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[7], ARGV[1])
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -(tonumber(ARGV[8]) + 1))
  redis.call('PEXPIRE', KEYS[4], ARGV[9])
end
return 1
`);

/**
 * KEYS and ARGV[1..5] as in FILE_RUN; ARGV[6] the new JSON; ARGV[7] the SHA-1 of the JSON the change
 * was applied to. Writes only if the run is still that JSON: returns 1 when written, 0 when the run
 * changed meanwhile, -1 when it is gone. Comparing contents rather than a version number needs no
 * second key; a run changed and changed back is the same run, and `change` depends only on the run.
 */
export const COMPARE_AND_SET = script(`${FILE_RUN}
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if redis.sha1hex(current) ~= ARGV[7] then return 0 end
redis.call('SET', KEYS[1], ARGV[6])
file_run()
return 1
`);

/**
 * KEYS[1] unfinished set, KEYS[2] finished set, KEYS[3..] run keys; ARGV[1] finishedBefore,
 * ARGV[2..] the ids of those runs. Deletes those still over and finished before ARGV[1], drops
 * index entries whose key is gone, and returns how many runs it deleted.
 */
export const PRUNE = script(`
local deleted = 0
local before = tonumber(ARGV[1])
for i = 3, #KEYS do
  local id = ARGV[i - 1]
  local finished = redis.call('ZSCORE', KEYS[2], id)
  if finished and tonumber(finished) < before then
    deleted = deleted + redis.call('DEL', KEYS[i])
    redis.call('ZREM', KEYS[2], id)
  end
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
  end
end
return deleted
`);

/**
 * KEYS[1] the claimed key; ARGV[1] the value, ARGV[2] its time to live in ms. Sets the key unless it
 * holds a value (Redis expires it by itself), and returns the value held afterwards.
 */
export const PUT_IF_ABSENT = script(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return ARGV[1] end
return redis.call('GET', KEYS[1])
`);

/** KEYS[1] the claimed key; ARGV[1] the value it must still hold to be deleted. */
export const RELEASE_KEY = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * KEYS[1] the record; ARGV[1] '1' when the change was applied to a record, '0' to none; ARGV[2] the
 * SHA-1 of the record it was applied to; ARGV[3] the new value ('' deletes it), ARGV[4] its time to
 * live in ms. Writes only if the record is still what the change saw: returns 1 when written, 0 when
 * it changed meanwhile.
 */
export const CHANGE_RECORD = script(`
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif not current or redis.sha1hex(current) ~= ARGV[2] then
  return 0
end
if ARGV[3] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) end
return 1
`);

export function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

export interface Script {
  text: string;
  sha1: string;
}

function script(text: string): Script {
  return { text, sha1: sha1(text) };
}

/** Runs a script by its SHA-1, sending its text only when the server does not know it yet. */
export async function runScript(redis: Redis, { text, sha1 }: Script, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await redis.evalsha(sha1, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(text, keys.length, ...keys, ...args);
  }
}
