/*
 * A growing string buffer with an optional size cap, modelled on git's
 * strbuf and curl's dynbuf: every string built from outside data grows
 * here, never in a fixed array.  The data is always NUL-terminated.
 */
#ifndef PMBOT_BUF_H
#define PMBOT_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated, or NULL while empty and unallocated */
	size_t len;
	size_t cap;
	size_t max; /* 0: no cap; else appends that would pass it fail */
};

#define BUF_INIT              \
	{                     \
		NULL, 0, 0, 0 \
	}

void buf_init(struct buf *b, size_t max);
/* These return 0, or -1 when the cap would be exceeded (the buffer is
 * left unchanged).  Allocation failure is fatal. */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
int buf_json_string(struct buf *b, const char *s);
/* The contents, "" when empty; valid until the next change. */
const char *buf_str(const struct buf *b);
void buf_reset(struct buf *b);
/* Hands the string to the caller (who frees it) and empties the buffer. */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);

/* Allocation helpers that never return NULL: failure is fatal. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
