/*
 * The state store: one hiredis 0.14 async connection on the bot's loop,
 * kept alive by the store itself.  hiredis 0.14 gives us neither connect
 * nor command timeouts nor reconnects, so this file owns all three with
 * uv timers, and it hides the connection's life from callers: they queue
 * commands while the store is up and get exactly one callback each.
 *
 * hiredis frees a context on its own after onConnect(error) and after
 * onDisconnect, runs every queued reply callback with a NULL reply when a
 * connection dies, and must never be freed from inside onConnect
 * (eventloop.md P15).  The rules below follow from that: st->ac is
 * cleared before anyone else frees a context, and callbacks for a context
 * that is no longer st->ac only release their own memory.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include <openssl/evp.h>
#include <uv.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "buf.h"
#include "limits.h"
#include "log.h"
#include "redis_uv.h"
#include "store.h"

#define STORE_DEFAULT_PORT 6379
#define STORE_MAX_DB 1000000

/* One command hiredis holds for us.  It lives until hiredis calls
 * store_reply_done, even after a timeout already answered the caller. */
struct pending {
	struct store *st;
	store_cb *cb;
	void *priv;
	uint64_t deadline; /* uv_now() when the caller gets "timed out" */
	struct pending *prev, *next; /* the deadline list, oldest first */
	int timed_out;
	/* Scripts keep their arguments for the one retry after NOSCRIPT. */
	int script;
	int retried;
	int argc;
	const char **argv;
	size_t *lens;
};

struct script {
	char *lua;
	const char *origin; /* the caller's text, for a pointer match */
	char sha[41];
};

struct store {
	uv_loop_t *loop;
	char *prefix;
	char *shown;      /* the URL for the log, password masked */
	char *host;       /* TCP, or NULL for a unix socket */
	int host_is_name; /* resolved (off the loop) before each connect */
	int resolving;    /* st->gai is in flight */
	uv_getaddrinfo_t gai;
	int port;
	char *path;
	char *user;
	char *password;
	int db;

	redisAsyncContext *ac;
	int up;             /* AUTH and SELECT answered, commands accepted */
	int dying;          /* hiredis is failing st->ac's callbacks */
	int handshake_left; /* AUTH/SELECT/PING replies still awaited */
	int handshake_failed;
	char drop_reason[128]; /* why we dropped st->ac ourselves */
	char status[200];
	unsigned backoff_ms;
	uint64_t rng;

	/* Handles: retry, connect timeout, command timeout, stop watchdog,
	 * and one uv_poll per live hiredis context. */
	uv_timer_t retry_timer;
	uv_timer_t connect_timer;
	uv_timer_t cmd_timer;
	uv_timer_t stop_timer;
	int handles_ready;
	int open_handles;

	struct pending *head, *tail;

	struct script *scripts;
	int nscripts;

	store_state_cb *state_cb;
	void *state_priv;

	int started;
	int stopping;
	int finishing;
	int done_called;
	void (*done)(void *);
	void *done_priv;
};

static void store_connect(struct store *st);
static void store_cmd_timeout(uv_timer_t *t);
static void store_reply_done(redisAsyncContext *ac, void *r, void *privdata);

/* Sets the status to "down: why" (why may be hiredis's errstr). */
static void
store_set_down(struct store *st, const char *why)
{
	snprintf(st->status, sizeof(st->status), "down: %s", why);
}

static int
store_down_because(const struct store *st, const char *why)
{
	return strncmp(st->status, "down: ", 6) == 0 &&
	       strcmp(st->status + 6, why) == 0;
}

/* ---- URL parsing ---- */

