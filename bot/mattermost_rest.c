/*
 * Mattermost over REST: the call helper, start-up (who am I, the team,
 * the configured channels), user facts cached in Redis, delivering outbox
 * entries as posts, and `pmbot register-commands`.
 *
 * Every call goes through the bot's HTTP client, so none blocks.  Posts
 * are sent once per outbox attempt (no client retries): the outbox owns
 * retrying, and the pending_post_id it gives every entry lets the server
 * de-duplicate a retry whose first try did arrive (§3.3).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "buf.h"
#include "limits.h"
#include "log.h"
#include "mattermost.h"
#include "mattermost_int.h"
#include "outbox.h"
#include "router.h"
#include "store.h"

/* --- the call helper -------------------------------------------------------
 */

int
mm_conn_init(struct mm_conn *c, struct http_client *hc, const char *url,
    const char *token)
{
	const char *p, *host, *slash, *colon;
	struct buf b = BUF_INIT;
	size_t len;

	memset(c, 0, sizeof(*c));
	if (url == NULL)
		return -1;
	if (strncmp(url, "https://", 8) == 0) {
		c->tls = 1;
		host = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		host = url + 7;
	} else {
		return -1;
	}
	slash = strchr(host, '/');
	if (slash == NULL)
		slash = host + strlen(host);
	if (slash == host)
		return -1;
	if (*host == '[') { /* [::1]:8065 */
		p = memchr(host, ']', (size_t)(slash - host));
		if (p == NULL)
			return -1;
		c->host = xstrndup(host + 1, (size_t)(p - host - 1));
		colon = p[1] == ':' ? p + 1 : NULL;
	} else {
		colon = memchr(host, ':', (size_t)(slash - host));
		c->host =
		    xstrndup(host, (size_t)((colon ? colon : slash) - host));
	}
	c->port = c->tls ? 443 : 80;
	if (colon != NULL) {
		char *end;
		long v = strtol(colon + 1, &end, 10);

		if (end != slash || v <= 0 || v > 65535) {
			free(c->host);
			c->host = NULL;
			return -1;
		}
		c->port = (int)v;
	}
	len = strlen(slash);
	while (len > 0 && slash[len - 1] == '/')
		len--;
	c->prefix = xstrndup(slash, len);
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	c->base = xstrndup(url, len);
	buf_printf(&b, "Authorization: Bearer %s", token ? token : "");
	c->auth = buf_detach(&b);
	c->hc = hc;
	return 0;
}

void
mm_conn_free(struct mm_conn *c)
{
	free(c->base);
	free(c->auth);
	free(c->host);
	free(c->prefix);
	memset(c, 0, sizeof(*c));
}

struct api_op {
	mm_api_cb *cb;
	void *priv;
};

static void
api_done(const struct http_response *res, void *priv)
{
	struct api_op *op = priv;
	cJSON *json = NULL;

	if (res->len > 0)
		json = cJSON_ParseWithLength(res->body, res->len);
	op->cb(res, json, op->priv);
	cJSON_Delete(json);
	free(op);
}

long
mm_api(struct mm_conn *c, const char *method, const char *path,
    const char *body, int retries, mm_api_cb *cb, void *priv)
{
	struct http_request req;
	struct api_op *op = xmalloc(sizeof(*op));
	struct buf url = BUF_INIT;
	const char *headers[2];
	long id;

	buf_printf(&url, "%s/api/v4%s", c->base, path);
	headers[0] = c->auth;
	headers[1] = "Accept: application/json";
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = buf_str(&url);
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.content_type = body ? "application/json" : NULL;
	req.headers = headers;
	req.nheaders = 2;
	req.max_retries = retries;
	req.idempotent = strcmp(method, "GET") == 0;
	op->cb = cb;
	op->priv = priv;
	id = http_client_send(c->hc, &req, api_done, op);
	if (id < 0)
		free(op);
	buf_free(&url);
	return id;
}

const char *
mm_api_error(const struct http_response *res, cJSON *json)
{
	static char why[160];
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(json, "message");

	if (res->status == 0)
		return res->error ? res->error : "no answer";
	if (cJSON_IsString(msg))
		snprintf(why, sizeof(why), "HTTP %ld: %.120s", res->status,
		    msg->valuestring);
	else
		snprintf(why, sizeof(why), "HTTP %ld", res->status);
	return why;
}

