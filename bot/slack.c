/*
 * The Slack adapter: what arrives from Slack (Socket Mode envelopes, or
 * HTTP-mode requests) becomes a struct incoming for the router, and what
 * handlers answer goes back the way Slack expects.
 *
 * Every envelope is acknowledged before any slow work.  A slash
 * command's acknowledgement may carry its answer: the command runs at
 * once and the first reply within LIMIT_SLACK_ACK_MS rides in the ack;
 * a command that has not replied by then is acknowledged empty and
 * answers later through its response_url.  Events are acknowledged on
 * arrival, then de-duplicated in Redis by event_id (Slack redelivers
 * what it thinks was not acknowledged, and replicas share the stream)
 * and by channel and ts (a mention arrives both as app_mention and as
 * message), so each post is answered once.  The bot's own posts, other
 * bots' and edits are ignored.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "buf.h"
#include "config.h"
#include "http_server.h"
#include "limits.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "router.h"
#include "slack_int.h"
#include "store.h"

/* KEYS[1] the event's mark, KEYS[2] the post's (channel and ts), ARGV[1]
 * their lifetime: 1 when both were new, so this replica handles it. */
static const char dedup_lua[] =
    "if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then "
    "return 0 end "
    "if KEYS[2] ~= KEYS[1] and "
    "not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then "
    "return 0 end "
    "return 1";

enum reply_kind {
	R_SLASH,  /* Socket Mode slash command: answer in the ack */
	R_HTTP,   /* HTTP-mode slash command: answer in the response */
	R_EVENT,  /* a message or mention: answer with posts */
	R_BUTTON, /* a button press: answer through response_url */
};

/* The reply sink's context, one per command run. */
struct slack_reply {
	struct slack *s;
	enum reply_kind kind;
	char *channel_id;
	char *thread_ts;
	char *user_id;
	char *response_url;
	int is_dm;
	/* acknowledgement (R_SLASH, R_HTTP) */
	int acked;
	char *envelope_id;
	unsigned conn_id;
	struct http_exchange *x;
	long long deadline_ms;
	struct slack_reply *next_ack;
};

/* What an event or command needs while its user is looked up. */
struct pending_cmd {
	struct slack *s;
	struct slack_reply *r;
	char *text;
	char *channel_name; /* from the payload, or NULL */
	char *user_name;    /* from the payload, or NULL */
	char *thread;
	enum req_source source;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void
slack_fatal(struct slack *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERROR, fmt, ap);
	va_end(ap);
	if (s->fatal)
		return;
	s->fatal = 1;
	bot_shutdown(s->bot, 1);
}

static void
count_event(struct slack *s, const char *kind)
{
	char labels[96];

	snprintf(labels, sizeof labels, "kind=\"slack_%s\"", kind);
	metrics_inc(s->bot->metrics, M_EVENTS, labels);
}

/* --- acknowledgements and replies ---------------------------------------- */

static void
reply_free(struct slack_reply *r)
{
	free(r->channel_id);
	free(r->thread_ts);
	free(r->user_id);
	free(r->response_url);
	free(r->envelope_id);
	free(r);
}

static void
ack_unlink(struct slack_reply *r)
{
	struct slack_reply **pp;

	for (pp = &r->s->acks; *pp != NULL; pp = &(*pp)->next_ack)
		if (*pp == r) {
			*pp = r->next_ack;
			break;
		}
}

/* The answer's JSON body ({"response_type":...,"text":...}), as Slack
 * takes it in an ack payload or an HTTP-mode response. */
static void
answer_json(struct buf *b, const struct message *m, int ephemeral)
{
	char *text = slack_render_text(m);

	buf_printf(b, "{\"response_type\":\"%s\",\"text\":",
	    ephemeral ? "ephemeral" : "in_channel");
	buf_json_string(b, text);
	free(text);
	if (m->card_title != NULL || m->nfields > 0 || m->nbuttons > 0) {
		char *blocks = slack_render_blocks(m);

		buf_puts(b, ",\"blocks\":");
		buf_puts(b, blocks);
		free(blocks);
	}
	buf_puts(b, "}");
}

