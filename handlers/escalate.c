/*
 * /escalate: a Twitter question marketing needs a PM to answer.  The bot
 * names the owner of the product area the text matches, else the PM on
 * Twitter duty, and makes sure somebody answers: unacknowledged after
 * the rotation's ack time it pings again; after the escalation time it
 * names the next PM in the rotation and tells the announce channel.  The
 * timers are scheduler jobs (they survive restarts and fire once across
 * replicas); an acknowledgement drops them, and a timer that fires anyway
 * finds the escalation answered and posts nothing, because every state
 * change is a script that checks the state it expects.
 *
 * Keys (after the prefix; docs/rotations.md):
 *   esc:seq            counter of ids
 *   esc:<id>           hash: id text by channel thread assignee area round
 *                      state (open|acked) created acked_by acked_at
 *                      escalations outcome v
 *   esc:open           zset: id -> created (ms)
 *   esc:all            zset: id -> created (ms)
 *   esc:thread:<root>  the id of the escalation started in that thread
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr */
#endif
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "handler.h"
#include "limits.h"
#include "log.h"
#include "recur.h"
#include "rotation.h"
#include "scheduler.h"

#define ESC_FORMAT_VERSION "1"

static const char create_lua[] =
    "local id = redis.call('INCR', ARGV[1] .. 'esc:seq')\n"
    "local key = ARGV[1] .. 'esc:' .. id\n"
    "redis.call('HSET', key, 'id', id, 'text', ARGV[2], 'by', ARGV[3],\n"
    "  'channel', ARGV[4], 'thread', ARGV[5], 'assignee', ARGV[6],\n"
    "  'area', ARGV[7], 'round', 0, 'state', 'open', 'created', ARGV[8],\n"
    "  'escalations', 0, 'outcome', 'open', 'v', ARGV[9])\n"
    "redis.call('ZADD', ARGV[1] .. 'esc:open', ARGV[8], id)\n"
    "redis.call('ZADD', ARGV[1] .. 'esc:all', ARGV[8], id)\n"
    "if ARGV[5] ~= '' then\n"
    "  redis.call('SET', ARGV[1] .. 'esc:thread:' .. ARGV[5], id)\n"
    "end\n"
    "return id\n";

/* ARGV prefix, id, user, now, thread.  {1, id, assignee, created, round}
 * acknowledged; {2, id, acked_by} already; {0} no such escalation. */
static const char ack_lua[] =
    "local id = ARGV[2]\n"
    "if id == '' and ARGV[5] ~= '' then\n"
    "  id = redis.call('GET', ARGV[1] .. 'esc:thread:' .. ARGV[5])\n"
    "  if not id then return {0} end\n"
    "end\n"
    "local key = ARGV[1] .. 'esc:' .. id\n"
    "local f = redis.call('HMGET', key, 'state', 'assignee', 'created',\n"
    "  'round', 'acked_by')\n"
    "if not f[1] then return {0} end\n"
    "if f[1] ~= 'open' then return {2, id, f[5] or ''} end\n"
    "redis.call('HSET', key, 'state', 'acked', 'acked_by', ARGV[3],\n"
    "  'acked_at', ARGV[4], 'outcome', 'acknowledged by ' .. ARGV[3])\n"
    "redis.call('ZREM', ARGV[1] .. 'esc:open', id)\n"
    "return {1, id, f[2], f[3], f[4]}\n";

/* ARGV prefix, id, round: the fields when still open in that round. */
static const char timer_lua[] =
    "local key = ARGV[1] .. 'esc:' .. ARGV[2]\n"
    "local f = redis.call('HMGET', key, 'state', 'round', 'assignee',\n"
    "  'channel', 'thread', 'text', 'created')\n"
    "if f[1] ~= 'open' or f[2] ~= ARGV[3] then return {} end\n"
    "return {f[3], f[4] or '', f[5] or '', f[6] or '', f[7] or '0'}\n";

