/*
 * The HTTP listener and the HTTP client against each other on one libuv
 * loop, the way the bot runs them: an lws context from lws_setup, a
 * server on 127.0.0.1 with a free port, and the curl client pointed at
 * it.  Each test sends requests and runs the loop until the callbacks
 * ran, under a watchdog; the last test tears everything down in the
 * eventloop.md §2.8 order and checks that the loop closes cleanly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libwebsockets.h>
#include <uv.h>

#include "buf.h"
#include "http_client.h"
#include "http_server.h"
#include "limits.h"
#include "lws_setup.h"

struct env {
	uv_loop_t loop;
	struct lws_context *ctx;
	struct http_server *srv;
	struct http_client *hc;
	char base[64];
	uv_timer_t watchdog;
	int timed_out;
	int busy_hits;
	int fail_hits;
	struct http_exchange *held; /* a route that does not answer */
	int held_seen;
	int flaky_hits;
	int torn_down;
};

static struct env E;

/* What a client callback saw. */
struct result {
	int done;
	long status;
	char *body;
	size_t len;
	char *error;
	char *ctype;
	char *hdr;
	int attempts;
};

static void
on_result(const struct http_response *res, void *priv)
{
	struct result *r = priv;
	const char *ct = http_response_header(res, "content-type");
	const char *h = http_response_header(res, "x-answer");

	r->done = 1;
	r->status = res->status;
	r->body = xstrndup(res->body, res->len);
	r->len = res->len;
	r->error = res->error ? xstrdup(res->error) : NULL;
	r->ctype = ct ? xstrdup(ct) : NULL;
	r->hdr = h ? xstrdup(h) : NULL;
	r->attempts = res->attempts;
}

static void
result_free(struct result *r)
{
	free(r->body);
	free(r->error);
	free(r->ctype);
	free(r->hdr);
	memset(r, 0, sizeof(*r));
}

static void
on_watchdog(uv_timer_t *t)
{
	E.timed_out = 1;
}

/* Runs the loop until *flag is set or ms pass. */
static void
run_until(int *flag, int ms)
{
	E.timed_out = 0;
	uv_update_time(&E.loop);
	uv_timer_start(&E.watchdog, on_watchdog, (uint64_t)ms, 0);
	while (!*flag && !E.timed_out)
		uv_run(&E.loop, UV_RUN_ONCE);
	uv_timer_stop(&E.watchdog);
	assert_true(*flag);
}

/* Runs the loop for ms, whatever happens. */
static void
run_for(int ms)
{
	int never = 0;

	E.timed_out = 0;
	uv_update_time(&E.loop);
	uv_timer_start(&E.watchdog, on_watchdog, (uint64_t)ms, 0);
	while (!never && !E.timed_out)
		uv_run(&E.loop, UV_RUN_ONCE);
}

static void
send_req(const char *method, const char *path, const char *body, size_t len,
    struct result *r, long timeout_ms, int retries, int idempotent)
{
	struct http_request req;
	struct buf url = BUF_INIT;
	static const char *const hdrs[] = {"X-Custom-Thing: blue"};

	buf_printf(&url, "%s%s", E.base, path);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = buf_str(&url);
	req.body = body;
	req.body_len = len;
	req.content_type = body ? "text/plain" : NULL;
	req.headers = hdrs;
	req.nheaders = 1;
	req.timeout_ms = timeout_ms;
	req.max_retries = retries;
	req.idempotent = idempotent;
	memset(r, 0, sizeof(*r));
	assert_true(http_client_send(E.hc, &req, on_result, r) > 0);
	buf_free(&url);
}

/* Routes. */

static void
route_hello(struct http_exchange *x, void *priv)
{
	http_exchange_add_header(x, "X-Answer", "42");
	http_respond(x, 200, "text/plain", "hello world", 11);
}

static void
route_echo(struct http_exchange *x, void *priv)
{
	http_respond(x, 200, http_exchange_header(x, "content-type"),
	    http_exchange_body(x), http_exchange_body_len(x));
}

static void
answer_later(uv_timer_t *t)
{
	http_respond(t->data, 200, NULL, "later", 5);
	uv_close((uv_handle_t *)t, (uv_close_cb)free);
}

static void
route_later(struct http_exchange *x, void *priv)
{
	uv_timer_t *t = xmalloc(sizeof(*t));

	uv_timer_init(&E.loop, t);
	t->data = x;
	uv_timer_start(t, answer_later, 50, 0);
}

