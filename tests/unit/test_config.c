/*
 * Configuration loading as an operator meets it: the shipped example is
 * valid, defaults fill an empty file, every mistake in a broken file is
 * listed with its JSON path, the environment wins over the file, and a
 * secret never shows up in a problem or in the log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "config_check.h"
#include "log.h"

static const char *const env_vars[] = {"PMBOT_CONFIG", "PMBOT_REDIS_URL",
    "PMBOT_REDIS_PREFIX", "PMBOT_HTTP_LISTEN", "PMBOT_PUBLIC_URL",
    "PMBOT_MATTERMOST_URL", "PMBOT_MATTERMOST_TOKEN",
    "PMBOT_MATTERMOST_TOKEN_FILE", "PMBOT_MATTERMOST_TEAM",
    "PMBOT_MATTERMOST_COMMAND_TOKENS", "PMBOT_MATTERMOST_COMMAND_TOKENS_FILE",
    "PMBOT_SLACK_APP_TOKEN", "PMBOT_SLACK_APP_TOKEN_FILE",
    "PMBOT_SLACK_BOT_TOKEN", "PMBOT_SLACK_BOT_TOKEN_FILE",
    "PMBOT_SLACK_API_URL", "PMBOT_JIRA_URL", "PMBOT_JIRA_USER",
    "PMBOT_JIRA_TOKEN", "PMBOT_JIRA_TOKEN_FILE", "PMBOT_LOG_LEVEL",
    "PMBOT_LOG_FORMAT", "PMBOT_CALENDAR_TOKEN", "PMBOT_CALENDAR_TOKEN_FILE"};

static void
clear_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
}

static int
setup(void **state)
{
	clear_env();
	log_clear_secrets();
	return 0;
}

static int
teardown(void **state)
{
	clear_env();
	log_clear_secrets();
	return 0;
}

/* Writes text to a new temporary file; returns its path (caller frees
 * and unlinks). */
static char *
write_temp(const char *text)
{
	char *path = xstrdup("/tmp/pmbot-test-config-XXXXXX");
	FILE *fp;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static int
has_problem(const struct config_problems *p, const char *text)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i], text) == 0)
			return 1;
	return 0;
}

static int
problems_mention(const struct config_problems *p, const char *text)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strstr(p->v[i], text) != NULL)
			return 1;
	return 0;
}

static void
print_problems(const struct config_problems *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		print_message("problem: %s\n", p->v[i]);
}

static void
expect_problem(const struct config_problems *p, const char *text)
{
	if (!has_problem(p, text)) {
		print_problems(p);
		fail_msg("missing problem: %s", text);
	}
}

static void
test_example_loads(void **state)
{
	struct config cfg;
	struct config_problems probs;
	const struct meeting *m;
	const struct rotation_conf *r;
	const struct checklist_conf *cl;
	struct buf path = BUF_INIT;
	const char *src = getenv("PMBOT_SOURCE_DIR");

	assert_non_null(src);
	buf_printf(&path, "%s/config/pmbot.example.json", src);
	if (config_load(&cfg, buf_str(&path), &probs) != 0)
		print_problems(&probs);
	assert_int_equal(probs.n, 0);
	assert_string_equal(cfg.ch_ask, "ask-experimenter");
	assert_int_equal(cfg.ch_pm.n, 2);
	assert_string_equal(cfg.ch_triage, "customer-requests");
	assert_int_equal(cfg.nmeetings, 4);
	m = config_meeting(&cfg, "pm-weekly-sync");
	assert_non_null(m);
	assert_string_equal(m->dtstart, "2025-01-08T09:00:00");
	assert_string_equal(m->rrule, "FREQ=WEEKLY;BYDAY=WE");
	assert_int_equal(m->duration_min, 30);
	assert_int_equal(m->nreminders, 3);
	assert_int_equal(m->reminders[0].offset_min, -24 * 60);
	assert_int_equal(m->reminders[0].at_hour, 16);
	assert_non_null(strstr(m->reminders[0].text, "{triage_unassigned}"));
	assert_int_equal(m->reminders[1].at_hour, -1);
	assert_int_equal(m->reminders[2].after_end, 1);
	r = config_rotation(&cfg, "triage");
	assert_non_null(r);
	assert_string_equal(r->meeting, "pm-weekly-sync");
	assert_int_equal(r->handoff_weekday, 1);
	r = config_rotation(&cfg, "twitter");
	assert_non_null(r);
	assert_int_equal(r->ack_minutes, 30);
	assert_int_equal(r->escalate_minutes, 60);
	cl = config_checklist(&cfg, "pre-launch");
	assert_non_null(cl);
	assert_int_equal(cl->nitems, 6);
	assert_string_equal(cl->items[2].auto_on, "qa_ticket");
	assert_string_equal(cl->items[5].auto_on, "stage:enrolling");
	cl = config_checklist(&cfg, "post-experiment");
	assert_non_null(cl);
	assert_string_equal(cl->items[2].auto_on, "stage:complete");
	assert_true(config_is_admin(&cfg, "@Alice"));
	assert_false(config_is_admin(&cfg, "carol"));
	assert_true(config_is_pm(&cfg, "carol"));
	assert_true(config_is_marketing(&cfg, "mallory"));
	assert_string_equal(
	    config_channel(&cfg, "triage"), "customer-requests");
	assert_string_equal(config_channel(&cfg, "pm"), "pm");
	assert_string_equal(config_channel(&cfg, "random"), "random");
	assert_true(config_listens_in(&cfg, "pm-leads"));
	assert_true(config_listens_in(&cfg, "~ask-experimenter"));
	assert_false(config_listens_in(&cfg, "town-square"));
	config_free(&cfg);
	config_problems_free(&probs);
	buf_free(&path);
}

