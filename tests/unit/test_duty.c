/*
 * The duty rotation model: who is on duty at an instant, across weekly
 * handoffs, the US spring-forward change (2027-03-14) and the autumn one
 * (2027-11-07), with swaps, away periods and overlapping covers, and the
 * edits that must keep the person on duty where they are.  Expected
 * instants are worked out by hand: a Monday 09:00 America/Los_Angeles
 * handoff is 17:00 UTC in PST and 16:00 UTC in PDT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duty.h"
#include "recur.h"

#define LA "America/Los_Angeles"

static long long
utc(const char *s)
{
	struct recur_local l;
	long long ms;

	memset(&l, 0, sizeof(l));
	assert_int_equal(sscanf(s, "%d-%d-%dT%d:%d", &l.year, &l.month, &l.day,
			     &l.hour, &l.min),
	    5);
	assert_int_equal(recur_from_local("UTC", &l, &ms), 0);
	return ms;
}

static char *mem_abc[] = {"ana", "ben", "cat"};

/* Monday 09:00 LA; ana on duty in the week of Monday 2027-03-01. */
static void
make(struct duty_rot *r, char **members, size_t n)
{
	struct rotation_conf rc;
	size_t i;

	memset(&rc, 0, sizeof(rc));
	rc.name = "twitter";
	rc.members.v = members;
	rc.members.n = n;
	rc.handoff_weekday = 1;
	rc.handoff_hour = 9;
	rc.handoff_min = 0;
	rc.timezone = LA;
	assert_int_equal(duty_from_conf(r, &rc, utc("2027-03-03T12:00")), 0);
	for (i = 0; i < n; i++)
		assert_string_equal(r->members[i], members[i]);
}

static void
expect_at(const struct duty_rot *r, const char *when, const char *who)
{
	const char *got = duty_at(r, utc(when), NULL);

	if (got == NULL || strcmp(got, who) != 0)
		fail_msg("at %s: expected %s, got %s", when, who,
		    got ? got : "nobody");
}

static void
test_weekly_handoff_across_spring_dst(void **state)
{
	struct duty_rot r;
	long long b, e;

	(void)state;
	make(&r, mem_abc, 3);
	assert_int_equal(r.epoch_ms, utc("2027-03-01T17:00"));
	expect_at(&r, "2027-03-01T17:00", "ana");
	expect_at(&r, "2027-03-08T16:59", "ana");
	expect_at(&r, "2027-03-08T17:00", "ben");
	/* After the change 09:00 is 16:00 UTC: ben's week is an hour
	 * shorter and cat starts at 16:00. */
	expect_at(&r, "2027-03-15T15:59", "ben");
	expect_at(&r, "2027-03-15T16:00", "cat");
	expect_at(&r, "2027-03-22T16:00", "ana");
	assert_int_equal(duty_period(&r, utc("2027-03-10T00:00"), &b, &e), 0);
	assert_int_equal(b, utc("2027-03-08T17:00"));
	assert_int_equal(e, utc("2027-03-15T16:00"));
	/* Before the anchor the order runs backwards. */
	expect_at(&r, "2027-02-28T12:00", "cat");
	duty_rot_free(&r);
}

static void
test_autumn_dst_and_other_zone(void **state)
{
	struct duty_rot r;

	(void)state;
	make(&r, mem_abc, 3);
	/* 2027-11-01 is 35 weeks after 2027-03-01: 35 % 3 = 2, cat. */
	expect_at(&r, "2027-11-01T15:59", "ben");
	expect_at(&r, "2027-11-01T16:00", "cat");
	/* Clocks fall back on Sunday 2027-11-07: 09:00 is 17:00 UTC. */
	expect_at(&r, "2027-11-08T16:30", "cat");
	expect_at(&r, "2027-11-08T17:00", "ana");
	duty_rot_free(&r);
}

