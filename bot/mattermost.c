/*
 * The Mattermost adapter: the adapter operations, what happens to an
 * event once the stream (mattermost_ws.c) has parsed it, and how a reply
 * becomes posts in the durable outbox.  ../shared/reference/mattermost.md
 * describes the server; the numbers in comments (§) point into it.
 *
 * A post reaches the router only when it is someone else's ordinary post
 * (not the bot's own, not a system message, not a slash command's
 * in-channel answer, not another bot's), in a direct message or in a
 * configured channel where it mentions the bot, and only on the one
 * replica that first marks its id in Redis.  Replies go into the thread
 * root (§3.3: a reply id as root_id is a 400).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "buf.h"
#include "clock.h"
#include "limits.h"
#include "log.h"
#include "mattermost.h"
#include "mattermost_int.h"
#include "message.h"
#include "metrics.h"
#include "outbox.h"
#include "router.h"
#include "store.h"

/* --- pure parsing ----------------------------------------------------------
 */

static int
trailing_blank(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
			return 0;
	return 1;
}

/* An integral JSON number that fits a long long, else -1 (the check is
 * on the double cJSON keeps, so 1.5, 1e300 and NaN are refused). */
static long long
json_int(const cJSON *n)
{
	double d;

	if (!cJSON_IsNumber(n))
		return -1;
	d = n->valuedouble;
	if (!(d >= 0 && d < 9.0e15) || d != (double)(long long)d)
		return -1;
	return (long long)d;
}

enum mm_frame_kind
mm_parse_frame(const char *s, size_t len, struct mm_frame *f)
{
	const char *end = NULL;
	cJSON *ev, *seq;

	memset(f, 0, sizeof(*f));
	f->kind = MM_FRAME_BAD;
	f->root = cJSON_ParseWithLengthOpts(s, len, &end, 0);
	if (f->root == NULL || !cJSON_IsObject(f->root))
		return MM_FRAME_BAD;
	/* The encoder path appends "\n" (§1.4); nothing else may follow. */
	if (end != NULL && !trailing_blank(end, s + len))
		return MM_FRAME_BAD;
	ev = cJSON_GetObjectItemCaseSensitive(f->root, "event");
	if (ev == NULL) {
		if (cJSON_GetObjectItemCaseSensitive(f->root, "seq_reply"))
			f->kind = MM_FRAME_REPLY;
		return f->kind;
	}
	seq = cJSON_GetObjectItemCaseSensitive(f->root, "seq");
	if (!cJSON_IsString(ev) || json_int(seq) < 0)
		return MM_FRAME_BAD;
	f->event = ev->valuestring;
	f->seq = json_int(seq);
	f->data = cJSON_GetObjectItemCaseSensitive(f->root, "data");
	if (f->data != NULL && !cJSON_IsObject(f->data))
		f->data = NULL;
	f->kind = MM_FRAME_EVENT;
	return f->kind;
}

void
mm_frame_free(struct mm_frame *f)
{
	cJSON_Delete(f->root);
	memset(f, 0, sizeof(*f));
}

static const char *
str_field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

cJSON *
mm_event_post(const cJSON *data)
{
	const char *s = str_field(data, "post");
	cJSON *post;
	struct mm_post_info pi;

	/* data.post is JSON inside a JSON string (§1.5). */
	if (s == NULL)
		return NULL;
	post = cJSON_Parse(s);
	if (post == NULL || mm_post_fields(post, &pi) < 0) {
		cJSON_Delete(post);
		return NULL;
	}
	return post;
}

int
mm_post_fields(const cJSON *post, struct mm_post_info *pi)
{
	const cJSON *props;

	memset(pi, 0, sizeof(*pi));
	if (!cJSON_IsObject(post))
		return -1;
	pi->id = str_field(post, "id");
	pi->user_id = str_field(post, "user_id");
	pi->channel_id = str_field(post, "channel_id");
	pi->root_id = str_field(post, "root_id");
	pi->message = str_field(post, "message");
	pi->type = str_field(post, "type");
	if (pi->id == NULL || pi->id[0] == '\0' || pi->user_id == NULL ||
	    pi->channel_id == NULL || pi->channel_id[0] == '\0' ||
	    pi->message == NULL)
		return -1;
	if (pi->root_id == NULL)
		pi->root_id = "";
	if (pi->type == NULL)
		pi->type = "";
	pi->create_at =
	    json_int(cJSON_GetObjectItemCaseSensitive(post, "create_at"));
	props = cJSON_GetObjectItemCaseSensitive(post, "props");
	if (cJSON_IsObject(props)) {
		const char *w = str_field(props, "from_webhook");
		const char *b = str_field(props, "from_bot");

		pi->from_webhook = w != NULL && strcmp(w, "true") == 0;
		pi->from_bot = b != NULL && strcmp(b, "true") == 0;
	}
	return 0;
}

