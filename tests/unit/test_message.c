/*
 * The two renderings of the neutral message: plain text (what the
 * console user reads) and Mattermost Markdown.  Each assertion is the
 * exact text a user would see.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "message.h"

static void
expect_plain(const struct message *m, const char *want)
{
	char *s = message_render_plain(m);

	assert_string_equal(s, want);
	free(s);
}

static void
expect_markdown(const struct message *m, const char *want)
{
	char *s = message_render_markdown(m);

	assert_string_equal(s, want);
	free(s);
}

static void
test_plain_markup(void **state)
{
	struct message *m = message_new();

	message_printf(m, "**Brief** _onboarding_ is in `review`; see "
			  "[the brief](https://docs.example.com/b) now");
	expect_plain(m,
	    "Brief onboarding is in review; see the brief <https://docs.example.com/b> now");
	message_free(m);

	m = message_new();
	/* Underscores inside words and markup inside code stay. */
	message_printf(m, "set user_id with `a_b **c**` and\n- one\n- two");
	expect_plain(m, "set user_id with a_b **c** and\n- one\n- two");
	message_free(m);

	m = message_new();
	/* Unclosed markup is shown as typed, not eaten. */
	message_printf(m, "a `tick and [label](no close");
	expect_plain(m, "a `tick and [label](no close");
	message_free(m);
}

static struct message *
card_message(void)
{
	struct message *m = message_new();

	message_printf(m, "Registered **onboarding-v2**.\n");
	message_card(m, "New onboarding", "https://docs.example.com/b");
	message_field(m, "owner", "@alice", 1);
	message_field(m, "stage", "_review_", 1);
	message_button(m, "Open checklist", "checklist onboarding-v2", 1);
	message_button(m, "QA ticket", "qa onboarding-v2", 0);
	return m;
}

static void
test_plain_card(void **state)
{
	struct message *m = card_message();

	expect_plain(m, "Registered onboarding-v2.\n"
			"New onboarding <https://docs.example.com/b>\n"
			"  owner: @alice\n"
			"  stage: review\n"
			"  [Open checklist] [QA ticket]");
	message_free(m);

	m = message_new();
	message_card(m, "Only a title", NULL);
	expect_plain(m, "Only a title");
	message_free(m);
}

static void
test_markdown_card(void **state)
{
	struct message *m = card_message();

	expect_markdown(m, "Registered **onboarding-v2**.\n"
			   "#### [New onboarding](https://docs.example.com/b)\n"
			   "**owner:** @alice\n"
			   "**stage:** _review_");
	message_free(m);

	m = message_new();
	message_printf(m, "text only, **kept** as `is`");
	message_card(m, "No link", NULL);
	expect_markdown(m, "text only, **kept** as `is`\n#### No link");
	message_free(m);
}

/* A line after a list is its own paragraph in Markdown only after a
 * blank line; without one, Mattermost shows it inside the last bullet
 * (the help list's "Type /pm help ..." and every guide answer's closing
 * line did, in bench/render-preview.sh). */
static void
test_markdown_line_after_list(void **state)
{
	struct message *m = message_new();
	char *s;

	message_printf(m, "**Commands**\n- `/pm` all\n- `/help` usage\n"
			  "Type `/pm help <command>` for one.");
	expect_markdown(m, "**Commands**\n- `/pm` all\n- `/help` usage\n\n"
			   "Type `/pm help <command>` for one.");
	s = message_markdown_text(m);
	assert_string_equal(s, "**Commands**\n- `/pm` all\n- `/help` usage\n\n"
			       "Type `/pm help <command>` for one.");
	free(s);
	message_free(m);

	/* Numbered lists too; an indented line continues its item on
	 * purpose, a blank line is kept as is, code fences are left alone. */
	m = message_new();
	message_printf(m, "1. one\n   more of one\n2. two\n\nafter\n```\n"
			  "- in code\nnot moved\n```\n- last\ndone");
	expect_markdown(m, "1. one\n   more of one\n2. two\n\nafter\n```\n"
			   "- in code\nnot moved\n```\n- last\n\ndone");
	message_free(m);

	/* A card after a list does not join its last item either. */
	m = message_new();
	message_printf(m, "Open items:\n- sign-off");
	message_field(m, "stage", "review", 1);
	expect_markdown(m, "Open items:\n- sign-off\n\n**stage:** review");
	s = message_markdown_text(m);
	assert_string_equal(s, "Open items:\n- sign-off");
	free(s);
	message_free(m);
}

static void
test_dup(void **state)
{
	struct message *m = card_message();
	struct message *c = message_dup(m);
	char *a, *b;

	message_free(m);
	a = message_render_plain(c);
	m = card_message();
	b = message_render_plain(m);
	assert_string_equal(a, b);
	assert_int_equal(c->nbuttons, 2);
	assert_string_equal(c->buttons[0].action, "checklist onboarding-v2");
	assert_true(c->buttons[0].primary);
	free(a);
	free(b);
	message_free(m);
	message_free(c);
}

static void
test_empty(void **state)
{
	struct message *m = message_new();

	expect_plain(m, "");
	expect_markdown(m, "");
	message_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_markup),
	    cmocka_unit_test(test_plain_card),
	    cmocka_unit_test(test_markdown_card),
	    cmocka_unit_test(test_markdown_line_after_list),
	    cmocka_unit_test(test_dup),
	    cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