static const char *
jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* --- channels --------------------------------------------------------------
 */

const char *
mm_channel_id(const struct mm *mm, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	if (*name == '#' || *name == '~')
		name++;
	for (i = 0; i < mm->nchans; i++)
		if (strcmp(mm->chans[i].name, name) == 0)
			return mm->chans[i].id;
	return NULL;
}

const char *
mm_channel_name(const struct mm *mm, const char *id)
{
	size_t i;

	for (i = 0; i < mm->nchans; i++)
		if (strcmp(mm->chans[i].id, id) == 0)
			return mm->chans[i].name;
	return NULL;
}

void
mm_channel_add(struct mm *mm, const char *id, const char *name)
{
	size_t i;

	for (i = 0; i < mm->nchans; i++)
		if (strcmp(mm->chans[i].id, id) == 0 ||
		    strcmp(mm->chans[i].name, name) == 0) {
			free(mm->chans[i].id);
			free(mm->chans[i].name);
			mm->chans[i].id = xstrdup(id);
			mm->chans[i].name = xstrdup(name);
			return;
		}
	mm->chans = xrealloc(mm->chans, (mm->nchans + 1) * sizeof(*mm->chans));
	mm->chans[mm->nchans].id = xstrdup(id);
	mm->chans[mm->nchans].name = xstrdup(name);
	mm->nchans++;
}

/* The configured channel names, each once. */
static size_t
configured_channels(const struct config *cfg, const char **out, size_t max)
{
	const char *cand[64];
	size_t n = 0, k = 0, i, j;

	cand[n++] = cfg->ch_ask;
	cand[n++] = cfg->ch_twitter;
	cand[n++] = cfg->ch_triage;
	cand[n++] = cfg->ch_announce;
	for (i = 0; i < cfg->ch_pm.n && n < 40; i++)
		cand[n++] = cfg->ch_pm.v[i];
	for (i = 0; i < cfg->nmeetings && n < 52; i++)
		cand[n++] = config_channel(cfg, cfg->meetings[i].channel);
	for (i = 0; i < cfg->nrotations && n < 64; i++)
		cand[n++] = config_channel(cfg, cfg->rotations[i].channel);
	for (i = 0; i < n && k < max; i++) {
		const char *c = cand[i];

		if (c == NULL || *c == '\0')
			continue;
		if (*c == '#' || *c == '~')
			c++;
		for (j = 0; j < k; j++)
			if (strcmp(out[j], c) == 0)
				break;
		if (j == k)
			out[k++] = c;
	}
	return k;
}

struct chan_op {
	struct mm *mm;
	char *name;
	int connect_after; /* the last lookup of start-up connects */
};

static void
channel_done(const struct http_response *res, cJSON *json, void *priv)
{
	struct chan_op *op = priv;
	struct mm *mm = op->mm;
	const char *id = jstr(json, "id");

	mm->resolving_channels--;
	if (!mm->stopping) {
		if (res->status == 200 && id != NULL)
			mm_channel_add(mm, id, op->name);
		else if (res->status == 404)
			/* 404 also when the bot may not read it (§3.2). */
			log_warn("mattermost: channel \"%s\" does not exist in "
				 "team \"%s\" or the bot is not in it",
			    op->name, mm->bot->cfg.mm_team);
		else
			log_warn(
			    "mattermost: cannot look up channel \"%s\": %s",
			    op->name, mm_api_error(res, json));
		if (mm->resolving_channels == 0 && op->connect_after) {
			log_info("mattermost: listening in %zu channel(s)",
			    mm->nchans);
			mm_ws_connect_soon(mm);
		}
	}
	free(op->name);
	free(op);
}

static void
resolve_channels(struct mm *mm, int connect_after)
{
	const char *names[64];
	size_t n = configured_channels(&mm->bot->cfg, names, 64), i;
	struct buf path = BUF_INIT;

	if (mm->resolving_channels > 0)
		return;
	mm->resolving_channels = (int)n;
	for (i = 0; i < n; i++) {
		struct chan_op *op = xcalloc(1, sizeof(*op));

		op->mm = mm;
		op->name = xstrdup(names[i]);
		op->connect_after = connect_after;
		buf_reset(&path);
		buf_printf(
		    &path, "/teams/%s/channels/name/%s", mm->team_id, names[i]);
		if (mm_api(&mm->conn, "GET", buf_str(&path), NULL, -1,
			channel_done, op) < 0) {
			mm->resolving_channels--;
			free(op->name);
			free(op);
		}
	}
	buf_free(&path);
	if (n == 0 && connect_after)
		mm_ws_connect_soon(mm);
}

