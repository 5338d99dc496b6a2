/*
 * /brief: the registry of experiment briefs.  A brief is a hash keyed by
 * its slug; an ordered set lists every slug by creation time, a set per
 * owner lists theirs, and a set of everyone who ever owned a brief tells
 * a first-time owner apart.  Creation and removal run as Lua scripts so
 * that the hash and its indexes never disagree, whatever crashes.
 *
 * Keys (each after the configured prefix; docs/redis-keys.md):
 *   brief:<slug>          hash: slug url title owner stage created_at
 *                         created_by updated_at v, and once /qa ran
 *                         qa_key qa_url qa_at
 *   briefs                zset: slug scored by creation time (ms)
 *   briefs:owner:<user>   set of slugs
 *   brief-owners          set of users who ever owned a brief
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handler.h"
#include "brief.h"
#include "checklist.h"
#include "router.h"
#include "log.h"

#define BRIEF_FORMAT_VERSION "1"

const char *const brief_stages[] = {
    "draft", "review", "preview", "enrolling", "observation", "complete", NULL};

static const char add_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then return {0, 0} end\n"
    "redis.call('HSET', KEYS[1], 'slug', ARGV[1], 'url', ARGV[2],\n"
    "  'owner', ARGV[3], 'title', ARGV[4], 'stage', 'draft',\n"
    "  'created_at', ARGV[5], 'created_by', ARGV[6],\n"
    "  'updated_at', ARGV[5], 'v', ARGV[7])\n"
    "redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])\n"
    "redis.call('SADD', KEYS[3], ARGV[1])\n"
    "return {1, redis.call('SADD', KEYS[4], ARGV[3])}\n";

static const char remove_lua[] =
    "local owner = redis.call('HGET', KEYS[1], 'owner')\n"
    "if not owner then return 0 end\n"
    "redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])\n"
    "redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "redis.call('SREM', ARGV[2] .. owner, ARGV[1])\n"
    "return 1\n";

/* Every brief's summary fields, oldest first: slug title owner stage. */
static const char list_lua[] =
    "local out = {}\n"
    "for _, s in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
    "  local f = redis.call('HMGET', ARGV[1] .. s, 'title', 'owner',\n"
    "    'stage')\n"
    "  out[#out + 1] = s\n"
    "  out[#out + 1] = f[1] or ''\n"
    "  out[#out + 1] = f[2] or ''\n"
    "  out[#out + 1] = f[3] or ''\n"
    "end\n"
    "return out\n";

int
brief_stage_index(const char *stage)
{
	int i;

	for (i = 0; brief_stages[i]; i++)
		if (strcasecmp(stage, brief_stages[i]) == 0)
			return i;
	return -1;
}

char *
brief_key(const struct request *req, const char *slug)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%sbrief:%s", store_prefix(req->store), slug);
	return buf_detach(&b);
}

char *
brief_experimenter_url(const struct config *cfg, const char *slug)
{
	struct buf b = BUF_INIT;
	const char *p, *pat = cfg->experimenter_url;

	if (pat == NULL || *pat == '\0')
		return NULL;
	for (p = pat; *p; p++) {
		if (strncmp(p, "{slug}", 6) == 0) {
			buf_puts(&b, slug);
			p += 5;
		} else {
			buf_putc(&b, *p);
		}
	}
	return buf_detach(&b);
}

/* Finds field in a flat HGETALL reply; NULL when absent. */
const char *
brief_field(const redisReply *r, const char *field)
{
	size_t i;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[i]->str, field) == 0 &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING)
			return r->element[i + 1]->str;
	return NULL;
}

/* A store reply that is no answer (connection lost) or an error. */
static int
store_failed_or_reply(struct request *req, redisReply *r, const char *err)
{
	if (r == NULL) {
		reply_store_down(req);
		request_done(req, CMD_ERROR);
		return 1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		reply_error(
		    req, "the state store refused the change: %s", r->str);
		request_done(req, CMD_ERROR);
		return 1;
	}
	return 0;
}

/* --- the card ------------------------------------------------------------ */