static void
test_defaults(void **state)
{
	struct config cfg;
	struct config_problems probs;

	assert_int_equal(config_load_string(&cfg, "{}", &probs), 0);
	assert_string_equal(cfg.redis_url, "redis://127.0.0.1:6379/0");
	assert_string_equal(cfg.redis_prefix, "pmbot:");
	assert_string_equal(cfg.http_listen, "127.0.0.1:8787");
	assert_string_equal(cfg.public_url, "http://127.0.0.1:8787");
	assert_string_equal(cfg.slack_api_url, "https://slack.com/api/");
	assert_int_equal(cfg.slack_connections, 1);
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_int_equal(cfg.log_format, LOG_TEXT);
	assert_string_equal(cfg.timezone, "UTC");
	assert_string_equal(cfg.bot_name, "pmbot");
	assert_string_equal(cfg.jira_issue_type, "Nimbus/Remote delivery");
	assert_int_equal(cfg.reminder_horizon_min, 1440);
	assert_int_equal(cfg.rate_commands, 20);
	assert_null(cfg.mm_url);
	assert_null(cfg.jira_url);
	assert_int_equal(cfg.nmeetings, 0);
	config_free(&cfg);
	config_problems_free(&probs);
}

static void
test_comments_stripped(void **state)
{
	static const char json[] =
	    "// leading comment\n"
	    "{\n"
	    "  /* block\n"
	    "     comment */\n"
	    "  \"experimenter_url\": "
	    "\"https://x.example.com/n/{slug}//*kept*/\", // trailing\n"
	    "  \"redis\": {\"prefix\": \"a//b:\"}\n"
	    "}\n";
	struct config cfg;
	struct config_problems probs;

	if (config_load_string(&cfg, json, &probs) != 0)
		print_problems(&probs);
	assert_int_equal(probs.n, 0);
	assert_string_equal(
	    cfg.experimenter_url, "https://x.example.com/n/{slug}//*kept*/");
	assert_string_equal(cfg.redis_prefix, "a//b:");
	config_free(&cfg);
	config_problems_free(&probs);
}

