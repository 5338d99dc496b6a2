/*
 * The scheduler's scripts against a real redis-server: a due job is
 * claimed by exactly one replica, a live lease keeps others off it, a
 * lease that runs out (its replica died) hands the job to the next
 * claimer, a late confirm from the dead replica changes nothing, a
 * recurring job is rescheduled in the same step as its confirm, and
 * meeting reminders seed once however many replicas start.
 */
#include "redis_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "limits.h"
#include "scheduler.h"

#define P "t:"
#define LEASE "20000"

static struct redis_fixture rf = REDIS_FIXTURE_INIT;
static redisContext *rc;

static int
setup(void **state)
{
	redisReply *r;

	if (redis_fixture_start(&rf) != 0)
		return -1;
	rc = redis_fixture_connect(&rf);
	if (rc == NULL)
		return -1;
	r = redisCommand(rc, "FLUSHALL");
	freeReplyObject(r);
	return 0;
}

static int
teardown(void **state)
{
	if (rc)
		redisFree(rc);
	rc = NULL;
	redis_fixture_cleanup(&rf);
	return 0;
}

static int
each(void **state)
{
	freeReplyObject(redisCommand(rc, "FLUSHALL"));
	return 0;
}

/* EVAL lua with nkeys keys, then the rest: NULL-terminated. */
static redisReply *
eval(const char *lua, int nkeys, ...)
{
	const char *argv[40];
	char nk[8];
	int argc = 3;
	va_list ap;
	const char *a;
	redisReply *r;

	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[0] = "EVAL";
	argv[1] = lua;
	argv[2] = nk;
	va_start(ap, nkeys);
	while ((a = va_arg(ap, const char *)) != NULL)
		argv[argc++] = a;
	va_end(ap);
	r = redisCommandArgv(rc, argc, argv, NULL);
	assert_non_null(r);
	if (r->type == REDIS_REPLY_ERROR)
		fail_msg("script error: %s", r->str);
	return r;
}

static long long
eval_int(redisReply *r)
{
	long long v;

	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	v = r->integer;
	freeReplyObject(r);
	return v;
}

static long long
add(const char *owner, const char *due, const char *target)
{
	return eval_int(eval(sched_lua_add, 2, P "sched:seq", P "sched:due",
	    owner, due, "200", P, "kind", "remind", "target", target, "text",
	    "water the plants", NULL));
}

/* Claims at now as owner; returns how many jobs came back and, when
 * first_id is given, the first one's id. */
static int
claim(const char *now, const char *owner, char *first_id, char *next_due)
{
	redisReply *r = eval(sched_lua_claim, 2, P "sched:due", P "sched:lease",
	    now, LEASE, owner, "50", P, NULL);
	int n;

	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	assert_true(r->elements >= 2);
	n = (int)(r->elements - 2) / 2;
	if (first_id && n > 0)
		snprintf(first_id, 32, "%s", r->element[2]->str);
	if (next_due)
		snprintf(next_due, 32, "%s", r->element[0]->str);
	if (n > 0) {
		redisReply *h = r->element[3];
		size_t i;
		int found = 0;

		for (i = 0; i + 1 < h->elements; i += 2)
			if (strcmp(h->element[i]->str, "text") == 0 &&
			    strcmp(h->element[i + 1]->str,
				"water the plants") == 0)
				found = 1;
		assert_true(found);
	}
	freeReplyObject(r);
	return n;
}

static long long
confirm(const char *id, const char *owner, const char *next)
{
	char job[64];

	snprintf(job, sizeof(job), P "sched:job:%s", id);
	return eval_int(eval(sched_lua_confirm, 3, P "sched:due",
	    P "sched:lease", job, id, owner, next, "86400", P, NULL));
}

static long long
zcard(const char *k)
{
	redisReply *r = redisCommand(rc, "ZCARD %s", k);
	long long v = r->integer;

	freeReplyObject(r);
	return v;
}