struct message *
brief_card(const struct request *req, const redisReply *h)
{
	struct message *m = message_new();
	struct buf b = BUF_INIT;
	const char *slug = brief_field(h, "slug");
	const char *title = brief_field(h, "title");
	const char *url = brief_field(h, "url");
	const char *qa = brief_field(h, "qa_key");
	const char *qa_url = brief_field(h, "qa_url");
	char *exp = brief_experimenter_url(req->cfg, slug ? slug : "");

	message_card(m, title && *title ? title : slug, url);
	buf_printf(&b, "@%s", brief_field(h, "owner") ?: "?");
	message_field(m, "Owner", b.data, 1);
	message_field(m, "Stage", brief_field(h, "stage") ?: "draft", 1);
	buf_reset(&b);
	buf_printf(&b, "[%s](%s)", slug, url ? url : "");
	message_field(m, "Brief", b.data, 1);
	if (exp) {
		buf_reset(&b);
		buf_printf(&b, "[Experimenter](%s)", exp);
		message_field(m, "Experimenter", b.data, 1);
	}
	buf_reset(&b);
	if (qa && *qa && qa_url && *qa_url)
		buf_printf(&b, "[%s](%s)", qa, qa_url);
	else if (qa && *qa)
		buf_printf(&b, "%s", qa);
	else
		buf_printf(&b, "none yet: `/qa %s`", slug);
	message_field(m, "QA ticket", b.data, 1);
	buf_free(&b);
	free(exp);
	return m;
}

/* --- /brief <slug> ------------------------------------------------------- */

static void
suggest_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	const char **known, *near[3];
	struct buf b = BUF_INIT;
	size_t i;
	int n;

	if (store_failed_or_reply(req, r, err))
		return;
	known = xcalloc(r->elements + 1, sizeof(*known));
	for (i = 0; i < r->elements; i++)
		known[i] = r->element[i]->str;
	n = nearest_words(req->hdata, known, r->elements, near, 3);
	buf_printf(&b, "no brief \"%s\"", (char *)req->hdata);
	for (i = 0; i < (size_t)n; i++)
		buf_printf(
		    &b, "%s\"%s\"", i ? ", " : "; did you mean ", near[i]);
	if (n == 0)
		buf_puts(&b, "; `/brief list` shows them all");
	reply_error(req, "%s", b.data);
	buf_free(&b);
	free(known);
	free(req->hdata);
	req->hdata = NULL;
	request_done(req, CMD_ERROR);
}

/* Answers "no brief x; did you mean ..." from the list of slugs. */
void
brief_suggest_slugs(struct request *req, const char *slug)
{
	req->hdata = xstrdup(slug);
	if (store_cmd(req->store, suggest_done, req, "ZRANGE %sbriefs 0 -1",
		store_prefix(req->store)) < 0) {
		free(req->hdata);
		req->hdata = NULL;
		reply_store_down(req);
		request_done(req, CMD_ERROR);
	}
}

/* /brief <slug> reads the brief and its checklist in one round trip: both
 * HGETALLs are queued at once, and Redis answers them in order, so
 * show_done always sees the brief before show_progress_done finishes the
 * card with the checklist's progress. */
struct show_state {
	enum { SHOW_WAIT, SHOW_FOUND, SHOW_MISSING, SHOW_FAILED } state;
	struct message *card;
	char *refused; /* Redis's error, SHOW_FAILED only */
	int alone;     /* the checklist read could not be queued */
};

static void
show_state_free(struct show_state *ss)
{
	message_free(ss->card);
	free(ss->refused);
	free(ss);
}

/* Answers from what show_done found, with the progress when there is one. */
static void
show_finish(struct request *req, const redisReply *progress)
{
	struct show_state *ss = req->hdata;
	struct buf b = BUF_INIT;
	int done, total;

	req->hdata = NULL;
	switch (ss->state) {
	case SHOW_MISSING:
		show_state_free(ss);
		brief_suggest_slugs(req, req->args[0]);
		return;
	case SHOW_FAILED:
	case SHOW_WAIT:
		if (ss->refused != NULL)
			reply_error(req,
			    "the state store refused the change: %s",
			    ss->refused);
		else
			reply_store_down(req);
		show_state_free(ss);
		request_done(req, CMD_ERROR);
		return;
	case SHOW_FOUND:
		break;
	}
	if (progress != NULL && progress->type == REDIS_REPLY_ARRAY) {
		checklist_progress(req->cfg, progress, &done, &total);
		buf_printf(&b, "%d/%d done: `/checklist %s`", done, total,
		    req->args[0]);
		message_field(ss->card, "Checklist", b.data, 1);
		buf_free(&b);
	}
	/* Without the progress the card is still worth showing. */
	reply_message(req, ss->card, 0);
	show_state_free(ss);
	request_done(req, CMD_OK);
}

