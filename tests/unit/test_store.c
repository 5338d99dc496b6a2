/*
 * The store against a real redis-server (tests/unit/redis_fixture.h):
 * what callers see through connect, AUTH, SELECT, scripts, a crashed,
 * restarted and hung server, and shutdown.  Every test owns its loop and
 * its server, bounds every wait with a timer, and ends with the loop
 * closing cleanly.
 */
#include "redis_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <uv.h>

#include "limits.h"
#include "log.h"
#include "store.h"

#define PREFIX "pmtest:"

struct result {
	int calls;
	int null_reply;
	int type;
	long long integer;
	char str[512];
	char err[160];
};

struct t {
	uv_loop_t loop;
	struct redis_fixture rf;
	struct store *st;
	int ups, downs, stopped;
	FILE *logf;
	char *logbuf;
	size_t loglen;
};

static void
record_cb(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct result *res = priv;

	(void)st;
	res->calls++;
	if (r == NULL) {
		res->null_reply = 1;
		snprintf(res->err, sizeof(res->err), "%s", err ? err : "");
		return;
	}
	res->type = r->type;
	res->integer = r->integer;
	if (r->str != NULL)
		snprintf(res->str, sizeof(res->str), "%s", r->str);
}

static void
state_cb(struct store *st, int up, void *priv)
{
	struct t *t = priv;

	(void)st;
	if (up)
		t->ups++;
	else
		t->downs++;
}

static void
stopped_cb(void *priv)
{
	struct t *t = priv;

	t->stopped = 1;
}

static void
guard_cb(uv_timer_t *timer)
{
	*(int *)timer->data = 1;
}