/* Acknowledges a slash command, with m as its answer or empty. */
static void
ack_send(struct slack_reply *r, const struct message *m, int ephemeral)
{
	struct buf b = BUF_INIT;

	if (r->acked)
		return;
	r->acked = 1;
	ack_unlink(r);
	if (r->kind == R_HTTP) {
		if (m != NULL) {
			answer_json(&b, m, ephemeral);
			http_respond(r->x, 200,
			    "application/json; charset=utf-8", buf_str(&b),
			    b.len);
		} else {
			http_respond(r->x, 200, "text/plain", "", 0);
		}
		r->x = NULL;
		buf_free(&b);
		return;
	}
	buf_puts(&b, "{\"envelope_id\":");
	buf_json_string(&b, r->envelope_id);
	if (m != NULL) {
		buf_puts(&b, ",\"payload\":");
		answer_json(&b, m, ephemeral);
	}
	buf_puts(&b, "}");
	if (slack_socket_send(r->s, r->conn_id, buf_str(&b)) < 0)
		log_warn("slack: no connection to acknowledge %s on",
		    r->envelope_id);
	buf_free(&b);
}

static void
ack_plain(struct slack *s, struct slack_conn *c, const char *envelope_id)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "{\"envelope_id\":");
	buf_json_string(&b, envelope_id);
	buf_puts(&b, "}");
	if (slack_socket_send(s, slack_conn_id(c), buf_str(&b)) < 0)
		log_warn(
		    "slack: no connection to acknowledge %s on", envelope_id);
	buf_free(&b);
}

static void
sink_send(void *ctx, const struct request *req, const struct message *m,
    int ephemeral)
{
	struct slack_reply *r = ctx;
	struct slack *s = r->s;

	if ((r->kind == R_SLASH || r->kind == R_HTTP) && !r->acked) {
		ack_send(r, m, ephemeral);
		return;
	}
	if (r->response_url != NULL) {
		slack_api_respond(s, r->response_url, m, ephemeral);
		return;
	}
	if (r->channel_id == NULL)
		return;
	/* In a DM only the caller is there: ephemeral is a plain post. */
	if (ephemeral && !r->is_dm && r->user_id != NULL)
		slack_api_post(
		    s, r->channel_id, r->thread_ts, r->user_id, m, NULL);
	else
		slack_api_post(s, r->channel_id, r->thread_ts, NULL, m, NULL);
}

static void
sink_release(void *ctx)
{
	struct slack_reply *r = ctx;

	/* A command that said nothing is still acknowledged. */
	if ((r->kind == R_SLASH || r->kind == R_HTTP) && !r->acked)
		ack_send(r, NULL, 0);
	reply_free(r);
}

/* Acks whose window is closing go out empty; the answer follows later
 * through the response_url. */
static void
acks_expire(struct slack *s)
{
	long long now = now_ms();
	struct slack_reply *r, *next;

	for (r = s->acks; r != NULL; r = next) {
		next = r->next_ack;
		if (r->deadline_ms <= now) {
			log_info("slack: %s still working after %d ms; "
				 "acknowledged, the answer follows",
			    r->envelope_id ? r->envelope_id : "a command",
			    LIMIT_SLACK_ACK_MS);
			ack_send(r, NULL, 0);
		}
	}
}

static struct slack_reply *
reply_new(struct slack *s, enum reply_kind kind)
{
	struct slack_reply *r = xcalloc(1, sizeof *r);

	r->s = s;
	r->kind = kind;
	if (kind == R_SLASH || kind == R_HTTP) {
		r->deadline_ms = now_ms() + LIMIT_SLACK_ACK_MS;
		r->next_ack = s->acks;
		s->acks = r;
	}
	return r;
}

/* --- running a command ------------------------------------------------------
 */

static const char *
user_name_of(void *priv, const char *id)
{
	struct slack *s = priv;
	const struct slack_name *n = slack_name_lookup(&s->users_idx, id);

	return n != NULL ? n->name : NULL;
}

static void
pending_free(struct pending_cmd *p)
{
	free(p->text);
	free(p->channel_name);
	free(p->user_name);
	free(p->thread);
	free(p);
}