static void
show_progress_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	show_finish(priv, r);
}

static void
show_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct show_state *ss = req->hdata;

	if (r == NULL)
		ss->state = SHOW_FAILED;
	else if (r->type == REDIS_REPLY_ERROR) {
		ss->state = SHOW_FAILED;
		ss->refused = xstrdup(r->str);
	} else if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
		ss->state = SHOW_MISSING;
	else {
		ss->state = SHOW_FOUND;
		ss->card = brief_card(req, r);
	}
	if (ss->alone)
		show_finish(req, NULL);
}

static enum cmd_retval
brief_show(struct request *req)
{
	struct show_state *ss;
	char *key, *ckey;
	int rc;

	if (req->nargs == 0)
		return reply_usage(req, "which brief? give its slug");
	if (!arg_slug_or_reply(req, req->args[0]))
		return CMD_ERROR;
	ss = xcalloc(1, sizeof(*ss));
	req->hdata = ss;
	key = brief_key(req, req->args[0]);
	rc = store_cmd(req->store, show_done, req, "HGETALL %s", key);
	free(key);
	if (rc < 0) {
		req->hdata = NULL;
		free(ss);
		return reply_store_down(req);
	}
	ckey = checklist_key(req, req->args[0]);
	if (store_cmd(req->store, show_progress_done, req, "HGETALL %s", ckey) <
	    0)
		ss->alone = 1;
	free(ckey);
	return CMD_WAIT;
}

/* --- /brief add ------------------------------------------------------------
 */

static int
url_ok(const char *url)
{
	const char *host;

	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return 0;
	if (*host == '\0' || *host == '/' || strlen(url) > 2048)
		return 0;
	for (; *host; host++)
		if ((unsigned char)*host <= ' ' || *host == '"' ||
		    *host == '<' || *host == '>')
			return 0;
	return 1;
}

struct add_state {
	char *slug;
	char *owner;
	char *title;
};

static void
add_state_free(struct add_state *a)
{
	free(a->slug);
	free(a->owner);
	free(a->title);
	free(a);
}

static void
add_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct add_state *a = req->hdata;
	struct message *guide;
	int created, first;

	req->hdata = NULL;
	if (store_failed_or_reply(req, r, err)) {
		add_state_free(a);
		return;
	}
	created = r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
		  r->element[0]->integer == 1;
	first = created && r->element[1]->integer == 1;
	if (!created) {
		reply_error(req, "brief \"%s\" already exists; see `/brief %s`",
		    a->slug, a->slug);
		add_state_free(a);
		request_done(req, CMD_ERROR);
		return;
	}
	reply(req,
	    "Registered brief **%s** (%s), owned by @%s, stage draft. "
	    "Next: `/checklist %s`.",
	    a->slug, a->title, a->owner, a->slug);
	if (first) {
		struct buf ch = BUF_INIT;

		guide = brief_new_owner_guide(req->cfg, a->owner, a->slug);
		buf_printf(&ch, "@%s", a->owner);
		if (request_post(req, ch.data, guide) < 0)
			reply_private(req,
			    "I could not send @%s the new-owner "
			    "guide; `/guide start` has it.",
			    a->owner);
		buf_free(&ch);
		message_free(guide);
	}
	add_state_free(a);
	request_done(req, CMD_OK);
}