static int
name_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

static char *
trimmed(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

int
mm_mentions(const char *text, const char *name, char **out)
{
	const char *p = text, *after;
	size_t n;

	if (text == NULL || name == NULL || *name == '\0')
		return 0;
	if (*name == '@')
		name++;
	n = strlen(name);
	while ((p = strchr(p, '@')) != NULL) {
		if ((p == text || !name_char((unsigned char)p[-1])) &&
		    strncasecmp(p + 1, name, n) == 0) {
			after = p + 1 + n;
			/* "@pmbot." ends a sentence; "@pmbot.x" is
			 * someone else. */
			if (!name_char((unsigned char)*after) ||
			    (*after == '.' &&
				!name_char((unsigned char)after[1])))
				break;
		}
		p++;
	}
	if (p == NULL)
		return 0;
	if (out != NULL) {
		while (*after == ':' || *after == ',' || *after == '.')
			after++;
		/* "@pmbot help" and "please @pmbot help" mean "help";
		 * "help @pmbot" means it too. */
		*out = trimmed(after, strlen(after));
		if (**out == '\0') {
			free(*out);
			*out = trimmed(text, (size_t)(p - text));
		}
	}
	return 1;
}

static cJSON *
render_attachment(
    const struct message *m, const char *action_url, const char *key)
{
	cJSON *att = cJSON_CreateObject(), *fields, *actions, *a, *integ, *ctx;
	char mac[HMAC_HEX_LEN], id[24], exp[24];
	size_t i;

	snprintf(exp, sizeof(exp), "%lld",
	    clock_now_ms() / 1000 + LIMIT_MM_BUTTON_LIFE_S);

	cJSON_AddStringToObject(
	    att, "fallback", m->card_title ? m->card_title : buf_str(&m->text));
	if (m->card_title != NULL)
		cJSON_AddStringToObject(att, "title", m->card_title);
	if (m->card_link != NULL)
		cJSON_AddStringToObject(att, "title_link", m->card_link);
	if (m->nfields > 0) {
		fields = cJSON_AddArrayToObject(att, "fields");
		for (i = 0; i < m->nfields; i++) {
			a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "title", m->fields[i].name);
			cJSON_AddStringToObject(a, "value", m->fields[i].value);
			cJSON_AddBoolToObject(
			    a, "short", m->fields[i].is_short);
			cJSON_AddItemToArray(fields, a);
		}
	}
	if (m->nbuttons > 0) {
		actions = cJSON_AddArrayToObject(att, "actions");
		for (i = 0; i < m->nbuttons; i++) {
			/* Action ids must be alphanumeric (§5). */
			snprintf(id, sizeof(id), "b%zu", i);
			a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "id", id);
			cJSON_AddStringToObject(a, "type", "button");
			cJSON_AddStringToObject(a, "name", m->buttons[i].label);
			cJSON_AddStringToObject(a, "style",
			    m->buttons[i].primary ? "primary" : "default");
			integ = cJSON_AddObjectToObject(a, "integration");
			cJSON_AddStringToObject(integ, "url", action_url);
			ctx = cJSON_AddObjectToObject(integ, "context");
			cJSON_AddStringToObject(
			    ctx, "action", m->buttons[i].action);
			cJSON_AddStringToObject(ctx, "exp", exp);
			mm_button_mac(key, m->buttons[i].action, exp, mac);
			cJSON_AddStringToObject(ctx, "mac", mac);
			cJSON_AddItemToArray(actions, a);
		}
	}
	return att;
}