static void
test_swap_one_week(void **state)
{
	struct duty_rot r;
	enum duty_why why;
	char err[200];
	long long b, e;

	(void)state;
	make(&r, mem_abc, 3);
	/* ben's week (Mar 8) swapped with cat: cat holds it, the other
	 * weeks are untouched. */
	assert_int_equal(duty_period(&r, utc("2027-03-09T00:00"), &b, &e), 0);
	assert_int_equal(duty_add_override(&r, DUTY_SWAP, "ben", "cat", b, e,
			     "ben", err, sizeof(err)),
	    0);
	expect_at(&r, "2027-03-09T00:00", "cat");
	assert_string_equal(duty_at(&r, utc("2027-03-09T00:00"), &why), "cat");
	assert_int_equal(why, DUTY_BY_SWAP);
	expect_at(&r, "2027-03-15T16:00", "cat");
	expect_at(&r, "2027-03-22T16:00", "ana");
	/* A swap with oneself, or with a stranger, is refused. */
	assert_int_equal(duty_add_override(&r, DUTY_SWAP, "ben", "ben", b, e,
			     "ben", err, sizeof(err)),
	    -1);
	assert_int_equal(duty_add_override(&r, DUTY_SWAP, "ben", "zed", b, e,
			     "ben", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "@zed is not in the twitter rotation"));
	assert_int_equal(r.novr, 1);
	duty_rot_free(&r);
}

static void
test_away_passes_turn_and_gives_it_back(void **state)
{
	struct duty_rot r;
	char err[200];

	(void)state;
	make(&r, mem_abc, 3);
	/* ben away Tuesday to Thursday of his week. */
	assert_int_equal(duty_add_override(&r, DUTY_AWAY, "ben", NULL,
			     utc("2027-03-09T08:00"), utc("2027-03-12T08:00"),
			     "ben", err, sizeof(err)),
	    0);
	expect_at(&r, "2027-03-08T20:00", "ben");
	expect_at(&r, "2027-03-10T00:00", "cat");
	expect_at(&r, "2027-03-12T08:00", "ben");
	/* The order did not move: cat's own week follows. */
	expect_at(&r, "2027-03-15T16:00", "cat");
	/* cat away too: the turn goes on to ana. */
	assert_int_equal(duty_add_override(&r, DUTY_AWAY, "cat", NULL,
			     utc("2027-03-10T00:00"), utc("2027-03-11T00:00"),
			     "cat", err, sizeof(err)),
	    0);
	expect_at(&r, "2027-03-10T12:00", "ana");
	expect_at(&r, "2027-03-11T12:00", "cat");
	/* Everyone away: it stays with the one whose turn it is. */
	assert_int_equal(duty_add_override(&r, DUTY_AWAY, "ana", NULL,
			     utc("2027-03-10T00:00"), utc("2027-03-11T00:00"),
			     "ana", err, sizeof(err)),
	    0);
	expect_at(&r, "2027-03-10T12:00", "ben");
	/* Dates in the wrong order change nothing. */
	assert_int_equal(duty_add_override(&r, DUTY_AWAY, "ana", NULL,
			     utc("2027-03-12T00:00"), utc("2027-03-11T00:00"),
			     "ana", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "after the start"));
	assert_int_equal(r.novr, 3);
	duty_rot_free(&r);
}

static void
test_overlapping_covers_latest_wins(void **state)
{
	struct duty_rot r;
	char err[200];
	enum duty_why why;

	(void)state;
	make(&r, mem_abc, 3);
	assert_int_equal(duty_add_override(&r, DUTY_COVER, "dee", "ana",
			     utc("2027-03-02T00:00"), utc("2027-03-05T00:00"),
			     "admin", err, sizeof(err)),
	    0);
	assert_int_equal(duty_add_override(&r, DUTY_COVER, "cat", "ana",
			     utc("2027-03-03T00:00"), utc("2027-03-04T00:00"),
			     "admin", err, sizeof(err)),
	    0);
	/* A cover beats an away period. */
	assert_int_equal(duty_add_override(&r, DUTY_AWAY, "ana", NULL,
			     utc("2027-03-01T00:00"), utc("2027-03-07T00:00"),
			     "ana", err, sizeof(err)),
	    0);
	expect_at(&r, "2027-03-01T20:00", "ben"); /* away: next in order */
	expect_at(&r, "2027-03-02T12:00", "dee");
	expect_at(&r, "2027-03-03T12:00", "cat");
	assert_int_equal(duty_at(&r, utc("2027-03-03T12:00"), &why)[0], 'c');
	assert_int_equal(why, DUTY_BY_COVER);
	expect_at(&r, "2027-03-04T12:00", "dee");
	expect_at(&r, "2027-03-05T12:00", "ben");
	expect_at(&r, "2027-03-07T12:00", "ana");
	duty_rot_free(&r);
}