static void
run_with_user(struct slack *s, const struct slack_name *u, void *priv)
{
	struct pending_cmd *p = priv;
	struct slack_reply *r = p->r;
	struct incoming in;
	struct buf dm = BUF_INIT;
	const char *user = u != NULL ? u->name : p->user_name;
	const char *channel = NULL;

	if (user == NULL)
		user = r->user_id;
	if (r->is_dm) {
		buf_printf(&dm, "@%s", user);
		channel = buf_str(&dm);
	} else if (r->channel_id != NULL) {
		channel = slack_channel_name(s, r->channel_id);
		if (channel == NULL)
			channel = p->channel_name;
	}
	memset(&in, 0, sizeof in);
	in.user = user;
	in.user_id = r->user_id;
	in.channel = channel;
	in.channel_id = r->channel_id;
	in.thread = p->thread;
	in.tz = u != NULL ? u->tz : NULL;
	in.text = p->text;
	in.source = p->source;
	in.sink.send = sink_send;
	in.sink.release = sink_release;
	in.sink.ctx = r;
	router_handle(s->bot, &in);
	pending_free(p);
	buf_free(&dm);
}

/* Looks the caller up (name and zone), then runs text for them. */
static void
run_command(struct slack *s, struct slack_reply *r, const char *text,
    enum req_source source, const char *user_name, const char *channel_name,
    const char *thread)
{
	struct pending_cmd *p = xcalloc(1, sizeof *p);

	p->s = s;
	p->r = r;
	p->text = slack_text_decode(text, user_name_of, s);
	p->source = source;
	p->user_name = dup_or_null(user_name);
	p->channel_name = dup_or_null(channel_name);
	p->thread = dup_or_null(thread);
	if (r->user_id == NULL) {
		run_with_user(s, NULL, p);
		return;
	}
	slack_user_lookup(s, r->user_id, run_with_user, p);
}

static int
is_dm_channel(const char *id)
{
	return id != NULL && id[0] == 'D';
}

/* A slash command's fields (Socket Mode payload or HTTP form; all
 * strings either way). */
static void
slash_run(struct slack *s, struct slack_reply *r, const cJSON *f)
{
	const char *cmd = json_str(f, "command"), *text = json_str(f, "text");
	const char *chname = json_str(f, "channel_name");
	struct buf line = BUF_INIT;

	r->channel_id = dup_or_null(json_str(f, "channel_id"));
	r->user_id = dup_or_null(json_str(f, "user_id"));
	r->response_url = dup_or_null(json_str(f, "response_url"));
	r->is_dm = is_dm_channel(r->channel_id);
	buf_printf(&line, "%s %s", cmd != NULL ? cmd : "/pm",
	    text != NULL ? text : "");
	/* "directmessage" and "privategroup" are not channel names. */
	if (chname != NULL && (strcmp(chname, "directmessage") == 0 ||
				  strcmp(chname, "privategroup") == 0))
		chname = NULL;
	log_debug("slack: %s from %s", cmd ? cmd : "?",
	    json_str(f, "user_name") ? json_str(f, "user_name") : "?");
	run_command(s, r, buf_str(&line), SRC_SLASH, json_str(f, "user_name"),
	    chname, NULL);
	buf_free(&line);
}

void
slack_on_http_command(
    struct slack *s, struct http_exchange *x, const cJSON *fields)
{
	struct slack_reply *r = reply_new(s, R_HTTP);

	count_event(s, "slash_commands");
	r->x = x;
	slash_run(s, r, fields);
}

/* --- events ------------------------------------------------------------------
 */

struct event_job {
	struct slack *s;
	char *event_id;
	char *channel;
	char *user;
	char *text;
	char *ts;
	char *thread_ts;
	int is_dm;
	enum req_source source;
};

static void
job_free(struct event_job *j)
{
	free(j->event_id);
	free(j->channel);
	free(j->user);
	free(j->text);
	free(j->ts);
	free(j->thread_ts);
	free(j);
}

/* The text with the bot's own mention taken out: "<@U0BOT> brief x"
 * and "brief x <@U0BOT>" are both "brief x". */
static char *
strip_mention(const struct slack *s, const char *text)
{
	struct buf b = BUF_INIT, tag = BUF_INIT;
	const char *p = text, *hit;
	char *out;
	size_t start, end;

	buf_printf(&tag, "<@%s>", s->bot_user_id ? s->bot_user_id : "?");
	while ((hit = strstr(p, buf_str(&tag))) != NULL) {
		buf_append(&b, p, (size_t)(hit - p));
		p = hit + tag.len;
	}
	buf_puts(&b, p);
	buf_free(&tag);
	start = 0;
	end = b.len;
	while (
	    start < end && (b.data[start] == ' ' || b.data[start] == ',' ||
			       b.data[start] == ':' || b.data[start] == '\n'))
		start++;
	while (
	    end > start && (b.data[end - 1] == ' ' || b.data[end - 1] == '\n'))
		end--;
	out = xstrndup(b.data != NULL ? b.data + start : "", end - start);
	buf_free(&b);
	return out;
}

