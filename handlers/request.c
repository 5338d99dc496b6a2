/*
 * /request: the customer-request triage queue.  Anyone files a request;
 * a PM assigns it; the assignee (or an admin) marks it Processed and the
 * reporter is told by DM.  Before the meeting the triage rotation is
 * tied to (the day before at 16:00 and two hours before) the PM on duty
 * gets the requests still unassigned: scheduler jobs, re-armed for the
 * next occurrence each time they fire.
 *
 * Keys (after the prefix; docs/rotations.md):
 *   req:seq          counter of ids
 *   req:<id>         hash: id customer text reporter created state
 *                    (open|processed) assignee assigned_by assigned_at
 *                    done_by done_at v
 *   req:open         zset: id -> created (ms)
 *   req:unassigned   zset: id -> created (ms)
 */
#include <stdarg.h>
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

#define REQ_FORMAT_VERSION "1"
/* The meeting a triage rotation is tied to when none is configured. */
#define TRIAGE_DEFAULT_MEETING "pm-weekly-sync"

static const char add_lua[] =
    "local id = redis.call('INCR', ARGV[1] .. 'req:seq')\n"
    "redis.call('HSET', ARGV[1] .. 'req:' .. id, 'id', id, 'customer',\n"
    "  ARGV[2], 'text', ARGV[3], 'reporter', ARGV[4], 'created', ARGV[5],\n"
    "  'state', 'open', 'assignee', '', 'v', ARGV[6])\n"
    "redis.call('ZADD', ARGV[1] .. 'req:open', ARGV[5], id)\n"
    "redis.call('ZADD', ARGV[1] .. 'req:unassigned', ARGV[5], id)\n"
    "return {id, redis.call('ZCARD', ARGV[1] .. 'req:unassigned')}\n";

/* ARGV prefix id pm by now: {0} unknown, {2} processed,
 * {1, reporter, customer, text, previous assignee}. */
static const char assign_lua[] =
    "local key = ARGV[1] .. 'req:' .. ARGV[2]\n"
    "local f = redis.call('HMGET', key, 'state', 'reporter', 'customer',\n"
    "  'text', 'assignee')\n"
    "if not f[1] then return {0} end\n"
    "if f[1] ~= 'open' then return {2} end\n"
    "redis.call('HSET', key, 'assignee', ARGV[3], 'assigned_by', ARGV[4],\n"
    "  'assigned_at', ARGV[5])\n"
    "redis.call('ZREM', ARGV[1] .. 'req:unassigned', ARGV[2])\n"
    "return {1, f[2], f[3], f[4], f[5] or ''}\n";

/* ARGV prefix id caller is_admin now: {0} unknown, {2} already,
 * {-1, assignee} not the caller's, {1, reporter, customer, text}. */
static const char done_lua[] =
    "local key = ARGV[1] .. 'req:' .. ARGV[2]\n"
    "local f = redis.call('HMGET', key, 'state', 'reporter', 'customer',\n"
    "  'text', 'assignee')\n"
    "if not f[1] then return {0} end\n"
    "if f[1] ~= 'open' then return {2} end\n"
    "if ARGV[4] ~= '1' and f[5] ~= '' and f[5] ~= ARGV[3] then\n"
    "  return {-1, f[5]}\n"
    "end\n"
    "redis.call('HSET', key, 'state', 'processed', 'done_by', ARGV[3],\n"
    "  'done_at', ARGV[5])\n"
    "redis.call('ZREM', ARGV[1] .. 'req:open', ARGV[2])\n"
    "redis.call('ZREM', ARGV[1] .. 'req:unassigned', ARGV[2])\n"
    "return {1, f[2], f[3], f[4]}\n";

/* ARGV prefix which limit: {{id customer text reporter assignee}...}. */
static const char list_lua[] =
    "local out = {}\n"
    "for _, id in ipairs(redis.call('ZRANGE', ARGV[1] .. 'req:' ..\n"
    "    ARGV[2], 0, tonumber(ARGV[3]) - 1)) do\n"
    "  local f = redis.call('HMGET', ARGV[1] .. 'req:' .. id, 'customer',\n"
    "    'text', 'reporter', 'assignee')\n"
    "  out[#out + 1] = {id, f[1] or '', f[2] or '', f[3] or '',\n"
    "    f[4] or ''}\n"
    "end\n"
    "return {redis.call('ZCARD', ARGV[1] .. 'req:' .. ARGV[2]), out}\n";

