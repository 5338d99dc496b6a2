/*
 * Word splitting, UTF-8 validation and "did you mean": what a user types
 * is what the handlers see, and a slip of the fingers gets a suggestion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "router.h"

/* Splits line and checks the words against the NULL-ended expected. */
static void
expect_words(const char *line, const char *const *want)
{
	char **argv = NULL, err[128] = "";
	int n, i;

	n = words_split(line, &argv, err, sizeof err);
	if (n == -1)
		fail_msg("split of [%s] failed: %s", line, err);
	for (i = 0; want[i] != NULL; i++) {
		assert_true(i < n);
		assert_string_equal(argv[i], want[i]);
	}
	assert_int_equal(n, i);
	assert_null(argv[n]);
	words_free(argv);
}

static void
expect_error(const char *line, const char *why)
{
	char **argv = NULL, err[128] = "";

	assert_int_equal(words_split(line, &argv, err, sizeof err), -1);
	assert_null(argv);
	assert_string_equal(err, why);
}

static void
test_split_blanks(void **state)
{
	expect_words("brief add  foo\thttps://x/y",
	    (const char *[]){"brief", "add", "foo", "https://x/y", NULL});
	expect_words("   ", (const char *[]){NULL});
	expect_words("", (const char *[]){NULL});
	expect_words(" guide\n", (const char *[]){"guide", NULL});
	/* A no-break space separates like a blank. */
	expect_words(
	    "guide\xc2\xa0start", (const char *[]){"guide", "start", NULL});
}

static void
test_split_quotes(void **state)
{
	expect_words("brief add foo url title \"A new onboarding\"",
	    (const char *[]){"brief", "add", "foo", "url", "title",
		"A new onboarding", NULL});
	expect_words("say \"\" twice \"\"",
	    (const char *[]){"say", "", "twice", "", NULL});
	expect_words("title=\"a b\"c", (const char *[]){"title=a bc", NULL});
	expect_words("\"say \\\"hi\\\" \\\\ now\"",
	    (const char *[]){"say \"hi\" \\ now", NULL});
	/* Outside quotes a backslash is just a character. */
	expect_words(
	    "path C:\\x \\", (const char *[]){"path", "C:\\x", "\\", NULL});
	/* Apostrophes do not group. */
	expect_words("don't stop", (const char *[]){"don't", "stop", NULL});
}

static void
test_split_smart_quotes(void **state)
{
	expect_words(
	    "remind me in 5 minutes \xe2\x80\x9cship the brief\xe2\x80\x9d",
	    (const char *[]){
		"remind", "me", "in", "5", "minutes", "ship the brief", NULL});
	expect_words("x \xe2\x80\x9c\xe2\x80\x9d y",
	    (const char *[]){"x", "", "y", NULL});
}

static void
test_split_mentions(void **state)
{
	expect_words("remind @alice.b tomorrow ~town-square",
	    (const char *[]){
		"remind", "@alice.b", "tomorrow", "~town-square", NULL});
}

static void
test_split_errors(void **state)
{
	struct buf b = BUF_INIT;
	int i;

	expect_error("brief add \"foo", "unbalanced quote");
	expect_error("\xe2\x80\x9c"
		     "foo",
	    "unbalanced quote");
	expect_error("\"a\\\"", "unbalanced quote");
	expect_error("caf\xe9", "invalid UTF-8");

	for (i = 0; i < LIMIT_COMMAND_ARGS; i++)
		assert_int_equal(buf_puts(&b, "w "), 0);
	{
		char **argv = NULL, err[64];

		assert_int_equal(
		    words_split(buf_str(&b), &argv, err, sizeof err),
		    LIMIT_COMMAND_ARGS);
		words_free(argv);
	}
	assert_int_equal(buf_puts(&b, "w"), 0);
	expect_error(buf_str(&b), "more than 64 words");
	buf_reset(&b);

	for (i = 0; i < LIMIT_COMMAND_TEXT; i++)
		assert_int_equal(buf_putc(&b, 'x'), 0);
	{
		char **argv = NULL, err[64];

		assert_int_equal(
		    words_split(buf_str(&b), &argv, err, sizeof err), 1);
		words_free(argv);
	}
	assert_int_equal(buf_putc(&b, 'x'), 0);
	expect_error(buf_str(&b), "command longer than 4096 bytes");
	buf_free(&b);
}

