/*
 * Words: the first thing done to any line a user types.  The splitter
 * turns a command line into words the way a user expects from a chat box
 * rather than a shell: blanks separate, double quotes group (chat clients
 * on phones and macOS turn " into “ and ”, so those group too), and only
 * \" and \\ mean anything special, and only inside quotes, so that paths
 * and regexps typed bare stay as typed.  Single quotes do not group:
 * "don't" is one word.
 *
 * The edit distance and nearest-word search give the "did you mean"
 * answers for unknown commands, subcommands, topics and slugs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "limits.h"
#include "log.h"
#include "router.h"

/*
 * UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF.  Chat servers send valid
 * UTF-8, so anything else is a broken or hostile client, and passing it on
 * would make the JSON we send back invalid.
 */
int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n, k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0; /* continuation byte, C0/C1 overlong, F5+ */
		}
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000))
			return 0; /* overlong */
		if (cp >= 0xD800 && cp <= 0xDFFF)
			return 0;
		if (cp > 0x10FFFF)
			return 0;
		i += n + 1;
	}
	return 1;
}

/* Length in bytes of a quote character at p (", “ or ”), else 0. */
static size_t
quote_len(const char *p)
{
	if (*p == '"')
		return 1;
	if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 &&
	    ((unsigned char)p[2] == 0x9C || (unsigned char)p[2] == 0x9D))
		return 3;
	return 0;
}

/* Length of a blank at p: ASCII white space or the no-break space some
 * clients put after a mention; else 0. */
static size_t
blank_len(const char *p)
{
	if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' ||
	    *p == '\f')
		return 1;
	if ((unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0)
		return 2;
	return 0;
}

