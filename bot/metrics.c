/*
 * Counters, gauges and the command latency histogram behind GET /metrics.
 * Every metric is declared once in the table below (name, HELP text,
 * type); a series is one (metric, labels) pair held in a small array that
 * is searched linearly, because a bot has tens of series, not thousands.
 * Labels come from callers and may carry user-typed command words, so the
 * number of series is capped rather than grown without bound.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <libwebsockets.h>
#include <uv.h>

#include "buf.h"
#include "limits.h"
#include "log.h"
#include "metrics.h"

enum metric_type { T_COUNTER, T_GAUGE };

struct metric_def {
	const char *name;
	const char *help;
	enum metric_type type;
	int labelled; /* 0: a single series without labels */
};

static const struct metric_def defs[M_COUNT] = {
    [M_EVENTS] = {"pmbot_events_total", "Chat events received, by kind.",
	T_COUNTER, 1},
    [M_COMMANDS] = {"pmbot_commands_total",
	"Commands run, by command and outcome.", T_COUNTER, 1},
    [M_REMINDERS] = {"pmbot_reminders_total",
	"Reminders fired, fired late, or missed.", T_COUNTER, 1},
    [M_JIRA_CALLS] = {"pmbot_jira_calls_total",
	"Jira REST calls, by HTTP status.", T_COUNTER, 1},
    [M_RECONNECTS] = {"pmbot_reconnects_total",
	"Chat connection reconnects, by adapter.", T_COUNTER, 1},
    [M_REDIS_ERRORS] = {"pmbot_redis_errors_total",
	"Redis connection and command errors.", T_COUNTER, 0},
    [M_HTTP_REQUESTS] = {"pmbot_http_requests_total",
	"Requests served by the HTTP listener, by route and status.", T_COUNTER,
	1},
    [M_OUTBOX_DEPTH] = {"pmbot_outbox_depth", "Posts waiting in the outbox.",
	T_GAUGE, 0},
    [M_SCHED_LAG] = {"pmbot_scheduler_lag_seconds",
	"Fire time minus due time of the last scheduler job fired.", T_GAUGE,
	0},
};

#define LATENCY_NAME "pmbot_command_duration_seconds"
#define LATENCY_HELP "Time from a command's arrival to its reply."

/* The Prometheus client libraries' default buckets; the text is what is
 * printed in le="..." so that it reads the way operators expect. */
static const struct {
	double le;
	const char *text;
} buckets[] = {
    {0.005, "0.005"},
    {0.01, "0.01"},
    {0.025, "0.025"},
    {0.05, "0.05"},
    {0.1, "0.1"},
    {0.25, "0.25"},
    {0.5, "0.5"},
    {1, "1"},
    {2.5, "2.5"},
    {5, "5"},
    {10, "10"},
};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct series {
	enum metric id;
	char *labels; /* "" when none */
	double value;
};

struct metrics {
	struct series *series;
	size_t nseries, cap;
	int overflow_logged;
	/* Per-bucket counts (not cumulative; summed when rendered). */
	unsigned long long bucket[NBUCKETS];
	unsigned long long count;
	double sum;
};

struct metrics *
metrics_new(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

void
metrics_free(struct metrics *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nseries; i++)
		free(m->series[i].labels);
	free(m->series);
	free(m);
}

static struct series *
series_get(struct metrics *m, enum metric id, const char *labels)
{
	size_t i;

	if (labels == NULL)
		labels = "";
	for (i = 0; i < m->nseries; i++)
		if (m->series[i].id == id &&
		    strcmp(m->series[i].labels, labels) == 0)
			return &m->series[i];
	if (m->nseries >= LIMIT_METRICS_SERIES) {
		if (!m->overflow_logged)
			log_warn(
			    "metrics: more than %d series, dropping new ones",
			    LIMIT_METRICS_SERIES);
		m->overflow_logged = 1;
		return NULL;
	}
	if (m->nseries == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->series = xrealloc(m->series, m->cap * sizeof(*m->series));
	}
	m->series[m->nseries].id = id;
	m->series[m->nseries].labels = xstrdup(labels);
	m->series[m->nseries].value = 0;
	return &m->series[m->nseries++];
}

void
metrics_add(struct metrics *m, enum metric id, const char *labels, double v)
{
	struct series *s;

	if (m == NULL || id < 0 || id >= M_COUNT)
		return;
	s = series_get(m, id, labels);
	if (s != NULL)
		s->value += v;
}