static int store_url_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
store_url_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
store_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s[0..n) so passwords may hold ':', '@' or '/'. */
static char *
store_url_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = lo = -1;
		if (s[i] == '%' && i + 2 < n) {
			hi = store_hexval((unsigned char)s[i + 1]);
			lo = store_hexval((unsigned char)s[i + 2]);
		}
		if (hi >= 0 && lo >= 0) {
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* A decimal number in [min, max] spanning all of s[0..n). */
static int
store_parse_num(const char *s, size_t n, long min, long max, long *out)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
store_parse_unix(
    struct store_url *u, const char *rest, char *err, size_t errlen)
{
	const char *q = strchr(rest, '?');
	size_t n = q ? (size_t)(q - rest) : strlen(rest);
	struct sockaddr_un sun;
	long v;

	if (n == 0 || rest[0] != '/')
		return store_url_error(err, errlen,
		    "unix socket URL needs an absolute path: unix:///path/to/redis.sock");
	if (n >= sizeof(sun.sun_path))
		return store_url_error(err, errlen,
		    "unix socket path is longer than %zu bytes",
		    sizeof(sun.sun_path) - 1);
	if (q != NULL) {
		if (strncmp(q + 1, "db=", 3) != 0 ||
		    store_parse_num(
			q + 4, strlen(q + 4), 0, STORE_MAX_DB, &v) != 0)
			return store_url_error(err, errlen,
			    "unix socket URL accepts only \"?db=N\" with N a database number");
		u->db = (int)v;
	}
	u->path = xstrndup(rest, n);
	return 0;
}

static int
store_parse_userinfo(
    struct store_url *u, const char *s, size_t n, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', n);

	if (colon == NULL)
		return store_url_error(err, errlen,
		    "the password must follow a colon: redis://:password@host:port");
	if ((size_t)(colon - s) + 1 == n)
		return store_url_error(err, errlen, "the password is empty");
	if (colon > s)
		u->user = store_url_decode(s, (size_t)(colon - s));
	u->password = store_url_decode(colon + 1, n - (size_t)(colon - s) - 1);
	return 0;
}

/* A DNS name as a resolver takes it: dot-separated labels of letters,
 * digits and inner hyphens, at most 63 bytes each and 253 in all. */
static int
store_host_name_ok(const char *h)
{
	size_t n = strlen(h), label = 0, i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0 || h[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (c == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && h[n - 1] != '-';
}

static int
store_parse_host(
    struct store_url *u, const char *s, size_t n, char *err, size_t errlen)
{
	char addr[sizeof(struct in6_addr)];
	char *host;

	if (n == 0)
		return store_url_error(err, errlen, "the URL has no host");
	host = xstrndup(s, n);
	if (inet_pton(AF_INET, host, addr) != 1 &&
	    inet_pton(AF_INET6, host, addr) != 1 && !store_host_name_ok(host)) {
		store_url_error(err, errlen,
		    "host \"%.64s\" is neither an IP address nor a host name",
		    host);
		free(host);
		return -1;
	}
	u->host = host;
	return 0;
}

static int
store_parse_tcp(struct store_url *u, const char *rest, char *err, size_t errlen)
{
	const char *at = strrchr(rest, '@');
	const char *p, *hend, *slash;
	long v;

	if (at != NULL) {
		if (store_parse_userinfo(
			u, rest, (size_t)(at - rest), err, errlen) != 0)
			return -1;
		rest = at + 1;
	}
	if (rest[0] == '[') {
		hend = strchr(rest, ']');
		if (hend == NULL)
			return store_url_error(err, errlen,
			    "the IPv6 address lacks its closing ']'");
		if (store_parse_host(u, rest + 1, (size_t)(hend - rest - 1),
			err, errlen) != 0)
			return -1;
		p = hend + 1;
	} else {
		hend = rest + strcspn(rest, ":/");
		if (store_parse_host(
			u, rest, (size_t)(hend - rest), err, errlen) != 0)
			return -1;
		p = hend;
	}
	u->port = STORE_DEFAULT_PORT;
	slash = strchr(p, '/');
	if (p[0] == ':') {
		size_t n = slash ? (size_t)(slash - p - 1) : strlen(p + 1);

		if (store_parse_num(p + 1, n, 1, 65535, &v) != 0)
			return store_url_error(err, errlen,
			    "the port must be a number from 1 to 65535");
		u->port = (int)v;
	} else if (p[0] != '\0' && p[0] != '/')
		return store_url_error(
		    err, errlen, "unexpected text after the host");
	if (slash != NULL && slash[1] != '\0') {
		if (store_parse_num(
			slash + 1, strlen(slash + 1), 0, STORE_MAX_DB, &v) != 0)
			return store_url_error(err, errlen,
			    "the database after '/' must be a number");
		u->db = (int)v;
	}
	return 0;
}

/* Fills u from url and builds the masked form; on failure u holds
 * nothing to free. */
int
store_url_parse(const char *url, struct store_url *u, char *err, size_t errlen)
{
	struct buf b = BUF_INIT;
	int rc;

	memset(u, 0, sizeof(*u));
	if (url == NULL || url[0] == '\0')
		return store_url_error(err, errlen, "the Redis URL is empty");
	if (strncmp(url, "rediss://", 9) == 0)
		return store_url_error(err, errlen,
		    "TLS (rediss://) is not supported: hiredis 0.14 has no TLS");
	if (strncmp(url, "redis://", 8) == 0)
		rc = store_parse_tcp(u, url + 8, err, errlen);
	else if (strncmp(url, "unix://", 7) == 0)
		rc = store_parse_unix(u, url + 7, err, errlen);
	else
		return store_url_error(err, errlen,
		    "the Redis URL must start with redis:// or unix://");
	if (rc != 0) {
		/* A URL can fail after the password was decoded. */
		store_url_free(u);
		return -1;
	}
	if (u->path != NULL) {
		buf_printf(&b, "unix:%s", u->path);
		if (u->db != 0)
			buf_printf(&b, "?db=%d", u->db);
	} else {
		buf_puts(&b, "redis://");
		if (u->password != NULL)
			buf_printf(&b, "%s:***@", u->user ? u->user : "");
		if (strchr(u->host, ':') != NULL)
			buf_printf(&b, "[%s]:%d/%d", u->host, u->port, u->db);
		else
			buf_printf(&b, "%s:%d/%d", u->host, u->port, u->db);
	}
	u->shown = buf_detach(&b);
	return 0;
}

void
store_url_free(struct store_url *u)
{
	free(u->shown);
	free(u->host);
	free(u->path);
	free(u->user);
	free(u->password);
	memset(u, 0, sizeof(*u));
}

/* ---- life cycle ---- */

struct store *
store_new(uv_loop_t *loop, const char *url, const char *prefix, char *err,
    size_t errlen)
{
	struct store *st;
	struct store_url u;

	if (store_url_parse(url, &u, err, errlen) != 0)
		return NULL;
	st = xcalloc(1, sizeof(*st));
	st->loop = loop;
	/* The store owns the parsed strings from here on. */
	st->shown = u.shown;
	st->host = u.host;
	if (st->host != NULL) {
		unsigned char a[sizeof(struct in6_addr)];

		st->host_is_name = inet_pton(AF_INET, st->host, a) != 1 &&
				   inet_pton(AF_INET6, st->host, a) != 1;
	}
	st->port = u.port;
	st->path = u.path;
	st->user = u.user;
	st->password = u.password;
	st->db = u.db;
	/* Belt and braces: the log masks it even if a hiredis error
	 * message ever echoed it. */
	if (st->password != NULL)
		log_add_secret(st->password);
	st->prefix = xstrdup(prefix ? prefix : "");
	st->backoff_ms = LIMIT_REDIS_BACKOFF_MIN_MS;
	st->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)st;
	store_set_down(st, "not started");
	return st;
}

void
store_set_state_cb(struct store *st, store_state_cb *cb, void *priv)
{
	st->state_cb = cb;
	st->state_priv = priv;
}

static void
store_maybe_done(struct store *st)
{
	if (!st->finishing || st->open_handles > 0 || st->done_called)
		return;
	st->done_called = 1;
	if (st->done != NULL)
		st->done(st->done_priv);
}

static void
store_handle_closed(uv_handle_t *h)
{
	struct store *st = h->data;

	st->open_handles--;
	store_maybe_done(st);
}

static void
store_poll_closed(void *arg)
{
	struct store *st = arg;

	st->open_handles--;
	store_maybe_done(st);
}

static void
store_init_handles(struct store *st)
{
	uv_timer_t *t[] = {&st->retry_timer, &st->connect_timer, &st->cmd_timer,
	    &st->stop_timer};
	size_t i;

	if (st->handles_ready)
		return;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* uv_timer_init cannot fail on a valid loop. */
		uv_timer_init(st->loop, t[i]);
		t[i]->data = st;
		st->open_handles++;
	}
	st->handles_ready = 1;
}

/* Everything is over: close our timers; done runs when the last handle,
 * possibly a poll hiredis released a moment ago, has closed. */
static void
store_finish(struct store *st)
{
	uv_timer_t *t[] = {&st->retry_timer, &st->connect_timer, &st->cmd_timer,
	    &st->stop_timer};
	size_t i;

	if (st->finishing)
		return;
	st->finishing = 1;
	snprintf(st->status, sizeof(st->status), "stopped");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uv_timer_stop(t[i]);
		uv_close((uv_handle_t *)t[i], store_handle_closed);
	}
}

