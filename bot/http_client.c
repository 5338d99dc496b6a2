/*
 * Outgoing HTTP on curl's multi-socket interface, driven by the bot's
 * libuv loop: curl says which sockets to watch (one uv_poll each, found
 * again through curl_multi_assign) and when to call it back (one
 * uv_timer).  curl's callbacks only record what to watch; the actual
 * curl_multi_socket_action always runs from a uv callback, never inside
 * a curl callback, which curl forbids.
 *
 * The client keeps its own list of requests.  Each is queued, running
 * (an easy handle in the multi), or waiting for a retry; one more uv_timer
 * wakes the earliest retry.  A request gets a fresh easy handle for each
 * attempt; the connection is reused from the multi's cache
 * (CURLMOPT_MAXCONNECTS set explicitly, eventloop.md P9).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "http_client.h"
#include "limits.h"
#include "log.h"

/* Connections curl keeps open for reuse (eventloop.md P9). */
#define MAX_CACHED_CONNECTIONS 16

enum req_state { R_QUEUED, R_RUNNING, R_WAITING };

struct hreq {
	struct http_client *hc;
	long id;
	enum req_state state;
	char *method, *url, *host, *body;
	size_t body_len;
	struct curl_slist *req_headers;
	long timeout_ms;
	int max_retries;
	int idempotent;
	http_done_cb *cb;
	void *priv;

	int attempts;
	uint64_t due_ms; /* R_WAITING: when to try again */
	CURL *easy;
	char errbuf[CURL_ERROR_SIZE];
	struct buf resp;
	int too_large;
	char **hdrs; /* "name: value", name lower-cased */
	size_t nhdrs, hdr_bytes;
	struct hreq *prev, *next;
};

struct csock {
	uv_poll_t poll;
	struct http_client *hc;
	curl_socket_t fd;
	struct csock *prev, *next;
};

struct http_client {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t curl_timer;
	uv_timer_t retry_timer;
	struct hreq *reqs; /* every request, in arrival order */
	struct csock *socks;
	long next_id;
	size_t npending;
	uint64_t rng;
	int stopping;
	int dispatching;
	int cleaned;
	int open_handles;
	int free_when_closed;
	void (*done)(void *);
	void *done_priv;
};

static void process_done(struct http_client *hc);
static void start_queued(struct http_client *hc);
static void finish_stop(struct http_client *hc);

/* xorshift64: jitter only needs to spread retries, not be secret. */
static uint64_t
next_random(struct http_client *hc)
{
	uint64_t x = hc->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	hc->rng = x;
	return x;
}

static void
on_handle_closed(uv_handle_t *h)
{
	struct http_client *hc = h->data;

	if (h->type == UV_POLL)
		free(h); /* the csock: poll is its first member */
	hc->open_handles--;
	if (hc->open_handles == 0 && hc->stopping) {
		void (*done)(void *) = hc->done;
		void *priv = hc->done_priv;

		hc->done = NULL;
		if (hc->free_when_closed)
			free(hc);
		if (done != NULL)
			done(priv);
	}
}

static void
csock_close(struct http_client *hc, struct csock *cs)
{
	if (cs->prev != NULL)
		cs->prev->next = cs->next;
	else
		hc->socks = cs->next;
	if (cs->next != NULL)
		cs->next->prev = cs->prev;
	uv_poll_stop(&cs->poll);
	uv_close((uv_handle_t *)&cs->poll, on_handle_closed);
}

static void
socket_action(struct http_client *hc, curl_socket_t fd, int events)
{
	int running;
	CURLMcode mc;

	if (hc->cleaned)
		return;
	mc = curl_multi_socket_action(hc->multi, fd, events, &running);
	if (mc != CURLM_OK)
		log_warn("http: curl_multi_socket_action: %s",
		    curl_multi_strerror(mc));
	process_done(hc);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct csock *cs = (struct csock *)p;
	int flags = 0;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	socket_action(cs->hc, cs->fd, flags);
}

