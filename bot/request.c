/*
 * What a handler may do with its request: reply (in the channel or to
 * the caller only), report errors the one uniform way, check typed
 * arguments, post elsewhere, and finish.  Every answer goes through the
 * sink the adapter gave the router, so handlers never learn which chat
 * they serve; every finish goes through request_done(), which counts the
 * command and releases the sink exactly once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bot.h"
#include "buf.h"
#include "handler.h"
#include "log.h"
#include "metrics.h"

long long
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
send_message(struct request *req, const struct message *m, int ephemeral)
{
	req->replied++;
	log_debug("request %s: reply %d (%s)", req->id, req->replied,
	    ephemeral ? "private" : "in the channel");
	if (req->sink.send != NULL)
		req->sink.send(req->sink.ctx, req, m, ephemeral);
}

static void
send_text(struct request *req, int ephemeral, const char *fmt, va_list ap)
{
	struct message *m = message_new();

	if (buf_vprintf(&m->text, fmt, ap) == -1)
		fatal("request: reply too large");
	send_message(req, m, ephemeral);
	message_free(m);
}

void
reply(struct request *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_text(req, 0, fmt, ap);
	va_end(ap);
}

void
reply_private(struct request *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_text(req, 1, fmt, ap);
	va_end(ap);
}

void
reply_message(struct request *req, const struct message *m, int ephemeral)
{
	send_message(req, m, ephemeral);
}

enum cmd_retval
reply_error(struct request *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_text(req, 1, fmt, ap);
	va_end(ap);
	return CMD_ERROR;
}

/* "/brief add <slug> <url>": the entry's usage, or one made from its
 * name and subcommands when it has none. */
static void
append_usage(
    struct buf *b, const struct cmd_entry *cmd, const struct cmd_entry *entry)
{
	const struct cmd_entry *s;
	int first = 1;

	if (entry->usage != NULL) {
		buf_printf(b, "/%s", entry->usage);
		return;
	}
	if (entry != cmd && cmd != NULL)
		buf_printf(b, "/%s %s", cmd->name, entry->name);
	else
		buf_printf(b, "/%s", entry->name);
	if (entry->subs == NULL || entry->subs[0].name == NULL)
		return;
	buf_puts(b, " <");
	for (s = entry->subs; s->name != NULL; s++) {
		buf_printf(b, "%s%s", first ? "" : "|", s->name);
		first = 0;
	}
	buf_puts(b, ">");
}

enum cmd_retval
reply_usage(struct request *req, const char *fmt, ...)
{
	struct message *m = message_new();
	const struct cmd_entry *entry = req->entry ? req->entry : req->cmd;
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(&m->text, fmt, ap) == -1)
		fatal("request: reply too large");
	va_end(ap);
	if (entry != NULL) {
		struct buf u = BUF_INIT;

		append_usage(&u, req->cmd, entry);
		message_printf(m, "\nusage: `%s`", buf_str(&u));
		buf_free(&u);
	}
	send_message(req, m, 1);
	message_free(m);
	return CMD_ERROR;
}

enum cmd_retval
reply_store_down(struct request *req)
{
	return reply_error(req, "%s", STORE_UNAVAILABLE);
}

static void
request_free(struct request *req)
{
	free(req->user);
	free(req->user_id);
	free(req->channel);
	free(req->channel_id);
	free(req->thread);
	free(req->tz);
	free(req->text);
	free(req->post_key);
	if (req->argv != NULL) {
		char **p;

		for (p = req->argv; *p != NULL; p++)
			free(*p);
		free(req->argv);
	}
	free(req);
}

/* Counts the command by name (never by what the user typed, so the
 * series stay few) and outcome, and its latency. */
static void
request_count(struct request *req, enum cmd_retval rv)
{
	struct bot *bot = req->bot;
	struct metrics *mx = bot != NULL ? bot->metrics : NULL;
	char labels[160];
	const char *name = req->cmd != NULL ? req->cmd->name : "none";

	if (req->cmd != NULL && req->entry != NULL && req->entry != req->cmd)
		snprintf(labels, sizeof labels,
		    "command=\"%s %s\",outcome=\"%s\"", name, req->entry->name,
		    rv == CMD_OK ? "ok" : "error");
	else
		snprintf(labels, sizeof labels, "command=\"%s\",outcome=\"%s\"",
		    name, rv == CMD_OK ? "ok" : "error");
	metrics_inc(mx, M_COMMANDS, labels);
	metrics_observe_latency(
	    mx, (double)(now_ms() - req->started_ms) / 1000.0);
	log_info("request %s: %s%s%s %s, %d repl%s in %lld ms", req->id, name,
	    req->cmd != NULL && req->entry != NULL && req->entry != req->cmd
		? " "
		: "",
	    req->cmd != NULL && req->entry != NULL && req->entry != req->cmd
		? req->entry->name
		: "",
	    rv == CMD_OK ? "ok" : "failed", req->replied,
	    req->replied == 1 ? "y" : "ies", now_ms() - req->started_ms);
}

void
request_done(struct request *req, enum cmd_retval rv)
{
	if (req == NULL)
		return;
	request_count(req, rv);
	if (req->bot != NULL)
		((struct bot *)req->bot)->inflight--;
	if (req->sink.release != NULL)
		req->sink.release(req->sink.ctx);
	request_free(req);
}

int
request_post(struct request *req, const char *channel, const struct message *m)
{
	struct post p;

	if (req->bot == NULL || channel == NULL)
		return -1;
	memset(&p, 0, sizeof p);
	p.channel = channel;
	p.msg = m;
	return bot_post(req->bot, &p);
}

static int
user_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int
arg_user_or_reply(struct request *req, const char *arg, char **user)
{
	const char *p = arg[0] == '@' ? arg + 1 : arg;
	size_t n = strlen(p), i;
	int ok = n >= 1 && n <= 64;

	*user = NULL;
	for (i = 0; ok && i < n; i++)
		ok = user_char(p[i]);
	if (!ok) {
		reply_usage(req, "invalid user \"%s\": expected @name", arg);
		return 0;
	}
	*user = xstrdup(p);
	return 1;
}

int
arg_slug_or_reply(struct request *req, const char *arg)
{
	size_t n = strlen(arg), i;
	int ok = n >= 1 && n <= 64;

	for (i = 0; ok && i < n; i++)
		ok = (arg[i] >= 'a' && arg[i] <= 'z') ||
		     (arg[i] >= '0' && arg[i] <= '9') || arg[i] == '-';
	if (!ok) {
		reply_usage(req,
		    "invalid slug \"%s\": use 1 to 64 lower-case letters, digits and dashes",
		    arg);
		return 0;
	}
	return 1;
}

int
arg_int_or_reply(
    struct request *req, const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (arg[0] == '\0' || *end != '\0' || errno != 0) {
		reply_usage(req, "\"%s\" is not a number", arg);
		return 0;
	}
	if (v < min || v > max) {
		reply_usage(
		    req, "%ld is out of range (%ld to %ld)", v, min, max);
		return 0;
	}
	*out = v;
	return 1;
}
