/*
 * Private to the configuration module (bot/config.c, bot/config_check.c):
 * the text-level helpers (comment stripping, UTF-8, positions, "did you
 * mean") and the value checks the key table refers to.  Each check
 * returns 0, or -1 with the reason appended to why; a reason never
 * repeats the value when the value could be a secret.
 */
#ifndef PMBOT_CONFIG_CHECK_H
#define PMBOT_CONFIG_CHECK_H

#include <stddef.h>

#include "buf.h"

/* Returns a copy of src[0..len) with every comment outside strings turned
 * into spaces (newlines kept), so that parser positions still point at
 * the right line and column.  *open_at is set to the offset of a block
 * comment that never ends, or to (size_t)-1. */
char *config_strip_comments(const char *src, size_t len, size_t *open_at);
/* 0 when s[0..len) is valid UTF-8 without NUL bytes; else -1 and *bad is
 * the offset of the first offending byte. */
int config_utf8_check(const char *s, size_t len, size_t *bad);
/* 1-based line and column (in bytes) of offset off in s. */
void config_line_col(const char *s, size_t off, int *line, int *col);
/* Edit distance, capped: anything above limit is reported as limit + 1. */
size_t config_edit_distance(const char *a, const char *b, size_t limit);
/* Appends s as a quoted, escaped and shortened string for a message. */
void config_quote(struct buf *b, const char *s);

int config_check_http_url(const char *s, struct buf *why);
int config_check_redis_url(const char *s, struct buf *why);
int config_check_host_port(const char *s, struct buf *why);
int config_check_timezone(const char *s, struct buf *why);
int config_check_rrule(const char *s, struct buf *why);
int config_check_slug(const char *s, struct buf *why);
int config_check_user(const char *s, struct buf *why);
int config_check_channel(const char *s, struct buf *why);
int config_check_jira_project(const char *s, struct buf *why);
int config_check_experimenter_url(const char *s, struct buf *why);
int config_check_auto(const char *s, struct buf *why);
int config_check_prefix(const char *s, struct buf *why);
int config_check_text(const char *s, struct buf *why);

/* Parsers for the values that change shape on the way in. */
int config_parse_hhmm(const char *s, int *hour, int *min);
int config_parse_weekday(const char *s); /* 0 = Sunday, -1 when unknown */
int config_parse_offset(const char *s, long *minutes);
/* "30s", "30m", "2h", "1d": 1 second to a week; 0 or -1. */
int config_parse_duration(const char *s, long *seconds);
/* "YYYY-MM-DDTHH:MM[:SS]" into "YYYY-MM-DDTHH:MM:SS" (20 bytes). */
int config_parse_local_time(const char *s, char out[20]);
/* The password inside a redis:// URL, or NULL (caller frees). */
char *config_redis_password(const char *url);

/* The key table, read-only, for the test that keeps
 * docs/configuration.md in step with it: the JSON path and environment
 * variable of key i, NULL past the end (or when it has none). */
const char *config_key_path(size_t i);
const char *config_key_env(size_t i);

#endif
