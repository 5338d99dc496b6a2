/*
 * Slack's Web API as the adapter uses it: auth.test at start (who the bot
 * is, and whether the token works at all), the channel and user lists
 * that turn Slack ids into the names the router and the configuration
 * speak, users.info for names and zones, and the posting path.
 *
 * Posts wait in one queue per channel and leave one at a time, so a
 * channel's posts arrive in the order they were made even when Slack
 * answers 429: the post that was refused stays at the head, the method
 * pauses for Retry-After, and nothing behind it overtakes it.  Each
 * channel is paced to Slack's one message a second after a short burst.
 * Errors are HTTP 200 {"ok":false,"error":...}; each is logged in words.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "buf.h"
#include "handler.h"
#include "http_client.h"
#include "limits.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "slack_int.h"

struct api_call {
	struct slack *s;
	char *method;
	slack_api_cb *cb;
	void *priv;
};

static const char *const method_names[SM_COUNT] = {
    [SM_POST_MESSAGE] = "chat.postMessage",
    [SM_POST_EPHEMERAL] = "chat.postEphemeral",
    [SM_OTHER] = "other",
};

/* --- names ---------------------------------------------------------------- */

struct slack_name *
slack_name_find(struct slack_name *l, const char *id)
{
	for (; l != NULL; l = l->next)
		if (strcmp(l->id, id) == 0)
			return l;
	return NULL;
}

void
slack_names_free(struct slack_name *l)
{
	struct slack_name *n;

	while (l != NULL) {
		n = l->next;
		free(l->id);
		free(l->name);
		free(l->tz);
		free(l);
		l = n;
	}
}

static unsigned
name_hash(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % SLACK_NAME_BUCKETS;
}

struct slack_name *
slack_name_lookup(const struct slack_name_index *ix, const char *id)
{
	struct slack_name *n;

	for (n = ix->b[name_hash(id)]; n != NULL; n = n->hnext)
		if (strcmp(n->id, id) == 0)
			return n;
	return NULL;
}

/* Adds or updates id's entry at the head of the list. */
static struct slack_name *
names_put(struct slack_name **list, struct slack_name_index *ix, const char *id,
    const char *name, const char *tz)
{
	struct slack_name *n = slack_name_lookup(ix, id);
	unsigned h;

	if (n == NULL) {
		if (ix->n >= LIMIT_SLACK_CACHE) {
			/* A workspace this big: forget everything and learn
			 * again on demand, rather than grow. */
			slack_names_free(*list);
			*list = NULL;
			memset(ix, 0, sizeof *ix);
		}
		n = xcalloc(1, sizeof *n);
		n->id = xstrdup(id);
		n->next = *list;
		*list = n;
		h = name_hash(id);
		n->hnext = ix->b[h];
		ix->b[h] = n;
		ix->n++;
	}
	free(n->name);
	n->name = xstrdup(name);
	if (tz != NULL) {
		free(n->tz);
		n->tz = xstrdup(tz);
	}
	return n;
}

const char *
slack_channel_name(const struct slack *s, const char *id)
{
	const struct slack_name *n = slack_name_lookup(&s->channels_idx, id);

	return n != NULL ? n->name : NULL;
}

const char *
slack_channel_id(const struct slack *s, const char *name)
{
	const struct slack_name *n;

	if (name[0] == '#' || name[0] == '~')
		name++;
	for (n = s->channels; n != NULL; n = n->next)
		if (strcmp(n->name, name) == 0 || strcmp(n->id, name) == 0)
			return n->id;
	return NULL;
}

void
slack_channel_remember(struct slack *s, const char *id, const char *name)
{
	names_put(&s->channels, &s->channels_idx, id, name, NULL);
}

const struct slack_name *
slack_user_by_name(const struct slack *s, const char *name)
{
	const struct slack_name *n;

	if (name[0] == '@')
		name++;
	for (n = s->users; n != NULL; n = n->next)
		if (strcmp(n->name, name) == 0 || strcmp(n->id, name) == 0)
			return n;
	return NULL;
}

/* --- calls ------------------------------------------------------------------
 */

