/*
 * The router as a user meets it: each test types a line through a
 * capturing sink, the way an adapter would, and checks the exact replies
 * and that the sink was released exactly once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "limits.h"
#include "router.h"

#define MAX_REPLIES 8

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

struct capture {
	char *text[MAX_REPLIES]; /* the message as written (Markdown) */
	int ephemeral[MAX_REPLIES];
	char *thread[MAX_REPLIES];
	int n;
	int releases;
};

static void
capture_send(void *ctx, const struct request *req, const struct message *m,
    int ephemeral)
{
	struct capture *c = ctx;

	assert_true(c->n < MAX_REPLIES);
	c->text[c->n] = message_render_markdown(m);
	c->ephemeral[c->n] = ephemeral;
	c->thread[c->n] = req->thread != NULL ? strdup(req->thread) : NULL;
	c->n++;
}

static void
capture_release(void *ctx)
{
	struct capture *c = ctx;

	c->releases++;
}

static void
capture_reset(struct capture *c)
{
	int i;

	for (i = 0; i < c->n; i++) {
		free(c->text[i]);
		free(c->thread[i]);
	}
	memset(c, 0, sizeof *c);
}

struct fixture {
	struct bot bot;
	struct capture cap;
	char *admins[1];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	f->bot.cfg.bot_name = "pmbot";
	f->bot.cfg.rate_commands = 20;
	f->bot.cfg.guide_path = PMBOT_SOURCE_DIR "/config/guide.md";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	capture_reset(&f->cap);
	rate_table_free(f->bot.rates);
	free(f);
	return 0;
}

/* Types line as user from source and checks the one release. */
static struct capture *
type_as(struct fixture *f, const char *user, enum req_source source,
    const char *line)
{
	struct incoming in;

	capture_reset(&f->cap);
	memset(&in, 0, sizeof in);
	in.user = user;
	in.channel = "ask-experimenter";
	in.thread = source == SRC_MENTION ? "root-post-1" : NULL;
	in.text = line;
	in.source = source;
	in.sink.send = capture_send;
	in.sink.release = capture_release;
	in.sink.ctx = &f->cap;
	router_handle(&f->bot, &in);
	assert_int_equal(f->cap.releases, 1);
	assert_int_equal(f->bot.inflight, 0);
	return &f->cap;
}

static struct capture *
type(struct fixture *f, const char *line)
{
	return type_as(f, "alice", SRC_SLASH, line);
}

/* Exactly one reply, only the caller sees it, and it reads want. */
static void
expect_private(struct capture *c, const char *want)
{
	assert_int_equal(c->n, 1);
	assert_true(c->ephemeral[0]);
	assert_string_equal(c->text[0], want);
}

static void
test_help_lists_every_command(void **state)
{
	struct fixture *f = *state;
	const char *lines[] = {
	    "/pm help", "help", "pm", "/help", "@pmbot help"};
	size_t i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct capture *c = type(f, lines[i]);
		const struct cmd_entry *const *e;
		char item[128];

		assert_int_equal(c->n, 1);
		assert_true(c->ephemeral[0]);
		assert_true(starts(c->text[0], "**Commands**\n"));
		for (e = handler_table; *e != NULL; e++) {
			snprintf(item, sizeof item, "\n- `/%s` — %s\n",
			    (*e)->name, (*e)->summary);
			assert_non_null(strstr(c->text[0], item));
		}
		assert_non_null(strstr(c->text[0],
		    "\nType `/pm help <command>` for one command's usage."));
	}
}

static void
test_help_for_one_command(void **state)
{
	struct fixture *f = *state;
	const char *lines[] = {"/pm help guide", "help guide", "/guide help",
	    "/pm guide help", "help /GUIDE"};
	size_t i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct capture *c = type(f, lines[i]);

		assert_int_equal(c->n, 1);
		assert_true(c->ephemeral[0]);
		assert_string_equal(c->text[0],
		    "**/guide** — where to start, experiment vs rollout vs "
		    "holdback, shadows, office hours\n"
		    "also: `/guides`\n"
		    "usage:\n"
		    "- `/guide [start|rollout|experiment|holdback|shadow|office-hours]`\n"
		    "\n"
		    "examples:\n"
		    "- `/guide start`\n"
		    "- `/guide holdback`\n"
		    "- `/guide office-hours`");
	}

	expect_private(type(f, "/pm help status"),
	    "**/pm status** — connections, Redis, version and uptime "
	    "(admins)\n"
	    "usage:\n"
	    "- `/pm status`");
	expect_private(
	    type(f, "help guide chapter"), "unknown subcommand \"chapter\"");
	expect_private(type(f, "help gude"),
	    "unknown command \"gude\"; did you mean \"guide\"?");
}

