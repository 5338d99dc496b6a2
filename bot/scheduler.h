/*
 * The durable scheduler: jobs in Redis by due time, claimed by any replica
 * through an atomic lease, fired exactly once through the outbox, woken
 * by one loop timer.  Meetings, reminders, nudges and rotation handoffs
 * are jobs.
 */
#ifndef PMBOT_SCHEDULER_H
#define PMBOT_SCHEDULER_H

struct bot;
struct config;
struct scheduler;

struct scheduler *scheduler_new(struct bot *bot);
/* Starts firing (call once the store is created). */
void scheduler_start(struct scheduler *s);
/* Stops the timer and waits for claimed jobs in flight; done from the
 * loop when every handle is closed. */
void scheduler_stop(struct scheduler *s, void (*done)(void *), void *priv);
void scheduler_free(struct scheduler *s);

/* `pmbot schedule`: prints what would fire in the window without
 * posting.  format: 0 text, 1 JSON, 2 iCalendar.  from: "YYYY-MM-DD" or
 * NULL for today.  Returns the exit status (0, 2 on bad arguments). */
int schedule_command(
    const struct config *cfg, const char *from, int days, int format);

/* --- jobs in Redis (sched_jobs.c; key families in docs/scheduler.md) ---
 *
 *   sched:due            zset: job id -> due time (ms)
 *   sched:lease          zset: job id -> lease expiry (ms), while firing
 *   sched:job:<id>       hash: kind, due, owner, target, text, tz, rrule,
 *                        dtstart, desc, meeting, reminder, spec,
 *                        lease_owner, attempts, state, created, v
 *   sched:seq            counter of reminder ids
 *   sched:user:<user>    set of the ids of a user's pending reminders
 *   sched:posted:<id>:<due>  mark that the post went out (console dedup)
 *
 * The scripts are exported so test_scheduler.c can drive them directly.
 * Every one takes the key prefix as its last argument.
 */
#define SCHED_FORMAT_VERSION "1"

/* KEYS due, lease; ARGV now, lease_ms, owner, limit, prefix.  Returns
 * {next due or "", next lease expiry or "", {id, {field, value...}}...}. */
extern const char sched_lua_claim[];
/* KEYS due, lease, job; ARGV id, owner, next_due or "", fired_ttl_s,
 * prefix.  1 when confirmed, 0 when the lease was lost. */
extern const char sched_lua_confirm[];
/* KEYS due, lease, job; ARGV id, spec, due, prefix, field, value...
 * 1 when (re)written, 0 when already there or firing. */
extern const char sched_lua_seed[];
/* KEYS seq, due; ARGV owner, due, limit, prefix, field, value...
 * The new id, or -1 when the owner has too many. */
extern const char sched_lua_add[];
/* KEYS lease; ARGV id, caller, is_admin, prefix: 1, 0 unknown, -1 not
 * the caller's. */
extern const char sched_lua_delete[];
/* KEYS due, lease; ARGV id, caller, new_due, prefix: 1, 0 unknown, -1
 * not the caller's, -2 firing right now. */
extern const char sched_lua_snooze[];
/* ARGV owner, prefix: {{id, due, target, text, rrule, tz, desc}...}. */
extern const char sched_lua_list[];

#include "store.h"

/* A reminder to store (strings are copied into Redis). */
struct sched_reminder {
	const char *owner;  /* who set it */
	const char *target; /* "@user" or a channel name */
	const char *text;
	const char *tz;      /* the zone it was read in */
	const char *rrule;   /* NULL for a one-off */
	const char *dtstart; /* local start in tz, for rrule */
	const char *desc;    /* "every weekday at 09:00", or NULL */
	long long due_ms;
};

/* Each returns 0 when queued (cb gets the script's reply), -1 when the
 * store is down (cb will not run). */
int sched_reminder_add(
    struct store *st, const struct sched_reminder *r, store_cb *cb, void *priv);
int sched_reminder_list(
    struct store *st, const char *owner, store_cb *cb, void *priv);
int sched_reminder_delete(struct store *st, const char *id, const char *caller,
    int is_admin, store_cb *cb, void *priv);
int sched_reminder_snooze(struct store *st, const char *id, const char *caller,
    long long due_ms, store_cb *cb, void *priv);

/* A job was added or moved to due_ms: the timer is re-armed when that is
 * sooner than it would wake.  bot is a handler's req->bot.  Other
 * replicas notice within LIMIT_SCHED_MAX_SLEEP_MS. */
void scheduler_poke(void *bot, long long due_ms);

/* Jobs of kind "duty" (rotation handoffs and heads-ups, escalation
 * timers, triage deadlines) are fired by handlers/rotation.c, which
 * reads its state from Redis before it knows what to post: it gets the
 * job's fields and calls done exactly once, with the next due time (0:
 * no further occurrence), when its work is queued.  The scheduler then
 * confirms the job as it does its own. */
struct sched_job {
	const char *id;
	long long due;
	int missed; /* beyond the horizon */
	char **kv;  /* field, value, ... */
	size_t nkv;
};
typedef void sched_job_done(void *token, long long next_due);
void duty_job_fire(struct bot *bot, const struct sched_job *job,
    sched_job_done *done, void *token);
/* Writes the rotations' recurring jobs (handoffs, heads-ups, triage
 * deadlines) when they are not there yet; run when meetings are seeded. */
void duty_jobs_seed(struct bot *bot);
/* The checklist nudge (handlers/nudge.c): a job of kind "nudge" each
 * working day at 09:00 in the bot's zone, fired and seeded like the duty
 * jobs above. */
void nudge_job_fire(struct bot *bot, const struct sched_job *job,
    sched_job_done *done, void *token);
void nudge_jobs_seed(struct bot *bot);

#endif