/* ARGV prefix, id, round, old, new, now: 1 when moved to new. */
static const char escalate_lua[] =
    "local key = ARGV[1] .. 'esc:' .. ARGV[2]\n"
    "local f = redis.call('HMGET', key, 'state', 'round', 'assignee')\n"
    "if f[1] ~= 'open' or f[2] ~= ARGV[3] or f[3] ~= ARGV[4] then\n"
    "  return 0\n"
    "end\n"
    "redis.call('HSET', key, 'assignee', ARGV[5], 'round',\n"
    "  tonumber(ARGV[3]) + 1, 'escalated_at', ARGV[6], 'outcome',\n"
    "  'escalated to ' .. ARGV[5])\n"
    "redis.call('HINCRBY', key, 'escalations', 1)\n"
    "return 1\n";

/* ARGV prefix, which (open|all), limit: {id, fields...} newest first. */
static const char list_lua[] =
    "local ids = redis.call('ZREVRANGE', ARGV[1] .. 'esc:' .. ARGV[2], 0,\n"
    "  tonumber(ARGV[3]) - 1)\n"
    "local out = {}\n"
    "for _, id in ipairs(ids) do\n"
    "  local f = redis.call('HMGET', ARGV[1] .. 'esc:' .. id, 'assignee',\n"
    "    'created', 'text', 'outcome', 'by', 'escalations')\n"
    "  out[#out + 1] = {id, f[1] or '', f[2] or '0', f[3] or '',\n"
    "    f[4] or '', f[5] or '', f[6] or '0'}\n"
    "end\n"
    "return out\n";

static const struct rotation_conf *
twitter_conf(const struct config *cfg)
{
	return config_rotation(cfg, "twitter");
}

/* Whether keyword occurs in text as whole words, ignoring case. */
static int
has_word(const char *text, const char *kw)
{
	size_t n = strlen(kw);
	const char *p;

	if (n == 0)
		return 0;
	for (p = text; (p = strcasestr(p, kw)) != NULL; p++) {
		int before = p == text || !isalnum((unsigned char)p[-1]);
		int after = !isalnum((unsigned char)p[n]);

		if (before && after)
			return 1;
	}
	return 0;
}

static const struct area *
area_for(const struct config *cfg, const char *text)
{
	size_t i, j;

	for (i = 0; i < cfg->nareas; i++) {
		const struct area *a = &cfg->areas[i];

		if (has_word(text, a->name))
			return a;
		for (j = 0; j < a->keywords.n; j++)
			if (has_word(text, a->keywords.v[j]))
				return a;
	}
	return NULL;
}

int
escalate_wants_message(
    const struct config *cfg, const char *channel, const char *text)
{
	const char *tw = config_channel(cfg, "twitter");
	struct buf b = BUF_INIT;
	int yes = 0;

	if (tw == NULL || channel == NULL || text == NULL ||
	    strcasecmp(tw, channel) != 0)
		return 0;
	if (cfg->pm_group != NULL) {
		buf_printf(&b, "@%s", cfg->pm_group);
		yes = has_word(text, buf_str(&b));
	}
	buf_reset(&b);
	buf_printf(&b, "@%s", cfg->bot_name ? cfg->bot_name : "pmbot");
	yes = yes || has_word(text, buf_str(&b));
	buf_free(&b);
	return yes;
}

/* "45 s", "30 min", "2 h 5 min": how long, for people. */
static void
span(struct buf *b, long secs)
{
	if (secs < 60)
		buf_printf(b, "%ld s", secs < 0 ? 0 : secs);
	else if (secs < 3600 || secs % 3600 == 0 || secs > 86400)
		buf_printf(b, secs < 3600 ? "%ld min" : "%ld h",
		    secs < 3600 ? secs / 60 : secs / 3600);
	else
		buf_printf(b, "%ld h %ld min", secs / 3600, secs % 3600 / 60);
}

