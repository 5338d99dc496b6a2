/*
 * /qa: files the QA "Nimbus/Remote delivery" Jira ticket of a brief, links
 * it both ways (qa_key on the brief, a remote link on the ticket) and
 * ticks the checklist item; /qa status reads the ticket back from Jira.
 *
 * Exactly one ticket per slug, however often, however concurrently and
 * on however many replicas /qa is typed:
 *  1. the brief's qa_key answers at once when it is set;
 *  2. otherwise a claim in Redis (SET NX with a TTL) lets one request per
 *     slug through; the others are told it is being filed;
 *  3. the winner reads qa_key again (a request that just finished may
 *     have stored it between our first read and our claim);
 *  4. then searches Jira by the slug label and adopts a ticket found
 *     there (filed by hand, or by a replica that died after creating);
 *  5. only then creates, and stores the key before giving up the claim.
 *
 * Jira can be slow to answer: a 429 or 503 is retried after its
 * Retry-After, a create that got no answer is searched for before it is
 * tried again.  When /qa is still at it after LIMIT_JIRA_SLOW_MS the
 * caller is told so privately, and the ticket is posted when it is filed
 * (a chat's slash command would otherwise show nothing, or time out).
 *
 * Keys (after the prefix; docs/redis-keys.md):
 *   brief:<slug>    hash fields qa_key, qa_url, qa_at (see brief.c)
 *   qa-lock:<slug>  string: the claim's random token, PX LIMIT_QA_LOCK_MS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "brief.h"
#include "checklist.h"
#include "jira.h"
#include "limits.h"
#include "log.h"

/* The "Jira is slow" timer.  It lives apart from struct qa because a
 * libuv handle is freed only after its close callback, which may come
 * after the request is gone. */
struct qa_slow {
	uv_timer_t timer;
	struct request *req; /* NULL once the request has finished */
};

struct qa {
	struct jira *j;
	struct qa_slow *slow; /* running while /qa waits on Jira */
	char *slug;
	char *title;
	char *owner;
	char *url;
	char *exp_url;
	char *token;  /* the claim we hold, or NULL */
	char *key;    /* the ticket, once known */
	char *browse; /* its link */
	int adopted;  /* found in Jira rather than created */
	int created_retry;
};

static void
slow_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
on_slow(uv_timer_t *t)
{
	struct qa_slow *s = t->data;
	struct qa *q;

	if (s->req == NULL)
		return;
	q = s->req->hdata;
	log_info("qa: Jira has not finished %s after %d ms; the caller is "
		 "told the ticket follows",
	    q->slug, LIMIT_JIRA_SLOW_MS);
	reply_private(s->req,
	    "Jira is slow; I will post the ticket here when it is filed.");
}

/* Starts the slow-Jira timer; without it /qa only loses the notice. */
static void
slow_start(struct request *req, struct qa *q)
{
	struct qa_slow *s = xcalloc(1, sizeof(*s));

	if (uv_timer_init(jira_loop(q->j), &s->timer) != 0) {
		free(s);
		return;
	}
	s->req = req;
	s->timer.data = s;
	if (uv_timer_start(&s->timer, on_slow, LIMIT_JIRA_SLOW_MS, 0) != 0) {
		uv_close((uv_handle_t *)&s->timer, slow_closed);
		return;
	}
	q->slow = s;
}

static void
slow_stop(struct qa *q)
{
	if (q->slow == NULL)
		return;
	q->slow->req = NULL;
	uv_timer_stop(&q->slow->timer);
	if (!uv_is_closing((uv_handle_t *)&q->slow->timer))
		uv_close((uv_handle_t *)&q->slow->timer, slow_closed);
	q->slow = NULL;
}

static void
qa_free(struct qa *q)
{
	slow_stop(q);
	free(q->slug);
	free(q->title);
	free(q->owner);
	free(q->url);
	free(q->exp_url);
	free(q->token);
	free(q->key);
	free(q->browse);
	free(q);
}

static char *
lock_key(const struct request *req, const char *slug)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%sqa-lock:%s", store_prefix(req->store), slug);
	return buf_detach(&b);
}

