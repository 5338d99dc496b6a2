/*
 * The calendar feeds as a calendar reads them: libical parses what the
 * renderers write, the text comes back exactly as configured (commas,
 * semicolons, backslashes, newlines, UTF-8 across a fold), the meeting's
 * own VTIMEZONE puts 09:00 Pacific at 17:00 UTC before the 2027 DST
 * change and 16:00 after, and a rotation's turns follow one another
 * with a cover shown as such.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libical/ical.h>

#include "buf.h"
#include "calendar.h"
#include "duty.h"
#include "recur.h"

/* Wednesday 2027-03-10 12:00 UTC. */
#define NOW (1804680000000LL)
#define WEEK (7 * 86400000LL)

static const char title[] = "Sync, plan; review \\ notes";
/* UTF-8 spelled out, each escape closed so no letter joins it. */
static const char descr[] = "Line one.\nLine two: caf\xc3\xa9"
			    " cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
			    "e, na\xc3\xafve; \xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 end";

static void
assert_lines_ok(const struct buf *b)
{
	const char *s = buf_str(b), *eol;

	assert_true(b->len > 2);
	assert_memory_equal(s + b->len - 2, "\r\n", 2);
	for (; *s; s = eol + 2) {
		eol = strstr(s, "\r\n");
		assert_non_null(eol);
		if ((size_t)(eol - s) > 75)
			fail_msg("line of %d octets: %.*s", (int)(eol - s),
			    (int)(eol - s), s);
		assert_null(memchr(s, '\n', (size_t)(eol - s)));
		/* A fold never starts inside a UTF-8 sequence. */
		if (*s == ' ')
			assert_int_not_equal((unsigned char)s[1] & 0xC0, 0x80);
	}
}

static time_t
utc(int y, int mo, int d, int h)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	return timegm(&tm);
}

static void
test_meetings_feed(void **state)
{
	struct meeting m[2];
	struct config cfg;
	struct buf out = BUF_INIT;
	icalcomponent *cal, *ev;
	icalproperty *p;
	icaltimezone *z;
	struct icaltimetype tt = icaltime_null_time();
	int n = 0;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	memset(m, 0, sizeof m);
	m[0].id = "sync";
	m[0].title = (char *)title;
	m[0].channel = "pm";
	m[0].timezone = "America/Los_Angeles";
	m[0].dtstart = "2025-01-08T09:00:00";
	m[0].duration_min = 30;
	m[0].rrule = "FREQ=WEEKLY;BYDAY=WE";
	m[0].description = (char *)descr;
	m[1] = m[0];
	m[1].id = "okr";
	m[1].timezone = "UTC";
	m[1].rrule = "FREQ=WEEKLY;BYDAY=FR";
	m[1].description = NULL;
	cfg.meetings = m;
	cfg.nmeetings = 2;
	calendar_meetings_ics(&cfg, NOW, &out);
	assert_lines_ok(&out);

	cal = icalparser_parse_string(buf_str(&out));
	assert_non_null(cal);
	assert_int_equal(icalcomponent_isa(cal), ICAL_VCALENDAR_COMPONENT);
	for (ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	     ev != NULL;
	     ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT))
		n++;
	assert_int_equal(n, 2);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_string_equal(icalcomponent_get_uid(ev), "meeting-sync@pmbot");
	assert_string_equal(icalcomponent_get_summary(ev), title);
	assert_non_null(strstr(icalcomponent_get_description(ev), descr));
	assert_non_null(
	    icalcomponent_get_first_property(ev, ICAL_DTSTAMP_PROPERTY));
	p = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
	assert_non_null(p);
	assert_int_equal(
	    icalproperty_get_rrule(p).freq, ICAL_WEEKLY_RECURRENCE);
	p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	assert_string_equal(icalproperty_get_parameter_as_string(p, "TZID"),
	    "America/Los_Angeles");

	/* The feed's own zone definition, as a calendar would use it. */
	z = icalcomponent_get_timezone(cal, "America/Los_Angeles");
	assert_non_null(z);
	tt.year = 2027;
	tt.month = 3;
	tt.day = 10;
	tt.hour = 9;
	assert_int_equal(
	    icaltime_as_timet_with_zone(tt, z), utc(2027, 3, 10, 17));
	tt.day = 17;
	assert_int_equal(
	    icaltime_as_timet_with_zone(tt, z), utc(2027, 3, 17, 16));

	ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT);
	assert_true(icaltime_is_utc(icalcomponent_get_dtstart(ev)));
	icalcomponent_free(cal);
	buf_free(&out);
	recur_cleanup();
}

static void
test_rotation_feed(void **state)
{
	static char *members[] = {"ana", "ben", "cy"};
	struct rotation_conf rc;
	struct duty_rot r;
	struct buf out = BUF_INIT;
	icalcomponent *cal, *ev;
	struct icaltimetype prev_end = icaltime_null_time();
	char err[200];
	int n = 0, covers = 0, past = 0;

	(void)state;
	memset(&rc, 0, sizeof rc);
	rc.name = "triage";
	rc.members.v = members;
	rc.members.n = 3;
	rc.handoff_weekday = 1;
	rc.handoff_hour = 9;
	rc.timezone = "UTC";
	assert_int_equal(duty_from_conf(&r, &rc, NOW), 0);
	/* cy covers a Tuesday-to-Thursday stretch three weeks ahead. */
	assert_int_equal(
	    duty_add_override(&r, DUTY_COVER, "cy", NULL,
		NOW + 3 * WEEK - 86400000LL, NOW + 3 * WEEK + 86400000LL, "ana",
		err, sizeof err),
	    0);
	calendar_rotation_ics(&r, NOW, &out);
	assert_lines_ok(&out);

	cal = icalparser_parse_string(buf_str(&out));
	assert_non_null(cal);
	for (ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	     ev != NULL; ev = icalcomponent_get_next_component(
			     cal, ICAL_VEVENT_COMPONENT)) {
		struct icaltimetype s = icalcomponent_get_dtstart(ev);
		struct icaltimetype e = icalcomponent_get_dtend(ev);

		assert_non_null(icalcomponent_get_uid(ev));
		if (n > 0)
			assert_int_equal(icaltime_compare(prev_end, s), 0);
		assert_true(icaltime_compare(s, e) < 0);
		if (strstr(icalcomponent_get_summary(ev), "(cover)")) {
			assert_string_equal(icalcomponent_get_summary(ev),
			    "cy on triage duty (cover)");
			covers++;
		}
		if (icaltime_as_timet(e) * 1000LL <= NOW)
			past++;
		prev_end = e;
		n++;
	}
	/* Four weeks back, 26 ahead, a cover splitting one week in three. */
	assert_int_equal(covers, 1);
	assert_in_range(n, 31, 35);
	assert_in_range(past, 3, 4);
	assert_true(icaltime_as_timet(prev_end) * 1000LL >= NOW + 26 * WEEK);
	icalcomponent_free(cal);
	duty_rot_free(&r);
	buf_free(&out);
	recur_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_meetings_feed),
	    cmocka_unit_test(test_rotation_feed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