static char *
id_job(const char *id, const char *what, const char *round)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "e:%s:%s:%s", id, what, round);
	return buf_detach(&b);
}

/* Starts the two timers of one round for escalation id. */
static void
arm_round(struct request *req, const char *id, int round, long long from)
{
	const struct rotation_conf *rc = twitter_conf(req->cfg);
	char r[16], *ping, *up;
	long ack = rc ? rc->ack_s : 1800, esc = rc ? rc->escalate_s : 3600;

	snprintf(r, sizeof(r), "%d", round);
	ping = id_job(id, "ping", r);
	up = id_job(id, "up", r);
	duty_job_put(req, ping, from + ack * 1000LL, ping, "what", "esc-ping",
	    "esc", id, "round", r, NULL);
	duty_job_put(req, up, from + esc * 1000LL, up, "what", "esc-up", "esc",
	    id, "round", r, NULL);
	free(ping);
	free(up);
}

static void
ack_button(struct message *m, const char *id)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "escalate ack %s", id);
	message_button(m, "Acknowledge", buf_str(&b), 1);
	buf_free(&b);
}

static void
dm(struct request *req, const char *user, const struct message *m)
{
	struct buf ch = BUF_INIT;

	buf_printf(&ch, "@%s", user);
	if (duty_post(req, buf_str(&ch), NULL, m) < 0)
		log_warn("escalate: could not tell %s", buf_str(&ch));
	buf_free(&ch);
}

/* --- /escalate <text> ---------------------------------------------------- */

struct create {
	char *text;
	char *assignee;
	char *area;
	long long now;
};

static void
create_free(struct create *c)
{
	free(c->text);
	free(c->assignee);
	free(c->area);
	free(c);
}

static void
created(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct create *c = req->hdata;
	struct message *m;
	char id[24];

	(void)st;
	req->hdata = NULL;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		if (r == NULL)
			reply_store_down(req);
		else
			reply_error(req,
			    "the state store refused the "
			    "escalation: %s",
			    r->type == REDIS_REPLY_ERROR ? r->str : err);
		create_free(c);
		request_done(req, CMD_ERROR);
		return;
	}
	snprintf(id, sizeof(id), "%lld", r->integer);
	m = message_new();
	if (c->area != NULL)
		message_printf(m,
		    "Escalation #%s for @%s (owner of %s): \"%s\". Please "
		    "answer and acknowledge: reply in this thread or press "
		    "the button (`/escalate ack %s`).",
		    id, c->assignee, c->area, c->text, id);
	else
		message_printf(m,
		    "Escalation #%s for @%s (on Twitter duty): \"%s\". Please "
		    "answer and acknowledge: reply in this thread or press "
		    "the button (`/escalate ack %s`).",
		    id, c->assignee, c->text, id);
	ack_button(m, id);
	reply_message(req, m, 0);
	dm(req, c->assignee, m);
	message_free(m);
	arm_round(req, id, 0, c->now);
	log_info("escalate: #%s from %s to %s", id, req->user, c->assignee);
	create_free(c);
	request_done(req, CMD_OK);
}

static void
create_loaded(
    struct request *req, struct duty_rot *r, const char *rev, const char *err)
{
	struct create *c = req->hdata;
	const struct area *a = area_for(req->cfg, c->text);
	const char *onduty = r ? duty_at(r, c->now, NULL) : NULL;
	const char *tw = config_channel(req->cfg, "twitter");
	char now[24];
	const char *argv[12];