static void
test_claimed_once(void **state)
{
	char id[32] = "", next[32] = "";
	redisReply *r;

	assert_int_equal(add("alice", "1000", "@alice"), 1);
	assert_int_equal(claim("999", "A", NULL, next), 0);
	assert_string_equal(next, "1000");
	assert_int_equal(claim("1000", "A", id, NULL), 1);
	assert_string_equal(id, "1");
	/* Leased: another replica sees nothing due. */
	assert_int_equal(claim("1001", "B", NULL, NULL), 0);
	assert_int_equal(confirm("1", "B", ""), 0);
	assert_int_equal(confirm("1", "A", ""), 1);
	assert_int_equal(zcard(P "sched:due"), 0);
	assert_int_equal(zcard(P "sched:lease"), 0);
	assert_int_equal(claim("999999999", "B", NULL, NULL), 0);
	/* Kept a while (snooze button), then gone; no longer listed. */
	r = redisCommand(rc, "TTL " P "sched:job:1");
	assert_true(r->integer > 0 && r->integer <= 86400);
	freeReplyObject(r);
	r = redisCommand(rc, "SISMEMBER " P "sched:user:alice 1");
	assert_int_equal(r->integer, 0);
	freeReplyObject(r);
}

static void
test_dead_replica_lease_runs_out(void **state)
{
	char id[32] = "";

	assert_int_equal(add("alice", "1000", "pm"), 1);
	assert_int_equal(claim("1000", "A", id, NULL), 1);
	/* A dies here.  Until its lease ends nobody else fires the job. */
	assert_int_equal(claim("20999", "B", NULL, NULL), 0);
	assert_int_equal(claim("21000", "B", id, NULL), 1);
	assert_string_equal(id, "1");
	assert_int_equal(claim("21001", "C", NULL, NULL), 0);
	/* A comes back from a long pause: its confirm is refused. */
	assert_int_equal(confirm("1", "A", ""), 0);
	assert_int_equal(confirm("1", "B", ""), 1);
	assert_int_equal(claim("99999999", "C", NULL, NULL), 0);
}

static void
test_recurring_rescheduled_with_confirm(void **state)
{
	char id[32] = "";
	redisReply *r;

	assert_int_equal(add("alice", "1000", "@alice"), 1);
	assert_int_equal(claim("1000", "A", id, NULL), 1);
	assert_int_equal(confirm("1", "A", "5000"), 1);
	assert_int_equal(zcard(P "sched:lease"), 0);
	r = redisCommand(rc, "ZSCORE " P "sched:due 1");
	assert_string_equal(r->str, "5000");
	freeReplyObject(r);
	r = redisCommand(rc, "HGET " P "sched:job:1 due");
	assert_string_equal(r->str, "5000");
	freeReplyObject(r);
	assert_int_equal(claim("4999", "B", NULL, NULL), 0);
	assert_int_equal(claim("5000", "B", id, NULL), 1);
}

static long long
seed(const char *spec, const char *due)
{
	return eval_int(eval(sched_lua_seed, 3, P "sched:due", P "sched:lease",
	    P "sched:job:m:sync:prep", "m:sync:prep", spec, due, P, "kind",
	    "meeting", "meeting", "sync", "reminder", "prep", "text",
	    "water the plants", NULL));
}

static void
test_seed_idempotent(void **state)
{
	redisReply *r;

	assert_int_equal(seed("FREQ=WEEKLY|v1", "7000"), 1);
	assert_int_equal(seed("FREQ=WEEKLY|v1", "7000"), 0);
	assert_int_equal(seed("FREQ=WEEKLY|v1", "9999"), 0);
	assert_int_equal(zcard(P "sched:due"), 1);
	/* A changed schedule replaces the job. */
	assert_int_equal(seed("FREQ=DAILY|v1", "8000"), 1);
	r = redisCommand(rc, "ZSCORE " P "sched:due m:sync:prep");
	assert_string_equal(r->str, "8000");
	freeReplyObject(r);
	/* Firing right now: left to the confirm. */
	assert_int_equal(claim("8000", "A", NULL, NULL), 1);
	assert_int_equal(seed("FREQ=MONTHLY|v1", "9000"), 0);
	assert_int_equal(zcard(P "sched:due"), 0);
}