static unsigned
store_next_delay(struct store *st)
{
	unsigned base = st->backoff_ms, jitter;

	/* xorshift64: jitter only needs to keep replicas apart. */
	st->rng ^= st->rng << 13;
	st->rng ^= st->rng >> 7;
	st->rng ^= st->rng << 17;
	jitter = (unsigned)(st->rng % (base / 4 + 1));
	st->backoff_ms = base * 2 > LIMIT_REDIS_BACKOFF_MAX_MS
			     ? LIMIT_REDIS_BACKOFF_MAX_MS
			     : base * 2;
	base += jitter;
	return base > LIMIT_REDIS_BACKOFF_MAX_MS ? LIMIT_REDIS_BACKOFF_MAX_MS
						 : base;
}

static void
store_retry_cb(uv_timer_t *t)
{
	struct store *st = t->data;

	if (!st->stopping && st->ac == NULL)
		store_connect(st);
}

/*
 * The context is gone or going (hiredis frees it after this returns, or
 * we already did).  Everything that hiredis held has been answered.
 */
static void
store_conn_gone(struct store *st, const char *why)
{
	int was_up = st->up;
	unsigned delay;

	uv_timer_stop(&st->connect_timer);
	st->up = 0;
	st->dying = 0;
	if (st->stopping) {
		log_info("store: disconnected from %s", st->shown);
		store_finish(st);
		return;
	}
	if (was_up)
		log_warn("store: lost connection to %s: %s", st->shown, why);
	else if (!store_down_because(st, why))
		log_warn("store: cannot connect to %s: %s", st->shown, why);
	else
		log_debug(
		    "store: still cannot connect to %s: %s", st->shown, why);
	store_set_down(st, why);
	delay = store_next_delay(st);
	log_debug("store: reconnecting in %u ms", delay);
	uv_timer_start(&st->retry_timer, store_retry_cb, delay, 0);
	if (was_up && st->state_cb != NULL)
		st->state_cb(st, 0, st->state_priv);
}