static void
test_turns_merge_and_show_since_until(void **state)
{
	struct duty_rot r;
	struct duty_turn t[5];
	char err[200];
	int n;

	(void)state;
	make(&r, mem_abc, 3);
	assert_int_equal(duty_add_override(&r, DUTY_COVER, "dee", NULL,
			     utc("2027-03-03T00:00"), utc("2027-03-04T00:00"),
			     "admin", err, sizeof(err)),
	    0);
	n = duty_turns(&r, utc("2027-03-02T00:00"), t, 5);
	assert_int_equal(n, 5);
	assert_string_equal(t[0].user, "ana");
	assert_int_equal(t[0].from_ms, utc("2027-03-01T17:00"));
	assert_int_equal(t[0].to_ms, utc("2027-03-03T00:00"));
	assert_string_equal(t[1].user, "dee");
	assert_string_equal(t[2].user, "ana");
	assert_int_equal(t[2].to_ms, utc("2027-03-08T17:00"));
	assert_string_equal(t[3].user, "ben");
	assert_int_equal(t[3].to_ms, utc("2027-03-15T16:00"));
	assert_string_equal(t[4].user, "cat");
	/* A single member's turns merge into one. */
	duty_rot_free(&r);
	make(&r, mem_abc, 1);
	n = duty_turns(&r, utc("2027-03-02T00:00"), t, 2);
	assert_int_equal(n, 0);
	duty_rot_free(&r);
}