static long long
del(const char *id, const char *caller, const char *admin)
{
	return eval_int(eval(
	    sched_lua_delete, 1, P "sched:lease", id, caller, admin, P, NULL));
}

static long long
snooze(const char *id, const char *caller, const char *due)
{
	return eval_int(eval(sched_lua_snooze, 2, P "sched:due",
	    P "sched:lease", id, caller, due, P, NULL));
}

static void
test_list_delete_snooze(void **state)
{
	redisReply *r;

	assert_int_equal(add("alice", "1000", "@bob"), 1);
	assert_int_equal(add("alice", "2000", "pm"), 2);
	r = eval(sched_lua_list, 0, "alice", P, NULL);
	assert_int_equal(r->elements, 2);
	freeReplyObject(r);
	r = eval(sched_lua_list, 0, "carol", P, NULL);
	assert_int_equal(r->elements, 0);
	freeReplyObject(r);

	assert_int_equal(del("1", "carol", "0"), -1);
	assert_int_equal(snooze("1", "carol", "3000"), -1);
	assert_int_equal(del("42", "alice", "0"), 0);
	/* The recipient of an "@bob" reminder may snooze it. */
	assert_int_equal(snooze("1", "bob", "3000"), 1);
	r = redisCommand(rc, "ZSCORE " P "sched:due 1");
	assert_string_equal(r->str, "3000");
	freeReplyObject(r);
	assert_int_equal(claim("3000", "A", NULL, NULL), 2);
	assert_int_equal(snooze("1", "alice", "4000"), -2);
	assert_int_equal(del("2", "carol", "1"), 1);
	assert_int_equal(zcard(P "sched:lease"), 1);
	r = eval(sched_lua_list, 0, "alice", P, NULL);
	assert_int_equal(r->elements, 1);
	freeReplyObject(r);
	/* Meeting jobs are not reminders anyone can delete. */
	assert_int_equal(seed("x", "5000"), 1);
	assert_int_equal(del("m:sync:prep", "alice", "1"), 0);
}

static void
test_per_user_limit(void **state)
{
	assert_int_equal(
	    eval_int(eval(sched_lua_add, 2, P "sched:seq", P "sched:due",
		"alice", "1000", "1", P, "kind", "remind", NULL)),
	    1);
	assert_int_equal(
	    eval_int(eval(sched_lua_add, 2, P "sched:seq", P "sched:due",
		"alice", "1000", "1", P, "kind", "remind", NULL)),
	    -1);
}

/* Many jobs, many replicas claiming in turn at one instant: every job
 * goes to exactly one of them. */
static void
test_batch_split_between_replicas(void **state)
{
	static const char *const owners[] = {"A", "B", "C"};
	int i, total = 0;
	redisReply *r;

	for (i = 0; i < 120; i++)
		add("alice", "1000", "pm");
	for (i = 0; i < 6; i++) {
		r = eval(sched_lua_claim, 2, P "sched:due", P "sched:lease",
		    "1000", LEASE, owners[i % 3], "50", P, NULL);
		total += (int)(r->elements - 2) / 2;
		freeReplyObject(r);
	}
	assert_int_equal(total, 120);
	assert_int_equal(zcard(P "sched:lease"), 120);
	assert_int_equal(zcard(P "sched:due"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_claimed_once, each),
	    cmocka_unit_test_setup(test_dead_replica_lease_runs_out, each),
	    cmocka_unit_test_setup(
		test_recurring_rescheduled_with_confirm, each),
	    cmocka_unit_test_setup(test_seed_idempotent, each),
	    cmocka_unit_test_setup(test_list_delete_snooze, each),
	    cmocka_unit_test_setup(test_per_user_limit, each),
	    cmocka_unit_test_setup(test_batch_split_between_replicas, each),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
