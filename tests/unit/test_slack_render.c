/*
 * What a Slack user sees: the neutral message rendered as mrkdwn and as
 * Block Kit, and Slack's escaped text read back as it was typed.  Each
 * assertion is the exact text or layout Slack receives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "message.h"
#include "slack.h"

static void
expect_mrkdwn(const char *in, const char *want)
{
	char *s = slack_render_mrkdwn(in);

	assert_string_equal(s, want);
	free(s);
}

static void
test_mrkdwn_markup(void **state)
{
	expect_mrkdwn("**Brief** _onboarding_ is in `review`",
	    "*Brief* _onboarding_ is in `review`");
	expect_mrkdwn("see [the brief](https://docs.example.com/b?a=1&b=2) now",
	    "see <https://docs.example.com/b?a=1&b=2|the brief> now");
	expect_mrkdwn("[**bold** label](https://x.example/a|b)",
	    "<https://x.example/a%7Cb|*bold* label>");
	/* Slack's control characters are escaped, in code too, and code
	 * keeps its stars. */
	expect_mrkdwn("a < b & c > d `x<y **z**`",
	    "a &lt; b &amp; c &gt; d `x&lt;y **z**`");
	expect_mrkdwn("items:\n- one\n- **two**\n-not a bullet",
	    "items:\n\xe2\x80\xa2 one\n\xe2\x80\xa2 *two*\n-not a bullet");
	expect_mrkdwn("```\n- kept\n**kept**\n```\n- out",
	    "```\n- kept\n**kept**\n```\n\xe2\x80\xa2 out");
	/* Unclosed markup is shown as typed. */
	expect_mrkdwn(
	    "a `tick and [label](no close", "a `tick and [label](no close");
	expect_mrkdwn("", "");
}

static cJSON *
blocks_of(const struct message *m)
{
	char *s = slack_render_blocks(m);
	cJSON *b = cJSON_Parse(s);

	assert_non_null(b);
	free(s);
	return b;
}

static const char *
at(const cJSON *o, const char *path)
{
	/* "0.text.text": array index, then keys. */
	char buf[128], *tok, *save = NULL;
	const cJSON *cur = o;

	strncpy(buf, path, sizeof buf - 1);
	buf[sizeof buf - 1] = '\0';
	for (tok = strtok_r(buf, ".", &save); tok != NULL && cur != NULL;
	     tok = strtok_r(NULL, ".", &save)) {
		if (tok[0] >= '0' && tok[0] <= '9')
			cur = cJSON_GetArrayItem(cur, atoi(tok));
		else
			cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
	}
	return cJSON_IsString(cur) ? cur->valuestring : NULL;
}

static void
test_card_blocks(void **state)
{
	struct message *m = message_new();
	cJSON *b;
	char *text;

	message_printf(m, "**Weekly brief** is ready.");
	message_card(m, "checkout-v2: Checkout v2",
	    "https://docs.example.com/b/checkout-v2");
	message_field(m, "Owner", "@alice", 1);
	message_field(m, "Stage", "review", 1);
	message_field(
	    m, "QA", "[QA-1](https://jira.example.com/browse/QA-1)", 0);
	message_button(m, "Publish", "brief stage checkout-v2 enrolling", 1);
	message_button(m, "Checklist", "checklist checkout-v2", 0);
	b = blocks_of(m);
	assert_int_equal(cJSON_GetArraySize(b), 5);
	assert_string_equal(at(b, "0.type"), "section");
	assert_string_equal(at(b, "0.text.type"), "mrkdwn");
	assert_string_equal(at(b, "0.text.text"), "*Weekly brief* is ready.");
	assert_string_equal(at(b, "1.text.text"),
	    "*<https://docs.example.com/b/checkout-v2|checkout-v2: Checkout v2>*");
	/* Short fields side by side, the long one on its own. */
	assert_string_equal(at(b, "2.fields.0.text"), "*Owner*\n@alice");
	assert_string_equal(at(b, "2.fields.1.text"), "*Stage*\nreview");
	assert_string_equal(at(b, "3.text.text"),
	    "*QA*\n<https://jira.example.com/browse/QA-1|QA-1>");
	assert_string_equal(at(b, "4.type"), "actions");
	assert_string_equal(at(b, "4.elements.0.type"), "button");
	assert_string_equal(at(b, "4.elements.0.text.type"), "plain_text");
	assert_string_equal(at(b, "4.elements.0.text.text"), "Publish");
	assert_string_equal(
	    at(b, "4.elements.0.value"), "brief stage checkout-v2 enrolling");
	assert_string_equal(at(b, "4.elements.0.style"), "primary");
	assert_null(at(b, "4.elements.1.style"));
	assert_string_equal(at(b, "4.elements.1.action_id"), "pmbot_1");
	cJSON_Delete(b);
	/* The notification text is the message's own text. */
	text = slack_render_text(m);
	assert_string_equal(text, "*Weekly brief* is ready.");
	free(text);
	message_free(m);
}

