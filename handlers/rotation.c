/*
 * /rotation: who is on duty, and the edits PMs agree in chat (members,
 * swaps, covers, away periods, a handoff now), on the model of duty.h
 * stored in Redis.  Also the rotation's scheduler jobs: the handoff
 * announcement with each side's state of the duty, and the incoming
 * PM's heads-up the working day before.
 *
 * A change is read, edited and written back under a revision check (a
 * script compares the revision it read), so two PMs editing at once
 * cannot lose each other's change: the second is told to try again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bot.h"
#include "clock.h"
#include "handler.h"
#include "limits.h"
#include "log.h"
#include "recur.h"
#include "rotation.h"
#include "router.h"
#include "scheduler.h"

/* KEYS model, hist, count; ARGV rev, model, version, hist, counted,
 * keep: 1 saved, 0 when the revision moved. */
static const char save_lua[] =
    "local rev = redis.call('HGET', KEYS[1], 'rev') or '0'\n"
    "if rev ~= ARGV[1] then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'model', ARGV[2], 'rev',\n"
    "  tostring(tonumber(rev) + 1), 'v', ARGV[3])\n"
    "if ARGV[4] ~= '' then\n"
    "  redis.call('LPUSH', KEYS[2], ARGV[4])\n"
    "  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[6]) - 1)\n"
    "end\n"
    "if ARGV[5] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[5], 1) end\n"
    "return 1\n";

/* The job scripts' seed (sched_jobs.c) with the key layout scheduler.h
 * documents; run by EVAL because handlers cannot register scripts. */
extern const char sched_lua_seed[];

static char *
rkey(const struct request *req, const char *name, const char *suffix)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%srot:%s%s", store_prefix(req->store), name,
	    suffix ? suffix : "");
	return buf_detach(&b);
}

/* --- the stored model ---------------------------------------------------- */

struct load {
	struct request *req;
	const struct rotation_conf *rc;
	rotation_loaded_fn *done;
};

static void
load_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct load *l = priv;
	struct duty_rot rot;
	char why[200];
	const char *rev = "0";

	(void)st;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		l->done(l->req, NULL, NULL,
		    r == NULL ? STORE_UNAVAILABLE
			      : "the state store gave an unexpected answer");
		free(l);
		return;
	}
	if (r->element[0]->type == REDIS_REPLY_STRING) {
		if (r->element[1]->type == REDIS_REPLY_STRING)
			rev = r->element[1]->str;
		if (duty_decode(&rot, l->rc, r->element[0]->str, why,
			sizeof(why)) < 0) {
			log_warn("rotation: %s: %s", l->rc->name, why);
			l->done(l->req, NULL, NULL, why);
			free(l);
			return;
		}
	} else if (duty_from_conf(&rot, l->rc, clock_now_ms()) < 0) {
		l->done(l->req, NULL, NULL,
		    "the rotation's configuration is unusable");
		free(l);
		return;
	}
	l->done(l->req, &rot, rev, NULL);
	duty_rot_free(&rot);
	free(l);
}

int
rotation_load(struct request *req, const struct rotation_conf *rc,
    rotation_loaded_fn *done)
{
	struct load *l = xcalloc(1, sizeof(*l));
	char *k = rkey(req, rc->name, NULL);
	int rc2;

	l->req = req;
	l->rc = rc;
	l->done = done;
	rc2 = store_cmd(req->store, load_done, l, "HMGET %s model rev", k);
	free(k);
	if (rc2 < 0)
		free(l);
	return rc2;
}

int
rotation_save(struct request *req, const struct duty_rot *r, const char *rev,
    const char *hist, const char *counted, store_cb *cb, void *priv)
{
	char *model, *k1, *k2, *k3, ver[8], keep[16];
	const char *argv[12];
	int rc;

	model = duty_encode(r);
	k1 = rkey(req, r->name, NULL);
	k2 = rkey(req, r->name, ":hist");
	k3 = rkey(req, r->name, ":count");
	snprintf(ver, sizeof(ver), "%d", DUTY_FORMAT_VERSION);
	snprintf(keep, sizeof(keep), "%d", LIMIT_DUTY_HISTORY);
	argv[0] = "EVAL";
	argv[1] = save_lua;
	argv[2] = "3";
	argv[3] = k1;
	argv[4] = k2;
	argv[5] = k3;
	argv[6] = rev;
	argv[7] = model;
	argv[8] = ver;
	argv[9] = hist ? hist : "";
	argv[10] = counted ? counted : "";
	argv[11] = keep;
	rc = store_cmdargv(req->store, cb, priv, 12, argv, NULL);
	free(model);
	free(k1);
	free(k2);
	free(k3);
	return rc;
}

