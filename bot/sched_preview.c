/*
 * `pmbot schedule`: what the scheduler would post in a window, computed
 * from the configuration alone (meeting reminders, rotation handoffs and
 * the triage deadlines before the meeting the triage rotation is tied
 * to), without Redis and without posting.  Each firing is shown in
 * UTC and in its own zone, as text, JSON or an iCalendar file, so an
 * operator can check a DST change before it happens.  Reminders set with
 * /remind live in Redis and are not part of the preview.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "calendar.h"
#include "clock.h"
#include "config.h"
#include "recur.h"
#include "rotation.h"
#include "scheduler.h"

/* Firings listed at most, whatever the window. */
#define PREVIEW_MAX 10000

struct item {
	long long at;
	const char *tz;
	const char *what;   /* "meeting", "handoff" or "deadline" */
	const char *source; /* meeting or rotation id */
	const char *sub;    /* reminder id, or "" */
	const char *channel;
	char *text;
};

struct list {
	struct item *v;
	size_t n, cap;
};

static void
add(struct list *l, const struct item *it)
{
	if (l->n >= PREVIEW_MAX)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = *it;
}

static int
by_time(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp(x->source, y->source);
}

static void
add_meetings(
    const struct config *cfg, long long from, long long to, struct list *l)
{
	size_t i, j;

	for (i = 0; i < cfg->nmeetings; i++) {
		const struct meeting *m = &cfg->meetings[i];

		for (j = 0; j < m->nreminders; j++) {
			const struct meeting_reminder *r = &m->reminders[j];
			long long at = from - 1, occ;
			struct item it;

			while (recur_reminder_next(m, r, at, &at, &occ) == 0 &&
			       at < to) {
				memset(&it, 0, sizeof(it));
				it.at = at;
				it.tz = m->timezone;
				it.what = "meeting";
				it.source = m->id;
				it.sub = r->id;
				it.channel = config_channel(cfg, m->channel);
				it.text = xstrdup(r->text);
				add(l, &it);
				if (l->n >= PREVIEW_MAX)
					return;
			}
		}
	}
}

static void
add_handoffs(
    const struct config *cfg, long long from, long long to, struct list *l)
{
	static const char *const days[] = {
	    "SU", "MO", "TU", "WE", "TH", "FR", "SA"};
	size_t i;

	for (i = 0; i < cfg->nrotations; i++) {
		const struct rotation_conf *r = &cfg->rotations[i];
		const char *tz = r->timezone ? r->timezone : cfg->timezone;
		char rule[32], start[48];
		long long at = from - 1;
		struct item it;
		struct buf text = BUF_INIT;

		if (r->handoff_weekday < 0 || r->handoff_weekday > 6)
			continue;
		snprintf(rule, sizeof(rule), "FREQ=WEEKLY;BYDAY=%s",
		    days[r->handoff_weekday]);
		/* 2023-01-01 was a Sunday. */
		snprintf(start, sizeof(start), "2023-01-%02dT%02d:%02d:00",
		    1 + r->handoff_weekday, r->handoff_hour, r->handoff_min);
		while (
		    recur_next(rule, start, tz, at, &at, 1) == 1 && at < to) {
			memset(&it, 0, sizeof(it));
			it.at = at;
			it.tz = tz;
			it.what = "handoff";
			it.source = r->name;
			it.sub = "";
			it.channel = config_channel(cfg, r->channel);
			buf_printf(&text, "%s rotation hands over", r->name);
			it.text = buf_detach(&text);
			add(l, &it);
			if (l->n >= PREVIEW_MAX)
				return;
		}
	}
}

/* The triage deadlines, from the same function that schedules their
 * jobs (handlers/request.c), so the preview and the firing agree. */
static void
add_deadlines(
    const struct config *cfg, long long from, long long to, struct list *l)
{
	static const char *const which[] = {"triage-eve", "triage-2h"};
	const struct meeting *m = request_triage_meeting(cfg);
	const struct rotation_conf *rc = config_rotation(cfg, "triage");
	struct buf text = BUF_INIT;
	struct item it;
	long long at;
	size_t i;

	if (m == NULL || rc == NULL)
		return;
	for (i = 0; i < 2; i++) {
		for (at = request_deadline_next(m, which[i], from - 1);
		     at > 0 && at < to;
		     at = request_deadline_next(m, which[i], at)) {
			memset(&it, 0, sizeof(it));
			it.at = at;
			it.tz = m->timezone;
			it.what = "deadline";
			it.source = rc->name;
			it.sub = which[i];
			/* A direct message to whoever is on duty then. */
			it.channel = "@on-duty";
			buf_printf(&text,
			    "unassigned requests to the PM on triage duty "
			    "before %s",
			    m->title);
			it.text = buf_detach(&text);
			add(l, &it);
			if (l->n >= PREVIEW_MAX)
				return;
		}
	}
}

/* "2027-03-09T16:00:00-08:00" */
static void
put_local_iso(struct buf *b, const char *tz, long long at)
{
	struct recur_local l, u;
	long long local_as_utc;
	int off;

	recur_to_local(tz, at, &l, NULL, 0);
	recur_to_local("UTC", at, &u, NULL, 0);
	(void)recur_from_local("UTC", &l, &local_as_utc);
	off = (int)((local_as_utc - at) / 60000);
	buf_printf(b, "%04d-%02d-%02dT%02d:%02d:00%c%02d:%02d", l.year, l.month,
	    l.day, l.hour, l.min, off < 0 ? '-' : '+', abs(off) / 60,
	    abs(off) % 60);
}