static const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
call_done(const struct http_response *res, void *priv)
{
	struct api_call *c = priv;
	struct slack *s = c->s;
	cJSON *root = NULL;
	const cJSON *ok;
	char err[96];
	const char *error = NULL;
	long retry = -1;

	if (res->status == 0) {
		snprintf(err, sizeof err, "%s",
		    res->error != NULL ? res->error : "no answer");
		error = err;
	} else if (res->status == 429) {
		error = "ratelimited";
		retry = res->retry_after_ms >= 0 ? res->retry_after_ms
						 : LIMIT_SLACK_RETRY_AFTER_MS;
		if (retry > LIMIT_SLACK_RETRY_AFTER_MAX_MS)
			retry = LIMIT_SLACK_RETRY_AFTER_MAX_MS;
	} else if (res->status != 200) {
		snprintf(err, sizeof err, "HTTP %ld", res->status);
		error = err;
	} else {
		root = cJSON_ParseWithLength(res->body, res->len);
		ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
		if (root == NULL) {
			error = "unreadable answer";
		} else if (!cJSON_IsTrue(ok)) {
			const char *e = json_str(root, "error");

			snprintf(err, sizeof err, "%s",
			    e != NULL ? e : "unknown_error");
			error = err;
		}
	}
	if (c->cb != NULL)
		c->cb(s, error == NULL ? root : NULL, error, retry, c->priv);
	else if (error != NULL)
		log_warn("slack: %s failed: %s", c->method, error);
	cJSON_Delete(root);
	free(c->method);
	free(c);
}

/* Sends one call.  idempotent calls (reads, apps.connections.open) are
 * retried by the HTTP client; posts are retried here, where the queue
 * keeps their order. */
static void
api_send(struct slack *s, const char *method, const char *body, int app_token,
    int idempotent, slack_api_cb *cb, void *priv)
{
	struct http_request req;
	struct buf url = BUF_INIT, auth = BUF_INIT;
	const char *headers[1];
	struct api_call *c = xcalloc(1, sizeof *c);

	c->s = s;
	c->method = xstrdup(method);
	c->cb = cb;
	c->priv = priv;
	buf_printf(&url, "%s%s", s->api_url, method);
	buf_printf(&auth, "Authorization: Bearer %s",
	    app_token ? s->bot->cfg.slack_app_token
		      : s->bot->cfg.slack_bot_token);
	headers[0] = buf_str(&auth);
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = buf_str(&url);
	req.body = body != NULL ? body : "{}";
	req.body_len = strlen(req.body);
	/* Without the charset Slack answers with a missing_charset
	 * warning. */
	req.content_type = "application/json; charset=utf-8";
	req.headers = headers;
	req.nheaders = 1;
	req.idempotent = idempotent;
	req.max_retries = idempotent ? -1 : 0;
	if (http_client_send(s->bot->http, &req, call_done, c) < 0) {
		struct http_response res;

		memset(&res, 0, sizeof res);
		res.error = "shutting down";
		res.body = "";
		res.retry_after_ms = -1;
		call_done(&res, c);
	}
	buf_free(&url);
	buf_free(&auth);
}

void
slack_api_call(struct slack *s, const char *method, const char *body,
    int app_token, slack_api_cb *cb, void *priv)
{
	api_send(s, method, body, app_token, 1, cb, priv);
}

/* Errors after which retrying the same token is pointless. */
static int
auth_error(const char *e)
{
	static const char *const fatal_errors[] = {"not_authed", "invalid_auth",
	    "account_inactive", "token_revoked", "token_expired",
	    "no_permission", "user_removed_from_team", "team_disabled", NULL};
	int i;

	for (i = 0; fatal_errors[i] != NULL; i++)
		if (strcmp(e, fatal_errors[i]) == 0)
			return 1;
	return 0;
}

/* --- start: who we are, the channels, the people ------------------------- */

static void load_channels(struct slack *s, const char *cursor);
static void load_users(struct slack *s, const char *cursor);

static void
begin_socket_mode(struct slack *s)
{
	if (s->stopped || s->fatal)
		return;
	slack_socket_fill(s);
}