void
mm_channels_refresh(struct mm *mm)
{
	if (mm->team_id != NULL && !mm->stopping)
		resolve_channels(mm, 0);
}

/* --- start-up --------------------------------------------------------------
 */

static void startup_step(struct mm *mm);

static void
on_start_timer(uv_timer_t *t)
{
	startup_step(t->data);
}

static void
startup_retry(struct mm *mm, const char *what, const char *why)
{
	log_warn("mattermost: %s: %s; trying again in %d ms", what, why,
	    LIMIT_MM_START_RETRY_MS);
	uv_timer_start(&mm->timer, on_start_timer, LIMIT_MM_START_RETRY_MS, 0);
}

static void
team_done(const struct http_response *res, cJSON *json, void *priv)
{
	struct mm *mm = priv;
	const char *id = jstr(json, "id");

	if (mm->stopping)
		return;
	if (res->status == 200 && id != NULL) {
		mm->team_id = xstrdup(id);
		mm->start_step = 2;
		resolve_channels(mm, 1);
		return;
	}
	if (res->status == 404 || res->status == 403) {
		log_error("mattermost: team \"%s\" does not exist or the bot "
			  "is not a member (PMBOT_MATTERMOST_TEAM)",
		    mm->bot->cfg.mm_team);
		bot_shutdown(mm->bot, 1);
		return;
	}
	startup_retry(mm, "cannot look up the team", mm_api_error(res, json));
}

static void
me_done(const struct http_response *res, cJSON *json, void *priv)
{
	struct mm *mm = priv;
	const char *id = jstr(json, "id"), *name = jstr(json, "username");

	if (mm->stopping)
		return;
	if (res->status == 401) {
		/* A bad token does not get better by retrying (issue 3). */
		log_error("mattermost: the server at %s refused the bot token "
			  "(401 Unauthorized); check PMBOT_MATTERMOST_TOKEN",
		    mm->conn.base);
		bot_shutdown(mm->bot, 1);
		return;
	}
	if (res->status != 200 || id == NULL || name == NULL) {
		startup_retry(
		    mm, "cannot reach the server", mm_api_error(res, json));
		return;
	}
	free(mm->me_id);
	free(mm->me_name);
	mm->me_id = xstrdup(id);
	mm->me_name = xstrdup(name);
	mm->start_step = 1;
	startup_step(mm);
}

static void
startup_step(struct mm *mm)
{
	struct buf path = BUF_INIT;

	if (mm->stopping)
		return;
	switch (mm->start_step) {
	case 0:
		if (mm_api(&mm->conn, "GET", "/users/me", NULL, 0, me_done,
			mm) < 0)
			startup_retry(mm, "start-up", "HTTP client busy");
		break;
	case 1:
		buf_printf(&path, "/teams/name/%s",
		    mm->bot->cfg.mm_team ? mm->bot->cfg.mm_team : "");
		if (mm_api(&mm->conn, "GET", buf_str(&path), NULL, -1,
			team_done, mm) < 0)
			startup_retry(mm, "start-up", "HTTP client busy");
		break;
	default:
		break;
	}
	buf_free(&path);
}

void
mm_startup_begin(struct mm *mm)
{
	mm->start_step = 0;
	startup_step(mm);
}

/* --- users -----------------------------------------------------------------
 */

struct user_op {
	struct mm *mm;
	char *user_id;
	mm_user_cb *cb;
	void *priv;
};

static void
user_op_finish(struct user_op *op, const char *name, const char *tz)
{
	op->cb(op->mm, name, tz && *tz ? tz : NULL, op->priv);
	free(op->user_id);
	free(op);
}

