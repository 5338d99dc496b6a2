/*
 * The slash-command form decoder: what Mattermost sends is read exactly
 * (Go's encoding: sorted keys, '+' for spaces, %XX for the rest, keys
 * that repeat), and anything malformed is refused whole rather than
 * half-read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "hmac.h"

static void
decodes_a_slash_command_body(void **state)
{
	/* Written in the shape Go's url.Values.Encode produces. */
	static const char body[] =
	    "channel_id=c1x&channel_name=ask-experimenter&command=%2Fpm&"
	    "response_url=http%3A%2F%2F127.0.0.1%3A9%2Fhooks%2Fcommands%2Fh1&"
	    "team_domain=pm&text=brief+add+my-test+%22A+title%22+50%25+%E2%9C%93&"
	    "token=tok1&user_id=u1&user_mentions=bob&user_mentions=carol&"
	    "user_name=alice";
	struct form f;
	char err[64];

	assert_int_equal(
	    form_parse(&f, body, strlen(body), err, sizeof(err)), 0);
	assert_string_equal(form_get(&f, "command"), "/pm");
	assert_string_equal(form_get(&f, "text"),
	    "brief add my-test \"A title\" 50% \xe2\x9c\x93");
	assert_string_equal(form_get(&f, "response_url"),
	    "http://127.0.0.1:9/hooks/commands/h1");
	assert_string_equal(form_get(&f, "user_name"), "alice");
	/* The first of a repeated key; all of them are kept. */
	assert_string_equal(form_get(&f, "user_mentions"), "bob");
	assert_int_equal(f.n, 11);
	assert_null(form_get(&f, "root_id"));
	form_free(&f);
}

static void
empty_values_and_pairs(void **state)
{
	static const char body[] = "text=&a&&b=1&";
	struct form f;
	char err[64];

	assert_int_equal(
	    form_parse(&f, body, strlen(body), err, sizeof(err)), 0);
	assert_string_equal(form_get(&f, "text"), "");
	assert_string_equal(form_get(&f, "a"), "");
	assert_string_equal(form_get(&f, "b"), "1");
	assert_int_equal(f.n, 3);
	form_free(&f);
	assert_int_equal(form_parse(&f, "", 0, err, sizeof(err)), 0);
	assert_int_equal(f.n, 0);
	form_free(&f);
}

static void
refuses_malformed_encodings(void **state)
{
	static const char *const bad[] = {
	    "text=50%",       /* '%' at the end */
	    "text=50%2",      /* one digit */
	    "text=%zz",       /* not hex */
	    "text=%00x",      /* a NUL inside */
	    "text=%C3%28",    /* invalid UTF-8 */
	    "text=%ED%A0%80", /* a surrogate */
	    "text=%C0%AF",    /* overlong '/' */
	    "te%G1xt=1",      /* in a key too */
	    "ok=1&text=\xff", /* a raw invalid byte */
	};
	struct form f;
	char err[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (form_parse(&f, bad[i], strlen(bad[i]), err, sizeof(err)) ==
		    0)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err, "percent-encoding"));
		form_free(&f);
	}
}

static void
body_is_not_read_past_its_length(void **state)
{
	/* The listener's body need not end in a NUL. */
	static const char body[] = "a=1&b=2XXXX";
	struct form f;
	char err[64];

	assert_int_equal(form_parse(&f, body, 7, err, sizeof(err)), 0);
	assert_string_equal(form_get(&f, "b"), "2");
	form_free(&f);
}

static void
too_many_fields(void **state)
{
	char *body = malloc(4 * (FORM_MAX_FIELDS + 1) + 1);
	struct form f;
	char err[64];
	size_t i, n = 0;

	for (i = 0; i <= FORM_MAX_FIELDS; i++)
		n += (size_t)sprintf(body + n, "a=1&");
	assert_int_equal(form_parse(&f, body, n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "fields"));
	form_free(&f);
	free(body);
}

static void
hmac_matches_rfc4231(void **state)
{
	/* RFC 4231 test case 2. */
	char out[HMAC_HEX_LEN];

	assert_int_equal(
	    hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, out),
	    0);
	assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d"
				 "2739839dec58b964ec3843");
	assert_true(hmac_streq(out, out));
	assert_false(hmac_streq(out, "5bdcc146"));
	assert_false(hmac_streq("abc", "abd"));
	assert_false(hmac_streq(NULL, "abc"));
	assert_true(hmac_equal("", 0, "", 0));
}

/* Mentions may repeat; the fields a request is identified by may not. */
static void
identity_fields_must_not_repeat(void **state)
{
	static const char *const single[] = {"token", "user_name", NULL};
	const char *ok = "text=hi&token=t&user_mentions=bob&"
			 "user_mentions=carol&user_name=alice";
	const char *twice = "text=hi&token=t&user_name=olly&user_name=ada";
	char err[96];
	struct form f;

	(void)state;
	assert_int_equal(form_parse(&f, ok, strlen(ok), err, sizeof(err)), 0);
	assert_null(form_repeated(&f, single));
	form_free(&f);
	assert_int_equal(
	    form_parse(&f, twice, strlen(twice), err, sizeof(err)), 0);
	assert_string_equal(form_repeated(&f, single), "user_name");
	form_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(decodes_a_slash_command_body),
	    cmocka_unit_test(empty_values_and_pairs),
	    cmocka_unit_test(refuses_malformed_encodings),
	    cmocka_unit_test(body_is_not_read_past_its_length),
	    cmocka_unit_test(too_many_fields),
	    cmocka_unit_test(identity_fields_must_not_repeat),
	    cmocka_unit_test(hmac_matches_rfc4231),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
