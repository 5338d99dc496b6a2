/*
 * What the Mattermost adapter reads from the wire and writes back, as
 * pure functions: frames told apart (events, replies, garbage), the post
 * inside a "posted" event (JSON in a JSON string), mentions of the bot,
 * and the post bodies a reply becomes (threaded, split, with a card and
 * signed buttons).  The shapes follow ../shared/reference/mattermost.md;
 * the literals here are written for this test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "limits.h"
#include "mattermost_int.h"
#include "message.h"
#include "outbox.h"

#define POST_JSON                                                               \
	"{\\\"id\\\":\\\"p1aaaaaaaaaaaaaaaaaaaaaaaa\\\",\\\"create_at\\\":"     \
	"1763880000123,\\\"user_id\\\":\\\"u1aaaaaaaaaaaaaaaaaaaaaaaa\\\","     \
	"\\\"channel_id\\\":\\\"c1aaaaaaaaaaaaaaaaaaaaaaaa\\\",\\\"root_id\\\"" \
	":\\\"\\\",\\\"message\\\":\\\"@pmbot help\\\",\\\"type\\\":\\\"\\\","  \
	"\\\"props\\\":{}}"

static void
event_frames_with_both_spellings(void **state)
{
	/* The broadcast path: spaces after colons, no newline. */
	static const char precomputed[] =
	    "{\"event\": \"posted\", \"data\": {\"channel_type\":\"O\","
	    "\"post\":\"" POST_JSON "\"}, \"broadcast\": {\"omit_users\":null,"
	    "\"user_id\":\"\",\"channel_id\":\"c1\",\"team_id\":\"\"}, "
	    "\"seq\": 7}";
	/* The encoder path: compact, with a newline. */
	static const char encoded[] =
	    "{\"event\":\"hello\",\"data\":{\"connection_id\":\"abc\"},"
	    "\"broadcast\":{},\"seq\":0}\n";
	struct mm_frame f;
	cJSON *post;
	struct mm_post_info pi;

	assert_int_equal(mm_parse_frame(precomputed, strlen(precomputed), &f),
	    MM_FRAME_EVENT);
	assert_string_equal(f.event, "posted");
	assert_int_equal(f.seq, 7);
	post = mm_event_post(f.data);
	assert_non_null(post);
	assert_int_equal(mm_post_fields(post, &pi), 0);
	assert_string_equal(pi.id, "p1aaaaaaaaaaaaaaaaaaaaaaaa");
	assert_string_equal(pi.message, "@pmbot help");
	assert_string_equal(pi.root_id, "");
	assert_true(pi.create_at == 1763880000123LL);
	assert_false(pi.from_bot);
	cJSON_Delete(post);
	mm_frame_free(&f);

	assert_int_equal(
	    mm_parse_frame(encoded, strlen(encoded), &f), MM_FRAME_EVENT);
	assert_string_equal(f.event, "hello");
	assert_int_equal(f.seq, 0);
	mm_frame_free(&f);
}

static void
replies_and_bad_frames(void **state)
{
	static const char *const bad[] = {
	    "", "not json", "[1,2]", "{\"event\":\"posted\"}", /* no seq */
	    "{\"event\":\"posted\",\"seq\":\"7\"}", /* seq a string */
	    "{\"event\":\"posted\",\"seq\":1.5}",   /* not an integer */
	    "{\"event\":\"posted\",\"seq\":-1}",    /* negative */
	    "{\"event\":7,\"seq\":1}",              /* event a number */
	    "{\"event\":\"x\",\"seq\":1}garbage",   /* trailing bytes */
	    "{\"event\":\"x\",\"seq\":1e300}",      /* out of range */
	    "{\"status\":\"OK\"}",                  /* neither */
	};
	static const char reply[] =
	    "{\"status\":\"OK\",\"seq_reply\":2,\"data\":{\"text\":\"pong\"}}\n";
	struct mm_frame f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mm_parse_frame(bad[i], strlen(bad[i]), &f) != MM_FRAME_BAD)
			fail_msg("accepted %s", bad[i]);
		mm_frame_free(&f);
	}
	assert_int_equal(
	    mm_parse_frame(reply, strlen(reply), &f), MM_FRAME_REPLY);
	mm_frame_free(&f);
	/* A length shorter than the string: only that much is read. */
	assert_int_equal(
	    mm_parse_frame("{\"event\":\"x\",\"seq\":1}XYZ", 21, &f),
	    MM_FRAME_EVENT);
	mm_frame_free(&f);
}