/* Deletes the claim only if it is still ours: after a TTL expiry another
 * request may hold it now. */
static const char unlock_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "  return redis.call('DEL', KEYS[1])\n"
    "end\n"
    "return 0\n";

static void
unlock_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	(void)st;
	(void)priv;
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		log_warn("qa: releasing a claim failed (%s); it expires by "
			 "itself",
		    r ? r->str : err);
}

/* Ends the request: gives the claim back and frees the state. */
static void
qa_finish(struct request *req, struct qa *q, enum cmd_retval rv)
{
	const char *argv[6];
	char *key;

	if (q->token != NULL) {
		key = lock_key(req, q->slug);
		argv[0] = "EVAL";
		argv[1] = unlock_lua;
		argv[2] = "1";
		argv[3] = key;
		argv[4] = q->token;
		if (store_cmdargv(
			req->store, unlock_done, NULL, 5, argv, NULL) < 0)
			log_warn("qa: store down; the claim on %s expires by "
				 "itself",
			    q->slug);
		free(key);
	}
	req->hdata = NULL;
	qa_free(q);
	request_done(req, rv);
}

static void
qa_fail(struct request *req, struct qa *q, const char *fmt, const char *arg)
{
	reply_error(req, fmt, arg);
	qa_finish(req, q, CMD_ERROR);
}

static struct jira_issue
issue_of(const struct request *req, const struct qa *q)
{
	struct jira_issue in;

	in.slug = q->slug;
	in.title = q->title;
	in.owner = q->owner;
	in.brief_url = q->url;
	in.experimenter_url = q->exp_url;
	in.requested_by = req->user;
	return in;
}

/* --- the end: checklist tick and the answer ------------------------------ */

static void
ticked(struct request *req, const struct checklist_view *v, const char *err,
    void *priv)
{
	struct qa *q = priv;
	struct message *m = message_new();
	int i;

	if (q->adopted)
		message_printf(m,
		    "**%s** now links QA ticket [%s](%s), found in Jira by its "
		    "label; no second ticket was filed.",
		    q->slug, q->key, q->browse);
	else
		message_printf(m, "Filed QA ticket [%s](%s) for **%s**.",
		    q->key, q->browse, q->slug);
	if (v != NULL)
		for (i = 0; i < v->nitems; i++)
			if (v->items[i].ticked_now)
				message_printf(m,
				    " Ticked checklist item %d "
				    "(%s).",
				    v->items[i].n, v->items[i].text);
	if (v == NULL)
		log_warn("qa: checklist of %s not ticked: %s", q->slug,
		    err ? err : "?");
	reply_message(req, m, 0);
	message_free(m);
	qa_finish(req, q, CMD_OK);
}

static void
linked(const struct jira_result *res, void *priv)
{
	struct request *req = priv;
	struct qa *q = req->hdata;

	/* The ticket and the brief already know each other through qa_key;
	 * a missing remote link is worth a log line, not a failed /qa. */
	if (!res->ok)
		log_warn("qa: remote link %s -> brief %s: %s", q->key, q->slug,
		    res->message ? res->message : "?");
	if (checklist_auto(req, q->slug, "qa_ticket", ticked, q) < 0)
		ticked(req, NULL, STORE_UNAVAILABLE, q);
}

/* Records the key on the brief unless one is there already (then that
 * one wins and is answered); nil when the brief was removed meanwhile. */
static const char store_key_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return nil end\n"
    "local old = redis.call('HGET', KEYS[1], 'qa_key')\n"
    "if old and old ~= '' then return {0, old} end\n"
    "redis.call('HSET', KEYS[1], 'qa_key', ARGV[1], 'qa_url', ARGV[2],\n"
    "  'qa_at', ARGV[3], 'updated_at', ARGV[3])\n"
    "return {1, ARGV[1]}\n";