static const char *
next_cursor(const cJSON *root)
{
	const cJSON *meta =
	    cJSON_GetObjectItemCaseSensitive(root, "response_metadata");
	const char *c = json_str(meta, "next_cursor");

	return c != NULL && c[0] != '\0' ? c : NULL;
}

static void
users_done(struct slack *s, const cJSON *root, const char *error, long retry,
    void *priv)
{
	const cJSON *members, *u;
	const char *cursor;

	if (root == NULL) {
		/* Not fatal: names are then learnt one users.info at a
		 * time. */
		log_warn("slack: users.list failed (%s); names will be looked "
			 "up one by one",
		    error);
		begin_socket_mode(s);
		return;
	}
	members = cJSON_GetObjectItemCaseSensitive(root, "members");
	cJSON_ArrayForEach (u, members) {
		const char *id = json_str(u, "id"), *name = json_str(u, "name");

		if (id != NULL && name != NULL)
			names_put(&s->users, &s->users_idx, id, name,
			    json_str(u, "tz"));
	}
	cursor = next_cursor(root);
	if (cursor != NULL) {
		load_users(s, cursor);
		return;
	}
	begin_socket_mode(s);
}

static void
load_users(struct slack *s, const char *cursor)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "{\"limit\":200");
	if (cursor != NULL) {
		buf_puts(&b, ",\"cursor\":");
		buf_json_string(&b, cursor);
	}
	buf_puts(&b, "}");
	slack_api_call(s, "users.list", buf_str(&b), 0, users_done, NULL);
	buf_free(&b);
}

static void
channels_done(struct slack *s, const cJSON *root, const char *error, long retry,
    void *priv)
{
	const cJSON *list, *c;
	const char *cursor;

	if (root == NULL) {
		log_warn("slack: conversations.list failed (%s); channel names "
			 "will be looked up one by one",
		    error);
		load_users(s, NULL);
		return;
	}
	list = cJSON_GetObjectItemCaseSensitive(root, "channels");
	cJSON_ArrayForEach (c, list) {
		const char *id = json_str(c, "id"), *name = json_str(c, "name");

		if (id != NULL && name != NULL)
			slack_channel_remember(s, id, name);
	}
	cursor = next_cursor(root);
	if (cursor != NULL) {
		load_channels(s, cursor);
		return;
	}
	s->channels_loaded = 1;
	log_info("slack: %zu channels known", s->channels_idx.n);
	load_users(s, NULL);
}

static void
load_channels(struct slack *s, const char *cursor)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "{\"types\":\"public_channel,private_channel\","
		     "\"exclude_archived\":true,\"limit\":200");
	if (cursor != NULL) {
		buf_puts(&b, ",\"cursor\":");
		buf_json_string(&b, cursor);
	}
	buf_puts(&b, "}");
	slack_api_call(
	    s, "conversations.list", buf_str(&b), 0, channels_done, NULL);
	buf_free(&b);
}

static void
auth_done(struct slack *s, const cJSON *root, const char *error, long retry,
    void *priv)
{
	const char *uid, *bid;

	if (root == NULL) {
		if (auth_error(error))
			slack_fatal(s,
			    "slack: the bot token was refused (%s): check "
			    "slack.bot_token (PMBOT_SLACK_BOT_TOKEN); it must "
			    "be the app's current xoxb- token",
			    error);
		else
			slack_fatal(s,
			    "slack: auth.test failed (%s): cannot reach the "
			    "Slack Web API at %s",
			    error, s->api_url);
		return;
	}
	uid = json_str(root, "user_id");
	bid = json_str(root, "bot_id");
	if (uid == NULL) {
		slack_fatal(s, "slack: auth.test did not name the bot user");
		return;
	}
	free(s->bot_user_id);
	free(s->bot_id);
	s->bot_user_id = xstrdup(uid);
	s->bot_id = bid != NULL ? xstrdup(bid) : NULL;
	s->authed = 1;
	names_put(&s->users, &s->users_idx, uid,
	    json_str(root, "user") ? json_str(root, "user") : "pmbot", NULL);
	log_info("slack: signed in as %s (%s) in %s", json_str(root, "user"),
	    uid, json_str(root, "team") ? json_str(root, "team") : "?");
	load_channels(s, NULL);
}

