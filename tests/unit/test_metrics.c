/*
 * The /metrics text as a Prometheus scraper reads it: exact sample lines
 * for labelled counters, cumulative histogram buckets, and a NULL
 * registry that callers may use when metrics are off.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "metrics.h"

/* True when text holds line as a whole line. */
static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p++;
	}
	return 0;
}

static void
test_counters_with_labels(void **state)
{
	struct metrics *m = metrics_new();
	struct buf out = BUF_INIT;
	const char *t;

	metrics_inc(m, M_COMMANDS, "command=\"brief\",outcome=\"ok\"");
	metrics_inc(m, M_COMMANDS, "command=\"brief\",outcome=\"ok\"");
	metrics_inc(m, M_COMMANDS, "command=\"qa\",outcome=\"error\"");
	metrics_add(m, M_EVENTS, "kind=\"posted\"", 5);
	metrics_inc(m, M_REDIS_ERRORS, NULL);
	metrics_set(m, M_OUTBOX_DEPTH, NULL, 7);
	metrics_set(m, M_OUTBOX_DEPTH, NULL, 3);
	metrics_render(m, &out);
	t = buf_str(&out);

	assert_true(has_line(t,
	    "# HELP pmbot_commands_total Commands run, by command and outcome."));
	assert_true(has_line(t, "# TYPE pmbot_commands_total counter"));
	assert_true(has_line(
	    t, "pmbot_commands_total{command=\"brief\",outcome=\"ok\"} 2"));
	assert_true(has_line(
	    t, "pmbot_commands_total{command=\"qa\",outcome=\"error\"} 1"));
	assert_true(has_line(t, "pmbot_events_total{kind=\"posted\"} 5"));
	assert_true(has_line(t, "pmbot_redis_errors_total 1"));
	assert_true(has_line(t, "# TYPE pmbot_outbox_depth gauge"));
	assert_true(has_line(t, "pmbot_outbox_depth 3"));
	assert_false(has_line(t, "pmbot_outbox_depth 7"));
	/* Every metric of the table is announced even before it moves. */
	assert_true(has_line(t, "# TYPE pmbot_jira_calls_total counter"));
	assert_null(strstr(t, "pmbot_jira_calls_total{"));
	/* The exposition ends with a newline (scrapers require it). */
	assert_int_equal(t[strlen(t) - 1], '\n');

	buf_free(&out);
	metrics_free(m);
}

static void
test_unlabelled_zero(void **state)
{
	struct metrics *m = metrics_new();
	struct buf out = BUF_INIT;

	metrics_render(m, &out);
	assert_true(has_line(buf_str(&out), "pmbot_redis_errors_total 0"));
	assert_true(has_line(buf_str(&out), "pmbot_outbox_depth 0"));
	buf_free(&out);
	metrics_free(m);
}

static void
test_histogram_cumulative(void **state)
{
	struct metrics *m = metrics_new();
	struct buf out = BUF_INIT;
	const char *t;

	metrics_observe_latency(m, 0.003); /* <= .005 */
	metrics_observe_latency(m, 0.005); /* on the bound: <= .005 */
	metrics_observe_latency(m, 0.2);   /* <= .25 */
	metrics_observe_latency(m, 3);     /* <= 5 */
	metrics_observe_latency(m, 60);    /* only +Inf */
	metrics_render(m, &out);
	t = buf_str(&out);

	assert_true(
	    has_line(t, "# TYPE pmbot_command_duration_seconds histogram"));
	assert_true(has_line(
	    t, "pmbot_command_duration_seconds_bucket{le=\"0.005\"} 2"));
	assert_true(has_line(
	    t, "pmbot_command_duration_seconds_bucket{le=\"0.01\"} 2"));
	assert_true(
	    has_line(t, "pmbot_command_duration_seconds_bucket{le=\"0.1\"} 2"));
	assert_true(has_line(
	    t, "pmbot_command_duration_seconds_bucket{le=\"0.25\"} 3"));
	assert_true(
	    has_line(t, "pmbot_command_duration_seconds_bucket{le=\"2.5\"} 3"));
	assert_true(
	    has_line(t, "pmbot_command_duration_seconds_bucket{le=\"5\"} 4"));
	assert_true(
	    has_line(t, "pmbot_command_duration_seconds_bucket{le=\"10\"} 4"));
	assert_true(has_line(
	    t, "pmbot_command_duration_seconds_bucket{le=\"+Inf\"} 5"));
	assert_true(has_line(t, "pmbot_command_duration_seconds_sum 63.208"));
	assert_true(has_line(t, "pmbot_command_duration_seconds_count 5"));
	/* Buckets come in increasing order of le. */
	assert_true(strstr(t, "le=\"0.005\"") < strstr(t, "le=\"0.01\""));
	assert_true(strstr(t, "le=\"10\"") < strstr(t, "le=\"+Inf\""));

	buf_free(&out);
	metrics_free(m);
}

static void
test_null_safe(void **state)
{
	struct buf out = BUF_INIT;

	metrics_inc(NULL, M_EVENTS, "kind=\"x\"");
	metrics_add(NULL, M_EVENTS, NULL, 2);
	metrics_set(NULL, M_OUTBOX_DEPTH, NULL, 1);
	metrics_observe_latency(NULL, 1);
	metrics_render(NULL, &out);
	metrics_free(NULL);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counters_with_labels),
	    cmocka_unit_test(test_unlabelled_zero),
	    cmocka_unit_test(test_histogram_cumulative),
	    cmocka_unit_test(test_null_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