	(void)rev;
	if (a != NULL && a->owner != NULL) {
		c->assignee = xstrdup(a->owner);
		c->area = xstrdup(a->name);
	} else if (onduty != NULL) {
		c->assignee = xstrdup(onduty);
	} else {
		req->hdata = NULL;
		reply_error(req, "nobody to escalate to: %s",
		    err ? err : "the Twitter rotation has no members");
		create_free(c);
		request_done(req, CMD_ERROR);
		return;
	}
	snprintf(now, sizeof(now), "%lld", c->now);
	argv[0] = "EVAL";
	argv[1] = create_lua;
	argv[2] = "0";
	argv[3] = store_prefix(req->store);
	argv[4] = c->text;
	argv[5] = req->user;
	argv[6] = req->channel ? req->channel : (tw ? tw : "twitter");
	argv[7] = req->thread ? req->thread : "";
	argv[8] = c->assignee;
	argv[9] = c->area ? c->area : "";
	argv[10] = now;
	argv[11] = ESC_FORMAT_VERSION;
	if (store_cmdargv(req->store, created, req, 12, argv, NULL) < 0) {
		req->hdata = NULL;
		reply_store_down(req);
		create_free(c);
		request_done(req, CMD_ERROR);
	}
}

static enum cmd_retval
escalate_exec(struct request *req)
{
	const struct rotation_conf *rc = twitter_conf(req->cfg);
	struct create *c;
	struct buf text = BUF_INIT;
	int i;

	if (req->nargs == 0)
		return reply_usage(req, "what should a PM answer?");
	if (rc == NULL)
		return reply_error(req, "no Twitter rotation is configured "
					"(rotations.twitter)");
	for (i = 0; i < req->nargs; i++)
		buf_printf(&text, "%s%s", i ? " " : "", req->args[i]);
	if (text.len > LIMIT_ESCALATION_TEXT) {
		buf_free(&text);
		return reply_usage(req,
		    "the question is too long (at most %d "
		    "bytes)",
		    LIMIT_ESCALATION_TEXT);
	}
	c = xcalloc(1, sizeof(*c));
	c->text = buf_detach(&text);
	c->now = clock_now_ms();
	req->hdata = c;
	if (rotation_load(req, rc, create_loaded) < 0) {
		req->hdata = NULL;
		create_free(c);
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

/* --- /escalate ack ------------------------------------------------------- */

static void
acked(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	int quiet = req->hdata != NULL;
	char *ping, *up;
	struct buf b;

	(void)st;
	req->hdata = NULL;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
		if (r == NULL)
			reply_store_down(req);
		else
			reply_error(req,
			    "the state store gave an unexpected "
			    "answer: %s",
			    r->type == REDIS_REPLY_ERROR ? r->str : err);
		request_done(req, CMD_ERROR);
		return;
	}
	if (r->element[0]->integer == 0) {
		if (quiet) {
			request_done(req, CMD_OK);
			return;
		}
		reply_usage(req,
		    "no escalation \"%s\"; `/escalate list` shows "
		    "the open ones",
		    req->nargs > 0 ? req->args[0] : "");
		request_done(req, CMD_ERROR);
		return;
	}
	if (r->element[0]->integer == 2) {
		if (!quiet)
			reply_private(req,
			    "escalation #%s was already acknowledged by @%s",
			    r->element[1]->str, r->element[2]->str);
		request_done(req, CMD_OK);
		return;
	}
	ping = id_job(r->element[1]->str, "ping", r->element[4]->str);
	up = id_job(r->element[1]->str, "up", r->element[4]->str);
	duty_job_drop(req, ping);
	duty_job_drop(req, up);
	free(ping);
	free(up);
	buf_init(&b, 0);
	span(&b,
	    (long)((clock_now_ms() - strtoll(r->element[3]->str, NULL, 10)) /
		   1000));
	reply(req, "Escalation #%s acknowledged by @%s after %s.",
	    r->element[1]->str, req->user, buf_str(&b));
	buf_free(&b);
	log_info(
	    "escalate: #%s acknowledged by %s", r->element[1]->str, req->user);
	request_done(req, CMD_OK);
}

static enum cmd_retval
escalate_ack(struct request *req)
{
	char now[24];
	const char *argv[8];
	long id;

	if (req->nargs == 0 && req->thread == NULL)
		return reply_usage(req, "which escalation? give its number");
	if (req->nargs > 0 &&
	    !arg_int_or_reply(req, req->args[0], 1, 1000000000L, &id))
		return CMD_ERROR;
	if (!config_is_pm(req->cfg, req->user) &&
	    !config_is_admin(req->cfg, req->user)) {
		if (req->nargs == 0)
			return CMD_OK; /* a reply in the thread by anyone */
		return reply_error(req, "permission denied: a PM acknowledges "
					"an escalation");
	}
	snprintf(now, sizeof(now), "%lld", clock_now_ms());
	argv[0] = "EVAL";
	argv[1] = ack_lua;
	argv[2] = "0";
	argv[3] = store_prefix(req->store);
	argv[4] = req->nargs > 0 ? req->args[0] : "";
	argv[5] = req->user;
	argv[6] = now;
	argv[7] = req->thread ? req->thread : "";
	/* Without a number it came from a reply in a thread: quiet. */
	req->hdata = req->nargs == 0 ? (void *)req : NULL;
	if (store_cmdargv(req->store, acked, req, 8, argv, NULL) < 0) {
		req->hdata = NULL;
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

/* --- /escalate list ------------------------------------------------------ */

static void
listed(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	int all = req->hdata != NULL;
	const char *tz = req->tz ? req->tz : req->cfg->timezone;
	struct message *m;
	size_t i;

	(void)st;
	(void)err;
	req->hdata = NULL;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r == NULL)
			reply_store_down(req);
		else
			reply_error(req, "the state store gave an unexpected "
					 "answer");
		request_done(req, CMD_ERROR);
		return;
	}
	m = message_new();
	if (r->elements == 0)
		message_printf(
		    m, all ? "No escalations yet." : "No open escalations.");
	else
		message_printf(m, all ? "**Escalations** (newest first):"
				      : "**Open escalations:**");
	for (i = 0; i < r->elements; i++) {
		redisReply *e = r->element[i];

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 7)
			continue;
		message_printf(m, "\n- #%s for @%s since ", e->element[0]->str,
		    e->element[1]->str);
		recur_format(&m->text, tz ? tz : "UTC",
		    strtoll(e->element[2]->str, NULL, 10), 1);
		message_printf(m, " from @%s: \"%s\" (%s", e->element[5]->str,
		    e->element[3]->str, e->element[4]->str);
		if (strcmp(e->element[6]->str, "0") != 0)
			message_printf(
			    m, ", escalated %s×", e->element[6]->str);
		message_printf(m, ")");
	}
	reply_message(req, m, 1);
	message_free(m);
	request_done(req, CMD_OK);
}