static void
route_busy(struct http_exchange *x, void *priv)
{
	if (++E.busy_hits <= 2) {
		http_exchange_add_header(x, "Retry-After", "1");
		http_respond(x, 503, NULL, "busy", 4);
		return;
	}
	http_respond(x, 200, NULL, "ok", 2);
}

/* The first two hits are told to come back in 1 s and 2 s. */
static void
route_flaky(struct http_exchange *x, void *priv)
{
	int *hits = priv;

	if (++*hits <= 2) {
		http_exchange_add_header(
		    x, "Retry-After", *hits == 1 ? "1" : "2");
		http_respond(x, 429, NULL, "slow down", 9);
		return;
	}
	http_respond(x, 200, NULL, "ok", 2);
}

/* One byte more than the client accepts, or exactly its limit. */
static void
route_huge(struct http_exchange *x, void *priv)
{
	size_t n = LIMIT_HTTP_RESPONSE + (priv != NULL ? 1 : 0);
	char *big = xmalloc(n);

	memset(big, 'h', n);
	http_respond(x, 200, NULL, big, n);
	free(big);
}

static void
route_fail(struct http_exchange *x, void *priv)
{
	E.fail_hits++;
	http_respond(x, 500, NULL, "boom", 4);
}

static void
route_hold(struct http_exchange *x, void *priv)
{
	E.held = x;
	E.held_seen = 1;
}

static void
route_inspect(struct http_exchange *x, void *priv)
{
	struct buf b = BUF_INIT;
	const char *h = http_exchange_header(x, "x-custom-thing");

	buf_printf(&b, "%s %s q=%s h=%s", http_exchange_method(x),
	    http_exchange_path(x), http_exchange_query(x), h ? h : "(none)");
	http_respond(x, 200, NULL, buf_str(&b), b.len);
	buf_free(&b);
}

static int gate_now, gate_max;

static void
gate_release(uv_timer_t *t)
{
	gate_now--;
	http_respond(t->data, 200, NULL, "ok", 2);
	uv_close((uv_handle_t *)t, (uv_close_cb)free);
}

/* Holds each request 100 ms and records how many overlapped. */
static void
route_gate(struct http_exchange *x, void *priv)
{
	uv_timer_t *t = xmalloc(sizeof(*t));

	if (++gate_now > gate_max)
		gate_max = gate_now;
	uv_timer_init(&E.loop, t);
	t->data = x;
	uv_timer_start(t, gate_release, 100, 0);
}

static int
setup(void **state)
{
	char err[128];

	curl_global_init(CURL_GLOBAL_DEFAULT);
	memset(&E, 0, sizeof(E));
	assert_int_equal(uv_loop_init(&E.loop), 0);
	uv_timer_init(&E.loop, &E.watchdog);
	E.ctx = lws_setup_context(&E.loop);
	assert_non_null(E.ctx);
	E.srv = http_server_new(E.ctx, "127.0.0.1:0", err, sizeof(err));
	assert_non_null(E.srv);
	assert_true(http_server_port(E.srv) > 0);
	http_server_route(E.srv, "GET", "/hello", route_hello, NULL);
	http_server_route(E.srv, "POST", "/echo", route_echo, NULL);
	http_server_route(E.srv, "GET", "/later", route_later, NULL);
	http_server_route(E.srv, "GET", "/busy", route_busy, NULL);
	http_server_route(E.srv, "POST", "/fail", route_fail, NULL);
	http_server_route(E.srv, "GET", "/hold", route_hold, NULL);
	http_server_route(E.srv, "GET", "/gate", route_gate, NULL);
	http_server_route(E.srv, "GET", "/huge", route_huge, &E);
	http_server_route(E.srv, "GET", "/limit", route_huge, NULL);
	http_server_route(E.srv, "GET", "/flaky", route_flaky, &E.flaky_hits);
	http_server_route(E.srv, "GET", "/inspect/", route_inspect, NULL);
	E.hc = http_client_new(&E.loop);
	snprintf(E.base, sizeof(E.base), "http://127.0.0.1:%d",
	    http_server_port(E.srv));
	uv_update_time(&E.loop);
	/* A hard stop in case the loop itself hangs. */
	alarm(50);
	return 0;
}