static enum cmd_retval
brief_add(struct request *req)
{
	struct add_state *a;
	const char *title = NULL, *argv[11];
	char *owner = NULL, *key;
	struct buf now = BUF_INIT, okey = BUF_INIT, zkey = BUF_INIT,
		   ownkey = BUF_INIT;
	int i, rc;

	if (!arg_slug_or_reply(req, req->args[0]))
		return CMD_ERROR;
	if (!url_ok(req->args[1]))
		return reply_usage(
		    req, "\"%s\" is not an http(s) URL", req->args[1]);
	for (i = 2; i < req->nargs; i += 2) {
		if (i + 1 >= req->nargs) {
			free(owner);
			return reply_usage(
			    req, "\"%s\" needs a value", req->args[i]);
		}
		if (strcasecmp(req->args[i], "owner") == 0) {
			free(owner);
			owner = NULL;
			if (!arg_user_or_reply(req, req->args[i + 1], &owner))
				return CMD_ERROR;
		} else if (strcasecmp(req->args[i], "title") == 0) {
			title = req->args[i + 1];
		} else {
			free(owner);
			return reply_usage(
			    req, "unknown option \"%s\"", req->args[i]);
		}
	}
	a = xcalloc(1, sizeof(*a));
	a->slug = xstrdup(req->args[0]);
	a->owner = owner ? owner : xstrdup(req->user);
	a->title = xstrdup(title && *title ? title : req->args[0]);
	key = brief_key(req, a->slug);
	buf_printf(&zkey, "%sbriefs", store_prefix(req->store));
	buf_printf(&okey, "%sbrief-owners", store_prefix(req->store));
	buf_printf(
	    &ownkey, "%sbriefs:owner:%s", store_prefix(req->store), a->owner);
	buf_printf(&now, "%lld", now_ms());
	argv[0] = "EVAL";
	argv[1] = add_lua;
	argv[2] = "4";
	argv[3] = key;
	argv[4] = zkey.data;
	argv[5] = ownkey.data;
	argv[6] = okey.data;
	argv[7] = a->slug;
	argv[8] = req->args[1];
	argv[9] = a->owner;
	argv[10] = a->title;
	{
		const char *all[15];

		memcpy(all, argv, sizeof(argv));
		all[11] = now.data;
		all[12] = req->user;
		all[13] = BRIEF_FORMAT_VERSION;
		req->hdata = a;
		rc = store_cmdargv(req->store, add_done, req, 14, all, NULL);
	}
	free(key);
	buf_free(&zkey);
	buf_free(&okey);
	buf_free(&ownkey);
	buf_free(&now);
	if (rc < 0) {
		req->hdata = NULL;
		add_state_free(a);
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

/* --- /brief list, /brief find -------------------------------------------- */

struct list_filter {
	int stage; /* -1: any */
	char *owner;
	char **words; /* find: every word must match slug or title */
};

static int
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return n == 0;
}

static void
list_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct list_filter *f = req->hdata;
	struct message *m;
	size_t i, shown = 0;
	char **w;

	req->hdata = NULL;
	if (store_failed_or_reply(req, r, err))
		goto out;
	m = message_new();
	for (i = 0; i + 3 < r->elements; i += 4) {
		const char *slug = r->element[i]->str;
		const char *title = r->element[i + 1]->str;
		const char *owner = r->element[i + 2]->str;
		const char *stage = r->element[i + 3]->str;
		int ok = 1;

		if (f->stage >= 0 && strcmp(stage, brief_stages[f->stage]))
			ok = 0;
		if (f->owner && strcmp(owner, f->owner))
			ok = 0;
		for (w = f->words; ok && w && *w; w++)
			if (!contains_ci(slug, *w) && !contains_ci(title, *w))
				ok = 0;
		if (!ok)
			continue;
		message_printf(m, "%s- **%s**: %s (@%s, %s)", shown ? "\n" : "",
		    slug, title, owner, stage);
		shown++;
	}
	if (shown == 0)
		message_printf(m, "No briefs match. `/brief add <slug> <url>` "
				  "registers one.");
	reply_message(req, m, 0);
	message_free(m);
	request_done(req, CMD_OK);
out:
	free(f->owner);
	free(f->words);
	free(f);
}