void
metrics_inc(struct metrics *m, enum metric id, const char *labels)
{
	metrics_add(m, id, labels, 1);
}

void
metrics_set(struct metrics *m, enum metric id, const char *labels, double v)
{
	struct series *s;

	if (m == NULL || id < 0 || id >= M_COUNT)
		return;
	s = series_get(m, id, labels);
	if (s != NULL)
		s->value = v;
}

void
metrics_observe_latency(struct metrics *m, double seconds)
{
	size_t i;

	if (m == NULL || isnan(seconds))
		return;
	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < NBUCKETS; i++) {
		if (seconds <= buckets[i].le) {
			m->bucket[i]++;
			break;
		}
	}
	m->count++;
	m->sum += seconds;
}

/* Integers print without a fraction ("3", not "3.000000"); others with
 * enough digits to round-trip the common cases. */
static void
put_value(struct buf *out, double v)
{
	if (isinf(v))
		buf_puts(out, v > 0 ? "+Inf" : "-Inf");
	else if (isnan(v))
		buf_puts(out, "NaN");
	else if (v == floor(v) && fabs(v) < 1e15)
		buf_printf(out, "%.0f", v);
	else
		buf_printf(out, "%.15g", v);
}

static void
render_metric(const struct metrics *m, enum metric id, struct buf *out)
{
	const struct metric_def *d = &defs[id];
	size_t i;
	int any = 0;

	buf_printf(out, "# HELP %s %s\n", d->name, d->help);
	buf_printf(out, "# TYPE %s %s\n", d->name,
	    d->type == T_COUNTER ? "counter" : "gauge");
	for (i = 0; i < m->nseries; i++) {
		const struct series *s = &m->series[i];

		if (s->id != id)
			continue;
		any = 1;
		if (s->labels[0] != '\0')
			buf_printf(out, "%s{%s} ", d->name, s->labels);
		else
			buf_printf(out, "%s ", d->name);
		put_value(out, s->value);
		buf_putc(out, '\n');
	}
	/* An unlabelled metric that never moved still reads 0, so a scrape
	 * can tell "no errors" from "not exported". */
	if (!any && !d->labelled)
		buf_printf(out, "%s 0\n", d->name);
}

/* A label value with Prometheus's three escapes. */
static void
put_label_value(struct buf *out, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(out, '\\');
		if (*v == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *v);
	}
}

/*
 * pmbot_build_info: always 1, its labels say which pmbot runs on which
 * libraries (the versions loaded, not those compiled against, where the
 * library can tell), so a dashboard can tell replicas of mixed versions
 * apart during a rolling update.
 */
static void
render_build_info(struct buf *out)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);

	buf_puts(out, "# HELP pmbot_build_info pmbot's version and the "
		      "versions of its libraries; always 1.\n");
	buf_puts(out, "# TYPE pmbot_build_info gauge\n");
	buf_puts(out, "pmbot_build_info{version=\"");
	put_label_value(out, PMBOT_VERSION);
	buf_puts(out, "\",libwebsockets=\"");
	put_label_value(out, lws_get_library_version());
	buf_puts(out, "\",libcurl=\"");
	put_label_value(out, curl != NULL ? curl->version : "unknown");
	buf_puts(out, "\",libuv=\"");
	put_label_value(out, uv_version_string());
	buf_printf(out, "\",hiredis=\"%d.%d.%d\"} 1\n", HIREDIS_MAJOR,
	    HIREDIS_MINOR, HIREDIS_PATCH);
}

void
metrics_render(const struct metrics *m, struct buf *out)
{
	unsigned long long cum = 0;
	size_t i;
	int id;

	if (m == NULL || out == NULL)
		return;
	render_build_info(out);
	for (id = 0; id < M_COUNT; id++)
		render_metric(m, id, out);
	buf_printf(out, "# HELP %s %s\n", LATENCY_NAME, LATENCY_HELP);
	buf_printf(out, "# TYPE %s histogram\n", LATENCY_NAME);
	for (i = 0; i < NBUCKETS; i++) {
		cum += m->bucket[i];
		buf_printf(out, "%s_bucket{le=\"%s\"} %llu\n", LATENCY_NAME,
		    buckets[i].text, cum);
	}
	buf_printf(
	    out, "%s_bucket{le=\"+Inf\"} %llu\n", LATENCY_NAME, m->count);
	buf_printf(out, "%s_sum ", LATENCY_NAME);
	put_value(out, m->sum);
	buf_putc(out, '\n');
	buf_printf(out, "%s_count %llu\n", LATENCY_NAME, m->count);
}
