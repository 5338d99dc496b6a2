/*
 * Socket Mode connections.  Each connection is a single-use URL from
 * apps.connections.open (app token), resolved off the loop with
 * uv_getaddrinfo (lws 4.1's own lookup would block, eventloop.md P10)
 * and opened through lws on the bot's loop.  A connection is serving
 * once Slack says hello.
 *
 * Slack recycles connections: on a `disconnect` with `warning` or
 * `refresh_requested` the replacement is opened first and the old one
 * closed only when the new one has said hello, so there is always a
 * socket to take envelopes (the official Node client closes first and
 * leaves a gap of seconds).  `too_many_websockets` is the opposite: the
 * socket is closed and nothing is opened for a while, since opening
 * another is what makes it worse.  `link_disabled` and a refused app
 * token stop the bot with the reason.  Lost connections come back with
 * exponential backoff and jitter; lws pings a quiet link and hangs up
 * when no pong comes (dead-link detection).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "buf.h"
#include "handler.h"
#include "limits.h"
#include "log.h"
#include "lws_setup.h"
#include "metrics.h"
#include "slack_int.h"

enum conn_state {
	C_OPENING,    /* apps.connections.open in flight */
	C_RESOLVING,  /* uv_getaddrinfo in flight */
	C_CONNECTING, /* lws connecting, upgrading, or waiting for hello */
	C_OPEN,       /* hello received: serving */
};

struct frame {
	char *data; /* LWS_PRE bytes of room, then the text */
	size_t len;
	struct frame *next;
};

struct slack_conn {
	struct slack *s;
	unsigned id;
	enum conn_state state;
	int refs;      /* the list, a pending call or lookup, the wsi */
	int listed;    /* still in s->conns */
	int retiring;  /* replaced: closes when the replacement is open */
	int closing;   /* we are closing it */
	int too_large; /* the message being received passed the limit */
	struct lws *wsi;
	char *host;
	char *path;
	int port;
	int tls;
	uv_getaddrinfo_t gai;
	long long started_ms;
	struct buf rx;
	struct frame *out, *out_tail;
	struct slack_conn *next;
};

static const lws_retry_bo_t keepalive = {
    .secs_since_valid_ping = LIMIT_SLACK_PING_S,
    .secs_since_valid_hangup = LIMIT_SLACK_HANGUP_S,
};

unsigned
slack_conn_id(const struct slack_conn *c)
{
	return c->id;
}

static void
conn_unref(struct slack_conn *c)
{
	struct frame *f, *n;

	if (--c->refs > 0)
		return;
	for (f = c->out; f != NULL; f = n) {
		n = f->next;
		free(f->data);
		free(f);
	}
	buf_free(&c->rx);
	free(c->host);
	free(c->path);
	free(c);
}