/* Frees st->ac from a plain loop callback (never from a hiredis one). */
static void
store_drop(struct store *st, const char *why)
{
	redisAsyncContext *ac = st->ac;

	if (ac == NULL)
		return;
	snprintf(st->drop_reason, sizeof(st->drop_reason), "%s", why);
	st->ac = NULL;
	/* Runs the queued callbacks with NULL, closes the poll, and calls
	 * onDisconnect, which ignores a context that is not st->ac. */
	redisAsyncFree(ac);
	store_conn_gone(st, why);
}

static void
store_on_connect(const redisAsyncContext *ac, int status)
{
	struct store *st = ac->data;
	char why[128];

	if (st->ac != ac || status == REDIS_OK)
		return;
	/* hiredis frees ac when we return; no free or disconnect here. */
	snprintf(why, sizeof(why), "%s", ac->errstr);
	st->ac = NULL;
	store_conn_gone(st, why);
}

static void
store_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct store *st = ac->data;
	char why[128];

	if (st->ac != ac)
		return;
	if (status != REDIS_OK && ac->errstr[0] != '\0')
		snprintf(why, sizeof(why), "%s", ac->errstr);
	else if (st->drop_reason[0] != '\0')
		snprintf(why, sizeof(why), "%s", st->drop_reason);
	else
		snprintf(why, sizeof(why), "connection closed");
	st->ac = NULL;
	store_conn_gone(st, why);
}

static void
store_handshake(struct store *st, redisAsyncContext *ac, redisReply *reply,
    const char *what)
{
	if (ac != st->ac || reply == NULL || st->handshake_failed)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		st->handshake_failed = 1;
		snprintf(st->drop_reason, sizeof(st->drop_reason), "%s failed",
		    what);
		/* Said once per outage, not once per retry. */
		log_msg(store_down_because(st, st->drop_reason) ? LOG_DEBUG
								: LOG_ERROR,
		    "store: %s refused by %s: %s", what, st->shown, reply->str);
		/* From a reply callback hiredis defers this until the
		 * callbacks are done; onDisconnect then retries. */
		redisAsyncDisconnect(ac);
		return;
	}
	if (--st->handshake_left > 0)
		return;
	uv_timer_stop(&st->connect_timer);
	st->up = 1;
	st->backoff_ms = LIMIT_REDIS_BACKOFF_MIN_MS;
	snprintf(st->status, sizeof(st->status), "up");
	log_info("store: connected to %s", st->shown);
	if (st->state_cb != NULL)
		st->state_cb(st, 1, st->state_priv);
}

static void
store_auth_done(redisAsyncContext *ac, void *r, void *priv)
{
	store_handshake(priv, ac, r, "AUTH");
}

static void
store_select_done(redisAsyncContext *ac, void *r, void *priv)
{
	store_handshake(priv, ac, r, "SELECT");
}