size_t
mm_render_posts(const struct message *m, const char *channel_id,
    const char *root_id, const char *action_url, const char *key,
    char ***bodies)
{
	int card = m->card_title != NULL || m->nfields > 0 || m->nbuttons > 0;
	char *text =
	    card ? message_markdown_text(m) : message_render_markdown(m);
	char **parts;
	size_t n, i;

	n = outbox_split(text, LIMIT_POST_RUNES, &parts);
	free(text);
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject(), *props, *atts;
		char *s;

		cJSON_AddStringToObject(o, "channel_id", channel_id);
		cJSON_AddStringToObject(o, "message", parts[i]);
		if (root_id != NULL && *root_id != '\0')
			cJSON_AddStringToObject(o, "root_id", root_id);
		if (card && i == n - 1) {
			props = cJSON_AddObjectToObject(o, "props");
			atts = cJSON_AddArrayToObject(props, "attachments");
			cJSON_AddItemToArray(
			    atts, render_attachment(m, action_url, key));
		}
		s = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (s == NULL)
			fatal("mattermost: out of memory");
		free(parts[i]);
		parts[i] = xstrdup(s);
		cJSON_free(s);
	}
	*bodies = parts;
	return n;
}

/* --- posting ---------------------------------------------------------------
 */

void
mm_button_mac(const char *key, const char *action, const char *exp,
    char out[HMAC_HEX_LEN])
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s\n%s", action, exp);
	if (hmac_sha256_hex(key, strlen(key), buf_str(&b), b.len, out) < 0)
		out[0] = '\0';
	buf_free(&b);
}

/*
 * An outbox payload: {"to": target, "eph": user id or absent, "post":
 * body}.  The target is a channel id, a channel name, "@user" or
 * "dm:<user id>"; names are resolved when the post goes out, so a post
 * queued before start-up finished (or before a restart) still lands.
 */
static char *
payload_new(const char *to, const char *eph, const char *body)
{
	cJSON *o = cJSON_CreateObject(), *post = cJSON_Parse(body);
	char *s, *out;

	cJSON_AddStringToObject(o, "to", to);
	if (eph != NULL)
		cJSON_AddStringToObject(o, "eph", eph);
	cJSON_AddItemToObject(o, "post", post);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		fatal("mattermost: out of memory");
	out = xstrdup(s);
	cJSON_free(s);
	return out;
}

static int
queue_posts(struct mm *mm, const char *to, const char *root_id, const char *eph,
    const struct message *m, const char *dedup)
{
	struct buf url = BUF_INIT;
	char **bodies;
	size_t n, i;
	int rc;

	buf_printf(&url, "%s/mattermost/action",
	    mm->bot->cfg.public_url ? mm->bot->cfg.public_url : "");
	n = mm_render_posts(
	    m, "", root_id, buf_str(&url), mm->action_key, &bodies);
	buf_free(&url);
	for (i = 0; i < n; i++) {
		char *p = payload_new(to, eph, bodies[i]);

		free(bodies[i]);
		bodies[i] = p;
	}
	rc = outbox_push(mm->outbox,
	    mm_channel_id(mm, to) ? mm_channel_id(mm, to) : to,
	    (const char *const *)bodies, n, dedup);
	outbox_split_free(bodies);
	return rc;
}

int
mm_post_message(struct mm *mm, const char *channel_id, const char *root_id,
    const char *ephemeral_user_id, const struct message *m)
{
	return queue_posts(mm, channel_id, root_id, ephemeral_user_id, m, NULL);
}

/* --- routing posts ---------------------------------------------------------
 */

void
mm_store_ignore(
    struct store *st, redisReply *reply, const char *err, void *priv)
{
	/* Best effort: a lost cache entry or cursor only costs a lookup. */
}

/* Where the replies to one command go. */
struct mm_reply {
	struct mm *mm;
	char *channel_id;
	char *root_id;
	char *user_id;
	int dm;
};

static void
reply_send(
    void *ctx, const struct request *req, const struct message *m, int eph)
{
	struct mm_reply *r = ctx;

	/* After shutdown began the post still lands in Redis, and the
	 * next start delivers it. */
	/* In a direct message everything is private already. */
	if (mm_post_message(r->mm, r->channel_id, r->root_id,
		eph && !r->dm ? r->user_id : NULL, m) < 0)
		log_warn("mattermost: a reply to %s was lost", req->user);
}

