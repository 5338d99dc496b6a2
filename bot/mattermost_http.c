/*
 * What Mattermost sends to pmbot's HTTP listener: custom slash commands
 * (POST /mattermost/command, a urlencoded form, §4.2) and button clicks
 * (POST /mattermost/action, JSON, §5).
 *
 * Both are answered well inside the server's 30 s: whatever the command
 * said within LIMIT_MM_SLASH_WAIT_MS goes into the HTTP answer; a command
 * still working by then answers "working on it", and what it says later
 * goes through the slash command's response_url (or, for a click, as
 * posts).  Neither request is signed by the server: a slash command
 * carries the command's token, compared in constant time with each
 * configured one; a button carries the HMAC the bot put in its context.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "buf.h"
#include "clock.h"
#include "form.h"
#include "http_server.h"
#include "limits.h"
#include "log.h"
#include "mattermost_int.h"
#include "metrics.h"
#include "router.h"
#include "store.h"

/* One slash command or click between its request and its last reply. */
struct mm_slash {
	struct mm *mm;
	struct http_exchange *x; /* NULL once answered */
	uv_timer_t timer;
	int timer_open;
	int released;
	int action;       /* a click, not a slash command */
	cJSON *responses; /* collected before the answer */
	struct buf eph;   /* a click's ephemeral text */
	char *response_url;
	int uses;
	char *user, *user_id, *channel, *channel_id, *text;
	struct mm_slash *next;
};

static void
slash_unlink(struct mm_slash *s)
{
	struct mm_slash **pp;

	for (pp = &s->mm->slashes; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			return;
		}
}

static void
slash_maybe_free(struct mm_slash *s)
{
	if (s->x != NULL || !s->released || s->timer_open)
		return;
	slash_unlink(s);
	cJSON_Delete(s->responses);
	buf_free(&s->eph);
	free(s->response_url);
	free(s->user);
	free(s->user_id);
	free(s->channel);
	free(s->channel_id);
	free(s->text);
	free(s);
}

static void
timer_closed(uv_handle_t *h)
{
	struct mm_slash *s = h->data;

	s->timer_open = 0;
	slash_maybe_free(s);
}

static void
close_timer(struct mm_slash *s)
{
	if (s->timer_open && !uv_is_closing((uv_handle_t *)&s->timer)) {
		uv_timer_stop(&s->timer);
		uv_close((uv_handle_t *)&s->timer, timer_closed);
	}
}

static void
respond_json(struct http_exchange *x, int status, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	if (s == NULL)
		fatal("mattermost: out of memory");
	/* Exactly application/json: anything else is shown raw (§4.4). */
	http_respond(x, status, "application/json", s, strlen(s));
	cJSON_free(s);
}

static void
respond_text(struct http_exchange *x, int status, const char *text)
{
	http_respond(
	    x, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* Sends the HTTP answer with what the command said so far. */
static void
slash_answer(struct mm_slash *s, int working)
{
	cJSON *o;
	int n;

	if (s->x == NULL)
		return;
	if (s->action) {
		o = cJSON_CreateObject();
		if (s->eph.len > 0)
			cJSON_AddStringToObject(
			    o, "ephemeral_text", buf_str(&s->eph));
		respond_json(s->x, 200, o);
		cJSON_Delete(o);
		s->x = NULL;
		return;
	}
	n = cJSON_GetArraySize(s->responses);
	if (n == 0 && working) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "response_type", "ephemeral");
		cJSON_AddStringToObject(o, "text", "working on it…");
	} else if (n == 0) {
		/* An empty body is an error to the server; {} is "nothing". */
		o = cJSON_CreateObject();
	} else {
		o = cJSON_DetachItemFromArray(s->responses, 0);
		if (n > 1) {
			cJSON_AddItemToObject(
			    o, "extra_responses", s->responses);
			s->responses = cJSON_CreateArray();
		}
	}
	respond_json(s->x, 200, o);
	cJSON_Delete(o);
	s->x = NULL;
}

static void
on_slash_timer(uv_timer_t *t)
{
	struct mm_slash *s = t->data;

	slash_answer(s, 1);
	close_timer(s);
}

static void
followup_done(const struct http_response *res, void *priv)
{
	if (res->status != 200)
		log_warn("mattermost: a delayed slash-command answer failed: "
			 "%s",
		    res->error ? res->error : "server refused it");
}

/* After the HTTP answer: through response_url while it lasts, else as an
 * ordinary post (ephemeral ones to the user only). */