/* Runs the loop until *v >= want or ms pass; returns *v >= want. */
static int
wait_for(struct t *t, const int *v, int want, unsigned ms)
{
	uv_timer_t guard;
	int expired = 0;

	uv_timer_init(&t->loop, &guard);
	guard.data = &expired;
	uv_update_time(&t->loop);
	uv_timer_start(&guard, guard_cb, ms, 0);
	while (*v < want && !expired)
		uv_run(&t->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(&t->loop, UV_RUN_NOWAIT);
	return *v >= want;
}

static void
run_for(struct t *t, unsigned ms)
{
	int never = 0;

	wait_for(t, &never, 1, ms);
}

static const char *
log_text(struct t *t)
{
	fflush(t->logf);
	return t->logbuf ? t->logbuf : "";
}

static void
t_begin(struct t *t)
{
	memset(t, 0, sizeof(*t));
	t->rf = (struct redis_fixture)REDIS_FIXTURE_INIT;
	assert_int_equal(uv_loop_init(&t->loop), 0);
	t->logf = open_memstream(&t->logbuf, &t->loglen);
	assert_non_null(t->logf);
	log_set_stream(t->logf);
	log_setup(LOG_DEBUG, LOG_TEXT);
}

/* A store on url, started, with the state callback counting. */
static void
t_store(struct t *t, const char *url, int start)
{
	char err[256] = "";

	t->st = store_new(&t->loop, url, PREFIX, err, sizeof(err));
	if (t->st == NULL)
		fail_msg("store_new(%s): %s", url, err);
	store_set_state_cb(t->st, state_cb, t);
	if (start)
		store_start(t->st);
}

static void
t_store_unix(struct t *t)
{
	char url[256];

	snprintf(url, sizeof(url), "unix://%s", t->rf.sock);
	t_store(t, url, 1);
	assert_true(wait_for(t, &t->ups, 1, 3000));
}

/* store_start after store_stop must not connect. */
static int
store_start_is_noop_after_stop(struct t *t)
{
	store_start(t->st);
	return strcmp(store_status(t->st), "connecting") != 0;
}

/* Stops the store; the loop must then run dry and close. */
static void
t_end(struct t *t)
{
	if (t->st != NULL) {
		store_stop(t->st, stopped_cb, t);
		assert_true(
		    wait_for(t, &t->stopped, 1, LIMIT_REDIS_COMMAND_MS + 2000));
		assert_string_equal(store_status(t->st), "stopped");
		store_free(t->st);
	}
	assert_int_equal(uv_run(&t->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	redis_fixture_cleanup(&t->rf);
	/* STORE_TEST_LOG=1 shows what the store logged, for debugging. */
	if (getenv("STORE_TEST_LOG") != NULL)
		fputs(log_text(t), stderr);
	log_set_stream(NULL);
	fclose(t->logf);
	free(t->logbuf);
	log_clear_secrets();
}

/* Queues a command and waits for its one callback. */
static void
t_cmd(struct t *t, struct result *res, const char *fmt, const char *a,
    const char *b)
{
	memset(res, 0, sizeof(*res));
	assert_int_equal(store_cmd(t->st, record_cb, res, fmt, a, b), 0);
	assert_true(wait_for(t, &res->calls, 1, 2000));
}

static void
t_set_get(struct t *t, const char *value)
{
	struct result res;

	t_cmd(t, &res, "SET " PREFIX "%s %s", "greeting", value);
	assert_int_equal(res.type, REDIS_REPLY_STATUS);
	assert_string_equal(res.str, "OK");
	t_cmd(t, &res, "GET " PREFIX "%s", "greeting", NULL);
	assert_int_equal(res.type, REDIS_REPLY_STRING);
	assert_string_equal(res.str, value);
}

static void
test_bad_urls(void **state)
{
	static const struct {
		const char *url, *says;
	} bad[] = {
	    {"", "empty"},
	    {"http://127.0.0.1:6379", "redis:// or unix://"},
	    {"rediss://127.0.0.1:6379", "TLS"},
	    {"redis://bad_host!:6379", "neither an IP address nor a host name"},
	    {"redis://-redis:6379", "neither an IP address nor a host name"},
	    {"redis://a..b:6379", "neither an IP address nor a host name"},
	    {"redis://127.0.0.1:99999", "port"},
	    {"redis://127.0.0.1:abc/0", "port"},
	    {"redis://127.0.0.1:6379/zero", "database"},
	    {"redis://hunter22@127.0.0.1:6379", "colon"},
	    {"redis://:@127.0.0.1:6379", "password is empty"},
	    {"redis://[::1:6379", "']'"},
	    {"redis://:6379", "no host"},
	    {"unix://relative.sock", "absolute path"},
	    {"unix:///tmp/r.sock?database=1", "db=N"},
	};
	static const char *good[] = {"redis://localhost:6380/2",
	    "redis://redis:6379/0", "redis://redis-0.redis.pmbot.svc:6379",
	    "redis://127.0.0.1", "redis://[::1]:6379/1",
	    "redis://:p%40ss@127.0.0.1:6379", "unix:///tmp/r.sock?db=3"};
	struct store *st;
	uv_loop_t loop;
	char err[256];
	size_t i;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		st = store_new(&loop, bad[i].url, PREFIX, err, sizeof(err));
		if (st != NULL)
			fail_msg("accepted bad URL \"%s\"", bad[i].url);
		if (strstr(err, bad[i].says) == NULL)
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"",
			    bad[i].url, err, bad[i].says);
		/* The password never appears in the message. */
		assert_null(strstr(err, "hunter22"));
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		st = store_new(&loop, good[i], PREFIX, err, sizeof(err));
		if (st == NULL)
			fail_msg("rejected \"%s\": %s", good[i], err);
		assert_string_equal(store_prefix(st), PREFIX);
		assert_false(store_ready(st));
		assert_int_equal(store_cmd(st, record_cb, NULL, "PING"), -1);
		store_free(st);
	}
	assert_int_equal(uv_loop_close(&loop), 0);
	log_clear_secrets();
}

static void
test_unix_roundtrip(void **state)
{
	struct t t;
	char want[256];
	redisReply *r;

	(void)state;
	t_begin(&t);
	assert_int_equal(redis_fixture_start(&t.rf), 0);
	t_store_unix(&t);
	assert_true(store_ready(t.st));
	assert_string_equal(store_status(t.st), "up");
	snprintf(want, sizeof(want), "store: connected to unix:%s", t.rf.sock);
	assert_non_null(strstr(log_text(&t), want));
	t_set_get(&t, "hello");
	/* The key landed under the prefix, seen from another client. */
	r = redis_fixture_command(&t.rf, "GET " PREFIX "greeting");
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_string_equal(r->str, "hello");
	freeReplyObject(r);
	t_end(&t);
	assert_int_equal(t.downs, 0);
}

static void
test_cmdargv_binary(void **state)
{
	static const char value[] = "a\0b\r\nc";
	const char *set[] = {"SET", PREFIX "bin", value};
	size_t setlen[] = {3, strlen(PREFIX "bin"), sizeof(value) - 1};
	const char *get[] = {"GET", PREFIX "bin"};
	struct result res = {0};
	redisReply *r;
	struct t t;

	(void)state;
	t_begin(&t);
	assert_int_equal(redis_fixture_start(&t.rf), 0);
	t_store_unix(&t);
	assert_int_equal(
	    store_cmdargv(t.st, record_cb, &res, 3, set, setlen), 0);
	assert_true(wait_for(&t, &res.calls, 1, 2000));
	assert_string_equal(res.str, "OK");
	memset(&res, 0, sizeof(res));
	/* NULL lengths: NUL-terminated arguments. */
	assert_int_equal(store_cmdargv(t.st, record_cb, &res, 2, get, NULL), 0);
	assert_true(wait_for(&t, &res.calls, 1, 2000));
	assert_int_equal(res.type, REDIS_REPLY_STRING);
	r = redis_fixture_command(&t.rf, "STRLEN " PREFIX "bin");
	assert_non_null(r);
	assert_int_equal(r->integer, sizeof(value) - 1);
	freeReplyObject(r);
	t_end(&t);
}

static void
test_connect_timeout(void **state)
{
	char url[256], want[64];
	struct t t;

	(void)state;
	t_begin(&t);
	assert_int_equal(redis_fixture_start(&t.rf), 0);
	/* The kernel still accepts the connection; nobody answers. */
	redis_fixture_signal(&t.rf, SIGSTOP);
	snprintf(url, sizeof(url), "unix://%s", t.rf.sock);
	t_store(&t, url, 1);
	run_for(&t, LIMIT_REDIS_CONNECT_MS + 300);
	snprintf(want, sizeof(want), "down: no answer within %d ms",
	    LIMIT_REDIS_CONNECT_MS);
	assert_string_equal(store_status(t.st), want);
	assert_int_equal(t.ups, 0);
	redis_fixture_signal(&t.rf, SIGCONT);
	assert_true(wait_for(&t, &t.ups, 1, 4000));
	t_set_get(&t, "woke up");
	t_end(&t);
}

static void
test_tcp_roundtrip(void **state)
{
	struct t t;
	struct result res;
	char url[128], laddr[64];

	(void)state;
	t_begin(&t);
	t.rf.port = redis_fixture_free_port();
	assert_true(t.rf.port > 0);
	assert_int_equal(redis_fixture_start(&t.rf), 0);
	snprintf(url, sizeof(url), "redis://localhost:%d", t.rf.port);
	t_store(&t, url, 1);
	assert_true(wait_for(&t, &t.ups, 1, 3000));
	t_set_get(&t, "over tcp");
	/* It really is the TCP listener we talk to. */
	t_cmd(&t, &res, "CLIENT INFO", NULL, NULL);
	snprintf(laddr, sizeof(laddr), "laddr=127.0.0.1:%d ", t.rf.port);
	assert_non_null(strstr(res.str, laddr));
	t_end(&t);
}

static void
test_auth_right_password(void **state)
{
	struct t t;
	char url[128];

	(void)state;
	t_begin(&t);
	t.rf.port = redis_fixture_free_port();
	t.rf.requirepass = "pm-s3cret-pw";
	assert_int_equal(redis_fixture_start(&t.rf), 0);
	snprintf(url, sizeof(url), "redis://:pm-s3cret-pw@127.0.0.1:%d/0",
	    t.rf.port);
	t_store(&t, url, 0);
	/* Test our own masking, not the log module's safety net. */
	log_clear_secrets();
	store_start(t.st);
	assert_true(wait_for(&t, &t.ups, 1, 3000));
	t_set_get(&t, "authenticated");
	assert_non_null(strstr(log_text(&t), "redis://:***@127.0.0.1:"));
	assert_null(strstr(log_text(&t), "pm-s3cret-pw"));
	t_end(&t);
}

static void
test_auth_wrong_password(void **state)
{
	struct t t;
	struct result res = {0};
	char url[128];

	(void)state;
	t_begin(&t);
	t.rf.port = redis_fixture_free_port();
	t.rf.requirepass = "pm-s3cret-pw";
	assert_int_equal(redis_fixture_start(&t.rf), 0);
	snprintf(
	    url, sizeof(url), "redis://:not-the-pw@127.0.0.1:%d", t.rf.port);
	t_store(&t, url, 0);
	log_clear_secrets();
	store_start(t.st);
	run_for(&t, 1000);
	assert_int_equal(t.ups, 0);
	assert_false(store_ready(t.st));
	assert_non_null(strstr(store_status(t.st), "down: AUTH failed"));
	assert_non_null(strstr(log_text(&t), "store: AUTH refused by"));
	assert_null(strstr(log_text(&t), "not-the-pw"));
	assert_int_equal(store_cmd(t.st, record_cb, &res, "PING"), -1);
	run_for(&t, 100);
	assert_int_equal(res.calls, 0);
	t_end(&t);
}

static void
test_select_db(void **state)
{
	struct t t;
	char url[256];
	redisReply *r;

	(void)state;
	t_begin(&t);
	t.rf.port = redis_fixture_free_port();
	assert_int_equal(redis_fixture_start(&t.rf), 0);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/3", t.rf.port);
	t_store(&t, url, 1);
	assert_true(wait_for(&t, &t.ups, 1, 3000));
	t_set_get(&t, "in db 3");
	store_stop(t.st, stopped_cb, &t);
	assert_true(wait_for(&t, &t.stopped, 1, 2000));
	store_free(t.st);

	/* The same over the unix socket with ?db=5. */
	snprintf(url, sizeof(url), "unix://%s?db=5", t.rf.sock);
	t.stopped = 0;
	t_store(&t, url, 1);
	assert_true(wait_for(&t, &t.ups, 2, 3000));
	t_set_get(&t, "in db 5");

	r = redis_fixture_command(&t.rf, "EXISTS " PREFIX "greeting");
	assert_non_null(r);
	assert_int_equal(r->integer, 0); /* not in db 0 */
	freeReplyObject(r);
	r = redis_fixture_command(&t.rf, "INFO keyspace");
	assert_non_null(r);
	assert_non_null(strstr(r->str, "db3:keys=1"));
	assert_non_null(strstr(r->str, "db5:keys=1"));
	assert_null(strstr(r->str, "db0:"));
	freeReplyObject(r);
	t_end(&t);
}

static void
test_script_reload(void **state)
{
	static const char lua[] =
	    "return redis.call('INCRBY', KEYS[1], ARGV[1])";
	const char *argv[] = {PREFIX "counter", "5"};
	struct result res = {0};
	char url[256];
	struct t t;
	int id;

	(void)state;
	t_begin(&t);
	assert_int_equal(redis_fixture_start(&t.rf), 0);
	snprintf(url, sizeof(url), "unix://%s", t.rf.sock);
	t_store(&t, url, 0);
	id = store_script(t.st, lua);
	assert_true(id >= 0);
	store_start(t.st);
	assert_true(wait_for(&t, &t.ups, 1, 3000));

	/* First call: Redis has never seen the script. */
	assert_int_equal(
	    store_eval(t.st, id, record_cb, &res, 1, 2, argv, NULL), 0);
	assert_true(wait_for(&t, &res.calls, 1, 2000));
	assert_false(res.null_reply);
	assert_int_equal(res.type, REDIS_REPLY_INTEGER);
	assert_int_equal(res.integer, 5);

	/* Cached now; then forgotten by SCRIPT FLUSH: still works. */
	memset(&res, 0, sizeof(res));
	assert_int_equal(
	    store_eval(t.st, id, record_cb, &res, 1, 2, argv, NULL), 0);
	assert_true(wait_for(&t, &res.calls, 1, 2000));
	assert_int_equal(res.integer, 10);
	t_cmd(&t, &res, "SCRIPT FLUSH", NULL, NULL);
	assert_string_equal(res.str, "OK");
	argv[1] = "2";
	memset(&res, 0, sizeof(res));
	assert_int_equal(
	    store_eval(t.st, id, record_cb, &res, 1, 2, argv, NULL), 0);
	assert_true(wait_for(&t, &res.calls, 1, 2000));
	run_for(&t, 50);
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.type, REDIS_REPLY_INTEGER);
	assert_int_equal(res.integer, 12);

	/* A script error is delivered as the error it is. */
	id = store_script(t.st, "return redis.call('NOSUCHCOMMAND')");
	memset(&res, 0, sizeof(res));
	assert_int_equal(
	    store_eval(t.st, id, record_cb, &res, 0, 0, NULL, NULL), 0);
	assert_true(wait_for(&t, &res.calls, 1, 2000));
	assert_int_equal(res.type, REDIS_REPLY_ERROR);
	/* Unknown script ids and bad key counts are refused. */
	assert_int_equal(
	    store_eval(t.st, 99, record_cb, &res, 0, 0, NULL, NULL), -1);
	assert_int_equal(
	    store_eval(t.st, 0, record_cb, &res, 3, 2, argv, NULL), -1);
	t_end(&t);
}

