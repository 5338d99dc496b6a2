/*
 * /meeting: the meetings of the configuration with their next
 * occurrence in the caller's zone (and the meeting's own, when they
 * differ), and for one meeting its schedule and reminders.  Everything
 * comes from the configuration through bot/recur.c, so it agrees with
 * what the scheduler posts and `pmbot schedule` prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "clock.h"
#include "recur.h"
#include "router.h"

/* Upcoming occurrences shown for one meeting. */
#define MEETING_NEXT_SHOWN 3

static const char *
caller_zone(const struct request *req)
{
	if (req->tz != NULL && recur_zone_valid(req->tz))
		return req->tz;
	if (req->cfg->timezone != NULL && recur_zone_valid(req->cfg->timezone))
		return req->cfg->timezone;
	return "UTC";
}

/* "Wed 2027-03-10 09:00 PST" in zone, and "(18:00 CET there)" style
 * in the meeting's zone when that differs. */
static void
put_when(struct buf *b, const char *zone, const struct meeting *m, long long at)
{
	recur_format(b, zone, at, 1);
	if (strcmp(zone, m->timezone) != 0) {
		buf_puts(b, " (");
		recur_format(b, m->timezone, at, 0);
		buf_puts(b, ")");
	}
}

static enum cmd_retval
meeting_list(struct request *req)
{
	const struct config *cfg = req->cfg;
	const char *zone = caller_zone(req);
	struct message *m;
	long long now = clock_now_ms(), next;
	size_t i;

	if (cfg->nmeetings == 0) {
		reply_private(req, "No meetings are configured.");
		return CMD_OK;
	}
	m = message_new();
	message_printf(m, "Meetings (times in %s):", zone);
	for (i = 0; i < cfg->nmeetings; i++) {
		const struct meeting *mt = &cfg->meetings[i];

		message_printf(m, "\n- **%s** `%s`: ", mt->title, mt->id);
		if (recur_meeting_next(mt, now, &next) == 0)
			put_when(&m->text, zone, mt, next);
		else
			message_printf(m, "no further occurrence");
		message_printf(m, ", %ld min in ~%s", mt->duration_min,
		    config_channel(cfg, mt->channel));
	}
	reply_message(req, m, 1);
	message_free(m);
	return CMD_OK;
}

static void
put_offset(struct buf *b, const struct meeting_reminder *r)
{
	long v = labs(r->offset_min);

	if (v == 0)
		buf_puts(b, "at the ");
	else if (v % 1440 == 0)
		buf_printf(b, "%ld day%s %s the ", v / 1440,
		    v == 1440 ? "" : "s",
		    r->offset_min < 0 ? "before" : "after");
	else if (v % 60 == 0)
		buf_printf(b, "%ld hour%s %s the ", v / 60, v == 60 ? "" : "s",
		    r->offset_min < 0 ? "before" : "after");
	else
		buf_printf(b, "%ld min %s the ", v,
		    r->offset_min < 0 ? "before" : "after");
	buf_puts(b, r->after_end ? "end" : "start");
	if (r->at_hour >= 0)
		buf_printf(b, ", at %02d:%02d", r->at_hour, r->at_min);
}

static enum cmd_retval
meeting_show(struct request *req)
{
	const struct config *cfg = req->cfg;
	const char *zone = caller_zone(req);
	const struct meeting *mt;
	struct message *m;
	struct buf b = BUF_INIT;
	long long now = clock_now_ms(), next[MEETING_NEXT_SHOWN], fire;
	int n, i;
	size_t j;

	if (req->nargs == 0)
		return meeting_list(req);
	mt = config_meeting(cfg, req->args[0]);
	if (mt == NULL) {
		const char **known =
		    xcalloc(cfg->nmeetings + 1, sizeof(char *));

		for (j = 0; j < cfg->nmeetings; j++)
			known[j] = cfg->meetings[j].id;
		buf_printf(&b, "no meeting \"%s\"", req->args[0]);
		if (router_did_you_mean(
			&b, req->args[0], known, cfg->nmeetings) == 0 &&
		    cfg->nmeetings > 0) {
			buf_puts(&b, "; the meetings are");
			for (j = 0; j < cfg->nmeetings; j++)
				buf_printf(
				    &b, "%s \"%s\"", j ? "," : "", known[j]);
		}
		free(known);
		reply_error(req, "%s", buf_str(&b));
		buf_free(&b);
		return CMD_ERROR;
	}
	m = message_new();
	message_card(m, mt->title, NULL);
	if (mt->description)
		message_printf(m, "%s", mt->description);
	buf_printf(&b, "%s from %s", mt->rrule, mt->dtstart);
	message_field(m, "rule", buf_str(&b), 0);
	buf_reset(&b);
	message_field(m, "zone", mt->timezone, 1);
	buf_printf(&b, "%ld min", mt->duration_min);
	message_field(m, "duration", buf_str(&b), 1);
	buf_reset(&b);
	buf_printf(&b, "~%s", config_channel(cfg, mt->channel));
	message_field(m, "channel", buf_str(&b), 1);
	buf_reset(&b);
	n = recur_next(mt->rrule, mt->dtstart, mt->timezone, now, next,
	    MEETING_NEXT_SHOWN);
	for (i = 0; i < n; i++) {
		if (i)
			buf_puts(&b, "\n");
		put_when(&b, zone, mt, next[i]);
	}
	message_field(m, "next", n > 0 ? buf_str(&b) : "none", 0);
	buf_reset(&b);
	for (j = 0; j < mt->nreminders; j++) {
		const struct meeting_reminder *r = &mt->reminders[j];

		if (j)
			buf_puts(&b, "\n");
		buf_printf(&b, "%s: ", r->id);
		put_offset(&b, r);
		if (recur_reminder_next(mt, r, now, &fire, NULL) == 0) {
			buf_puts(&b, "; next ");
			recur_format(&b, zone, fire, 1);
		}
	}
	if (mt->nreminders)
		message_field(m, "reminders", buf_str(&b), 0);
	buf_free(&b);
	reply_message(req, m, 1);
	message_free(m);
	return CMD_OK;
}

const struct cmd_entry cmd_meeting_entry = {
    .name = "meeting",
    .aliases = {"meetings", NULL},
    .usage = "meeting [<id>]",
    .summary = "the team's meetings and their next occurrence in your zone",
    .examples = "/meeting\n/meeting pm-weekly-sync",
    .args_min = 0,
    .args_max = 1,
    .perm = PERM_ANYONE,
    .exec = meeting_show,
};
