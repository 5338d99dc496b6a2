/*
 * Console adapter.  Lines are handled strictly one after another: the
 * next line is read only when the previous command has released its
 * request, so a script piping commands sees answers in the order it
 * asked, as a person at a terminal would.  Reading starts once the store
 * is up (or a few seconds have passed), so the first command of a script
 * does not race the Redis connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "bot.h"
#include "buf.h"
#include "console.h"
#include "limits.h"
#include "log.h"
#include "router.h"
#include "store.h"

/* How long to wait for the store before taking input anyway. */
#define CONSOLE_STORE_WAIT_MS 5000

struct console {
	struct adapter a;
	struct bot *bot;
	char *user;
	char *channel;
	int fd_in;
	FILE *out;
	int tty;
	enum { IN_TTY, IN_STREAM, IN_FILE } kind;
	uv_pipe_t pipe;
	uv_fs_t fs;
	char chunk[4096];
	int file_busy;  /* a file read is in flight */
	int may_read;   /* the store is up (or we stopped waiting) */
	int discarding; /* skipping the rest of an over-long line */
	uv_poll_t poll;
	uv_timer_t wait;
	int waited_ms;
	int reading;
	int started;
	int stopped;
	int eof;
	int busy;           /* a command is running */
	struct buf pending; /* input not yet handled */
};

/* libedit's callback interface has no user pointer. */
static struct console *tty_console;

static void console_next(struct console *c);

static void
print_message(struct console *c, const char *prefix, const struct message *m)
{
	char *text = message_render_plain(m);
	char *line, *save = NULL;

	if (c->tty)
		fputs("\r\033[K", c->out);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(c->out, "%s%s\n", prefix, line);
	if (*text == '\0')
		fprintf(c->out, "%s\n", prefix);
	fflush(c->out);
	free(text);
	if (c->tty && c->reading)
		rl_forced_update_display();
}

static void
sink_send(void *ctx, const struct request *req, const struct message *m,
    int ephemeral)
{
	struct console *c = ctx;

	/* One person at a terminal: "only you" would be noise. */
	print_message(c, "", m);
}

static void
sink_release(void *ctx)
{
	struct console *c = ctx;

	c->busy = 0;
	console_next(c);
}

static void
run_line(struct console *c, const char *line)
{
	struct incoming in;
	const char *p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#') {
		return;
	}
	memset(&in, 0, sizeof(in));
	in.user = c->user;
	in.channel = c->channel;
	in.text = p;
	/* Slash or not, it is typed by the one person at the console. */
	in.source = SRC_CONSOLE;
	in.sink.send = sink_send;
	in.sink.release = sink_release;
	in.sink.ctx = c;
	c->busy = 1;
	router_handle(c->bot, &in);
}

/* Input is read ahead only this far; reading resumes as lines are used,
 * so a long script piped in costs a few KiB, not its size. */
#define CONSOLE_HIGH_WATER (2 * LIMIT_CONSOLE_LINE)

static void want_input(struct console *c);

static void
stop_input(struct console *c)
{
	if (!c->reading)
		return;
	c->reading = 0;
	switch (c->kind) {
	case IN_TTY:
		uv_poll_stop(&c->poll);
		rl_callback_handler_remove();
		break;
	case IN_STREAM:
		uv_read_stop((uv_stream_t *)&c->pipe);
		break;
	case IN_FILE:
		break; /* the read in flight finishes; no next one is issued */
	}
}

/* Takes bytes of input, dropping the rest of an over-long line. */
static void
take_input(struct console *c, const char *data, size_t n)
{
	const char *nl;

	if (c->discarding) {
		nl = memchr(data, '\n', n);
		if (nl == NULL)
			return;
		c->discarding = 0;
		n -= (size_t)(nl + 1 - data);
		data = nl + 1;
	}
	if (buf_append(&c->pending, data, n) < 0)
		fatal("console: input buffer over its bound");
}