static enum cmd_retval
escalate_list(struct request *req)
{
	const char *argv[7];
	char lim[8];
	int all = req->nargs > 0 && strcasecmp(req->args[0], "all") == 0;

	if (req->nargs > 0 && !all)
		return reply_usage(req, "unknown option \"%s\"", req->args[0]);
	snprintf(lim, sizeof(lim), "%d", LIMIT_DUTY_LIST);
	argv[0] = "EVAL";
	argv[1] = list_lua;
	argv[2] = "0";
	argv[3] = store_prefix(req->store);
	argv[4] = all ? "all" : "open";
	argv[5] = lim;
	req->hdata = all ? (void *)req : NULL;
	if (store_cmdargv(req->store, listed, req, 6, argv, NULL) < 0) {
		req->hdata = NULL;
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

/* --- timers -------------------------------------------------------------- */

struct timer {
	struct request *req;
	char *what, *id, *round;
	char *assignee, *channel, *thread, *text;
	long long created;
	char *next;
	sched_job_done *done;
	void *token;
};

static void
timer_free(struct timer *t, enum cmd_retval rv)
{
	t->done(t->token, 0);
	request_done(t->req, rv);
	free(t->what);
	free(t->id);
	free(t->round);
	free(t->assignee);
	free(t->channel);
	free(t->thread);
	free(t->text);
	free(t->next);
	free(t);
}

static const char *
kv(const struct sched_job *job, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < job->nkv; i += 2)
		if (strcmp(job->kv[i], name) == 0)
			return job->kv[i + 1];
	return NULL;
}

static void
post_thread(struct timer *t, const struct message *m)
{
	if (duty_post(t->req, t->channel, *t->thread ? t->thread : NULL, m) < 0)
		log_warn(
		    "escalate: #%s: could not post to %s", t->id, t->channel);
}

static void
moved(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct timer *t = priv;
	const struct rotation_conf *rc = twitter_conf(t->req->cfg);
	const char *ann = config_channel(t->req->cfg, "announce");
	struct message *m;
	long secs = rc ? rc->escalate_s : 3600;
	int round;

	(void)st;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer != 1) {
		if (r == NULL || r->type == REDIS_REPLY_ERROR)
			log_warn("escalate: #%s not escalated: %s", t->id,
			    r ? r->str : err);
		timer_free(t, CMD_OK);
		return;
	}
	m = message_new();
	message_printf(m, "Escalation #%s was not acknowledged by @%s within ",
	    t->id, t->assignee);
	span(&m->text, secs);
	message_printf(m, "; @%s, over to you: \"%s\"", t->next, t->text);
	ack_button(m, t->id);
	post_thread(t, m);
	dm(t->req, t->next, m);
	if (t->req->cfg->ch_announce != NULL &&
	    duty_post(t->req, ann, NULL, m) < 0)
		log_warn("escalate: #%s: could not tell %s", t->id, ann);
	message_free(m);
	round = atoi(t->round) + 1;
	log_info("escalate: #%s escalated from %s to %s", t->id, t->assignee,
	    t->next);
	if (round < LIMIT_ESCALATION_ROUNDS)
		arm_round(t->req, t->id, round, clock_now_ms());
	timer_free(t, CMD_OK);
}