static void
test_members_edits_keep_who_is_on_duty(void **state)
{
	struct duty_rot r;
	char err[200];
	long long now = utc("2027-03-10T12:00"); /* ben's week */

	(void)state;
	make(&r, mem_abc, 3);
	assert_int_equal(
	    duty_add_member(&r, "dee", "ana", now, err, sizeof(err)), 0);
	assert_string_equal(r.members[1], "dee");
	expect_at(&r, "2027-03-10T12:00", "ben");
	expect_at(&r, "2027-03-15T16:00", "cat");
	expect_at(&r, "2027-03-22T16:00", "ana");
	expect_at(&r, "2027-03-29T16:00", "dee");
	assert_int_equal(
	    duty_add_member(&r, "dee", NULL, now, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already"));
	assert_int_equal(
	    duty_add_member(&r, "eve", "zed", now, err, sizeof(err)), -1);
	assert_int_equal(r.nmembers, 4);
	/* Removing someone else keeps ben; removing ben hands over now. */
	assert_int_equal(
	    duty_remove_member(&r, "ana", now, err, sizeof(err)), 0);
	expect_at(&r, "2027-03-10T12:00", "ben");
	expect_at(&r, "2027-03-15T16:00", "cat");
	assert_int_equal(
	    duty_remove_member(&r, "ben", now, err, sizeof(err)), 0);
	expect_at(&r, "2027-03-10T12:00", "cat");
	expect_at(&r, "2027-03-15T16:00", "dee");
	assert_int_equal(
	    duty_remove_member(&r, "zed", now, err, sizeof(err)), -1);
	assert_int_equal(
	    duty_remove_member(&r, "cat", now, err, sizeof(err)), 0);
	assert_int_equal(
	    duty_remove_member(&r, "dee", now, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "last member"));
	assert_int_equal(r.nmembers, 1);
	duty_rot_free(&r);
}

static void
test_handoff_now_and_next_after(void **state)
{
	struct duty_rot r;
	long long now = utc("2027-03-10T12:00");

	(void)state;
	make(&r, mem_abc, 3);
	duty_handoff_now(&r, now);
	expect_at(&r, "2027-03-10T11:59", "ben");
	expect_at(&r, "2027-03-10T12:00", "cat");
	expect_at(&r, "2027-03-15T16:00", "ana");
	assert_string_equal(duty_next_after(&r, "cat", now), "ana");
	assert_string_equal(duty_next_after(&r, "ana", now), "ben");
	/* An area owner outside the rotation: the PM on duty is next. */
	assert_string_equal(duty_next_after(&r, "zoe", now), "cat");
	duty_rot_free(&r);
}

static void
test_encode_decode_round_trip(void **state)
{
	struct duty_rot r, back;
	struct rotation_conf rc;
	char err[200], *json;

	(void)state;
	make(&r, mem_abc, 3);
	assert_int_equal(duty_add_override(&r, DUTY_SWAP, "ana", "cat",
			     utc("2027-03-02T00:00"), utc("2027-03-03T00:00"),
			     "ana", err, sizeof(err)),
	    0);
	json = duty_encode(&r);
	memset(&rc, 0, sizeof(rc));
	rc.name = "twitter";
	rc.handoff_weekday = 1;
	rc.handoff_hour = 9;
	rc.timezone = LA;
	assert_int_equal(duty_decode(&back, &rc, json, err, sizeof(err)), 0);
	assert_int_equal(back.nmembers, 3);
	assert_int_equal(back.novr, 1);
	assert_int_equal(back.epoch_ms, r.epoch_ms);
	expect_at(&back, "2027-03-02T12:00", "cat");
	duty_rot_free(&back);
	assert_int_equal(
	    duty_decode(&back, &rc, "{\"v\":9}", err, sizeof(err)), -1);
	assert_int_equal(duty_decode(&back, &rc, "nope", err, sizeof(err)), -1);
	free(json);
	duty_rot_free(&r);
}

static void
test_parse_time_and_headsup(void **state)
{
	struct duty_rot r;
	long long ms;

	(void)state;
	assert_int_equal(duty_parse_time(LA, "2027-03-10", 0, &ms), 0);
	assert_int_equal(ms, utc("2027-03-10T08:00"));
	assert_int_equal(duty_parse_time(LA, "2027-03-14", 1, &ms), 0);
	assert_int_equal(ms, utc("2027-03-15T07:00"));
	assert_int_equal(duty_parse_time(LA, "2027-03-10T13:30", 1, &ms), 0);
	assert_int_equal(ms, utc("2027-03-10T21:30"));
	assert_int_equal(duty_parse_time(LA, "2027-02-30", 0, &ms), -1);
	assert_int_equal(duty_parse_time(LA, "10/03/2027", 0, &ms), -1);
	assert_int_equal(duty_parse_time(LA, "2027-03-10x", 0, &ms), -1);
	assert_int_equal(duty_parse_time(LA, "2027-03-10T25:00", 0, &ms), -1);
	make(&r, mem_abc, 3);
	/* Monday's handoff: the heads-up is Friday at 09:00, in PST. */
	assert_int_equal(duty_headsup_at(&r, utc("2027-03-15T16:00")),
	    utc("2027-03-12T17:00"));
	duty_rot_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_weekly_handoff_across_spring_dst),
	    cmocka_unit_test(test_autumn_dst_and_other_zone),
	    cmocka_unit_test(test_swap_one_week),
	    cmocka_unit_test(test_away_passes_turn_and_gives_it_back),
	    cmocka_unit_test(test_overlapping_covers_latest_wins),
	    cmocka_unit_test(test_turns_merge_and_show_since_until),
	    cmocka_unit_test(test_members_edits_keep_who_is_on_duty),
	    cmocka_unit_test(test_handoff_now_and_next_after),
	    cmocka_unit_test(test_encode_decode_round_trip),
	    cmocka_unit_test(test_parse_time_and_headsup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
