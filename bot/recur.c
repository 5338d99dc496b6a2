/*
 * Recurrence on libical (see recur.h).  libical reads the system's
 * zoneinfo, so a zone is whatever tzdata knows; we only check that the
 * name looks like one before handing it over, since it becomes a path.
 *
 * Occurrences are generated in the meeting's own zone, as local times,
 * and only then converted to UTC: that is what keeps 09:00 at 09:00 when
 * the offset changes.  Offsets of meeting reminders are added in
 * wall-clock time too ("the day before at 16:00" is 16:00 local even
 * when a DST change lies in between).
 */
#define _GNU_SOURCE /* dl_iterate_phdr, RTLD_NOLOAD */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libical/ical.h>

#include "recur.h"

/* A rule whose next start lies further than this many generated
 * occurrences away is treated as ended (libical can spin on rules such as
 * BYMONTHDAY=31;BYMONTH=2). */
#define RECUR_MAX_STEPS 5000

/* Longest zone name we look up; tzdata's longest is 32. */
#define RECUR_ZONE_MAX 64

static icaltimezone *
zone_get(const char *tz)
{
	size_t i, len;

	if (tz == NULL)
		return NULL;
	if (strcmp(tz, "UTC") == 0 || strcmp(tz, "Etc/UTC") == 0 ||
	    strcmp(tz, "Z") == 0)
		return icaltimezone_get_utc_timezone();
	len = strlen(tz);
	if (len == 0 || len >= RECUR_ZONE_MAX || tz[0] == '/' ||
	    strstr(tz, "..") != NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		char c = tz[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || strchr("/_+-", c) != NULL))
			return NULL;
	}
	return icaltimezone_get_builtin_timezone(tz);
}

void
recur_cleanup(void)
{
	icaltimezone_free_builtin_timezones();
	icalmemory_free_ring();
}

/* dl_iterate_phdr callback: the path of the loaded libicuuc, if any. */
static int
find_icuuc(struct dl_phdr_info *info, size_t size, void *priv)
{
	const char **path = priv;

	(void)size;
	if (info->dlpi_name != NULL &&
	    strstr(info->dlpi_name, "/libicuuc.so.") != NULL) {
		*path = info->dlpi_name;
		return 1;
	}
	return 0;
}

/*
 * Debian's libical is built with ICU (for RSCALE) and opens an ICU
 * calendar in every recurrence iterator; ICU keeps what that loads
 * (locale data, calendar caches) until u_cleanup().  pmbot does not link
 * ICU itself, and ICU's symbols carry its major version
 * (u_cleanup_72), so the function is looked up in the copy libical
 * loaded.  Without ICU there is nothing to do.
 */
static void
icu_cleanup(void)
{
	const char *path = NULL, *ver;
	void (*cleanup)(void);
	void *h;
	char sym[32];

	dl_iterate_phdr(find_icuuc, &path);
	if (path == NULL)
		return;
	ver = strstr(path, "/libicuuc.so.") + strlen("/libicuuc.so.");
	if (snprintf(sym, sizeof(sym), "u_cleanup_%.*s", (int)strcspn(ver, "."),
		ver) >= (int)sizeof(sym))
		return;
	h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	if (h == NULL)
		return;
	*(void **)&cleanup = dlsym(h, sym);
	if (cleanup != NULL)
		cleanup();
	dlclose(h);
}

void
recur_cleanup_at_exit(void)
{
	recur_cleanup();
	icu_cleanup();
}

int
recur_zone_valid(const char *tz)
{
	return zone_get(tz) != NULL;
}

static struct icaltimetype
local_tt(const struct recur_local *l)
{
	struct icaltimetype tt = icaltime_null_time();

	tt.year = l->year;
	tt.month = l->month;
	tt.day = l->day;
	tt.hour = l->hour;
	tt.minute = l->min;
	tt.second = l->sec;
	tt.is_date = 0;
	return tt;
}

static long long
tt_to_ms(struct icaltimetype tt, icaltimezone *z)
{
	return (long long)icaltime_as_timet_with_zone(tt, z) * 1000;
}