static void
key_stored(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct qa *q = req->hdata;
	struct jira_issue in;

	(void)st;
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		log_error("qa: %s is %s but storing it failed: %s", q->slug,
		    q->key, r ? r->str : err);
		reply_error(req,
		    "filed %s for \"%s\" but could not record it (%s); "
		    "`/qa %s` again will find it in Jira",
		    q->key, q->slug, STORE_UNAVAILABLE, q->slug);
		qa_finish(req, q, CMD_ERROR);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY) {
		reply_error(req,
		    "brief \"%s\" was removed meanwhile; Jira has %s for it",
		    q->slug, q->key);
		qa_finish(req, q, CMD_ERROR);
		return;
	}
	in = issue_of(req, q);
	jira_link_brief(q->j, q->key, &in, linked, req);
}

static void
store_key(
    struct request *req, struct qa *q, const char *key, const char *browse)
{
	const char *argv[7];
	char *bkey = brief_key(req, q->slug), now[24];

	q->key = xstrdup(key);
	q->browse = xstrdup(browse ? browse : "");
	snprintf(now, sizeof(now), "%lld", now_ms());
	argv[0] = "EVAL";
	argv[1] = store_key_lua;
	argv[2] = "1";
	argv[3] = bkey;
	argv[4] = q->key;
	argv[5] = q->browse;
	argv[6] = now;
	if (store_cmdargv(req->store, key_stored, req, 7, argv, NULL) < 0)
		key_stored(req->store, NULL, STORE_UNAVAILABLE, req);
	free(bkey);
}

/* --- search, then create ------------------------------------------------- */

static void searched(const struct jira_result *res, void *priv);

static void
created(const struct jira_result *res, void *priv)
{
	struct request *req = priv;
	struct qa *q = req->hdata;

	if (res->ok) {
		log_info("qa: created %s for %s (%d attempt(s))", res->key,
		    q->slug, res->attempts);
		store_key(req, q, res->key, res->browse_url);
		return;
	}
	/*
	 * No answer at all (a timeout, a reset connection) leaves it open
	 * whether Jira created the issue: a blind retry could file a second
	 * one.  So the POST is not marked idempotent for the HTTP client
	 * (which retries only 429 and 503, answers Jira gives before it
	 * acts) and the retry here goes through the label search first:
	 * if the first attempt did create, the search finds it and we
	 * adopt it.  One such round only; after that the user is told.
	 */
	if (res->transport && !q->created_retry) {
		q->created_retry = 1;
		log_warn("qa: create for %s got no answer; searching before "
			 "any retry",
		    q->slug);
		jira_search_label(q->j, q->slug, searched, req);
		return;
	}
	if (res->transport) {
		qa_fail(req, q,
		    "Jira did not answer twice; the ticket may exist. `/qa %s` "
		    "again finds it rather than filing a second one",
		    q->slug);
		return;
	}
	reply_error(req, "could not file the QA ticket for \"%s\": %s", q->slug,
	    res->message ? res->message : "?");
	qa_finish(req, q, CMD_ERROR);
}

static void
searched(const struct jira_result *res, void *priv)
{
	struct request *req = priv;
	struct qa *q = req->hdata;
	struct jira_issue in;

	if (!res->ok) {
		reply_error(req,
		    "could not search Jira for \"%s\", so nothing was filed: "
		    "%s",
		    q->slug, res->message ? res->message : "?");
		qa_finish(req, q, CMD_ERROR);
		return;
	}
	if (res->found) {
		log_info("qa: adopting %s for %s (found by label)", res->key,
		    q->slug);
		q->adopted = 1;
		store_key(req, q, res->key, res->browse_url);
		return;
	}
	in = issue_of(req, q);
	jira_create_issue(q->j, &in, created, req);
}

static void
checked(const struct jira_result *res, void *priv)
{
	struct request *req = priv;
	struct qa *q = req->hdata;

	if (!res->ok) {
		qa_fail(req, q, "%s",
		    res->message ? res->message : "Jira is not usable");
		return;
	}
	jira_search_label(q->j, q->slug, searched, req);
}

/* --- the claim ------------------------------------------------------------ */

static void answer_existing(
    struct request *req, struct qa *q, const char *key, const char *url);

static void
reread_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct qa *q = req->hdata;

	(void)st;
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		qa_fail(req, q, "%s", STORE_UNAVAILABLE);
		return;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING && *r->element[0]->str) {
		answer_existing(req, q, r->element[0]->str,
		    r->element[1]->type == REDIS_REPLY_STRING
			? r->element[1]->str
			: "");
		return;
	}
	slow_start(req, q);
	jira_check(q->j, checked, req);
}

