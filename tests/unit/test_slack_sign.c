/*
 * HTTP-mode request signatures: Slack's own published test vector must
 * verify, and every way a request can be forged or replayed must not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "slack.h"

/* The official vector (python-slack-sdk's signature tests; the fixture
 * http_slash_command_signing_vector.json in the reference). */
static const char secret[] = "8f742231b10e8888abcd99yyyzzz85a5";
static const char ts[] = "1531420618";
static const char body[] =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
static const char sig[] =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
#define NOW 1531420618LL

static enum slack_sig_result
check(const char *s, const char *t, const char *g, const char *b, long long now)
{
	return slack_signature_check(s, t, g, b, strlen(b), now);
}

static void
test_official_vector(void **state)
{
	assert_int_equal(check(secret, ts, sig, body, NOW), SLACK_SIG_OK);
	/* Inside the five-minute window on either side. */
	assert_int_equal(check(secret, ts, sig, body, NOW + 300), SLACK_SIG_OK);
	assert_int_equal(check(secret, ts, sig, body, NOW - 300), SLACK_SIG_OK);
}

static void
test_tampering_refused(void **state)
{
	char b[sizeof body], g[sizeof sig];

	memcpy(b, body, sizeof body);
	b[strlen(b) - 1] ^= 1; /* one bit of the body */
	assert_int_equal(check(secret, ts, sig, b, NOW), SLACK_SIG_BAD);
	memcpy(g, sig, sizeof sig);
	g[10] = g[10] == 'a' ? 'b' : 'a';
	assert_int_equal(check(secret, ts, g, body, NOW), SLACK_SIG_BAD);
	/* Another secret, another timestamp under the same signature. */
	assert_int_equal(
	    check("another-secret-value", ts, sig, body, NOW), SLACK_SIG_BAD);
	assert_int_equal(
	    check(secret, "1531420619", sig, body, NOW), SLACK_SIG_BAD);
	/* Truncated, upper-cased, or without the version prefix. */
	assert_int_equal(
	    check(secret, ts, "v0=a2114d57", body, NOW), SLACK_SIG_BAD);
	assert_int_equal(
	    check(secret, ts,
		"v0=A2114D57B48EAC39B9AD189DD8316235A7B4A8D21A10BD27519666489C69B503",
		body, NOW),
	    SLACK_SIG_BAD);
	assert_int_equal(check(secret, ts, sig + 3, body, NOW), SLACK_SIG_BAD);
	assert_int_equal(check(secret, ts, "", body, NOW), SLACK_SIG_BAD);
}

static void
test_replay_and_missing(void **state)
{
	assert_int_equal(
	    check(secret, ts, sig, body, NOW + 301), SLACK_SIG_STALE);
	assert_int_equal(
	    check(secret, ts, sig, body, NOW - 301), SLACK_SIG_STALE);
	assert_int_equal(
	    check(secret, NULL, sig, body, NOW), SLACK_SIG_MISSING);
	assert_int_equal(check(secret, ts, NULL, body, NOW), SLACK_SIG_MISSING);
	assert_int_equal(check(NULL, ts, sig, body, NOW), SLACK_SIG_MISSING);
	assert_int_equal(check(secret, "", sig, body, NOW), SLACK_SIG_MISSING);
	assert_int_equal(
	    check(secret, "15314x0618", sig, body, NOW), SLACK_SIG_MISSING);
	assert_string_equal(slack_sig_reason(SLACK_SIG_STALE),
	    "timestamp outside the 5-minute window");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_official_vector),
	    cmocka_unit_test(test_tampering_refused),
	    cmocka_unit_test(test_replay_and_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
