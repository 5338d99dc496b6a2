/*
 * Recurrence across daylight-saving changes: a meeting at 09:00 in its
 * own zone stays at 09:00 there, so its UTC time moves; nth-weekday
 * rules land on the right days; meeting reminders keep their wall-clock
 * offsets.  Expected instants were worked out by hand from the tz rules
 * (US: second Sunday of March, first Sunday of November; EU: last
 * Sundays of March and October).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "recur.h"

#define LA "America/Los_Angeles"

/* "YYYY-MM-DDTHH:MMZ" of ms, in a static buffer per call slot. */
static const char *
iso(long long ms)
{
	static char bufs[8][32];
	static int slot;
	char *b = bufs[slot++ % 8];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(b, 32, "%Y-%m-%dT%H:%MZ", &tm);
	return b;
}

/* UTC ms of "YYYY-MM-DDTHH:MM" read as UTC. */
static long long
at_utc(const char *s)
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

static void
expect_next(const char *rrule, const char *dtstart, const char *tz,
    const char *after, const char *const *want, int n)
{
	long long out[32];
	int got, i;

	got = recur_next(rrule, dtstart, tz, at_utc(after), out, n);
	assert_int_equal(got, n);
	for (i = 0; i < n; i++)
		assert_string_equal(iso(out[i]), want[i]);
}

static void
test_weekly_sync_us_dst(void **state)
{
	static const char *const spring[] = {"2027-03-03T17:00Z",
	    "2027-03-10T17:00Z", "2027-03-17T16:00Z", "2027-03-24T16:00Z"};
	static const char *const fall[] = {
	    "2027-10-27T16:00Z", "2027-11-03T16:00Z", "2027-11-10T17:00Z"};

	expect_next("FREQ=WEEKLY;BYDAY=WE", "2025-01-08T09:00:00", LA,
	    "2027-03-01T00:00", spring, 4);
	expect_next("FREQ=WEEKLY;BYDAY=WE", "2025-01-08T09:00:00", LA,
	    "2027-10-21T00:00", fall, 3);
}

static void
test_european_dst(void **state)
{
	static const char *const spring[] = {
	    "2027-03-22T09:00Z", "2027-03-29T08:00Z"};
	static const char *const fall[] = {
	    "2027-10-25T08:00Z", "2027-11-01T09:00Z"};

	expect_next("FREQ=WEEKLY;BYDAY=MO", "2025-01-06T10:00", "Europe/Berlin",
	    "2027-03-20T00:00", spring, 2);
	expect_next("FREQ=WEEKLY;BYDAY=MO", "2025-01-06T10:00", "Europe/Berlin",
	    "2027-10-20T00:00", fall, 2);
}

/* The two weeks between the US and the EU changes: a Pacific 09:00 is
 * 17:00 in Berlin, not the usual 18:00. */
static void
test_us_meeting_seen_from_berlin(void **state)
{
	long long out[3];
	struct recur_local l;
	char abbr[16];

	assert_int_equal(
	    recur_next("FREQ=WEEKLY;BYDAY=WE", "2025-01-08T09:00:00", LA,
		at_utc("2027-03-15T00:00"), out, 3),
	    3);
	assert_int_equal(
	    recur_to_local("Europe/Berlin", out[0], &l, abbr, sizeof(abbr)), 0);
	assert_int_equal(l.hour, 17);
	assert_string_equal(abbr, "CET");
	assert_int_equal(
	    recur_to_local("Europe/Berlin", out[1], &l, abbr, sizeof(abbr)), 0);
	assert_int_equal(l.hour, 17);
	assert_int_equal(
	    recur_to_local("Europe/Berlin", out[2], &l, abbr, sizeof(abbr)), 0);
	assert_int_equal(l.hour, 18);
	assert_string_equal(abbr, "CEST");
}

static void
test_first_mondays(void **state)
{
	static const char *const want[] = {"2026-01-05T17:00Z",
	    "2026-02-02T17:00Z", "2026-03-02T17:00Z", "2026-04-06T16:00Z",
	    "2026-05-04T16:00Z", "2026-06-01T16:00Z", "2026-07-06T16:00Z",
	    "2026-08-03T16:00Z", "2026-09-07T16:00Z", "2026-10-05T16:00Z",
	    "2026-11-02T17:00Z", "2026-12-07T17:00Z"};

	expect_next("FREQ=MONTHLY;BYDAY=1MO", "2025-01-06T09:00", LA,
	    "2026-01-01T00:00", want, 12);
}

static void
test_five_wednesday_months(void **state)
{
	static const char *const want[] = {"2026-04-29T12:00Z",
	    "2026-07-29T12:00Z", "2026-09-30T12:00Z", "2026-12-30T12:00Z",
	    "2027-03-31T12:00Z", "2027-06-30T12:00Z"};

	expect_next("FREQ=MONTHLY;BYDAY=5WE", "2026-01-01T12:00", "UTC",
	    "2026-01-01T00:00", want, 6);
}

/* Skipping ahead must keep the phase of an every-other-week rule. */
static void
test_every_other_friday_phase(void **state)
{
	static const char *const want[] = {
	    "2026-06-12T16:00Z", "2026-06-26T16:00Z", "2026-07-10T16:00Z"};

	expect_next("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "2026-03-06T09:00", LA,
	    "2026-06-01T00:00", want, 3);
}

static void
test_count_ends(void **state)
{
	long long out[8];

	assert_int_equal(recur_next("FREQ=DAILY;COUNT=3", "2026-01-01T09:00",
			     "UTC", at_utc("2026-01-01T12:00"), out, 8),
	    2);
	assert_int_equal(recur_next("FREQ=DAILY;COUNT=3", "2026-01-01T09:00",
			     "UTC", at_utc("2026-02-01T12:00"), out, 8),
	    0);
}

