/*
 * The text-level half of the configuration module: turning a commented
 * JSON file into plain JSON, locating errors by line and column, and the
 * checks each configuration value goes through (URLs, time zones, RRULEs,
 * times of day, identifiers).  bot/config.c's key table names these
 * checks; nothing here knows about struct config.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libical/ical.h>

#include "config_check.h"
#include "store.h"

/* Longest value quoted back in a problem; longer ones are cut. */
#define QUOTE_MAX 64

char *
config_strip_comments(const char *src, size_t len, size_t *open_at)
{
	char *out;
	size_t i, start;
	int in_string = 0;

	out = xmalloc(len + 1);
	memcpy(out, src, len);
	out[len] = '\0';
	*open_at = (size_t)-1;
	for (i = 0; i < len; i++) {
		if (in_string) {
			if (out[i] == '\\' && i + 1 < len)
				i++;
			else if (out[i] == '"')
				in_string = 0;
			continue;
		}
		if (out[i] == '"') {
			in_string = 1;
			continue;
		}
		if (out[i] != '/' || i + 1 >= len)
			continue;
		if (out[i + 1] == '/') {
			while (i < len && out[i] != '\n')
				out[i++] = ' ';
		} else if (out[i + 1] == '*') {
			start = i;
			out[i++] = ' ';
			out[i++] = ' ';
			while (i < len && !(out[i] == '*' && i + 1 < len &&
					      out[i + 1] == '/')) {
				/* Newlines stay so that line numbers hold. */
				if (out[i] != '\n' && out[i] != '\r')
					out[i] = ' ';
				i++;
			}
			if (i >= len) {
				*open_at = start;
				break;
			}
			out[i++] = ' ';
			out[i] = ' ';
		}
	}
	return out;
}

int
config_utf8_check(const char *str, size_t len, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	unsigned long cp;

	while (i < len) {
		if (s[i] == 0)
			goto fail;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			goto fail;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				goto fail;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			goto fail;
		i += n + 1;
	}
	return 0;
fail:
	*bad = i;
	return -1;
}

void
config_line_col(const char *s, size_t off, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && s[i] != '\0'; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

size_t
config_edit_distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b), i, j, best, d;
	size_t row[65], prev, tmp;

	if (la > 64 || lb > 64)
		return limit + 1;
	if ((la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		best = row[0];
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			d = prev + (tolower((unsigned char)a[i - 1]) !=
				       tolower((unsigned char)b[j - 1]));
			if (row[j] + 1 < d)
				d = row[j] + 1;
			if (row[j - 1] + 1 < d)
				d = row[j - 1] + 1;
			row[j] = d;
			prev = tmp;
			if (d < best)
				best = d;
		}
		if (best > limit)
			return limit + 1;
	}
	return row[lb] > limit ? limit + 1 : row[lb];
}

void
config_quote(struct buf *b, const char *s)
{
	char *cut;

	if (strlen(s) <= QUOTE_MAX) {
		buf_json_string(b, s);
		return;
	}
	cut = xstrndup(s, QUOTE_MAX);
	buf_json_string(b, cut);
	buf_puts(b, "...");
	free(cut);
}

/* The last c in s[0..n), or NULL (memrchr is a GNU extension). */
static const char *
last_char(const char *s, char c, size_t n)
{
	while (n > 0)
		if (s[--n] == c)
			return s + n;
	return NULL;
}

static int
has_space_or_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 1;
	return 0;
}

/* host, "[v6]" or "host:port" syntax only; the port part is optional. */
static int
check_host(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return -1;
	if (s[0] == '[')
		return s[len - 1] == ']' && len > 2 ? 0 : -1;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != '_')
			return -1;
	return 0;
}

static int
check_port(const char *s, size_t len)
{
	size_t i;
	long port = 0;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		port = port * 10 + (s[i] - '0');
	}
	return port >= 1 && port <= 65535 ? 0 : -1;
}

/* Checks "host[:port]" at s (up to the first '/', '?' or end). */
static int
check_authority(const char *s, size_t len)
{
	const char *colon, *end = s + len;

	if (len > 0 && s[0] == '[') {
		colon = memchr(s, ']', len);
		if (colon == NULL)
			return -1;
		colon++;
		if (colon == end)
			return check_host(s, (size_t)(colon - s));
		if (*colon != ':')
			return -1;
	} else {
		colon = memchr(s, ':', len);
		if (colon == NULL)
			return check_host(s, len);
	}
	if (check_host(s, (size_t)(colon - s)) == -1)
		return -1;
	return check_port(colon + 1, (size_t)(end - colon - 1));
}

