/*
 * Logging: levels filter, JSON lines are valid JSON, and no secret gets
 * through, whether registered or recognised by its shape.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"

static char *captured;
static size_t captured_len;
static FILE *capture;

static int
setup(void **state)
{
	capture = open_memstream(&captured, &captured_len);
	log_set_stream(capture);
	log_setup(LOG_DEBUG, LOG_TEXT);
	return 0;
}

static int
teardown(void **state)
{
	log_set_stream(NULL);
	fclose(capture);
	free(captured);
	captured = NULL;
	log_clear_secrets();
	return 0;
}

static const char *
output(void)
{
	fflush(capture);
	return captured;
}

static void
test_levels_filter(void **state)
{
	log_setup(LOG_WARN, LOG_TEXT);
	log_info("store: connected");
	log_warn("store: lost the connection");
	assert_null(strstr(output(), "connected"));
	assert_non_null(strstr(output(), "warn  store: lost the connection"));
	assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
	assert_int_equal(log_level_parse("loud"), -1);
	assert_int_equal(log_format_parse("json"), LOG_JSON);
	assert_int_equal(log_format_parse("xml"), -1);
}

static void
test_json_lines(void **state)
{
	cJSON *j;

	log_setup(LOG_INFO, LOG_JSON);
	log_info("router: \"quoted\"\tand\nnewline");
	j = cJSON_Parse(output());
	assert_non_null(j);
	assert_string_equal(
	    cJSON_GetObjectItem(j, "level")->valuestring, "info");
	assert_string_equal(cJSON_GetObjectItem(j, "msg")->valuestring,
	    "router: \"quoted\"\tand\nnewline");
	assert_non_null(cJSON_GetObjectItem(j, "ts"));
	cJSON_Delete(j);
}

static void
test_registered_secret_masked(void **state)
{
	log_add_secret("s3cr3t-value-99");
	log_error("jira: 401 for token s3cr3t-value-99 at /rest");
	assert_null(strstr(output(), "s3cr3t-value-99"));
	assert_non_null(strstr(output(), "[redacted]"));
}

static void
test_shapes_masked(void **state)
{
	static const char *lines[] = {
	    "http: > Authorization: Bearer abc.def.ghi",
	    "slack: token xoxb-1234-5678-abcdef rejected",
	    "slack: app token xapp-1-A0-99-ffff",
	    "curl: url http://h/?token=zzz9999&x=1",
	    "jira: header authorization: Basic dXNlcjpwYXNz",
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		log_info("%s", lines[i]);
	assert_null(strstr(output(), "abc.def.ghi"));
	assert_null(strstr(output(), "xoxb-1234"));
	assert_null(strstr(output(), "xapp-1-A0"));
	assert_null(strstr(output(), "zzz9999"));
	assert_null(strstr(output(), "dXNlcjpwYXNz"));
	/* What is not secret stays readable. */
	assert_non_null(strstr(output(), "rejected"));
	assert_non_null(strstr(output(), "&x=1"));
}

static void
test_short_secret_ignored(void **state)
{
	/* Masking "ab" would mangle every line; short values are refused. */
	log_add_secret("ab");
	log_info("about tabs");
	assert_non_null(strstr(output(), "about tabs"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_levels_filter, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_registered_secret_masked, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_shapes_masked, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_short_secret_ignored, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