static void
test_broken_lists_every_problem(void **state)
{
	static const char json[] =
	    "{\n"
	    "  \"version\": 2,\n"
	    "  \"timezone\": \"Mars/Olympus\",\n"
	    "  \"redis\": {\"url\": \"http://localhost:6379\"},\n"
	    "  \"http\": {\"listen\": \"localhost\"},\n"
	    "  \"slack\": {\"connections\": 11},\n"
	    "  \"log\": {\"level\": \"loud\"},\n"
	    "  \"channels\": {\"pm\": \"pm\"},\n"
	    "  \"meetings\": [\n"
	    "    {\"id\": \"sync\", \"title\": \"Sync\", \"channel\": \"pm\",\n"
	    "     \"start\": \"2025-01-08T25:00\", \"rrule\": \"BYDAY=WE\",\n"
	    "     \"reminders\": [{\"id\": \"prep\", \"offset\": \"-1x\",\n"
	    "                     \"at\": \"4pm\", \"text\": \"t\"}]},\n"
	    "    {\"id\": \"sync\", \"title\": \"Again\", \"channel\": \"pm\",\n"
	    "     \"start\": \"2025-01-08T09:00\",\n"
	    "     \"rrule\": \"FREQ=WEEKLY;BYDAY=XX\",\n"
	    "     \"timezone\": \"America/Nowhere\"},\n"
	    "    {\"title\": \"No id\"}\n"
	    "  ],\n"
	    "  \"rotations\": {\"triage\": {\"members\": [],\n"
	    "     \"handoff\": {\"weekday\": \"funday\"}}},\n"
	    "  \"checklists\": {\"pre-launch\": [{\"id\": \"a\", \"text\": "
	    "\"A\"},\n"
	    "     {\"id\": \"a\", \"text\": \"B\", \"auto\": \"stage:done\"}]}\n"
	    "}\n";
	struct config cfg;
	struct config_problems probs;

	assert_int_equal(config_load_string(&cfg, json, &probs), -1);
	expect_problem(&probs, "$.version: must be between 1 and 1");
	expect_problem(&probs,
	    "$.timezone: unknown time zone \"Mars/Olympus\" (an IANA name "
	    "such as Europe/Berlin, or UTC)");
	expect_problem(
	    &probs, "$.redis.url: must start with redis:// or unix://");
	expect_problem(
	    &probs, "$.http.listen: must be host:port, e.g. 127.0.0.1:8787");
	expect_problem(&probs, "$.slack.connections: must be between 1 and 10");
	expect_problem(
	    &probs, "$.log.level: must be one of error, warn, info, debug");
	expect_problem(&probs, "$.channels.pm: expected an array");
	expect_problem(&probs,
	    "$.meetings[0].start: must be a local date and time "
	    "\"YYYY-MM-DDTHH:MM\"");
	expect_problem(&probs, "$.meetings[0].rrule: FREQ is missing (e.g. "
			       "FREQ=WEEKLY;BYDAY=WE)");
	expect_problem(&probs,
	    "$.meetings[0].reminders[0].offset: must be a signed duration "
	    "such as -1d, -2h, 0m or +15m (at most a year)");
	expect_problem(&probs,
	    "$.meetings[0].reminders[0].at: must be a time of day \"HH:MM\" "
	    "(00:00 to 23:59)");
	expect_problem(&probs,
	    "$.meetings[1].rrule: is not a valid RFC 5545 recurrence rule");
	expect_problem(&probs,
	    "$.meetings[1].timezone: unknown time zone \"America/Nowhere\" "
	    "(an IANA name such as Europe/Berlin, or UTC)");
	expect_problem(&probs, "$.meetings[1].id: duplicate meeting id "
			       "\"sync\" (first at $.meetings[0])");
	expect_problem(&probs, "$.meetings[2]: \"id\" is required");
	expect_problem(&probs, "$.meetings[2]: \"start\" is required");
	expect_problem(&probs,
	    "$.rotations.triage.handoff.weekday: must be a weekday name such "
	    "as monday");
	expect_problem(&probs,
	    "$.rotations.triage.members: must name at least one member");
	expect_problem(
	    &probs, "$.checklists.pre-launch[1].id: duplicate item id \"a\"");
	assert_true(problems_mention(&probs, "$.checklists.pre-launch[1].auto: "
					     "must be \"qa_ticket\""));
	config_free(&cfg);
	config_problems_free(&probs);
}

static void
test_unknown_key_suggestion(void **state)
{
	static const char json[] = "{\"redis\": {\"prefx\": \"x:\"},"
				   " \"timezon\": \"UTC\","
				   " \"rotations\": {\"twiter\": {}},"
				   " \"completely_else\": 1}";
	struct config cfg;
	struct config_problems probs;

	assert_int_equal(config_load_string(&cfg, json, &probs), -1);
	expect_problem(&probs,
	    "$.redis.prefx: unknown key \"prefx\"; did you mean \"prefix\"?");
	expect_problem(&probs,
	    "$.timezon: unknown key \"timezon\"; did you mean \"timezone\"?");
	expect_problem(&probs, "$.rotations.twiter: unknown key \"twiter\"; "
			       "did you mean \"twitter\"?");
	expect_problem(
	    &probs, "$.completely_else: unknown key \"completely_else\"");
	assert_int_equal(probs.n, 4);
	config_free(&cfg);
	config_problems_free(&probs);
}

