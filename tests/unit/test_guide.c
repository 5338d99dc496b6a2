/*
 * /guide: every shipped topic answers from config/guide.md, the answers
 * come from the file (an edited file shows without a restart), and a
 * mistyped topic gets the nearest one and the usage line.
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

#include "bot.h"
#include "router.h"

#define USAGE \
	"usage: `/guide [start|rollout|experiment|holdback|shadow|office-hours]`"

struct capture {
	char *text;
	int ephemeral;
	int n;
	int releases;
};

static void
capture_send(void *ctx, const struct request *req, const struct message *m,
    int ephemeral)
{
	struct capture *c = ctx;

	free(c->text);
	c->text = message_render_markdown(m);
	c->ephemeral = ephemeral;
	c->n++;
}

static void
capture_release(void *ctx)
{
	struct capture *c = ctx;

	c->releases++;
}

struct fixture {
	struct bot bot;
	struct capture cap;
	char dir[64];
	char path[96];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	f->bot.cfg.bot_name = "pmbot";
	f->bot.cfg.guide_path = PMBOT_SOURCE_DIR "/config/guide.md";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->path[0] != '\0')
		unlink(f->path);
	if (f->dir[0] != '\0')
		rmdir(f->dir);
	free(f->cap.text);
	free(f);
	return 0;
}

/* Runs line; exactly one reply and one release. */
static struct capture *
run(struct fixture *f, const char *line)
{
	struct incoming in;

	free(f->cap.text);
	memset(&f->cap, 0, sizeof f->cap);
	memset(&in, 0, sizeof in);
	in.user = "newbie";
	in.channel = "ask-experimenter";
	in.text = line;
	in.source = SRC_SLASH;
	in.sink.send = capture_send;
	in.sink.release = capture_release;
	in.sink.ctx = &f->cap;
	router_handle(&f->bot, &in);
	assert_int_equal(f->cap.releases, 1);
	assert_int_equal(f->cap.n, 1);
	return &f->cap;
}

static void
write_guide(struct fixture *f, const char *text)
{
	FILE *fp;

	if (f->dir[0] == '\0') {
		strcpy(f->dir, "/tmp/pmbot-guide-XXXXXX");
		assert_non_null(mkdtemp(f->dir));
		snprintf(f->path, sizeof f->path, "%s/guide.md", f->dir);
	}
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	f->bot.cfg.guide_path = f->path;
}

static void
test_every_topic_answers(void **state)
{
	struct fixture *f = *state;
	const char *topics[] = {"start", "rollout", "experiment", "holdback",
	    "shadow", "office-hours"};
	size_t i;

	for (i = 0; i < sizeof topics / sizeof topics[0]; i++) {
		char line[64];
		struct capture *c;

		snprintf(line, sizeof line, "/guide %s", topics[i]);
		c = run(f, line);
		/* In the channel, a bold title line, then some substance. */
		assert_false(c->ephemeral);
		assert_true(strncmp(c->text, "**", 2) == 0);
		assert_non_null(strchr(c->text, '\n'));
		assert_true(strlen(c->text) > 200);
		assert_null(strstr(c->text, "## "));
	}
	/* The facts newcomers ask for. */
	assert_non_null(strstr(
	    run(f, "/guide office-hours")->text, "Wednesday and Thursday"));
	assert_non_null(strstr(run(f, "/guide start")->text, "/qa <slug>"));
	assert_non_null(
	    strstr(run(f, "/guide start")->text, "#ask-experimenter"));
	/* Two words, a plural and capitals find the same topics. */
	assert_non_null(strstr(
	    run(f, "/guide office hours")->text, "Wednesday and Thursday"));
	assert_non_null(strstr(
	    run(f, "/guide Shadows")->text, "**How to ask for a shadow**"));
}

static void
test_index(void **state)
{
	struct fixture *f = *state;
	struct capture *c = run(f, "/guide");

	assert_false(c->ephemeral);
	assert_true(
	    strncmp(c->text, "**The experimenter's guide**\n", 29) == 0);
	assert_non_null(strstr(c->text,
	    "\n- `/guide start` — Where to start as a new experiment owner\n"));
	assert_non_null(strstr(c->text,
	    "\n- `/guide office-hours` — Data-science office hours\n"));
	assert_non_null(
	    strstr(c->text, "New here? Start with `/guide start`."));
}

static void
test_text_comes_from_the_file(void **state)
{
	struct fixture *f = *state;

	write_guide(f, "# title, not shown\n\n## start\n**Begin**\nfirst "
		       "version\n\n## rollout\nslowly\n");
	assert_string_equal(
	    run(f, "/guide start")->text, "**Begin**\nfirst version");
	assert_string_equal(run(f, "/guide rollout")->text, "slowly");
	assert_string_equal(run(f, "/guide")->text,
	    "**The experimenter's guide**\n"
	    "- `/guide start` — Begin\n"
	    "- `/guide rollout` — slowly\n"
	    "\n"
	    "New here? Start with `/guide start`.");

	/* An edit shows on the next request, without a restart. */
	write_guide(f, "## start\nsecond, longer version\n");
	assert_string_equal(
	    run(f, "/guide start")->text, "second, longer version");
}

static void
test_unknown_topic(void **state)
{
	struct fixture *f = *state;
	struct capture *c;

	c = run(f, "/guide rolout");
	assert_true(c->ephemeral);
	assert_string_equal(c->text,
	    "unknown topic \"rolout\"; did you mean \"rollout\"?\n" USAGE);
	c = run(f, "/guide office-hour");
	assert_string_equal(c->text,
	    "unknown topic \"office-hour\"; did you mean \"office-hours\"?\n" USAGE);
	c = run(f, "/guide pricing");
	assert_string_equal(c->text, "unknown topic \"pricing\"\n" USAGE);
}

static void
test_missing_file(void **state)
{
	struct fixture *f = *state;
	struct capture *c;

	f->bot.cfg.guide_path = "/nonexistent/pmbot/guide.md";
	c = run(f, "/guide start");
	assert_true(c->ephemeral);
	assert_string_equal(c->text, "the guide is not available right now; "
				     "an admin can find why in the log");
}

/* The default path is relative ("config/guide.md"): a bot started from
 * another folder without a configuration file still finds the shipped
 * guide; with one, the guide beside it wins. */
static void
test_relative_path(void **state)
{
	struct fixture *f = *state;
	struct capture *c;
	char conf[128];

	f->bot.cfg.guide_path = "config/no-such-guide.md";
	c = run(f, "/guide rollout");
	assert_false(c->ephemeral);
	assert_non_null(strstr(c->text, "**Experiment, rollout or holdback: "
					"when to use a rollout**"));

	write_guide(f, "## rollout\nfrom beside the configuration\n");
	snprintf(conf, sizeof conf, "%s/pmbot.json", f->dir);
	f->bot.cfg.path = conf;
	f->bot.cfg.guide_path = "guide.md";
	assert_string_equal(
	    run(f, "/guide rollout")->text, "from beside the configuration");
	f->bot.cfg.path = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_every_topic_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_index, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_text_comes_from_the_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_unknown_topic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_relative_path, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