static void
on_curl_timer(uv_timer_t *t)
{
	socket_action(t->data, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_SOCKETFUNCTION: only (un)watch the socket. */
static int
curl_sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct http_client *hc = userp;
	struct csock *cs = socketp;
	int events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (cs != NULL) {
			curl_multi_assign(hc->multi, fd, NULL);
			csock_close(hc, cs);
		}
		return 0;
	}
	if (cs == NULL) {
		cs = xcalloc(1, sizeof(*cs));
		cs->hc = hc;
		cs->fd = fd;
		if (uv_poll_init_socket(hc->loop, &cs->poll, fd) != 0) {
			log_warn("http: cannot watch socket %d", (int)fd);
			free(cs);
			return -1;
		}
		cs->poll.data = hc;
		hc->open_handles++;
		cs->next = hc->socks;
		if (hc->socks != NULL)
			hc->socks->prev = cs;
		hc->socks = cs;
		curl_multi_assign(hc->multi, fd, cs);
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= UV_WRITABLE;
	uv_poll_start(&cs->poll, events, on_poll);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: arm the uv timer; a 0 ms timeout still goes
 * through the loop rather than calling curl back from inside curl. */
static int
curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_client *hc = userp;

	if (timeout_ms < 0)
		uv_timer_stop(&hc->curl_timer);
	else
		uv_timer_start(
		    &hc->curl_timer, on_curl_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

struct http_client *
http_client_new(uv_loop_t *loop)
{
	struct http_client *hc = xcalloc(1, sizeof(*hc));

	hc->loop = loop;
	hc->multi = curl_multi_init();
	if (hc->multi == NULL)
		fatal("http: curl_multi_init failed");
	curl_multi_setopt(hc->multi, CURLMOPT_SOCKETFUNCTION, curl_sock_cb);
	curl_multi_setopt(hc->multi, CURLMOPT_SOCKETDATA, hc);
	curl_multi_setopt(hc->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(hc->multi, CURLMOPT_TIMERDATA, hc);
	curl_multi_setopt(
	    hc->multi, CURLMOPT_MAXCONNECTS, (long)MAX_CACHED_CONNECTIONS);
	curl_multi_setopt(hc->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)LIMIT_HTTP_PER_HOST);
	uv_timer_init(loop, &hc->curl_timer);
	uv_timer_init(loop, &hc->retry_timer);
	hc->curl_timer.data = hc;
	hc->retry_timer.data = hc;
	hc->open_handles = 2;
	hc->next_id = 1;
	hc->rng = uv_hrtime() | 1;
	return hc;
}

static void
req_unlink(struct hreq *r)
{
	struct http_client *hc = r->hc;

	if (r->prev != NULL)
		r->prev->next = r->next;
	else if (hc->reqs == r)
		hc->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	hc->npending--;
}

static void
reset_answer(struct hreq *r)
{
	size_t i;

	for (i = 0; i < r->nhdrs; i++)
		free(r->hdrs[i]);
	free(r->hdrs);
	r->hdrs = NULL;
	r->nhdrs = 0;
	r->hdr_bytes = 0;
	buf_free(&r->resp);
	buf_init(&r->resp, LIMIT_HTTP_RESPONSE);
	r->too_large = 0;
	r->errbuf[0] = '\0';
}

static void
drop_easy(struct hreq *r)
{
	if (r->easy == NULL)
		return;
	if (!r->hc->cleaned)
		curl_multi_remove_handle(r->hc->multi, r->easy);
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
}

static void
req_free(struct hreq *r)
{
	drop_easy(r);
	reset_answer(r);
	buf_free(&r->resp);
	curl_slist_free_all(r->req_headers);
	free(r->method);
	free(r->url);
	free(r->host);
	free(r->body);
	free(r);
}

static size_t
on_body(char *data, size_t size, size_t n, void *userp)
{
	struct hreq *r = userp;

	if (buf_append(&r->resp, data, size * n) < 0) {
		r->too_large = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	return size * n;
}

static size_t
on_header(char *data, size_t size, size_t n, void *userp)
{
	struct hreq *r = userp;
	size_t len = size * n, i;
	char *line;

	/* A new status line starts a new header block (100 Continue, or a
	 * redirect): keep only the last one. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		for (i = 0; i < r->nhdrs; i++)
			free(r->hdrs[i]);
		r->nhdrs = 0;
		r->hdr_bytes = 0;
		return len;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == 0 || memchr(data, ':', len) == NULL)
		return size * n;
	r->hdr_bytes += len;
	if (r->hdr_bytes > LIMIT_HTTP_RESPONSE) {
		r->too_large = 1;
		return 0;
	}
	line = xstrndup(data, len);
	for (i = 0; line[i] != ':'; i++)
		line[i] = (char)tolower((unsigned char)line[i]);
	r->hdrs = xrealloc(r->hdrs, (r->nhdrs + 1) * sizeof(*r->hdrs));
	r->hdrs[r->nhdrs++] = line;
	return size * n;
}

static const char *
find_header(char *const *hdrs, size_t n, const char *name)
{
	size_t i, nl = strlen(name);
	const char *v;

	for (i = 0; i < n; i++) {
		if (strncmp(hdrs[i], name, nl) != 0 || hdrs[i][nl] != ':')
			continue;
		v = hdrs[i] + nl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		return v;
	}
	return NULL;
}

const char *
http_response_header(const struct http_response *res, const char *name)
{
	if (res == NULL || name == NULL)
		return NULL;
	return find_header((char *const *)res->headers, res->nheaders, name);
}

/* Parses a non-negative number of seconds; -1 when s is not one. */
static long
parse_seconds(const char *s)
{
	long v = 0;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > 100000000L)
			return -1;
		v = v * 10 + (*s - '0');
	}
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0' ? v : -1;
}

/* The wait the server asked for, in ms, or -1.  Retry-After is seconds
 * or an HTTP date; X-Ratelimit-Reset (Mattermost) is seconds, and a
 * value that looks like a Unix time is taken as one. */
static long
server_delay_ms(struct hreq *r)
{
	const char *v;
	long s;
	time_t t, now = time(NULL);

	v = find_header(r->hdrs, r->nhdrs, "retry-after");
	if (v != NULL) {
		s = parse_seconds(v);
		if (s >= 0)
			return s * 1000;
		t = curl_getdate(v, NULL);
		if (t != -1)
			return t > now ? (long)(t - now) * 1000 : 0;
	}
	v = find_header(r->hdrs, r->nhdrs, "x-ratelimit-reset");
	if (v != NULL) {
		s = parse_seconds(v);
		if (s > 1000000000L)
			return s > now ? (long)(s - now) * 1000 : 0;
		if (s >= 0)
			return s * 1000;
	}
	return -1;
}

static long
backoff_ms(struct http_client *hc, int attempt)
{
	long d = LIMIT_HTTP_BACKOFF_MIN_MS;
	int i;

	for (i = 1; i < attempt && d < LIMIT_HTTP_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > LIMIT_HTTP_BACKOFF_MAX_MS)
		d = LIMIT_HTTP_BACKOFF_MAX_MS;
	/* Half fixed, half random: spread but never near zero. */
	return d / 2 + (long)(next_random(hc) % (uint64_t)(d / 2 + 1));
}

static size_t
host_running(struct http_client *hc, const char *host)
{
	struct hreq *r;
	size_t n = 0;

	for (r = hc->reqs; r != NULL; r = r->next)
		if (r->state == R_RUNNING && strcmp(r->host, host) == 0)
			n++;
	return n;
}

static int
start_attempt(struct hreq *r)
{
	struct http_client *hc = r->hc;
	long connect_ms = LIMIT_HTTP_CONNECT_MS;
	CURL *e;
	CURLMcode mc;

	reset_answer(r);
	e = curl_easy_init();
	if (e == NULL)
		return -1;
	r->easy = e;
	r->attempts++;
	if (connect_ms > r->timeout_ms)
		connect_ms = r->timeout_ms;
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* libcurl silently sends a request again when a reused connection
	 * turns out dead before any answer, POST included.  A request that
	 * is not safe to repeat takes a fresh connection, so such a loss is
	 * reported to its caller instead of done twice. */
	if (!r->idempotent)
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->req_headers);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "pmbot/" PMBOT_VERSION);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (strcmp(r->method, "GET") == 0 && r->body == NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(r->method, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
		if (r->body != NULL || strcmp(r->method, "GET") != 0) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)r->body_len);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS,
			    r->body != NULL ? r->body : "");
		}
	}
	mc = curl_multi_add_handle(hc->multi, e);
	if (mc != CURLM_OK) {
		snprintf(r->errbuf, sizeof(r->errbuf), "%s",
		    curl_multi_strerror(mc));
		curl_easy_cleanup(e);
		r->easy = NULL;
		return -1;
	}
	r->state = R_RUNNING;
	return 0;
}

