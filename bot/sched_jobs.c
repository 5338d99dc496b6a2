/*
 * The scheduler's jobs in Redis: the Lua scripts that move a job between
 * "due" and "leased" atomically, and the reminder operations /remind
 * uses.  Keeping every script that touches the job keys in this one file
 * keeps the layout (scheduler.h, docs/scheduler.md) in one place.
 *
 * Why scripts: a claim must take a job out of the due set, lease it and
 * read it in one step, or two replicas could both see it due; a confirm
 * must drop the lease and schedule the next occurrence in one step, or
 * a crash between the two would lose a recurring reminder.  The scripts
 * touch job hashes whose names they build from the prefix: pmbot runs on
 * one Redis (no cluster), where that is allowed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "limits.h"
#include "scheduler.h"

const char sched_lua_claim[] =
    "local now = tonumber(ARGV[1])\n"
    "local limit = tonumber(ARGV[4])\n"
    "local jobs = ARGV[5] .. 'sched:job:'\n"
    "-- A lease that ran out means its replica died: due again.\n"
    "for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now,\n"
    "    'LIMIT', 0, limit)) do\n"
    "  redis.call('ZREM', KEYS[2], id)\n"
    "  local due = redis.call('HGET', jobs .. id, 'due')\n"
    "  if due then\n"
    "    redis.call('HDEL', jobs .. id, 'lease_owner')\n"
    "    redis.call('ZADD', KEYS[1], due, id)\n"
    "  end\n"
    "end\n"
    "local out = {'', ''}\n"
    "for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now,\n"
    "    'LIMIT', 0, limit)) do\n"
    "  local key = jobs .. id\n"
    "  redis.call('ZREM', KEYS[1], id)\n"
    "  if redis.call('EXISTS', key) == 1 then\n"
    "    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), id)\n"
    "    redis.call('HSET', key, 'lease_owner', ARGV[3])\n"
    "    redis.call('HINCRBY', key, 'attempts', 1)\n"
    "    out[#out + 1] = id\n"
    "    out[#out + 1] = redis.call('HGETALL', key)\n"
    "  end\n"
    "end\n"
    "local nd = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')\n"
    "local nl = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')\n"
    "out[1] = nd[2] or ''\n"
    "out[2] = nl[2] or ''\n"
    "return out\n";

const char sched_lua_confirm[] =
    "if redis.call('HGET', KEYS[3], 'lease_owner') ~= ARGV[2] then\n"
    "  return 0\n"
    "end\n"
    "if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end\n"
    "redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "redis.call('HDEL', KEYS[3], 'lease_owner')\n"
    "if ARGV[3] ~= '' then\n"
    "  redis.call('HSET', KEYS[3], 'due', ARGV[3], 'attempts', 0)\n"
    "  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])\n"
    "else\n"
    "  redis.call('HSET', KEYS[3], 'state', 'fired')\n"
    "  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))\n"
    "  local owner = redis.call('HGET', KEYS[3], 'owner')\n"
    "  if owner then\n"
    "    redis.call('SREM', ARGV[5] .. 'sched:user:' .. owner, ARGV[1])\n"
    "  end\n"
    "end\n"
    "return 1\n";

const char sched_lua_seed[] =
    "if redis.call('HGET', KEYS[3], 'spec') == ARGV[2] then return 0 end\n"
    "if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end\n"
    "redis.call('DEL', KEYS[3])\n"
    "redis.call('HSET', KEYS[3], 'spec', ARGV[2], 'due', ARGV[3],\n"
    "  unpack(ARGV, 5))\n"
    "redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])\n"
    "return 1\n";

const char sched_lua_add[] =
    "local user = ARGV[4] .. 'sched:user:' .. ARGV[1]\n"
    "if redis.call('SCARD', user) >= tonumber(ARGV[3]) then return -1 end\n"
    "local id = redis.call('INCR', KEYS[1])\n"
    "local key = ARGV[4] .. 'sched:job:' .. id\n"
    "redis.call('HSET', key, 'id', id, 'owner', ARGV[1], 'due', ARGV[2],\n"
    "  unpack(ARGV, 5))\n"
    "redis.call('ZADD', KEYS[2], ARGV[2], id)\n"
    "redis.call('SADD', user, id)\n"
    "return id\n";

/* Shared head of delete and snooze: the job must be a reminder, and the
 * caller the one who set it or the one it is for (the snooze button
 * reaches the recipient of "@user" reminders). */
#define SCHED_LUA_OWNED                                                   \
	"local key = ARGV[4] .. 'sched:job:' .. ARGV[1]\n"                \
	"local f = redis.call('HMGET', key, 'owner', 'kind', 'target')\n" \
	"if not f[1] or f[2] ~= 'remind' then return 0 end\n"             \
	"local mine = f[1] == ARGV[2] or f[3] == '@' .. ARGV[2]\n"

const char sched_lua_delete[] = SCHED_LUA_OWNED
    "if not mine and ARGV[3] ~= '1' then return -1 end\n"
    "redis.call('DEL', key)\n"
    "redis.call('ZREM', ARGV[4] .. 'sched:due', ARGV[1])\n"
    "redis.call('ZREM', KEYS[1], ARGV[1])\n"
    "redis.call('SREM', ARGV[4] .. 'sched:user:' .. f[1], ARGV[1])\n"
    "return 1\n";