static enum cmd_retval
list_query(struct request *req, struct list_filter *f)
{
	struct buf zkey = BUF_INIT, pfx = BUF_INIT;
	const char *argv[5];
	int rc;

	buf_printf(&zkey, "%sbriefs", store_prefix(req->store));
	buf_printf(&pfx, "%sbrief:", store_prefix(req->store));
	argv[0] = "EVAL";
	argv[1] = list_lua;
	argv[2] = "1";
	argv[3] = zkey.data;
	argv[4] = pfx.data;
	req->hdata = f;
	rc = store_cmdargv(req->store, list_done, req, 5, argv, NULL);
	buf_free(&zkey);
	buf_free(&pfx);
	if (rc < 0) {
		req->hdata = NULL;
		free(f->owner);
		free(f->words);
		free(f);
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

static enum cmd_retval
brief_list(struct request *req)
{
	struct list_filter *f = xcalloc(1, sizeof(*f));
	int i;

	f->stage = -1;
	for (i = 0; i < req->nargs; i++) {
		if (strcasecmp(req->args[i], "owner") == 0 &&
		    i + 1 < req->nargs) {
			free(f->owner);
			f->owner = NULL;
			if (!arg_user_or_reply(req, req->args[++i], &f->owner))
				goto bad;
		} else if (brief_stage_index(req->args[i]) >= 0) {
			f->stage = brief_stage_index(req->args[i]);
		} else {
			reply_usage(req,
			    "\"%s\" is neither a stage nor "
			    "\"owner @user\"",
			    req->args[i]);
			goto bad;
		}
	}
	return list_query(req, f);
bad:
	free(f->owner);
	free(f);
	return CMD_ERROR;
}

static enum cmd_retval
brief_find(struct request *req)
{
	struct list_filter *f = xcalloc(1, sizeof(*f));

	f->stage = -1;
	f->words = xcalloc((size_t)req->nargs + 1, sizeof(char *));
	memcpy(f->words, req->args, (size_t)req->nargs * sizeof(char *));
	return list_query(req, f);
}

/* --- /brief remove ------------------------------------------------------- */

static void
remove_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;

	if (store_failed_or_reply(req, r, err))
		return;
	reply(req, "Removed brief **%s**.", req->args[0]);
	request_done(req, CMD_OK);
}

static void
remove_owner_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct buf zkey = BUF_INIT, okey = BUF_INIT;
	const char *argv[9];
	char *key, *ckey, *lkey;
	int rc;

	if (store_failed_or_reply(req, r, err))
		return;
	if (r->type != REDIS_REPLY_STRING) {
		brief_suggest_slugs(req, req->args[0]);
		return;
	}
	if (strcmp(r->str, req->user) &&
	    !router_permitted(req->cfg, req->user, PERM_ADMIN)) {
		reply_error(req,
		    "permission denied: only @%s or an admin may "
		    "remove \"%s\"",
		    r->str, req->args[0]);
		request_done(req, CMD_ERROR);
		return;
	}
	key = brief_key(req, req->args[0]);
	ckey = checklist_key(req, req->args[0]);
	lkey = checklist_log_key(req, req->args[0]);
	buf_printf(&zkey, "%sbriefs", store_prefix(req->store));
	buf_printf(&okey, "%sbriefs:owner:", store_prefix(req->store));
	argv[0] = "EVAL";
	argv[1] = remove_lua;
	argv[2] = "4";
	argv[3] = key;
	argv[4] = zkey.data;
	argv[5] = ckey;
	argv[6] = lkey;
	argv[7] = req->args[0];
	argv[8] = okey.data;
	rc = store_cmdargv(req->store, remove_done, req, 9, argv, NULL);
	free(key);
	free(ckey);
	free(lkey);
	buf_free(&zkey);
	buf_free(&okey);
	if (rc < 0) {
		reply_store_down(req);
		request_done(req, CMD_ERROR);
	}
}

static enum cmd_retval
brief_remove(struct request *req)
{
	char *key;
	int rc;

	if (!arg_slug_or_reply(req, req->args[0]))
		return CMD_ERROR;
	key = brief_key(req, req->args[0]);
	rc =
	    store_cmd(req->store, remove_owner_done, req, "HGET %s owner", key);
	free(key);
	if (rc < 0)
		return reply_store_down(req);
	return CMD_WAIT;
}

/* --- /brief stage ----------------------------------------------------------
 */