int
recur_from_local(const char *tz, const struct recur_local *l, long long *ms)
{
	icaltimezone *z = zone_get(tz);
	struct icaltimetype tt;

	if (z == NULL || l->year < 1970 || l->year > 9999 || l->month < 1 ||
	    l->month > 12 || l->day < 1 ||
	    l->day > icaltime_days_in_month(l->month, l->year) || l->hour < 0 ||
	    l->hour > 23 || l->min < 0 || l->min > 59 || l->sec < 0 ||
	    l->sec > 59)
		return -1;
	tt = local_tt(l);
	*ms = tt_to_ms(tt, z);
	return 0;
}

/* The TZNAME of the observance (STANDARD or DAYLIGHT) in effect, found
 * by its offset; libical keeps the names only in the VTIMEZONE. */
static void
zone_abbr(icaltimezone *z, struct icaltimetype *utc, char *abbr, size_t len)
{
	icalcomponent *vtz, *c;
	int is_dst = 0, off;

	if (z == icaltimezone_get_utc_timezone()) {
		snprintf(abbr, len, "UTC");
		return;
	}
	off = icaltimezone_get_utc_offset_of_utc_time(z, utc, &is_dst);
	vtz = icaltimezone_get_component(z);
	for (c = vtz ? icalcomponent_get_first_component(
			   vtz, ICAL_ANY_COMPONENT)
		     : NULL;
	     c != NULL;
	     c = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
		icalproperty *to, *name;
		icalcomponent_kind k = icalcomponent_isa(c);

		if (k != ICAL_XSTANDARD_COMPONENT &&
		    k != ICAL_XDAYLIGHT_COMPONENT)
			continue;
		if ((k == ICAL_XDAYLIGHT_COMPONENT) != (is_dst != 0))
			continue;
		to = icalcomponent_get_first_property(
		    c, ICAL_TZOFFSETTO_PROPERTY);
		name =
		    icalcomponent_get_first_property(c, ICAL_TZNAME_PROPERTY);
		if (to == NULL || name == NULL ||
		    icalproperty_get_tzoffsetto(to) != off)
			continue;
		snprintf(abbr, len, "%s", icalproperty_get_tzname(name));
		return;
	}
	/* No name: say the offset, which is never wrong. */
	snprintf(abbr, len, "UTC%c%02d:%02d", off < 0 ? '-' : '+',
	    abs(off) / 3600, abs(off) % 3600 / 60);
}

int
recur_to_local(const char *tz, long long ms, struct recur_local *l, char *abbr,
    size_t abbrlen)
{
	icaltimezone *z = zone_get(tz);
	struct icaltimetype tt, utc;

	if (z == NULL)
		return -1;
	utc = icaltime_from_timet_with_zone(
	    (time_t)(ms / 1000), 0, icaltimezone_get_utc_timezone());
	tt = icaltime_convert_to_zone(utc, z);
	memset(l, 0, sizeof(*l));
	l->year = tt.year;
	l->month = tt.month;
	l->day = tt.day;
	l->hour = tt.hour;
	l->min = tt.minute;
	l->sec = tt.second;
	l->wday = icaltime_day_of_week(tt) - 1;
	if (abbr != NULL && abbrlen > 0)
		zone_abbr(z, &utc, abbr, abbrlen);
	return 0;
}

void
recur_format(struct buf *b, const char *tz, long long ms, int with_date)
{
	static const char *const wd[] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	struct recur_local l;
	char abbr[32];

	if (recur_to_local(tz, ms, &l, abbr, sizeof(abbr)) == -1)
		(void)recur_to_local("UTC", ms, &l, abbr, sizeof(abbr));
	if (with_date)
		buf_printf(b, "%s %04d-%02d-%02d %02d:%02d %s", wd[l.wday],
		    l.year, l.month, l.day, l.hour, l.min, abbr);
	else
		buf_printf(b, "%02d:%02d %s", l.hour, l.min, abbr);
}