static void
next_loaded(
    struct request *req, struct duty_rot *r, const char *rev, const char *err)
{
	struct timer *t = req->hdata;
	const char *next =
	    r ? duty_next_after(r, t->assignee, clock_now_ms()) : NULL;
	char now[24];
	const char *argv[9];

	(void)rev;
	req->hdata = NULL;
	if (next == NULL || strcmp(next, t->assignee) == 0) {
		log_warn("escalate: #%s: nobody to escalate to after %s%s%s",
		    t->id, t->assignee, err ? ": " : "", err ? err : "");
		timer_free(t, CMD_OK);
		return;
	}
	t->next = xstrdup(next);
	snprintf(now, sizeof(now), "%lld", clock_now_ms());
	argv[0] = "EVAL";
	argv[1] = escalate_lua;
	argv[2] = "0";
	argv[3] = store_prefix(req->store);
	argv[4] = t->id;
	argv[5] = t->round;
	argv[6] = t->assignee;
	argv[7] = t->next;
	argv[8] = now;
	if (store_cmdargv(req->store, moved, t, 9, argv, NULL) < 0)
		timer_free(t, CMD_ERROR);
}

static void
timer_state(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct timer *t = priv;
	struct message *m;

	(void)st;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		log_warn("escalate: #%s timer: %s", t->id,
		    r && r->type == REDIS_REPLY_ERROR ? r->str : err);
		timer_free(t, CMD_ERROR);
		return;
	}
	if (r->elements < 5) {
		/* Acknowledged, or moved on: nothing to do. */
		timer_free(t, CMD_OK);
		return;
	}
	t->assignee = xstrdup(r->element[0]->str);
	t->channel = xstrdup(r->element[1]->str);
	t->thread = xstrdup(r->element[2]->str);
	t->text = xstrdup(r->element[3]->str);
	t->created = strtoll(r->element[4]->str, NULL, 10);
	if (strcmp(t->what, "esc-ping") == 0) {
		m = message_new();
		message_printf(m,
		    "@%s, escalation #%s still needs an answer: \"%s\". "
		    "Acknowledge with the button or `/escalate ack %s`.",
		    t->assignee, t->id, t->text, t->id);
		ack_button(m, t->id);
		post_thread(t, m);
		dm(t->req, t->assignee, m);
		message_free(m);
		timer_free(t, CMD_OK);
		return;
	}
	t->req->hdata = t;
	if (twitter_conf(t->req->cfg) == NULL ||
	    rotation_load(t->req, twitter_conf(t->req->cfg), next_loaded) < 0) {
		t->req->hdata = NULL;
		timer_free(t, CMD_ERROR);
	}
}