static void
job_run(struct event_job *j)
{
	struct slack *s = j->s;
	struct slack_reply *r = reply_new(s, R_EVENT);
	const char *thread;

	r->channel_id = xstrdup(j->channel);
	r->user_id = xstrdup(j->user);
	r->is_dm = j->is_dm;
	/* Replies to a mention go into its thread; a DM is answered in
	 * place unless it was written in a thread. */
	thread = j->thread_ts != NULL ? j->thread_ts : j->is_dm ? NULL : j->ts;
	r->thread_ts = dup_or_null(thread);
	run_command(s, r, j->text, j->source, NULL, NULL, thread);
	job_free(j);
}

/* Remembers a key in memory; 1 when it was new. */
static int
recent_take(struct slack *s, const char *key)
{
	struct slack_name *n, **pp;
	size_t i = 0;

	if (slack_name_find(s->recent, key) != NULL)
		return 0;
	n = xcalloc(1, sizeof *n);
	n->id = xstrdup(key);
	n->name = xstrdup("");
	n->next = s->recent;
	s->recent = n;
	for (pp = &s->recent; *pp != NULL; pp = &(*pp)->next)
		if (++i >= LIMIT_SLACK_DEDUP_MEMORY) {
			slack_names_free((*pp)->next);
			(*pp)->next = NULL;
			break;
		}
	return 1;
}

static void
dedup_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct event_job *j = priv;
	struct slack *s = j->s;

	if (reply == NULL || reply->type != REDIS_REPLY_INTEGER) {
		/* Redis could not say: answer unless this replica has seen
		 * it (a duplicate across replicas is then possible, a
		 * silent bot is not). */
		log_warn("slack: cannot check event %s in Redis (%s)",
		    j->event_id,
		    err != NULL ? err
				: (reply && reply->str ? reply->str : "?"));
		if (!recent_take(s, j->event_id)) {
			job_free(j);
			return;
		}
		job_run(j);
		return;
	}
	if (reply->integer != 1) {
		log_debug("slack: event %s already handled", j->event_id);
		job_free(j);
		return;
	}
	job_run(j);
}

static void
job_dedup(struct event_job *j)
{
	struct slack *s = j->s;
	struct buf k1 = BUF_INIT, k2 = BUF_INIT, ttl = BUF_INIT;
	const char *argv[3];
	size_t lens[3];
	struct store *st = s->bot->store;

	buf_printf(
	    &k1, "%sslack:event:%s", st ? store_prefix(st) : "", j->event_id);
	buf_printf(&k2, "%sslack:post:%s:%s", st ? store_prefix(st) : "",
	    j->channel, j->ts);
	buf_printf(&ttl, "%d", LIMIT_SLACK_DEDUP_S);
	argv[0] = buf_str(&k1);
	argv[1] = buf_str(&k2);
	argv[2] = buf_str(&ttl);
	lens[0] = k1.len;
	lens[1] = k2.len;
	lens[2] = ttl.len;
	if (st == NULL || s->dedup_script < 0 ||
	    store_eval(st, s->dedup_script, dedup_done, j, 2, 3, argv, lens) <
		0) {
		if (recent_take(s, j->event_id) && recent_take(s, k2.data))
			job_run(j);
		else
			job_free(j);
	}
	buf_free(&k1);
	buf_free(&k2);
	buf_free(&ttl);
}

/* Whether an event is a person addressing the bot; fills source. */
static int
event_addresses_bot(
    struct slack *s, const cJSON *ev, const char *text, enum req_source *source)
{
	const char *type = json_str(ev, "type");
	const char *subtype = json_str(ev, "subtype");
	const char *user = json_str(ev, "user");
	const char *chtype = json_str(ev, "channel_type");
	struct buf tag = BUF_INIT;
	int mentioned;