const struct rotation_conf *
rotation_conf_or_reply(struct request *req, const char *word)
{
	const struct rotation_conf *rc = config_rotation(req->cfg, word);
	struct buf b = BUF_INIT;
	size_t i;

	if (rc != NULL)
		return rc;
	buf_printf(&b, "unknown rotation \"%s\"; ", word);
	if (req->cfg->nrotations == 0)
		buf_puts(&b, "none is configured");
	for (i = 0; i < req->cfg->nrotations; i++)
		buf_printf(&b, "%s\"%s\"", i ? " or " : "the rotations are ",
		    req->cfg->rotations[i].name);
	reply_usage(req, "%s", buf_str(&b));
	buf_free(&b);
	return NULL;
}

/* --- jobs ---------------------------------------------------------------- */

static void
release_nothing(void *ctx)
{
	(void)ctx;
}

struct request *
duty_job_request(void *botp)
{
	struct bot *bot = botp;
	struct request *req = xcalloc(1, sizeof(*req));

	req->user = xstrdup(bot->cfg.bot_name ? bot->cfg.bot_name : "pmbot");
	req->text = xstrdup("");
	req->source = SRC_CONSOLE;
	req->cfg = &bot->cfg;
	req->store = bot->store;
	req->bot = bot;
	req->sink.release = release_nothing;
	req->started_ms = now_ms();
	/* request_done counts it down: shutdown waits for the job. */
	bot->inflight++;
	return req;
}

int
duty_post(struct request *req, const char *channel, const char *thread,
    const struct message *m)
{
	struct post p;
	struct buf key = BUF_INIT;
	int rc;

	if (req->bot == NULL || channel == NULL)
		return -1;
	memset(&p, 0, sizeof(p));
	p.channel = channel;
	p.thread = thread;
	p.msg = m;
	if (req->post_key != NULL) {
		buf_printf(&key, "%s:%d", req->post_key, ++req->nposts);
		p.dedup_key = buf_str(&key);
	}
	rc = bot_post(req->bot, &p);
	buf_free(&key);
	return rc;
}

static void
put_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	char *id = priv;

	(void)st;
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		log_warn(
		    "rotation: cannot schedule %s: %s", id, r ? r->str : err);
	free(id);
}

void
duty_job_put(
    struct request *req, const char *id, long long due, const char *spec, ...)
{
	const char *argv[40];
	char *kdue, *klease, *kjob, dues[24];
	struct buf b = BUF_INIT;
	const char *f;
	va_list ap;
	int n = 0;

	buf_printf(&b, "%ssched:due", store_prefix(req->store));
	kdue = buf_detach(&b);
	buf_printf(&b, "%ssched:lease", store_prefix(req->store));
	klease = buf_detach(&b);
	buf_printf(&b, "%ssched:job:%s", store_prefix(req->store), id);
	kjob = buf_detach(&b);
	snprintf(dues, sizeof(dues), "%lld", due);
	argv[n++] = "EVAL";
	argv[n++] = sched_lua_seed;
	argv[n++] = "3";
	argv[n++] = kdue;
	argv[n++] = klease;
	argv[n++] = kjob;
	argv[n++] = id;
	argv[n++] = spec;
	argv[n++] = dues;
	argv[n++] = store_prefix(req->store);
	argv[n++] = "kind";
	argv[n++] = "duty";
	va_start(ap, spec);
	while ((f = va_arg(ap, const char *)) != NULL && n < 38)
		argv[n++] = f;
	va_end(ap);
	if (store_cmdargv(req->store, put_done, xstrdup(id), n, argv, NULL) < 0)
		log_warn("rotation: store down; %s not scheduled", id);
	else
		scheduler_poke(req->bot, due);
	free(kdue);
	free(klease);
	free(kjob);
}

static void
drop_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		log_warn(
		    "rotation: could not drop a job: %s", r ? r->str : err);
}

void
duty_job_drop(struct request *req, const char *id)
{
	const char *pre = store_prefix(req->store);

	/* A job already leased finds its work done and posts nothing. */
	if (store_cmd(req->store, drop_done, NULL, "ZREM %ssched:due %s", pre,
		id) < 0 ||
	    store_cmd(
		req->store, drop_done, NULL, "DEL %ssched:job:%s", pre, id) < 0)
		log_warn("rotation: store down; job %s left to find its "
			 "escalation answered",
		    id);
}

static const char *
job_field(const struct sched_job *job, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < job->nkv; i += 2)
		if (strcmp(job->kv[i], name) == 0)
			return job->kv[i + 1];
	return NULL;
}

/* Seeds the handoff and heads-up jobs of one rotation: they recur, and
 * their spec holds the schedule so a changed configuration moves them. */