static void
test_bad_input(void **state)
{
	long long out[1];
	struct recur_local l = {2026, 2, 30, 9, 0, 0, 0};
	long long ms;

	assert_int_equal(recur_next("FREQ=WEEKLY", "2026-01-01T09:00",
			     "Mars/Olympus", 0, out, 1),
	    -1);
	assert_int_equal(recur_next("FREQ=WEEKLY", "2026-01-01T09:00",
			     "../../etc/passwd", 0, out, 1),
	    -1);
	assert_int_equal(
	    recur_next("BOGUS=1", "2026-01-01T09:00", "UTC", 0, out, 1), -1);
	assert_int_equal(
	    recur_next("FREQ=WEEKLY", "yesterday", "UTC", 0, out, 1), -1);
	assert_int_equal(recur_from_local("UTC", &l, &ms), -1);
	assert_false(recur_zone_valid("Mars/Olympus"));
	assert_true(recur_zone_valid("Europe/Berlin"));
	assert_true(recur_zone_valid("UTC"));
}

static void
test_local_and_format(void **state)
{
	struct recur_local l = {2027, 3, 17, 9, 0, 0, 0};
	struct buf b = BUF_INIT;
	long long ms;

	assert_int_equal(recur_from_local(LA, &l, &ms), 0);
	assert_string_equal(iso(ms), "2027-03-17T16:00Z");
	recur_format(&b, LA, ms, 1);
	assert_string_equal(buf_str(&b), "Wed 2027-03-17 09:00 PDT");
	buf_reset(&b);
	recur_format(&b, LA, at_utc("2027-03-10T17:00"), 0);
	assert_string_equal(buf_str(&b), "09:00 PST");
	buf_reset(&b);
	recur_format(&b, "UTC", ms, 1);
	assert_string_equal(buf_str(&b), "Wed 2027-03-17 16:00 UTC");
	buf_free(&b);
}

static struct meeting_reminder prep = {
    "prep", -1440, 0, 16, 0, "PM Weekly Sync is tomorrow"};
static struct meeting_reminder start = {"start", 0, 0, -1, 0, "now"};
static struct meeting_reminder after = {"after", 0, 1, -1, 0, "updates"};
static struct meeting_reminder sales_prep = {
    "prep", -3 * 1440, 0, 10, 0, "demos"};
static struct meeting_reminder sales_after = {
    "after", 15, 1, -1, 0, "recording"};

static const struct meeting sync_meeting = {"pm-weekly-sync", "PM Weekly Sync",
    "pm", LA, "2025-01-08T09:00:00", 30, "FREQ=WEEKLY;BYDAY=WE", NULL, NULL, 0};
static const struct meeting sales_meeting = {"product-sales-call",
    "Monthly Product:Sales call", "pm", LA, "2025-01-06T09:00:00", 60,
    "FREQ=MONTHLY;BYDAY=1MO", NULL, NULL, 0};

static void
test_meeting_reminders(void **state)
{
	long long fire, occ;

	/* The prep the day before at 16:00 local, on both sides of the
	 * change. */
	assert_int_equal(recur_reminder_next(&sync_meeting, &prep,
			     at_utc("2027-03-08T00:00"), &fire, &occ),
	    0);
	assert_string_equal(iso(fire), "2027-03-10T00:00Z");
	assert_string_equal(iso(occ), "2027-03-10T17:00Z");
	assert_int_equal(
	    recur_reminder_next(&sync_meeting, &prep, fire, &fire, &occ), 0);
	assert_string_equal(iso(fire), "2027-03-16T23:00Z");
	assert_string_equal(iso(occ), "2027-03-17T16:00Z");

	assert_int_equal(recur_reminder_next(&sync_meeting, &start,
			     at_utc("2027-03-15T00:00"), &fire, &occ),
	    0);
	assert_string_equal(iso(fire), "2027-03-17T16:00Z");
	assert_int_equal(recur_reminder_next(&sync_meeting, &after,
			     at_utc("2027-03-15T00:00"), &fire, &occ),
	    0);
	assert_string_equal(iso(fire), "2027-03-17T16:30Z");

	/* Right at a firing: the next one, not the same again. */
	assert_int_equal(recur_reminder_next(&sync_meeting, &start,
			     at_utc("2027-03-17T16:00"), &fire, &occ),
	    0);
	assert_string_equal(iso(fire), "2027-03-24T16:00Z");

	/* Three days before the first Monday, at 10:00: a Friday. */
	assert_int_equal(recur_reminder_next(&sales_meeting, &sales_prep,
			     at_utc("2027-03-10T00:00"), &fire, &occ),
	    0);
	assert_string_equal(iso(occ), "2027-04-05T16:00Z");
	assert_string_equal(iso(fire), "2027-04-02T17:00Z");
	assert_int_equal(recur_reminder_next(&sales_meeting, &sales_after,
			     at_utc("2027-03-10T00:00"), &fire, &occ),
	    0);
	assert_string_equal(iso(fire), "2027-04-05T17:15Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_weekly_sync_us_dst),
	    cmocka_unit_test(test_european_dst),
	    cmocka_unit_test(test_us_meeting_seen_from_berlin),
	    cmocka_unit_test(test_first_mondays),
	    cmocka_unit_test(test_five_wednesday_months),
	    cmocka_unit_test(test_every_other_friday_phase),
	    cmocka_unit_test(test_count_ends),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_local_and_format),
	    cmocka_unit_test(test_meeting_reminders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