static void
test_kill_and_reconnect(void **state)
{
	struct result res = {0}, other = {0};
	struct t t;

	(void)state;
	t_begin(&t);
	assert_int_equal(redis_fixture_start(&t.rf), 0);
	t_store_unix(&t);
	/* A command that Redis holds without answering. */
	assert_int_equal(
	    store_cmd(t.st, record_cb, &res, "BLPOP " PREFIX "queue 0"), 0);
	run_for(&t, 100);
	assert_int_equal(res.calls, 0);

	redis_fixture_signal(&t.rf, SIGKILL);
	assert_true(wait_for(&t, &res.calls, 1, 2000));
	assert_true(res.null_reply);
	assert_true(res.err[0] != '\0');
	assert_true(wait_for(&t, &t.downs, 1, 2000));
	assert_false(store_ready(t.st));
	assert_int_equal(strncmp(store_status(t.st), "down: ", 6), 0);
	assert_int_equal(store_cmd(t.st, record_cb, &other, "PING"), -1);
	assert_non_null(strstr(log_text(&t), "store: lost connection to"));

	/* Down for a while (several retries), then back. */
	run_for(&t, 800);
	assert_int_equal(t.ups, 1);
	assert_int_equal(redis_fixture_restart(&t.rf), 0);
	assert_true(wait_for(&t, &t.ups, 2, 6000));
	assert_true(store_ready(t.st));
	t_set_get(&t, "after restart");
	run_for(&t, 50);
	assert_int_equal(res.calls, 1);
	assert_int_equal(other.calls, 0);
	t_end(&t);
}