static void
slash_follow_up(struct mm_slash *s, const struct message *m, int eph)
{
	struct http_request req;
	cJSON *rs, *r;
	char *body;

	if (s->action || s->response_url == NULL ||
	    s->uses >= LIMIT_MM_RESPONSE_URL_USES) {
		if (mm_post_message(s->mm, s->channel_id, NULL,
			eph ? s->user_id : NULL, m) < 0)
			log_warn("mattermost: a reply to %s was lost", s->user);
		return;
	}
	rs = mm_render_responses(s->mm, m, eph);
	r = cJSON_DetachItemFromArray(rs, 0);
	if (cJSON_GetArraySize(rs) > 0) {
		cJSON_AddItemToObject(r, "extra_responses", rs);
		rs = NULL;
	}
	body = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	cJSON_Delete(rs);
	if (body == NULL)
		fatal("mattermost: out of memory");
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = s->response_url;
	req.body = body;
	req.body_len = strlen(body);
	req.content_type = "application/json";
	req.max_retries = 0; /* every try uses up one of five */
	s->uses++;
	if (http_client_send(s->mm->bot->http, &req, followup_done, NULL) < 0)
		log_warn("mattermost: cannot send a delayed answer");
	cJSON_free(body);
}

static void
slash_send(
    void *ctx, const struct request *req, const struct message *m, int eph)
{
	struct mm_slash *s = ctx;
	cJSON *rs, *r;

	if (s->x == NULL) {
		slash_follow_up(s, m, eph);
		return;
	}
	if (s->action) {
		if (eph) {
			char *t = message_render_plain(m);

			buf_printf(&s->eph, "%s%s", s->eph.len ? "\n" : "", t);
			free(t);
		} else if (mm_post_message(
			       s->mm, s->channel_id, NULL, NULL, m) < 0) {
			log_warn("mattermost: a reply to %s was lost", s->user);
		}
		return;
	}
	rs = mm_render_responses(s->mm, m, eph);
	while ((r = cJSON_DetachItemFromArray(rs, 0)) != NULL)
		cJSON_AddItemToArray(s->responses, r);
	cJSON_Delete(rs);
}

static void
slash_release(void *ctx)
{
	struct mm_slash *s = ctx;

	s->released = 1;
	slash_answer(s, 0);
	close_timer(s);
	slash_maybe_free(s);
}

static struct mm_slash *
slash_new(struct mm *mm, struct http_exchange *x, int action)
{
	struct mm_slash *s = xcalloc(1, sizeof(*s));

	s->mm = mm;
	s->x = x;
	s->action = action;
	s->responses = cJSON_CreateArray();
	uv_timer_init(&mm->bot->loop, &s->timer);
	s->timer.data = s;
	s->timer_open = 1;
	uv_timer_start(&s->timer, on_slash_timer, LIMIT_MM_SLASH_WAIT_MS, 0);
	s->next = mm->slashes;
	mm->slashes = s;
	return s;
}

static void
slash_route(struct mm *mm, const char *username, const char *tz, void *priv)
{
	struct mm_slash *s = priv;
	struct incoming in;

	if (mm->stopping) {
		slash_release(s);
		return;
	}
	/* A button's request is not signed as a whole: only the action is.
	 * Who pressed comes from the user id, looked up on the server; the
	 * name in the body is never taken for it.  (A slash command's body
	 * is vouched for by its token.) */
	if (s->action && username == NULL) {
		log_warn("mattermost: a button press by unknown user id %s "
			 "refused",
		    s->user_id ? s->user_id : "(none)");
		buf_printf(&s->eph,
		    "%sCould not tell who pressed that; nothing "
		    "was done. Try again.",
		    s->eph.len ? "\n" : "");
		slash_release(s);
		return;
	}
	memset(&in, 0, sizeof(in));
	in.user = username ? username : s->user;
	in.user_id = s->user_id;
	in.channel = s->channel;
	in.channel_id = s->channel_id;
	in.tz = tz;
	in.text = s->text;
	in.source = s->action ? SRC_BUTTON : SRC_SLASH;
	in.sink.send = slash_send;
	in.sink.release = slash_release;
	in.sink.ctx = s;
	router_handle(mm->bot, &in);
}

/* The configured token this request carries, checked against every one
 * without stopping early, so the timing says nothing about which. */
static int
token_ok(const struct config *cfg, const char *token)
{
	size_t i;
	int ok = 0;

	if (token == NULL || *token == '\0')
		return 0;
	for (i = 0; i < cfg->mm_command_tokens.n; i++)
		ok |= hmac_streq(cfg->mm_command_tokens.v[i], token);
	return ok;
}