static void
claimed(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct qa *q = req->hdata;
	char *bkey;

	(void)st;
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		free(q->token);
		q->token = NULL;
		qa_fail(req, q, "%s", STORE_UNAVAILABLE);
		return;
	}
	if (r->type == REDIS_REPLY_NIL) {
		free(q->token);
		q->token = NULL;
		reply(req,
		    "The QA ticket for **%s** is being filed right now by "
		    "another request; `/qa status %s` shows it in a moment.",
		    q->slug, q->slug);
		qa_finish(req, q, CMD_OK);
		return;
	}
	bkey = brief_key(req, q->slug);
	if (store_cmd(req->store, reread_done, req, "HMGET %s qa_key qa_url",
		bkey) < 0)
		reread_done(req->store, NULL, STORE_UNAVAILABLE, req);
	free(bkey);
}

static void
claim(struct request *req, struct qa *q)
{
	struct buf tok = BUF_INIT;
	char *key = lock_key(req, q->slug);

	buf_printf(&tok, "%s:%lld:%ld", req->user, now_ms(), random());
	q->token = buf_detach(&tok);
	if (store_cmd(req->store, claimed, req, "SET %s %s NX PX %d", key,
		q->token, LIMIT_QA_LOCK_MS) < 0)
		claimed(req->store, NULL, STORE_UNAVAILABLE, req);
	free(key);
}

/* --- /qa <slug> ----------------------------------------------------------- */

static void
existing_ticked(struct request *req, const struct checklist_view *v,
    const char *err, void *priv)
{
	struct qa *q = priv;

	(void)v;
	(void)err;
	reply(req,
	    "**%s** already has QA ticket [%s](%s); no second one was "
	    "filed. `/qa status %s` reads it from Jira.",
	    q->slug, q->key, q->browse, q->slug);
	qa_finish(req, q, CMD_OK);
}

/* The brief has its ticket: answer with it, and make sure the checklist
 * shows it (a tick lost to a crash after storing the key comes back). */
static void
answer_existing(
    struct request *req, struct qa *q, const char *key, const char *url)
{
	q->key = xstrdup(key);
	q->browse = xstrdup(url);
	if (checklist_auto(req, q->slug, "qa_ticket", existing_ticked, q) < 0)
		existing_ticked(req, NULL, NULL, q);
}

static void
brief_read(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct qa *q = req->hdata;
	const char *qa_key, *url;
	char *exp;

	(void)st;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		qa_fail(req, q, "%s",
		    r && r->type == REDIS_REPLY_ERROR ? r->str
						      : STORE_UNAVAILABLE);
		return;
	}
	if (r->elements == 0) {
		req->hdata = NULL;
		brief_suggest_slugs(req, q->slug);
		qa_free(q);
		return;
	}
	qa_key = brief_field(r, "qa_key");
	if (qa_key && *qa_key) {
		answer_existing(req, q, qa_key, brief_field(r, "qa_url") ?: "");
		return;
	}
	url = brief_field(r, "url");
	q->url = xstrdup(url ? url : "");
	q->title = xstrdup(brief_field(r, "title") ?: q->slug);
	q->owner = xstrdup(brief_field(r, "owner") ?: req->user);
	exp = brief_experimenter_url(req->cfg, q->slug);
	q->exp_url = exp;
	claim(req, q);
}

static struct jira *
jira_or_reply(struct request *req)
{
	struct jira *j = jira_for_bot(req->bot);

	if (j == NULL)
		reply_error(req,
		    "Jira is not configured: set PMBOT_JIRA_URL (with "
		    "PMBOT_JIRA_TOKEN and jira.project) to use /qa");
	return j;
}