/* Runs the callback once and frees the request. */
static void
complete(struct hreq *r, long status, const char *error)
{
	struct http_response res;

	req_unlink(r);
	drop_easy(r);
	memset(&res, 0, sizeof(res));
	res.status = status;
	res.body = buf_str(&r->resp);
	res.len = r->resp.len;
	res.error = error;
	res.retry_after_ms = server_delay_ms(r);
	res.attempts = r->attempts;
	res.headers = (const char *const *)r->hdrs;
	res.nheaders = r->nhdrs;
	if (r->cb != NULL)
		r->cb(&res, r->priv);
	req_free(r);
}

static void on_retry_timer(uv_timer_t *t);

/* Arms the retry timer for the earliest waiting request, if any. */
static void
rearm_retry(struct http_client *hc)
{
	struct hreq *r;
	uint64_t first = 0, now = uv_now(hc->loop);
	int any = 0;

	for (r = hc->reqs; r != NULL; r = r->next)
		if (r->state == R_WAITING && (!any || r->due_ms < first)) {
			first = r->due_ms;
			any = 1;
		}
	if (!any) {
		uv_timer_stop(&hc->retry_timer);
		return;
	}
	uv_timer_start(
	    &hc->retry_timer, on_retry_timer, first > now ? first - now : 0, 0);
}

