/*
 * Counters and one latency histogram for /metrics, in Prometheus text
 * format.  Metric names are declared once in the table in metrics.c;
 * labels are free-form "key=\"value\"" strings chosen by the caller.
 */
#ifndef PMBOT_METRICS_H
#define PMBOT_METRICS_H

#include "buf.h"

enum metric {
	M_EVENTS,        /* pmbot_events_total{kind} */
	M_COMMANDS,      /* pmbot_commands_total{command,outcome} */
	M_REMINDERS,     /* pmbot_reminders_total{outcome=fired|late|missed} */
	M_JIRA_CALLS,    /* pmbot_jira_calls_total{status} */
	M_RECONNECTS,    /* pmbot_reconnects_total{adapter} */
	M_REDIS_ERRORS,  /* pmbot_redis_errors_total */
	M_HTTP_REQUESTS, /* pmbot_http_requests_total{route,status} */
	M_OUTBOX_DEPTH,  /* pmbot_outbox_depth (gauge) */
	M_SCHED_LAG,     /* pmbot_scheduler_lag_seconds (gauge) */
	M_COUNT
};

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* Adds 1 to the series of metric with these labels (NULL for none). */
void metrics_inc(struct metrics *m, enum metric id, const char *labels);
void metrics_add(
    struct metrics *m, enum metric id, const char *labels, double v);
void metrics_set(
    struct metrics *m, enum metric id, const char *labels, double v);
/* Records one command's latency in seconds. */
void metrics_observe_latency(struct metrics *m, double seconds);
/* Appends the Prometheus text exposition. */
void metrics_render(const struct metrics *m, struct buf *out);

#endif