static void
test_syntax_error_line(void **state)
{
	static const char json[] = "{\n"
				   "  // the version\n"
				   "  \"version\": 1,\n"
				   "  \"timezone\" \"UTC\"\n"
				   "}\n";
	struct config cfg;
	struct config_problems probs;

	assert_int_equal(config_load_string(&cfg, json, &probs), -1);
	assert_int_equal(probs.n, 1);
	assert_string_equal(probs.v[0], "$: syntax error at line 4, column 14");
	config_free(&cfg);
	config_problems_free(&probs);

	assert_int_equal(
	    config_load_string(&cfg, "{\"a\": \"\xff\"}", &probs), -1);
	assert_string_equal(probs.v[0], "$: invalid UTF-8 at line 1, column 8");
	config_free(&cfg);
	config_problems_free(&probs);
}

static void
test_env_overrides_file(void **state)
{
	struct config cfg;
	struct config_problems probs;
	char *path;

	path = write_temp("{\"redis\": {\"url\": \"redis://10.0.0.1:6379/1\","
			  " \"prefix\": \"file:\"},"
			  " \"http\": {\"listen\": \"0.0.0.0:9000\"},"
			  " \"log\": {\"level\": \"warn\"}}");
	setenv("PMBOT_REDIS_URL", "unix:///run/redis.sock?db=2", 1);
	setenv("PMBOT_HTTP_LISTEN", "127.0.0.1:7000", 1);
	setenv("PMBOT_LOG_LEVEL", "debug", 1);
	setenv("PMBOT_SLACK_API_URL", "http://127.0.0.1:5000/api/", 1);
	if (config_load(&cfg, path, &probs) != 0)
		print_problems(&probs);
	assert_int_equal(probs.n, 0);
	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.redis_url, "unix:///run/redis.sock?db=2");
	assert_string_equal(cfg.redis_prefix, "file:");
	assert_string_equal(cfg.http_listen, "127.0.0.1:7000");
	assert_string_equal(cfg.public_url, "http://127.0.0.1:7000");
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	assert_string_equal(cfg.slack_api_url, "http://127.0.0.1:5000/api/");
	config_free(&cfg);
	config_problems_free(&probs);

	/* A bad value from the environment is named by its variable. */
	setenv("PMBOT_LOG_FORMAT", "xml", 1);
	assert_int_equal(config_load(&cfg, path, &probs), -1);
	expect_problem(&probs, "PMBOT_LOG_FORMAT: must be text or json");
	config_free(&cfg);
	config_problems_free(&probs);
	unlink(path);
	free(path);
}

static void
test_secret_file_never_shown(void **state)
{
	static const char secret[] = "xoxp-not-a-bot-token-7f3a9c";
	struct config cfg;
	struct config_problems probs;
	char *cfgpath, *secpath, *logtext = NULL;
	size_t loglen = 0, i;
	FILE *logfp;

	cfgpath = write_temp("{}");
	secpath = write_temp("xoxp-not-a-bot-token-7f3a9c\n");
	logfp = open_memstream(&logtext, &loglen);
	assert_non_null(logfp);
	log_set_stream(logfp);

	/* A well-formed secret is read, newline stripped. */
	setenv("PMBOT_JIRA_URL", "https://jira.example.com", 1);
	setenv("PMBOT_JIRA_TOKEN_FILE", secpath, 1);
	assert_int_equal(config_load(&cfg, cfgpath, &probs), -1);
	assert_string_equal(cfg.jira_token, secret);
	expect_problem(
	    &probs, "$.jira.project: required when the Jira URL is set");
	config_free(&cfg);
	config_problems_free(&probs);

	/* The wrong kind of Slack token: the problem says which one. */
	setenv("PMBOT_SLACK_APP_TOKEN", "xapp-1-A-good-one", 1);
	setenv("PMBOT_SLACK_BOT_TOKEN_FILE", secpath, 1);
	assert_int_equal(config_load(&cfg, cfgpath, &probs), -1);
	expect_problem(&probs, "PMBOT_SLACK_BOT_TOKEN_FILE: must start with "
			       "xoxb-");
	log_error(
	    "config: %zu problems, token was %s", probs.n, cfg.slack_bot_token);
	for (i = 0; i < probs.n; i++) {
		assert_null(strstr(probs.v[i], secret));
		log_error("config: %s", probs.v[i]);
	}
	config_free(&cfg);
	config_problems_free(&probs);

	/* An unreadable file names the variable and the path only. */
	setenv("PMBOT_MATTERMOST_TOKEN_FILE", "/nonexistent/pmbot-token", 1);
	assert_int_equal(config_load(&cfg, cfgpath, &probs), -1);
	expect_problem(&probs, "PMBOT_MATTERMOST_TOKEN_FILE: cannot read "
			       "\"/nonexistent/pmbot-token\": No such file or "
			       "directory");
	config_free(&cfg);
	config_problems_free(&probs);

	fflush(logfp);
	assert_non_null(strstr(logtext, "problems, token was"));
	assert_null(strstr(logtext, secret));
	log_set_stream(stderr);
	fclose(logfp);
	free(logtext);
	unlink(cfgpath);
	unlink(secpath);
	free(cfgpath);
	free(secpath);
}