void
slack_api_start(struct slack *s)
{
	slack_api_call(s, "auth.test", NULL, 0, auth_done, NULL);
}

/* --- users ---------------------------------------------------------------- */

struct user_lookup {
	slack_user_cb *cb;
	void *priv;
	char *id;
};

static void
user_info_done(struct slack *s, const cJSON *root, const char *error,
    long retry, void *priv)
{
	struct user_lookup *l = priv;
	const struct slack_name *n = NULL;
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "user");
	const char *name = json_str(u, "name");

	if (name != NULL)
		n = names_put(
		    &s->users, &s->users_idx, l->id, name, json_str(u, "tz"));
	else
		log_info("slack: users.info %s: %s", l->id,
		    error != NULL ? error : "no name");
	l->cb(s, n, l->priv);
	free(l->id);
	free(l);
}

void
slack_user_lookup(
    struct slack *s, const char *id, slack_user_cb *cb, void *priv)
{
	struct slack_name *n = slack_name_lookup(&s->users_idx, id);
	struct user_lookup *l;
	struct buf b = BUF_INIT;

	/* An entry from users.list may lack the zone; ask once. */
	if (n != NULL && n->tz != NULL) {
		cb(s, n, priv);
		return;
	}
	l = xcalloc(1, sizeof *l);
	l->cb = cb;
	l->priv = priv;
	l->id = xstrdup(id);
	buf_puts(&b, "{\"user\":");
	buf_json_string(&b, id);
	buf_puts(&b, "}");
	slack_api_call(s, "users.info", buf_str(&b), 0, user_info_done, l);
	buf_free(&b);
}

/* --- posting through the outbox ------------------------------------------ */

/*
 * Posts go through the durable outbox (outbox.h): one Redis list per
 * channel, one post in flight per channel across every replica, so a
 * channel's posts arrive in the order they were made, survive a restart,
 * and wait out a 429 at the head of their queue.  A payload is the
 * method's letter ('m' chat.postMessage, 'e' chat.postEphemeral) and the
 * JSON body.  On top, each channel is paced to Slack's one message a
 * second after a short burst: a post that comes too soon waits here for
 * its token before it is sent.
 */
struct slack_chanq {
	char *channel;
	double tokens;
	long long refilled_ms;
	struct outbox_item waiting; /* valid while has_waiting */
	int has_waiting;
	struct slack_chanq *next;
};

struct post_call {
	struct slack *s;
	struct outbox *ob;
	struct outbox_item item;
	enum slack_method method;
};

static struct slack_chanq *
queue_for(struct slack *s, const char *channel)
{
	struct slack_chanq *q;

	for (q = s->queues; q != NULL; q = q->next)
		if (strcmp(q->channel, channel) == 0)
			return q;
	q = xcalloc(1, sizeof *q);
	q->channel = xstrdup(channel);
	q->tokens = LIMIT_SLACK_CHANNEL_BURST;
	q->refilled_ms = now_ms();
	q->next = s->queues;
	s->queues = q;
	return q;
}

static void
post_body(struct buf *b, const char *channel, const char *thread_ts,
    const char *user, const struct message *m)
{
	char *text = slack_render_text(m);

	buf_puts(b, "{\"channel\":");
	buf_json_string(b, channel);
	if (user != NULL) {
		buf_puts(b, ",\"user\":");
		buf_json_string(b, user);
	}
	if (thread_ts != NULL) {
		/* ts values stay strings: a double would lose digits. */
		buf_puts(b, ",\"thread_ts\":");
		buf_json_string(b, thread_ts);
	}
	buf_puts(b, ",\"text\":");
	buf_json_string(b, text);
	free(text);
	/* Plain text renders the same without blocks; a card or buttons
	 * need them. */
	if (m->card_title != NULL || m->nfields > 0 || m->nbuttons > 0) {
		char *blocks = slack_render_blocks(m);

		buf_puts(b, ",\"blocks\":");
		buf_puts(b, blocks);
		free(blocks);
	}
	/* chat.postEphemeral takes no unfurl_links (an ephemeral post
	 * never unfurls); Slack's OpenAPI document refuses it there. */
	if (user == NULL)
		buf_puts(b, ",\"unfurl_links\":false");
	buf_putc(b, '}');
}