static void
seed_rotation(struct request *req, const struct rotation_conf *rc)
{
	struct duty_rot r;
	struct buf id = BUF_INIT, spec = BUF_INIT;
	long long now = clock_now_ms(), b, e, h;

	if (duty_from_conf(&r, rc, now) < 0)
		return;
	if (duty_period(&r, now, &b, &e) == 0) {
		buf_printf(&spec, "%d|%02d:%02d|%s|%d", r.weekday, r.hour,
		    r.min, r.tz, DUTY_FORMAT_VERSION);
		buf_printf(&id, "d:%s:handoff", r.name);
		duty_job_put(req, buf_str(&id), e, buf_str(&spec), "what",
		    "handoff", "rot", r.name, NULL);
		h = duty_headsup_at(&r, e);
		if (h <= now && duty_period(&r, e, &b, &e) == 0)
			h = duty_headsup_at(&r, e);
		buf_reset(&id);
		buf_printf(&id, "d:%s:headsup", r.name);
		if (h > now)
			duty_job_put(req, buf_str(&id), h, buf_str(&spec),
			    "what", "headsup", "rot", r.name, NULL);
	}
	buf_free(&id);
	buf_free(&spec);
	duty_rot_free(&r);
}

void
duty_jobs_seed(struct bot *bot)
{
	struct request *req;
	size_t i;

	if (bot->store == NULL || bot->cfg.nrotations == 0)
		return;
	req = duty_job_request(bot);
	for (i = 0; i < bot->cfg.nrotations; i++)
		seed_rotation(req, &bot->cfg.rotations[i]);
	request_jobs_seed(req);
	request_done(req, CMD_OK);
}

/* One handoff job being fired, or one /rotation handoff. */
struct handoff {
	struct request *req;
	const struct rotation_conf *rc;
	char *from, *to;
	long long at, until;
	int manual;
	sched_job_done *done;
	void *token;
};

static void
handoff_free(struct handoff *h, enum cmd_retval rv)
{
	if (h->done != NULL)
		h->done(h->token, h->manual ? 0 : h->until);
	request_done(h->req, rv);
	free(h->from);
	free(h->to);
	free(h);
}

static void
handoff_dm(struct request *req, const char *user, const char *text)
{
	struct message *m = message_new();
	struct buf ch = BUF_INIT;

	message_printf(m, "%s", text);
	buf_printf(&ch, "@%s", user);
	if (duty_post(req, buf_str(&ch), NULL, m) < 0)
		log_warn("rotation: could not tell %s", buf_str(&ch));
	buf_free(&ch);
	message_free(m);
}

/* The state of the duty arrived: tell both sides and the channel. */
static void
handoff_summary(struct request *req, const char *text, void *priv)
{
	struct handoff *h = priv;
	const struct config *cfg = req->cfg;
	struct message *m = message_new();
	struct buf b = BUF_INIT;
	const char *state = text ? text : "state unknown (store down)";

	if (strcmp(h->from, h->to) == 0)
		message_printf(m, "**%s rotation:** @%s stays on duty until ",
		    h->rc->name, h->to);
	else
		message_printf(m,
		    "**%s rotation:** @%s hands over to @%s, on duty until ",
		    h->rc->name, h->from, h->to);
	recur_format(&m->text, h->rc->timezone, h->until, 1);
	message_printf(m, ". %s", state);
	if (cfg->ch_announce != NULL &&
	    duty_post(req, config_channel(cfg, "announce"), NULL, m) < 0)
		log_warn(
		    "rotation: could not announce the %s handoff", h->rc->name);
	if (h->manual)
		reply_message(req, m, 0);
	buf_printf(&b, "You are on %s duty now, until ", h->rc->name);
	recur_format(&b, h->rc->timezone, h->until, 1);
	buf_printf(&b, ". %s", state);
	handoff_dm(req, h->to, buf_str(&b));
	if (strcmp(h->from, h->to) != 0) {
		buf_reset(&b);
		buf_printf(&b,
		    "Your %s duty is over; @%s takes it from here. %s",
		    h->rc->name, h->to, state);
		handoff_dm(req, h->from, buf_str(&b));
	}
	buf_free(&b);
	message_free(m);
	handoff_free(h, CMD_OK);
}

static void
handoff_saved(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct handoff *h = priv;
	int rc;

	(void)st;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		log_warn("rotation: %s handoff not recorded: %s", h->rc->name,
		    r && r->type == REDIS_REPLY_ERROR ? r->str : err);
		if (h->manual)
			reply_store_down(h->req);
		handoff_free(h, CMD_ERROR);
		return;
	}
	if (r->integer == 0) {
		if (h->manual)
			reply_error(h->req,
			    "the %s rotation changed "
			    "meanwhile; try again",
			    h->rc->name);
		handoff_free(h, CMD_ERROR);
		return;
	}
	if (strcmp(h->rc->name, "twitter") == 0)
		rc = escalate_summary(h->req, handoff_summary, h);
	else
		rc = request_summary(h->req, handoff_summary, h);
	if (rc < 0)
		handoff_summary(h->req, NULL, h);
}

