/*
 * Slack's HTTP mode, the alternative to Socket Mode: slash commands,
 * Events API callbacks and button presses arrive as POSTs on the bot's
 * listener.  Each request is signed: X-Slack-Signature is "v0=" and the
 * hex HMAC-SHA256, keyed by the app's signing secret, of "v0:", the
 * X-Slack-Request-Timestamp, ":" and the raw body.  A request whose
 * signature does not match, or whose timestamp is more than five
 * minutes away (a replay), is refused before anything in it is read.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bot.h"
#include "buf.h"
#include "form.h"
#include "hmac.h"
#include "http_server.h"
#include "limits.h"
#include "log.h"
#include "slack_int.h"
#include "store.h"

const char *
slack_sig_reason(enum slack_sig_result r)
{
	switch (r) {
	case SLACK_SIG_OK:
		return "ok";
	case SLACK_SIG_MISSING:
		return "no signature or timestamp";
	case SLACK_SIG_STALE:
		return "timestamp outside the 5-minute window";
	case SLACK_SIG_BAD:
		return "signature mismatch";
	}
	return "?";
}

static int
parse_timestamp(const char *s, long long *out)
{
	long long v = 0;
	int i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]) || i >= 18)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0)
		return -1;
	*out = v;
	return 0;
}

enum slack_sig_result
slack_signature_check(const char *secret, const char *timestamp,
    const char *signature, const char *body, size_t len, long long now_s)
{
	char mac[HMAC_HEX_LEN], want[3 + HMAC_HEX_LEN];
	struct buf base = BUF_INIT;
	long long ts;
	int rc;

	if (secret == NULL || timestamp == NULL || signature == NULL)
		return SLACK_SIG_MISSING;
	if (parse_timestamp(timestamp, &ts) < 0)
		return SLACK_SIG_MISSING;
	if (ts > now_s + LIMIT_SLACK_SIG_WINDOW_S ||
	    ts < now_s - LIMIT_SLACK_SIG_WINDOW_S)
		return SLACK_SIG_STALE;
	buf_printf(&base, "v0:%s:", timestamp);
	if (len > 0 && buf_append(&base, body, len) == -1)
		fatal("slack: cannot build the signature base");
	rc = hmac_sha256_hex(
	    secret, strlen(secret), buf_str(&base), base.len, mac);
	buf_free(&base);
	if (rc < 0)
		return SLACK_SIG_BAD;
	snprintf(want, sizeof want, "v0=%s", mac);
	return hmac_streq(want, signature) ? SLACK_SIG_OK : SLACK_SIG_BAD;
}

/* --- form bodies ---------------------------------------------------------- */

/* A urlencoded body as an object of strings (the first of repeated
 * keys), or NULL when it is malformed. */
static cJSON *
form_object(const char *body, size_t len)
{
	struct form f;
	cJSON *o;
	char err[128];
	size_t i;

	if (form_parse(&f, body, len, err, sizeof err) < 0) {
		log_info("slack: unreadable form body: %s", err);
		form_free(&f);
		return NULL;
	}
	o = cJSON_CreateObject();
	if (o == NULL)
		fatal("slack: out of memory");
	for (i = 0; i < f.n; i++)
		if (cJSON_GetObjectItemCaseSensitive(o, f.v[i].key) == NULL)
			cJSON_AddStringToObject(o, f.v[i].key, f.v[i].value);
	form_free(&f);
	return o;
}

/* --- routes --------------------------------------------------------------- */