/* Handles buffered lines until one command is running or input ends. */
static void
console_next(struct console *c)
{
	char *nl, *line;
	size_t used, n;

	while (!c->busy && !c->stopped) {
		nl = c->pending.data
			 ? memchr(c->pending.data, '\n', c->pending.len)
			 : NULL;
		if (nl == NULL)
			break;
		used = (size_t)(nl - c->pending.data) + 1;
		line = xstrndup(c->pending.data, used - 1);
		n = used - 1;
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		memmove(c->pending.data, nl + 1, c->pending.len - used);
		c->pending.len -= used;
		c->pending.data[c->pending.len] = '\0';
		if (n > LIMIT_CONSOLE_LINE)
			fprintf(c->out,
			    "line too long: the limit is %d bytes\n",
			    LIMIT_CONSOLE_LINE);
		else
			run_line(c, line);
		free(line);
	}
	if (c->busy || c->stopped)
		return;
	if (c->pending.len > LIMIT_CONSOLE_LINE) {
		/* No end of line in sight: refuse the line, skip its rest. */
		fprintf(c->out, "line too long: the limit is %d bytes\n",
		    LIMIT_CONSOLE_LINE);
		fflush(c->out);
		buf_reset(&c->pending);
		c->discarding = 1;
	}
	if (c->eof) {
		if (c->pending.len > 0) {
			/* A last line without its newline. */
			buf_putc(&c->pending, '\n');
			console_next(c);
			return;
		}
		if (!c->bot->shutting_down)
			bot_shutdown(c->bot, 0);
		return;
	}
	want_input(c);
}

static void
input_ended(struct console *c, int err)
{
	if (err < 0 && err != UV_EOF)
		log_warn("console: read failed: %s", uv_strerror(err));
	c->eof = 1;
	stop_input(c);
	console_next(c);
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct console *c = h->data;

	b->base = c->chunk;
	b->len = sizeof(c->chunk);
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct console *c = s->data;

	if (n < 0) {
		input_ended(c, (int)n);
		return;
	}
	take_input(c, b->base, (size_t)n);
	if (c->pending.len >= CONSOLE_HIGH_WATER)
		stop_input(c);
	console_next(c);
}

static void
file_read_cb(uv_fs_t *req)
{
	struct console *c = req->data;
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	c->file_busy = 0;
	if (c->stopped)
		return;
	if (n <= 0) {
		input_ended(c, n == 0 ? UV_EOF : (int)n);
		return;
	}
	take_input(c, c->chunk, (size_t)n);
	console_next(c);
}

static void
tty_line(char *line)
{
	struct console *c = tty_console;

	if (line == NULL) {
		fputs("\n", c->out);
		input_ended(c, UV_EOF);
		return;
	}
	if (*line)
		add_history(line);
	take_input(c, line, strlen(line));
	take_input(c, "\n", 1);
	free(line);
	console_next(c);
}

static void
tty_readable(uv_poll_t *p, int status, int events)
{
	rl_callback_read_char();
}

/* Reads more when there is room and nothing is being read already. */
static void
want_input(struct console *c)
{
	uv_buf_t b;

	if (!c->may_read || c->stopped || c->eof ||
	    c->pending.len >= CONSOLE_HIGH_WATER)
		return;
	switch (c->kind) {
	case IN_TTY:
		if (!c->reading) {
			c->reading = 1;
			tty_console = c;
			rl_callback_handler_install("pmbot> ", tty_line);
			uv_poll_start(&c->poll, UV_READABLE, tty_readable);
		}
		break;
	case IN_STREAM:
		if (!c->reading) {
			c->reading = 1;
			uv_read_start(
			    (uv_stream_t *)&c->pipe, alloc_cb, read_cb);
		}
		break;
	case IN_FILE:
		/* Regular files cannot be polled (epoll refuses them): read
		 * them on the loop's thread pool, one chunk at a time. */
		if (!c->file_busy) {
			c->reading = 1;
			c->file_busy = 1;
			c->fs.data = c;
			b = uv_buf_init(c->chunk, sizeof(c->chunk));
			if (uv_fs_read(&c->bot->loop, &c->fs, c->fd_in, &b, 1,
				-1, file_read_cb) < 0) {
				c->file_busy = 0;
				input_ended(c, UV_EIO);
			}
		}
		break;
	}
}

