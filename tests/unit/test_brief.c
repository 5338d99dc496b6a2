/*
 * /brief, /checklist and the Jira-less /qa as a user meets them: lines go
 * through the router into the handlers, against a private redis-server,
 * and the tests check the replies, the direct messages a capturing
 * adapter receives, and that a refused command wrote nothing to Redis.
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
#include "brief.h"
#include "checklist.h"
#include "router.h"
#include "store.h"

#include "handler_fixture.h"

static char *admins[] = {"erin"};

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
	bot.cfg.experimenter_url =
	    "https://experimenter.example.com/nimbus/{slug}/summary";
	bot.cfg.admins.v = admins;
	bot.cfg.admins.n = 1;
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

static void
test_bad_slugs_change_nothing(void **state)
{
	const char *lines[] = {"/brief add Checkout https://docs.example.com/b",
	    "/brief add check_out https://docs.example.com/b",
	    "/brief add \"a b\" https://docs.example.com/b",
	    "/brief add "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	    "https://docs.example.com/b",
	    "/checklist Bad!", "/brief stage NOPE draft"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		type(lines[i]);
		assert_said("invalid slug");
		assert_true(cap.ephemeral[0]);
		assert_int_equal(dbsize(), 0);
	}
}

static void
test_bad_urls_change_nothing(void **state)
{
	const char *urls[] = {"ftp://docs.example.com/b", "docs.example.com",
	    "https://", "http:///path", "javascript:alert(1)",
	    "\"https://docs.example.com/a b\"", "https://docs<x>.com"};
	char line[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		snprintf(line, sizeof line, "/brief add checkout %s", urls[i]);
		type(line);
		assert_said("is not an http(s) URL");
		assert_int_equal(dbsize(), 0);
	}
}

static void
test_card_shows_everything(void **state)
{
	(void)state;
	type("/brief add checkout-v2 https://docs.example.com/b/1 owner @bob "
	     "title \"Checkout v2\"");
	assert_said("Registered brief checkout-v2");
	/* bob never owned a brief: the guide goes to him, not the caller. */
	assert_int_equal(cap.nposts, 1);
	assert_string_equal(cap.post_to[0], "@bob");
	assert_non_null(strstr(cap.post_text[0], "office hours"));
	assert_non_null(strstr(cap.post_text[0], "shadow"));
	assert_non_null(strstr(cap.post_text[0], "/qa checkout-v2"));

	type("/brief checkout-v2");
	assert_false(cap.ephemeral[0]);
	assert_said("Checkout v2 <https://docs.example.com/b/1>");
	assert_said("Owner: @bob");
	assert_said("Stage: draft");
	assert_said("https://experimenter.example.com/nimbus/checkout-v2/"
		    "summary");
	assert_said("QA ticket: none yet");
	assert_said("Checklist: 0/12 done");

	/* A second brief of bob's: no second guide. */
	type_as("carol", "/brief add checkout-v3 https://docs.example.com/b/2 "
			 "owner @bob");
	assert_int_equal(cap.nposts, 0);
}

static void
test_unknown_slug_suggests_nearest(void **state)
{
	(void)state;
	type("/brief add checkout-v2 https://docs.example.com/b/1");
	type("/brief add search-ranking https://docs.example.com/b/2");
	type("/brief chekout-v2");
	assert_said("no brief \"chekout-v2\"; did you mean \"checkout-v2\"");
	type("/brief zzzzzzzzzz");
	assert_said("no brief \"zzzzzzzzzz\"; /brief list shows them all");
	type("/checklist serch-ranking");
	assert_said("did you mean \"search-ranking\"");
	type("/brief stage chekout-v2 review");
	assert_said("did you mean \"checkout-v2\"");
}

static void
test_unknown_brief_gets_no_checklist(void **state)
{
	(void)state;
	type("/checklist nothing-here");
	assert_said("no brief \"nothing-here\"");
	type("/checklist nothing-here done 1");
	assert_said("no brief \"nothing-here\"");
	assert_int_equal(dbsize(), 0);
}

static void
test_checklist_edits_and_log(void **state)
{
	(void)state;
	type("/brief add exp-1 https://docs.example.com/e1");
	type("/checklist exp-1");
	assert_said("Checklist for exp-1: 0/12 done");
	assert_said("- 1. [ ] Brief complete");
	assert_said("- 12. [ ] Brief closed");

	type_as("bob", "/checklist exp-1 done 2");
	assert_said("@bob ticked item 2 of exp-1: Data-science office hours");
	type("/checklist exp-1 done 2");
	assert_said("already done");
	type("/checklist exp-1 undo 2");
	assert_said("reopened item 2");
	type("/checklist exp-1 assign 4 @carol");
	assert_said(
	    "assigned item 4 of exp-1 (Reviewers identified) to @carol");
	type("/checklist exp-1 due 5 2030-01-15");
	assert_said("is due 2030-01-15");
	type("/checklist exp-1 due 5 2030-02-30");
	assert_said("\"2030-02-30\" is not a date");
	type("/checklist exp-1 done 13");
	assert_said("no item 13: \"exp-1\" has items 1 to 12");
	type("/checklist exp-1 frobnicate 1");
	assert_said("unknown action \"frobnicate\"");

	type("/checklist exp-1");
	assert_said("- 4. [ ] Reviewers identified - @carol");
	assert_said("- 5. [ ] QA sign-off - due 2030-01-15");
	type("/checklist exp-1 log");
	assert_said("@bob done item 2 (ds-office-hours)");
	assert_said("@alice undo item 2 (ds-office-hours)");
	assert_said("@alice assign item 4 (reviewers): carol");
	assert_said("@alice due item 5 (qa-signoff): 2030-01-15");
}