static void
handoff_loaded(
    struct request *req, struct duty_rot *r, const char *rev, const char *err)
{
	struct handoff *h = req->hdata;
	struct buf line = BUF_INIT;
	long long b, e;
	const char *from;

	req->hdata = NULL;
	if (r == NULL) {
		if (h->manual)
			reply_error(req, "%s", err);
		handoff_free(h, CMD_ERROR);
		return;
	}
	from = duty_at(r, h->at - 1, NULL);
	if (h->manual) {
		duty_handoff_now(r, h->at);
		duty_prune(r, h->at - LIMIT_DUTY_KEEP_MS);
	}
	h->from = xstrdup(from ? from : "?");
	h->to = xstrdup(duty_at(r, h->at, NULL) ?: "?");
	if (duty_period(r, h->at, &b, &e) < 0)
		e = h->at;
	h->until = e;
	buf_printf(&line, "%lld|%s|%s|%s", h->at, h->from, h->to,
	    h->manual ? req->user : "schedule");
	if (rotation_save(
		req, r, rev, buf_str(&line), h->to, handoff_saved, h) < 0) {
		if (h->manual)
			reply_store_down(req);
		handoff_free(h, CMD_ERROR);
	}
	buf_free(&line);
}

static void
start_handoff(struct request *req, const struct rotation_conf *rc, long long at,
    int manual, sched_job_done *done, void *token)
{
	struct handoff *h = xcalloc(1, sizeof(*h));

	h->req = req;
	h->rc = rc;
	h->at = at;
	h->manual = manual;
	h->done = done;
	h->token = token;
	req->hdata = h;
	if (rotation_load(req, rc, handoff_loaded) < 0) {
		req->hdata = NULL;
		if (manual)
			reply_store_down(req);
		handoff_free(h, CMD_ERROR);
	}
}

struct headsup {
	const struct rotation_conf *rc;
	long long at; /* the handoff it announces */
	sched_job_done *done;
	void *token;
};

static void
headsup_loaded(
    struct request *req, struct duty_rot *r, const char *rev, const char *err)
{
	struct headsup *hu = req->hdata;
	long long next = 0, b, e;
	struct buf text = BUF_INIT;
	const char *who;

	(void)rev;
	req->hdata = NULL;
	if (r != NULL) {
		who = duty_at(r, hu->at, NULL);
		if (who != NULL &&
		    strcmp(who, duty_at(r, hu->at - 1, NULL)) != 0) {
			buf_printf(&text,
			    "Heads-up: you take over the %s rotation on ",
			    hu->rc->name);
			recur_format(&text, hu->rc->timezone, hu->at, 1);
			buf_puts(&text, ".");
			handoff_dm(req, who, buf_str(&text));
		}
		if (duty_period(r, hu->at, &b, &e) == 0)
			next = duty_headsup_at(r, e);
	} else {
		log_warn("rotation: heads-up skipped: %s", err);
	}
	buf_free(&text);
	hu->done(hu->token, next > 0 ? next : 0);
	free(hu);
	request_done(req, r ? CMD_OK : CMD_ERROR);
}

void
duty_job_fire(struct bot *bot, const struct sched_job *job,
    sched_job_done *done, void *token)
{
	struct request *req = duty_job_request(bot);
	const char *what = job_field(job, "what");
	const struct rotation_conf *rc =
	    config_rotation(&bot->cfg, job_field(job, "rot"));
	struct buf key = BUF_INIT;

	buf_printf(&key, "duty:%s:%lld", job->id, job->due);
	req->post_key = buf_detach(&key);

	if (what == NULL) {
		done(token, 0);
		request_done(req, CMD_ERROR);
		return;
	}
	if (strcmp(what, "handoff") == 0 && rc != NULL) {
		start_handoff(req, rc, job->due, 0, done, token);
		return;
	}
	if (strcmp(what, "headsup") == 0 && rc != NULL) {
		struct headsup *hu = xcalloc(1, sizeof(*hu));
		struct duty_rot r;

		/* The handoff it announces is the next one after it. */
		hu->rc = rc;
		hu->done = done;
		hu->token = token;
		hu->at = job->due;
		if (duty_from_conf(&r, rc, job->due) == 0) {
			long long b;

			if (duty_period(&r, job->due, &b, &hu->at) < 0)
				hu->at = job->due;
			duty_rot_free(&r);
		}
		req->hdata = hu;
		if (rotation_load(req, rc, headsup_loaded) < 0) {
			req->hdata = NULL;
			free(hu);
			done(token, 0);
			request_done(req, CMD_ERROR);
		}
		return;
	}
	if (strncmp(what, "esc-", 4) == 0) {
		escalate_job_fire(req, what, job, done, token);
		return;
	}
	if (strncmp(what, "triage-", 7) == 0) {
		request_job_fire(req, what, job, done, token);
		return;
	}
	log_info("rotation: job %s (%s) is no longer configured; dropped",
	    job->id, what);
	done(token, 0);
	request_done(req, CMD_ERROR);
}