static void
user_rest_done(const struct http_response *res, cJSON *json, void *priv)
{
	struct user_op *op = priv;
	struct mm *mm = op->mm;
	const char *name = jstr(json, "username"), *tz = NULL;
	const cJSON *zone = cJSON_GetObjectItemCaseSensitive(json, "timezone");

	if (res->status != 200 || name == NULL) {
		log_warn("mattermost: cannot look up user %s: %s", op->user_id,
		    mm_api_error(res, json));
		user_op_finish(op, NULL, NULL);
		return;
	}
	if (cJSON_IsObject(zone)) {
		const char *use = jstr(zone, "useAutomaticTimezone");

		tz = use && strcmp(use, "true") == 0
			 ? jstr(zone, "automaticTimezone")
			 : jstr(zone, "manualTimezone");
	}
	if (store_ready(mm->bot->store)) {
		cJSON *o = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(o, "v", "1");
		cJSON_AddStringToObject(o, "username", name);
		cJSON_AddStringToObject(o, "tz", tz ? tz : "");
		s = cJSON_PrintUnformatted(o);
		if (s != NULL)
			store_cmd(mm->bot->store, mm_store_ignore, NULL,
			    "SET %smm:user:%s %s EX %d",
			    store_prefix(mm->bot->store), op->user_id, s,
			    LIMIT_MM_USER_TTL_S);
		cJSON_free(s);
		cJSON_Delete(o);
	}
	user_op_finish(op, name, tz);
}

static void
user_rest(struct user_op *op)
{
	struct buf path = BUF_INIT;

	buf_printf(&path, "/users/%s", op->user_id);
	if (mm_api(&op->mm->conn, "GET", buf_str(&path), NULL, -1,
		user_rest_done, op) < 0)
		user_op_finish(op, NULL, NULL);
	buf_free(&path);
}

static void
user_cache_done(
    struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct user_op *op = priv;
	cJSON *o;

	if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
		o = cJSON_Parse(reply->str);
		if (jstr(o, "username") != NULL) {
			user_op_finish(op, jstr(o, "username"), jstr(o, "tz"));
			cJSON_Delete(o);
			return;
		}
		cJSON_Delete(o);
	}
	user_rest(op);
}

void
mm_user_lookup(struct mm *mm, const char *user_id, mm_user_cb *cb, void *priv)
{
	struct user_op *op = xcalloc(1, sizeof(*op));
	size_t i;

	op->mm = mm;
	op->user_id = xstrdup(user_id);
	op->cb = cb;
	op->priv = priv;
	/* Ids go into a key and a path: only id characters. */
	for (i = 0; user_id[i] != '\0'; i++)
		if (!isalnum((unsigned char)user_id[i])) {
			user_op_finish(op, NULL, NULL);
			return;
		}
	if (store_cmd(mm->bot->store, user_cache_done, op, "GET %smm:user:%s",
		store_prefix(mm->bot->store), user_id) < 0)
		user_rest(op);
}

/* --- delivering outbox entries ---------------------------------------------
 */

struct deliver_op {
	struct mm *mm;
	struct outbox *ob;
	struct outbox_item item; /* strings live until outbox_done */
	cJSON *payload;
	char *target; /* the name being resolved, cached under it */
	char *user_id;
};

static void
deliver_finish(struct deliver_op *op, enum outbox_status st, long delay)
{
	outbox_done(op->ob, &op->item, st, delay);
	cJSON_Delete(op->payload);
	free(op->target);
	free(op->user_id);
	free(op);
}

/* What an answer means for the entry. */
static enum outbox_status
classify(const struct http_response *res, long *delay)
{
	*delay = -1;
	if (res->status >= 200 && res->status < 300)
		return OUTBOX_SENT;
	if (res->status == 429) {
		/* Retry-After, else X-Ratelimit-Reset, in seconds (§3.5). */
		*delay = res->retry_after_ms >= 0 ? res->retry_after_ms : 1000;
		return OUTBOX_THROTTLED;
	}
	if (res->status == 0 || res->status >= 500 || res->status == 401 ||
	    res->status == 408)
		return OUTBOX_RETRY;
	return OUTBOX_REJECTED;
}

static void send_post(struct deliver_op *op, const char *channel_id);

