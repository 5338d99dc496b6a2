/*
 * application/x-www-form-urlencoded, as Mattermost sends slash commands
 * (Go's url.Values.Encode: sorted keys, '+' for a space, %XX for the
 * rest).  Decoding is strict: a '%' not followed by two hex digits, a
 * decoded NUL or bytes that are not UTF-8 reject the whole body rather
 * than guessing, since the fields go on to the router and into JSON.
 * Keys may repeat (user_mentions); form_get gives the first.
 */
#ifndef PMBOT_FORM_H
#define PMBOT_FORM_H

#include <stddef.h>

struct form_field {
	char *key;
	char *value;
};

struct form {
	struct form_field *v;
	size_t n;
};

/* Most fields one body may carry: Mattermost sends about a dozen plus
 * two per mention. */
#define FORM_MAX_FIELDS 256

/* Decodes body (len bytes, need not be NUL-terminated) into f, which the
 * caller releases with form_free (also after a failure).  Returns 0, or
 * -1 with a short reason in err. */
int form_parse(
    struct form *f, const char *body, size_t len, char *err, size_t errlen);
/* The first value of key, or NULL. */
/* The first of keys (a NULL-ended list) that f holds more than once, or
 * NULL.  Some fields may repeat (Mattermost's user_mentions); those a
 * request is identified by must not, or it could be read two ways. */
const char *form_repeated(const struct form *f, const char *const *keys);
const char *form_get(const struct form *f, const char *key);
void form_free(struct form *f);

/* Percent-decodes one component ('+' is a space).  Returns a new
 * NUL-terminated string the caller frees, or NULL when it is malformed
 * (bad escape, NUL, invalid UTF-8). */
char *form_decode(const char *s, size_t len);

#endif