void
words_free(char **argv)
{
	char **p;

	if (argv == NULL)
		return;
	for (p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}

static int
split_fail(char **argv, char *err, size_t errlen, const char *why)
{
	words_free(argv);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", why);
	return -1;
}

int
words_split(const char *line, char ***argvp, char *err, size_t errlen)
{
	struct buf word = BUF_INIT;
	char **argv;
	const char *p;
	size_t len, n;
	int argc = 0, in_word = 0, quoted = 0;

	*argvp = NULL;
	len = strlen(line);
	if (len > LIMIT_COMMAND_TEXT) {
		char why[64];

		snprintf(why, sizeof why, "command longer than %d bytes",
		    LIMIT_COMMAND_TEXT);
		return split_fail(NULL, err, errlen, why);
	}
	if (!utf8_valid(line, len))
		return split_fail(NULL, err, errlen, "invalid UTF-8");

	argv = xcalloc(LIMIT_COMMAND_ARGS + 1, sizeof *argv);
	p = line;
	for (;;) {
		int end = (*p == '\0');

		if (!end && !quoted && (n = blank_len(p)) > 0) {
			p += n;
			end = 1;
		}
		if (end) {
			if (in_word) {
				if (argc == LIMIT_COMMAND_ARGS) {
					char why[64];

					buf_free(&word);
					snprintf(why, sizeof why,
					    "more than %d words",
					    LIMIT_COMMAND_ARGS);
					return split_fail(
					    argv, err, errlen, why);
				}
				argv[argc++] = word.data != NULL
						   ? buf_detach(&word)
						   : xstrdup("");
				in_word = 0;
			}
			if (*p == '\0')
				break;
			continue;
		}
		n = quote_len(p);
		if (n > 0) {
			/* A quote opens or closes a group inside the current
			 * word, so `title="a b"` is one word and `""` is an
			 * empty one. */
			quoted = !quoted;
			in_word = 1;
			p += n;
			continue;
		}
		if (quoted && *p == '\\' && (p[1] == '"' || p[1] == '\\')) {
			p++;
		}
		if (buf_putc(&word, *p) == -1)
			fatal("words: cannot grow a word");
		in_word = 1;
		p++;
	}
	buf_free(&word);
	if (quoted)
		return split_fail(argv, err, errlen, "unbalanced quote");
	argv[argc] = NULL;
	*argvp = argv;
	return argc;
}

/* Decodes UTF-8 into code points, folding ASCII case, so that distances
 * count characters a user typed rather than bytes.  Invalid bytes count
 * as one character each (the splitter rejects them anyway). */
static size_t
decode(const char *s, uint32_t *out, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p != '\0' && n < max) {
		uint32_t cp = *p;
		size_t k = 1, i;

		if (cp >= 0xC0 && cp < 0xE0)
			k = 2, cp &= 0x1F;
		else if (cp >= 0xE0 && cp < 0xF0)
			k = 3, cp &= 0x0F;
		else if (cp >= 0xF0 && cp < 0xF8)
			k = 4, cp &= 0x07;
		for (i = 1; i < k; i++) {
			if ((p[i] & 0xC0) != 0x80) {
				k = 1;
				cp = *p;
				break;
			}
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if (cp >= 'A' && cp <= 'Z')
			cp += 'a' - 'A';
		out[n++] = cp;
		p += k;
	}
	return n;
}

static size_t
min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/*
 * Optimal string alignment distance (Damerau-Levenshtein without
 * repeated edits of one substring): insertions, deletions, substitutions
 * and swaps of two adjacent characters each cost 1, because "biref" for
 * "brief" is one slip of the fingers, not two.  Case is ignored.  Three
 * rows suffice; the words compared are short, and lines are bounded by
 * LIMIT_COMMAND_TEXT.
 */
int
edit_distance(const char *a, const char *b)
{
	uint32_t *x, *y;
	size_t *r0, *r1, *r2, *t;
	size_t la, lb, i, j, d;

	x = xmalloc((strlen(a) + 1) * sizeof *x);
	y = xmalloc((strlen(b) + 1) * sizeof *y);
	la = decode(a, x, strlen(a) + 1);
	lb = decode(b, y, strlen(b) + 1);
	r0 = xmalloc((lb + 1) * sizeof *r0);
	r1 = xmalloc((lb + 1) * sizeof *r1);
	r2 = xmalloc((lb + 1) * sizeof *r2);
	for (j = 0; j <= lb; j++)
		r1[j] = j;
	for (i = 1; i <= la; i++) {
		r2[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = x[i - 1] == y[j - 1] ? 0 : 1;

			r2[j] =
			    min3(r1[j] + 1, r2[j - 1] + 1, r1[j - 1] + cost);
			if (i > 1 && j > 1 && x[i - 1] == y[j - 2] &&
			    x[i - 2] == y[j - 1] && r0[j - 2] + 1 < r2[j])
				r2[j] = r0[j - 2] + 1;
		}
		t = r0;
		r0 = r1;
		r1 = r2;
		r2 = t;
	}
	d = r1[lb];
	free(x);
	free(y);
	free(r0);
	free(r1);
	free(r2);
	return d > INT32_MAX ? INT32_MAX : (int)d;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

int
nearest_words(const char *word, const char *const *known, size_t nknown,
    const char **out, int max)
{
	int *dist;
	size_t i, wl;
	int n = 0, limit, k;

	if (max <= 0 || nknown == 0)
		return 0;
	wl = utf8_chars(word);
	if (wl == 0)
		return 0;
	limit = (int)(wl / 3);
	if (limit < 2)
		limit = 2;
	dist = xmalloc((size_t)max * sizeof *dist);
	for (i = 0; i < nknown; i++) {
		size_t kl;
		int d, dup = 0;

		if (known[i] == NULL)
			continue;
		/* Lengths alone bound the distance from below; skipping
		 * here keeps a long word from costing a full table. */
		kl = utf8_chars(known[i]);
		if ((kl > wl ? kl - wl : wl - kl) > (size_t)limit)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(out[k], known[i]) == 0)
				dup = 1;
		if (dup)
			continue;
		d = edit_distance(word, known[i]);
		if (d > limit)
			continue;
		/* Insert sorted by distance; ties keep the table's order. */
		for (k = n; k > 0 && dist[k - 1] > d; k--) {
			if (k < max) {
				out[k] = out[k - 1];
				dist[k] = dist[k - 1];
			}
		}
		if (k < max) {
			out[k] = known[i];
			dist[k] = d;
			if (n < max)
				n++;
		}
	}
	free(dist);
	return n;
}
