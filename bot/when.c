/*
 * The /remind time grammar (see when.h and docs/scheduler.md).
 *
 * Reading happens in two steps.  First the words at the start of the
 * line are matched against the phrase parts (a duration, a time of day,
 * a day, a repetition, a zone) in any order, each part at most once,
 * until a word fits none of them: that is where the text to remind
 * about starts.  Only then are the parts resolved into an instant,
 * because a zone may come last ("at 3pm PT") and changes what "today"
 * means.  Words that start a part but do not finish it ("at the
 * office", "in 5 parsecs") are errors rather than text: a reminder that
 * fires at a time the user did not mean is worse than a question.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recur.h"
#include "when.h"

#define WHEN_MAX_TOKENS 48
#define WHEN_TOKEN_MAX 40
/* A day given without a time of day means this time. */
#define WHEN_DEFAULT_HOUR 9
/* "tonight" and "end of day" without a time. */
#define WHEN_TONIGHT_HOUR 20
#define WHEN_EOD_HOUR 17
/* How far ahead the first firing of a repetition is looked for. */
#define WHEN_SEARCH_DAYS 800

const char when_examples[] =
    "in 10 minutes | in 1h30m | at 15:00 | at 3pm PT | tomorrow 9am\n"
    "on Friday | next Monday at 10:00 | on Dec 1 | on 2026-12-01 at 10:00\n"
    "every weekday at 9 | every Wednesday at 9:00 | every other Friday\n"
    "every 1st Monday | every last Friday | every month on the 15th";

struct tok {
	size_t off, end;        /* in the text */
	char w[WHEN_TOKEN_MAX]; /* lower-case, trailing comma removed */
	int comma;              /* was followed by a comma */
};

enum day_kind {
	DAY_NONE,
	DAY_TODAY,
	DAY_TONIGHT,
	DAY_EOD,
	DAY_TOMORROW,
	DAY_WEEKDAY,      /* on Friday: today if still ahead */
	DAY_NEXT_WEEKDAY, /* next Friday: never today */
	DAY_DATE,         /* y may be 0: the next such date */
	DAY_MONTHDAY,     /* the 15th */
	DAY_NEXT_WEEK,
	DAY_NEXT_MONTH,
};

enum freq { F_NONE, F_DAILY, F_WEEKLY, F_MONTHLY, F_YEARLY };

struct parser {
	struct tok t[WHEN_MAX_TOKENS];
	int n;
	char *err;
	size_t errlen;

	int have_time, hour, min;
	enum day_kind day;
	int wday, y, mo, d;
	int have_dur;
	long long dur_ms;   /* the part in hours, minutes, seconds */
	long long dur_days; /* the part in days and weeks: calendar days */
	const char *zone;
	char zone_buf[WHEN_ZONE_MAX];

	enum freq freq;
	int interval;
	int wmask;  /* bit 0 = Sunday */
	int nth;    /* 1..4, -1 last; 0 none */
	int mday;   /* monthly/yearly day of month */
	int ymonth; /* yearly month */
	char desc[WHEN_DESC_MAX];
};

static const char *const wday_names[] = {"Sunday", "Monday", "Tuesday",
    "Wednesday", "Thursday", "Friday", "Saturday"};
static const char *const wday_ical[] = {
    "SU", "MO", "TU", "WE", "TH", "FR", "SA"};
static const char *const month_names[] = {"January", "February", "March",
    "April", "May", "June", "July", "August", "September", "October",
    "November", "December"};

static int fail(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* snprintf into a fixed field, where cutting a long description short
 * is the intended outcome. */
static void text_printf(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
text_printf(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

static int
is(const struct parser *p, int i, const char *w)
{
	return i < p->n && strcmp(p->t[i].w, w) == 0;
}

/* --- words ---------------------------------------------------------------- */

static int
tokenize(struct parser *p, const char *text)
{
	size_t i = 0, len, k;

	p->n = 0;
	while (text[i] != '\0' && p->n < WHEN_MAX_TOKENS) {
		struct tok *t;

		while (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')
			i++;
		if (text[i] == '\0')
			break;
		t = &p->t[p->n++];
		t->off = i;
		while (text[i] != '\0' && text[i] != ' ' && text[i] != '\t' &&
		       text[i] != '\n')
			i++;
		t->end = i;
		len = t->end - t->off;
		if (len >= WHEN_TOKEN_MAX)
			len = WHEN_TOKEN_MAX - 1;
		for (k = 0; k < len; k++)
			t->w[k] =
			    (char)tolower((unsigned char)text[t->off + k]);
		t->w[len] = '\0';
		/* "Friday," and "hours:" end a list or the phrase. */
		t->comma =
		    len > 1 && (t->w[len - 1] == ',' ||
				   (t->w[len - 1] == ':' &&
				       isalpha((unsigned char)t->w[len - 2])));
		if (t->comma)
			t->w[len - 1] = '\0';
	}
	return 0;
}

static int
weekday_of(const char *w)
{
	static const char *const names[][4] = {
	    {"sunday", "sun", "sundays", NULL},
	    {"monday", "mon", "mondays", NULL},
	    {"tuesday", "tue", "tues", "tuesdays"},
	    {"wednesday", "wed", "wednesdays", NULL},
	    {"thursday", "thu", "thur", "thurs"},
	    {"friday", "fri", "fridays", NULL},
	    {"saturday", "sat", "saturdays", NULL},
	};
	int d, k;

	for (d = 0; d < 7; d++)
		for (k = 0; k < 4 && names[d][k]; k++)
			if (strcmp(w, names[d][k]) == 0)
				return d;
	if (strcmp(w, "thursdays") == 0)
		return 4;
	return -1;
}

static int
month_of(const char *w)
{
	static const char *const shortn[] = {"jan", "feb", "mar", "apr", "may",
	    "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
	int m;
	size_t len = strlen(w);

	for (m = 0; m < 12; m++) {
		char full[16];
		size_t k;

		for (k = 0; month_names[m][k]; k++)
			full[k] =
			    (char)tolower((unsigned char)month_names[m][k]);
		full[k] = '\0';
		if (strcmp(w, shortn[m]) == 0 || strcmp(w, full) == 0 ||
		    (strcmp(w, "sept") == 0 && m == 8) ||
		    (len == 4 && w[3] == '.' && strncmp(w, shortn[m], 3) == 0))
			return m + 1;
	}
	return -1;
}

/* "1", "1st", "22nd", "3rd", "15th": the number, or -1. */
static int
day_number(const char *w, int need_suffix)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)w[0]))
		return -1;
	v = strtol(w, &end, 10);
	if (*end != '\0') {
		if (strcmp(end, "st") && strcmp(end, "nd") &&
		    strcmp(end, "rd") && strcmp(end, "th"))
			return -1;
	} else if (need_suffix) {
		return -1;
	}
	if (end - w > 2)
		return -1;
	return (int)v;
}

/* "first".."fourth", "1st".."4th", "last" (-1); 0 when not one. */
static int
ordinal_of(const char *w)
{
	static const char *const words[] = {
	    "first", "second", "third", "fourth", "fifth"};
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(w, words[i]) == 0)
			return i + 1;
	if (strcmp(w, "last") == 0)
		return -1;
	i = day_number(w, 1);
	return i >= 1 && i <= 5 ? i : 0;
}