static void
post_done(const struct http_response *res, cJSON *json, void *priv)
{
	struct deliver_op *op = priv;
	struct mm *mm = op->mm;
	const char *eph = jstr(op->payload, "eph");
	enum outbox_status st;
	long delay;

	st = classify(res, &delay);
	if (st == OUTBOX_REJECTED && eph != NULL && res->status == 403) {
		/* Ephemeral posts are for admins by default (§3.2): say it
		 * in a direct message instead. */
		cJSON *post =
		    cJSON_GetObjectItemCaseSensitive(op->payload, "post");
		struct message *m = message_new();
		const char *text = jstr(post, "message");
		struct buf to = BUF_INIT;

		message_printf(m, "%s", text ? text : "");
		buf_printf(&to, "dm:%s", eph);
		mm_post_message(mm, buf_str(&to), NULL, NULL, m);
		buf_free(&to);
		message_free(m);
		st = OUTBOX_SENT;
	} else if (st == OUTBOX_REJECTED) {
		log_warn("mattermost: a post to %s was refused and dropped: %s",
		    op->item.queue, mm_api_error(res, json));
	} else if (st != OUTBOX_SENT) {
		log_info("mattermost: a post to %s waits: %s", op->item.queue,
		    mm_api_error(res, json));
	}
	deliver_finish(op, st, delay);
}

static void
send_post(struct deliver_op *op, const char *channel_id)
{
	cJSON *post = cJSON_GetObjectItemCaseSensitive(op->payload, "post");
	const char *eph = jstr(op->payload, "eph");
	cJSON *body;
	char *s;

	if (!cJSON_IsObject(post)) {
		deliver_finish(op, OUTBOX_REJECTED, -1);
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(post, "channel_id");
	cJSON_AddStringToObject(post, "channel_id", channel_id);
	cJSON_DeleteItemFromObjectCaseSensitive(post, "pending_post_id");
	cJSON_AddStringToObject(post, "pending_post_id", op->item.id);
	if (eph != NULL) {
		body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "user_id", eph);
		cJSON_AddItemReferenceToObject(body, "post", post);
	} else {
		body = post;
	}
	s = cJSON_PrintUnformatted(body);
	if (body != post)
		cJSON_Delete(body);
	if (s == NULL)
		fatal("mattermost: out of memory");
	if (mm_api(&op->mm->conn, "POST", eph ? "/posts/ephemeral" : "/posts",
		s, 0, post_done, op) < 0)
		deliver_finish(op, OUTBOX_RETRY, -1);
	cJSON_free(s);
}

static int
looks_like_id(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]))
			return 0;
	return i == 26;
}

static void resolve_target(struct deliver_op *op);

static void
resolved(struct deliver_op *op, const struct http_response *res, cJSON *json)
{
	const char *id = jstr(json, "id");
	enum outbox_status st;
	long delay;

	if ((res->status == 200 || res->status == 201) && id != NULL) {
		mm_channel_add(op->mm, id, op->target);
		send_post(op, id);
		return;
	}
	st = classify(res, &delay);
	if (st == OUTBOX_SENT)
		st = OUTBOX_REJECTED;
	if (st == OUTBOX_REJECTED)
		log_warn("mattermost: cannot find where to post \"%s\": %s; "
			 "dropped",
		    op->target, mm_api_error(res, json));
	deliver_finish(op, st, delay);
}

static void
direct_done(const struct http_response *res, cJSON *json, void *priv)
{
	resolved(priv, res, json);
}

static void
open_direct(struct deliver_op *op, const char *user_id)
{
	struct buf body = BUF_INIT;

	buf_puts(&body, "[");
	buf_json_string(&body, op->mm->me_id);
	buf_puts(&body, ",");
	buf_json_string(&body, user_id);
	buf_puts(&body, "]");
	if (mm_api(&op->mm->conn, "POST", "/channels/direct", buf_str(&body),
		-1, direct_done, op) < 0)
		deliver_finish(op, OUTBOX_RETRY, -1);
	buf_free(&body);
}

static void
username_done(const struct http_response *res, cJSON *json, void *priv)
{
	struct deliver_op *op = priv;
	const char *id = jstr(json, "id");

	if (res->status == 200 && id != NULL) {
		open_direct(op, id);
		return;
	}
	resolved(op, res, json);
}

static void
channel_name_done(const struct http_response *res, cJSON *json, void *priv)
{
	resolved(priv, res, json);
}

