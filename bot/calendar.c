/*
 * Subscribable iCalendar feeds on the HTTP listener (calendar.h).  The
 * rotation feed reads the stored model (swaps, covers and away periods
 * included) from Redis and asks the pure duty functions who holds each
 * turn; the meetings feed is the configuration's meetings as recurring
 * events, DTSTART in the meeting's own zone with a VTIMEZONE taken from
 * libical, so a calendar keeps 09:00 Pacific across DST as pmbot does.
 *
 * The token in the path is a secret compared in constant time.  A wrong
 * token and an unknown rotation get the same 404, so a guess learns
 * nothing about which part was wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libical/ical.h>

#include "bot.h"
#include "calendar.h"
#include "clock.h"
#include "hmac.h"
#include "http_server.h"
#include "limits.h"
#include "log.h"
#include "recur.h"
#include "store.h"

#define CAL_PREFIX "/calendar/"
#define CAL_TYPE "text/calendar; charset=utf-8"
#define WEEK_MS (7 * 86400000LL)
/* Turns listed at most in one feed, whatever the overrides. */
#define CAL_MAX_TURNS 500

/* --- RFC 5545 text ------------------------------------------------------- */

void
ics_escape(struct buf *line, const char *s)
{
	for (; *s; s++) {
		if (*s == '\r')
			continue;
		if (*s == '\n') {
			buf_puts(line, "\\n");
			continue;
		}
		if (*s == '\\' || *s == ';' || *s == ',')
			buf_putc(line, '\\');
		buf_putc(line, *s);
	}
}

/* RFC 5545 §3.1: lines longer than 75 octets are folded with CRLF and a
 * space; a fold must not split a UTF-8 sequence. */
void
ics_fold(struct buf *out, const struct buf *line)
{
	const char *s = buf_str(line);
	size_t n = line->len, col = 0, i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (col >= 74 && (c & 0xC0) != 0x80) {
			buf_puts(out, "\r\n ");
			col = 1;
		}
		buf_putc(out, (char)c);
		col++;
	}
	buf_puts(out, "\r\n");
}

/* One property: name (with parameters), then the value, escaped when
 * it is TEXT. */
static void
prop(struct buf *out, const char *name, const char *value, int text)
{
	struct buf line = BUF_INIT;

	buf_puts(&line, name);
	buf_putc(&line, ':');
	if (text)
		ics_escape(&line, value);
	else
		buf_puts(&line, value);
	ics_fold(out, &line);
	buf_free(&line);
}