static int
parse_dtstart(const char *s, struct recur_local *l)
{
	int n;

	memset(l, 0, sizeof(*l));
	if (s == NULL)
		return -1;
	n = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &l->year, &l->month, &l->day,
	    &l->hour, &l->min, &l->sec);
	return n >= 5 ? 0 : -1;
}

int
recur_next(const char *rrule, const char *dtstart, const char *tz,
    long long after_ms, long long *out, int n)
{
	icaltimezone *z = zone_get(tz);
	struct icalrecurrencetype r;
	struct recur_local l;
	struct icaltimetype start, from, next;
	icalrecur_iterator *it;
	long long ms;
	int got = 0, steps = 0;

	if (z == NULL || rrule == NULL || parse_dtstart(dtstart, &l) == -1)
		return -1;
	icalerror_clear_errno();
	r = icalrecurrencetype_from_string(rrule);
	if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
		icalerror_clear_errno();
		return -1;
	}
	start = local_tt(&l);
	start = icaltime_set_timezone(&start, z);
	it = icalrecur_iterator_new(r, start);
	if (it == NULL) {
		icalerror_clear_errno();
		return -1;
	}
	/* Skip ahead when the rule allows it (not with COUNT); a day of
	 * slack keeps an occurrence right at after_ms in view. */
	if (after_ms - 86400000LL > tt_to_ms(start, z)) {
		from = icaltime_from_timet_with_zone(
		    (time_t)((after_ms - 86400000LL) / 1000), 0, z);
		from = icaltime_set_timezone(&from, z);
		if (!icalrecur_iterator_set_start(it, from))
			icalerror_clear_errno();
	}
	while (got < n && steps++ < RECUR_MAX_STEPS) {
		next = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(next))
			break;
		next = icaltime_set_timezone(&next, z);
		ms = tt_to_ms(next, z);
		if (ms > after_ms)
			out[got++] = ms;
	}
	icalrecur_iterator_free(it);
	icalerror_clear_errno();
	return got;
}

long long
recur_reminder_at(const struct meeting *m, const struct meeting_reminder *r,
    long long start_ms)
{
	icaltimezone *z = zone_get(m->timezone);
	struct icaltimetype tt;
	int minutes;

	if (z == NULL)
		return -1;
	tt = icaltime_from_timet_with_zone((time_t)(start_ms / 1000), 0, z);
	minutes = (int)r->offset_min;
	if (r->after_end)
		minutes += (int)m->duration_min;
	/* Wall-clock arithmetic on the floating local time. */
	tt.zone = NULL;
	icaltime_adjust(&tt, 0, 0, minutes, 0);
	if (r->at_hour >= 0) {
		tt.hour = r->at_hour;
		tt.minute = r->at_min;
		tt.second = 0;
	}
	return tt_to_ms(tt, z);
}

int
recur_meeting_next(
    const struct meeting *m, long long after_ms, long long *start_ms)
{
	return recur_next(m->rrule, m->dtstart, m->timezone, after_ms, start_ms,
		   1) == 1
		   ? 0
		   : -1;
}

int
recur_reminder_next(const struct meeting *m, const struct meeting_reminder *r,
    long long after_ms, long long *fire_ms, long long *occ_ms)
{
	long long span, from, occ[16], at;
	int i, n, rounds;

	/* A reminder fires at most |offset| + duration + a day (the pinned
	 * time) away from its occurrence: start looking that far back. */
	span = (labs(r->offset_min) + m->duration_min + 2 * 1440) * 60000LL;
	from = after_ms - span;
	for (rounds = 0; rounds < 64; rounds++) {
		n = recur_next(m->rrule, m->dtstart, m->timezone, from, occ,
		    (int)(sizeof(occ) / sizeof(occ[0])));
		if (n <= 0)
			return -1;
		for (i = 0; i < n; i++) {
			at = recur_reminder_at(m, r, occ[i]);
			if (at > after_ms) {
				*fire_ms = at;
				if (occ_ms != NULL)
					*occ_ms = occ[i];
				return 0;
			}
		}
		from = occ[n - 1];
	}
	return -1;
}
