/*
 * The /remind time grammar: reads the time phrase at the start of a
 * line ("in 90 minutes", "tomorrow 9am", "every other Friday at 10 PT")
 * and says where the text to remind about begins.  A pure function of
 * the text, "now" and a default zone, so the phrase table can test it
 * to the minute.  A phrase it cannot read is refused with a specific
 * reason, never guessed at (docs/scheduler.md lists the grammar).
 */
#ifndef PMBOT_WHEN_H
#define PMBOT_WHEN_H

#include <stddef.h>

/* Longest RRULE body and description the grammar can produce. */
#define WHEN_RRULE_MAX 96
#define WHEN_DESC_MAX 128
#define WHEN_ZONE_MAX 64

enum when_kind {
	WHEN_ONCE,   /* at_ms */
	WHEN_REPEAT, /* rrule from dtstart in tz; at_ms is the first */
};

struct when {
	enum when_kind kind;
	long long at_ms;            /* UTC ms of the (first) firing */
	char rrule[WHEN_RRULE_MAX]; /* WHEN_REPEAT: RRULE body */
	char dtstart[20];           /* WHEN_REPEAT: local start in tz */
	char tz[WHEN_ZONE_MAX];     /* the zone the phrase was read in */
	char desc[WHEN_DESC_MAX];   /* WHEN_REPEAT: "every weekday" */
	size_t what;                /* offset of the text after it */
};

/* One-offs may lie at most this far ahead. */
#define WHEN_MAX_AHEAD_DAYS (5 * 366)

/*
 * Reads the time phrase at the start of text, relative to now_ms, in tz
 * unless the phrase names a zone (PT, UTC, Europe/Berlin ...).  0 with w
 * filled, or -1 with a lower-case reason in err ("\"25:00\" is not a time
 * of day").  The text after the phrase may be empty; the caller decides
 * whether that is an error.  A leading "to" or "that" before the text is
 * skipped.
 */
int when_parse(const char *text, long long now_ms, const char *tz,
    struct when *w, char *err, size_t errlen);

/* Phrases to show after an error, one per line. */
extern const char when_examples[];

#endif