static void
reply_release(void *ctx)
{
	struct mm_reply *r = ctx;

	free(r->channel_id);
	free(r->root_id);
	free(r->user_id);
	free(r);
}

/* A post on its way to the router: claimed, then its author looked up. */
struct mm_event {
	struct mm *mm;
	char *post_id, *user_id, *channel_id, *root_id, *text;
	enum req_source source;
};

static void
event_free(struct mm_event *e)
{
	free(e->post_id);
	free(e->user_id);
	free(e->channel_id);
	free(e->root_id);
	free(e->text);
	free(e);
}

static void
event_route(struct mm *mm, const char *username, const char *tz, void *priv)
{
	struct mm_event *e = priv;
	struct mm_reply *r;
	struct incoming in;
	struct buf ch = BUF_INIT;
	const char *name;

	if (mm->stopping || username == NULL) {
		if (username == NULL)
			log_warn("mattermost: cannot look up user %s; post %s "
				 "not handled",
			    e->user_id, e->post_id);
		event_free(e);
		return;
	}
	if (e->source == SRC_DM) {
		buf_printf(&ch, "@%s", username);
		mm_channel_add(mm, e->channel_id, buf_str(&ch));
	} else {
		name = mm_channel_name(mm, e->channel_id);
		buf_puts(&ch, name ? name : e->channel_id);
	}
	r = xcalloc(1, sizeof(*r));
	r->mm = mm;
	r->channel_id = xstrdup(e->channel_id);
	r->root_id = xstrdup(e->root_id[0] ? e->root_id : e->post_id);
	r->user_id = xstrdup(e->user_id);
	r->dm = e->source == SRC_DM;
	memset(&in, 0, sizeof(in));
	in.user = username;
	in.user_id = e->user_id;
	in.channel = buf_str(&ch);
	in.channel_id = e->channel_id;
	in.thread = r->root_id;
	in.tz = tz;
	in.text = e->text;
	in.source = e->source;
	in.event_id = e->post_id;
	in.sink.send = reply_send;
	in.sink.release = reply_release;
	in.sink.ctx = r;
	log_info("mattermost: %s from %s in %s",
	    e->source == SRC_DM ? "message" : "mention", username,
	    buf_str(&ch));
	router_handle(mm->bot, &in);
	buf_free(&ch);
	event_free(e);
}

static void
claim_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct mm_event *e = priv;

	if (reply != NULL && reply->type == REDIS_REPLY_NIL) {
		log_debug(
		    "mattermost: post %s was handled already", e->post_id);
		event_free(e);
		return;
	}
	if (reply == NULL)
		/* Without Redis a second replica might answer too; one
		 * answer twice beats none. */
		log_warn("mattermost: cannot mark post %s as handled: %s",
		    e->post_id, err ? err : "?");
	mm_user_lookup(e->mm, e->user_id, event_route, e);
}

static void
note_last_seen(struct mm *mm, const char *channel_id, long long at)
{
	char v[32];

	if (at <= 0 || !store_ready(mm->bot->store))
		return;
	snprintf(v, sizeof(v), "%lld", at);
	/* Only forward: a re-synced old post must not move it back. */
	store_cmd(mm->bot->store, mm_store_ignore, NULL,
	    "EVAL %s 1 %smm:lastseen %s %s",
	    "local c = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') "
	    "if tonumber(ARGV[2]) > c then redis.call('HSET', KEYS[1], "
	    "ARGV[1], ARGV[2]) end return 0",
	    store_prefix(mm->bot->store), channel_id, v);
}