static void
test_redis_password_masked(void **state)
{
	struct config cfg;
	struct config_problems probs;
	char *logtext = NULL, *path;
	size_t loglen = 0;
	FILE *logfp;

	path = write_temp("{}");
	setenv("PMBOT_REDIS_URL", "redis://:s3cret-pass@127.0.0.1:6379/0", 1);
	assert_int_equal(config_load(&cfg, path, &probs), 0);
	logfp = open_memstream(&logtext, &loglen);
	assert_non_null(logfp);
	log_set_stream(logfp);
	log_info("store: connecting to %s", cfg.redis_url);
	fflush(logfp);
	assert_non_null(strstr(logtext, "store: connecting to"));
	assert_null(strstr(logtext, "s3cret-pass"));
	log_set_stream(stderr);
	fclose(logfp);
	free(logtext);
	config_free(&cfg);
	config_problems_free(&probs);
	unlink(path);
	free(path);
}

static void
test_token_in_file(void **state)
{
	static const char json[] = "{\"mattermost\": {\"url\": "
				   "\"https://chat.example.com\", \"team\": "
				   "\"product\", \"token\": \"abcd1234efgh\"}}";
	struct config cfg;
	struct config_problems probs;
	size_t i;

	assert_int_equal(config_load_string(&cfg, json, &probs), -1);
	expect_problem(&probs,
	    "$.mattermost.token: secrets are not read from the file; set "
	    "PMBOT_MATTERMOST_TOKEN or PMBOT_MATTERMOST_TOKEN_FILE in the "
	    "environment");
	expect_problem(&probs, "PMBOT_MATTERMOST_TOKEN: required when the "
			       "Mattermost URL is set");
	for (i = 0; i < probs.n; i++)
		assert_null(strstr(probs.v[i], "abcd1234efgh"));
	config_free(&cfg);
	config_problems_free(&probs);
}

static void
test_file_errors(void **state)
{
	struct config cfg;
	struct config_problems probs;
	char *path;

	assert_int_equal(
	    config_load(&cfg, "/nonexistent/pmbot.json", &probs), -1);
	expect_problem(&probs, "$: cannot read \"/nonexistent/pmbot.json\": "
			       "No such file or directory");
	config_free(&cfg);
	config_problems_free(&probs);

	path = write_temp("{\"version\": 1 /* unterminated\n}");
	assert_int_equal(config_load(&cfg, path, &probs), -1);
	expect_problem(
	    &probs, "$: comment opened at line 1, column 15 never ends");
	config_free(&cfg);
	config_problems_free(&probs);
	unlink(path);
	free(path);
}

static char *
read_source_file(const char *rel)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	char chunk[4096];
	const char *src = getenv("PMBOT_SOURCE_DIR");
	FILE *fp;
	size_t n;

	assert_non_null(src);
	buf_printf(&path, "%s/%s", src, rel);
	fp = fopen(buf_str(&path), "r");
	assert_non_null(fp);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&text, chunk, n);
	fclose(fp);
	buf_free(&path);
	return buf_detach(&text);
}

/* jira.fields: what an operator writes lands in order, strings as
 * strings and the objects, arrays and numbers of select, multi-select
 * and number fields as JSON text; a name Jira would not know, a field
 * pmbot sets itself, an empty or null value and a duplicate are each a
 * problem at their own path. */