const char sched_lua_snooze[] = SCHED_LUA_OWNED
    "if not mine then return -1 end\n"
    "if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return -2 end\n"
    "redis.call('PERSIST', key)\n"
    "redis.call('HSET', key, 'due', ARGV[3], 'state', 'pending')\n"
    "redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])\n"
    "redis.call('SADD', ARGV[4] .. 'sched:user:' .. f[1], ARGV[1])\n"
    "return 1\n";

const char sched_lua_list[] =
    "local user = ARGV[2] .. 'sched:user:' .. ARGV[1]\n"
    "local out = {}\n"
    "for _, id in ipairs(redis.call('SMEMBERS', user)) do\n"
    "  local f = redis.call('HMGET', ARGV[2] .. 'sched:job:' .. id, 'due',\n"
    "    'target', 'text', 'rrule', 'tz', 'desc', 'state')\n"
    "  if not f[1] then\n"
    "    redis.call('SREM', user, id)\n"
    "  elseif f[7] ~= 'fired' then\n"
    "    out[#out + 1] = {id, f[1], f[2] or '', f[3] or '', f[4] or '',\n"
    "      f[5] or '', f[6] or ''}\n"
    "  end\n"
    "end\n"
    "return out\n";

/* EVAL with the arguments given as NULL-terminated strings. */
static int
eval(struct store *st, const char *lua, store_cb *cb, void *priv, int nkeys,
    const char **args, int nargs)
{
	const char *argv[32];
	char nk[8];
	int i;

	if (nargs + 3 > (int)(sizeof(argv) / sizeof(argv[0])))
		return -1;
	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[0] = "EVAL";
	argv[1] = lua;
	argv[2] = nk;
	for (i = 0; i < nargs; i++)
		argv[3 + i] = args[i];
	return store_cmdargv(st, cb, priv, 3 + nargs, argv, NULL);
}

static char *
key(struct store *st, const char *family)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s%s", store_prefix(st), family);
	return buf_detach(&b);
}

int
sched_reminder_add(
    struct store *st, const struct sched_reminder *r, store_cb *cb, void *priv)
{
	char due[24], limit[16], created[24];
	char *seq = key(st, "sched:seq"), *dueset = key(st, "sched:due");
	const char *args[32];
	int n = 0, rc;

	snprintf(due, sizeof(due), "%lld", r->due_ms);
	snprintf(limit, sizeof(limit), "%d", LIMIT_REMINDERS_PER_USER);
	snprintf(created, sizeof(created), "%lld", clock_now_ms());
	args[n++] = seq;
	args[n++] = dueset;
	args[n++] = r->owner;
	args[n++] = due;
	args[n++] = limit;
	args[n++] = store_prefix(st);
	args[n++] = "kind";
	args[n++] = "remind";
	args[n++] = "v";
	args[n++] = SCHED_FORMAT_VERSION;
	args[n++] = "target";
	args[n++] = r->target;
	args[n++] = "text";
	args[n++] = r->text;
	args[n++] = "tz";
	args[n++] = r->tz;
	args[n++] = "state";
	args[n++] = "pending";
	args[n++] = "created";
	args[n++] = created;
	if (r->rrule != NULL && r->dtstart != NULL) {
		args[n++] = "rrule";
		args[n++] = r->rrule;
		args[n++] = "dtstart";
		args[n++] = r->dtstart;
	}
	if (r->desc != NULL) {
		args[n++] = "desc";
		args[n++] = r->desc;
	}
	rc = eval(st, sched_lua_add, cb, priv, 2, args, n);
	free(seq);
	free(dueset);
	return rc;
}

int
sched_reminder_list(
    struct store *st, const char *owner, store_cb *cb, void *priv)
{
	const char *args[] = {owner, store_prefix(st)};

	return eval(st, sched_lua_list, cb, priv, 0, args, 2);
}

int
sched_reminder_delete(struct store *st, const char *id, const char *caller,
    int is_admin, store_cb *cb, void *priv)
{
	char *lease = key(st, "sched:lease");
	const char *args[] = {
	    lease, id, caller, is_admin ? "1" : "0", store_prefix(st)};
	int rc = eval(st, sched_lua_delete, cb, priv, 1, args, 5);

	free(lease);
	return rc;
}

int
sched_reminder_snooze(struct store *st, const char *id, const char *caller,
    long long due_ms, store_cb *cb, void *priv)
{
	char *dueset = key(st, "sched:due"), *lease = key(st, "sched:lease");
	char due[24];
	const char *args[6];
	int rc;

	snprintf(due, sizeof(due), "%lld", due_ms);
	args[0] = dueset;
	args[1] = lease;
	args[2] = id;
	args[3] = caller;
	args[4] = due;
	args[5] = store_prefix(st);
	rc = eval(st, sched_lua_snooze, cb, priv, 2, args, 6);
	free(dueset);
	free(lease);
	return rc;
}