static void
test_command_timeout(void **state)
{
	struct result res = {0}, ping = {0};
	uint64_t t0, elapsed;
	struct t t;

	(void)state;
	t_begin(&t);
	assert_int_equal(redis_fixture_start(&t.rf), 0);
	t_store_unix(&t);
	redis_fixture_signal(&t.rf, SIGSTOP);
	uv_update_time(&t.loop);
	t0 = uv_now(&t.loop);
	assert_int_equal(
	    store_cmd(t.st, record_cb, &res, "GET " PREFIX "greeting"), 0);
	assert_true(wait_for(&t, &res.calls, 1, LIMIT_REDIS_COMMAND_MS + 2000));
	elapsed = uv_now(&t.loop) - t0;
	assert_true(res.null_reply);
	assert_string_equal(res.err, "timed out");
	assert_true(elapsed >= LIMIT_REDIS_COMMAND_MS - 10);

	/* Redis wakes up: the late reply is dropped, the store works. */
	redis_fixture_signal(&t.rf, SIGCONT);
	assert_int_equal(store_cmd(t.st, record_cb, &ping, "PING"), 0);
	assert_true(wait_for(&t, &ping.calls, 1, 2000));
	assert_string_equal(ping.str, "PONG");
	assert_int_equal(res.calls, 1);
	assert_int_equal(t.downs, 0);
	t_end(&t);
}