static void
teardown_all(void)
{
	if (E.torn_down)
		return;
	E.torn_down = 1;
	uv_close((uv_handle_t *)&E.watchdog, NULL);
}

static int
teardown(void **state)
{
	teardown_all();
	curl_global_cleanup();
	return 0;
}

static void
test_get_route(void **state)
{
	struct result r;

	send_req("GET", "/hello", NULL, 0, &r, 2000, 0, 1);
	run_until(&r.done, 3000);
	assert_null(r.error);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello world");
	assert_string_equal(r.ctype, "text/plain");
	assert_string_equal(r.hdr, "42");
	assert_int_equal(r.attempts, 1);
	result_free(&r);
	/* Same connection again (keep-alive): still answered. */
	send_req("GET", "/hello", NULL, 0, &r, 2000, 0, 1);
	run_until(&r.done, 3000);
	assert_int_equal(r.status, 200);
	result_free(&r);
}

static void
test_post_echo(void **state)
{
	struct result r;
	char *big = xmalloc(LIMIT_HTTP_BODY);

	send_req("POST", "/echo", "ping", 4, &r, 2000, 0, 0);
	run_until(&r.done, 3000);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ping");
	assert_string_equal(r.ctype, "text/plain");
	result_free(&r);

	/* Exactly the limit is accepted, whole. */
	memset(big, 'a', LIMIT_HTTP_BODY);
	big[LIMIT_HTTP_BODY - 1] = 'z';
	send_req("POST", "/echo", big, LIMIT_HTTP_BODY, &r, 5000, 0, 0);
	run_until(&r.done, 6000);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, LIMIT_HTTP_BODY);
	assert_int_equal(r.body[LIMIT_HTTP_BODY - 1], 'z');
	result_free(&r);
	free(big);
}

static void
test_body_too_large(void **state)
{
	struct result r;
	size_t n = LIMIT_HTTP_BODY + 1;
	char *big = xmalloc(n);

	memset(big, 'b', n);
	send_req("POST", "/echo", big, n, &r, 5000, 0, 0);
	run_until(&r.done, 6000);
	assert_null(r.error);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.body, "too large"));
	result_free(&r);
	free(big);
	/* The listener still answers afterwards. */
	send_req("GET", "/hello", NULL, 0, &r, 2000, 0, 1);
	run_until(&r.done, 3000);
	assert_int_equal(r.status, 200);
	result_free(&r);
}

static void
test_unknown_and_wrong_method(void **state)
{
	struct result r;

	send_req("GET", "/nope", NULL, 0, &r, 2000, 0, 1);
	run_until(&r.done, 3000);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body, "not found\n");
	result_free(&r);

	send_req("POST", "/hello", "x", 1, &r, 2000, 0, 0);
	run_until(&r.done, 3000);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.body, "method not allowed\n");
	result_free(&r);

	/* A prefix route does not match its bare name. */
	send_req("GET", "/inspect", NULL, 0, &r, 2000, 0, 1);
	run_until(&r.done, 3000);
	assert_int_equal(r.status, 404);
	result_free(&r);
}

static void
test_delayed_answer(void **state)
{
	struct result r;
	uint64_t t0 = uv_now(&E.loop);

	send_req("GET", "/later", NULL, 0, &r, 2000, 0, 1);
	run_until(&r.done, 3000);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "later");
	assert_true(uv_now(&E.loop) - t0 >= 45);
	result_free(&r);
}

static void
test_retry_after(void **state)
{
	struct result r;
	uint64_t t0;

	uv_update_time(&E.loop);
	t0 = uv_now(&E.loop);
	E.busy_hits = 0;
	/* Not idempotent: 503 is retried anyway, as the server asked. */
	send_req("GET", "/busy", NULL, 0, &r, 2000, 3, 0);
	run_until(&r.done, 8000);
	assert_null(r.error);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok");
	assert_int_equal(r.attempts, 3);
	assert_int_equal(E.busy_hits, 3);
	assert_true(uv_now(&E.loop) - t0 >= 1900);
	result_free(&r);
}

/* Two requests waiting for different retry times both come back. */
static void
test_two_waiting_retries(void **state)
{
	struct result a, b;

	E.flaky_hits = 0;
	send_req("GET", "/flaky", NULL, 0, &a, 2000, 2, 1);
	send_req("GET", "/flaky", NULL, 0, &b, 2000, 2, 1);
	run_until(&a.done, 6000);
	run_until(&b.done, 6000);
	assert_int_equal(a.status, 200);
	assert_int_equal(b.status, 200);
	assert_int_equal(a.attempts, 2);
	assert_int_equal(b.attempts, 2);
	assert_int_equal(E.flaky_hits, 4);
	result_free(&a);
	result_free(&b);
}