/* Small counts people type as words. */
static int
count_of(const char *w, double *v)
{
	static const char *const words[] = {"zero", "one", "two", "three",
	    "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
	    "twelve"};
	char *end;
	int i;

	if (strcmp(w, "a") == 0 || strcmp(w, "an") == 0) {
		*v = 1;
		return 0;
	}
	for (i = 0; i < 13; i++)
		if (strcmp(w, words[i]) == 0) {
			*v = i;
			return 0;
		}
	if (strcmp(w, "fifteen") == 0 || strcmp(w, "twenty") == 0 ||
	    strcmp(w, "thirty") == 0) {
		*v = w[1] == 'i' ? 15 : w[1] == 'w' ? 20 : 30;
		return 0;
	}
	if (!(isdigit((unsigned char)w[0]) || w[0] == '-' || w[0] == '.'))
		return -1;
	*v = strtod(w, &end);
	return *end == '\0' ? 0 : -1;
}

/* Milliseconds in one unit, or 0 when w is no unit. */
static long long
unit_of(const char *w)
{
	static const struct {
		const char *name;
		long long ms;
	} units[] = {
	    {"s", 1000},
	    {"sec", 1000},
	    {"secs", 1000},
	    {"second", 1000},
	    {"seconds", 1000},
	    {"m", 60000},
	    {"min", 60000},
	    {"mins", 60000},
	    {"minute", 60000},
	    {"minutes", 60000},
	    {"h", 3600000},
	    {"hr", 3600000},
	    {"hrs", 3600000},
	    {"hour", 3600000},
	    {"hours", 3600000},
	    {"d", 86400000},
	    {"day", 86400000},
	    {"days", 86400000},
	    {"w", 7 * 86400000LL},
	    {"wk", 7 * 86400000LL},
	    {"wks", 7 * 86400000LL},
	    {"week", 7 * 86400000LL},
	    {"weeks", 7 * 86400000LL},
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(w, units[i].name) == 0)
			return units[i].ms;
	return 0;
}

/* --- zones ------------------------------------------------------------------
 */

static const char *
zone_alias(const char *w)
{
	static const char *const aliases[][2] = {
	    {"pt", "America/Los_Angeles"},
	    {"pst", "America/Los_Angeles"},
	    {"pdt", "America/Los_Angeles"},
	    {"mt", "America/Denver"},
	    {"mst", "America/Denver"},
	    {"mdt", "America/Denver"},
	    {"ct", "America/Chicago"},
	    {"cst", "America/Chicago"},
	    {"cdt", "America/Chicago"},
	    {"et", "America/New_York"},
	    {"est", "America/New_York"},
	    {"edt", "America/New_York"},
	    {"utc", "UTC"},
	    {"gmt", "UTC"},
	    {"z", "UTC"},
	    {"cet", "Europe/Berlin"},
	    {"cest", "Europe/Berlin"},
	    {"bst", "Europe/London"},
	};
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(w, aliases[i][0]) == 0)
			return aliases[i][1];
	return NULL;
}

static int
parse_zone(struct parser *p, int i, const char *text)
{
	const char *z = zone_alias(p->t[i].w);
	size_t len = p->t[i].end - p->t[i].off;

	if (z == NULL && strchr(p->t[i].w, '/') != NULL &&
	    isalpha((unsigned char)p->t[i].w[0])) {
		if (len >= sizeof(p->zone_buf))
			return fail(p, "unknown time zone \"%.*s\"", 60,
			    text + p->t[i].off);
		memcpy(p->zone_buf, text + p->t[i].off, len);
		p->zone_buf[len] = '\0';
		if (p->t[i].comma)
			p->zone_buf[len - 1] = '\0';
		if (!recur_zone_valid(p->zone_buf))
			return fail(p,
			    "unknown time zone \"%s\" (an IANA name such as "
			    "Europe/Berlin, or PT, ET, UTC)",
			    p->zone_buf);
		z = p->zone_buf;
	}
	if (z == NULL)
		return 0;
	if (p->zone != NULL)
		return fail(p, "the phrase names two time zones");
	p->zone = z;
	return 1;
}

/* --- durations ---------------------------------------------------------------
 */

/* A span of time ahead.  Days and weeks are counted on the calendar
 * ("in 2 days" keeps the time of day across a DST change); hours and
 * smaller are exact. */
struct span {
	long long days, ms;
};

static void
span_add(struct span *sp, double v, long long unit)
{
	if (unit >= 86400000 && v == (double)(long long)v)
		sp->days += (long long)v * (unit / 86400000);
	else
		sp->ms += (long long)(v * (double)unit);
}