static void
put_utc(struct buf *b, long long at, const char *fmt)
{
	char s[32];
	time_t t = (time_t)(at / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), fmt, &tm);
	buf_puts(b, s);
}

static void
print_text(const struct list *l, struct buf *out)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct item *it = &l->v[i];

		put_utc(out, it->at, "%Y-%m-%d %H:%M UTC");
		buf_puts(out, "  ");
		recur_format(out, it->tz, it->at, 1);
		buf_printf(out, "  %s%s%s  %s%s  %s\n", it->source,
		    it->sub[0] ? "/" : "", it->sub,
		    it->channel[0] == '@' ? "" : "~", it->channel, it->text);
	}
	if (l->n == 0)
		buf_puts(out, "nothing would fire in this window\n");
}

static void
print_json(const struct list *l, struct buf *out)
{
	size_t i;

	buf_puts(out, "[");
	for (i = 0; i < l->n; i++) {
		const struct item *it = &l->v[i];

		buf_puts(out, i ? ",\n {" : "\n {");
		buf_puts(out, "\"utc\": \"");
		put_utc(out, it->at, "%Y-%m-%dT%H:%M:%SZ");
		buf_puts(out, "\", \"local\": \"");
		put_local_iso(out, it->tz, it->at);
		buf_puts(out, "\", \"zone\": ");
		buf_json_string(out, it->tz);
		buf_printf(out, ", \"kind\": \"%s\", \"id\": ", it->what);
		buf_json_string(out, it->source);
		buf_puts(out, ", \"reminder\": ");
		buf_json_string(out, it->sub);
		buf_puts(out, ", \"channel\": ");
		buf_json_string(out, it->channel);
		buf_puts(out, ", \"text\": ");
		buf_json_string(out, it->text);
		buf_puts(out, "}");
	}
	buf_puts(out, l->n ? "\n]\n" : "]\n");
}

static void
print_ics(const struct list *l, struct buf *out)
{
	struct buf line = BUF_INIT;
	long long now = clock_now_ms();
	size_t i;

	buf_puts(out,
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
	    "PRODID:-//pmbot//schedule//EN\r\nCALSCALE:GREGORIAN\r\n");
	for (i = 0; i < l->n; i++) {
		const struct item *it = &l->v[i];

		buf_puts(out, "BEGIN:VEVENT\r\n");
		buf_reset(&line);
		buf_printf(
		    &line, "UID:%s-%s-%s-", it->what, it->source, it->sub);
		put_utc(&line, it->at, "%Y%m%dT%H%M%SZ");
		buf_puts(&line, "@pmbot");
		ics_fold(out, &line);
		buf_reset(&line);
		buf_puts(&line, "DTSTAMP:");
		put_utc(&line, now, "%Y%m%dT%H%M%SZ");
		ics_fold(out, &line);
		buf_reset(&line);
		buf_puts(&line, "DTSTART:");
		put_utc(&line, it->at, "%Y%m%dT%H%M%SZ");
		ics_fold(out, &line);
		buf_reset(&line);
		buf_puts(&line, "SUMMARY:");
		ics_escape(&line, it->text);
		ics_fold(out, &line);
		buf_reset(&line);
		buf_puts(&line, "DESCRIPTION:");
		ics_escape(&line, it->source);
		if (it->sub[0]) {
			buf_puts(&line, "/");
			ics_escape(&line, it->sub);
		}
		buf_puts(&line, it->channel[0] == '@' ? " to " : " in ~");
		ics_escape(&line, it->channel);
		ics_fold(out, &line);
		buf_puts(out, "END:VEVENT\r\n");
	}
	buf_puts(out, "END:VCALENDAR\r\n");
	buf_free(&line);
}

int
schedule_command(
    const struct config *cfg, const char *from, int days, int format)
{
	const char *tz = cfg->timezone ? cfg->timezone : "UTC";
	struct recur_local l;
	struct list list = {NULL, 0, 0};
	struct buf out = BUF_INIT;
	long long start, end;
	char extra;
	size_t i;

	if (days < 1)
		days = 7;
	memset(&l, 0, sizeof(l));
	if (from == NULL) {
		recur_to_local(tz, clock_now_ms(), &l, NULL, 0);
		l.hour = l.min = l.sec = 0;
	} else if (sscanf(from, "%4d-%2d-%2d%c", &l.year, &l.month, &l.day,
		       &extra) != 3 ||
		   strlen(from) != 10) {
		fprintf(stderr, "pmbot: --from wants YYYY-MM-DD, not \"%s\"\n",
		    from);
		return 2;
	}
	if (recur_from_local(tz, &l, &start) < 0) {
		fprintf(stderr, "pmbot: --from \"%s\" is not a date\n",
		    from ? from : "today");
		return 2;
	}
	end = start + (long long)days * 86400000LL;
	add_meetings(cfg, start, end, &list);
	add_handoffs(cfg, start, end, &list);
	add_deadlines(cfg, start, end, &list);
	qsort(list.v, list.n, sizeof(*list.v), by_time);
	if (format == 1)
		print_json(&list, &out);
	else if (format == 2)
		print_ics(&list, &out);
	else
		print_text(&list, &out);
	fwrite(buf_str(&out), 1, out.len, stdout);
	for (i = 0; i < list.n; i++)
		free(list.v[i].text);
	free(list.v);
	buf_free(&out);
	recur_cleanup();
	return 0;
}