	if (type == NULL || user == NULL || text == NULL)
		return 0;
	/* Edits, deletions, joins and bot posts (ours or another bot's,
	 * which could answer us back forever) are not commands. */
	if (subtype != NULL && strcmp(subtype, "thread_broadcast") != 0 &&
	    strcmp(subtype, "file_share") != 0)
		return 0;
	if (json_str(ev, "bot_id") != NULL ||
	    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(ev, "bot_profile")))
		return 0;
	if (s->bot_user_id != NULL && strcmp(user, s->bot_user_id) == 0)
		return 0;
	if (strcmp(type, "app_mention") == 0) {
		*source = SRC_MENTION;
		return 1;
	}
	if (strcmp(type, "message") != 0)
		return 0;
	if (chtype != NULL && strcmp(chtype, "im") == 0) {
		*source = SRC_DM;
		return 1;
	}
	buf_printf(&tag, "<@%s>", s->bot_user_id ? s->bot_user_id : "?");
	mentioned = strstr(text, buf_str(&tag)) != NULL;
	buf_free(&tag);
	/* The same post also comes as app_mention; whichever arrives
	 * first is handled (the channel+ts mark). */
	if (mentioned) {
		*source = SRC_MENTION;
		return 1;
	}
	return 0;
}

/*
 * A human post in a channel, mentioning the bot (addressed: the text
 * after the mention) or not: escalations in the Twitter channel need no
 * mention, and a reply in an escalation's thread acknowledges it.
 */
static char *
passive_for(struct slack *s, const cJSON *ev, const char *channel,
    const char *text, const char *ts, const char *addressed)
{
	const char *type = json_str(ev, "type");
	const char *subtype = json_str(ev, "subtype");
	const char *user = json_str(ev, "user");
	const char *thread = json_str(ev, "thread_ts");

	if (type == NULL || user == NULL || text == NULL ||
	    is_dm_channel(channel))
		return NULL;
	if (strcmp(type, "message") != 0 && strcmp(type, "app_mention") != 0)
		return NULL;
	if (subtype != NULL && strcmp(subtype, "thread_broadcast") != 0)
		return NULL;
	if (json_str(ev, "bot_id") != NULL ||
	    (s->bot_user_id != NULL && strcmp(user, s->bot_user_id) == 0))
		return NULL;
	return router_passive_command(&s->bot->cfg,
	    slack_channel_name(s, channel), text, addressed,
	    thread != NULL && strcmp(thread, ts) != 0);
}

void
slack_on_event_callback(struct slack *s, const cJSON *payload)
{
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(payload, "event");
	const char *event_id = json_str(payload, "event_id");
	const char *text = json_str(ev, "text");
	const char *channel = json_str(ev, "channel");
	const char *ts = json_str(ev, "ts");
	enum req_source source;
	struct event_job *j;
	const char *name;
	char *passive = NULL;

	count_event(s, json_str(ev, "type") ? "event" : "malformed");
	if (event_id == NULL || channel == NULL || ts == NULL)
		return;
	if (!event_addresses_bot(s, ev, text, &source)) {
		passive = passive_for(s, ev, channel, text, ts, NULL);
		if (passive == NULL)
			return;
		source = SRC_MENTION;
	}
	/* Mentions count only in the channels the bot listens in. */
	name = slack_channel_name(s, channel);
	if (source == SRC_MENTION && !is_dm_channel(channel) && name != NULL &&
	    !config_listens_in(&s->bot->cfg, name)) {
		log_debug("slack: mention in #%s ignored: not a channel the "
			  "bot listens in",
		    name);
		return;
	}
	j = xcalloc(1, sizeof *j);
	j->s = s;
	j->event_id = xstrdup(event_id);
	j->channel = xstrdup(channel);
	j->user = xstrdup(json_str(ev, "user"));
	j->text = strip_mention(s, text);
	if (passive == NULL && source == SRC_MENTION)
		passive = passive_for(s, ev, channel, text, ts, j->text);
	if (passive != NULL) {
		free(j->text);
		j->text = passive;
	}
	j->ts = xstrdup(ts);
	j->thread_ts = dup_or_null(json_str(ev, "thread_ts"));
	j->is_dm = source == SRC_DM || is_dm_channel(channel);
	j->source = j->is_dm ? SRC_DM : source;
	job_dedup(j);
}

/* --- buttons
 * ------------------------------------------------------------------ */