static cJSON *
data_with_post(const char *post_text)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "post", post_text);
	return d;
}

static void
posted_event_post_must_be_an_object_with_ids(void **state)
{
	static const char *const bad[] = {
	    "not json",
	    "[]",
	    "{\"id\":\"p\",\"user_id\":\"u\",\"channel_id\":\"c\"}", /* no
									message
								      */
	    "{\"id\":7,\"user_id\":\"u\",\"channel_id\":\"c\",\"message\":\"x\"}",
	    "{\"id\":\"\",\"user_id\":\"u\",\"channel_id\":\"c\",\"message\":\"x\"}",
	    "{\"id\":\"p\",\"user_id\":\"u\",\"channel_id\":\"c\",\"message\":[]}",
	};
	cJSON *d, *post;
	struct mm_post_info pi;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = data_with_post(bad[i]);
		post = mm_event_post(d);
		if (post != NULL)
			fail_msg("accepted %s", bad[i]);
		cJSON_Delete(d);
	}
	/* data.post as an object, not a string, is not the real shape. */
	d = cJSON_Parse("{\"post\":{\"id\":\"p\"}}");
	assert_null(mm_event_post(d));
	cJSON_Delete(d);

	/* A bot's own thread reply, as the server echoes it. */
	d = data_with_post(
	    "{\"id\":\"p2\",\"user_id\":\"bot\",\"channel_id\":"
	    "\"c1\",\"root_id\":\"p1\",\"message\":\"hi\",\"type\":"
	    "\"\",\"props\":{\"from_bot\":\"true\"}}");
	post = mm_event_post(d);
	assert_non_null(post);
	assert_int_equal(mm_post_fields(post, &pi), 0);
	assert_true(pi.from_bot);
	assert_string_equal(pi.root_id, "p1");
	cJSON_Delete(post);
	cJSON_Delete(d);
}

static void
mentions(void **state)
{
	struct {
		const char *text, *name;
		int is;
		const char *rest;
	} cases[] = {
	    {"@pmbot help", "pmbot", 1, "help"},
	    {"@PMBot: brief foo", "pmbot", 1, "brief foo"},
	    {"hey @pmbot, guide start", "pmbot", 1, "guide start"},
	    {"brief foo @pmbot", "pmbot", 1, "brief foo"},
	    {"thanks @pmbot.", "pmbot", 1, "thanks"},
	    {"@pmbot", "@pmbot", 1, ""},
	    {"@pmbotx help", "pmbot", 0, NULL},
	    {"@pmbot.dev help", "pmbot", 0, NULL},
	    {"mail pmbot@example.com", "pmbot", 0, NULL},
	    {"no mention here", "pmbot", 0, NULL},
	    {"@alice and @pmbot brief x", "pmbot", 1, "brief x"},
	};
	size_t i;
	char *rest;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rest = NULL;
		if (mm_mentions(cases[i].text, cases[i].name, &rest) !=
		    cases[i].is)
			fail_msg("case %zu: \"%s\"", i, cases[i].text);
		if (cases[i].is)
			assert_string_equal(rest, cases[i].rest);
		free(rest);
	}
	assert_int_equal(mm_mentions(NULL, "pmbot", NULL), 0);
	assert_int_equal(mm_mentions("@pmbot", "", NULL), 0);
}

