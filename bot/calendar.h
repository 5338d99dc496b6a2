/*
 * The calendar feeds of the HTTP listener (SPEC "HTTP listener"):
 * GET /calendar/<token>/rotations/<name>.ics, who is on duty when, and
 * GET /calendar/<token>/meetings.ics, the configured meetings with their
 * recurrence, so PMs can subscribe to them in their own calendar.
 *
 * The renderers are pure (the model, the configuration and "now" in,
 * RFC 5545 text out) so tests can check them without a listener.
 */
#ifndef PMBOT_CALENDAR_H
#define PMBOT_CALENDAR_H

#include "buf.h"
#include "config.h"
#include "duty.h"

struct bot;

/* Registers the /calendar/ routes on the bot's listener; nothing when
 * there is no listener. */
void calendar_routes(struct bot *bot);

/* Appends the meetings of cfg as one VCALENDAR (with a VTIMEZONE for
 * each zone used), stamped now (ms). */
void calendar_meetings_ics(
    const struct config *cfg, long long now, struct buf *out);
/* Appends the turns of r from LIMIT_CALENDAR_WEEKS_BACK weeks before now
 * to LIMIT_CALENDAR_WEEKS_AHEAD weeks after, one VEVENT per turn. */
void calendar_rotation_ics(
    const struct duty_rot *r, long long now, struct buf *out);

/* RFC 5545 helpers, shared with `pmbot schedule --ics`: TEXT escaping
 * (\ ; , and newlines) appended to line, and a content line folded at 75
 * octets (never inside a UTF-8 sequence) appended to out with CRLF. */
void ics_escape(struct buf *line, const char *s);
void ics_fold(struct buf *out, const struct buf *line);

#endif