static void
resolve_target(struct deliver_op *op)
{
	struct mm *mm = op->mm;
	const char *to = op->target, *id = mm_channel_id(mm, to);
	struct buf path = BUF_INIT;
	long rc;

	if (id != NULL) {
		send_post(op, id);
		return;
	}
	if (looks_like_id(to)) {
		send_post(op, to);
		return;
	}
	if (strncmp(to, "dm:", 3) == 0) {
		open_direct(op, to + 3);
		return;
	}
	if (to[0] == '@') {
		/* The route takes no '@' (§8.13). */
		buf_printf(&path, "/users/username/%s", to + 1);
		rc = mm_api(&mm->conn, "GET", buf_str(&path), NULL, -1,
		    username_done, op);
	} else {
		buf_printf(&path, "/teams/%s/channels/name/%s", mm->team_id,
		    to[0] == '#' || to[0] == '~' ? to + 1 : to);
		rc = mm_api(&mm->conn, "GET", buf_str(&path), NULL, -1,
		    channel_name_done, op);
	}
	buf_free(&path);
	if (rc < 0)
		deliver_finish(op, OUTBOX_RETRY, -1);
}

static int
safe_target(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) &&
		    strchr("@#~:._-", *s) == NULL)
			return 0;
	return 1;
}

void
mm_deliver(struct outbox *ob, const struct outbox_item *item, void *priv)
{
	struct mm *mm = priv;
	struct deliver_op *op = xcalloc(1, sizeof(*op));
	const char *to;

	op->mm = mm;
	op->ob = ob;
	op->item = *item;
	if (mm->me_id == NULL || mm->team_id == NULL) {
		/* Not started yet: it waits. */
		deliver_finish(op, OUTBOX_RETRY, LIMIT_MM_START_RETRY_MS);
		return;
	}
	op->payload = cJSON_Parse(item->payload);
	to = jstr(op->payload, "to");
	if (to == NULL || *to == '\0' || !safe_target(to)) {
		log_warn("mattermost: dropping an unreadable outbox entry");
		deliver_finish(op, OUTBOX_REJECTED, -1);
		return;
	}
	op->target = xstrdup(to);
	resolve_target(op);
}

/* --- register-commands -----------------------------------------------------
 */

struct reg {
	uv_loop_t loop;
	struct mm_conn conn;
	const struct config *cfg;
	char *team_id;
	cJSON *existing;
	size_t next; /* index into handler_table */
	int rc;
	int done;
	struct buf tokens;
};

static void reg_next(struct reg *r);

static void
reg_fail(struct reg *r, const char *what, const struct http_response *res,
    cJSON *json)
{
	fprintf(stderr, "pmbot: %s: %s\n", what, mm_api_error(res, json));
	r->rc = 1;
	r->done = 1;
}

static void
reg_command_done(const struct http_response *res, cJSON *json, void *priv)
{
	struct reg *r = priv;
	const char *trigger = jstr(json, "trigger"),
		   *token = jstr(json, "token");

	if (res->status != 200 && res->status != 201) {
		reg_fail(r, "cannot create or update a command", res, json);
		return;
	}
	printf("/%s %s\n", trigger ? trigger : "?",
	    token && *token ? token : "(token unchanged)");
	if (token && *token)
		buf_printf(&r->tokens, "%s%s", r->tokens.len ? "," : "", token);
	reg_next(r);
}

static const char *
existing_id(struct reg *r, const char *trigger)
{
	cJSON *c;

	cJSON_ArrayForEach (c, r->existing) {
		const char *t = jstr(c, "trigger");

		if (t != NULL && strcmp(t, trigger) == 0)
			return jstr(c, "id");
	}
	return NULL;
}

