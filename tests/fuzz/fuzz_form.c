/*
 * libFuzzer target for the slash-command form decoder.  Beyond not
 * crashing: a body it accepts yields fields that are valid UTF-8 without
 * a NUL, and encoding those fields again and decoding the result gives
 * the same fields back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
			buf_putc(b, (char)c);
		else if (c == ' ')
			buf_putc(b, '+');
		else
			buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form f, g;
	struct buf b = BUF_INIT;
	char err[96];
	size_t i;

	if (form_parse(&f, (const char *)data, size, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			abort();
		form_free(&f);
		return 0;
	}
	for (i = 0; i < f.n; i++) {
		if (!utf8_valid(f.v[i].key, strlen(f.v[i].key)) ||
		    !utf8_valid(f.v[i].value, strlen(f.v[i].value)))
			abort();
		if (i > 0)
			buf_putc(&b, '&');
		encode(&b, f.v[i].key);
		buf_putc(&b, '=');
		encode(&b, f.v[i].value);
	}
	if (form_parse(&g, buf_str(&b), b.len, err, sizeof(err)) < 0)
		abort();
	/* Empty keys ("=x") survive; only empty pairs are skipped. */
	if (g.n != f.n)
		abort();
	for (i = 0; i < f.n; i++)
		if (strcmp(f.v[i].key, g.v[i].key) != 0 ||
		    strcmp(f.v[i].value, g.v[i].value) != 0)
			abort();
	form_free(&f);
	form_free(&g);
	buf_free(&b);
	return 0;
}