static void
store_ping_done(redisAsyncContext *ac, void *r, void *priv)
{
	store_handshake(priv, ac, r, "PING");
}

static void
store_connect_timeout(uv_timer_t *t)
{
	struct store *st = t->data;
	char why[64];

	snprintf(
	    why, sizeof(why), "no answer within %d ms", LIMIT_REDIS_CONNECT_MS);
	store_drop(st, why);
}

/*
 * One connection attempt.  AUTH and SELECT are queued before the socket
 * is even connected so that they are the first bytes Redis sees; the
 * store counts as up only once they have been answered.
 */
static void store_connect_to(struct store *st, const char *ip);

static void
store_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct store *st = req->data;
	struct addrinfo *ai;
	char ip[INET6_ADDRSTRLEN], why[160];
	int rc = -1;

	st->resolving = 0;
	st->open_handles--;
	/* IPv4 first when the name has both, as Redis is most often bound
	 * to an IPv4 address only ("localhost" may list ::1 first). */
	for (ai = res; status == 0 && ai != NULL && rc != 0; ai = ai->ai_next)
		if (ai->ai_family == AF_INET)
			rc = uv_ip4_name(
			    (struct sockaddr_in *)ai->ai_addr, ip, sizeof(ip));
	for (ai = res; status == 0 && ai != NULL && rc != 0; ai = ai->ai_next)
		if (ai->ai_family == AF_INET6)
			rc = uv_ip6_name(
			    (struct sockaddr_in6 *)ai->ai_addr, ip, sizeof(ip));
	uv_freeaddrinfo(res);
	if (st->stopping) {
		store_maybe_done(st);
		return;
	}
	if (rc != 0) {
		snprintf(why, sizeof(why), "cannot resolve %s: %s", st->host,
		    status ? uv_strerror(status) : "no address");
		store_conn_gone(st, why);
		return;
	}
	store_connect_to(st, ip);
}

/* A host name is looked up again before every connect, on libuv's
 * thread pool (hiredis would block the loop in getaddrinfo), so a
 * Redis that moves to a new address is found on the next reconnect. */
static void
store_connect(struct store *st)
{
	struct addrinfo hints;
	char port[16];
	int rc;

	if (st->path != NULL || !st->host_is_name) {
		store_connect_to(st, st->host);
		return;
	}
	if (st->resolving)
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", st->port);
	st->gai.data = st;
	rc = uv_getaddrinfo(
	    st->loop, &st->gai, store_resolved, st->host, port, &hints);
	if (rc != 0) {
		char why[160];

		snprintf(why, sizeof(why), "cannot resolve %s: %s", st->host,
		    uv_strerror(rc));
		store_conn_gone(st, why);
		return;
	}
	st->resolving = 1;
	st->open_handles++;
}

static void
store_connect_to(struct store *st, const char *ip)
{
	redisAsyncContext *ac;
	int rc = 0;

	if (st->path != NULL)
		ac = redisAsyncConnectUnix(st->path);
	else
		ac = redisAsyncConnect(ip, st->port);
	if (ac == NULL)
		fatal("store: out of memory creating a redis context");
	if (ac->err) {
		char why[128];

		snprintf(why, sizeof(why), "%s", ac->errstr);
		redisAsyncFree(ac);
		store_conn_gone(st, why);
		return;
	}
	if (redis_uv_attach(ac, st->loop, store_poll_closed, st) != 0) {
		redisAsyncFree(ac);
		store_conn_gone(st, "cannot watch the socket");
		return;
	}
	st->open_handles++;
	ac->data = st;
	/* In 0.14 setting the connect callback arms the write watcher,
	 * so it must come after the attach. */
	redisAsyncSetConnectCallback(ac, store_on_connect);
	redisAsyncSetDisconnectCallback(ac, store_on_disconnect);
	st->ac = ac;
	st->dying = 0;
	st->handshake_failed = 0;
	st->handshake_left = 0;
	st->drop_reason[0] = '\0';
	if (st->password != NULL && st->user != NULL)
		rc |= redisAsyncCommand(ac, store_auth_done, st, "AUTH %s %s",
		    st->user, st->password);
	else if (st->password != NULL)
		rc |= redisAsyncCommand(
		    ac, store_auth_done, st, "AUTH %s", st->password);
	st->handshake_left += st->password != NULL;
	if (st->db != 0) {
		rc |= redisAsyncCommand(
		    ac, store_select_done, st, "SELECT %d", st->db);
		st->handshake_left++;
	}
	if (st->handshake_left == 0) {
		rc |= redisAsyncCommand(ac, store_ping_done, st, "PING");
		st->handshake_left++;
	}
	if (rc != REDIS_OK)
		log_error("store: cannot queue the connection handshake");
	uv_update_time(st->loop);
	uv_timer_start(&st->connect_timer, store_connect_timeout,
	    LIMIT_REDIS_CONNECT_MS, 0);
}

