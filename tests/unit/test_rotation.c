/*
 * /rotation, /escalate and /request as users meet them: lines go through
 * the router into the handlers against a private redis-server; the tests
 * check the replies, the direct messages a capturing adapter receives,
 * the scheduler jobs an escalation leaves in Redis, and that refused
 * input wrote nothing.  Also the duration keys of the configuration.
 */
#include "redis_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bot.h"
#include "config.h"
#include "rotation.h"
#include "router.h"
#include "store.h"

#include "handler_fixture.h"

static char *admins[] = {"alice"};
static char *pms[] = {"alice", "carol", "dave", "erin"};
static char *marketing[] = {"mallory"};
static char *tw_members[] = {"carol", "erin", "alice"};
static char *tr_members[] = {"erin"};
static char *search_kw[] = {"search", "address bar"};
static struct area areas[1];
static struct rotation_conf rotations[2];

static int
group_setup(void **state)
{
	(void)state;
	if (redis_fixture_start(&rf) != 0)
		return -1;
	uv_loop_init(&bot.loop);
	bot.cfg.bot_name = "pmbot";
	bot.cfg.rate_commands = 1000;
	bot.cfg.timezone = "UTC";
	bot.cfg.ch_ask = "ask-experimenter";
	bot.cfg.ch_twitter = "twitter";
	bot.cfg.ch_announce = "pm";
	bot.cfg.pm_group = "pm-team";
	bot.cfg.admins.v = admins;
	bot.cfg.admins.n = 1;
	bot.cfg.pms.v = pms;
	bot.cfg.pms.n = 4;
	bot.cfg.marketing.v = marketing;
	bot.cfg.marketing.n = 1;
	areas[0].name = "Search";
	areas[0].owner = "dave";
	areas[0].keywords.v = search_kw;
	areas[0].keywords.n = 2;
	bot.cfg.areas = areas;
	bot.cfg.nareas = 1;
	rotations[0].name = "twitter";
	rotations[0].members.v = tw_members;
	rotations[0].members.n = 3;
	rotations[0].handoff_weekday = 1;
	rotations[0].handoff_hour = 9;
	rotations[0].timezone = "America/Los_Angeles";
	rotations[0].channel = "twitter";
	rotations[0].ack_s = 1800;
	rotations[0].escalate_s = 3600;
	rotations[1] = rotations[0];
	rotations[1].name = "triage";
	rotations[1].members.v = tr_members;
	rotations[1].members.n = 1;
	bot.cfg.rotations = rotations;
	bot.cfg.nrotations = 2;
	return fixture_connect();
}

static int
group_teardown(void **state)
{
	(void)state;
	return fixture_teardown();
}

static int
flush(void **state)
{
	(void)state;
	return fixture_flush();
}

/* --- tests --------------------------------------------------------------- */

static int
posted_to(const char *to, const char *want)
{
	int i;

	for (i = 0; i < cap.nposts; i++)
		if (strcmp(cap.post_to[i], to) == 0 &&
		    (want == NULL || strstr(cap.post_text[i], want) != NULL))
			return 1;
	return 0;
}

static long long
count(const char *cmd)
{
	redisReply *r = redis_fixture_command(&rf, cmd);
	long long n;

	assert_non_null(r);
	n = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	freeReplyObject(r);
	return n;
}

/* Timers are written after the reply: wait for them to land. */
static long long want_due;

static int
due_settled(void)
{
	return count("ZCARD t:sched:due") == want_due;
}

static void
expect_due(long long n)
{
	want_due = n;
	spin_until(due_settled);
	assert_int_equal(count("ZCARD t:sched:due"), n);
}

static void
test_bad_input_changes_nothing(void **state)
{
	(void)state;
	type("/rotation nope");
	assert_said("unknown rotation \"nope\"; the rotations are \"twitter\" "
		    "or \"triage\"");
	type("/rotation twitter add @zed");
	assert_said("unknown user \"@zed\": not one of the configured PMs");
	type("/rotation twitter away @erin 2027-03-12 2027-03-10");
	assert_said("the dates are in the wrong order; nothing changed");
	type("/rotation twitter cover @dave 2027-02-30 2027-03-02");
	assert_said("\"2027-02-30\" is not a date");
	type("/rotation triage remove @erin");
	assert_said("@erin is the last member of the triage rotation");
	type("/rotation twitter remove @zed");
	assert_said("@zed is not in the twitter rotation");
	type_as("carol", "/rotation twitter away @erin 2027-03-10 2027-03-12");
	assert_said("permission denied");
	type("/rotation twitter frobnicate");
	assert_said("unknown or incomplete rotation command \"frobnicate\"");
	assert_int_equal(dbsize(), 0);
	assert_int_equal(cap.nposts, 0);
}

static void
test_show_and_swap_tell_both(void **state)
{
	(void)state;
	type("/rotation twitter");
	assert_said("twitter rotation: @carol is on duty since");
	assert_said("- @erin from");
	type_as("erin", "/rotation twitter swap @carol @erin");
	assert_said("@carol and @erin swap");
	assert_said("@erin is on duty then");
	/* The caller knows; the other side is told. */
	assert_true(posted_to("@carol", "@erin changed the twitter rotation"));
	assert_false(posted_to("@erin", NULL));
	type("/rotation twitter");
	assert_said("@erin is on duty (swap)");
	assert_said("@carol (swap) from");
}