int
config_check_http_url(const char *s, struct buf *why)
{
	const char *host;
	size_t n;

	if (strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else {
		buf_puts(why, "must be an http:// or https:// URL");
		return -1;
	}
	n = strcspn(host, "/?#");
	if (has_space_or_control(s) || check_authority(host, n) == -1) {
		buf_puts(why, "is not a valid URL (host[:port] expected after "
			      "the scheme, no spaces)");
		return -1;
	}
	return 0;
}

/* redis://[[user]:password@]host[:port][/db] or unix:///path[?db=N]. */
int
config_check_redis_url(const char *s, struct buf *why)
{
	struct store_url u;
	char err[256];

	if (strncmp(s, "redis://", 8) != 0 && strncmp(s, "unix://", 7) != 0) {
		buf_puts(why, "must start with redis:// or unix://");
		return -1;
	}
	/* The parser the store connects with, so that what passes here is
	 * what the bot can use. */
	if (store_url_parse(s, &u, err, sizeof(err)) < 0) {
		buf_printf(why, "is not a valid Redis URL: %s", err);
		return -1;
	}
	store_url_free(&u);
	return 0;
}

char *
config_redis_password(const char *url)
{
	const char *p, *at, *colon, *slash;
	size_t n;

	if (strncmp(url, "redis://", 8) != 0)
		return NULL;
	p = url + 8;
	slash = strchr(p, '/');
	n = slash != NULL ? (size_t)(slash - p) : strlen(p);
	at = last_char(p, '@', n);
	if (at == NULL)
		return NULL;
	colon = memchr(p, ':', (size_t)(at - p));
	if (colon == NULL)
		return xstrndup(p, (size_t)(at - p));
	if (at - colon <= 1)
		return NULL;
	return xstrndup(colon + 1, (size_t)(at - colon - 1));
}

int
config_check_host_port(const char *s, struct buf *why)
{
	const char *colon;

	colon = strrchr(s, ':');
	/* Port 0 asks the system for a free port: tests run many bots. */
	if (colon != NULL && strcmp(colon, ":0") == 0 && colon > s &&
	    check_host(s, (size_t)(colon - s)) == 0)
		return 0;
	if (colon == NULL || colon == s ||
	    check_authority(s, strlen(s)) == -1) {
		buf_puts(why, "must be host:port, e.g. 127.0.0.1:8787");
		return -1;
	}
	return 0;
}

int
config_check_timezone(const char *s, struct buf *why)
{
	struct buf path = BUF_INIT;
	struct stat st;
	size_t i;
	int ok;

	if (strcmp(s, "UTC") == 0)
		return 0;
	ok = s[0] != '\0' && s[0] != '/' && strlen(s) < 128 &&
	     strstr(s, "..") == NULL;
	for (i = 0; ok && s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("/_+-", s[i]) == NULL)
			ok = 0;
	if (ok) {
		buf_printf(&path, "/usr/share/zoneinfo/%s", s);
		ok = stat(buf_str(&path), &st) == 0 && S_ISREG(st.st_mode);
		buf_free(&path);
	}
	if (!ok) {
		buf_puts(why, "unknown time zone ");
		config_quote(why, s);
		buf_puts(why, " (an IANA name such as Europe/Berlin, or UTC)");
		return -1;
	}
	return 0;
}

int
config_check_rrule(const char *s, struct buf *why)
{
	struct icalrecurrencetype r;

	if (strncmp(s, "RRULE:", 6) == 0 || has_space_or_control(s)) {
		buf_puts(why, "must be an RRULE body such as "
			      "FREQ=WEEKLY;BYDAY=WE, without RRULE: or spaces");
		return -1;
	}
	if (strstr(s, "FREQ=") == NULL) {
		buf_puts(why, "FREQ is missing (e.g. FREQ=WEEKLY;BYDAY=WE)");
		return -1;
	}
	icalerror_clear_errno();
	r = icalrecurrencetype_from_string(s);
	if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
		icalerror_clear_errno();
		buf_puts(why, "is not a valid RFC 5545 recurrence rule");
		return -1;
	}
	return 0;
}

static int
check_charset(const char *s, size_t max, const char *extra)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > max)
		return -1;
	for (i = 0; s[i] != '\0'; i++)
		if (!(islower((unsigned char)s[i]) ||
			isdigit((unsigned char)s[i]) ||
			strchr(extra, s[i]) != NULL))
			return -1;
	return 0;
}

int
config_check_slug(const char *s, struct buf *why)
{
	if (check_charset(s, 64, "-") == -1 || s[0] == '-') {
		buf_puts(why, "must be lower-case letters, digits and dashes "
			      "(at most 64)");
		return -1;
	}
	return 0;
}

int
config_check_user(const char *s, struct buf *why)
{
	if (s[0] == '@') {
		buf_puts(why, "user names are written without the @");
		return -1;
	}
	if (check_charset(s, 64, "._-") == -1) {
		buf_puts(why,
		    "must be a user name: lower-case letters, digits, "
		    "'.', '_' and '-'");
		return -1;
	}
	return 0;
}

