/*
 * Logging: levels, text or JSON lines, and redaction.  The log settings
 * are one of the two pieces of global state pmbot allows itself (the
 * other is the signal flag): every module logs, and threading a logger
 * through each call would add noise without adding safety.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/time.h>

#include <libwebsockets.h>

#include "buf.h"
#include "log.h"

#define MAX_SECRETS 32

static enum log_level cur_level = LOG_INFO;
static enum log_format cur_format = LOG_TEXT;
static FILE *out;
static char *secrets[MAX_SECRETS];
static int nsecrets;

static const char *level_names[] = {"error", "warn", "info", "debug"};

void
log_setup(enum log_level level, enum log_format format)
{
	cur_level = level;
	cur_format = format;
}

enum log_level
log_get_level(void)
{
	return cur_level;
}

int
log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

int
log_format_parse(const char *s)
{
	if (strcmp(s, "text") == 0)
		return LOG_TEXT;
	if (strcmp(s, "json") == 0)
		return LOG_JSON;
	return -1;
}

void
log_set_stream(void *fp)
{
	out = fp;
}

void
log_add_secret(const char *secret)
{
	int i;

	if (secret == NULL || strlen(secret) < 4 || nsecrets == MAX_SECRETS)
		return;
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], secret) == 0)
			return;
	secrets[nsecrets++] = xstrdup(secret);
}

void
log_clear_secrets(void)
{
	while (nsecrets > 0)
		free(secrets[--nsecrets]);
}

/* Length of the token-like run at p: what follows "Bearer " or "xoxb-". */
static size_t
token_len(const char *p)
{
	size_t n = 0;

	while (p[n] && p[n] != ' ' && p[n] != '"' && p[n] != '\'' &&
	       p[n] != ',' && p[n] != '\n' && p[n] != '\r' && p[n] != '&' &&
	       p[n] != ';')
		n++;
	return n;
}

/*
 * Credentials are recognised by shape as well as by value: a token read
 * from a file that was never registered, or one echoed back by a peer in
 * an error body, is still masked.
 */
static size_t
match_credential(const char *p, size_t *keep)
{
	static const char *prefixes[] = {"xoxb-", "xoxp-", "xapp-", "xoxa-",
	    "xoxe-", "Bearer ", "Basic ", "bearer ", "basic ",
	    "token=", "password=", "Token "};
	size_t i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (strncmp(p, prefixes[i], n) == 0 && token_len(p + n) > 0) {
			/* Keep "Bearer " and "token=" visible, mask the rest;
			 * a Slack token is masked whole. */
			*keep = (p[0] == 'x') ? 0 : n;
			return n + token_len(p + n);
		}
	}
	if (strncasecmp(p, "Authorization:", 14) == 0) {
		const char *q = p + 14;

		while (*q == ' ')
			q++;
		n = (size_t)(q - p);
		*keep = n;
		while (q[0] && q[0] != '\n' && q[0] != '\r' && q[0] != '"')
			q++;
		return (size_t)(q - p);
	}
	return 0;
}

char *
log_redact(const char *s)
{
	struct buf b = BUF_INIT;
	const char *p = s;
	size_t n, keep;
	int i, hit;

	while (*p) {
		hit = 0;
		for (i = 0; i < nsecrets; i++) {
			n = strlen(secrets[i]);
			if (strncmp(p, secrets[i], n) == 0) {
				buf_puts(&b, "[redacted]");
				p += n;
				hit = 1;
				break;
			}
		}
		if (hit)
			continue;
		n = match_credential(p, &keep);
		if (n > 0) {
			buf_append(&b, p, keep);
			buf_puts(&b, "[redacted]");
			p += n;
			continue;
		}
		buf_putc(&b, *p++);
	}
	return buf_detach(&b);
}

static void
timestamp(char *dst, size_t len)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(dst, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(dst + n, len - n, ".%03dZ", (int)(tv.tv_usec / 1000));
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	struct buf raw = BUF_INIT, line = BUF_INIT;
	char ts[40], *clean;
	FILE *fp = out ? out : stderr;

	if (level > cur_level)
		return;
	buf_vprintf(&raw, fmt, ap);
	clean = log_redact(buf_str(&raw));
	buf_free(&raw);
	timestamp(ts, sizeof(ts));
	if (cur_format == LOG_JSON) {
		buf_printf(&line,
		    "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts,
		    level_names[level]);
		buf_json_string(&line, clean);
		buf_puts(&line, "}\n");
	} else {
		buf_printf(
		    &line, "%s %-5s %s\n", ts, level_names[level], clean);
	}
	fputs(buf_str(&line), fp);
	fflush(fp);
	buf_free(&line);
	free(clean);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

static void
lws_emit(int level, const char *line)
{
	size_t n = strlen(line);
	enum log_level l = LOG_DEBUG;

	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		l = LOG_WARN; /* lws calls many peer faults errors */
	else if (level & LLL_WARN)
		l = LOG_INFO;
	log_msg(l, "lws: %.*s", (int)n, line);
}

void
log_route_lws(void)
{
	int mask = LLL_ERR | LLL_WARN;

	if (cur_level >= LOG_DEBUG)
		mask |= LLL_NOTICE;
	lws_set_log_level(mask, lws_emit);
}