static void
test_refused_reported_fast(void **state)
{
	struct result res = {0};
	char url[128];
	struct t t;
	int port;

	(void)state;
	t_begin(&t);
	port = redis_fixture_free_port();
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
	t_store(&t, url, 1);
	assert_int_equal(store_cmd(t.st, record_cb, &res, "PING"), -1);
	/* Well before the connect timeout would have said so. */
	run_for(&t, LIMIT_REDIS_CONNECT_MS / 2);
	assert_non_null(strstr(store_status(t.st), "refused"));
	assert_int_equal(t.ups, 0);
	assert_int_equal(res.calls, 0);
	t_end(&t);
}

static void
test_stop_before_start(void **state)
{
	struct t t;

	(void)state;
	t_begin(&t);
	t_store(&t, "unix:///nonexistent/redis.sock", 0);
	/* done still runs from the loop, and nothing is left behind. */
	store_stop(t.st, stopped_cb, &t);
	assert_int_equal(t.stopped, 0);
	assert_int_equal(store_start_is_noop_after_stop(&t), 1);
	t_end(&t);
	assert_int_equal(t.stopped, 1);
}

static void
test_stop_with_hung_redis(void **state)
{
	struct result res = {0};
	struct t t;

	(void)state;
	t_begin(&t);
	assert_int_equal(redis_fixture_start(&t.rf), 0);
	t_store_unix(&t);
	redis_fixture_signal(&t.rf, SIGSTOP);
	assert_int_equal(store_cmd(t.st, record_cb, &res, "PING"), 0);
	run_for(&t, 20);
	/* Stopping still finishes, and the command is answered once. */
	t_end(&t);
	assert_int_equal(res.calls, 1);
	assert_true(res.null_reply);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_urls),
	    cmocka_unit_test(test_unix_roundtrip),
	    cmocka_unit_test(test_cmdargv_binary),
	    cmocka_unit_test(test_tcp_roundtrip),
	    cmocka_unit_test(test_auth_right_password),
	    cmocka_unit_test(test_auth_wrong_password),
	    cmocka_unit_test(test_select_db),
	    cmocka_unit_test(test_script_reload),
	    cmocka_unit_test(test_kill_and_reconnect),
	    cmocka_unit_test(test_command_timeout),
	    cmocka_unit_test(test_refused_reported_fast),
	    cmocka_unit_test(test_connect_timeout),
	    cmocka_unit_test(test_stop_before_start),
	    cmocka_unit_test(test_stop_with_hung_redis),
	};

	/* Writing to a dead server must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