static void
count(struct mm *mm, const char *route, int status)
{
	char labels[96];

	snprintf(labels, sizeof(labels), "route=\"%s\",status=\"%d\"", route,
	    status);
	metrics_inc(mm->bot->metrics, M_HTTP_REQUESTS, labels);
}

static void
route_command(struct http_exchange *x, void *priv)
{
	struct mm *mm = priv;
	struct form f;
	struct mm_slash *s;
	struct buf text = BUF_INIT, ch = BUF_INIT;
	const char *src, *token, *auth, *user, *user_id, *channel_id, *cname;
	const char *command, *args;
	static const char *const single[] = {"token", "user_id", "user_name",
	    "channel_id", "channel_name", "team_id", "command", "text",
	    "response_url", "trigger_id", "root_id", NULL};
	const char *repeated;
	char err[96], msg[128];
	size_t len;

	if (strcmp(http_exchange_method(x), "GET") == 0) {
		src = http_exchange_query(x);
		len = strlen(src);
	} else {
		src = http_exchange_body(x);
		len = http_exchange_body_len(x);
	}
	if (form_parse(&f, src, len, err, sizeof(err)) < 0) {
		form_free(&f);
		log_info("mattermost: refused a slash command: %s", err);
		count(mm, "command", 400);
		snprintf(msg, sizeof(msg), "bad form: %s\n", err);
		respond_text(x, 400, msg);
		return;
	}
	repeated = form_repeated(&f, single);
	if (repeated != NULL) {
		form_free(&f);
		log_info("mattermost: refused a slash command: field %s "
			 "appears twice",
		    repeated);
		count(mm, "command", 400);
		snprintf(msg, sizeof(msg),
		    "bad form: field \"%s\" appears twice\n", repeated);
		respond_text(x, 400, msg);
		return;
	}
	token = form_get(&f, "token");
	auth = http_exchange_header(x, "authorization");
	if (token == NULL && auth != NULL &&
	    strncasecmp(auth, "Token ", 6) == 0)
		token = auth + 6;
	if (!token_ok(&mm->bot->cfg, token)) {
		form_free(&f);
		log_info("mattermost: refused a slash command with a wrong "
			 "token");
		count(mm, "command", 401);
		respond_text(x, 401, "invalid token\n");
		return;
	}
	user = form_get(&f, "user_name");
	user_id = form_get(&f, "user_id");
	channel_id = form_get(&f, "channel_id");
	cname = form_get(&f, "channel_name");
	command = form_get(&f, "command");
	args = form_get(&f, "text");
	if (user == NULL || user_id == NULL || channel_id == NULL ||
	    command == NULL || *user == '\0' || *command == '\0') {
		form_free(&f);
		count(mm, "command", 400);
		respond_text(x, 400, "missing fields\n");
		return;
	}
	count(mm, "command", 200);
	/* "/brief" "foo" is the line "/brief foo"; the router drops the
	 * slash and the umbrella. */
	buf_printf(&text, "%s%s%s", command, args && *args ? " " : "",
	    args ? args : "");
	/* A direct message's name is "idA__idB" (§4.2). */
	if (cname == NULL || strstr(cname, "__") != NULL)
		buf_printf(&ch, "@%s", user);
	else
		buf_puts(&ch, cname);
	s = slash_new(mm, x, 0);
	s->user = xstrdup(user);
	s->user_id = xstrdup(user_id);
	s->channel = buf_detach(&ch);
	s->channel_id = xstrdup(channel_id);
	s->text = buf_detach(&text);
	if (form_get(&f, "response_url") != NULL &&
	    strncmp(form_get(&f, "response_url"), "http", 4) == 0)
		s->response_url = xstrdup(form_get(&f, "response_url"));
	form_free(&f);
	log_info(
	    "mattermost: slash command from %s in %s", s->user, s->channel);
	mm_user_lookup(mm, s->user_id, slash_route, s);
}

/* A signed click is used once: the first press of a button by a person
 * on a post runs; the same request again (a double click, or someone
 * re-sending what they captured) is told so and not run. */
static void
click_claimed(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct mm_slash *s = priv;

	(void)st;
	if (r != NULL && r->type == REDIS_REPLY_NIL) {
		log_info("mattermost: button \"%s\" pressed again by %s; not "
			 "run twice",
		    s->text, s->user_id);
		buf_printf(&s->eph, "%sThat button was already used.",
		    s->eph.len ? "\n" : "");
		slash_release(s);
		return;
	}
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		log_warn("mattermost: cannot record a button press (%s); "
			 "running it",
		    r ? r->str : err);
	mm_user_lookup(s->mm, s->user_id, slash_route, s);
}