static void
test_stage_ticks_and_tells_owner(void **state)
{
	(void)state;
	type("/brief add exp-2 https://docs.example.com/e2 owner @dave");
	type("/checklist exp-2 done 7");
	type("/brief stage exp-2 enrolling");
	assert_said("moved from draft to enrolling");
	assert_said("Ticked 6. Launched");
	assert_said("2 open post-launch items sent to @dave");
	assert_int_equal(cap.nposts, 1);
	assert_string_equal(cap.post_to[0], "@dave");
	assert_null(strstr(cap.post_text[0], "7. Enrollment checked"));
	assert_non_null(strstr(cap.post_text[0], "8. Monitoring alerts"));
	assert_non_null(strstr(cap.post_text[0], "9. End enrollment"));
	type("/brief exp-2");
	assert_said("Checklist: 2/12 done");
	type("/brief stage exp-2 enrolling");
	assert_said("already in stage enrolling");
	type("/brief stage exp-2 complete");
	assert_said("Ticked 12. Brief closed");
	type("/brief stage exp-2 launched");
	assert_said("unknown stage \"launched\"");
}

static void
test_remove_drops_checklist(void **state)
{
	(void)state;
	type("/brief add exp-3 https://docs.example.com/e3");
	type("/checklist exp-3 done 1");
	type_as("mallory", "/brief remove exp-3");
	assert_said("permission denied");
	type("/brief remove exp-3");
	assert_said("Removed brief exp-3");
	type("/checklist exp-3");
	assert_said("no brief \"exp-3\"");
	/* Only the owners' index remains (first-time owners are kept). */
	assert_int_equal(dbsize(), 1);
}

static void
test_qa_without_jira_names_the_variable(void **state)
{
	(void)state;
	type("/brief add exp-4 https://docs.example.com/e4");
	type("/qa exp-4");
	assert_said("PMBOT_JIRA_URL");
	type("/qa status exp-4");
	assert_said("PMBOT_JIRA_URL");
	type("/qa Bad");
	assert_said("invalid slug");
}

static void
test_due_dates(void **state)
{
	/* Monday 2026-11-23 12:00 UTC; 03:00 UTC on the 24th is still the
	 * 23rd in Los Angeles. */
	time_t mon = 1795435200, late = 1795435200 + 15 * 3600;
	char d[11];

	(void)state;
	assert_int_equal(checklist_parse_due("today", "UTC", mon, d), 0);
	assert_string_equal(d, "2026-11-23");
	assert_int_equal(checklist_parse_due("tomorrow", NULL, mon, d), 0);
	assert_string_equal(d, "2026-11-24");
	assert_int_equal(checklist_parse_due("friday", "UTC", mon, d), 0);
	assert_string_equal(d, "2026-11-27");
	assert_int_equal(checklist_parse_due("Fri", "UTC", mon, d), 0);
	assert_string_equal(d, "2026-11-27");
	assert_int_equal(checklist_parse_due("monday", "UTC", mon, d), 0);
	assert_string_equal(d, "2026-11-30");
	assert_int_equal(checklist_parse_due("next sunday", "UTC", mon, d), 0);
	assert_string_equal(d, "2026-11-29");
	assert_int_equal(
	    checklist_parse_due("today", "America/Los_Angeles", late, d), 0);
	assert_string_equal(d, "2026-11-23");
	assert_int_equal(checklist_parse_due("today", "UTC", late, d), 0);
	assert_string_equal(d, "2026-11-24");
	assert_int_equal(checklist_parse_due("2028-02-29", "UTC", mon, d), 0);
	assert_string_equal(d, "2028-02-29");
	assert_int_equal(checklist_parse_due("2026-02-29", "UTC", mon, d), -1);
	assert_int_equal(checklist_parse_due("2026-13-01", "UTC", mon, d), -1);
	assert_int_equal(checklist_parse_due("2026-1-01", "UTC", mon, d), -1);
	assert_int_equal(checklist_parse_due("someday", "UTC", mon, d), -1);
	assert_int_equal(checklist_parse_due("fr", "UTC", mon, d), -1);
}

static void
test_stage_lists(void **state)
{
	(void)state;
	assert_string_equal(checklist_list_for_stage("draft"), "pre-launch");
	assert_string_equal(checklist_list_for_stage("preview"), "pre-launch");
	assert_string_equal(
	    checklist_list_for_stage("enrolling"), "post-launch");
	assert_string_equal(
	    checklist_list_for_stage("observation"), "post-launch");
	assert_string_equal(
	    checklist_list_for_stage("complete"), "post-experiment");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_bad_slugs_change_nothing, flush),
	    cmocka_unit_test_setup(test_bad_urls_change_nothing, flush),
	    cmocka_unit_test_setup(test_card_shows_everything, flush),
	    cmocka_unit_test_setup(test_unknown_slug_suggests_nearest, flush),
	    cmocka_unit_test_setup(test_unknown_brief_gets_no_checklist, flush),
	    cmocka_unit_test_setup(test_checklist_edits_and_log, flush),
	    cmocka_unit_test_setup(test_stage_ticks_and_tells_owner, flush),
	    cmocka_unit_test_setup(test_remove_drops_checklist, flush),
	    cmocka_unit_test_setup(
		test_qa_without_jira_names_the_variable, flush),
	    cmocka_unit_test(test_due_dates),
	    cmocka_unit_test(test_stage_lists),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