void
slack_on_block_actions(struct slack *s, const cJSON *payload)
{
	const cJSON *actions =
	    cJSON_GetObjectItemCaseSensitive(payload, "actions");
	const cJSON *a = cJSON_GetArrayItem(actions, 0);
	const cJSON *user = cJSON_GetObjectItemCaseSensitive(payload, "user");
	const cJSON *ch = cJSON_GetObjectItemCaseSensitive(payload, "channel");
	const cJSON *container =
	    cJSON_GetObjectItemCaseSensitive(payload, "container");
	const char *value = json_str(a, "value");
	const char *uid = json_str(user, "id");
	struct slack_reply *r;

	count_event(s, "block_actions");
	if (value == NULL || uid == NULL) {
		log_info("slack: a button press without a value or user; "
			 "ignored");
		return;
	}
	r = reply_new(s, R_BUTTON);
	r->user_id = xstrdup(uid);
	r->channel_id =
	    dup_or_null(json_str(ch, "id") ? json_str(ch, "id")
					   : json_str(container, "channel_id"));
	r->is_dm = is_dm_channel(r->channel_id);
	r->response_url = dup_or_null(json_str(payload, "response_url"));
	run_command(s, r, value, SRC_BUTTON, json_str(user, "username"),
	    json_str(ch, "name"), NULL);
}

/* --- Socket Mode envelopes ---------------------------------------------------
 */

void
slack_on_envelope(struct slack *s, struct slack_conn *c, cJSON *env)
{
	const char *id = json_str(env, "envelope_id");
	const char *type = json_str(env, "type");
	const cJSON *payload = cJSON_GetObjectItemCaseSensitive(env, "payload");
	struct slack_reply *r;

	if (id == NULL || id[0] == '\0')
		return;
	if (type == NULL || !cJSON_IsObject(payload)) {
		/* Acknowledged all the same: a redelivery would be just as
		 * unreadable. */
		log_warn("slack: envelope %s of type %s without a payload; "
			 "acknowledged and ignored",
		    id, type ? type : "?");
		count_event(s, "malformed");
		ack_plain(s, c, id);
		return;
	}
	if (strcmp(type, "slash_commands") == 0) {
		count_event(s, "slash_commands");
		r = reply_new(s, R_SLASH);
		r->envelope_id = xstrdup(id);
		r->conn_id = slack_conn_id(c);
		slash_run(s, r, payload);
		return;
	}
	ack_plain(s, c, id);
	if (strcmp(type, "events_api") == 0) {
		const char *pt = json_str(payload, "type");

		if (pt != NULL && strcmp(pt, "event_callback") == 0)
			slack_on_event_callback(s, payload);
		return;
	}
	if (strcmp(type, "interactive") == 0) {
		const char *pt = json_str(payload, "type");

		if (pt != NULL && strcmp(pt, "block_actions") == 0)
			slack_on_block_actions(s, payload);
		else
			count_event(s, "interactive_other");
		return;
	}
	log_debug("slack: envelope type %s acknowledged and ignored", type);
	count_event(s, "other");
}

/* --- the adapter
 * -------------------------------------------------------------- */

static void
on_tick(uv_timer_t *t)
{
	struct slack *s = t->data;

	acks_expire(s);
	if (!s->stopped) {
		slack_socket_tick(s);
		slack_api_pump(s);
	}
}

static int
slack_start(struct adapter *a)
{
	struct slack *s = a->priv;

	if (s->wanted == 0)
		log_info("slack: no app token, so no Socket Mode: Slack "
			 "reaches pmbot through HTTP mode only");
	else if (slack_socket_setup(s) < 0) {
		log_error("slack: cannot set up WebSocket connections");
		return -1;
	}
	slack_http_setup(s);
	uv_timer_init(&s->bot->loop, &s->tick);
	s->tick.data = s;
	s->tick_open = 1;
	/* Ack deadlines need a tenth of a second; reconnects and pacing
	 * far less. */
	uv_timer_start(&s->tick, on_tick, 100, 100);
	s->started = 1;
	outbox_start(s->outbox);
	slack_api_start(s);
	return 0;
}

static void
tick_closed(uv_handle_t *h)
{
	struct slack *s = h->data;

	s->tick_open = 0;
}

static void
outbox_stopped(void *priv)
{
}