static void
test_escalation_routes_and_ack_drops_timers(void **state)
{
	(void)state;
	type_as("mallory", "/escalate Is the new tab page coming back?");
	assert_said("Escalation #1 for @carol (on Twitter duty)");
	assert_true(posted_to("@carol", "Escalation #1"));
	type_as("mallory", "/escalate The address bar suggestions are wrong");
	assert_said("Escalation #2 for @dave (owner of Search)");
	/* Two timers each, in the scheduler's due set. */
	expect_due(4);
	type_as("mallory", "/escalate ack 2");
	assert_said("permission denied");
	type_as("dave", "/escalate ack 2");
	assert_said("Escalation #2 acknowledged by @dave");
	type_as("dave", "/escalate ack 2");
	assert_said("already acknowledged by @dave");
	type_as("dave", "/escalate ack 9");
	assert_said("no escalation \"9\"");
	expect_due(2);
	assert_int_equal(count("ZCARD t:esc:open"), 1);
	type_as("mallory", "/escalate list");
	assert_said("#1 for @carol");
	if (strstr(said(), "#2 for") != NULL)
		fail_msg("an acknowledged escalation is listed as open");
	type_as("mallory", "/escalate");
	assert_said("what should a PM answer?");
}

static void
test_requests_tell_assignee_and_reporter(void **state)
{
	(void)state;
	type_as("mallory", "/request add Acme \"export to CSV times out\"");
	assert_said("Request #1 for Acme filed; 1 unassigned");
	type("/request assign 1 @zed");
	assert_said("unknown user \"@zed\"");
	type("/request assign 1 @carol");
	assert_said("assigned to @carol");
	assert_true(posted_to("@carol", "assigned you request #1 from Acme"));
	type_as("dave", "/request done 1");
	assert_said("permission denied: request #1 is @carol's");
	type_as("carol", "/request done 1");
	assert_said("Request #1 (Acme) is Processed");
	assert_true(posted_to("@mallory", "Your request #1 for Acme is "
					  "Processed (by @carol)"));
	type("/request list");
	assert_said("No open requests");
	type("/request done 1");
	assert_said("already processed");
}

static void
test_escalation_hook_for_adapters(void **state)
{
	(void)state;
	assert_true(escalate_wants_message(
	    &bot.cfg, "twitter", "@pm-team what about dark mode?"));
	assert_true(escalate_wants_message(&bot.cfg, "twitter", "hey @pmbot"));
	assert_false(escalate_wants_message(
	    &bot.cfg, "pm", "@pm-team what about dark mode?"));
	assert_false(escalate_wants_message(
	    &bot.cfg, "twitter", "@pm-teamwork is a different group"));
}

static void
expect_durations(const char *rot, long ack, long esc)
{
	struct config cfg;
	struct config_problems probs;

	memset(&probs, 0, sizeof(probs));
	assert_int_equal(config_load_string(&cfg, rot, &probs), 0);
	assert_int_equal(cfg.rotations[0].ack_s, ack);
	assert_int_equal(cfg.rotations[0].escalate_s, esc);
	config_free(&cfg);
	config_problems_free(&probs);
}

static void
expect_refused(const char *rot, const char *why)
{
	struct config cfg;
	struct config_problems probs;
	size_t i;
	int found = 0;

	memset(&probs, 0, sizeof(probs));
	assert_int_equal(config_load_string(&cfg, rot, &probs), -1);
	for (i = 0; i < probs.n; i++)
		found = found || strstr(probs.v[i], why) != NULL;
	if (!found)
		fail_msg("no problem mentions \"%s\"", why);
	config_free(&cfg);
	config_problems_free(&probs);
}

static void
test_config_durations(void **state)
{
	(void)state;
	expect_durations("{\"rotations\": {\"twitter\": {\"members\": "
			 "[\"a\"]}}}",
	    1800, 3600);
	expect_durations(
	    "{\"rotations\": {\"twitter\": {\"members\": [\"a\"], "
	    "\"ack_after\": \"30s\", \"escalate_after\": \"2m\"}}}",
	    30, 120);
	expect_durations("{\"rotations\": {\"twitter\": {\"members\": [\"a\"], "
			 "\"ack_after\": \"2h\", \"escalate_after\": \"1d\"}}}",
	    7200, 86400);
	expect_refused("{\"rotations\": {\"twitter\": {\"members\": [\"a\"], "
		       "\"ack_after\": \"5x\"}}}",
	    "$.rotations.twitter.ack_after");
	expect_refused("{\"rotations\": {\"twitter\": {\"members\": [\"a\"], "
		       "\"ack_after\": \"0s\"}}}",
	    "$.rotations.twitter.ack_after");
	expect_refused("{\"rotations\": {\"twitter\": {\"members\": [\"a\"], "
		       "\"ack_after\": \"10m\", \"escalate_after\": \"5m\"}}}",
	    "$.rotations.twitter.escalate_after");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_bad_input_changes_nothing, flush),
	    cmocka_unit_test_setup(test_show_and_swap_tell_both, flush),
	    cmocka_unit_test_setup(
		test_escalation_routes_and_ack_drops_timers, flush),
	    cmocka_unit_test_setup(
		test_requests_tell_assignee_and_reporter, flush),
	    cmocka_unit_test(test_escalation_hook_for_adapters),
	    cmocka_unit_test(test_config_durations),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