int
config_check_channel(const char *s, struct buf *why)
{
	if (s[0] == '#' || s[0] == '~') {
		buf_puts(why, "channel names are written without # or ~");
		return -1;
	}
	if (check_charset(s, 80, "._-") == -1) {
		buf_puts(why, "must be a channel name: lower-case letters, "
			      "digits, '.', '_' and '-'");
		return -1;
	}
	return 0;
}

int
config_check_jira_project(const char *s, struct buf *why)
{
	size_t i;
	int ok = isupper((unsigned char)s[0]) && strlen(s) <= 32;

	for (i = 1; ok && s[i] != '\0'; i++)
		if (!isupper((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_')
			ok = 0;
	if (!ok) {
		buf_puts(why, "must be a Jira project key such as QA "
			      "(upper-case letters, digits, '_')");
		return -1;
	}
	return 0;
}

int
config_check_experimenter_url(const char *s, struct buf *why)
{
	if (config_check_http_url(s, why) == -1)
		return -1;
	if (strstr(s, "{slug}") == NULL) {
		buf_puts(
		    why, "must contain {slug} where the brief's slug goes");
		return -1;
	}
	return 0;
}

int
config_check_auto(const char *s, struct buf *why)
{
	static const char *const stages[] = {"draft", "review", "preview",
	    "enrolling", "observation", "complete"};
	size_t i;

	if (strcmp(s, "qa_ticket") == 0)
		return 0;
	if (strncmp(s, "stage:", 6) == 0)
		for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
			if (strcmp(s + 6, stages[i]) == 0)
				return 0;
	buf_puts(why, "must be \"qa_ticket\" or \"stage:<stage>\" (draft, "
		      "review, preview, enrolling, observation, complete)");
	return -1;
}

int
config_check_prefix(const char *s, struct buf *why)
{
	if (has_space_or_control(s) || strlen(s) > 64) {
		buf_puts(why, "must be at most 64 characters without spaces");
		return -1;
	}
	return 0;
}

int
config_check_text(const char *s, struct buf *why)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' && *s != '\n' && *s != '\t') {
			buf_puts(why, "contains control characters");
			return -1;
		}
	return 0;
}

static int
two_digits(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int
config_parse_hhmm(const char *s, int *hour, int *min)
{
	int h, m;

	if (strlen(s) != 5 || s[2] != ':')
		return -1;
	h = two_digits(s);
	m = two_digits(s + 3);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*hour = h;
	*min = m;
	return 0;
}

int
config_parse_weekday(const char *s)
{
	static const char *const days[] = {"sunday", "monday", "tuesday",
	    "wednesday", "thursday", "friday", "saturday"};
	int i;

	for (i = 0; i < 7; i++)
		if (strcasecmp(s, days[i]) == 0 ||
		    (strlen(s) == 3 && strncasecmp(s, days[i], 3) == 0))
			return i;
	return -1;
}

int
config_parse_offset(const char *s, long *minutes)
{
	const char *p = s;
	long n = 0, unit;
	int sign = 1;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		n = n * 10 + (*p++ - '0');
		if (n > 100000)
			return -1;
	}
	switch (*p++) {
	case 'm':
		unit = 1;
		break;
	case 'h':
		unit = 60;
		break;
	case 'd':
		unit = 24 * 60;
		break;
	case 'w':
		unit = 7 * 24 * 60;
		break;
	default:
		return -1;
	}
	/* A year either way is plenty for a meeting reminder. */
	if (*p != '\0' || n * unit > 366L * 24 * 60)
		return -1;
	*minutes = sign * n * unit;
	return 0;
}

int
config_parse_duration(const char *s, long *seconds)
{
	const char *p = s;
	long n = 0, unit;

	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		n = n * 10 + (*p++ - '0');
		if (n > 1000000)
			return -1;
	}
	switch (*p++) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return -1;
	}
	/* Escalation timers: a week is already far too long to wait. */
	if (*p != '\0' || n == 0 || n * unit > 7L * 86400)
		return -1;
	*seconds = n * unit;
	return 0;
}

int
config_parse_local_time(const char *s, char out[20])
{
	static const int mdays[] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec = 0, i;
	size_t len = strlen(s);

	if ((len != 16 && len != 19) || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':')
		return -1;
	for (i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	y = atoi(s);
	mo = two_digits(s + 5);
	d = two_digits(s + 8);
	h = two_digits(s + 11);
	mi = two_digits(s + 14);
	if (len == 19) {
		if (s[16] != ':')
			return -1;
		sec = two_digits(s + 17);
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return -1;
	if (mo == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	/* Already validated: copy, adding the seconds when missing. */
	memcpy(out, s, 16);
	memcpy(out + 16, len == 19 ? s + 16 : ":00", 3);
	out[19] = '\0';
	return 0;
}