/* Moves the brief; answers {old stage, owner}, or nil when unknown. */
static const char stage_lua[] =
    "local old = redis.call('HGET', KEYS[1], 'stage')\n"
    "if not old then return nil end\n"
    "redis.call('HSET', KEYS[1], 'stage', ARGV[1], 'updated_at', ARGV[2])\n"
    "return {old, redis.call('HGET', KEYS[1], 'owner') or ''}\n";

static void
stage_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;

	if (store_failed_or_reply(req, r, err))
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		brief_suggest_slugs(req, req->args[0]);
		return;
	}
	brief_stage_changed(req, req->args[0], r->element[0]->str,
	    brief_stages[brief_stage_index(req->args[1])], r->element[1]->str);
}

static enum cmd_retval
brief_stage(struct request *req)
{
	struct buf now = BUF_INIT;
	const char *argv[6];
	char *key;
	int rc, idx;

	if (!arg_slug_or_reply(req, req->args[0]))
		return CMD_ERROR;
	idx = brief_stage_index(req->args[1]);
	if (idx < 0)
		return reply_usage(req,
		    "unknown stage \"%s\"; the stages are "
		    "draft, review, preview, enrolling, "
		    "observation, complete",
		    req->args[1]);
	key = brief_key(req, req->args[0]);
	buf_printf(&now, "%lld", now_ms());
	argv[0] = "EVAL";
	argv[1] = stage_lua;
	argv[2] = "1";
	argv[3] = key;
	argv[4] = brief_stages[idx];
	argv[5] = now.data;
	rc = store_cmdargv(req->store, stage_done, req, 6, argv, NULL);
	free(key);
	buf_free(&now);
	if (rc < 0)
		return reply_store_down(req);
	return CMD_WAIT;
}

struct stage_change {
	char *slug, *from, *to, *owner;
};

static void
stage_change_free(struct stage_change *sc)
{
	free(sc->slug);
	free(sc->from);
	free(sc->to);
	free(sc->owner);
	free(sc);
}

/*
 * After the move: the items the bot could tick (reaching "enrolling"
 * means launched) are ticked, the channel hears of the move, and the
 * owner gets the open items of the list the new stage works through.
 */
static void
stage_ticked(struct request *req, const struct checklist_view *v,
    const char *err, void *priv)
{
	struct stage_change *sc = priv;
	const char *list = checklist_list_for_stage(sc->to);
	struct message *dm;
	struct buf ch = BUF_INIT;
	int i, open = 0;

	if (v == NULL) {
		/* The move is stored; only the checklist part failed. */
		log_msg(LOG_WARN, "brief: checklist of %s after stage: %s",
		    sc->slug, err ? err : "?");
		reply(req, "Brief **%s** moved from %s to **%s**.", sc->slug,
		    sc->from, sc->to);
		stage_change_free(sc);
		request_done(req, CMD_OK);
		return;
	}
	dm = message_new();
	message_printf(dm,
	    "**%s** is now in stage **%s**. Open items of its "
	    "%s checklist:",
	    sc->slug, sc->to, list);
	for (i = 0; i < v->nitems; i++) {
		const struct checklist_item *it = &v->items[i];

		if (strcmp(it->list, list) != 0 || it->done)
			continue;
		message_printf(dm, "\n- %d. %s%s%s%s%s", it->n, it->text,
		    *it->assignee ? " - @" : "", it->assignee,
		    *it->due ? " - due " : "", it->due);
		open++;
	}
	message_printf(
	    dm, "\nTick them with `/checklist %s done <n>`.", sc->slug);
	{
		struct message *m = message_new();

		message_printf(m, "Brief **%s** moved from %s to **%s**.",
		    sc->slug, sc->from, sc->to);
		for (i = 0; i < v->nitems; i++)
			if (v->items[i].ticked_now)
				message_printf(m, " Ticked %d. %s.",
				    v->items[i].n, v->items[i].text);
		if (open > 0)
			message_printf(m, " %d open %s item%s sent to @%s.",
			    open, list, open == 1 ? "" : "s", sc->owner);
		reply_message(req, m, 0);
		message_free(m);
	}
	if (open > 0 && *sc->owner) {
		buf_printf(&ch, "@%s", sc->owner);
		if (request_post(req, ch.data, dm) < 0)
			reply_private(req,
			    "I could not message @%s; `/checklist %s` shows "
			    "the open items.",
			    sc->owner, sc->slug);
		buf_free(&ch);
	}
	message_free(dm);
	stage_change_free(sc);
	request_done(req, CMD_OK);
}