/* --- /rotation ----------------------------------------------------------- */

enum rot_op { OP_SHOW, OP_ADD, OP_REMOVE, OP_SWAP, OP_COVER, OP_AWAY };

/* What a /rotation edit needs after loading. */
struct edit {
	const struct rotation_conf *rc;
	enum rot_op op;
	char *user, *other;
	long long from, to;
	char *told[3]; /* users to DM */
	char *summary; /* what happened, for the reply and the DMs */
};

static void
edit_free(struct edit *e)
{
	int i;

	free(e->user);
	free(e->other);
	for (i = 0; i < 3; i++)
		free(e->told[i]);
	free(e->summary);
	free(e);
}

static const char *const why_text[] = {
    "", " (swap)", " (away cover)", " (cover)"};

static void
show(struct request *req, const struct duty_rot *r,
    const struct rotation_conf *rc)
{
	struct duty_turn t[5];
	struct message *m = message_new();
	long long now = clock_now_ms();
	int n, i;

	n = duty_turns(r, now, t, 5);
	if (n == 0) {
		const char *who = duty_at(r, now, NULL);

		message_printf(m,
		    "**%s rotation:** @%s is on duty, alone in "
		    "the rotation.",
		    rc->name, who ? who : "?");
		reply_message(req, m, 0);
		message_free(m);
		return;
	}
	message_printf(m, "**%s rotation:** @%s is on duty%s since ", rc->name,
	    t[0].user, why_text[t[0].why]);
	recur_format(&m->text, rc->timezone, t[0].from_ms, 1);
	message_printf(m, " until ");
	recur_format(&m->text, rc->timezone, t[0].to_ms, 1);
	message_printf(m, ".\nNext:");
	for (i = 1; i < n; i++) {
		message_printf(
		    m, "\n- @%s%s from ", t[i].user, why_text[t[i].why]);
		recur_format(&m->text, rc->timezone, t[i].from_ms, 1);
	}
	reply_message(req, m, 0);
	message_free(m);
}

static void
tell(struct request *req, struct edit *e)
{
	struct message *m = message_new();
	struct buf ch = BUF_INIT;
	int i;

	message_printf(m, "@%s changed the %s rotation: %s", req->user,
	    e->rc->name, e->summary);
	for (i = 0; i < 3; i++) {
		if (e->told[i] == NULL || strcmp(e->told[i], req->user) == 0)
			continue;
		buf_reset(&ch);
		buf_printf(&ch, "@%s", e->told[i]);
		if (request_post(req, buf_str(&ch), m) < 0)
			reply_private(
			    req, "I could not tell @%s by DM.", e->told[i]);
	}
	buf_free(&ch);
	message_free(m);
}

static void
edit_saved(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct edit *e = req->hdata;

	(void)st;
	req->hdata = NULL;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		if (r == NULL)
			reply_store_down(req);
		else
			reply_error(req,
			    "the state store refused the change: %s",
			    r->type == REDIS_REPLY_ERROR ? r->str : err);
		edit_free(e);
		request_done(req, CMD_ERROR);
		return;
	}
	if (r->integer == 0) {
		reply_error(req,
		    "the %s rotation changed meanwhile; nothing changed, try again",
		    e->rc->name);
		edit_free(e);
		request_done(req, CMD_ERROR);
		return;
	}
	reply(req, "**%s rotation:** %s", e->rc->name, e->summary);
	tell(req, e);
	edit_free(e);
	request_done(req, CMD_OK);
}

static void
fmt_range(struct buf *b, const char *tz, long long from, long long to)
{
	buf_puts(b, "from ");
	recur_format(b, tz, from, 1);
	buf_puts(b, " to ");
	recur_format(b, tz, to, 1);
}

/* A swap is a trade: when one of the two holds the swapped week, the
 * other's next own week goes the other way, so nobody does two turns
 * for one. */
static void
swap_back(struct duty_rot *r, struct edit *e, struct buf *s)
{
	int held = duty_base_index(r, e->from), i, idx;
	const char *partner;
	long long b = e->to, x;
	char err[128];

	if (held < 0)
		return;
	if (strcmp(r->members[held], e->user) == 0)
		partner = e->other;
	else if (strcmp(r->members[held], e->other) == 0)
		partner = e->user;
	else
		return;
	for (i = 0; i < 2 * (int)r->nmembers + 2; i++) {
		if (duty_period(r, b, &b, &x) < 0)
			return;
		idx = duty_base_index(r, b);
		if (idx >= 0 && strcmp(r->members[idx], partner) == 0) {
			if (duty_add_override(r, DUTY_SWAP, e->user, e->other,
				b, x, e->user, err, sizeof(err)) == 0) {
				buf_printf(s,
				    "; in return @%s takes @%s's "
				    "week from ",
				    r->members[held], partner);
				recur_format(s, e->rc->timezone, b, 1);
			}
			return;
		}
		b = x;
	}
}

