/*
 * The duty rotation model, shared by /rotation, /escalate, /request and
 * the scheduler jobs that announce handoffs and chase escalations.  It is
 * pure: who is on duty at an instant is a function of the model and the
 * instant, never of the clock or of Redis, so it can be tested across
 * handoffs, daylight-saving changes and overlapping overrides.
 *
 * The base order: members take turns of one period each; a period runs
 * from one handoff (weekday and wall-clock time in the rotation's zone) to
 * the next, so a 09:00 handoff stays at 09:00 across DST changes.  An
 * anchor (epoch, start) says that members[start] held the turn at epoch;
 * every handoff after it moves one member on.  Changing the members or
 * handing over by hand moves the anchor, never the past.
 *
 * Overrides are applied on top, in this order: swaps (a and b trade places
 * within one period), away periods (the member on duty but away passes
 * the turn to the next member in order who is not away; the order itself
 * does not move, so the turn comes back when the away period ends), then
 * covers (the most recent cover in force wins).
 *
 * Ownership: duty_decode() fills a struct duty_rot that duty_rot_free()
 * releases; every string in it is owned by it.
 */
#ifndef PMBOT_DUTY_H
#define PMBOT_DUTY_H

#include <stddef.h>

#include "buf.h"
#include "config.h"

#define DUTY_FORMAT_VERSION 1

enum duty_kind { DUTY_SWAP, DUTY_COVER, DUTY_AWAY };

struct duty_override {
	enum duty_kind kind;
	char *user;  /* swap: a; cover: who covers; away: who is away */
	char *other; /* swap: b; cover: who was on duty when set; or NULL */
	long long from_ms, to_ms; /* [from, to) */
	char *by;                 /* who set it */
};

struct duty_rot {
	char *name;
	char **members;
	size_t nmembers;
	int weekday; /* 0 = Sunday */
	int hour, min;
	char *tz;
	long long epoch_ms; /* members[start] held the turn at epoch */
	size_t start;
	struct duty_override *ovr;
	size_t novr;
};

/* Why the person on duty holds it. */
enum duty_why { DUTY_BASE, DUTY_BY_SWAP, DUTY_BY_AWAY, DUTY_BY_COVER };

struct duty_turn {
	const char *user; /* points into the model */
	long long from_ms, to_ms;
	enum duty_why why;
};

/* A new model from the configuration: the configured order, the first
 * member on duty in the period that contains now.  0, or -1 (bad zone,
 * no members). */
int duty_from_conf(
    struct duty_rot *r, const struct rotation_conf *rc, long long now);
void duty_rot_free(struct duty_rot *r);

/* The model as stored (JSON; the schedule itself always comes from the
 * configuration, so editing the handoff time needs no migration).
 * duty_decode takes the schedule from rc; 0, or -1 with err. */
char *duty_encode(const struct duty_rot *r);
int duty_decode(struct duty_rot *r, const struct rotation_conf *rc,
    const char *json, char *err, size_t errlen);

/* The handoff period containing t: [begin, end).  0 or -1 (bad zone). */
int duty_period(
    const struct duty_rot *r, long long t, long long *begin, long long *end);
/* The member the base order gives at t, as an index; -1 on error. */
int duty_base_index(const struct duty_rot *r, long long t);
/* Who is on duty at t with every override applied; NULL when there are
 * no members.  why may be NULL. */
const char *duty_at(const struct duty_rot *r, long long t, enum duty_why *why);
/* The turn in progress at t (out[0], with since and until) and the next
 * ones, consecutive periods of one person merged; returns how many (at
 * most n). */
int duty_turns(
    const struct duty_rot *r, long long t, struct duty_turn *out, int n);
/* The next member after user in the order (wrapping), skipping user
 * itself; when user is not a member, the member on duty at t, or the
 * one after when that is user's. NULL when nobody else is there. */
const char *duty_next_after(
    const struct duty_rot *r, const char *user, long long t);
/* The first instant after t where who is on duty may change. */
long long duty_next_change(const struct duty_rot *r, long long t);
/* The working day (Monday to Friday) before the handoff at at_ms, at the
 * same wall-clock time: when a heads-up goes out.  -1 on error. */
long long duty_headsup_at(const struct duty_rot *r, long long at_ms);

/* Edits.  Each returns 0, or -1 with a sentence for the user in err and
 * the model unchanged.  now keeps the person on duty on duty where the
 * edit does not concern them. */
int duty_member_index(const struct duty_rot *r, const char *user);
int duty_add_member(struct duty_rot *r, const char *user, const char *after,
    long long now, char *err, size_t errlen);
int duty_remove_member(struct duty_rot *r, const char *user, long long now,
    char *err, size_t errlen);
/* Hands over now to the member after the one the base order gives. */
void duty_handoff_now(struct duty_rot *r, long long now);
int duty_add_override(struct duty_rot *r, enum duty_kind kind, const char *user,
    const char *other, long long from, long long to, const char *by, char *err,
    size_t errlen);
/* Drops overrides that ended before cutoff. */
void duty_prune(struct duty_rot *r, long long cutoff);

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM" (or with a space) read as wall-clock
 * time in tz: a date alone means its start, or with end_of_day the start
 * of the next day (so "to 2027-03-12" includes that day).  0 or -1. */
int duty_parse_time(
    const char *tz, const char *s, int end_of_day, long long *ms);

const char *duty_kind_name(enum duty_kind k);

#endif