void
mm_handle_post(struct mm *mm, cJSON *post, const char *channel_type)
{
	struct mm_post_info pi;
	struct mm_event *e;
	const char *name;
	char *text = NULL, *passive;
	int dm, mentioned;

	if (mm->me_id == NULL || mm_post_fields(post, &pi) < 0)
		return;
	if (strcmp(pi.user_id, mm->me_id) == 0 ||
	    strncmp(pi.type, "system_", 7) == 0 || pi.from_webhook ||
	    pi.from_bot)
		return;
	name = mm_channel_name(mm, pi.channel_id);
	dm = channel_type != NULL
		 ? strcmp(channel_type, "D") == 0
		 : name != NULL &&
		       (name[0] == '@' || strncmp(name, "dm:", 3) == 0);
	/* The map also holds channels the bot only posted to. */
	if (!dm && (name == NULL || !config_listens_in(&mm->bot->cfg, name)))
		return;
	note_last_seen(mm, pi.channel_id, pi.create_at);
	mentioned = mm_mentions(pi.message, mm->me_name, &text) ||
		    mm_mentions(pi.message, mm->bot->cfg.bot_name, &text);
	if (!dm) {
		/* Escalations in the Twitter channel need no mention. */
		passive = router_passive_command(&mm->bot->cfg, name,
		    pi.message, mentioned ? text : NULL, pi.root_id[0] != '\0');
		if (passive != NULL) {
			free(text);
			text = passive;
			mentioned = 1;
		}
	}
	if (!mentioned) {
		if (!dm)
			return; /* chatter without a mention */
		text = trimmed(pi.message, strlen(pi.message));
	}
	e = xcalloc(1, sizeof(*e));
	e->mm = mm;
	e->post_id = xstrdup(pi.id);
	e->user_id = xstrdup(pi.user_id);
	e->channel_id = xstrdup(pi.channel_id);
	e->root_id = xstrdup(pi.root_id);
	e->text = text;
	e->source = dm ? SRC_DM : SRC_MENTION;
	/* One replica handles it: the first to set the mark (SPEC). */
	if (store_cmd(mm->bot->store, claim_done, e,
		"SET %sseen:mm:%s 1 NX EX %d", store_prefix(mm->bot->store),
		pi.id, LIMIT_MM_SEEN_TTL_S) < 0)
		claim_done(mm->bot->store, NULL, "not connected", e);
}

/* --- events ----------------------------------------------------------------
 */

static const char *const counted_events[] = {"posted", "hello",
    "channel_created", "channel_updated", "user_added", "direct_added",
    "typing", "status_change", NULL};

void
mm_on_event(struct mm *mm, const char *event, cJSON *data)
{
	char labels[64];
	const char *kind = "other";
	int i;

	for (i = 0; counted_events[i] != NULL; i++)
		if (strcmp(event, counted_events[i]) == 0)
			kind = counted_events[i];
	snprintf(labels, sizeof(labels), "kind=\"mm_%s\"", kind);
	metrics_inc(mm->bot->metrics, M_EVENTS, labels);
	if (strcmp(event, "posted") == 0) {
		cJSON *post = mm_event_post(data);

		if (post == NULL) {
			log_info("mattermost: a posted event without a "
				 "readable post; ignored");
			return;
		}
		mm_handle_post(mm, post, str_field(data, "channel_type"));
		cJSON_Delete(post);
		return;
	}
	/* The bot joined a channel, or one was made or renamed: the ids of
	 * the configured names may have changed. */
	if (strcmp(event, "channel_created") == 0 ||
	    strcmp(event, "channel_updated") == 0 ||
	    strcmp(event, "channel_converted") == 0 ||
	    strcmp(event, "channel_restored") == 0 ||
	    (strcmp(event, "user_added") == 0 && mm->me_id != NULL &&
		str_field(data, "user_id") != NULL &&
		strcmp(str_field(data, "user_id"), mm->me_id) == 0))
		mm_channels_refresh(mm);
}

void
mm_set_up(struct mm *mm, int up)
{
	if (mm->up == up)
		return;
	mm->up = up;
	if (up) {
		log_info("mattermost: connected as @%s", mm->me_name);
		/* The server is reachable again: what waits goes now. */
		if (mm->outbox != NULL)
			outbox_kick(mm->outbox);
	}
}

/* --- re-sync ---------------------------------------------------------------
 */

struct resync_op {
	struct mm *mm;
	char *channel_id;
};

