/*
 * The durable outbox against a private redis-server: posts to one
 * channel leave in order, a rate limit holds every queue for the time
 * the server asked, a failed post is tried again under the same id, a
 * post a dead process left in flight is sent by the next one, and long
 * messages are split where a reader would split them.
 */
#include "redis_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "buf.h"
#include "limits.h"
#include "log.h"
#include "outbox.h"
#include "store.h"

#define PREFIX "t:"
#define MAX_SEEN 64

/* What the fake adapter saw, and how it answers. */
struct t {
	uv_loop_t loop;
	struct redis_fixture rf;
	struct store *st;
	struct outbox *ob;
	int ups;
	int seen;
	char *queue[MAX_SEEN], *id[MAX_SEEN], *payload[MAX_SEEN];
	uint64_t at[MAX_SEEN];
	/* answers, in order; then OUTBOX_SENT */
	enum outbox_status script[8];
	long delay[8];
	int nscript;
	int hold; /* keep deliveries unanswered */
	int stopped;
};

static void
state_cb(struct store *st, int up, void *priv)
{
	struct t *t = priv;

	if (up)
		t->ups++;
}

static void
deliver(struct outbox *ob, const struct outbox_item *it, void *priv)
{
	struct t *t = priv;
	int i = t->seen;

	if (i < MAX_SEEN) {
		t->queue[i] = strdup(it->queue);
		t->id[i] = strdup(it->id);
		t->payload[i] = strdup(it->payload);
		t->at[i] = uv_now(&t->loop);
	}
	t->seen++;
	if (t->hold)
		return;
	if (i < t->nscript)
		outbox_done(ob, it, t->script[i], t->delay[i]);
	else
		outbox_done(ob, it, OUTBOX_SENT, -1);
}

static void
guard_cb(uv_timer_t *timer)
{
	*(int *)timer->data = 1;
}

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
t_begin(struct t *t)
{
	char url[256], err[128];

	memset(t, 0, sizeof(*t));
	t->rf = (struct redis_fixture)REDIS_FIXTURE_INIT;
	assert_int_equal(redis_fixture_start(&t->rf), 0);
	assert_int_equal(uv_loop_init(&t->loop), 0);
	log_setup(LOG_ERROR, LOG_TEXT);
	snprintf(url, sizeof(url), "unix://%s", t->rf.sock);
	t->st = store_new(&t->loop, url, PREFIX, err, sizeof(err));
	assert_non_null(t->st);
	store_set_state_cb(t->st, state_cb, t);
}

static struct outbox *
t_outbox(struct t *t)
{
	return outbox_new(&t->loop, t->st, NULL, "test", deliver, t);
}

static void
t_start(struct t *t)
{
	store_start(t->st);
	assert_true(wait_for(t, &t->ups, 1, 3000));
	outbox_start(t->ob);
}

static void
stopped_cb(void *priv)
{
	(*(int *)priv)++;
}

