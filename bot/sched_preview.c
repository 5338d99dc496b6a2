/*
 * `pmbot schedule`: what the scheduler would post in a window, computed
 * from the configuration alone (meeting reminders, rotation handoffs and
 * the triage deadlines before the meeting the triage rotation is tied
 * to), without Redis and without posting.  Each firing is shown in
 * UTC and in its own zone, as text, JSON or an iCalendar file, so an
 * operator can check a DST change before it happens.  Reminders set with
 * /remind live in Redis: they are read from the configured Redis (or the
 * console's own, when it runs), with a plain blocking client, as this is
 * a command-line tool with no loop to keep; without Redis the preview
 * says they are missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "buf.h"
#include "calendar.h"
#include "clock.h"
#include "config.h"
#include "local_redis.h"
#include "recur.h"
#include "rotation.h"
#include "scheduler.h"
#include "store.h"

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
	char *own[3]; /* strings of a stored reminder that it owns */
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

/* The field of a flat HGETALL reply; NULL when absent. */
static const char *
hfield(const redisReply *r, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1]->str;
	return NULL;
}

/* Connects as the bot would: the configured Redis, or else the one the
 * console starts in its state folder when its socket is there.  NULL,
 * with why in err, when there is none to read. */
static redisContext *
stored_connect(const struct config *cfg, char *err, size_t errlen)
{
	struct timeval tv = {2, 0};
	struct store_url u;
	redisContext *c;
	redisReply *r;
	char *dir, *url;
	int rc;

	if (!local_redis_wanted(cfg))
		url = xstrdup(cfg->redis_url);
	else {
		struct buf b = BUF_INIT;

		dir = local_redis_state_dir();
		buf_printf(&b, "unix://%s/redis.sock", dir);
		free(dir);
		url = buf_detach(&b);
		if (access(url + 7, F_OK) != 0) {
			snprintf(err, errlen,
			    "no Redis is configured and the console's is not "
			    "running");
			free(url);
			return NULL;
		}
	}
	rc = store_url_parse(url, &u, err, errlen);
	free(url);
	if (rc < 0)
		return NULL;
	if (u.path != NULL)
		c = redisConnectUnixWithTimeout(u.path, tv);
	else
		c = redisConnectWithTimeout(u.host, u.port, tv);
	if (c == NULL || c->err) {
		snprintf(err, errlen, "cannot reach Redis at %s: %s", u.shown,
		    c ? c->errstr : "out of memory");
		redisFree(c);
		store_url_free(&u);
		return NULL;
	}
	redisSetTimeout(c, tv);
	r = NULL;
	if (u.password != NULL)
		r = u.user != NULL
			? redisCommand(c, "AUTH %s %s", u.user, u.password)
			: redisCommand(c, "AUTH %s", u.password);
	if (u.password != NULL && (r == NULL || r->type == REDIS_REPLY_ERROR)) {
		snprintf(
		    err, errlen, "Redis at %s refused the password", u.shown);
		goto fail;
	}
	freeReplyObject(r);
	r = NULL;
	if (u.db != 0) {
		r = redisCommand(c, "SELECT %d", u.db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "Redis at %s has no db %d",
			    u.shown, u.db);
			goto fail;
		}
		freeReplyObject(r);
	}
	store_url_free(&u);
	return c;
fail:
	freeReplyObject(r);
	redisFree(c);
	store_url_free(&u);
	return NULL;
}

/* Adds one stored reminder's firings in [from, to): its next due time,
 * and for a recurring one the occurrences after it. */