/* Applies e to r; 0, or -1 after replying. */
static int
apply_edit(struct request *req, struct edit *e, struct duty_rot *r)
{
	long long now = clock_now_ms();
	const char *tz = e->rc->timezone;
	struct buf s = BUF_INIT;
	char err[256];
	const char *on;
	int rc = 0;

	switch (e->op) {
	case OP_ADD:
		rc = duty_add_member(
		    r, e->user, e->other, now, err, sizeof(err));
		buf_printf(&s, "@%s joined", e->user);
		if (e->other)
			buf_printf(&s, " after @%s", e->other);
		e->told[0] = xstrdup(e->user);
		break;
	case OP_REMOVE:
		rc = duty_remove_member(r, e->user, now, err, sizeof(err));
		buf_printf(&s, "@%s left; @%s is on duty now", e->user,
		    rc == 0 ? duty_at(r, now, NULL) : "?");
		e->told[0] = xstrdup(e->user);
		if (rc == 0)
			e->told[1] = xstrdup(duty_at(r, now, NULL));
		break;
	case OP_SWAP:
		rc = duty_add_override(r, DUTY_SWAP, e->user, e->other, e->from,
		    e->to, req->user, err, sizeof(err));
		buf_printf(&s, "@%s and @%s swap ", e->user, e->other);
		fmt_range(&s, tz, e->from, e->to);
		if (rc == 0) {
			buf_printf(&s, "; @%s is on duty then",
			    duty_at(r, e->from, NULL));
			swap_back(r, e, &s);
		}
		e->told[0] = xstrdup(e->user);
		e->told[1] = xstrdup(e->other);
		break;
	case OP_COVER:
		on = duty_at(r, e->from, NULL);
		rc = duty_add_override(r, DUTY_COVER, e->user, on, e->from,
		    e->to, req->user, err, sizeof(err));
		buf_printf(&s, "@%s covers for @%s ", e->user, on ? on : "?");
		fmt_range(&s, tz, e->from, e->to);
		e->told[0] = xstrdup(e->user);
		if (on != NULL)
			e->told[1] = xstrdup(on);
		break;
	case OP_AWAY:
		rc = duty_add_override(r, DUTY_AWAY, e->user, NULL, e->from,
		    e->to, req->user, err, sizeof(err));
		buf_printf(&s, "@%s is away ", e->user);
		fmt_range(&s, tz, e->from, e->to);
		e->told[0] = xstrdup(e->user);
		if (rc == 0) {
			long long x = e->from;
			enum duty_why why;
			const char *u;
			int steps;

			/* Who takes the turn: the first stand-in the away
			 * period makes. */
			for (steps = 0; x < e->to && steps < LIMIT_DUTY_SCAN;
			     steps++) {
				u = duty_at(r, x, &why);
				if (u != NULL && why == DUTY_BY_AWAY) {
					buf_printf(
					    &s, "; @%s takes the turn", u);
					e->told[1] = xstrdup(u);
					break;
				}
				x = duty_next_change(r, x);
				if (x < 0)
					break;
			}
		}
		break;
	case OP_SHOW:
		break;
	}
	if (rc < 0) {
		buf_free(&s);
		reply_error(req, "%s", err);
		return -1;
	}
	duty_prune(r, now - LIMIT_DUTY_KEEP_MS);
	e->summary = buf_detach(&s);
	return 0;
}

static void
edit_loaded(
    struct request *req, struct duty_rot *r, const char *rev, const char *err)
{
	struct edit *e = req->hdata;

	if (r == NULL) {
		req->hdata = NULL;
		reply_error(req, "%s", err);
		edit_free(e);
		request_done(req, CMD_ERROR);
		return;
	}
	if (e->op == OP_SHOW) {
		req->hdata = NULL;
		show(req, r, e->rc);
		edit_free(e);
		request_done(req, CMD_OK);
		return;
	}
	if (apply_edit(req, e, r) < 0) {
		req->hdata = NULL;
		edit_free(e);
		request_done(req, CMD_ERROR);
		return;
	}
	if (rotation_save(req, r, rev, NULL, NULL, edit_saved, req) < 0) {
		req->hdata = NULL;
		reply_store_down(req);
		edit_free(e);
		request_done(req, CMD_ERROR);
	}
}