void
brief_stage_changed(struct request *req, const char *slug, const char *from,
    const char *to, const char *owner)
{
	struct stage_change *sc;
	struct buf ev = BUF_INIT;

	if (strcmp(from, to) == 0) {
		reply(
		    req, "Brief **%s** is already in stage **%s**.", slug, to);
		request_done(req, CMD_OK);
		return;
	}
	sc = xcalloc(1, sizeof(*sc));
	sc->slug = xstrdup(slug);
	sc->from = xstrdup(from);
	sc->to = xstrdup(to);
	sc->owner = xstrdup(owner ? owner : "");
	buf_printf(&ev, "stage:%s", to);
	if (checklist_auto(req, slug, ev.data, stage_ticked, sc) < 0) {
		reply(req, "Brief **%s** moved from %s to **%s**.", slug, from,
		    to);
		stage_change_free(sc);
		request_done(req, CMD_OK);
	}
	buf_free(&ev);
}

/* The DM a first-time owner gets. */
struct message *
brief_new_owner_guide(
    const struct config *cfg, const char *owner, const char *slug)
{
	struct message *m = message_new();

	message_printf(m,
	    "Welcome, @%s: **%s** is your first experiment brief. The "
	    "essentials:\n"
	    "- Take the experimentation training before launch.\n"
	    "- Keep the brief current: it is the record of goals and "
	    "decisions.\n"
	    "- Work through `/checklist %s`.\n"
	    "- Data-science office hours: Wednesdays and Thursdays "
	    "(`/guide office-hours`).\n"
	    "- Ask for a shadow in ~%s (`/guide shadow`).\n"
	    "- File the QA ticket with `/qa %s`.\n"
	    "- Find trained reviewers: `/guide start`.",
	    owner, slug, slug, config_channel(cfg, "ask"), slug);
	return m;
}

static const struct cmd_entry brief_subs[] = {
    {.name = "add",
	.usage = "brief add <slug> <brief-url> [owner @user] [title \"...\"]",
	.summary = "register a brief (you own it unless you name an owner)",
	.examples = "/brief add checkout-v2 https://docs.example.com/b/1 "
		    "title \"Checkout v2\"",
	.args_min = 2,
	.args_max = 6,
	.perm = PERM_ANYONE,
	.exec = brief_add},
    {.name = "stage",
	.usage = "brief stage <slug> "
		 "<draft|review|preview|enrolling|observation|complete>",
	.summary = "move a brief through the Experimenter lifecycle",
	.args_min = 2,
	.args_max = 2,
	.perm = PERM_ANYONE,
	.exec = brief_stage},
    {.name = "list",
	.usage = "brief list [stage] [owner @user]",
	.summary = "list briefs, optionally by stage and owner",
	.args_min = 0,
	.args_max = 3,
	.perm = PERM_ANYONE,
	.exec = brief_list},
    {.name = "find",
	.usage = "brief find <words>",
	.summary = "find briefs by words in slug and title",
	.args_min = 1,
	.args_max = -1,
	.perm = PERM_ANYONE,
	.exec = brief_find},
    {.name = "remove",
	.aliases = {"rm", "delete", NULL},
	.usage = "brief remove <slug>",
	.summary = "remove a brief (its owner or an admin)",
	.args_min = 1,
	.args_max = 1,
	.perm = PERM_ANYONE,
	.exec = brief_remove},
    {.name = NULL},
};

const struct cmd_entry cmd_brief_entry = {
    .name = "brief",
    .usage = "brief <slug> | brief add|stage|list|find|remove ...",
    .summary = "the experiment brief registry: cards, stages, owners",
    .examples = "/brief checkout-v2\n/brief list enrolling\n"
		"/brief find checkout",
    .args_min = 0,
    .args_max = 1,
    .perm = PERM_ANYONE,
    .subs = brief_subs,
    .exec = brief_show,
};