static void
utc_stamp(char out[17], long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static void
begin_calendar(struct buf *out, const char *name)
{
	buf_puts(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
		      "PRODID:-//pmbot//calendar//EN\r\n"
		      "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n");
	prop(out, "X-WR-CALNAME", name, 1);
}

/* --- meetings ------------------------------------------------------------ */

static int
is_utc(const char *tz)
{
	return tz == NULL || strcmp(tz, "UTC") == 0 ||
	       strcmp(tz, "Etc/UTC") == 0;
}

/* libical's zone definition under the plain IANA name (libical's own
 * TZID carries a vendor prefix that calendars do not recognise). */
static void
put_vtimezone(struct buf *out, const char *tz)
{
	icaltimezone *z = icaltimezone_get_builtin_timezone(tz);
	icalcomponent *c, *orig;
	icalproperty *p;
	char *s;

	if (z == NULL)
		return;
	orig = icaltimezone_get_component(z);
	if (orig == NULL)
		return;
	c = icalcomponent_new_clone(orig);
	p = icalcomponent_get_first_property(c, ICAL_TZID_PROPERTY);
	if (p != NULL)
		icalproperty_set_tzid(p, tz);
	s = icalcomponent_as_ical_string_r(c);
	if (s != NULL)
		buf_puts(out, s);
	free(s);
	icalcomponent_free(c);
}

/* "2025-01-08T09:00:00" -> "20250108T090000" */
static void
local_stamp(struct buf *b, const char *dtstart)
{
	for (; *dtstart; dtstart++)
		if (*dtstart != '-' && *dtstart != ':')
			buf_putc(b, *dtstart);
}

static void
put_meeting(struct buf *out, const struct config *cfg, const struct meeting *m,
    const char *stamp)
{
	struct buf v = BUF_INIT, name = BUF_INIT;

	buf_puts(out, "BEGIN:VEVENT\r\n");
	buf_printf(&v, "meeting-%s@pmbot", m->id);
	prop(out, "UID", buf_str(&v), 0);
	prop(out, "DTSTAMP", stamp, 0);
	buf_reset(&v);
	local_stamp(&v, m->dtstart);
	if (is_utc(m->timezone)) {
		buf_putc(&v, 'Z');
		prop(out, "DTSTART", buf_str(&v), 0);
	} else {
		buf_printf(&name, "DTSTART;TZID=%s", m->timezone);
		prop(out, buf_str(&name), buf_str(&v), 0);
	}
	buf_reset(&v);
	buf_printf(&v, "PT%ldM", m->duration_min);
	prop(out, "DURATION", buf_str(&v), 0);
	prop(out, "RRULE", m->rrule, 0);
	prop(out, "SUMMARY", m->title ? m->title : m->id, 1);
	buf_reset(&v);
	if (m->description != NULL)
		buf_printf(&v, "%s\n\n", m->description);
	buf_printf(&v, "Reminders in ~%s.", config_channel(cfg, m->channel));
	prop(out, "DESCRIPTION", buf_str(&v), 1);
	buf_puts(out, "END:VEVENT\r\n");
	buf_free(&v);
	buf_free(&name);
}

void
calendar_meetings_ics(const struct config *cfg, long long now, struct buf *out)
{
	char stamp[17];
	size_t i, j;

	utc_stamp(stamp, now);
	begin_calendar(out, "pmbot meetings");
	/* One VTIMEZONE per zone, before the events that name it. */
	for (i = 0; i < cfg->nmeetings; i++) {
		const char *tz = cfg->meetings[i].timezone;

		if (is_utc(tz))
			continue;
		for (j = 0; j < i; j++)
			if (cfg->meetings[j].timezone != NULL &&
			    strcmp(cfg->meetings[j].timezone, tz) == 0)
				break;
		if (j == i)
			put_vtimezone(out, tz);
	}
	for (i = 0; i < cfg->nmeetings; i++)
		put_meeting(out, cfg, &cfg->meetings[i], stamp);
	buf_puts(out, "END:VCALENDAR\r\n");
}

/* --- rotations ----------------------------------------------------------- */

static const char *const why_text[] = {
    "", " (swap)", " (away cover)", " (cover)"};

static void
put_turn(struct buf *out, const struct duty_rot *r, const char *user,
    enum duty_why why, long long from, long long to, const char *stamp)
{
	struct buf v = BUF_INIT;
	char t[17];

	buf_puts(out, "BEGIN:VEVENT\r\n");
	/* The turn's rotation and start: a swap that changes who holds it
	 * updates the same event in a subscribed calendar. */
	utc_stamp(t, from);
	buf_printf(&v, "rotation-%s-%s@pmbot", r->name, t);
	prop(out, "UID", buf_str(&v), 0);
	prop(out, "DTSTAMP", stamp, 0);
	prop(out, "DTSTART", t, 0);
	utc_stamp(t, to);
	prop(out, "DTEND", t, 0);
	buf_reset(&v);
	buf_printf(&v, "%s on %s duty%s", user, r->name, why_text[why]);
	prop(out, "SUMMARY", buf_str(&v), 1);
	buf_reset(&v);
	buf_printf(&v, "@%s holds the %s rotation; handoffs at %02d:%02d %s.",
	    user, r->name, r->hour, r->min, r->tz);
	prop(out, "DESCRIPTION", buf_str(&v), 1);
	/* Being on duty does not make anyone busy. */
	prop(out, "TRANSP", "TRANSPARENT", 0);
	buf_puts(out, "END:VEVENT\r\n");
	buf_free(&v);
}

void
calendar_rotation_ics(const struct duty_rot *r, long long now, struct buf *out)
{
	long long t, end = now + LIMIT_CALENDAR_WEEKS_AHEAD * WEEK_MS, next;
	long long from = 0, b, e;
	const char *cur = NULL, *who;
	enum duty_why cur_why = DUTY_BASE, why;
	struct buf name = BUF_INIT;
	char stamp[17];
	int n = 0;

	utc_stamp(stamp, now);
	buf_printf(&name, "pmbot %s rotation", r->name);
	begin_calendar(out, buf_str(&name));
	buf_free(&name);
	/* From the start of a period, so the first event keeps its UID. */
	if (duty_period(r, now - LIMIT_CALENDAR_WEEKS_BACK * WEEK_MS, &b, &e) <
	    0) {
		buf_puts(out, "END:VCALENDAR\r\n");
		return;
	}
	for (t = b; t < end && n < CAL_MAX_TURNS; t = next) {
		who = duty_at(r, t, &why);
		next = duty_next_change(r, t);
		if (who == NULL || next <= t)
			break;
		if (cur != NULL && (strcmp(cur, who) != 0 || cur_why != why)) {
			put_turn(out, r, cur, cur_why, from, t, stamp);
			n++;
			cur = NULL;
		}
		if (cur == NULL) {
			cur = who;
			cur_why = why;
			from = t;
		}
	}
	if (cur != NULL && n < CAL_MAX_TURNS)
		put_turn(out, r, cur, cur_why, from, t, stamp);
	buf_puts(out, "END:VCALENDAR\r\n");
}

/* --- the routes ---------------------------------------------------------- */

/* One rotation feed waiting for its model from Redis. */
struct cal_load {
	struct bot *bot;
	struct http_exchange *x;
	const struct rotation_conf *rc;
};

static void
not_found(struct http_exchange *x)
{
	static const char body[] = "not found\n";

	http_respond(x, 404, "text/plain", body, sizeof(body) - 1);
}

static void
model_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct cal_load *l = priv;
	struct duty_rot rot;
	struct buf out = BUF_INIT;
	char why[200];
	long long now = clock_now_ms();
	int rc;

	(void)st;
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		static const char body[] = "state store unavailable\n";

		log_warn("calendar: %s: %s", l->rc->name,
		    r     ? r->str
		    : err ? err
			  : "no reply");
		http_respond(l->x, 503, "text/plain", body, sizeof(body) - 1);
		free(l);
		return;
	}
	/* Never edited: the model the configuration gives, as /rotation
	 * shows it. */
	if (r->type == REDIS_REPLY_STRING)
		rc = duty_decode(&rot, l->rc, r->str, why, sizeof(why));
	else
		rc = duty_from_conf(&rot, l->rc, now);
	if (rc < 0) {
		static const char body[] = "rotation unusable\n";

		log_warn(
		    "calendar: %s: the stored model is unusable", l->rc->name);
		http_respond(l->x, 500, "text/plain", body, sizeof(body) - 1);
		free(l);
		return;
	}
	calendar_rotation_ics(&rot, now, &out);
	duty_rot_free(&rot);
	http_respond(l->x, 200, CAL_TYPE, buf_str(&out), out.len);
	buf_free(&out);
	free(l);
}