static void
reply_bodies_are_threaded_and_split(void **state)
{
	struct message *m = message_new();
	char **bodies;
	cJSON *b;
	size_t n, i, total = 0;
	int k;

	message_printf(m, "**hello** `x`");
	n = mm_render_posts(m, "chan1", "root1", "http://bot/mattermost/action",
	    "key", &bodies);
	assert_int_equal(n, 1);
	b = cJSON_Parse(bodies[0]);
	assert_string_equal(
	    cJSON_GetObjectItem(b, "channel_id")->valuestring, "chan1");
	assert_string_equal(
	    cJSON_GetObjectItem(b, "root_id")->valuestring, "root1");
	assert_string_equal(
	    cJSON_GetObjectItem(b, "message")->valuestring, "**hello** `x`");
	assert_null(cJSON_GetObjectItem(b, "props"));
	cJSON_Delete(b);
	outbox_split_free(bodies);
	message_free(m);

	/* Longer than the server takes: several posts, none over it. */
	m = message_new();
	for (k = 0; k < 3000; k++)
		message_printf(
		    m, "%sline %d of a long answer", k ? "\n" : "", k);
	n = mm_render_posts(m, "chan1", NULL, "u", "key", &bodies);
	assert_true(n >= 4);
	for (i = 0; i < n; i++) {
		const char *msg;

		b = cJSON_Parse(bodies[i]);
		assert_null(cJSON_GetObjectItem(b, "root_id"));
		msg = cJSON_GetObjectItem(b, "message")->valuestring;
		assert_true(strlen(msg) <= LIMIT_POST_RUNES);
		total += strlen(msg);
		cJSON_Delete(b);
	}
	assert_int_equal(total, m->text.len);
	outbox_split_free(bodies);
	message_free(m);
}

static void
cards_become_attachments_with_signed_buttons(void **state)
{
	struct message *m = message_new();
	char **bodies, mac[HMAC_HEX_LEN], signed_text[64];
	const char *exp;
	cJSON *b, *att, *act, *ctx;
	size_t n;

	message_printf(m, "escalation");
	message_card(m, "Question from @bird", "https://x.example/1");
	message_field(m, "Owner", "alice", 1);
	message_button(m, "Acknowledge", "ack 42", 1);
	n = mm_render_posts(m, "c", "r",
	    "http://127.0.0.1:8787/mattermost/action", "sekrit", &bodies);
	assert_int_equal(n, 1);
	b = cJSON_Parse(bodies[0]);
	assert_string_equal(
	    cJSON_GetObjectItem(b, "message")->valuestring, "escalation");
	att = cJSON_GetArrayItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(b, "props"), "attachments"),
	    0);
	assert_string_equal(cJSON_GetObjectItem(att, "title")->valuestring,
	    "Question from @bird");
	assert_string_equal(cJSON_GetObjectItem(att, "title_link")->valuestring,
	    "https://x.example/1");
	assert_string_equal(
	    cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(att, "fields"), 0),
		"value")
		->valuestring,
	    "alice");
	act = cJSON_GetArrayItem(cJSON_GetObjectItem(att, "actions"), 0);
	assert_string_equal(cJSON_GetObjectItem(act, "id")->valuestring, "b0");
	assert_string_equal(
	    cJSON_GetObjectItem(act, "style")->valuestring, "primary");
	ctx = cJSON_GetObjectItem(
	    cJSON_GetObjectItem(act, "integration"), "context");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(act, "integration"), "url")
		->valuestring,
	    "http://127.0.0.1:8787/mattermost/action");
	assert_string_equal(
	    cJSON_GetObjectItem(ctx, "action")->valuestring, "ack 42");
	/* The MAC covers the action and the expiry, which is the button's
	 * life from now. */
	exp = cJSON_GetObjectItem(ctx, "exp")->valuestring;
	assert_true(strtoll(exp, NULL, 10) >=
		    clock_now_ms() / 1000 + LIMIT_MM_BUTTON_LIFE_S - 5);
	snprintf(signed_text, sizeof(signed_text), "ack 42\n%s", exp);
	assert_int_equal(
	    hmac_sha256_hex("sekrit", 6, signed_text, strlen(signed_text), mac),
	    0);
	assert_string_equal(cJSON_GetObjectItem(ctx, "mac")->valuestring, mac);
	cJSON_Delete(b);
	outbox_split_free(bodies);
	message_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(event_frames_with_both_spellings),
	    cmocka_unit_test(replies_and_bad_frames),
	    cmocka_unit_test(posted_event_post_must_be_an_object_with_ids),
	    cmocka_unit_test(mentions),
	    cmocka_unit_test(reply_bodies_are_threaded_and_split),
	    cmocka_unit_test(cards_become_attachments_with_signed_buttons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
