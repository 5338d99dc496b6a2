/*
 * Checklist nudges (SPEC "Checklist templates shipped"): once a working
 * day, at NUDGE_HOUR in the bot's zone, every open checklist item whose
 * due date has passed is sent to its assignee (the brief's owner when it
 * has none), one direct message per person listing all of theirs.
 *
 * The nudge is a recurring scheduler job of kind "nudge", so it fires
 * once across replicas and survives restarts like any other job.  "Never
 * more than once a day" does not rest on the job alone: a job whose
 * schedule changed (a new zone in the configuration) or that was seeded
 * again after Redis lost it could fire a second time on one day.  So the
 * script that collects the items first sets a mark for the day with SET
 * NX, and collects nothing when the mark is already there.  The price:
 * a replica killed between that script and its posts loses that day's
 * nudge; the next working day brings the same items again.
 *
 * Keys (after the prefix; docs/redis-keys.md):
 *   nudge:<YYYY-MM-DD>   string, the day's nudge went out (NUDGE_MARK_TTL_S)
 * and it reads briefs, brief:<slug> (owner) and checklist:<slug>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "clock.h"
#include "handler.h"
#include "limits.h"
#include "log.h"
#include "recur.h"
#include "scheduler.h"

#define NUDGE_JOB_ID "c:nudge"
#define NUDGE_HOUR 9
/* Monday to Friday; the start is any Monday, at NUDGE_HOUR. */
#define NUDGE_RULE "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
#define NUDGE_START "2023-01-02T09:00:00"
/* The day's mark outlives the day in every zone, and then goes. */
#define NUDGE_MARK_TTL_S (3 * 86400)

/*
 * ARGV prefix today ttl max_items.  {0} when today's nudge already went
 * out; else {1, user, {slug, n, text, due, ...}, ...}, users sorted.
 * Dates are YYYY-MM-DD, so "before today" is a string comparison.
 */
static const char nudge_lua[] =
    "local pre, today = ARGV[1], ARGV[2]\n"
    "if not redis.call('SET', pre .. 'nudge:' .. today, '1', 'NX', 'EX',\n"
    "    ARGV[3]) then\n"
    "  return {0}\n"
    "end\n"
    "local by, users, total = {}, {}, 0\n"
    "for _, slug in ipairs(redis.call('ZRANGE', pre .. 'briefs', 0, -1)) do\n"
    "  local h = redis.call('HGETALL', pre .. 'checklist:' .. slug)\n"
    "  local f, owner = {}, nil\n"
    "  for i = 1, #h, 2 do f[h[i]] = h[i + 1] end\n"
    "  for i = 1, tonumber(f['n'] or '0') or 0 do\n"
    "    local due = f[i .. ':due']\n"
    "    if f[i .. ':state'] == 'open' and due and due ~= '' and\n"
    "        due < today and total < tonumber(ARGV[4]) then\n"
    "      local who = f[i .. ':assignee']\n"
    "      if not who or who == '' then\n"
    "        if owner == nil then\n"
    "          owner = redis.call('HGET', pre .. 'brief:' .. slug, 'owner')\n"
    "        end\n"
    "        who = owner\n"
    "      end\n"
    "      if who and who ~= '' then\n"
    "        if not by[who] then\n"
    "          by[who] = {}\n"
    "          users[#users + 1] = who\n"
    "        end\n"
    "        local l = by[who]\n"
    "        l[#l + 1] = slug\n"
    "        l[#l + 1] = tostring(i)\n"
    "        l[#l + 1] = f[i .. ':text'] or ''\n"
    "        l[#l + 1] = due\n"
    "        total = total + 1\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "table.sort(users)\n"
    "local out = {1}\n"
    "for _, u in ipairs(users) do\n"
    "  out[#out + 1] = u\n"
    "  out[#out + 1] = by[u]\n"
    "end\n"
    "return out\n";

/* One nudge job being fired. */
struct nudge {
	struct bot *bot;
	char today[11];
	long long next;
	sched_job_done *done;
	void *token;
};

static const char *
nudge_zone(const struct config *cfg)
{
	if (cfg->timezone != NULL && recur_zone_valid(cfg->timezone))
		return cfg->timezone;
	return "UTC";
}

/* The next working-day nudge strictly after after_ms, or 0. */
static long long
nudge_next(const char *tz, long long after_ms)
{
	long long at;

	if (recur_next(NUDGE_RULE, NUDGE_START, tz, after_ms, &at, 1) != 1)
		return 0;
	return at;
}

static void
seed_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	(void)st;
	(void)priv;
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		log_warn("nudge: cannot schedule the checklist nudge: %s",
		    r ? r->str : err);
}