static void
serve_rotation(struct bot *bot, struct http_exchange *x, const char *file)
{
	const char *dot = strrchr(file, '.');
	const struct rotation_conf *rc;
	struct cal_load *l;
	char *name;
	int rc2;

	if (dot == NULL || strcmp(dot, ".ics") != 0 || dot == file ||
	    strchr(file, '/') != NULL) {
		not_found(x);
		return;
	}
	name = xstrndup(file, (size_t)(dot - file));
	rc = config_rotation(&bot->cfg, name);
	free(name);
	if (rc == NULL) {
		not_found(x);
		return;
	}
	if (bot->store == NULL) {
		static const char body[] = "state store unavailable\n";

		http_respond(x, 503, "text/plain", body, sizeof(body) - 1);
		return;
	}
	l = xcalloc(1, sizeof(*l));
	l->bot = bot;
	l->x = x;
	l->rc = rc;
	rc2 = store_cmd(bot->store, model_done, l, "HGET %srot:%s model",
	    store_prefix(bot->store), rc->name);
	if (rc2 < 0) {
		static const char body[] = "state store unavailable\n";

		http_respond(x, 503, "text/plain", body, sizeof(body) - 1);
		free(l);
	}
}

static void
route_calendar(struct http_exchange *x, void *priv)
{
	struct bot *bot = priv;
	const char *path = http_exchange_path(x) + strlen(CAL_PREFIX);
	const char *slash = strchr(path, '/'), *token = bot->cfg.calendar_token;
	char *given;
	int ok;

	if (slash == NULL || token == NULL || token[0] == '\0') {
		not_found(x);
		return;
	}
	given = xstrndup(path, (size_t)(slash - path));
	ok = hmac_streq(given, token);
	free(given);
	if (!ok) {
		not_found(x);
		return;
	}
	if (strcmp(slash + 1, "meetings.ics") == 0) {
		struct buf out = BUF_INIT;

		calendar_meetings_ics(&bot->cfg, clock_now_ms(), &out);
		http_respond(x, 200, CAL_TYPE, buf_str(&out), out.len);
		buf_free(&out);
		return;
	}
	if (strncmp(slash + 1, "rotations/", 10) == 0) {
		serve_rotation(bot, x, slash + 11);
		return;
	}
	not_found(x);
}

void
calendar_routes(struct bot *bot)
{
	if (bot->httpd == NULL)
		return;
	http_server_route(bot->httpd, "GET", CAL_PREFIX, route_calendar, bot);
}