static void
test_umbrella_runs_the_command(void **state)
{
	struct fixture *f = *state;
	const char *lines[] = {"/pm guide rollout", "/guide rollout",
	    "guide rollout", "pmbot guide rollout", "@pmbot Guide ROLLOUT",
	    "/pm /guide rollout", "/guides rollout"};
	size_t i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct capture *c = type(f, lines[i]);

		assert_int_equal(c->n, 1);
		assert_false(c->ephemeral[0]);
		assert_true(starts(c->text[0],
		    "**Experiment, rollout or holdback: when to use a rollout**\n"));
	}
}

static void
test_mention_replies_in_thread(void **state)
{
	struct fixture *f = *state;
	struct capture *c = type_as(f, "bob", SRC_MENTION, "guide shadow");

	assert_int_equal(c->n, 1);
	assert_string_equal(c->thread[0], "root-post-1");
	assert_true(starts(c->text[0], "**How to ask for a shadow**"));
}

static void
test_unknown_command_suggests(void **state)
{
	struct fixture *f = *state;

	expect_private(type(f, "gude"),
	    "unknown command \"gude\"; did you mean \"guide\"?");
	expect_private(type(f, "/pm gude start"),
	    "unknown command \"gude\"; did you mean \"guide\"?");
	expect_private(type(f, "/hepl"),
	    "unknown command \"hepl\"; did you mean \"help\"?");
	expect_private(
	    type(f, "xyzzy plugh"), "unknown command \"xyzzy\"; try \"help\"");
	expect_private(type(f, "   "), "empty command; try \"help\"");
}

static void
test_argument_bounds(void **state)
{
	struct fixture *f = *state;
	const struct cmd_entry *brief = router_find("brief");

	expect_private(type(f, "/guide office hours now please"),
	    "expected at most 3 arguments\n"
	    "usage: `/guide [start|rollout|experiment|holdback|shadow|office-hours]`");
	expect_private(type(f, "/pm status now"),
	    "expected no arguments\nusage: `/pm status`");
	if (brief == NULL || brief->subs == NULL)
		skip();
	/* "brief add" takes a slug and a URL at least. */
	{
		struct capture *c = type(f, "/brief add");

		assert_int_equal(c->n, 1);
		assert_true(c->ephemeral[0]);
		assert_true(starts(c->text[0],
		    "expected at least 2 arguments\nusage: `/brief add "));
	}
}

static void
test_permission(void **state)
{
	struct fixture *f = *state;
	struct capture *c;

	/* A fresh install has no admins: everyone may do everything. */
	c = type(f, "/pm status");
	assert_int_equal(c->n, 1);
	assert_true(c->ephemeral[0]);
	assert_non_null(strstr(c->text[0], "**pmbot status**\n- version: "));
	assert_non_null(strstr(c->text[0], "\n- redis: not configured"));

	f->admins[0] = "root";
	f->bot.cfg.admins.v = f->admins;
	f->bot.cfg.admins.n = 1;
	expect_private(type(f, "/pm status"),
	    "permission denied: \"pm status\" is for admins");
	c = type_as(f, "root", SRC_SLASH, "/pm status");
	assert_int_equal(c->n, 1);
	assert_non_null(strstr(c->text[0], "**pmbot status**"));
	/* Help stays open to everyone. */
	c = type(f, "help");
	assert_int_equal(c->n, 1);
	assert_non_null(strstr(c->text[0], "**Commands**"));

	assert_true(router_permitted(&f->bot.cfg, "anyone", PERM_ANYONE));
	assert_false(router_permitted(&f->bot.cfg, "alice", PERM_PM));
	assert_true(router_permitted(&f->bot.cfg, "@root", PERM_PM));
}