static void
test_jira_fields_and_assignee(void **state)
{
	static const char good[] =
	    "{\"jira\": {\"assignee\": \"5b10a2844c20165700ede21g\",\n"
	    "  \"fields\": {\"customfield_10010\": \"Nimbus\",\n"
	    "             \"duedate\": \"2026-12-01\",\n"
	    "             \"customfield_20\": {\"value\": \"High\"},\n"
	    "             \"customfield_21\": [{\"name\": \"web\"}],\n"
	    "             \"customfield_22\": 3}}}";
	static const char bad[] =
	    "{\"jira\": {\"fields\": {\"custom field\": \"x\",\n"
	    "  \"summary\": \"mine\", \"customfield_1\": null,\n"
	    "  \"customfield_2\": \"\", \"customfield_3\": \"a\",\n"
	    "  \"customfield_3\": \"b\"}}}";
	struct config cfg;
	struct config_problems probs;

	(void)state;
	if (config_load_string(&cfg, good, &probs) != 0)
		print_problems(&probs);
	assert_int_equal(probs.n, 0);
	assert_string_equal(cfg.jira_assignee, "5b10a2844c20165700ede21g");
	assert_int_equal(cfg.jira_fields.n, 5);
	assert_string_equal(cfg.jira_fields.names[0], "customfield_10010");
	assert_string_equal(cfg.jira_fields.values[0], "Nimbus");
	assert_false(cfg.jira_fields.json[0]);
	assert_string_equal(cfg.jira_fields.names[1], "duedate");
	assert_string_equal(cfg.jira_fields.values[1], "2026-12-01");
	assert_string_equal(cfg.jira_fields.values[2], "{\"value\":\"High\"}");
	assert_true(cfg.jira_fields.json[2]);
	assert_string_equal(cfg.jira_fields.values[3], "[{\"name\":\"web\"}]");
	assert_string_equal(cfg.jira_fields.values[4], "3");
	assert_true(cfg.jira_fields.json[4]);
	config_free(&cfg);
	config_problems_free(&probs);

	assert_int_equal(config_load_string(&cfg, bad, &probs), -1);
	expect_problem(&probs,
	    "$.jira.fields.custom field: not a Jira field id (letters, "
	    "digits and '_', such as customfield_10010)");
	expect_problem(
	    &probs, "$.jira.fields.summary: pmbot sets this field itself");
	expect_problem(&probs,
	    "$.jira.fields.customfield_1: expected a value (a string, or the "
	    "object, array or number the field takes)");
	expect_problem(&probs,
	    "$.jira.fields.customfield_2: expected a value (a string, or the "
	    "object, array or number the field takes)");
	expect_problem(&probs, "$.jira.fields.customfield_3: duplicate key");
	assert_int_equal(probs.n, 5);
	assert_int_equal(cfg.jira_fields.n, 1);
	config_free(&cfg);
	config_problems_free(&probs);

	assert_int_equal(config_load_string(
			     &cfg, "{\"jira\": {\"fields\": [\"x\"]}}", &probs),
	    -1);
	expect_problem(&probs, "$.jira.fields: expected an object");
	config_free(&cfg);
	config_problems_free(&probs);
}

/* STYLE rule 11: the docs follow the key table, so a key added to the
 * table without a line in docs/configuration.md fails here. */
static void
test_docs_list_every_key(void **state)
{
	struct buf needle = BUF_INIT;
	char *docs = read_source_file("docs/configuration.md");
	const char *p, *env;
	size_t i;

	for (i = 0; config_key_path(i) != NULL; i++) {
		p = config_key_path(i);
		buf_reset(&needle);
		buf_printf(&needle, "`%s", p);
		if (strstr(docs, buf_str(&needle)) == NULL)
			fail_msg("docs/configuration.md lacks %s", p);
		env = config_key_env(i);
		if (env != NULL && strstr(docs, env) == NULL)
			fail_msg("docs/configuration.md lacks %s", env);
	}
	assert_true(i > 50);
	buf_free(&needle);
	free(docs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_example_loads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_comments_stripped, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_broken_lists_every_problem, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_unknown_key_suggestion, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_syntax_error_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_env_overrides_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_secret_file_never_shown, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_redis_password_masked, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_token_in_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_jira_fields_and_assignee, setup, teardown),
	    cmocka_unit_test(test_docs_list_every_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