static void
reg_next(struct reg *r)
{
	const struct cmd_entry *e = handler_table[r->next];
	const char *id, *hint;
	struct buf url = BUF_INIT, path = BUF_INIT;
	cJSON *o;
	char *s;

	if (e == NULL) {
		printf("PMBOT_MATTERMOST_COMMAND_TOKENS=%s\n",
		    buf_str(&r->tokens));
		r->done = 1;
		return;
	}
	r->next++;
	buf_printf(&url, "%s/mattermost/command",
	    r->cfg->public_url ? r->cfg->public_url : "");
	hint = e->usage ? e->usage : "";
	if (strncmp(hint, e->name, strlen(e->name)) == 0)
		hint += strlen(e->name);
	while (*hint == ' ')
		hint++;
	o = cJSON_CreateObject();
	id = existing_id(r, e->name);
	if (id != NULL)
		cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "team_id", r->team_id);
	cJSON_AddStringToObject(o, "trigger", e->name);
	cJSON_AddStringToObject(o, "url", buf_str(&url));
	cJSON_AddStringToObject(o, "method", "P"); /* not "POST" (§4.1) */
	cJSON_AddStringToObject(o, "display_name", e->name);
	cJSON_AddStringToObject(o, "description", "");
	cJSON_AddBoolToObject(o, "auto_complete", 1);
	cJSON_AddStringToObject(
	    o, "auto_complete_desc", e->summary ? e->summary : "");
	cJSON_AddStringToObject(o, "auto_complete_hint", hint);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (id != NULL)
		buf_printf(&path, "/commands/%s", id);
	else
		buf_puts(&path, "/commands");
	if (s == NULL || mm_api(&r->conn, id ? "PUT" : "POST", buf_str(&path),
			     s, -1, reg_command_done, r) < 0) {
		fprintf(stderr, "pmbot: cannot send a request\n");
		r->rc = 1;
		r->done = 1;
	}
	cJSON_free(s);
	buf_free(&url);
	buf_free(&path);
}

static void
reg_list_done(const struct http_response *res, cJSON *json, void *priv)
{
	struct reg *r = priv;

	if (res->status != 200 || !cJSON_IsArray(json)) {
		reg_fail(r, "cannot list the team's commands", res, json);
		return;
	}
	r->existing = cJSON_Duplicate(json, 1);
	reg_next(r);
}

static void
reg_team_done(const struct http_response *res, cJSON *json, void *priv)
{
	struct reg *r = priv;
	const char *id = jstr(json, "id");
	struct buf path = BUF_INIT;

	if (res->status != 200 || id == NULL) {
		reg_fail(r, "cannot find the team", res, json);
		return;
	}
	r->team_id = xstrdup(id);
	buf_printf(&path, "/commands?team_id=%s&custom_only=true", id);
	if (mm_api(&r->conn, "GET", buf_str(&path), NULL, -1, reg_list_done,
		r) < 0) {
		r->rc = 1;
		r->done = 1;
	}
	buf_free(&path);
}

static void
reg_me_done(const struct http_response *res, cJSON *json, void *priv)
{
	struct reg *r = priv;
	struct buf path = BUF_INIT;

	if (res->status == 401) {
		fprintf(stderr,
		    "pmbot: the server refused the bot token (401 "
		    "Unauthorized); check PMBOT_MATTERMOST_TOKEN\n");
		r->rc = 1;
		r->done = 1;
		return;
	}
	if (res->status != 200) {
		reg_fail(r, "cannot reach the server", res, json);
		return;
	}
	buf_printf(&path, "/teams/name/%s", r->cfg->mm_team);
	if (mm_api(&r->conn, "GET", buf_str(&path), NULL, -1, reg_team_done,
		r) < 0) {
		r->rc = 1;
		r->done = 1;
	}
	buf_free(&path);
}

static void
reg_stopped(void *priv)
{
}

int
mattermost_register_commands(const struct config *cfg)
{
	struct reg r;
	struct http_client *hc;

	if (cfg->mm_url == NULL || cfg->mm_team == NULL ||
	    cfg->mm_token == NULL) {
		fprintf(stderr, "pmbot: register-commands needs "
				"PMBOT_MATTERMOST_URL, _TOKEN and _TEAM\n");
		return 1;
	}
	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	uv_loop_init(&r.loop);
	hc = http_client_new(&r.loop);
	if (mm_conn_init(&r.conn, hc, cfg->mm_url, cfg->mm_token) < 0) {
		fprintf(stderr, "pmbot: \"%s\" is not an http(s) URL\n",
		    cfg->mm_url);
		r.rc = 1;
		r.done = 1;
	} else if (mm_api(&r.conn, "GET", "/users/me", NULL, -1, reg_me_done,
		       &r) < 0) {
		r.rc = 1;
		r.done = 1;
	}
	while (!r.done && uv_run(&r.loop, UV_RUN_ONCE) != 0)
		;
	http_client_stop(hc, reg_stopped, NULL);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	http_client_free(hc);
	uv_loop_close(&r.loop);
	mm_conn_free(&r.conn);
	cJSON_Delete(r.existing);
	free(r.team_id);
	buf_free(&r.tokens);
	return r.rc;
}