static void
test_rate_limit(void **state)
{
	struct fixture *f = *state;
	int i;

	f->bot.cfg.rate_commands = 3;
	f->bot.rates = rate_table_new(3);
	for (i = 0; i < 3; i++) {
		struct capture *c = type_as(f, "carol", SRC_DM, "help");

		assert_non_null(strstr(c->text[0], "**Commands**"));
	}
	expect_private(type_as(f, "carol", SRC_DM, "help"),
	    "slow down: at most 3 commands a minute; try again in a few seconds");
	/* Others are not slowed by carol, nor is the console operator. */
	assert_non_null(strstr(
	    type_as(f, "dave", SRC_DM, "help")->text[0], "**Commands**"));
	for (i = 0; i < 10; i++)
		assert_non_null(
		    strstr(type_as(f, "carol", SRC_CONSOLE, "help")->text[0],
			"**Commands**"));
}

static void
test_rate_table(void **state)
{
	struct rate_table *t = rate_table_new(2);
	long long t0 = 1000000;

	assert_true(rate_table_take(t, "u", t0));
	assert_true(rate_table_take(t, "u", t0));
	assert_false(rate_table_take(t, "u", t0 + 1));
	assert_true(rate_table_take(t, "v", t0 + 1));
	/* One command comes back every half window. */
	assert_false(
	    rate_table_take(t, "u", t0 + LIMIT_RATE_WINDOW_MS / 2 - 10));
	assert_true(
	    rate_table_take(t, "u", t0 + LIMIT_RATE_WINDOW_MS / 2 + 10));
	assert_false(
	    rate_table_take(t, "u", t0 + LIMIT_RATE_WINDOW_MS / 2 + 20));
	rate_table_free(t);
	/* No table, no limit. */
	assert_true(rate_table_take(NULL, "u", t0));
}

static void
test_bad_text_runs_nothing(void **state)
{
	struct fixture *f = *state;

	expect_private(type(f, "guide \xff start"),
	    "could not read the command: invalid UTF-8; nothing was run");
	expect_private(type(f, "guide \"start"),
	    "could not read the command: unbalanced quote");
}

/* The typed checks handlers call: valid is 1 and silent, invalid is 0
 * with the error and the usage line of the entry being run. */
static void
test_typed_arguments(void **state)
{
	struct fixture *f = *state;
	struct request req;
	char *user = NULL;
	long v = 0;

	memset(&req, 0, sizeof req);
	req.cmd = req.entry = router_find("guide");
	req.sink.send = capture_send;
	req.sink.ctx = &f->cap;

	assert_int_equal(arg_slug_or_reply(&req, "onboarding-v2"), 1);
	assert_int_equal(f->cap.n, 0);
	assert_int_equal(arg_slug_or_reply(&req, "Onboarding_v2"), 0);
	expect_private(&f->cap,
	    "invalid slug \"Onboarding_v2\": use 1 to 64 lower-case letters, "
	    "digits and dashes\n"
	    "usage: `/guide [start|rollout|experiment|holdback|shadow|office-hours]`");
	capture_reset(&f->cap);

	assert_int_equal(arg_user_or_reply(&req, "@alice.b-2", &user), 1);
	assert_string_equal(user, "alice.b-2");
	free(user);
	assert_int_equal(arg_user_or_reply(&req, "@", &user), 0);
	assert_null(user);
	assert_int_equal(f->cap.n, 1);
	assert_true(starts(
	    f->cap.text[0], "invalid user \"@\": expected @name\nusage: "));
	capture_reset(&f->cap);

	assert_int_equal(arg_int_or_reply(&req, "12", 1, 31, &v), 1);
	assert_int_equal(v, 12);
	assert_int_equal(arg_int_or_reply(&req, "12x", 1, 31, &v), 0);
	assert_int_equal(arg_int_or_reply(&req, "40", 1, 31, &v), 0);
	assert_int_equal(f->cap.n, 2);
	assert_true(starts(f->cap.text[0], "\"12x\" is not a number\n"));
	assert_true(starts(f->cap.text[1], "40 is out of range (1 to 31)\n"));
	assert_int_equal(req.replied, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_help_lists_every_command, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_help_for_one_command, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_umbrella_runs_the_command, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_mention_replies_in_thread, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_unknown_command_suggests, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_argument_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_permission, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
	    cmocka_unit_test(test_rate_table),
	    cmocka_unit_test_setup_teardown(
		test_bad_text_runs_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_typed_arguments, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