void
nudge_jobs_seed(struct bot *bot)
{
	const char *tz = nudge_zone(&bot->cfg), *pre, *argv[12];
	struct buf kdue = BUF_INIT, klease = BUF_INIT, kjob = BUF_INIT;
	struct buf spec = BUF_INIT;
	long long at;
	char due[24];

	if (bot->store == NULL)
		return;
	at = nudge_next(tz, clock_now_ms());
	if (at <= 0) {
		log_warn("nudge: no working day ahead in zone %s", tz);
		return;
	}
	pre = store_prefix(bot->store);
	buf_printf(&kdue, "%ssched:due", pre);
	buf_printf(&klease, "%ssched:lease", pre);
	buf_printf(&kjob, "%ssched:job:%s", pre, NUDGE_JOB_ID);
	/* The schedule: a change of zone or hour moves the job. */
	buf_printf(&spec, "%s|%02d:00|%s|%s", NUDGE_RULE, NUDGE_HOUR, tz,
	    SCHED_FORMAT_VERSION);
	snprintf(due, sizeof(due), "%lld", at);
	argv[0] = "EVAL";
	argv[1] = sched_lua_seed;
	argv[2] = "3";
	argv[3] = buf_str(&kdue);
	argv[4] = buf_str(&klease);
	argv[5] = buf_str(&kjob);
	argv[6] = NUDGE_JOB_ID;
	argv[7] = buf_str(&spec);
	argv[8] = due;
	argv[9] = pre;
	argv[10] = "kind";
	argv[11] = "nudge";
	if (store_cmdargv(bot->store, seed_done, NULL, 12, argv, NULL) < 0)
		log_warn("nudge: store down; the checklist nudge is seeded "
			 "later");
	buf_free(&kdue);
	buf_free(&klease);
	buf_free(&kjob);
	buf_free(&spec);
}

static const char *
str_at(const redisReply *r, size_t i)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
	    r->element[i]->type != REDIS_REPLY_STRING)
		return "";
	return r->element[i]->str;
}

/* One person's direct message: every item of theirs, then how to clear
 * them. */
static void
nudge_send(struct nudge *n, const char *user, const redisReply *items)
{
	struct message *m = message_new();
	struct buf to = BUF_INIT, key = BUF_INIT;
	struct post p;
	size_t i, count = items->elements / 4;

	message_printf(m,
	    "**Checklist item%s past due** (%zu):", count == 1 ? "" : "s",
	    count);
	for (i = 0; i + 3 < items->elements; i += 4)
		message_printf(m, "\n• `%s` #%s %s: due %s", str_at(items, i),
		    str_at(items, i + 1), str_at(items, i + 2),
		    str_at(items, i + 3));
	message_printf(m,
	    "\nTick one with `/checklist <slug> done <n>`, or give it a "
	    "new date with `/checklist <slug> due <n> <date>`.");
	buf_printf(&to, "@%s", user);
	/* The outbox delivers one post per key: a second firing that got
	 * past the day's mark still posts nothing twice. */
	buf_printf(&key, "%s:%s:%s", NUDGE_JOB_ID, n->today, user);
	memset(&p, 0, sizeof(p));
	p.channel = buf_str(&to);
	p.msg = m;
	p.dedup_key = buf_str(&key);
	if (bot_post(n->bot, &p) < 0)
		log_warn("nudge: could not tell %s", buf_str(&to));
	message_free(m);
	buf_free(&to);
	buf_free(&key);
}

static void
nudge_finish(struct nudge *n)
{
	n->done(n->token, n->next);
	free(n);
}

static void
nudge_listed(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct nudge *n = priv;
	size_t i, people = 0;

	(void)st;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		log_warn("nudge: cannot read the checklists: %s",
		    r && r->type == REDIS_REPLY_ERROR ? r->str
		    : err                             ? err
						      : "bad reply");
		nudge_finish(n);
		return;
	}
	if (r->element[0]->integer == 0) {
		log_info("nudge: checklist items were already nudged on %s",
		    n->today);
		nudge_finish(n);
		return;
	}
	for (i = 1; i + 1 < r->elements; i += 2) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    r->element[i + 1]->type != REDIS_REPLY_ARRAY)
			continue;
		nudge_send(n, r->element[i]->str, r->element[i + 1]);
		people++;
	}
	log_info("nudge: %zu %s nudged about checklist items past due on %s",
	    people, people == 1 ? "person" : "people", n->today);
	nudge_finish(n);
}

void
nudge_job_fire(struct bot *bot, const struct sched_job *job,
    sched_job_done *done, void *token)
{
	struct nudge *n = xcalloc(1, sizeof(*n));
	const char *tz = nudge_zone(&bot->cfg);
	long long now = clock_now_ms();
	struct recur_local l;
	char ttl[16], max[16];

	n->bot = bot;
	n->done = done;
	n->token = token;
	n->next = nudge_next(tz, now > job->due ? now : job->due);
	/* A nudge is about today: one beyond the horizon, or one that
	 * comes late into a weekend, waits for the next working day. */
	if (job->missed || bot->store == NULL ||
	    recur_to_local(tz, now, &l, NULL, 0) < 0 || l.wday == 0 ||
	    l.wday == 6) {
		nudge_finish(n);
		return;
	}
	snprintf(n->today, sizeof(n->today), "%04d-%02d-%02d", l.year, l.month,
	    l.day);
	snprintf(ttl, sizeof(ttl), "%d", NUDGE_MARK_TTL_S);
	snprintf(max, sizeof(max), "%d", LIMIT_NUDGE_ITEMS);
	if (store_cmd(bot->store, nudge_listed, n, "EVAL %s 0 %s %s %s %s",
		nudge_lua, store_prefix(bot->store), n->today, ttl, max) < 0) {
		log_warn("nudge: store down; checklist items not nudged");
		nudge_finish(n);
	}
}