/* A rotation member must be someone the configuration knows as a PM. */
static int
pm_or_reply(struct request *req, const char *arg, char **user)
{
	if (!arg_user_or_reply(req, arg, user))
		return 0;
	if (config_is_pm(req->cfg, *user) || config_is_admin(req->cfg, *user))
		return 1;
	reply_usage(
	    req, "unknown user \"@%s\": not one of the configured PMs", *user);
	free(*user);
	*user = NULL;
	return 0;
}

static int
allowed_or_reply(struct request *req, const char *a, const char *b)
{
	if (config_is_admin(req->cfg, req->user) ||
	    (a != NULL && strcmp(a, req->user) == 0) ||
	    (b != NULL && strcmp(b, req->user) == 0))
		return 1;
	reply_error(req,
	    "permission denied: only an admin or the people concerned may do "
	    "that");
	return 0;
}

static int
range_or_reply(struct request *req, const struct rotation_conf *rc,
    const char *a, const char *b, long long *from, long long *to)
{
	const char *tz = rc->timezone ? rc->timezone : "UTC";

	if (duty_parse_time(tz, a, 0, from) < 0) {
		reply_usage(req,
		    "\"%s\" is not a date: use YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM",
		    a);
		return 0;
	}
	if (duty_parse_time(tz, b, 1, to) < 0) {
		reply_usage(req,
		    "\"%s\" is not a date: use YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM",
		    b);
		return 0;
	}
	if (*to <= *from) {
		reply_usage(req,
		    "\"%s\" comes before \"%s\": the dates are in the wrong "
		    "order; nothing changed",
		    b, a);
		return 0;
	}
	return 1;
}

/* Parses the edit in req's arguments; NULL after replying. */
static struct edit *
parse_edit(struct request *req, const struct rotation_conf *rc)
{
	struct edit *e = xcalloc(1, sizeof(*e));
	const char *op = req->nargs > 1 ? req->args[1] : NULL;
	int n = req->nargs - 2;
	char **a = req->args + 2;

	e->rc = rc;
	if (op == NULL) {
		e->op = OP_SHOW;
		return e;
	}
	if (strcasecmp(op, "add") == 0 && (n == 1 || n == 3)) {
		e->op = OP_ADD;
		if (!pm_or_reply(req, a[0], &e->user))
			goto bad;
		if (n == 3) {
			if (strcasecmp(a[1], "after") != 0) {
				reply_usage(req, "expected \"after @user\"");
				goto bad;
			}
			if (!arg_user_or_reply(req, a[2], &e->other))
				goto bad;
		}
		if (!allowed_or_reply(req, e->user, NULL))
			goto bad;
		return e;
	}
	if (strcasecmp(op, "remove") == 0 && n == 1) {
		e->op = OP_REMOVE;
		if (!arg_user_or_reply(req, a[0], &e->user) ||
		    !allowed_or_reply(req, e->user, NULL))
			goto bad;
		return e;
	}
	if (strcasecmp(op, "swap") == 0 && (n == 2 || n == 4)) {
		long long when = clock_now_ms(), b, x;
		struct duty_rot tmp;

		e->op = OP_SWAP;
		if (!pm_or_reply(req, a[0], &e->user) ||
		    !pm_or_reply(req, a[1], &e->other))
			goto bad;
		if (n == 4 &&
		    (strcasecmp(a[2], "week") != 0 ||
			duty_parse_time(rc->timezone, a[3], 0, &when) < 0)) {
			reply_usage(req, "expected \"week YYYY-MM-DD\"");
			goto bad;
		}
		if (duty_from_conf(&tmp, rc, when) < 0) {
			reply_error(req, "the rotation's zone is unusable");
			goto bad;
		}
		/* The week is the handoff period containing the date. */
		if (duty_period(&tmp, when, &b, &x) < 0)
			b = x = when;
		duty_rot_free(&tmp);
		e->from = b;
		e->to = x;
		if (!allowed_or_reply(req, e->user, e->other))
			goto bad;
		return e;
	}
	if ((strcasecmp(op, "cover") == 0 || strcasecmp(op, "away") == 0) &&
	    n == 3) {
		e->op = strcasecmp(op, "cover") == 0 ? OP_COVER : OP_AWAY;
		if (!pm_or_reply(req, a[0], &e->user) ||
		    !range_or_reply(req, rc, a[1], a[2], &e->from, &e->to) ||
		    !allowed_or_reply(req, e->user, NULL))
			goto bad;
		return e;
	}
	reply_usage(req, "unknown or incomplete rotation command \"%s\"", op);
bad:
	edit_free(e);
	return NULL;
}