int
slack_api_post(struct slack *s, const char *channel, const char *thread_ts,
    const char *ephemeral_user, const struct message *m, const char *dedup)
{
	struct buf body = BUF_INIT;
	const char *payload;
	int rc;

	buf_putc(&body, ephemeral_user != NULL ? 'e' : 'm');
	post_body(&body, channel, thread_ts, ephemeral_user, m);
	payload = buf_str(&body);
	rc = outbox_push(s->outbox, channel, &payload, 1, dedup);
	if (rc < 0)
		log_error(
		    "slack: the outbox is full; a post to %s is lost", channel);
	buf_free(&body);
	return rc;
}

/* Why a post failed, in words for the log. */
static const char *
post_error_words(const char *e)
{
	if (strcmp(e, "not_in_channel") == 0)
		return "the bot is not a member; invite it with /invite";
	if (strcmp(e, "channel_not_found") == 0)
		return "no such channel, or the bot cannot see it";
	if (strcmp(e, "is_archived") == 0)
		return "the channel is archived";
	if (strcmp(e, "msg_too_long") == 0)
		return "the message is too long";
	if (strcmp(e, "no_text") == 0)
		return "the message is empty";
	if (strcmp(e, "user_not_in_channel") == 0)
		return "the person is not in the channel";
	if (strcmp(e, "thread_not_found") == 0)
		return "the thread is gone";
	if (strcmp(e, "invalid_blocks") == 0)
		return "Slack refused the Block Kit layout";
	if (auth_error(e))
		return "the bot token was refused";
	return "Slack refused it";
}

/* Whether a failed post may succeed when sent again: Slack or the
 * network failed, not the post.  Slack's own error codes contain an
 * underscore; transport errors are sentences. */
static int
post_retryable(const char *e)
{
	return strncmp(e, "HTTP 5", 6) == 0 || strcmp(e, "fatal_error") == 0 ||
	       strcmp(e, "internal_error") == 0 ||
	       strcmp(e, "service_unavailable") == 0 ||
	       strcmp(e, "request_timeout") == 0 || strchr(e, '_') == NULL;
}

static void
post_done(struct slack *s, const cJSON *root, const char *error, long retry,
    void *priv)
{
	struct post_call *pc = priv;
	const char *channel = pc->item.queue;
	const char *name = slack_channel_name(s, channel);

	if (error == NULL) {
		outbox_done(pc->ob, &pc->item, OUTBOX_SENT, -1);
	} else if (strcmp(error, "ratelimited") == 0) {
		/* The post stays first in its queue: order is kept. */
		log_warn("slack: %s rate limited; pausing posts %ld ms",
		    method_names[pc->method], retry);
		outbox_done(pc->ob, &pc->item, OUTBOX_THROTTLED, retry);
	} else if (post_retryable(error)) {
		log_warn("slack: %s to %s%s failed (%s); it will be sent again",
		    method_names[pc->method], name ? "#" : "",
		    name ? name : channel, error);
		outbox_done(pc->ob, &pc->item, OUTBOX_RETRY, -1);
	} else {
		log_error("slack: %s to %s%s failed: %s (%s)",
		    method_names[pc->method], name ? "#" : "",
		    name ? name : channel, post_error_words(error), error);
		outbox_done(pc->ob, &pc->item, OUTBOX_REJECTED, -1);
	}
	free(pc);
}

static void
post_send(struct slack *s, struct outbox *ob, const struct outbox_item *item)
{
	struct post_call *pc = xcalloc(1, sizeof *pc);
	const char *p = item->payload;

	pc->s = s;
	pc->ob = ob;
	pc->item = *item;
	pc->method = p[0] == 'e' ? SM_POST_EPHEMERAL : SM_POST_MESSAGE;
	api_send(s, method_names[pc->method], p + 1, 0, 0, post_done, pc);
}