void
store_start(struct store *st)
{
	if (st->started || st->stopping)
		return;
	st->started = 1;
	store_init_handles(st);
	/* Startup may have been slow; timers armed now must count from
	 * now, not from the loop's stale clock (P8). */
	uv_update_time(st->loop);
	snprintf(st->status, sizeof(st->status), "connecting");
	store_connect(st);
}

static void
store_stop_timeout(uv_timer_t *t)
{
	struct store *st = t->data;

	if (st->ac == NULL || st->dying)
		return;
	log_warn("store: %s did not answer within %d ms of stopping; closing",
	    st->shown, LIMIT_REDIS_COMMAND_MS);
	store_drop(st, "store stopped");
}

void
store_stop(struct store *st, void (*done)(void *), void *priv)
{
	if (st->stopping)
		return;
	st->stopping = 1;
	st->done = done;
	st->done_priv = priv;
	store_init_handles(st);
	uv_timer_stop(&st->retry_timer);
	/* A lookup in flight ends in store_resolved, cancelled or not; the
	 * store is done only after it. */
	if (st->resolving)
		(void)uv_cancel((uv_req_t *)&st->gai);
	if (st->ac == NULL) {
		store_finish(st);
		return;
	}
	/* hiredis is already failing this context's callbacks and will
	 * call onDisconnect right after. */
	if (st->dying)
		return;
	if (st->ac->c.flags & REDIS_CONNECTED) {
		/* Armed first: the disconnect may complete at once. */
		uv_timer_start(&st->stop_timer, store_stop_timeout,
		    LIMIT_REDIS_COMMAND_MS, 0);
		snprintf(
		    st->drop_reason, sizeof(st->drop_reason), "store stopped");
		redisAsyncDisconnect(st->ac);
	} else
		store_drop(st, "store stopped");
}

void
store_free(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	if (st->handles_ready && !st->done_called) {
		/* Freeing now would leave live handles in the loop. */
		log_error(
		    "store: freed before store_stop finished; leaking it");
		return;
	}
	for (i = 0; i < st->nscripts; i++)
		free(st->scripts[i].lua);
	free(st->scripts);
	free(st->prefix);
	free(st->shown);
	free(st->host);
	free(st->path);
	free(st->user);
	free(st->password);
	free(st);
}

int
store_ready(const struct store *st)
{
	return st->up && !st->dying && !st->stopping && st->ac != NULL;
}

const char *
store_prefix(const struct store *st)
{
	return st->prefix;
}

const char *
store_status(const struct store *st)
{
	return st->status;
}

/* ---- commands ---- */

static void
store_arm_cmd_timer(struct store *st)
{
	uint64_t now;

	if (st->finishing)
		return;
	if (st->head == NULL) {
		uv_timer_stop(&st->cmd_timer);
		return;
	}
	now = uv_now(st->loop);
	uv_timer_start(&st->cmd_timer, store_cmd_timeout,
	    st->head->deadline > now ? st->head->deadline - now : 0, 0);
}

static void
store_pending_link(struct store *st, struct pending *p)
{
	int was_empty = st->head == NULL;

	p->deadline = uv_now(st->loop) + LIMIT_REDIS_COMMAND_MS;
	p->next = NULL;
	p->prev = st->tail;
	if (st->tail != NULL)
		st->tail->next = p;
	else
		st->head = p;
	st->tail = p;
	if (was_empty)
		store_arm_cmd_timer(st);
}

static void
store_pending_unlink(struct store *st, struct pending *p)
{
	int was_head = st->head == p;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		st->head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		st->tail = p->prev;
	p->prev = p->next = NULL;
	if (was_head)
		store_arm_cmd_timer(st);
}

static void
store_pending_free(struct pending *p)
{
	free(p->argv);
	free(p);
}

/*
 * Every command's deadline is its queueing time plus the same limit, so
 * the list is sorted by deadline and one timer for its head suffices.
 * The late reply, if it ever comes, finds timed_out set and is dropped.
 */