static void
on_retry_timer(uv_timer_t *t)
{
	struct http_client *hc = t->data;
	uint64_t now = uv_now(hc->loop);
	struct hreq *r;

	for (r = hc->reqs; r != NULL; r = r->next)
		if (r->state == R_WAITING && r->due_ms <= now)
			r->state = R_QUEUED;
	start_queued(hc);
	if (!hc->stopping)
		rearm_retry(hc);
}

static void
schedule_retry(struct hreq *r, long delay_ms)
{
	drop_easy(r);
	r->state = R_WAITING;
	r->due_ms = uv_now(r->hc->loop) + (uint64_t)delay_ms;
	rearm_retry(r->hc);
}

/* Decides what an attempt's outcome means: done, or try again later. */
static void
attempt_done(struct hreq *r, CURLcode rc)
{
	long status = 0, delay;
	int retry = 0, forced = 0;
	const char *error = NULL;

	if (rc == CURLE_OK)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (r->too_large) {
		complete(r, 0, "response too large");
		return;
	}
	if (rc != CURLE_OK) {
		error =
		    r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(rc);
		retry = r->idempotent;
	} else if (status == 429 || status == 503) {
		retry = forced = 1;
	} else if (status >= 500) {
		retry = r->idempotent;
	}
	if (!retry || r->attempts > r->max_retries) {
		if (error != NULL)
			log_info("http: %s %s failed after %d attempt(s): %s",
			    r->method, r->host, r->attempts, error);
		complete(r, error != NULL ? 0 : status, error);
		return;
	}
	delay = forced ? server_delay_ms(r) : -1;
	if (delay < 0)
		delay = backoff_ms(r->hc, r->attempts);
	if (delay > LIMIT_HTTP_BACKOFF_MAX_MS)
		delay = LIMIT_HTTP_BACKOFF_MAX_MS;
	log_debug("http: %s %s: %s, retrying in %ld ms", r->method, r->host,
	    error != NULL ? error : "server busy", delay);
	schedule_retry(r, delay);
}