static void
slack_stop(struct adapter *a)
{
	struct slack *s = a->priv;

	if (s->stopped)
		return;
	s->stopped = 1;
	slack_socket_stop(s);
	outbox_stop(s->outbox, outbox_stopped, NULL);
	if (s->started) {
		uv_timer_stop(&s->tick);
		uv_close((uv_handle_t *)&s->tick, tick_closed);
	}
}

/* channel: a name, "#name", an id, or "@user" for a DM. */
static int
slack_post(struct adapter *a, const struct post *p)
{
	struct slack *s = a->priv;
	const char *channel = NULL, *user = NULL;
	const struct slack_name *u;

	if (p->channel == NULL || p->msg == NULL)
		return -1;
	if (p->channel[0] == '@') {
		u = slack_user_by_name(s, p->channel);
		if (u == NULL) {
			log_warn("slack: cannot post to %s: no such person",
			    p->channel);
			return -1;
		}
		/* Posting to a user id opens the app's DM with them. */
		channel = u->id;
	} else {
		channel = slack_channel_id(s, p->channel);
		if (channel == NULL) {
			log_warn("slack: cannot post to #%s: no such channel "
				 "among those the bot can see",
			    p->channel);
			return -1;
		}
	}
	if (p->ephemeral_user != NULL) {
		u = slack_user_by_name(s, p->ephemeral_user);
		if (u == NULL) {
			log_warn("slack: cannot show a post only to %s: no "
				 "such person",
			    p->ephemeral_user);
			return -1;
		}
		user = u->id;
	}
	return slack_api_post(
	    s, channel, p->thread, user, p->msg, p->dedup_key);
}

static int
slack_ready(const struct adapter *a)
{
	const struct slack *s = a->priv;

	/* In HTTP mode Slack comes to us: signed in is all there is. */
	return s->authed && !s->stopped &&
	       (s->wanted == 0 || slack_socket_ready(s));
}

static void
slack_free(struct adapter *a)
{
	struct slack *s = a->priv;

	while (s->acks != NULL) {
		struct slack_reply *r = s->acks;

		s->acks = r->next_ack;
		r->acked = 1;
	}
	slack_socket_free(s);
	slack_api_free(s);
	outbox_free(s->outbox);
	slack_names_free(s->channels);
	slack_names_free(s->users);
	slack_names_free(s->recent);
	free(s->api_url);
	free(s->bot_user_id);
	free(s->bot_id);
	free(s->signing_secret);
	free(s);
}

static const struct adapter_ops slack_ops = {
    .name = "slack",
    .start = slack_start,
    .stop = slack_stop,
    .post = slack_post,
    .ready = slack_ready,
    .free = slack_free,
};

struct adapter *
slack_new(struct bot *bot)
{
	struct slack *s;
	const struct config *cfg = &bot->cfg;
	size_t n;

	if (cfg->slack_bot_token == NULL ||
	    (cfg->slack_app_token == NULL &&
		cfg->slack_signing_secret == NULL)) {
		log_error("slack: slack.bot_token is needed, with "
			  "slack.app_token (Socket Mode) or "
			  "slack.signing_secret (HTTP mode)");
		return NULL;
	}
	if (bot->lws == NULL || bot->http == NULL) {
		log_error("slack: no WebSocket context or HTTP client");
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->a.ops = &slack_ops;
	s->a.bot = bot;
	s->a.priv = s;
	s->bot = bot;
	n = strlen(
	    cfg->slack_api_url ? cfg->slack_api_url : "https://slack.com/api/");
	s->api_url = xmalloc(n + 2);
	snprintf(s->api_url, n + 2, "%s%s",
	    cfg->slack_api_url ? cfg->slack_api_url : "https://slack.com/api/",
	    n > 0 && (cfg->slack_api_url ? cfg->slack_api_url : "/")[n - 1] ==
			 '/'
		? ""
		: "/");
	/* Without an app token there is no Socket Mode: Slack sends
	 * commands, events and button presses to the HTTP routes. */
	if (cfg->slack_app_token == NULL)
		s->wanted = 0;
	else
		s->wanted =
		    cfg->slack_connections > 0 ? cfg->slack_connections : 1;
	s->signing_secret = dup_or_null(cfg->slack_signing_secret);
	s->dedup_script =
	    bot->store != NULL ? store_script(bot->store, dedup_lua) : -1;
	s->outbox = outbox_new(
	    &bot->loop, bot->store, bot->metrics, "slack", slack_deliver, s);
	return &s->a;
}
