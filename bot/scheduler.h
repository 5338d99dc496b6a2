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

#endif