static void
resync_posts_done(const struct http_response *res, cJSON *json, void *priv)
{
	struct resync_op *op = priv;
	struct mm *mm = op->mm;
	cJSON *order, *posts, *id;
	int i, n;

	if (!mm->stopping && res->status == 200 && cJSON_IsObject(json)) {
		order = cJSON_GetObjectItemCaseSensitive(json, "order");
		posts = cJSON_GetObjectItemCaseSensitive(json, "posts");
		n = cJSON_GetArraySize(order);
		if (n > LIMIT_MM_RESYNC_POSTS)
			n = LIMIT_MM_RESYNC_POSTS;
		log_info(
		    "mattermost: re-sync of %s: %d post(s)", op->channel_id, n);
		/* "order" is newest first; answer in the order asked. */
		for (i = n - 1; i >= 0; i--) {
			id = cJSON_GetArrayItem(order, i);
			if (cJSON_IsString(id))
				mm_handle_post(mm,
				    cJSON_GetObjectItemCaseSensitive(
					posts, id->valuestring),
				    NULL);
		}
	} else if (!mm->stopping) {
		log_warn("mattermost: re-sync of %s failed: %s", op->channel_id,
		    mm_api_error(res, json));
	}
	free(op->channel_id);
	free(op);
}

static void
lastseen_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct mm *mm = priv;
	long long now = now_ms(), since,
		  floor = now - LIMIT_MM_RESYNC_WINDOW_MS;
	struct buf path = BUF_INIT;
	size_t i, j;

	if (mm->stopping)
		return;
	for (i = 0; i < mm->nchans; i++) {
		struct resync_op *op;

		since = -1;
		if (reply != NULL && reply->type == REDIS_REPLY_ARRAY)
			for (j = 0; j + 1 < reply->elements; j += 2)
				if (reply->element[j]->str != NULL &&
				    reply->element[j + 1]->str != NULL &&
				    strcmp(reply->element[j]->str,
					mm->chans[i].id) == 0)
					since =
					    atoll(reply->element[j + 1]->str);
		if (since < 0)
			continue; /* nothing seen there yet: nothing missed */
		if (since < floor)
			since = floor;
		buf_reset(&path);
		buf_printf(&path, "/channels/%s/posts?since=%lld",
		    mm->chans[i].id, since);
		op = xcalloc(1, sizeof(*op));
		op->mm = mm;
		op->channel_id = xstrdup(mm->chans[i].id);
		if (mm_api(&mm->conn, "GET", buf_str(&path), NULL, -1,
			resync_posts_done, op) < 0) {
			free(op->channel_id);
			free(op);
		}
	}
	buf_free(&path);
}

void
mm_resync(struct mm *mm)
{
	if (store_cmd(mm->bot->store, lastseen_done, mm,
		"HGETALL %smm:lastseen", store_prefix(mm->bot->store)) < 0)
		log_warn("mattermost: cannot re-sync: the store is down");
}

/* --- the adapter -----------------------------------------------------------
 */

/* Delivers one outbox entry; see mattermost_rest.c. */
void mm_deliver(struct outbox *ob, const struct outbox_item *item, void *priv);

static int
mm_start(struct adapter *a)
{
	struct mm *mm = a->priv;

	mm->started = 1;
	outbox_start(mm->outbox);
	mm_startup_begin(mm);
	return 0;
}

static void
closed_noop(void *priv)
{
}

static void
mm_stop(struct adapter *a)
{
	struct mm *mm = a->priv;

	if (mm->stopping)
		return;
	mm->stopping = 1;
	mm->up = 0;
	mm_ws_stop(mm);
	mm_http_stop(mm);
	outbox_stop(mm->outbox, closed_noop, NULL);
	uv_timer_stop(&mm->timer);
	uv_close((uv_handle_t *)&mm->timer, NULL);
}

static const char *
target_for(struct mm *mm, const char *channel)
{
	return config_channel(&mm->bot->cfg, channel);
}

static int
mm_post(struct adapter *a, const struct post *p)
{
	struct mm *mm = a->priv;
	struct buf to = BUF_INIT;
	int rc;

	if (p->channel == NULL || p->msg == NULL)
		return -1;
	if (p->ephemeral_user != NULL)
		/* Ephemeral posts need a channel and a user id; outside a
		 * conversation a direct message is the private way. */
		buf_printf(&to, "@%s",
		    p->ephemeral_user[0] == '@' ? p->ephemeral_user + 1
						: p->ephemeral_user);
	else
		buf_puts(&to, target_for(mm, p->channel));
	rc = queue_posts(
	    mm, buf_str(&to), p->thread, NULL, p->msg, p->dedup_key);
	buf_free(&to);
	return rc;
}