static void
route_action(struct http_exchange *x, void *priv)
{
	struct mm *mm = priv;
	cJSON *o = cJSON_ParseWithLength(
	    http_exchange_body(x), http_exchange_body_len(x));
	cJSON *ctx = cJSON_GetObjectItemCaseSensitive(o, "context");
	cJSON *action = cJSON_GetObjectItemCaseSensitive(ctx, "action");
	cJSON *exp = cJSON_GetObjectItemCaseSensitive(ctx, "exp");
	cJSON *mac = cJSON_GetObjectItemCaseSensitive(ctx, "mac");
	cJSON *uid = cJSON_GetObjectItemCaseSensitive(o, "user_id");
	cJSON *uname = cJSON_GetObjectItemCaseSensitive(o, "user_name");
	cJSON *cid = cJSON_GetObjectItemCaseSensitive(o, "channel_id");
	cJSON *cname = cJSON_GetObjectItemCaseSensitive(o, "channel_name");
	cJSON *pid = cJSON_GetObjectItemCaseSensitive(o, "post_id");
	char want[HMAC_HEX_LEN], click[HMAC_HEX_LEN];
	struct buf b = BUF_INIT;
	struct mm_slash *s;
	const char *known;
	long long until, left;
	int rc;

	if (!cJSON_IsString(action) || !cJSON_IsString(mac) ||
	    !cJSON_IsString(exp) || !cJSON_IsString(uid) ||
	    !cJSON_IsString(cid) ||
	    !utf8_valid(action->valuestring, strlen(action->valuestring))) {
		cJSON_Delete(o);
		count(mm, "action", 400);
		respond_text(x, 400, "not a button of this bot\n");
		return;
	}
	mm_button_mac(
	    mm->action_key, action->valuestring, exp->valuestring, want);
	if (want[0] == '\0' || !hmac_streq(want, mac->valuestring)) {
		cJSON_Delete(o);
		log_info("mattermost: refused a button click with a bad "
			 "signature");
		count(mm, "action", 403);
		respond_text(x, 403, "bad signature\n");
		return;
	}
	until = strtoll(exp->valuestring, NULL, 10);
	left = until - clock_now_ms() / 1000;
	count(mm, "action", 200);
	s = slash_new(mm, x, 1);
	s->user_id = xstrdup(uid->valuestring);
	s->user = xstrdup(cJSON_IsString(uname) ? uname->valuestring : "");
	s->channel_id = xstrdup(cid->valuestring);
	known = mm_channel_name(mm, cid->valuestring);
	s->channel = xstrdup(known                   ? known
			     : cJSON_IsString(cname) ? cname->valuestring
						     : cid->valuestring);
	s->text = xstrdup(action->valuestring);
	if (left <= 0) {
		log_info("mattermost: button \"%s\" pressed after it expired",
		    s->text);
		buf_printf(&s->eph,
		    "%sThat button has expired; run the "
		    "command again.",
		    s->eph.len ? "\n" : "");
		cJSON_Delete(o);
		slash_release(s);
		return;
	}
	/* The key names the click (button, person, post) by a MAC, so no
	 * text from the request ends up in a Redis key. */
	buf_printf(&b, "%s|%s|%s", mac->valuestring, uid->valuestring,
	    cJSON_IsString(pid) ? pid->valuestring : "");
	if (hmac_sha256_hex(mm->action_key, strlen(mm->action_key), buf_str(&b),
		b.len, click) < 0)
		click[0] = '\0';
	buf_free(&b);
	cJSON_Delete(o);
	log_info("mattermost: button \"%s\" pressed", s->text);
	rc = click[0] == '\0' || mm->bot->store == NULL
		 ? -1
		 : store_cmd(mm->bot->store, click_claimed, s,
		       "SET %smm:click:%s 1 NX EX %lld",
		       store_prefix(mm->bot->store), click, left + 60);
	if (rc < 0)
		mm_user_lookup(mm, s->user_id, slash_route, s);
}

void
mm_http_routes(struct mm *mm)
{
	if (mm->bot->httpd == NULL)
		return;
	http_server_route(
	    mm->bot->httpd, "POST", "/mattermost/command", route_command, mm);
	http_server_route(
	    mm->bot->httpd, "GET", "/mattermost/command", route_command, mm);
	http_server_route(
	    mm->bot->httpd, "POST", "/mattermost/action", route_action, mm);
}

void
mm_http_stop(struct mm *mm)
{
	struct mm_slash *s, *next;

	for (s = mm->slashes; s != NULL; s = next) {
		next = s->next;
		if (s->x != NULL) {
			respond_text(s->x, 503, "shutting down\n");
			s->x = NULL;
		}
		close_timer(s);
	}
}