static int
failed_or_reply(struct request *req, redisReply *r, const char *err)
{
	if (r == NULL) {
		reply_store_down(req);
		request_done(req, CMD_ERROR);
		return 1;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
		reply_error(req,
		    "the state store gave an unexpected answer: %s",
		    r->type == REDIS_REPLY_ERROR ? r->str : (err ? err : "?"));
		request_done(req, CMD_ERROR);
		return 1;
	}
	return 0;
}

static void tell(struct request *req, const char *user, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tell(struct request *req, const char *user, const char *fmt, ...)
{
	struct message *m = message_new();
	struct buf ch = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&m->text, fmt, ap);
	va_end(ap);
	buf_printf(&ch, "@%s", user);
	if (request_post(req, buf_str(&ch), m) < 0)
		log_warn("request: could not tell %s", buf_str(&ch));
	buf_free(&ch);
	message_free(m);
}

/* --- add ----------------------------------------------------------------- */

static void
added(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;

	(void)st;
	if (failed_or_reply(req, r, err))
		return;
	reply(req,
	    "Request #%lld for %s filed; %lld unassigned in the triage "
	    "queue.",
	    r->element[0]->integer, req->args[0], r->element[1]->integer);
	request_done(req, CMD_OK);
}

static enum cmd_retval
request_add(struct request *req)
{
	struct buf text = BUF_INIT;
	const char *argv[10];
	char now[24];
	int i, rc;

	for (i = 1; i < req->nargs; i++)
		buf_printf(&text, "%s%s", i > 1 ? " " : "", req->args[i]);
	if (text.len > LIMIT_ESCALATION_TEXT ||
	    strlen(req->args[0]) > LIMIT_CUSTOMER_NAME) {
		buf_free(&text);
		return reply_usage(req,
		    "the request is too long (at most %d bytes)",
		    LIMIT_ESCALATION_TEXT);
	}
	snprintf(now, sizeof(now), "%lld", clock_now_ms());
	argv[0] = "EVAL";
	argv[1] = add_lua;
	argv[2] = "0";
	argv[3] = store_prefix(req->store);
	argv[4] = req->args[0];
	argv[5] = buf_str(&text);
	argv[6] = req->user;
	argv[7] = now;
	argv[8] = REQ_FORMAT_VERSION;
	rc = store_cmdargv(req->store, added, req, 9, argv, NULL);
	buf_free(&text);
	if (rc < 0)
		return reply_store_down(req);
	return CMD_WAIT;
}

/* --- list ---------------------------------------------------------------- */

static void
list_lines(struct message *m, const redisReply *out)
{
	size_t i;

	for (i = 0; i < out->elements; i++) {
		const redisReply *e = out->element[i];

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 5)
			continue;
		message_printf(m, "\n- #%s %s: %s (from @%s; %s%s)",
		    e->element[0]->str, e->element[1]->str, e->element[2]->str,
		    e->element[3]->str,
		    *e->element[4]->str ? "@" : "unassigned",
		    e->element[4]->str);
	}
}

static void
listed(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	int unassigned = req->hdata != NULL;
	struct message *m;

	(void)st;
	req->hdata = NULL;
	if (failed_or_reply(req, r, err))
		return;
	m = message_new();
	if (r->element[0]->integer == 0)
		message_printf(m, unassigned ? "No unassigned requests."
					     : "No open requests.");
	else
		message_printf(m, "**%lld %s request%s:**",
		    r->element[0]->integer, unassigned ? "unassigned" : "open",
		    r->element[0]->integer == 1 ? "" : "s");
	list_lines(m, r->element[1]);
	reply_message(req, m, 0);
	message_free(m);
	request_done(req, CMD_OK);
}

static int
list_cmd(struct request *req, int unassigned, store_cb *cb, void *priv)
{
	const char *argv[6];
	char lim[8];

	snprintf(lim, sizeof(lim), "%d", LIMIT_DUTY_LIST);
	argv[0] = "EVAL";
	argv[1] = list_lua;
	argv[2] = "0";
	argv[3] = store_prefix(req->store);
	argv[4] = unassigned ? "unassigned" : "open";
	argv[5] = lim;
	return store_cmdargv(req->store, cb, priv, 6, argv, NULL);
}