/* "1h30m", "90m", "2h", "45s": 1 and the value, 0 when not this form,
 * -1 on a bad unit inside it. */
static int
compact_duration(struct parser *p, const char *w, struct span *sp)
{
	const char *s = w;
	struct span total = {0, 0};
	int parts = 0;

	if (!isdigit((unsigned char)*s))
		return 0;
	while (*s != '\0') {
		char unit[8];
		size_t k = 0;
		long long u;
		long v;
		char *end;

		if (!isdigit((unsigned char)*s))
			return 0;
		v = strtol(s, &end, 10);
		s = end;
		while (isalpha((unsigned char)*s) && k < sizeof(unit) - 1)
			unit[k++] = *s++;
		unit[k] = '\0';
		if (k == 0)
			return 0;
		u = unit_of(unit);
		if (u == 0)
			return parts > 0 ? fail(p,
					       "\"%s\" is not a duration "
					       "(e.g. 1h30m, 90m, 2d)",
					       w)
					 : 0;
		if (v > 100000)
			return fail(p, "\"%s\" is too far ahead", w);
		span_add(&total, (double)v, u);
		parts++;
	}
	*sp = total;
	return 1;
}

/* One group at i ("10 minutes", "1.5 hours", "half an hour", "1h30m").
 * Tokens used, 0 when none.  strict: a number without a unit is an
 * error (right after "in"); otherwise it just ends the duration. */
static int
duration_group(struct parser *p, int i, struct span *sp, int strict)
{
	long long u;
	double v;
	int used, extra = 0;

	if (i >= p->n)
		return 0;
	sp->days = sp->ms = 0;
	used = compact_duration(p, p->t[i].w, sp);
	if (used != 0)
		return used;
	if (is(p, i, "half") && is(p, i + 1, "an") && is(p, i + 2, "hour")) {
		sp->ms = 1800000;
		return 3;
	}
	if (count_of(p->t[i].w, &v) < 0)
		return 0;
	if (i + 1 >= p->n) {
		if (!strict)
			return 0;
		return fail(p,
		    "\"in %s\" what? Say minutes, hours, days or "
		    "weeks",
		    p->t[i].w);
	}
	u = unit_of(p->t[i + 1].w);
	if (u == 0 && is(p, i + 1, "and") && is(p, i + 2, "a") &&
	    is(p, i + 3, "half") && i + 4 < p->n) {
		u = unit_of(p->t[i + 4].w);
		v += 0.5;
		extra = 3;
	}
	if (u == 0) {
		if (!strict)
			return 0;
		return fail(p,
		    "\"%s\" is not a unit of time: minutes, hours, days or "
		    "weeks",
		    p->t[i + 1].w);
	}
	if (v < 0 || v > 100000)
		return fail(p, "\"%s %s\" is not a time ahead", p->t[i].w,
		    p->t[i + 1].w);
	span_add(sp, v, u);
	return 2 + extra;
}

/* A duration at i: "10 minutes", "1 hour and 30 minutes", "2h 15m".
 * Tokens used, 0 if none, -1 on error. */
static int
parse_duration(struct parser *p, int i, struct span *sp)
{
	int start = i, used;
	struct span one;

	sp->days = sp->ms = 0;
	used = duration_group(p, i, &one, 1);
	if (used <= 0)
		return used;
	for (;;) {
		sp->days += one.days;
		sp->ms += one.ms;
		i += used;
		if (i < p->n && p->t[i - 1].comma)
			break;
		if (is(p, i, "and") &&
		    (used = duration_group(p, i + 1, &one, 0)) > 0) {
			i++;
			continue;
		}
		used = duration_group(p, i, &one, 0);
		if (used <= 0)
			break;
	}
	return i - start;
}

/* --- times of day ------------------------------------------------------------
 */

/* A time at i ("15:00", "3pm", "3 pm", "9:30am", "noon"; a bare hour
 * only when bare_hour).  Tokens used, 0 when none, -1 on error. */
static int
parse_time(struct parser *p, int i, int bare_hour)
{
	const char *w;
	char *end;
	long h, m = 0;
	int used = 1, ampm = 0, colon = 0;

	if (i >= p->n)
		return 0;
	w = p->t[i].w;
	if (strcmp(w, "noon") == 0 || strcmp(w, "midday") == 0) {
		p->hour = 12, p->min = 0;
		goto done;
	}
	if (strcmp(w, "midnight") == 0) {
		p->hour = 0, p->min = 0;
		goto done;
	}
	if (!isdigit((unsigned char)w[0]))
		return 0;
	h = strtol(w, &end, 10);
	if (end - w > 2)
		return 0;
	if (*end == ':' || (*end == '.' && isdigit((unsigned char)end[1]))) {
		const char *ms = end + 1;

		if (!isdigit((unsigned char)ms[0]) ||
		    !isdigit((unsigned char)ms[1]))
			return fail(p, "\"%s\" is not a time of day", w);
		m = (ms[0] - '0') * 10 + (ms[1] - '0');
		end = (char *)ms + 2;
		colon = 1;
	}
	if (strcmp(end, "am") == 0 || strcmp(end, "a.m.") == 0)
		ampm = 1;
	else if (strcmp(end, "pm") == 0 || strcmp(end, "p.m.") == 0)
		ampm = 2;
	else if (*end != '\0')
		return 0;
	if (ampm == 0 && i + 1 < p->n) {
		const char *n = p->t[i + 1].w;

		if (strcmp(n, "am") == 0 || strcmp(n, "a.m.") == 0)
			ampm = 1, used = 2;
		else if (strcmp(n, "pm") == 0 || strcmp(n, "p.m.") == 0)
			ampm = 2, used = 2;
	}
	if (ampm == 0 && !colon && !bare_hour)
		return 0;
	if (ampm != 0 && (h < 1 || h > 12))
		return fail(p, "\"%s%s%s\" is not a time of day", w,
		    used == 2 ? " " : "", used == 2 ? p->t[i + 1].w : "");
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return fail(
		    p, "\"%s\" is not a time of day (00:00 to 23:59)", w);
	if (ampm == 1 && h == 12)
		h = 0;
	else if (ampm == 2 && h != 12)
		h += 12;
	p->hour = (int)h;
	p->min = (int)m;
done:
	if (p->have_time)
		return fail(p, "the phrase gives the time of day twice");
	p->have_time = 1;
	return used;
}