static void
conn_unlist(struct slack_conn *c)
{
	struct slack_conn **pp;

	if (!c->listed)
		return;
	for (pp = &c->s->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->listed = 0;
	conn_unref(c);
}

/* Backoff before the next attempt: doubling from the minimum, capped,
 * and a random half of it taken off so replicas do not move in step. */
static long long
backoff_ms(int failures)
{
	long long d = LIMIT_SLACK_BACKOFF_MIN_MS;
	int i;

	for (i = 1; i < failures && d < LIMIT_SLACK_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > LIMIT_SLACK_BACKOFF_MAX_MS)
		d = LIMIT_SLACK_BACKOFF_MAX_MS;
	return d / 2 + (long long)(random() % (d / 2 + 1));
}

/* The connection is gone (or never came up); failed says whether that
 * was unexpected, which costs a backoff. */
static void
conn_gone(struct slack_conn *c, int failed, const char *why)
{
	struct slack *s = c->s;

	if (!c->listed)
		return;
	conn_unlist(c);
	if (s->stopped || s->fatal)
		return;
	if (failed) {
		long long d;

		s->failures++;
		d = backoff_ms(s->failures);
		if (now_ms() + d > s->backoff_until_ms)
			s->backoff_until_ms = now_ms() + d;
		metrics_inc(s->bot->metrics, M_RECONNECTS, "adapter=\"slack\"");
		log_warn("slack: connection %u lost (%s); reconnecting in %lld "
			 "ms",
		    c->id, why, d);
	}
	slack_socket_fill(s);
}

/* Closes a connection on purpose (replaced, too many, shutting down). */
static void
conn_close(struct slack_conn *c)
{
	c->closing = 1;
	if (c->wsi != NULL)
		lws_set_timeout(
		    c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
	else
		conn_gone(c, 0, "closed");
}

static void
queue_frame(struct slack_conn *c, const char *text)
{
	struct frame *f = xcalloc(1, sizeof *f);
	size_t n = strlen(text);

	f->data = xmalloc(LWS_PRE + n + 1);
	memcpy(f->data + LWS_PRE, text, n + 1);
	f->len = n;
	if (c->out_tail != NULL)
		c->out_tail->next = f;
	else
		c->out = f;
	c->out_tail = f;
	lws_callback_on_writable(c->wsi);
}

int
slack_socket_send(struct slack *s, unsigned conn_id, const char *text)
{
	struct slack_conn *c, *any = NULL;

	for (c = s->conns; c != NULL; c = c->next) {
		if (c->state != C_OPEN || c->wsi == NULL || c->closing)
			continue;
		if (c->id == conn_id)
			break;
		if (any == NULL)
			any = c;
	}
	if (c == NULL)
		c = any;
	if (c == NULL)
		return -1;
	queue_frame(c, text);
	return 0;
}

int
slack_socket_ready(const struct slack *s)
{
	const struct slack_conn *c;

	for (c = s->conns; c != NULL; c = c->next)
		if (c->state == C_OPEN && !c->closing)
			return 1;
	return 0;
}

/* --- frames from Slack ------------------------------------------------------
 */

static void
on_hello(struct slack_conn *c, const cJSON *root)
{
	struct slack *s = c->s;
	struct slack_conn *o;
	const cJSON *n =
	    cJSON_GetObjectItemCaseSensitive(root, "num_connections");

	c->state = C_OPEN;
	s->failures = 0;
	log_info("slack: connection %u open (%d for this app)", c->id,
	    cJSON_IsNumber(n) ? n->valueint : -1);
	/* The replacement is serving: now the old ones may go. */
	for (o = s->conns; o != NULL; o = o->next)
		if (o != c && o->retiring && !o->closing) {
			log_info("slack: closing connection %u, replaced by %u",
			    o->id, c->id);
			conn_close(o);
		}
}

static void
on_disconnect(struct slack_conn *c, const char *reason)
{
	struct slack *s = c->s;

	if (strcmp(reason, "link_disabled") == 0) {
		slack_fatal(s,
		    "slack: Socket Mode is turned off for this app (disconnect "
		    "reason link_disabled); turn it on in the app's settings "
		    "or remove slack.app_token");
		return;
	}
	if (strcmp(reason, "too_many_websockets") == 0) {
		long long d = LIMIT_SLACK_TOO_MANY_MS +
			      (long long)(random() % LIMIT_SLACK_TOO_MANY_MS);

		log_warn("slack: too many connections for this app (%d wanted "
			 "here); closing %u and waiting %lld ms",
		    s->wanted, c->id, d);
		if (now_ms() + d > s->backoff_until_ms)
			s->backoff_until_ms = now_ms() + d;
		conn_close(c);
		return;
	}
	/* warning, refresh_requested, or anything new: replace first. */
	log_info("slack: connection %u: disconnect (%s); opening its "
		 "replacement first",
	    c->id, reason);
	if (!c->retiring) {
		c->retiring = 1;
		slack_socket_fill(s);
	}
}

static void
on_message(struct slack_conn *c, const char *text, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *t;

	if (root == NULL || !cJSON_IsObject(root)) {
		log_warn("slack: connection %u: a frame that is not JSON "
			 "(%zu bytes); ignored",
		    c->id, len);
		cJSON_Delete(root);
		return;
	}
	t = cJSON_GetObjectItemCaseSensitive(root, "type");
	if (cJSON_IsString(
		cJSON_GetObjectItemCaseSensitive(root, "envelope_id"))) {
		slack_on_envelope(c->s, c, root);
	} else if (cJSON_IsString(t) && strcmp(t->valuestring, "hello") == 0) {
		on_hello(c, root);
	} else if (cJSON_IsString(t) &&
		   strcmp(t->valuestring, "disconnect") == 0) {
		const cJSON *r =
		    cJSON_GetObjectItemCaseSensitive(root, "reason");

		on_disconnect(c, cJSON_IsString(r) ? r->valuestring : "");
	} else {
		log_debug("slack: connection %u: frame of type %s ignored",
		    c->id, cJSON_IsString(t) ? t->valuestring : "?");
	}
	cJSON_Delete(root);
}

static void
on_receive(struct slack_conn *c, struct lws *wsi, const void *in, size_t len)
{
	if (!c->too_large && buf_append(&c->rx, in, len) == -1) {
		log_warn("slack: connection %u: a message over %d bytes; "
			 "dropped",
		    c->id, LIMIT_WS_MESSAGE);
		c->too_large = 1;
	}
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
		return;
	if (!c->too_large)
		on_message(c, buf_str(&c->rx), c->rx.len);
	c->too_large = 0;
	buf_reset(&c->rx);
}

static int
on_writeable(struct slack_conn *c, struct lws *wsi)
{
	struct frame *f = c->out;
	int n;

	if (f == NULL)
		return 0;
	c->out = f->next;
	if (c->out == NULL)
		c->out_tail = NULL;
	n = lws_write(
	    wsi, (unsigned char *)f->data + LWS_PRE, f->len, LWS_WRITE_TEXT);
	free(f->data);
	free(f);
	if (n < 0)
		return -1;
	if (c->out != NULL)
		lws_callback_on_writable(wsi);
	return 0;
}

static int
socket_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct slack_conn *c =
	    wsi != NULL ? lws_get_opaque_user_data(wsi) : NULL;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (c != NULL)
			log_debug("slack: connection %u upgraded", c->id);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (c != NULL)
			on_receive(c, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (c != NULL)
			return on_writeable(c, wsi);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c == NULL)
			break;
		lws_set_opaque_user_data(wsi, NULL);
		c->wsi = NULL;
		if (reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR)
			conn_gone(c, 1,
			    in != NULL && len > 0 ? (const char *)in
						  : "connection failed");
		else
			conn_gone(c, !c->closing, "closed by Slack");
		conn_unref(c); /* the wsi's reference */
		break;
	default:
		break;
	}
	return 0;
}