static enum cmd_retval
qa_create(struct request *req)
{
	struct qa *q;
	struct jira *j;
	char *bkey;
	int rc;

	if (req->nargs == 0)
		return reply_usage(req, "which brief? give its slug");
	if (!arg_slug_or_reply(req, req->args[0]))
		return CMD_ERROR;
	j = jira_or_reply(req);
	if (j == NULL)
		return CMD_ERROR;
	q = xcalloc(1, sizeof(*q));
	q->j = j;
	q->slug = xstrdup(req->args[0]);
	bkey = brief_key(req, q->slug);
	req->hdata = q;
	rc = store_cmd(req->store, brief_read, req, "HGETALL %s", bkey);
	free(bkey);
	if (rc < 0) {
		req->hdata = NULL;
		qa_free(q);
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

/* --- /qa status <slug> ---------------------------------------------------- */

static void
status_read(const struct jira_result *res, void *priv)
{
	struct request *req = priv;
	struct qa *q = req->hdata;
	struct message *m;

	if (!res->ok) {
		reply_error(req, "could not read %s for \"%s\" from Jira: %s",
		    q->key, q->slug, res->message ? res->message : "?");
		qa_finish(req, q, CMD_ERROR);
		return;
	}
	m = message_new();
	message_card(m, res->key ? res->key : q->key, res->browse_url);
	message_field(m, "Brief", q->slug, 1);
	message_field(m, "Status", res->status_name ?: "?", 1);
	message_field(m, "Assignee", res->assignee ?: "unassigned", 1);
	if (res->summary)
		message_field(m, "Summary", res->summary, 0);
	message_printf(m, "QA ticket of **%s**: [%s](%s) is **%s**, %s%s.",
	    q->slug, res->key ? res->key : q->key,
	    res->browse_url ? res->browse_url : "", res->status_name ?: "?",
	    res->assignee ? "assigned to " : "",
	    res->assignee ? res->assignee : "unassigned");
	reply_message(req, m, 0);
	message_free(m);
	qa_finish(req, q, CMD_OK);
}

static void
status_brief(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct qa *q = req->hdata;

	(void)st;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		qa_fail(req, q, "%s",
		    r && r->type == REDIS_REPLY_ERROR ? r->str
						      : STORE_UNAVAILABLE);
		return;
	}
	if (r->element[0]->type != REDIS_REPLY_STRING) {
		req->hdata = NULL;
		brief_suggest_slugs(req, q->slug);
		qa_free(q);
		return;
	}
	if (r->element[1]->type != REDIS_REPLY_STRING ||
	    *r->element[1]->str == '\0') {
		reply(req, "**%s** has no QA ticket yet: `/qa %s` files it.",
		    q->slug, q->slug);
		qa_finish(req, q, CMD_OK);
		return;
	}
	q->key = xstrdup(r->element[1]->str);
	jira_get_issue(q->j, q->key, status_read, req);
}

static enum cmd_retval
qa_status(struct request *req)
{
	struct qa *q;
	struct jira *j;
	char *bkey;
	int rc;

	if (!arg_slug_or_reply(req, req->args[0]))
		return CMD_ERROR;
	j = jira_or_reply(req);
	if (j == NULL)
		return CMD_ERROR;
	q = xcalloc(1, sizeof(*q));
	q->j = j;
	q->slug = xstrdup(req->args[0]);
	bkey = brief_key(req, q->slug);
	req->hdata = q;
	rc = store_cmd(
	    req->store, status_brief, req, "HMGET %s slug qa_key", bkey);
	free(bkey);
	if (rc < 0) {
		req->hdata = NULL;
		qa_free(q);
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

static const struct cmd_entry qa_subs[] = {
    {.name = "status",
	.usage = "qa status <slug>",
	.summary = "the QA ticket's status, assignee and link, from Jira",
	.args_min = 1,
	.args_max = 1,
	.perm = PERM_ANYONE,
	.exec = qa_status},
    {.name = NULL},
};

const struct cmd_entry cmd_qa_entry = {
    .name = "qa",
    .usage = "qa <slug> | qa status <slug>",
    .summary = "file the brief's QA Jira ticket (once), or read its status",
    .examples = "/qa checkout-v2\n/qa status checkout-v2",
    .args_min = 0,
    .args_max = 1,
    .perm = PERM_ANYONE,
    .subs = qa_subs,
    .exec = qa_create,
};