static void
test_block_limits(void **state)
{
	struct message *m = message_new();
	char label[200];
	cJSON *b;
	size_t i;

	/* 6800 characters of text: three sections, none over 3000,
	 * split at line ends. */
	for (i = 0; i < 100; i++)
		message_printf(m, "line %03zu %s\n", i,
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	memset(label, 'b', sizeof label - 1);
	label[sizeof label - 1] = '\0';
	message_button(m, label, "help", 0);
	for (i = 0; i < 12; i++)
		message_field(m, "f", "v", 1);
	b = blocks_of(m);
	assert_true(strlen(at(b, "0.text.text")) <= 3000);
	assert_true(strlen(at(b, "1.text.text")) <= 3000);
	assert_true(strlen(at(b, "2.text.text")) <= 3000);
	assert_int_equal(at(b, "1.text.text")[0], 'l');
	assert_string_equal(at(b, "2.type"), "section");
	/* 12 short fields: 10 in one section, 2 in the next. */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
			     cJSON_GetArrayItem(b, 3), "fields")),
	    10);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
			     cJSON_GetArrayItem(b, 4), "fields")),
	    2);
	/* Button text is cut to 75 with an ellipsis. */
	assert_int_equal(strlen(at(b, "5.elements.0.text.text")), 72 + 3);
	cJSON_Delete(b);
	message_free(m);
}

static const char *
lookup(void *priv, const char *id)
{
	return strcmp(id, "U0HUMAN001") == 0 ? "alice" : NULL;
}

static void
expect_decoded(const char *in, const char *want)
{
	char *s = slack_text_decode(in, lookup, NULL);

	assert_string_equal(s, want);
	free(s);
}

static void
test_text_decode(void **state)
{
	expect_decoded("brief add x <https://docs.example.com/b?a=1&amp;b=2>",
	    "brief add x https://docs.example.com/b?a=1&b=2");
	expect_decoded("<https://e.com/x|e.com/x> owner <@U0HUMAN001>",
	    "https://e.com/x owner @alice");
	expect_decoded("owner <@U0NOBODY1>", "owner @U0NOBODY1");
	expect_decoded(
	    "in <#C0FAKE0001|general> <!here> &lt;3", "in #general @here <3");
	expect_decoded("<mailto:a@b.c|a@b.c>", "a@b.c");
	expect_decoded(
	    "title \"a &amp; b\" <unclosed", "title \"a & b\" <unclosed");
}

static void
test_frames(void **state)
{
	char id[64], type[32];
	const char *env =
	    "{\"envelope_id\":\"e-1\",\"type\":\"slash_commands\",\"payload\":{}}";

	assert_int_equal(slack_frame_parse(env, strlen(env), id, sizeof id,
			     type, sizeof type),
	    SLACK_FRAME_ENVELOPE);
	assert_string_equal(id, "e-1");
	assert_string_equal(type, "slash_commands");
	assert_int_equal(slack_frame_parse("{\"type\":\"hello\"}", 16, id,
			     sizeof id, type, sizeof type),
	    SLACK_FRAME_HELLO);
	env = "{\"type\":\"disconnect\",\"reason\":\"refresh_requested\"}";
	assert_int_equal(slack_frame_parse(env, strlen(env), id, sizeof id,
			     type, sizeof type),
	    SLACK_FRAME_DISCONNECT);
	assert_string_equal(type, "refresh_requested");
	assert_int_equal(
	    slack_frame_parse("[1,2]", 5, id, sizeof id, type, sizeof type),
	    SLACK_FRAME_INVALID);
	assert_int_equal(
	    slack_frame_parse("{\"envelope_id\":\"\",\"type\":\"x\"}", 29, id,
		sizeof id, type, sizeof type),
	    SLACK_FRAME_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mrkdwn_markup),
	    cmocka_unit_test(test_card_blocks),
	    cmocka_unit_test(test_block_limits),
	    cmocka_unit_test(test_text_decode),
	    cmocka_unit_test(test_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