static int
valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void
test_utf8(void **state)
{
	assert_true(valid(""));
	assert_true(valid("plain ascii"));
	assert_true(valid("caf\xc3\xa9"));               /* é */
	assert_true(valid("\xe2\x80\x9cq\xe2\x80\x9d")); /* smart quotes */
	assert_true(valid("\xf0\x9f\x9a\x80"));          /* rocket */
	assert_true(valid("\xed\x9f\xbf"));              /* U+D7FF */
	assert_true(valid("\xf4\x8f\xbf\xbf"));          /* U+10FFFF */

	assert_false(valid("\x80"));             /* lone continuation */
	assert_false(valid("\xc3"));             /* truncated */
	assert_false(valid("\xe2\x80"));         /* truncated */
	assert_false(valid("\xc0\xaf"));         /* overlong '/' */
	assert_false(valid("\xc1\xbf"));         /* overlong */
	assert_false(valid("\xe0\x80\xaf"));     /* overlong 3-byte */
	assert_false(valid("\xf0\x80\x80\xaf")); /* overlong 4-byte */
	assert_false(valid("\xed\xa0\x80"));     /* U+D800 surrogate */
	assert_false(valid("\xed\xbf\xbf"));     /* U+DFFF surrogate */
	assert_false(valid("\xf4\x90\x80\x80")); /* above U+10FFFF */
	assert_false(valid("\xf8\x88\x80\x80\x80"));
	assert_false(valid("\xff"));
	assert_false(valid("ok\xc3(")); /* bad continuation */
	/* The length counts, not the NUL. */
	assert_true(utf8_valid("a\xc3\xa9", 1));
	assert_false(utf8_valid("a\xc3\xa9", 2));
}

static void
test_edit_distance(void **state)
{
	assert_int_equal(edit_distance("brief", "brief"), 0);
	assert_int_equal(edit_distance("", "abc"), 3);
	assert_int_equal(edit_distance("abc", ""), 3);
	assert_int_equal(edit_distance("brieff", "brief"), 1);
	assert_int_equal(edit_distance("biref", "brief"), 1); /* a swap */
	assert_int_equal(edit_distance("gude", "guide"), 1);
	assert_int_equal(edit_distance("kitten", "sitting"), 3);
	assert_int_equal(edit_distance("GUIDE", "guide"), 0);
	/* Characters, not bytes: é for e is one change. */
	assert_int_equal(edit_distance("caf\xc3\xa9", "cafe"), 1);
}

static void
test_nearest_words(void **state)
{
	const char *known[] = {"brief", "checklist", "qa", "rotation", "remind",
	    "meeting", "guide", "help", "request"};
	const size_t n = sizeof known / sizeof known[0];
	const char *out[3];

	assert_int_equal(nearest_words("brieff", known, n, out, 3), 1);
	assert_string_equal(out[0], "brief");

	assert_int_equal(nearest_words("gude", known, n, out, 3), 1);
	assert_string_equal(out[0], "guide");

	/* Best first; ties in table order. */
	assert_int_equal(nearest_words("remnd", known, n, out, 3), 1);
	assert_string_equal(out[0], "remind");
	assert_int_equal(nearest_words("q", known, n, out, 3), 1);
	assert_string_equal(out[0], "qa");

	/* A third of a long word is allowed: "chcklst" is 2 away. */
	assert_int_equal(nearest_words("chcklst", known, n, out, 3), 1);
	assert_string_equal(out[0], "checklist");

	assert_int_equal(nearest_words("zzzzzzzz", known, n, out, 3), 0);
	assert_int_equal(nearest_words("", known, n, out, 3), 0);

	/* At most max, the nearest kept. */
	{
		const char *abc[] = {"abcx", "abc", "abxy", "xbc"};

		assert_int_equal(nearest_words("abc", abc, 4, out, 2), 2);
		assert_string_equal(out[0], "abc");
		assert_string_equal(out[1], "abcx");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_blanks),
	    cmocka_unit_test(test_split_quotes),
	    cmocka_unit_test(test_split_smart_quotes),
	    cmocka_unit_test(test_split_mentions),
	    cmocka_unit_test(test_split_errors),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_edit_distance),
	    cmocka_unit_test(test_nearest_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