/* --- opening
 * ------------------------------------------------------------------ */

/* Splits ws[s]://host[:port]/path?query into the connection. */
static int
parse_ws_url(struct slack_conn *c, const char *url)
{
	const char *p, *slash, *colon;
	size_t hostlen;

	if (strncmp(url, "wss://", 6) == 0) {
		c->tls = 1;
		c->port = 443;
		p = url + 6;
	} else if (strncmp(url, "ws://", 5) == 0) {
		c->tls = 0;
		c->port = 80;
		p = url + 5;
	} else {
		return -1;
	}
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	colon = memchr(p, ':', (size_t)(slash - p));
	hostlen = (size_t)((colon != NULL ? colon : slash) - p);
	if (hostlen == 0 || hostlen > 253)
		return -1;
	if (colon != NULL) {
		char *end;
		long port = strtol(colon + 1, &end, 10);

		if (end != slash || port < 1 || port > 65535)
			return -1;
		c->port = (int)port;
	}
	c->host = xstrndup(p, hostlen);
	c->path = xstrdup(*slash != '\0' ? slash : "/");
	return 0;
}

static void
resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct slack_conn *c = req->data;
	struct slack *s = c->s;
	struct lws_client_connect_info i;
	char ip[INET6_ADDRSTRLEN] = "";

	if (status == 0 && res != NULL) {
		if (res->ai_family == AF_INET)
			inet_ntop(AF_INET,
			    &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip,
			    sizeof ip);
		else if (res->ai_family == AF_INET6)
			inet_ntop(AF_INET6,
			    &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr,
			    ip, sizeof ip);
	}
	uv_freeaddrinfo(res);
	if (!c->listed || c->closing || s->stopped) {
		conn_gone(c, 0, "stopped");
		conn_unref(c);
		return;
	}
	if (ip[0] == '\0') {
		conn_gone(
		    c, 1, status != 0 ? uv_strerror(status) : "no address");
		conn_unref(c);
		return;
	}
	memset(&i, 0, sizeof i);
	i.context = s->bot->lws;
	i.vhost = s->vhost;
	i.address = ip;
	i.port = c->port;
	i.path = c->path;
	/* SNI and the certificate check use the name, not the address. */
	i.host = c->host;
	i.origin = c->host;
	i.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
	i.local_protocol_name = s->protocols[0].name;
	i.retry_and_idle_policy = &keepalive;
	i.opaque_user_data = c;
	i.pwsi = &c->wsi;
	c->state = C_CONNECTING;
	c->started_ms = now_ms();
	c->refs++; /* the wsi's */
	if (lws_client_connect_via_info(&i) == NULL && c->refs > 1 &&
	    c->wsi == NULL && c->listed) {
		/* Failed before any callback could report it. */
		conn_unref(c);
		conn_gone(c, 1, "cannot start the connection");
	}
	conn_unref(c); /* the lookup's */
}

