/*
 * The one logging module (OpenBSD log.c).  Messages start with their
 * subsystem: log_info("store: connected to %s", where).  Every line goes
 * through redaction: registered secrets and anything that looks like a
 * credential (Authorization headers, Slack and bearer tokens) are replaced
 * before the line is written, so a secret cannot reach the log even by
 * mistake.
 */
#ifndef PMBOT_LOG_H
#define PMBOT_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_TEXT, LOG_JSON };

void log_setup(enum log_level level, enum log_format format);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info", "debug"; -1 when unknown. */
int log_level_parse(const char *s);
int log_format_parse(const char *s);
/* Registers a secret to be masked wherever it appears (copied; strings
 * shorter than 4 bytes are ignored, they would mask ordinary words). */
void log_add_secret(const char *secret);
void log_clear_secrets(void);
/* Where lines go; stderr by default.  Tests capture with a memstream. */
void log_set_stream(void *fp);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
/* Logs and exits 1.  Only for the unrecoverable (out of memory). */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Masks secrets in s in place-free fashion; returns a new string. */
char *log_redact(const char *s);

/* Routes libwebsockets' own log through this module. */
void log_route_lws(void);

#endif