static void
history_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	const struct rotation_conf *rc = req->hdata;
	struct message *m;
	size_t i;

	(void)st;
	req->hdata = NULL;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		if (r == NULL)
			reply_store_down(req);
		else
			reply_error(req, "the state store gave an unexpected "
					 "answer");
		(void)err;
		request_done(req, CMD_ERROR);
		return;
	}
	m = message_new();
	message_printf(m, "**%s rotation history** (newest first):", rc->name);
	if (r->element[0]->elements == 0)
		message_printf(m, "\nno handoffs yet");
	for (i = 0; i < r->element[0]->elements; i++) {
		char *line = xstrdup(r->element[0]->element[i]->str);
		char *at = strtok(line, "|"), *from = strtok(NULL, "|");
		char *to = strtok(NULL, "|"), *by = strtok(NULL, "|");

		if (at && from && to) {
			message_printf(m, "\n- ");
			recur_format(
			    &m->text, rc->timezone, strtoll(at, NULL, 10), 1);
			message_printf(
			    m, ": @%s → @%s (%s)", from, to, by ? by : "?");
		}
		free(line);
	}
	message_printf(m, "\nTurns taken:");
	if (r->element[1]->elements == 0)
		message_printf(m, " none yet");
	for (i = 0; i + 1 < r->element[1]->elements; i += 2)
		message_printf(m, "%s @%s %s", i ? "," : "",
		    r->element[1]->element[i]->str,
		    r->element[1]->element[i + 1]->str);
	reply_message(req, m, 0);
	message_free(m);
	request_done(req, CMD_OK);
}

static const char history_lua[] =
    "return {redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1),\n"
    "  redis.call('HGETALL', KEYS[2])}\n";

static enum cmd_retval
rotation_history(struct request *req, const struct rotation_conf *rc)
{
	char *k1 = rkey(req, rc->name, ":hist"),
	     *k2 = rkey(req, rc->name, ":count");
	char lim[8];
	const char *argv[6];
	int rc2;

	snprintf(lim, sizeof(lim), "%d", 20);
	argv[0] = "EVAL";
	argv[1] = history_lua;
	argv[2] = "2";
	argv[3] = k1;
	argv[4] = k2;
	argv[5] = lim;
	req->hdata = (void *)rc;
	rc2 = store_cmdargv(req->store, history_done, req, 6, argv, NULL);
	free(k1);
	free(k2);
	if (rc2 < 0) {
		req->hdata = NULL;
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

static enum cmd_retval
rotation_exec(struct request *req)
{
	const struct rotation_conf *rc;
	struct buf b = BUF_INIT;
	struct edit *e;
	size_t i;

	if (req->nargs == 0) {
		if (req->cfg->nrotations == 0)
			return reply_error(req, "no rotation is configured");
		/* The names, so the next command can be typed. */
		buf_puts(&b, "Rotations:");
		for (i = 0; i < req->cfg->nrotations; i++)
			buf_printf(
			    &b, " `/rotation %s`", req->cfg->rotations[i].name);
		reply_private(req, "%s", buf_str(&b));
		buf_free(&b);
		return CMD_OK;
	}
	rc = rotation_conf_or_reply(req, req->args[0]);
	if (rc == NULL)
		return CMD_ERROR;
	if (req->nargs == 2 && strcasecmp(req->args[1], "history") == 0)
		return rotation_history(req, rc);
	if (req->nargs == 2 && strcasecmp(req->args[1], "handoff") == 0) {
		if (!config_is_admin(req->cfg, req->user) &&
		    !strlist_has(&rc->members, req->user) &&
		    !config_is_pm(req->cfg, req->user))
			return reply_error(req,
			    "permission denied: a handoff is for the "
			    "rotation's PMs and admins");
		start_handoff(req, rc, clock_now_ms(), 1, NULL, NULL);
		return CMD_WAIT;
	}
	e = parse_edit(req, rc);
	if (e == NULL)
		return CMD_ERROR;
	req->hdata = e;
	if (rotation_load(req, rc, edit_loaded) < 0) {
		req->hdata = NULL;
		edit_free(e);
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

const struct cmd_entry cmd_rotation_entry = {
    .name = "rotation",
    .aliases = {"duty", NULL},
    .usage = "rotation <twitter|triage> [add @user [after @user] | remove "
	     "@user | swap @a @b [week YYYY-MM-DD] | cover @user <from> <to> | "
	     "away @user <from> <to> | handoff | history]",
    .summary = "who is on Twitter or triage duty; swaps, covers, away",
    .examples =
	"/rotation twitter\n"
	"/rotation triage swap @ana @ben week 2027-03-08\n"
	"/rotation twitter away @ana 2027-03-10 2027-03-12\n"
	"/rotation twitter cover @ben 2027-03-10T13:00 2027-03-10T18:00",
    .args_min = 0,
    .args_max = 6,
    .perm = PERM_ANYONE,
    .exec = rotation_exec,
};