static void
t_end(struct t *t)
{
	int i;

	if (t->ob != NULL) {
		outbox_stop(t->ob, stopped_cb, &t->stopped);
		assert_true(wait_for(t, &t->stopped, 1, 2000));
		outbox_free(t->ob);
	}
	store_stop(t->st, stopped_cb, &t->stopped);
	assert_true(wait_for(t, &t->stopped, 2, 5000));
	store_free(t->st);
	assert_int_equal(uv_run(&t->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	redis_fixture_cleanup(&t->rf);
	for (i = 0; i < MAX_SEEN && i < t->seen; i++) {
		free(t->queue[i]);
		free(t->id[i]);
		free(t->payload[i]);
	}
}

static void
push1(struct t *t, const char *queue, const char *payload, const char *dedup)
{
	assert_int_equal(outbox_push(t->ob, queue, &payload, 1, dedup), 0);
}

static long long
redis_int(struct t *t, const char *fmt, const char *arg)
{
	redisReply *r = redis_fixture_command(&t->rf, fmt, arg);
	long long v;

	assert_non_null(r);
	v = r->type == REDIS_REPLY_INTEGER  ? r->integer
	    : r->type == REDIS_REPLY_STRING ? atoll(r->str)
					    : -1;
	freeReplyObject(r);
	return v;
}

static void
order_is_kept_per_channel(void **state)
{
	struct t t;
	const char *two[] = {"c2", "c3"};
	int i;

	t_begin(&t);
	t.ob = t_outbox(&t);
	t_start(&t);
	push1(&t, "town", "a1", NULL);
	push1(&t, "ask", "b1", NULL);
	assert_int_equal(outbox_push(t.ob, "town", two, 2, NULL), 0);
	push1(&t, "ask", "b2", NULL);
	assert_true(wait_for(&t, &t.seen, 5, 3000));
	{
		const char *town[3], *ask[2];
		int nt = 0, na = 0;

		for (i = 0; i < 5; i++) {
			if (strcmp(t.queue[i], "town") == 0)
				town[nt++] = t.payload[i];
			else
				ask[na++] = t.payload[i];
		}
		assert_int_equal(nt, 3);
		assert_int_equal(na, 2);
		assert_string_equal(town[0], "a1");
		assert_string_equal(town[1], "c2");
		assert_string_equal(town[2], "c3");
		assert_string_equal(ask[0], "b1");
		assert_string_equal(ask[1], "b2");
	}
	/* Every post has its own id. */
	for (i = 1; i < 5; i++)
		assert_string_not_equal(t.id[i], t.id[0]);
	/* Delivered posts leave Redis. */
	wait_for(&t, &t.stopped, 1, 300);
	assert_int_equal(
	    redis_int(&t, "LLEN %s", PREFIX "outbox:test:q:town"), 0);
	assert_int_equal(
	    redis_int(&t, "GET %s", PREFIX "outbox:test:depth"), 0);
	t_end(&t);
}

static void
retry_keeps_the_id_and_the_order(void **state)
{
	struct t t;

	t_begin(&t);
	t.ob = t_outbox(&t);
	t.script[0] = OUTBOX_RETRY;
	t.delay[0] = 200;
	t.script[1] = OUTBOX_RETRY;
	t.delay[1] = -1; /* the outbox's own backoff */
	t.nscript = 2;
	t_start(&t);
	push1(&t, "town", "first", NULL);
	push1(&t, "town", "second", NULL);
	assert_true(wait_for(&t, &t.seen, 4, 5000));
	/* The first post three times under one id, and only then the
	 * second: a failure never lets a later post overtake. */
	assert_string_equal(t.payload[0], "first");
	assert_string_equal(t.payload[1], "first");
	assert_string_equal(t.payload[2], "first");
	assert_string_equal(t.payload[3], "second");
	assert_string_equal(t.id[0], t.id[1]);
	assert_string_equal(t.id[0], t.id[2]);
	assert_true(t.at[1] - t.at[0] >= 190);
	assert_true(t.at[2] - t.at[1] >= LIMIT_OUTBOX_BACKOFF_MIN_MS - 10);
	t_end(&t);
}

static void
rate_limit_holds_every_queue(void **state)
{
	struct t t;

	t_begin(&t);
	t.ob = t_outbox(&t);
	t.script[0] = OUTBOX_THROTTLED;
	t.delay[0] = 700;
	t.nscript = 1;
	t.hold = 0;
	t_start(&t);
	push1(&t, "town", "t1", NULL);
	assert_true(wait_for(&t, &t.seen, 1, 2000));
	push1(&t, "ask", "a1", NULL);
	assert_true(wait_for(&t, &t.seen, 3, 3000));
	/* Neither the throttled queue nor the other one went before the
	 * 700 ms the server asked for were over. */
	assert_true(t.at[1] - t.at[0] >= 690);
	assert_true(t.at[2] - t.at[0] >= 690);
	t_end(&t);
}

static void
rejected_post_is_dropped_and_the_next_goes(void **state)
{
	struct t t;

	t_begin(&t);
	t.ob = t_outbox(&t);
	t.script[0] = OUTBOX_REJECTED;
	t.nscript = 1;
	t_start(&t);
	push1(&t, "town", "bad", NULL);
	push1(&t, "town", "good", NULL);
	assert_true(wait_for(&t, &t.seen, 2, 3000));
	assert_string_equal(t.payload[1], "good");
	wait_for(&t, &t.stopped, 1, 300);
	assert_int_equal(t.seen, 2);
	t_end(&t);
}

static void
dedup_key_queues_once(void **state)
{
	struct t t;

	t_begin(&t);
	t.ob = t_outbox(&t);
	t_start(&t);
	push1(&t, "town", "reminder", "job-42");
	push1(&t, "town", "reminder again", "job-42");
	push1(&t, "town", "other", "job-43");
	assert_true(wait_for(&t, &t.seen, 2, 3000));
	wait_for(&t, &t.stopped, 1, 500);
	assert_int_equal(t.seen, 2);
	assert_string_equal(t.payload[0], "reminder");
	assert_string_equal(t.payload[1], "other");
	t_end(&t);
}

static void
in_flight_post_survives_a_dead_process(void **state)
{
	struct t t;
	char *id;

	t_begin(&t);
	/* The first process takes the post and dies before answering. */
	t.ob = t_outbox(&t);
	outbox_set_lease_ms(t.ob, 600);
	t.hold = 1;
	t_start(&t);
	push1(&t, "town", "keep me", NULL);
	push1(&t, "town", "and me", NULL);
	assert_true(wait_for(&t, &t.seen, 1, 2000));
	id = strdup(t.id[0]);
	outbox_stop(t.ob, stopped_cb, &t.stopped);
	assert_true(wait_for(&t, &t.stopped, 1, 2000));
	outbox_free(t.ob);
	t.stopped = 0;
	/* The next one finds it once the lease ran out, same id. */
	t.hold = 0;
	t.ob = t_outbox(&t);
	outbox_start(t.ob);
	assert_true(wait_for(&t, &t.seen, 3, 3 * LIMIT_OUTBOX_SWEEP_MS));
	assert_string_equal(t.payload[1], "keep me");
	assert_string_equal(t.id[1], id);
	assert_string_equal(t.payload[2], "and me");
	free(id);
	t_end(&t);
}

static void
posts_wait_in_memory_while_redis_is_down(void **state)
{
	struct t t;

	t_begin(&t);
	t.ob = t_outbox(&t);
	t_start(&t);
	redis_fixture_stop(&t.rf);
	wait_for(&t, &t.stopped, 1, 300);
	push1(&t, "town", "while down", NULL);
	push1(&t, "town", "also", NULL);
	assert_int_equal(t.seen, 0);
	assert_int_equal(redis_fixture_restart(&t.rf), 0);
	assert_true(wait_for(&t, &t.seen, 2, 10000));
	assert_string_equal(t.payload[0], "while down");
	assert_string_equal(t.payload[1], "also");
	t_end(&t);
}

static size_t
runes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void
split_cuts_at_lines_words_and_never_inside_a_character(void **state)
{
	char **parts;
	struct buf b = BUF_INIT;
	size_t n, i;
	int k;

	n = outbox_split("short", 10, &parts);
	assert_int_equal(n, 1);
	assert_string_equal(parts[0], "short");
	outbox_split_free(parts);

	n = outbox_split("line one\nline two\nline three", 20, &parts);
	assert_int_equal(n, 2);
	assert_string_equal(parts[0], "line one\nline two\n");
	assert_string_equal(parts[1], "line three");
	outbox_split_free(parts);

	n = outbox_split("alpha beta gamma delta", 12, &parts);
	assert_string_equal(parts[0], "alpha beta ");
	assert_string_equal(parts[1], "gamma delta");
	outbox_split_free(parts);

	/* 30 three-byte characters, no blanks: cut by characters. */
	for (k = 0; k < 30; k++)
		buf_puts(&b, "\xe2\x9c\x93");
	n = outbox_split(buf_str(&b), 7, &parts);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++) {
		assert_true(runes(parts[i]) <= 7);
		assert_int_equal(strlen(parts[i]) % 3, 0);
	}
	outbox_split_free(parts);
	buf_free(&b);

	/* At the server's limit exactly one part; one more rune, two. */
	for (k = 0; k < LIMIT_POST_RUNES; k++)
		buf_putc(&b, 'x');
	n = outbox_split(buf_str(&b), LIMIT_POST_RUNES, &parts);
	assert_int_equal(n, 1);
	outbox_split_free(parts);
	buf_puts(&b, "\xc3\xa9");
	n = outbox_split(buf_str(&b), LIMIT_POST_RUNES, &parts);
	assert_int_equal(n, 2);
	assert_string_equal(parts[1], "\xc3\xa9");
	outbox_split_free(parts);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(order_is_kept_per_channel),
	    cmocka_unit_test(retry_keeps_the_id_and_the_order),
	    cmocka_unit_test(rate_limit_holds_every_queue),
	    cmocka_unit_test(rejected_post_is_dropped_and_the_next_goes),
	    cmocka_unit_test(dedup_key_queues_once),
	    cmocka_unit_test(in_flight_post_survives_a_dead_process),
	    cmocka_unit_test(posts_wait_in_memory_while_redis_is_down),
	    cmocka_unit_test(
		split_cuts_at_lines_words_and_never_inside_a_character),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
