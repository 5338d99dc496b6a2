/*
 * The urlencoded form decoder (see form.h).  Bodies come from the
 * network, so every byte is checked and nothing is decoded leniently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "router.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
form_decode(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			if (len - i < 3)
				goto bad;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
		if (out[o - 1] == '\0')
			goto bad;
	}
	out[o] = '\0';
	if (!utf8_valid(out, o))
		goto bad;
	return out;
bad:
	free(out);
	return NULL;
}

static void
add_field(struct form *f, char *key, char *value)
{
	f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	f->v[f->n].key = key;
	f->v[f->n].value = value;
	f->n++;
}

int
form_parse(
    struct form *f, const char *body, size_t len, char *err, size_t errlen)
{
	const char *p = body, *end = body + len, *amp, *eq;
	char *key, *value;

	f->v = NULL;
	f->n = 0;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp == p) { /* "a=1&&b=2": an empty pair is skipped */
			p++;
			continue;
		}
		if (f->n >= FORM_MAX_FIELDS) {
			snprintf(err, errlen, "more than %d fields",
			    FORM_MAX_FIELDS);
			return -1;
		}
		eq = memchr(p, '=', (size_t)(amp - p));
		key = form_decode(p, (size_t)((eq ? eq : amp) - p));
		value = eq ? form_decode(eq + 1, (size_t)(amp - eq - 1))
			   : xstrdup("");
		if (key == NULL || value == NULL) {
			snprintf(err, errlen,
			    "field %zu: bad percent-encoding or not UTF-8",
			    f->n + 1);
			free(key);
			free(value);
			return -1;
		}
		add_field(f, key, value);
		p = amp + 1;
	}
	return 0;
}

const char *
form_repeated(const struct form *f, const char *const *keys)
{
	size_t i, j, seen;

	for (j = 0; keys[j] != NULL; j++) {
		seen = 0;
		for (i = 0; i < f->n; i++)
			if (strcmp(f->v[i].key, keys[j]) == 0 && ++seen > 1)
				return keys[j];
	}
	return NULL;
}

const char *
form_get(const struct form *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].key, key) == 0)
			return f->v[i].value;
	return NULL;
}

void
form_free(struct form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].key);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}