static void
respond_text(struct http_exchange *x, int status, const char *text)
{
	http_respond(
	    x, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* 0 when the request is Slack's; otherwise it has been answered 401. */
static int
verified(struct slack *s, struct http_exchange *x)
{
	enum slack_sig_result r;

	r = slack_signature_check(s->signing_secret,
	    http_exchange_header(x, "x-slack-request-timestamp"),
	    http_exchange_header(x, "x-slack-signature"), http_exchange_body(x),
	    http_exchange_body_len(x), (long long)time(NULL));
	if (r == SLACK_SIG_OK)
		return 0;
	log_warn("slack: refused %s: %s", http_exchange_path(x),
	    slack_sig_reason(r));
	respond_text(x, 401, "invalid request signature\n");
	return -1;
}

static void
commands_verified(struct slack *s, struct http_exchange *x)
{
	cJSON *fields;

	fields = form_object(http_exchange_body(x), http_exchange_body_len(x));
	if (!cJSON_IsString(
		cJSON_GetObjectItemCaseSensitive(fields, "command"))) {
		respond_text(x, 400, "not a slash command\n");
		cJSON_Delete(fields);
		return;
	}
	slack_on_http_command(s, x, fields);
	cJSON_Delete(fields);
}

static void
events_verified(struct slack *s, struct http_exchange *x)
{
	cJSON *root;
	const cJSON *type, *challenge;

	root = cJSON_ParseWithLength(
	    http_exchange_body(x), http_exchange_body_len(x));
	type = cJSON_GetObjectItemCaseSensitive(root, "type");
	if (!cJSON_IsString(type)) {
		respond_text(x, 400, "not an Events API request\n");
		cJSON_Delete(root);
		return;
	}
	if (strcmp(type->valuestring, "url_verification") == 0) {
		challenge = cJSON_GetObjectItemCaseSensitive(root, "challenge");
		if (cJSON_IsString(challenge))
			respond_text(x, 200, challenge->valuestring);
		else
			respond_text(x, 400, "no challenge\n");
		cJSON_Delete(root);
		return;
	}
	/* Acknowledge first, work later: Slack retries what is not
	 * answered within 3 s. */
	respond_text(x, 200, "");
	if (strcmp(type->valuestring, "event_callback") == 0)
		slack_on_event_callback(s, root);
	cJSON_Delete(root);
}

static void
actions_verified(struct slack *s, struct http_exchange *x)
{
	cJSON *fields, *payload = NULL;
	const cJSON *p, *type;

	fields = form_object(http_exchange_body(x), http_exchange_body_len(x));
	p = cJSON_GetObjectItemCaseSensitive(fields, "payload");
	if (cJSON_IsString(p))
		payload = cJSON_Parse(p->valuestring);
	type = cJSON_GetObjectItemCaseSensitive(payload, "type");
	if (!cJSON_IsString(type)) {
		respond_text(x, 400, "not an interaction payload\n");
	} else {
		respond_text(x, 200, "");
		if (strcmp(type->valuestring, "block_actions") == 0)
			slack_on_block_actions(s, payload);
	}
	cJSON_Delete(payload);
	cJSON_Delete(fields);
}

/*
 * A signed request is run once.  The signature alone is checked at once;
 * then the signature is recorded in Redis for longer than the window in
 * which its timestamp is accepted, and a request whose signature is
 * already there is a replay (someone re-sending what they captured, or a
 * proxy repeating it): answered 200 so nobody retries, and not run.
 * Slack's own retries carry a new timestamp, hence a new signature; the
 * events among them are de-duplicated by event id as over Socket Mode.
 * With Redis unreachable the request is run: a command then says the
 * state store is down, and the bot stays there for the rest.
 */
typedef void verified_cb(struct slack *s, struct http_exchange *x);

struct once {
	struct slack *s;
	struct http_exchange *x;
	verified_cb *next;
};

static void
once_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct once *o = priv;

	(void)st;
	(void)err;
	if (r != NULL && r->type == REDIS_REPLY_NIL) {
		log_warn("slack: refused %s: a replay of a request already "
			 "run",
		    http_exchange_path(o->x));
		respond_text(o->x, 200, "");
	} else {
		o->next(o->s, o->x);
	}
	free(o);
}

static void
run_once(struct slack *s, struct http_exchange *x, verified_cb *next)
{
	const char *sig = http_exchange_header(x, "x-slack-signature");
	struct once *o;
	int rc;

	if (verified(s, x) < 0)
		return;
	o = xmalloc(sizeof(*o));
	o->s = s;
	o->x = x;
	o->next = next;
	rc = s->bot->store == NULL ? -1
				   : store_cmd(s->bot->store, once_done, o,
					 "SET %sslack:seen:%s 1 NX EX %d",
					 store_prefix(s->bot->store), sig,
					 2 * LIMIT_SLACK_SIG_WINDOW_S + 60);
	if (rc < 0) {
		free(o);
		next(s, x);
	}
}

static void
route_commands(struct http_exchange *x, void *priv)
{
	run_once(priv, x, commands_verified);
}

static void
route_events(struct http_exchange *x, void *priv)
{
	run_once(priv, x, events_verified);
}

static void
route_actions(struct http_exchange *x, void *priv)
{
	run_once(priv, x, actions_verified);
}

void
slack_http_setup(struct slack *s)
{
	struct http_server *srv = s->bot->httpd;

	if (srv == NULL || s->signing_secret == NULL)
		return;
	http_server_route(srv, "POST", "/slack/commands", route_commands, s);
	http_server_route(srv, "POST", "/slack/events", route_events, s);
	http_server_route(srv, "POST", "/slack/actions", route_actions, s);
	log_info("slack: HTTP mode on /slack/commands, /slack/events and "
		 "/slack/actions");
}