/* --- days and dates --------------------------------------------------------
 */

static int
set_day(struct parser *p, enum day_kind k)
{
	if (p->day != DAY_NONE || p->freq != F_NONE || p->have_dur)
		return fail(p, "the phrase gives the day twice");
	p->day = k;
	return 0;
}

static int
valid_date(int y, int mo, int d)
{
	static const int mdays[] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return 0;
	if (y != 0 && mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 0;
	return 1;
}

static int
year_of(const char *w)
{
	char *end;
	long v;

	if (strlen(w) != 4 || !isdigit((unsigned char)w[0]))
		return -1;
	v = strtol(w, &end, 10);
	return *end == '\0' && v >= 1970 && v <= 9999 ? (int)v : -1;
}

/* A calendar date at i: "2026-12-01", "Dec 1", "December 1st, 2026",
 * "1 Dec", "1st of December", "the 15th".  Tokens used, 0, or -1. */
static int
parse_date(struct parser *p, int i)
{
	const char *w;
	int y = 0, mo, d, used = 0, k;

	if (i >= p->n)
		return 0;
	w = p->t[i].w;
	if (strlen(w) == 10 && w[4] == '-' && w[7] == '-') {
		if (sscanf(w, "%4d-%2d-%2d", &y, &mo, &d) != 3 ||
		    !valid_date(y, mo, d) || y < 1970)
			return fail(p, "\"%s\" is not a date", w);
		used = 1;
		goto found;
	}
	if (strchr(w, '/') != NULL && isdigit((unsigned char)w[0]) &&
	    isdigit((unsigned char)w[strlen(w) - 1]))
		return fail(p,
		    "\"%s\" could be read two ways: write 2026-12-01 or Dec 1",
		    w);
	mo = month_of(w);
	if (mo > 0 && i + 1 < p->n) {
		d = day_number(p->t[i + 1].w, 0);
		if (d < 0)
			return 0;
		used = 2;
		if (i + 2 < p->n && (y = year_of(p->t[i + 2].w)) > 0)
			used = 3;
		else
			y = 0;
		goto check;
	}
	k = i;
	if (strcmp(w, "the") == 0)
		k++;
	if (k >= p->n)
		return 0;
	d = day_number(p->t[k].w, k > i);
	if (d < 0)
		return 0;
	if (is(p, k + 1, "of") && k + 2 < p->n && month_of(p->t[k + 2].w) > 0)
		k++;
	if (k + 1 < p->n && (mo = month_of(p->t[k + 1].w)) > 0) {
		used = k + 2 - i;
		if (i + used < p->n && (y = year_of(p->t[i + used].w)) > 0)
			used++;
		else
			y = 0;
		goto check;
	}
	if (k == i)
		return 0; /* a bare number is not a date */
	/* "the 15th [of the month]" */
	if (d < 1 || d > 31)
		return fail(
		    p, "\"the %s\" is not a day of the month", p->t[k].w);
	used = k + 1 - i;
	if (is(p, i + used, "of") && is(p, i + used + 1, "the") &&
	    is(p, i + used + 2, "month"))
		used += 3;
	if (set_day(p, DAY_MONTHDAY) < 0)
		return -1;
	p->d = d;
	return used;
check:
	if (!valid_date(y, mo, d))
		return fail(p, "%s %d%s is not a date", month_names[mo - 1], d,
		    y ? "" : "");
found:
	if (set_day(p, DAY_DATE) < 0)
		return -1;
	p->y = y;
	p->mo = mo;
	p->d = d;
	return used;
}

/* --- repetitions -------------------------------------------------------------
 */

static void
desc_weekdays(struct parser *p, const char *prefix)
{
	int d, n = 0, count = 0;
	size_t len;

	for (d = 0; d < 7; d++)
		if (p->wmask & (1 << d))
			count++;
	snprintf(p->desc, sizeof(p->desc), "%s", prefix);
	for (d = 1; d <= 7; d++) {
		int dd = d % 7;

		if (!(p->wmask & (1 << dd)))
			continue;
		len = strlen(p->desc);
		snprintf(p->desc + len, sizeof(p->desc) - len, "%s%s",
		    n == 0           ? ""
		    : n == count - 1 ? " and "
				     : ", ",
		    wday_names[dd]);
		n++;
	}
}

/* Weekday list at i: "Monday", "Mon, Wed and Fri", "tuesday & thursday". */
static int
parse_weekday_list(struct parser *p, int i)
{
	int start = i, d;

	while (i < p->n && (d = weekday_of(p->t[i].w)) >= 0) {
		p->wmask |= 1 << d;
		i++;
		if ((is(p, i, "and") || is(p, i, "&") || p->t[i - 1].comma) &&
		    i + (p->t[i - 1].comma && !is(p, i, "and") && !is(p, i, "&")
				? 0
				: 1) <
			p->n) {
			int j = p->t[i - 1].comma && !is(p, i, "and") &&
					!is(p, i, "&")
				    ? i
				    : i + 1;

			if (weekday_of(p->t[j].w) >= 0)
				i = j;
		}
	}
	return i - start;
}

/* "1st Monday", "last Friday" [of the month]. */
static int
parse_nth_weekday(struct parser *p, int i)
{
	int nth, d, used;

	if (i + 1 >= p->n)
		return 0;
	nth = ordinal_of(p->t[i].w);
	d = weekday_of(p->t[i + 1].w);
	if (nth == 0 || d < 0)
		return 0;
	if (nth == 5)
		return fail(p,
		    "not every month has a fifth %s: say \"every last %s\"",
		    wday_names[d], wday_names[d]);
	p->nth = nth;
	p->wmask = 1 << d;
	used = 2;
	if (is(p, i + 2, "of") &&
	    (is(p, i + 3, "the") || is(p, i + 3, "every") ||
		is(p, i + 3, "each")) &&
	    is(p, i + 4, "month"))
		used += 3;
	return used;
}

static const char *
ordinal_word(int n)
{
	static const char *const words[] = {
	    "", "first", "second", "third", "fourth"};

	return n == -1 ? "last" : words[n];
}

static const char *
day_suffix(int d)
{
	if (d % 10 == 1 && d != 11)
		return "st";
	if (d % 10 == 2 && d != 12)
		return "nd";
	if (d % 10 == 3 && d != 13)
		return "rd";
	return "th";
}

/* After "every" (at i). */
static int
parse_every(struct parser *p, int i)
{
	int start = i - 1, used, d;
	double v;
	long long u;

	if (p->freq != F_NONE || p->day != DAY_NONE || p->have_dur)
		return fail(p, "the phrase gives the day twice");
	p->interval = 1;
	if (i >= p->n)
		return fail(p, "\"every\" what? e.g. every day, every Monday, "
			       "every 1st Monday");
	if (is(p, i, "other")) {
		p->interval = 2;
		i++;
	} else if (count_of(p->t[i].w, &v) == 0 && i + 1 < p->n &&
		   unit_of(p->t[i + 1].w) == 0 &&
		   strncmp(p->t[i + 1].w, "month", 5) != 0 &&
		   strncmp(p->t[i + 1].w, "year", 4) != 0) {
		/* "every 15th" / "every 1st Monday" are handled below. */
		if (weekday_of(p->t[i + 1].w) >= 0)
			return fail(p, "say \"every %s weeks on %s\"",
			    p->t[i].w, p->t[i + 1].w);
	} else if (count_of(p->t[i].w, &v) == 0 && i + 1 < p->n) {
		if (v < 1 || v > 99 || v != (int)v)
			return fail(p, "\"every %s %s\" is not a repetition",
			    p->t[i].w, p->t[i + 1].w);
		p->interval = (int)v;
		i++;
	}
	if (i >= p->n)
		return fail(p, "\"every\" what? e.g. every day, every Monday");
	u = unit_of(p->t[i].w);
	if (u != 0 && u < 86400000)
		return fail(p,
		    "reminders repeat at most once a day, not "
		    "every %s",
		    p->t[i].w);
	if (u == 86400000 || is(p, i, "day")) {
		p->freq = F_DAILY;
		i++;
		if (p->interval == 1)
			snprintf(p->desc, sizeof(p->desc), "every day");
		else
			snprintf(p->desc, sizeof(p->desc), "every %d days",
			    p->interval);
		return i - start;
	}
	if (is(p, i, "weekday") || is(p, i, "weekdays") ||
	    (is(p, i, "working") && is(p, i + 1, "day"))) {
		if (p->interval != 1)
			return fail(p, "say \"every weekday\" without a count");
		p->freq = F_WEEKLY;
		p->wmask = 0x3e;
		snprintf(p->desc, sizeof(p->desc), "every weekday");
		return i + (is(p, i, "working") ? 2 : 1) - start;
	}
	if (is(p, i, "weekend")) {
		p->freq = F_WEEKLY;
		p->wmask = 0x41;
		snprintf(p->desc, sizeof(p->desc), "every Saturday and Sunday");
		return i + 1 - start;
	}
	if (u == 7 * 86400000LL) {
		p->freq = F_WEEKLY;
		i++;
		if (is(p, i, "on") && i + 1 < p->n &&
		    weekday_of(p->t[i + 1].w) >= 0)
			i += 1 + parse_weekday_list(p, i + 1);
		if (p->wmask)
			desc_weekdays(
			    p, p->interval == 2 ? "every other " : "every ");
		else
			snprintf(p->desc, sizeof(p->desc), "every %d weeks",
			    p->interval);
		if (p->interval > 2 && p->wmask) {
			char tmp[WHEN_DESC_MAX];

			snprintf(tmp, sizeof(tmp), "%s", p->desc + 6);
			text_printf(p->desc, sizeof(p->desc),
			    "every %d weeks on %s", p->interval, tmp);
		}
		if (p->interval == 1 && !p->wmask)
			snprintf(p->desc, sizeof(p->desc), "every week");
		return i - start;
	}
	if (weekday_of(p->t[i].w) >= 0) {
		p->freq = F_WEEKLY;
		i += parse_weekday_list(p, i);
		if (p->interval > 2)
			return fail(p, "say \"every %d weeks on %s\"",
			    p->interval, p->t[i - 1].w);
		desc_weekdays(p, p->interval == 2 ? "every other " : "every ");
		return i - start;
	}
	if (is(p, i, "month") || is(p, i, "months")) {
		p->freq = F_MONTHLY;
		i++;
		if (is(p, i, "on")) {
			int k = i + 1;

			if (is(p, k, "the"))
				k++;
			used = parse_nth_weekday(p, k);
			if (used < 0)
				return -1;
			if (used == 0) {
				d = day_number(k < p->n ? p->t[k].w : "", 0);
				if (d < 1 || d > 31)
					return fail(p, "\"every month on\" "
						       "wants a day: the 15th, "
						       "the first Monday");
				p->mday = d;
				used = 1;
			}
			i = k + used;
		}
		goto monthly_desc;
	}
	used = parse_nth_weekday(p, i);
	if (used < 0)
		return -1;
	if (used > 0) {
		p->freq = F_MONTHLY;
		i += used;
		goto monthly_desc;
	}
	d = day_number(p->t[i].w, 1);
	if (d >= 1) {
		if (d > 31)
			return fail(
			    p, "\"%s\" is not a day of the month", p->t[i].w);
		p->freq = F_MONTHLY;
		p->mday = d;
		i++;
		if (is(p, i, "of") && is(p, i + 1, "the") &&
		    is(p, i + 2, "month"))
			i += 3;
		goto monthly_desc;
	}
	if (is(p, i, "year") || is(p, i, "years")) {
		int save_y, save_mo, save_d;
		enum day_kind save_day = p->day;

		p->freq = F_YEARLY;
		i++;
		if (!is(p, i, "on"))
			return fail(p, "\"every year\" wants a date: every "
				       "year on Dec 1");
		/* Borrow the date reader; the day stays unset. */
		save_y = p->y, save_mo = p->mo, save_d = p->d;
		p->freq = F_NONE;
		used = parse_date(p, i + 1);
		p->freq = F_YEARLY;
		if (used <= 0 || p->day != DAY_DATE || p->y != 0)
			return used < 0 ? -1
					: fail(p, "\"every year on\" wants a "
						  "day and month: Dec 1");
		p->ymonth = p->mo;
		p->mday = p->d;
		p->day = save_day;
		p->y = save_y, p->mo = save_mo, p->d = save_d;
		snprintf(p->desc, sizeof(p->desc), "every year on %s %d",
		    month_names[p->ymonth - 1], p->mday);
		return i + 1 + used - start;
	}
	return fail(p,
	    "\"every %s\" is not a repetition I know: every day, every "
	    "weekday, every Monday, every 1st Monday, every month on the 15th",
	    p->t[i].w);
monthly_desc:
	if (p->nth != 0) {
		int wd = __builtin_ctz((unsigned)p->wmask);

		snprintf(p->desc, sizeof(p->desc), "every %s %s of the month",
		    ordinal_word(p->nth), wday_names[wd]);
	} else if (p->mday) {
		snprintf(p->desc, sizeof(p->desc), "every month on the %d%s",
		    p->mday, day_suffix(p->mday));
	} else {
		snprintf(p->desc, sizeof(p->desc), "every month");
	}
	if (p->interval > 1) {
		char tmp[WHEN_DESC_MAX];

		text_printf(tmp, sizeof(tmp), "%s (every %d months)", p->desc,
		    p->interval);
		snprintf(p->desc, sizeof(p->desc), "%s", tmp);
	}
	return i - start;
}

/* --- the phrase ------------------------------------------------------------
 */

/* One phrase part at i: tokens used, 0 when the word starts none. */
static int
parse_part(struct parser *p, int i, const char *text)
{
	const char *w = p->t[i].w;
	int used, d;

	if (strcmp(w, "in") == 0) {
		struct span sp;

		used = parse_duration(p, i + 1, &sp);
		if (used < 0)
			return -1;
		if (used == 0)
			return fail(p, "\"in\" wants a duration: in 10 "
				       "minutes, in 2 hours, in 1h30m");
		if (p->have_dur || p->day != DAY_NONE || p->freq != F_NONE)
			return fail(p, "the phrase gives the day twice");
		if (sp.ms < 0 || sp.days < 0 || (sp.ms == 0 && sp.days == 0))
			return fail(p,
			    "\"in %s\" is not ahead: the time must "
			    "be in the future",
			    p->t[i + 1].w);
		if (sp.days > WHEN_MAX_AHEAD_DAYS ||
		    sp.ms > WHEN_MAX_AHEAD_DAYS * 86400000LL)
			return fail(p, "that is too far ahead: reminders go at "
				       "most five years out");
		p->have_dur = 1;
		p->dur_ms = sp.ms;
		p->dur_days = sp.days;
		return used + 1;
	}
	if (strcmp(w, "at") == 0) {
		used = parse_time(p, i + 1, 1);
		if (used < 0)
			return -1;
		if (used == 0)
			return fail(p,
			    "\"at %s\" is not a time of day: at 15:00, at "
			    "3pm, at 9:30am, at noon",
			    i + 1 < p->n ? p->t[i + 1].w : "");
		return used + 1;
	}
	used = parse_time(p, i, 0);
	if (used != 0)
		return used;
	if (strcmp(w, "every") == 0) {
		used = parse_every(p, i + 1);
		return used < 0 ? -1 : used;
	}
	if (strcmp(w, "daily") == 0 || strcmp(w, "weekly") == 0 ||
	    strcmp(w, "monthly") == 0) {
		if (p->freq != F_NONE || p->day != DAY_NONE || p->have_dur)
			return fail(p, "the phrase gives the day twice");
		p->interval = 1;
		p->freq = w[0] == 'd'   ? F_DAILY
			  : w[0] == 'w' ? F_WEEKLY
					: F_MONTHLY;
		snprintf(p->desc, sizeof(p->desc), "%s", w);
		return 1;
	}
	if (strcmp(w, "today") == 0 || strcmp(w, "tonight") == 0 ||
	    strcmp(w, "tomorrow") == 0 || strcmp(w, "tmrw") == 0 ||
	    strcmp(w, "eod") == 0) {
		if (set_day(p, w[0] == 'e'   ? DAY_EOD
			       : w[2] == 'd' ? DAY_TODAY
			       : w[2] == 'n' ? DAY_TONIGHT
					     : DAY_TOMORROW) < 0)
			return -1;
		return 1;
	}
	if (strcmp(w, "yesterday") == 0 || strcmp(w, "ago") == 0 ||
	    strcmp(w, "last") == 0)
		return fail(p,
		    "\"%s\" is in the past: a reminder needs a time "
		    "ahead",
		    w);
	if (strcmp(w, "end") == 0 && is(p, i + 1, "of") &&
	    (is(p, i + 2, "day") || is(p, i + 2, "the"))) {
		if (set_day(p, DAY_EOD) < 0)
			return -1;
		return is(p, i + 2, "the") && is(p, i + 3, "day") ? 4 : 3;
	}
	if (strcmp(w, "next") == 0 || strcmp(w, "this") == 0) {
		if (i + 1 >= p->n)
			return 0;
		d = weekday_of(p->t[i + 1].w);
		if (d >= 0) {
			if (set_day(p, w[0] == 'n' ? DAY_NEXT_WEEKDAY
						   : DAY_WEEKDAY) < 0)
				return -1;
			p->wday = d;
			return 2;
		}
		if (w[0] == 'n' && is(p, i + 1, "week")) {
			if (set_day(p, DAY_NEXT_WEEK) < 0)
				return -1;
			return 2;
		}
		if (w[0] == 'n' && is(p, i + 1, "month")) {
			if (set_day(p, DAY_NEXT_MONTH) < 0)
				return -1;
			return 2;
		}
		if (w[0] == 't' &&
		    (is(p, i + 1, "evening") || is(p, i + 1, "afternoon"))) {
			if (set_day(p, DAY_TODAY) < 0)
				return -1;
			if (!p->have_time) {
				p->hour = p->t[i + 1].w[0] == 'e' ? 18 : 14;
				p->min = 0;
				p->have_time = 1;
			}
			return 2;
		}
		return 0;
	}
	if (strcmp(w, "on") == 0) {
		if (i + 1 < p->n && (d = weekday_of(p->t[i + 1].w)) >= 0) {
			if (set_day(p, DAY_WEEKDAY) < 0)
				return -1;
			p->wday = d;
			return 2;
		}
		used = parse_date(p, i + 1);
		if (used < 0)
			return -1;
		if (used == 0)
			return fail(p,
			    "\"on %s\" is not a day: on Friday, on "
			    "Dec 1, on 2026-12-01",
			    i + 1 < p->n ? p->t[i + 1].w : "");
		return used + 1;
	}
	if ((d = weekday_of(w)) >= 0) {
		if (set_day(p, DAY_WEEKDAY) < 0)
			return -1;
		p->wday = d;
		return 1;
	}
	used = parse_date(p, i);
	if (used != 0)
		return used;
	return parse_zone(p, i, text);
}

/* --- resolving -------------------------------------------------------------
 */

static int
days_in_month(int y, int mo)
{
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (mo == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return mdays[mo - 1];
}

/* Adds n days to a local date (the time fields are kept). */
static void
add_days(struct recur_local *l, int n)
{
	while (n > 0) {
		l->wday = (l->wday + 1) % 7;
		if (++l->day > days_in_month(l->year, l->month)) {
			l->day = 1;
			if (++l->month > 12) {
				l->month = 1;
				l->year++;
			}
		}
		n--;
	}
}

static int
rule_matches(const struct parser *p, const struct recur_local *l)
{
	switch (p->freq) {
	case F_DAILY:
		return 1;
	case F_WEEKLY:
		return (p->wmask & (1 << l->wday)) != 0;
	case F_MONTHLY:
		if (p->nth > 0)
			return (p->wmask & (1 << l->wday)) &&
			       (l->day - 1) / 7 + 1 == p->nth;
		if (p->nth == -1)
			return (p->wmask & (1 << l->wday)) &&
			       l->day + 7 > days_in_month(l->year, l->month);
		return l->day == p->mday;
	case F_YEARLY:
		return l->month == p->ymonth && l->day == p->mday;
	default:
		return 0;
	}
}

static void
build_rrule(struct parser *p, struct when *w)
{
	static const char *const freqs[] = {
	    "", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"};
	size_t len;
	int d, first = 1;

	snprintf(w->rrule, sizeof(w->rrule), "FREQ=%s", freqs[p->freq]);
	len = strlen(w->rrule);
	if (p->interval > 1)
		len += (size_t)snprintf(w->rrule + len, sizeof(w->rrule) - len,
		    ";INTERVAL=%d", p->interval);
	if (p->freq == F_YEARLY)
		len += (size_t)snprintf(w->rrule + len, sizeof(w->rrule) - len,
		    ";BYMONTH=%d", p->ymonth);
	if (p->mday)
		len += (size_t)snprintf(w->rrule + len, sizeof(w->rrule) - len,
		    ";BYMONTHDAY=%d", p->mday);
	if (p->wmask) {
		len += (size_t)snprintf(
		    w->rrule + len, sizeof(w->rrule) - len, ";BYDAY=");
		for (d = 1; d <= 7; d++) {
			if (!(p->wmask & (1 << (d % 7))))
				continue;
			if (p->nth != 0)
				len += (size_t)snprintf(w->rrule + len,
				    sizeof(w->rrule) - len, "%d", p->nth);
			len += (size_t)snprintf(w->rrule + len,
			    sizeof(w->rrule) - len, "%s%s", first ? "" : ",",
			    wday_ical[d % 7]);
			first = 0;
		}
	}
}

static int
resolve_repeat(struct parser *p, const struct recur_local *now_l,
    long long now_ms, struct when *w)
{
	struct recur_local l = *now_l;
	long long ms;
	int i;

	if (!p->have_time)
		p->hour = WHEN_DEFAULT_HOUR, p->min = 0;
	l.hour = p->hour;
	l.min = p->min;
	l.sec = 0;
	/* A rule without its day takes today's: "every week" is this
	 * weekday, "every month" this day of the month. */
	if (p->freq == F_WEEKLY && p->wmask == 0)
		p->wmask = 1 << now_l->wday;
	if (p->freq == F_MONTHLY && p->nth == 0 && p->mday == 0)
		p->mday = now_l->day;
	for (i = 0; i < WHEN_SEARCH_DAYS; i++, add_days(&l, 1)) {
		if (!rule_matches(p, &l))
			continue;
		if (recur_from_local(w->tz, &l, &ms) < 0 || ms <= now_ms)
			continue;
		break;
	}
	if (i == WHEN_SEARCH_DAYS)
		return fail(p, "\"%s\" never comes round", p->desc);
	w->kind = WHEN_REPEAT;
	w->at_ms = ms;
	snprintf(w->dtstart, sizeof(w->dtstart), "%04d-%02d-%02dT%02d:%02d:00",
	    l.year, l.month, l.day, l.hour, l.min);
	build_rrule(p, w);
	text_printf(w->desc, sizeof(w->desc), "%s at %02d:%02d", p->desc,
	    p->hour, p->min);
	return 0;
}

static int
resolve_once(struct parser *p, const struct recur_local *now_l,
    long long now_ms, struct when *w)
{
	struct recur_local l = *now_l;
	long long ms;
	int i;

	if (p->have_dur) {
		add_days(&l, (int)p->dur_days);
		if (p->have_time) {
			if (p->dur_ms != 0)
				return fail(p, "give either a time ahead or a "
					       "time of day, not both");
			p->day = DAY_DATE;
			p->y = l.year, p->mo = l.month, p->d = l.day;
		} else {
			if (recur_from_local(w->tz, &l, &ms) < 0)
				return fail(
				    p, "that day cannot be read in %s", w->tz);
			/* Keep the seconds and milliseconds of now. */
			w->at_ms = ms + now_ms % 1000 + p->dur_ms;
			goto check;
		}
	}
	if (!p->have_time) {
		switch (p->day) {
		case DAY_NONE:
			return fail(p, "no day or time given");
		case DAY_TODAY:
			return fail(p, "\"today\" at what time? e.g. today at "
				       "5pm");
		case DAY_TONIGHT:
			p->hour = WHEN_TONIGHT_HOUR;
			break;
		case DAY_EOD:
			p->hour = WHEN_EOD_HOUR;
			break;
		default:
			p->hour = WHEN_DEFAULT_HOUR;
		}
		p->min = 0;
	}
	l.hour = p->hour;
	l.min = p->min;
	l.sec = 0;
	switch (p->day) {
	case DAY_NONE:
		if (recur_from_local(w->tz, &l, &ms) < 0 || ms <= now_ms)
			add_days(&l, 1);
		break;
	case DAY_TODAY:
	case DAY_TONIGHT:
	case DAY_EOD:
		break;
	case DAY_TOMORROW:
		add_days(&l, 1);
		break;
	case DAY_WEEKDAY:
	case DAY_NEXT_WEEKDAY:
		if (p->day == DAY_NEXT_WEEKDAY || l.wday != p->wday ||
		    recur_from_local(w->tz, &l, &ms) < 0 || ms <= now_ms)
			add_days(&l, 1);
		while (l.wday != p->wday)
			add_days(&l, 1);
		break;
	case DAY_NEXT_WEEK:
		add_days(&l, 1);
		while (l.wday != 1)
			add_days(&l, 1);
		break;
	case DAY_NEXT_MONTH:
		l.day = 1;
		if (++l.month > 12)
			l.month = 1, l.year++;
		break;
	case DAY_MONTHDAY:
		for (i = 0; i < 13; i++) {
			if (p->d <= days_in_month(l.year, l.month)) {
				l.day = p->d;
				if (recur_from_local(w->tz, &l, &ms) == 0 &&
				    ms > now_ms)
					break;
			}
			l.day = 1;
			if (++l.month > 12)
				l.month = 1, l.year++;
		}
		break;
	case DAY_DATE:
		l.month = p->mo;
		l.day = p->d;
		l.year = p->y ? p->y : now_l->year;
		if (p->y == 0 &&
		    (!valid_date(l.year, l.month, l.day) ||
			recur_from_local(w->tz, &l, &ms) < 0 || ms <= now_ms)) {
			l.year++;
			while (!valid_date(l.year, l.month, l.day))
				l.year++;
		}
		if (!valid_date(l.year, l.month, l.day))
			return fail(p, "%s %d, %d is not a date",
			    month_names[l.month - 1], l.day, l.year);
		break;
	}
	if (recur_from_local(w->tz, &l, &ms) < 0)
		return fail(p, "that day cannot be read in %s", w->tz);
	if (ms <= now_ms) {
		char when[64];

		snprintf(when, sizeof(when), "%04d-%02d-%02d %02d:%02d", l.year,
		    l.month, l.day, l.hour, l.min);
		return fail(p, "%s %s has already passed", when, w->tz);
	}
	w->at_ms = ms;
check:
	if (w->at_ms - now_ms > WHEN_MAX_AHEAD_DAYS * 86400000LL)
		return fail(p, "that is too far ahead: reminders go at most "
			       "five years out");
	w->kind = WHEN_ONCE;
	return 0;
}

int
when_parse(const char *text, long long now_ms, const char *tz, struct when *w,
    char *err, size_t errlen)
{
	struct parser *p;
	struct recur_local now_l;
	int i = 0, used, rc;

	memset(w, 0, sizeof(*w));
	if (errlen > 0)
		err[0] = '\0';
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->err = err;
	p->errlen = errlen;
	tokenize(p, text);
	while (i < p->n) {
		used = parse_part(p, i, text);
		if (used < 0) {
			free(p);
			return -1;
		}
		if (used == 0)
			break;
		i += used;
	}
	if (i == 0) {
		if (p->n == 0)
			rc = fail(p, "say when: a time and what to remind "
				     "about");
		else
			rc = fail(p, "cannot read a time in \"%s\"", p->t[0].w);
		free(p);
		return rc;
	}
	snprintf(w->tz, sizeof(w->tz), "%s",
	    p->zone ? p->zone : (tz && recur_zone_valid(tz) ? tz : "UTC"));
	if (recur_to_local(w->tz, now_ms, &now_l, NULL, 0) < 0) {
		rc = fail(p, "unknown time zone \"%s\"", w->tz);
		free(p);
		return rc;
	}
	if (p->freq != F_NONE)
		rc = resolve_repeat(p, &now_l, now_ms, w);
	else if (p->day == DAY_NONE && !p->have_time && !p->have_dur)
		rc = fail(p, "a time zone alone is not a time");
	else
		rc = resolve_once(p, &now_l, now_ms, w);
	if (rc == 0) {
		/* The text: after the phrase, without a joining word. */
		if (is(p, i, "to") || is(p, i, "that") || is(p, i, "about") ||
		    is(p, i, "-") || is(p, i, ":"))
			i++;
		w->what = i < p->n ? p->t[i].off : p->t[p->n - 1].end;
		while (text[w->what] == ' ' || text[w->what] == '\t' ||
		       text[w->what] == '\n')
			w->what++;
	}
	free(p);
	return rc;
}