static void
test_response_too_large(void **state)
{
	struct result r;

	send_req("GET", "/limit", NULL, 0, &r, 10000, 0, 1);
	run_until(&r.done, 15000);
	assert_null(r.error);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, LIMIT_HTTP_RESPONSE);
	result_free(&r);

	send_req("GET", "/huge", NULL, 0, &r, 10000, 3, 1);
	run_until(&r.done, 15000);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.error, "response too large");
	assert_int_equal(r.attempts, 1); /* not worth repeating */
	result_free(&r);
}

static void
test_post_500_not_retried(void **state)
{
	struct result r;

	E.fail_hits = 0;
	send_req("POST", "/fail", "{}", 2, &r, 2000, 3, 0);
	run_until(&r.done, 3000);
	assert_null(r.error);
	assert_int_equal(r.status, 500);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(E.fail_hits, 1);
	result_free(&r);
}

static void
test_timeout(void **state)
{
	struct result r;

	E.held = NULL;
	send_req("GET", "/hold", NULL, 0, &r, 300, 0, 1);
	run_until(&r.done, 3000);
	assert_int_equal(r.status, 0);
	assert_non_null(r.error);
	assert_non_null(E.held);
	result_free(&r);
	/* The client is gone; answering the exchange now just frees it. */
	http_respond(E.held, 200, NULL, "too late", 8);
	E.held = NULL;
}

static void
test_connection_refused(void **state)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct http_request req;
	struct result r;
	char url[64];
	int fd;

	/* A port that was just free and is closed again. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", ntohs(sa.sin_port));
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.max_retries = 0;
	memset(&r, 0, sizeof(r));
	assert_true(http_client_send(E.hc, &req, on_result, &r) > 0);
	run_until(&r.done, 3000);
	assert_int_equal(r.status, 0);
	assert_non_null(r.error);
	assert_int_equal(r.attempts, 1);
	result_free(&r);
}

static void
test_query_and_header(void **state)
{
	struct result r;

	send_req("GET", "/inspect/a?x=1&y=two", NULL, 0, &r, 2000, 0, 1);
	run_until(&r.done, 3000);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "GET /inspect/a q=x=1&y=two h=blue");
	result_free(&r);
}

/* Sends raw bytes on a fresh connection, runs the loop a little, and
 * returns what came back (the caller frees it). */
static char *
raw_exchange(const char *req, size_t len)
{
	struct sockaddr_in sa;
	struct buf out = BUF_INIT;
	char tmp[4096];
	ssize_t n;
	int fd, i;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)http_server_port(E.srv));
	/* The kernel completes the handshake from the listen backlog. */
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	for (i = 0; i < 20; i++) {
		run_for(25);
		while ((n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT)) > 0)
			buf_append(&out, tmp, (size_t)n);
		if (n == 0 || strstr(buf_str(&out), "\r\n\r\n") != NULL)
			break;
	}
	close(fd);
	return buf_detach(&out);
}

