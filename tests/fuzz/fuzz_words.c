/*
 * libFuzzer target for what every typed line goes through first: the
 * word splitter (quotes, smart quotes, escapes, limits), the UTF-8 check,
 * the edit distance behind "did you mean", and the plain and Markdown
 * renderings of a message carrying the line.  Beyond not crashing, it
 * checks the promises the router relies on, and aborts when one breaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "limits.h"
#include "message.h"
#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Edit distances are quadratic; longer words are not what users type. */
#define FUZZ_WORD 64

static void
check_split(const char *line, size_t size)
{
	char **argv = NULL, err[128] = "";
	int n, i;

	n = words_split(line, &argv, err, sizeof err);
	if (n == -1) {
		if (argv != NULL || err[0] == '\0')
			abort();
		return;
	}
	/* Accepted lines are valid UTF-8 and within the limits, and so is
	 * every word: quotes and escapes only ever remove whole
	 * characters. */
	if (!utf8_valid(line, strlen(line)) ||
	    strlen(line) > LIMIT_COMMAND_TEXT)
		abort();
	if (n > LIMIT_COMMAND_ARGS || argv[n] != NULL)
		abort();
	for (i = 0; i < n; i++)
		if (strlen(argv[i]) > size ||
		    !utf8_valid(argv[i], strlen(argv[i])))
			abort();
	words_free(argv);
}

static void
check_distance(const char *line)
{
	size_t len = strlen(line), half = len / 2;
	char *a, *b;
	const char *known[2], *out[2];
	int d, n;

	if (half > FUZZ_WORD)
		half = FUZZ_WORD;
	a = xstrndup(line, half);
	b = xstrndup(
	    line + half, len - half > FUZZ_WORD ? FUZZ_WORD : len - half);
	d = edit_distance(a, b);
	if (d != edit_distance(b, a) || edit_distance(a, a) != 0)
		abort();
	if (d > (int)(strlen(a) > strlen(b) ? strlen(a) : strlen(b)))
		abort();
	known[0] = a;
	known[1] = b;
	n = nearest_words(a, known, 2, out, 2);
	/* A word is always nearest to itself. */
	if (n < 0 || n > 2 ||
	    (strlen(a) > 0 && utf8_valid(a, strlen(a)) && n == 0))
		abort();
	free(a);
	free(b);
}

static void
check_render(const char *line)
{
	struct message *m = message_new();
	char *plain, *md;

	message_printf(m, "%s", line);
	message_card(m, line, line);
	message_field(m, line, line, 0);
	message_button(m, line, line, 1);
	plain = message_render_plain(m);
	md = message_render_markdown(m);
	free(plain);
	free(md);
	message_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line;

	if (size > 2 * LIMIT_COMMAND_TEXT)
		return 0;
	line = xmalloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';
	check_split(line, size);
	check_distance(line);
	check_render(line);
	free(line);
	return 0;
}
