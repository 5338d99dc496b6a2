/*
 * Recurrence and time zones, on libical (RFC 5545).  A rule is an RRULE
 * body with a DTSTART given as local wall-clock time in an IANA zone; its
 * occurrences keep that wall-clock time across daylight-saving changes
 * and come out as UTC instants (milliseconds since the epoch).  Meeting
 * reminder windows (SPEC "Meetings") are computed here too, so the
 * scheduler, /meeting and `pmbot schedule` agree to the minute.
 */
#ifndef PMBOT_RECUR_H
#define PMBOT_RECUR_H

#include <stddef.h>

#include "buf.h"
#include "config.h"

/* A local date and time, as read on a wall clock in some zone. */
struct recur_local {
	int year, month, day; /* month 1-12 */
	int hour, min, sec;
	int wday; /* 0 = Sunday; filled by recur_to_local */
};

/* Frees the zones libical caches once loaded (at exit; they load again
 * when used after). */
void recur_cleanup(void);
/* The same, and the caches of the ICU that libical uses, once at exit
 * when no time zone is used any more (free_bot). */
void recur_cleanup_at_exit(void);

/* 1 when tz names a zone we can convert in ("UTC" or an IANA name). */
int recur_zone_valid(const char *tz);

/* Local wall-clock time in tz to UTC ms.  0, or -1 for an unknown zone
 * or an impossible date.  A time inside a spring-forward gap moves
 * forward by the gap, as a wall clock would show it. */
int recur_from_local(
    const char *tz, const struct recur_local *l, long long *ms);
/* UTC ms to local wall-clock time in tz; abbr (may be NULL) receives the
 * zone's abbreviation then ("PST", "CEST", "UTC").  0 or -1. */
int recur_to_local(const char *tz, long long ms, struct recur_local *l,
    char *abbr, size_t abbrlen);

/* Appends ms as "Wed 2027-03-17 09:00 PDT" (with_date) or "09:00 PDT" in
 * tz; an unknown zone prints UTC. */
void recur_format(struct buf *b, const char *tz, long long ms, int with_date);

/*
 * Up to n starts of the rule (rrule body, dtstart "YYYY-MM-DDTHH:MM[:SS]"
 * local in tz) strictly after after_ms, earliest first, into out.
 * Returns how many (0 when the rule has ended), -1 on a bad rule, start
 * or zone.
 */
int recur_next(const char *rrule, const char *dtstart, const char *tz,
    long long after_ms, long long *out, int n);

/* When reminder r of meeting m fires for the occurrence starting at
 * start_ms: the offset counted in wall-clock time from the start (or the
 * end), then pinned to r's "at" time of that day when set.  -1 on error. */
long long recur_reminder_at(const struct meeting *m,
    const struct meeting_reminder *r, long long start_ms);

/* The first firing of r strictly after after_ms, and the start of the
 * occurrence it belongs to.  0, or -1 when there is none. */
int recur_reminder_next(const struct meeting *m,
    const struct meeting_reminder *r, long long after_ms, long long *fire_ms,
    long long *occ_ms);

/* The next start of meeting m strictly after after_ms.  0 or -1. */
int recur_meeting_next(
    const struct meeting *m, long long after_ms, long long *start_ms);

#endif