static void
opened(struct slack *s, const cJSON *root, const char *error, long retry,
    void *priv)
{
	struct slack_conn *c = priv;
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "url");
	struct addrinfo hints;
	char port[8];
	int rc;

	if (!c->listed || c->closing || s->stopped) {
		conn_gone(c, 0, "stopped");
		conn_unref(c);
		return;
	}
	if (root == NULL) {
		if (strcmp(error, "not_authed") == 0 ||
		    strcmp(error, "invalid_auth") == 0 ||
		    strcmp(error, "account_inactive") == 0 ||
		    strcmp(error, "token_revoked") == 0 ||
		    strcmp(error, "team_disabled") == 0) {
			slack_fatal(s,
			    "slack: the app-level token was refused (%s): "
			    "check slack.app_token (PMBOT_SLACK_APP_TOKEN); it "
			    "must be an xapp- token with connections:write",
			    error);
		} else {
			if (strcmp(error, "ratelimited") == 0 && retry > 0 &&
			    now_ms() + retry > s->backoff_until_ms)
				s->backoff_until_ms = now_ms() + retry;
			conn_gone(c, 1, error);
		}
		conn_unref(c);
		return;
	}
	if (!cJSON_IsString(u) || parse_ws_url(c, u->valuestring) < 0) {
		conn_gone(c, 1, "apps.connections.open gave no usable URL");
		conn_unref(c);
		return;
	}
	c->state = C_RESOLVING;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%d", c->port);
	c->gai.data = c;
	/* The call's reference passes to the lookup. */
	rc = uv_getaddrinfo(
	    &s->bot->loop, &c->gai, resolved, c->host, port, &hints);
	if (rc < 0) {
		conn_gone(c, 1, uv_strerror(rc));
		conn_unref(c);
	}
}

static void
conn_open(struct slack *s)
{
	struct slack_conn *c = xcalloc(1, sizeof *c);

	c->s = s;
	c->id = ++s->next_conn_id;
	c->state = C_OPENING;
	c->refs = 2; /* the list's and the call's */
	c->listed = 1;
	c->started_ms = now_ms();
	buf_init(&c->rx, LIMIT_WS_MESSAGE);
	c->next = s->conns;
	s->conns = c;
	slack_api_call(s, "apps.connections.open", NULL, 1, opened, c);
}

void
slack_socket_fill(struct slack *s)
{
	struct slack_conn *c;
	int have = 0;

	if (s->stopped || s->fatal || !s->authed)
		return;
	if (now_ms() < s->backoff_until_ms)
		return; /* the tick comes back */
	for (c = s->conns; c != NULL; c = c->next)
		if (!c->retiring && !c->closing)
			have++;
	while (have++ < s->wanted)
		conn_open(s);
}

void
slack_socket_tick(struct slack *s)
{
	struct slack_conn *c, *next;
	long long now = now_ms();

	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		/* Upgraded (or stuck upgrading) but no hello: not a
		 * Socket Mode link we can use. */
		if (c->state == C_CONNECTING && !c->closing &&
		    now - c->started_ms > LIMIT_SLACK_HELLO_MS) {
			log_warn("slack: connection %u: no hello within %d ms",
			    c->id, LIMIT_SLACK_HELLO_MS);
			c->closing = 1;
			s->failures++;
			s->backoff_until_ms = now + backoff_ms(s->failures);
			if (c->wsi != NULL)
				lws_set_timeout(c->wsi,
				    PENDING_TIMEOUT_CLOSE_SEND,
				    LWS_TO_KILL_ASYNC);
		}
	}
	slack_socket_fill(s);
}

int
slack_socket_setup(struct slack *s)
{
	s->protocols[0].name = "pmbot-slack";
	s->protocols[0].callback = socket_cb;
	s->protocols[0].rx_buffer_size = 0;
	s->vhost = lws_setup_client_vhost(s->bot->lws, s->protocols);
	return s->vhost != NULL ? 0 : -1;
}

void
slack_socket_stop(struct slack *s)
{
	struct slack_conn *c, *next;

	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		conn_close(c);
	}
}

void
slack_socket_free(struct slack *s)
{
	while (s->conns != NULL) {
		struct slack_conn *c = s->conns;

		c->refs = 1;
		conn_unlist(c);
	}
}