/* Takes one of the channel's tokens, refilled at one a second. */
static int
take_token(struct slack_chanq *q, long long now)
{
	q->tokens +=
	    (double)(now - q->refilled_ms) / LIMIT_SLACK_CHANNEL_PACE_MS;
	if (q->tokens > LIMIT_SLACK_CHANNEL_BURST)
		q->tokens = LIMIT_SLACK_CHANNEL_BURST;
	q->refilled_ms = now;
	if (q->tokens < 1.0)
		return 0;
	q->tokens -= 1.0;
	return 1;
}

void
slack_deliver(struct outbox *ob, const struct outbox_item *item, void *priv)
{
	struct slack *s = priv;
	struct slack_chanq *q;

	if (item->payload == NULL ||
	    (item->payload[0] != 'm' && item->payload[0] != 'e') ||
	    item->payload[1] != '{') {
		log_warn("slack: dropping an unreadable outbox entry");
		outbox_done(ob, item, OUTBOX_REJECTED, -1);
		return;
	}
	if (!s->authed || s->stopped) {
		/* Not signed in yet (or stopping): it waits in Redis. */
		outbox_done(ob, item, OUTBOX_RETRY, 1000);
		return;
	}
	q = queue_for(s, item->queue);
	if (!take_token(q, now_ms())) {
		/* The outbox sends one per queue at a time: at most one
		 * waits here per channel. */
		q->waiting = *item;
		q->has_waiting = 1;
		return;
	}
	post_send(s, ob, item);
}

void
slack_api_pump(struct slack *s)
{
	struct slack_chanq *q, **pp;
	long long now = now_ms();

	for (pp = &s->queues; (q = *pp) != NULL;) {
		/* A channel whose bucket has refilled carries no pacing
		 * state: forget it, so the list (walked for every post and
		 * here ten times a second) holds only channels posted to in
		 * the last few seconds, not every DM ever answered. */
		if (!q->has_waiting &&
		    q->tokens + (double)(now - q->refilled_ms) /
				    LIMIT_SLACK_CHANNEL_PACE_MS >=
			LIMIT_SLACK_CHANNEL_BURST) {
			*pp = q->next;
			free(q->channel);
			free(q);
			continue;
		}
		pp = &q->next;
		if (!q->has_waiting || !take_token(q, now))
			continue;
		q->has_waiting = 0;
		post_send(s, s->outbox, &q->waiting);
	}
}

/* --- response_url ----------------------------------------------------------
 */

static void
respond_done(const struct http_response *res, void *priv)
{
	if (res->status != 200)
		log_warn("slack: a reply through response_url failed: %s",
		    res->error != NULL ? res->error : "refused");
}

void
slack_api_respond(
    struct slack *s, const char *url, const struct message *m, int ephemeral)
{
	struct http_request req;
	struct buf b = BUF_INIT;
	char *text = slack_render_text(m);

	buf_printf(&b,
	    "{\"response_type\":\"%s\",\"replace_original\":false,"
	    "\"text\":",
	    ephemeral ? "ephemeral" : "in_channel");
	buf_json_string(&b, text);
	free(text);
	if (m->card_title != NULL || m->nfields > 0 || m->nbuttons > 0) {
		char *blocks = slack_render_blocks(m);

		buf_puts(&b, ",\"blocks\":");
		buf_puts(&b, blocks);
		free(blocks);
	}
	buf_puts(&b, "}");
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = url;
	req.body = buf_str(&b);
	req.body_len = b.len;
	req.content_type = "application/json; charset=utf-8";
	req.max_retries = 0;
	if (http_client_send(s->bot->http, &req, respond_done, NULL) < 0)
		log_warn("slack: cannot send a reply: shutting down");
	buf_free(&b);
}

void
slack_api_free(struct slack *s)
{
	struct slack_chanq *q, *qn;

	for (q = s->queues; q != NULL; q = qn) {
		qn = q->next;
		free(q->channel);
		free(q);
	}
	s->queues = NULL;
}