static void
add_stored_job(const struct config *cfg, const char *id, long long due,
    const redisReply *h, long long from, long long to, struct list *l)
{
	const char *kind = hfield(h, "kind"), *target = hfield(h, "target");
	const char *text = hfield(h, "text"), *tz = hfield(h, "tz");
	const char *rrule = hfield(h, "rrule"), *dtstart = hfield(h, "dtstart");
	const char *owner = hfield(h, "owner");
	long long at = due;
	int first = 1;

	if (kind == NULL || strcmp(kind, "remind") != 0 || target == NULL ||
	    text == NULL)
		return;
	if (tz == NULL || !recur_zone_valid(tz))
		tz = cfg->timezone ? cfg->timezone : "UTC";
	for (;;) {
		struct item it;
		struct buf b = BUF_INIT;

		if (!first || at < from) {
			/* A recurring reminder's later occurrences. */
			if (rrule == NULL || dtstart == NULL ||
			    recur_next(rrule, dtstart, tz,
				(first && at < from ? from - 1 : at), &at,
				1) != 1)
				return;
		}
		first = 0;
		if (at >= to)
			return;
		memset(&it, 0, sizeof(it));
		it.at = at;
		it.own[0] = xstrdup(tz);
		it.own[1] = xstrdup(id);
		it.own[2] = xstrdup(target[0] == '~' ? target + 1 : target);
		it.tz = it.own[0];
		it.what = "reminder";
		it.source = it.own[1];
		it.sub = "";
		it.channel = it.own[2];
		buf_printf(&b, "reminder #%s%s%s: %s", id,
		    owner ? " from @" : "", owner ? owner : "", text);
		it.text = buf_detach(&b);
		if (l->n >= PREVIEW_MAX) {
			free(it.text);
			free(it.own[0]);
			free(it.own[1]);
			free(it.own[2]);
			return;
		}
		add(l, &it);
	}
}

/* The reminders set with /remind, from Redis.  Returns -1, with why in
 * err, when they could not be read. */
static int
add_stored(const struct config *cfg, long long from, long long to,
    struct list *l, char *err, size_t errlen)
{
	const char *prefix = cfg->redis_prefix ? cfg->redis_prefix : "pmbot:";
	redisContext *c = stored_connect(cfg, err, errlen);
	redisReply *ids, *due, *h;
	char upto[24];
	size_t i;
	int rc = 0;

	if (c == NULL)
		return -1;
	snprintf(upto, sizeof(upto), "(%lld", to);
	ids = redisCommand(
	    c, "ZRANGEBYSCORE %ssched:due -inf %s WITHSCORES", prefix, upto);
	if (ids == NULL || ids->type != REDIS_REPLY_ARRAY) {
		snprintf(err, errlen, "cannot read the stored reminders: %s",
		    ids ? ids->str : c->errstr);
		freeReplyObject(ids);
		redisFree(c);
		return -1;
	}
	/* One pipelined HGETALL per job. */
	for (i = 0; i + 1 < ids->elements; i += 2)
		redisAppendCommand(c, "HGETALL %ssched:job:%b", prefix,
		    ids->element[i]->str, (size_t)ids->element[i]->len);
	for (i = 0; i + 1 < ids->elements; i += 2) {
		if (redisGetReply(c, (void **)&h) != REDIS_OK) {
			snprintf(err, errlen,
			    "cannot read the stored reminders: %s", c->errstr);
			rc = -1;
			break;
		}
		due = ids->element[i + 1];
		if (h->type == REDIS_REPLY_ARRAY &&
		    due->type == REDIS_REPLY_STRING)
			add_stored_job(cfg, ids->element[i]->str,
			    strtoll(due->str, NULL, 10), h, from, to, l);
		freeReplyObject(h);
	}
	freeReplyObject(ids);
	redisFree(c);
	return rc;
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
	char extra, err[256];
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
	if (add_stored(cfg, start, end, &list, err, sizeof(err)) < 0)
		fprintf(stderr,
		    "pmbot: reminders set with /remind are not shown: %s\n",
		    err);
	if (list.n > 0)
		qsort(list.v, list.n, sizeof(*list.v), by_time);
	if (format == 1)
		print_json(&list, &out);
	else if (format == 2)
		print_ics(&list, &out);
	else
		print_text(&list, &out);
	fwrite(buf_str(&out), 1, out.len, stdout);
	for (i = 0; i < list.n; i++) {
		free(list.v[i].text);
		free(list.v[i].own[0]);
		free(list.v[i].own[1]);
		free(list.v[i].own[2]);
	}
	free(list.v);
	buf_free(&out);
	recur_cleanup();
	return 0;
}