static void
process_done(struct http_client *hc)
{
	CURLMsg *msg;
	struct hreq *r;
	int left;

	hc->dispatching++;
	while (!hc->cleaned && !hc->stopping &&
	       (msg = curl_multi_info_read(hc->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		r = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &r);
		if (r == NULL)
			continue;
		attempt_done(r, msg->data.result);
	}
	hc->dispatching--;
	if (hc->stopping) {
		if (hc->dispatching == 0)
			finish_stop(hc);
		return;
	}
	start_queued(hc);
}

static void
start_queued(struct http_client *hc)
{
	struct hreq *r, *next;
	const char *full = NULL;

	/* Most queued requests wait for the one host already at its cap:
	 * remember it rather than count that host's requests again for
	 * each of them (with a hundred posts queued, counting was most of
	 * the cost of each post). */
	for (r = hc->reqs; r != NULL && !hc->stopping; r = next) {
		next = r->next;
		if (r->state != R_QUEUED)
			continue;
		if (full != NULL && strcmp(full, r->host) == 0)
			continue;
		if (host_running(hc, r->host) >= LIMIT_HTTP_PER_HOST) {
			full = r->host;
			continue;
		}
		if (start_attempt(r) < 0) {
			complete(r, 0,
			    r->errbuf[0] ? r->errbuf : "cannot start request");
			next = hc->reqs; /* the callback may have changed it */
			full = NULL;
		}
	}
}

/* "scheme://host:port" keys the per-host cap. */
static char *
host_key(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *key = NULL;
	struct buf b = BUF_INIT;

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
		CURLUE_OK) {
		buf_printf(&b, "%s://%s:%s", scheme, host, port);
		key = buf_detach(&b);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return key;
}

long
http_client_send(struct http_client *hc, const struct http_request *req,
    http_done_cb *cb, void *priv)
{
	struct hreq *r, *last;
	struct buf line = BUF_INIT;
	const char *ctype;
	size_t i;

	if (hc == NULL || hc->stopping || req == NULL || req->url == NULL)
		return -1;
	r = xcalloc(1, sizeof(*r));
	r->hc = hc;
	r->host = host_key(req->url);
	if (r->host == NULL) {
		log_warn("http: not a valid URL");
		free(r);
		return -1;
	}
	r->id = hc->next_id++;
	r->method = xstrdup(req->method != NULL ? req->method : "GET");
	r->url = xstrdup(req->url);
	if (req->body != NULL) {
		r->body = xstrndup(req->body, req->body_len);
		r->body_len = req->body_len;
		ctype = req->content_type != NULL ? req->content_type
						  : "application/json";
		buf_printf(&line, "Content-Type: %s", ctype);
		r->req_headers =
		    curl_slist_append(r->req_headers, buf_str(&line));
		buf_free(&line);
	}
	/* No "Expect: 100-continue" round trip before a body. */
	r->req_headers = curl_slist_append(r->req_headers, "Expect:");
	for (i = 0; i < req->nheaders; i++)
		r->req_headers =
		    curl_slist_append(r->req_headers, req->headers[i]);
	if (r->req_headers == NULL)
		fatal("http: out of memory building headers");
	r->timeout_ms =
	    req->timeout_ms > 0 ? req->timeout_ms : LIMIT_HTTP_TIMEOUT_MS;
	r->max_retries =
	    req->max_retries < 0 ? LIMIT_HTTP_RETRIES : req->max_retries;
	r->idempotent = req->idempotent || strcmp(r->method, "GET") == 0;
	r->cb = cb;
	r->priv = priv;
	r->state = R_QUEUED;
	buf_init(&r->resp, LIMIT_HTTP_RESPONSE);
	/* Append, keeping arrival order for the per-host queue. */
	for (last = hc->reqs; last != NULL && last->next != NULL;
	     last = last->next)
		;
	if (last == NULL)
		hc->reqs = r;
	else {
		last->next = r;
		r->prev = last;
	}
	hc->npending++;
	if (!hc->dispatching)
		start_queued(hc);
	return r->id;
}

void
http_client_cancel(struct http_client *hc, long id)
{
	struct hreq *r;

	if (hc == NULL)
		return;
	for (r = hc->reqs; r != NULL; r = r->next)
		if (r->id == id) {
			req_unlink(r);
			req_free(r);
			return;
		}
}

size_t
http_client_pending(const struct http_client *hc)
{
	return hc != NULL ? hc->npending : 0;
}

/* Frees curl and closes what is left once no curl call is on the stack. */
static void
finish_stop(struct http_client *hc)
{
	if (hc->cleaned)
		return;
	while (hc->reqs != NULL) {
		struct hreq *r = hc->reqs;

		req_unlink(r);
		req_free(r);
	}
	/* Cleanup may report sockets removed through curl_sock_cb. */
	curl_multi_cleanup(hc->multi);
	hc->multi = NULL;
	hc->cleaned = 1;
	while (hc->socks != NULL)
		csock_close(hc, hc->socks);
	uv_timer_stop(&hc->curl_timer);
	uv_timer_stop(&hc->retry_timer);
	uv_close((uv_handle_t *)&hc->curl_timer, on_handle_closed);
	uv_close((uv_handle_t *)&hc->retry_timer, on_handle_closed);
}

void
http_client_stop(struct http_client *hc, void (*done)(void *), void *priv)
{
	struct hreq *r;

	if (hc == NULL || hc->stopping)
		return;
	hc->stopping = 1;
	hc->done = done;
	hc->done_priv = priv;
	/* Each callback may send (refused now) or cancel others, so take
	 * the head afresh every time. */
	while ((r = hc->reqs) != NULL)
		complete(r, 0, "shutting down");
	if (hc->dispatching == 0)
		finish_stop(hc);
}

void
http_client_free(struct http_client *hc)
{
	if (hc == NULL)
		return;
	if (hc->stopping && hc->open_handles == 0) {
		free(hc);
		return;
	}
	/* Not stopped (or still closing): stop now and let the last
	 * handle's close callback free the memory. */
	hc->free_when_closed = 1;
	if (!hc->stopping)
		http_client_stop(hc, NULL, NULL);
}