static int
mm_ready(const struct adapter *a)
{
	const struct mm *mm = a->priv;

	return mm->up;
}

static void
mm_free(struct adapter *a)
{
	struct mm *mm = a->priv;
	size_t i;

	outbox_free(mm->outbox);
	mm_conn_free(&mm->conn);
	for (i = 0; i < mm->nchans; i++) {
		free(mm->chans[i].id);
		free(mm->chans[i].name);
	}
	free(mm->chans);
	free(mm->me_id);
	free(mm->me_name);
	free(mm->team_id);
	free(mm->conn_id);
	buf_free(&mm->rx);
	free(mm);
}

static const struct adapter_ops mm_ops = {
    .name = "mattermost",
    .start = mm_start,
    .stop = mm_stop,
    .post = mm_post,
    .ready = mm_ready,
    .free = mm_free,
};

/* Buttons carry HMAC(key, action).  The key comes from
 * PMBOT_ACTION_SECRET when set, so every replica (and a restart) agrees
 * on it; else from the bot token, which every replica shares too. */
static void
derive_action_key(struct mm *mm)
{
	const char *secret = getenv("PMBOT_ACTION_SECRET");
	static const char label[] = "pmbot button key v1";

	if (secret == NULL || *secret == '\0')
		secret = mm->bot->cfg.mm_token ? mm->bot->cfg.mm_token : "";
	else
		log_add_secret(secret);
	if (hmac_sha256_hex(secret, strlen(secret), label, sizeof(label) - 1,
		mm->action_key) < 0)
		fatal("mattermost: cannot derive the button key");
	log_add_secret(mm->action_key);
}

struct adapter *
mattermost_new(struct bot *bot)
{
	struct mm *mm = xcalloc(1, sizeof(*mm));

	mm->bot = bot;
	mm->a.ops = &mm_ops;
	mm->a.bot = bot;
	mm->a.priv = mm;
	if (bot->cfg.mm_token == NULL || bot->cfg.mm_token[0] == '\0') {
		log_error("mattermost: no bot token (PMBOT_MATTERMOST_TOKEN)");
		free(mm);
		return NULL;
	}
	if (mm_conn_init(
		&mm->conn, bot->http, bot->cfg.mm_url, bot->cfg.mm_token) < 0) {
		log_error("mattermost: \"%s\" is not an http(s) URL",
		    bot->cfg.mm_url);
		free(mm);
		return NULL;
	}
	derive_action_key(mm);
	uv_timer_init(&bot->loop, &mm->timer);
	mm->timer.data = mm;
	mm->outbox = outbox_new(
	    &bot->loop, bot->store, bot->metrics, "mm", mm_deliver, mm);
	if (mm_ws_init(mm) < 0) {
		mm_stop(&mm->a);
		/* The timer closes on the loop; free what does not wait. */
		return NULL;
	}
	mm_http_routes(mm);
	return &mm->a;
}

/* --- answers to slash commands and buttons ---------------------------------
 */

cJSON *
mm_render_responses(const struct mm *mm, const struct message *m, int eph)
{
	cJSON *out = cJSON_CreateArray();
	struct buf url = BUF_INIT;
	char **bodies;
	size_t n, i;

	buf_printf(&url, "%s/mattermost/action",
	    mm->bot->cfg.public_url ? mm->bot->cfg.public_url : "");
	n = mm_render_posts(
	    m, "", NULL, buf_str(&url), mm->action_key, &bodies);
	buf_free(&url);
	for (i = 0; i < n; i++) {
		cJSON *body = cJSON_Parse(bodies[i]), *r = cJSON_CreateObject();
		cJSON *props = cJSON_GetObjectItemCaseSensitive(body, "props");
		cJSON *atts =
		    cJSON_GetObjectItemCaseSensitive(props, "attachments");

		cJSON_AddStringToObject(
		    r, "response_type", eph ? "ephemeral" : "in_channel");
		cJSON_AddStringToObject(r, "text",
		    str_field(body, "message") ? str_field(body, "message")
					       : "");
		if (atts != NULL)
			cJSON_AddItemToObject(
			    r, "attachments", cJSON_Duplicate(atts, 1));
		cJSON_AddItemToArray(out, r);
		cJSON_Delete(body);
	}
	outbox_split_free(bodies);
	return out;
}