void
escalate_job_fire(struct request *req, const char *what,
    const struct sched_job *job, sched_job_done *done, void *token)
{
	struct timer *t = xcalloc(1, sizeof(*t));
	const char *argv[7];

	t->req = req;
	t->done = done;
	t->token = token;
	t->what = xstrdup(what);
	t->id = xstrdup(kv(job, "esc") ? kv(job, "esc") : "0");
	t->round = xstrdup(kv(job, "round") ? kv(job, "round") : "0");
	argv[0] = "EVAL";
	argv[1] = timer_lua;
	argv[2] = "0";
	argv[3] = store_prefix(req->store);
	argv[4] = t->id;
	argv[5] = t->round;
	if (store_cmdargv(req->store, timer_state, t, 6, argv, NULL) < 0)
		timer_free(t, CMD_ERROR);
}

/* --- the handoff's summary ----------------------------------------------- */

struct summary {
	struct request *req;
	duty_summary_fn *cb;
	void *priv;
};

static void
summary_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct summary *s = priv;
	struct buf b = BUF_INIT;
	size_t i;

	(void)st;
	(void)err;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		s->cb(s->req, NULL, s->priv);
		free(s);
		return;
	}
	if (r->elements == 0)
		buf_puts(&b, "No open escalations.");
	else
		buf_printf(&b, "%zu open escalation%s:", r->elements,
		    r->elements == 1 ? "" : "s");
	for (i = 0; i < r->elements && i < 10; i++)
		buf_printf(&b, " #%s", r->element[i]->str);
	s->cb(s->req, buf_str(&b), s->priv);
	buf_free(&b);
	free(s);
}

int
escalate_summary(struct request *req, duty_summary_fn *cb, void *priv)
{
	struct summary *s = xcalloc(1, sizeof(*s));

	s->req = req;
	s->cb = cb;
	s->priv = priv;
	if (store_cmd(req->store, summary_done, s, "ZRANGE %sesc:open 0 -1",
		store_prefix(req->store)) < 0) {
		free(s);
		return -1;
	}
	return 0;
}

static const struct cmd_entry escalate_subs[] = {
    {
	.name = "ack",
	.usage = "escalate ack <id>",
	.summary = "acknowledge an escalation (PMs)",
	.args_min = 0,
	.args_max = 1,
	.perm = PERM_ANYONE,
	.exec = escalate_ack,
    },
    {
	.name = "list",
	.usage = "escalate list [all]",
	.summary = "open escalations, or all with their outcome",
	.args_min = 0,
	.args_max = 1,
	.perm = PERM_ANYONE,
	.exec = escalate_list,
    },
    {.name = NULL},
};

const struct cmd_entry cmd_escalate_entry = {
    .name = "escalate",
    .usage = "escalate <text> | escalate ack <id> | escalate list [all]",
    .summary = "ask the PM team to answer a Twitter question",
    .examples = "/escalate Is dark mode coming to the Android app?\n"
		"/escalate ack 12\n"
		"/escalate list",
    .args_min = 0,
    .args_max = -1,
    .perm = PERM_MARKETING,
    .subs = escalate_subs,
    .exec = escalate_exec,
};