static void
test_bad_input(void **state)
{
	static const char brew[] = "BREW /hello HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char badlen[] = "POST /echo HTTP/1.1\r\nHost: x\r\n"
				     "Content-Length: 12abc\r\n\r\n";
	static const char huge[] = "POST /echo HTTP/1.1\r\nHost: x\r\n"
				   "Content-Length: 99999999999\r\n\r\nxx";
	static const char junk[] = "\x01\x02\xff nonsense\r\n\r\n";
	static const char two[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
	struct result r;
	char *got;

	/* lws refuses methods it does not parse itself, with a 403. */
	got = raw_exchange(brew, sizeof(brew) - 1);
	assert_true(strncmp(got, "HTTP/1.0 403", 12) == 0);
	free(got);
	got = raw_exchange(badlen, sizeof(badlen) - 1);
	assert_true(strncmp(got, "HTTP/1.1 400", 12) == 0);
	free(got);
	got = raw_exchange(huge, sizeof(huge) - 1);
	assert_true(strncmp(got, "HTTP/1.1 413", 12) == 0);
	free(got);
	got = raw_exchange(junk, sizeof(junk) - 1);
	assert_true(got[0] == '\0' || strncmp(got, "HTTP/1.", 7) == 0);
	free(got);
	got = raw_exchange(two, sizeof(two) - 1);
	assert_true(strncmp(got, "HTTP/1.1 200", 12) == 0);
	assert_non_null(strstr(got, "hello world"));
	free(got);
	/* Still serving. */
	send_req("GET", "/hello", NULL, 0, &r, 2000, 0, 1);
	run_until(&r.done, 3000);
	assert_int_equal(r.status, 200);
	result_free(&r);
}

static void
test_per_host_cap(void **state)
{
	enum { N = LIMIT_HTTP_PER_HOST + 4 };
	struct result r[N];
	int i, all;

	gate_now = gate_max = 0;
	for (i = 0; i < N; i++)
		send_req("GET", "/gate", NULL, 0, &r[i], 3000, 0, 1);
	assert_int_equal(http_client_pending(E.hc), N);
	for (i = 0; i < N; i++)
		run_until(&r[i].done, 3000);
	all = 1;
	for (i = 0; i < N; i++) {
		all &= r[i].status == 200;
		result_free(&r[i]);
	}
	assert_true(all);
	assert_int_equal(gate_max, LIMIT_HTTP_PER_HOST);
	assert_int_equal(http_client_pending(E.hc), 0);
}

static void
test_chunked_body(void **state)
{
	static const char req[] = "POST /echo HTTP/1.1\r\nHost: x\r\n"
				  "Content-Type: text/plain\r\n"
				  "Transfer-Encoding: chunked\r\n\r\n"
				  "4\r\nping\r\n0\r\n\r\n";
	char *got = raw_exchange(req, sizeof(req) - 1);

	/* Refused plainly, not echoed empty. */
	assert_true(strncmp(got, "HTTP/1.1 400", 12) == 0);
	assert_non_null(strstr(got, "Content-Length"));
	free(got);
}

static void
stopped(void *priv)
{
	*(int *)priv = 1;
}

static void
destroy_lws(uv_timer_t *t)
{
	/* First of the two destroys, from inside the loop. */
	lws_context_destroy(E.ctx);
	uv_close((uv_handle_t *)t, NULL);
}

static void
test_stop_and_teardown(void **state)
{
	struct result r;
	uv_timer_t kick;
	int stop_done = 0;

	E.held = NULL;
	E.held_seen = 0;
	send_req("GET", "/hold", NULL, 0, &r, 5000, 0, 1);
	run_until(&E.held_seen, 3000);
	assert_false(r.done);
	assert_int_equal(http_client_pending(E.hc), 1);
	http_client_stop(E.hc, stopped, &stop_done);
	/* The callback ran at once, with the reason. */
	assert_true(r.done);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.error, "shutting down");
	assert_int_equal(http_client_pending(E.hc), 0);
	result_free(&r);
	assert_int_equal(
	    http_client_send(E.hc,
		&(struct http_request){.method = "GET", .url = E.base},
		on_result, &r),
	    -1);
	run_until(&stop_done, 3000);
	/* The server notices the client went away; the held exchange is
	 * dropped when answered. */
	run_for(100);
	http_respond(E.held, 200, NULL, "late", 4);

	/* eventloop.md §2.8: destroy in the loop, drain, destroy again. */
	teardown_all();
	uv_timer_init(&E.loop, &kick);
	uv_timer_start(&kick, destroy_lws, 0, 0);
	assert_int_equal(uv_run(&E.loop, UV_RUN_DEFAULT), 0);
	lws_context_destroy(E.ctx);
	http_server_free(E.srv);
	http_client_free(E.hc);
	assert_int_equal(uv_loop_close(&E.loop), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_route),
	    cmocka_unit_test(test_post_echo),
	    cmocka_unit_test(test_body_too_large),
	    cmocka_unit_test(test_unknown_and_wrong_method),
	    cmocka_unit_test(test_delayed_answer),
	    cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_two_waiting_retries),
	    cmocka_unit_test(test_post_500_not_retried),
	    cmocka_unit_test(test_response_too_large),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_connection_refused),
	    cmocka_unit_test(test_query_and_header),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_per_host_cap),
	    cmocka_unit_test(test_chunked_body),
	    cmocka_unit_test(test_stop_and_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