static void
store_cmd_timeout(uv_timer_t *t)
{
	struct store *st = t->data;
	struct pending *p;
	uint64_t now = uv_now(st->loop);

	while (st->head != NULL && st->head->deadline <= now) {
		p = st->head;
		p->timed_out = 1;
		store_pending_unlink(st, p);
		log_warn("store: no answer from %s within %d ms", st->shown,
		    LIMIT_REDIS_COMMAND_MS);
		if (p->cb != NULL)
			p->cb(st, NULL, "timed out", p->priv);
	}
}

static int
store_is_noscript(const redisReply *reply)
{
	return reply->type == REDIS_REPLY_ERROR && reply->str != NULL &&
	       strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

/*
 * Redis forgot the script (restart, SCRIPT FLUSH, failover): send it with
 * its body as EVAL, which also caches it again for later EVALSHAs.
 */
static int
store_eval_body(struct store *st, redisAsyncContext *ac, struct pending *p)
{
	const char *a0 = p->argv[0], *a1 = p->argv[1];
	size_t l0 = p->lens[0], l1 = p->lens[1];
	int rc;

	p->retried = 1;
	p->argv[0] = "EVAL";
	p->lens[0] = 4;
	p->argv[1] = st->scripts[p->script].lua;
	p->lens[1] = strlen(p->argv[1]);
	rc = redisAsyncCommandArgv(
	    ac, store_reply_done, p, p->argc, p->argv, p->lens);
	p->argv[0] = a0;
	p->argv[1] = a1;
	p->lens[0] = l0;
	p->lens[1] = l1;
	return rc == REDIS_OK ? 0 : -1;
}

/* hiredis's callback for every caller command: exactly one caller
 * callback per command, whatever happened to the connection. */
static void
store_reply_done(redisAsyncContext *ac, void *r, void *privdata)
{
	struct pending *p = privdata;
	struct store *st = p->st;
	redisReply *reply = r;
	const char *err;

	if (p->timed_out) {
		store_pending_free(p);
		return;
	}
	store_pending_unlink(st, p);
	if (reply == NULL) {
		/* hiredis is failing every queued command of this context;
		 * refuse new ones until it is gone. */
		if (ac == st->ac)
			st->dying = 1;
		if (ac->err && ac->errstr[0] != '\0')
			err = ac->errstr;
		else if (st->drop_reason[0] != '\0')
			err = st->drop_reason;
		else
			err = "connection lost";
		if (p->cb != NULL)
			p->cb(st, NULL, err, p->priv);
		store_pending_free(p);
		return;
	}
	if (p->script >= 0 && !p->retried && store_is_noscript(reply) &&
	    store_eval_body(st, ac, p) == 0) {
		log_debug(
		    "store: script %d was not loaded in %s; sent its body",
		    p->script, st->shown);
		store_pending_link(st, p);
		return;
	}
	if (p->cb != NULL)
		p->cb(st, reply, NULL, p->priv);
	else if (reply->type == REDIS_REPLY_ERROR)
		log_warn(
		    "store: a command nobody waits for failed: %s", reply->str);
	store_pending_free(p);
}

static struct pending *
store_pending_new(struct store *st, store_cb *cb, void *priv)
{
	struct pending *p = xcalloc(1, sizeof(*p));

	p->st = st;
	p->cb = cb;
	p->priv = priv;
	p->script = -1;
	return p;
}

int
store_cmd(struct store *st, store_cb *cb, void *priv, const char *fmt, ...)
{
	struct pending *p;
	va_list ap;
	int rc;

	if (!store_ready(st))
		return -1;
	p = store_pending_new(st, cb, priv);
	va_start(ap, fmt);
	rc = redisvAsyncCommand(st->ac, store_reply_done, p, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK) {
		log_error("store: cannot queue command \"%s\"", fmt);
		store_pending_free(p);
		return -1;
	}
	store_pending_link(st, p);
	return 0;
}

/* The script registered for this body (registering it the first time),
 * or -1. */
static int
store_script_for(struct store *st, const char *lua)
{
	int i, id;

	for (i = 0; i < st->nscripts; i++)
		if (st->scripts[i].origin == lua)
			return i;
	for (i = 0; i < st->nscripts; i++)
		if (strcmp(st->scripts[i].lua, lua) == 0)
			return i;
	id = store_script(st, lua);
	if (id >= 0)
		st->scripts[id].origin = lua;
	return id;
}

/*
 * Handlers may write "EVAL <body> <nkeys> ..." for readability; sending
 * the body with every command costs bandwidth and a parse in Redis each
 * time.  It goes out as EVALSHA instead, the body only when Redis has
 * forgotten the script (store_eval's NOSCRIPT path).
 */
static int
store_eval_body_as_sha(struct store *st, store_cb *cb, void *priv, int argc,
    const char **argv, const size_t *lens)
{
	char *end;
	long nkeys = strtol(argv[2], &end, 10);
	int id;

	if (*end != '\0' || nkeys < 0 || nkeys > argc - 3)
		return -1;
	id = store_script_for(st, argv[1]);
	if (id < 0)
		return -1;
	return store_eval(st, id, cb, priv, (int)nkeys, argc - 3, argv + 3,
	    lens ? lens + 3 : NULL);
}

int
store_cmdargv(struct store *st, store_cb *cb, void *priv, int argc,
    const char **argv, const size_t *lens)
{
	struct pending *p;

	if (!store_ready(st) || argc < 1)
		return -1;
	if (argc >= 3 && strcasecmp(argv[0], "EVAL") == 0 &&
	    (lens == NULL || lens[1] == strlen(argv[1])))
		return store_eval_body_as_sha(st, cb, priv, argc, argv, lens);
	p = store_pending_new(st, cb, priv);
	if (redisAsyncCommandArgv(
		st->ac, store_reply_done, p, argc, argv, lens) != REDIS_OK) {
		log_error("store: cannot queue command \"%.*s\"",
		    (int)(lens ? lens[0] : strlen(argv[0])), argv[0]);
		store_pending_free(p);
		return -1;
	}
	store_pending_link(st, p);
	return 0;
}

int
store_script(struct store *st, const char *lua)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct script *s;

	if (lua == NULL)
		return -1;
	if (EVP_Digest(lua, strlen(lua), md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != 20) {
		log_error("store: cannot compute a script's SHA1");
		return -1;
	}
	st->scripts = xrealloc(
	    st->scripts, (size_t)(st->nscripts + 1) * sizeof(*st->scripts));
	s = &st->scripts[st->nscripts];
	s->lua = xstrdup(lua);
	s->origin = NULL;
	for (i = 0; i < mdlen; i++)
		snprintf(s->sha + 2 * i, 3, "%02x", md[i]);
	return st->nscripts++;
}

/*
 * The arguments are copied (one block: pointers, lengths, bytes) because
 * the NOSCRIPT retry happens long after the caller's buffers are gone.
 */
static void
store_pending_args(struct pending *p, const struct script *s, int nkeys,
    int argc, const char **argv, const size_t *lens)
{
	size_t total = 0, n;
	char nk[16], *data;
	int i, all = argc + 3;

	snprintf(nk, sizeof(nk), "%d", nkeys);
	for (i = 0; i < argc; i++)
		total += (lens ? lens[i] : strlen(argv[i])) + 1;
	total += sizeof(s->sha) + sizeof(nk) + sizeof("EVALSHA");
	p->argv =
	    xmalloc((size_t)all * (sizeof(char *) + sizeof(size_t)) + total);
	p->lens = (size_t *)(p->argv + all);
	data = (char *)(p->lens + all);
	p->argc = all;
	p->argv[0] = "EVALSHA";
	p->lens[0] = 7;
	p->argv[1] = s->sha;
	p->lens[1] = 40;
	memcpy(data, nk, strlen(nk) + 1);
	p->argv[2] = data;
	p->lens[2] = strlen(nk);
	data += strlen(nk) + 1;
	for (i = 0; i < argc; i++) {
		n = lens ? lens[i] : strlen(argv[i]);
		memcpy(data, argv[i], n);
		data[n] = '\0';
		p->argv[i + 3] = data;
		p->lens[i + 3] = n;
		data += n + 1;
	}
}

int
store_eval(struct store *st, int script, store_cb *cb, void *priv, int nkeys,
    int argc, const char **argv, const size_t *lens)
{
	struct pending *p;

	if (script < 0 || script >= st->nscripts || nkeys < 0 || nkeys > argc ||
	    argc < 0) {
		log_error("store: bad script call (script %d, %d keys of %d)",
		    script, nkeys, argc);
		return -1;
	}
	if (!store_ready(st))
		return -1;
	p = store_pending_new(st, cb, priv);
	p->script = script;
	store_pending_args(p, &st->scripts[script], nkeys, argc, argv, lens);
	if (redisAsyncCommandArgv(st->ac, store_reply_done, p, p->argc, p->argv,
		p->lens) != REDIS_OK) {
		log_error("store: cannot queue script %d", script);
		store_pending_free(p);
		return -1;
	}
	store_pending_link(st, p);
	return 0;
}