static void
wait_tick(uv_timer_t *t)
{
	struct console *c = t->data;

	c->waited_ms += 50;
	if (c->bot->store && !store_ready(c->bot->store) &&
	    c->waited_ms < CONSOLE_STORE_WAIT_MS)
		return;
	uv_timer_stop(t);
	if (c->tty)
		fprintf(c->out,
		    "pmbot %s console: you are @%s in ~%s. Type "
		    "\"help\" for commands, Ctrl-D to quit.\n",
		    PMBOT_VERSION, c->user, c->channel);
	c->may_read = 1;
	want_input(c);
}

static int
console_start(struct adapter *a)
{
	struct console *c = a->priv;
	uv_loop_t *loop = &c->bot->loop;
	int rc = 0;

	switch (uv_guess_handle(c->fd_in)) {
	case UV_TTY:
		c->kind = IN_TTY;
		c->tty = 1;
		rc = uv_poll_init(loop, &c->poll, c->fd_in);
		c->poll.data = c;
		break;
	case UV_FILE:
		c->kind = IN_FILE;
		break;
	default:
		c->kind = IN_STREAM;
		rc = uv_pipe_init(loop, &c->pipe, 0);
		c->pipe.data = c;
		if (rc == 0)
			rc = uv_pipe_open(&c->pipe, c->fd_in);
		break;
	}
	if (rc < 0) {
		log_error("console: cannot read input: %s", uv_strerror(rc));
		if (c->kind == IN_STREAM)
			uv_close((uv_handle_t *)&c->pipe, NULL);
		return -1;
	}
	uv_timer_init(loop, &c->wait);
	c->wait.data = c;
	uv_timer_start(&c->wait, wait_tick, 0, 50);
	c->started = 1;
	return 0;
}

static void
console_stop(struct adapter *a)
{
	struct console *c = a->priv;

	if (c->stopped || !c->started)
		return;
	stop_input(c);
	c->stopped = 1;
	uv_timer_stop(&c->wait);
	uv_close((uv_handle_t *)&c->wait, NULL);
	if (c->kind == IN_TTY)
		uv_close((uv_handle_t *)&c->poll, NULL);
	else if (c->kind == IN_STREAM)
		uv_close((uv_handle_t *)&c->pipe, NULL);
}

static int
console_post(struct adapter *a, const struct post *p)
{
	struct console *c = a->priv;
	struct buf prefix = BUF_INIT;

	if (p->channel && p->channel[0] == '@')
		buf_printf(&prefix, "[DM %s] ", p->channel);
	else
		buf_printf(&prefix, "[~%s] ", p->channel ? p->channel : "?");
	print_message(c, buf_str(&prefix), p->msg);
	buf_free(&prefix);
	return 0;
}

static int
console_ready(const struct adapter *a)
{
	return 1;
}

static void
console_free(struct adapter *a)
{
	struct console *c = a->priv;

	if (tty_console == c)
		tty_console = NULL;
	buf_free(&c->pending);
	free(c->user);
	free(c->channel);
	free(c);
}

static const struct adapter_ops console_ops = {
    .name = "console",
    .start = console_start,
    .stop = console_stop,
    .post = console_post,
    .ready = console_ready,
    .free = console_free,
};

struct adapter *
console_new(struct bot *bot, const char *user, const char *channel, int fd_in,
    int fd_out)
{
	struct console *c = xcalloc(1, sizeof(*c));

	c->a.ops = &console_ops;
	c->a.bot = bot;
	c->a.priv = c;
	c->bot = bot;
	c->user = xstrdup(user);
	c->channel = xstrdup(channel);
	c->fd_in = fd_in;
	c->out = fd_out == 1 ? stdout : fdopen(dup(fd_out), "w");
	if (c->out == NULL)
		c->out = stdout;
	buf_init(&c->pending, CONSOLE_HIGH_WATER + 2 * sizeof(c->chunk));
	return &c->a;
}