static enum cmd_retval
request_list(struct request *req)
{
	int unassigned = 0;

	if (req->nargs == 1) {
		if (strcasecmp(req->args[0], "unassigned") != 0)
			return reply_usage(
			    req, "unknown option \"%s\"", req->args[0]);
		unassigned = 1;
	}
	req->hdata = unassigned ? (void *)req : NULL;
	if (list_cmd(req, unassigned, listed, req) < 0) {
		req->hdata = NULL;
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

/* --- assign and done ----------------------------------------------------- */

static void
assigned(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	char *pm = req->hdata;

	(void)st;
	req->hdata = NULL;
	if (failed_or_reply(req, r, err)) {
		free(pm);
		return;
	}
	if (r->element[0]->integer != 1) {
		if (r->element[0]->integer == 0)
			reply_usage(req,
			    "no request #%s; `/request list` "
			    "shows the open ones",
			    req->args[0]);
		else
			reply_error(req, "request #%s is already processed",
			    req->args[0]);
		free(pm);
		request_done(req, CMD_ERROR);
		return;
	}
	reply(req, "Request #%s (%s) assigned to @%s.", req->args[0],
	    r->element[2]->str, pm);
	if (strcmp(pm, req->user) != 0)
		tell(req, pm, "@%s assigned you request #%s from %s: %s",
		    req->user, req->args[0], r->element[2]->str,
		    r->element[3]->str);
	if (*r->element[4]->str && strcmp(r->element[4]->str, pm) != 0 &&
	    strcmp(r->element[4]->str, req->user) != 0)
		tell(req, r->element[4]->str,
		    "Request #%s (%s) is now @%s's, not yours.", req->args[0],
		    r->element[2]->str, pm);
	free(pm);
	request_done(req, CMD_OK);
}

static enum cmd_retval
request_assign(struct request *req)
{
	char *pm = NULL, now[24];
	const char *argv[9];
	long id;

	if (!arg_int_or_reply(req, req->args[0], 1, 1000000000L, &id) ||
	    !arg_user_or_reply(req, req->args[1], &pm))
		return CMD_ERROR;
	if (!config_is_pm(req->cfg, pm) && !config_is_admin(req->cfg, pm)) {
		reply_usage(req,
		    "unknown user \"@%s\": not one of the configured PMs", pm);
		free(pm);
		return CMD_ERROR;
	}
	snprintf(now, sizeof(now), "%lld", clock_now_ms());
	argv[0] = "EVAL";
	argv[1] = assign_lua;
	argv[2] = "0";
	argv[3] = store_prefix(req->store);
	argv[4] = req->args[0];
	argv[5] = pm;
	argv[6] = req->user;
	argv[7] = now;
	req->hdata = pm;
	if (store_cmdargv(req->store, assigned, req, 8, argv, NULL) < 0) {
		req->hdata = NULL;
		free(pm);
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

static void
processed(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;

	(void)st;
	if (failed_or_reply(req, r, err))
		return;
	switch (r->element[0]->integer) {
	case 0:
		reply_usage(req,
		    "no request #%s; `/request list` shows the open ones",
		    req->args[0]);
		request_done(req, CMD_ERROR);
		return;
	case 2:
		reply_error(
		    req, "request #%s is already processed", req->args[0]);
		request_done(req, CMD_ERROR);
		return;
	case -1:
		reply_error(req,
		    "permission denied: request #%s is @%s's; they or an "
		    "admin mark it done",
		    req->args[0], r->element[1]->str);
		request_done(req, CMD_ERROR);
		return;
	}
	reply(req, "Request #%s (%s) is Processed.", req->args[0],
	    r->element[2]->str);
	if (strcmp(r->element[1]->str, req->user) != 0)
		tell(req, r->element[1]->str,
		    "Your request #%s for %s is Processed (by @%s): %s",
		    req->args[0], r->element[2]->str, req->user,
		    r->element[3]->str);
	request_done(req, CMD_OK);
}

static enum cmd_retval
request_finish(struct request *req)
{
	const char *argv[9];
	char now[24];
	long id;

	if (!arg_int_or_reply(req, req->args[0], 1, 1000000000L, &id))
		return CMD_ERROR;
	snprintf(now, sizeof(now), "%lld", clock_now_ms());
	argv[0] = "EVAL";
	argv[1] = done_lua;
	argv[2] = "0";
	argv[3] = store_prefix(req->store);
	argv[4] = req->args[0];
	argv[5] = req->user;
	argv[6] = config_is_admin(req->cfg, req->user) ? "1" : "0";
	argv[7] = now;
	if (store_cmdargv(req->store, processed, req, 8, argv, NULL) < 0)
		return reply_store_down(req);
	return CMD_WAIT;
}

/* --- the deadline before the meeting ------------------------------------- */

static const struct meeting *
triage_meeting(const struct config *cfg, const struct rotation_conf **rcp)
{
	const struct rotation_conf *rc = config_rotation(cfg, "triage");

	*rcp = rc;
	if (rc == NULL)
		return NULL;
	return config_meeting(
	    cfg, rc->meeting ? rc->meeting : TRIAGE_DEFAULT_MEETING);
}

const struct meeting *
request_triage_meeting(const struct config *cfg)
{
	const struct rotation_conf *rc;

	return triage_meeting(cfg, &rc);
}

/* When deadline `which` fires for the occurrence starting at start: the
 * day before at 16:00, or two hours before, on the meeting's clock. */
static long long
deadline_for(const struct meeting *m, const char *which, long long start)
{
	struct recur_local l;
	long long at;

	if (strcmp(which, "triage-2h") == 0)
		return start - 2 * 3600 * 1000LL;
	if (recur_to_local(m->timezone, start - 86400 * 1000LL, &l, NULL, 0) <
	    0)
		return -1;
	l.hour = 16;
	l.min = 0;
	l.sec = 0;
	if (recur_from_local(m->timezone, &l, &at) < 0)
		return -1;
	return at;
}

/* The first firing of deadline which strictly after after_ms. */
long long
request_deadline_next(
    const struct meeting *m, const char *which, long long after_ms)
{
	long long start, at, from = after_ms;
	int i;

	for (i = 0; i < 8; i++) {
		if (recur_meeting_next(m, from, &start) < 0)
			return 0;
		at = deadline_for(m, which, start);
		if (at > after_ms)
			return at;
		from = start;
	}
	return 0;
}

void
request_jobs_seed(struct request *req)
{
	const struct rotation_conf *rc;
	const struct meeting *m = triage_meeting(req->cfg, &rc);
	static const char *const which[] = {"triage-eve", "triage-2h"};
	struct buf id = BUF_INIT, spec = BUF_INIT;
	long long at;
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < 2; i++) {
		at = request_deadline_next(m, which[i], clock_now_ms());
		if (at <= 0)
			continue;
		buf_reset(&id);
		buf_reset(&spec);
		buf_printf(&id, "d:triage:%s", which[i]);
		buf_printf(&spec, "%s|%s|%s|%s|%s", m->id, m->rrule, m->dtstart,
		    m->timezone, REQ_FORMAT_VERSION);
		duty_job_put(req, buf_str(&id), at, buf_str(&spec), "what",
		    which[i], "rot", "triage", NULL);
	}
	buf_free(&id);
	buf_free(&spec);
}

struct deadline {
	struct request *req;
	const struct meeting *m;
	char *which;
	long long due;
	char *who;
	sched_job_done *done;
	void *token;
};

static void
deadline_free(struct deadline *d, enum cmd_retval rv)
{
	d->done(d->token,
	    d->m ? request_deadline_next(d->m, d->which, d->due + 1000) : 0);
	request_done(d->req, rv);
	free(d->which);
	free(d->who);
	free(d);
}

static void
deadline_listed(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct deadline *d = priv;
	struct message *m;
	struct buf ch = BUF_INIT;
	long long start;

	(void)st;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		log_warn("request: triage deadline: %s",
		    r && r->type == REDIS_REPLY_ERROR ? r->str : err);
		deadline_free(d, CMD_ERROR);
		return;
	}
	m = message_new();
	if (recur_meeting_next(d->m, d->due, &start) < 0)
		start = d->due;
	if (r->element[0]->integer == 0) {
		message_printf(m, "Triage: no unassigned requests before %s (",
		    d->m->title);
		recur_format(&m->text, d->m->timezone, start, 1);
		message_printf(m, "). Nothing to do.");
	} else {
		message_printf(m,
		    "Triage: %lld request%s still unassigned before %s (",
		    r->element[0]->integer,
		    r->element[0]->integer == 1 ? " is" : "s are", d->m->title);
		recur_format(&m->text, d->m->timezone, start, 1);
		message_printf(m, "). Please assign the obvious ones with "
				  "`/request assign <id> @pm`:");
		list_lines(m, r->element[1]);
	}
	buf_printf(&ch, "@%s", d->who);
	if (duty_post(d->req, buf_str(&ch), NULL, m) < 0)
		log_warn("request: could not tell %s", buf_str(&ch));
	buf_free(&ch);
	message_free(m);
	deadline_free(d, CMD_OK);
}

static void
deadline_loaded(
    struct request *req, struct duty_rot *r, const char *rev, const char *err)
{
	struct deadline *d = req->hdata;
	const char *who = r ? duty_at(r, d->due, NULL) : NULL;

	(void)rev;
	req->hdata = NULL;
	if (who == NULL) {
		log_warn("request: triage deadline: nobody on duty: %s",
		    err ? err : "no members");
		deadline_free(d, CMD_ERROR);
		return;
	}
	d->who = xstrdup(who);
	if (list_cmd(req, 1, deadline_listed, d) < 0)
		deadline_free(d, CMD_ERROR);
}

void
request_job_fire(struct request *req, const char *what,
    const struct sched_job *job, sched_job_done *done, void *token)
{
	struct deadline *d = xcalloc(1, sizeof(*d));
	const struct rotation_conf *rc;

	d->req = req;
	d->m = triage_meeting(req->cfg, &rc);
	d->which = xstrdup(what);
	d->due = job->due;
	d->done = done;
	d->token = token;
	if (d->m == NULL || rc == NULL || job->missed) {
		deadline_free(d, CMD_OK);
		return;
	}
	req->hdata = d;
	if (rotation_load(req, rc, deadline_loaded) < 0) {
		req->hdata = NULL;
		deadline_free(d, CMD_ERROR);
	}
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

	(void)st;
	(void)err;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		s->cb(s->req, NULL, s->priv);
		free(s);
		return;
	}
	buf_printf(&b, "%lld unassigned request%s in the triage queue.",
	    r->integer, r->integer == 1 ? "" : "s");
	s->cb(s->req, buf_str(&b), s->priv);
	buf_free(&b);
	free(s);
}

int
request_count_unassigned(struct store *st, store_cb *cb, void *priv)
{
	return store_cmd(
	    st, cb, priv, "ZCARD %sreq:unassigned", store_prefix(st));
}

int
request_summary(struct request *req, duty_summary_fn *cb, void *priv)
{
	struct summary *s = xcalloc(1, sizeof(*s));

	s->req = req;
	s->cb = cb;
	s->priv = priv;
	if (request_count_unassigned(req->store, summary_done, s) < 0) {
		free(s);
		return -1;
	}
	return 0;
}

static const struct cmd_entry request_subs[] = {
    {
	.name = "add",
	.usage = "request add <customer> <text>",
	.summary = "file a customer request for triage",
	.args_min = 2,
	.args_max = -1,
	.perm = PERM_ANYONE,
	.exec = request_add,
    },
    {
	.name = "list",
	.usage = "request list [unassigned]",
	.summary = "the open requests, or only the unassigned ones",
	.args_min = 0,
	.args_max = 1,
	.perm = PERM_ANYONE,
	.exec = request_list,
    },
    {
	.name = "assign",
	.usage = "request assign <id> @pm",
	.summary = "give a request to a PM",
	.args_min = 2,
	.args_max = 2,
	.perm = PERM_PM,
	.exec = request_assign,
    },
    {
	.name = "done",
	.usage = "request done <id>",
	.summary = "mark a request Processed; the reporter is told",
	.args_min = 1,
	.args_max = 1,
	.perm = PERM_PM,
	.exec = request_finish,
    },
    {.name = NULL},
};

const struct cmd_entry cmd_request_entry = {
    .name = "request",
    .usage = "request <add|list|assign|done>",
    .summary = "the customer-request triage queue",
    .examples = "/request add Acme \"export to CSV times out\"\n"
		"/request list unassigned\n"
		"/request assign 7 @ana\n"
		"/request done 7",
    .args_min = 0,
    .args_max = -1,
    .perm = PERM_ANYONE,
    .subs = request_subs,
};
