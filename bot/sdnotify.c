/*
 * The systemd notification protocol through libsystemd's sd_notify(), for
 * the unit in deploy/pmbot.service (Type=notify).
 *
 * Readiness is the same test as GET /readyz (bot_ready): a timer on the
 * bot's loop asks it every SDNOTIFY_POLL_MS and says READY=1 the first
 * time it holds, so `systemctl start pmbot` returns only once the bot can
 * answer.  The reason goes out as STATUS= whenever it changes, so
 * `systemctl status pmbot` shows "redis: down: ..." while Redis is away.
 * When the unit sets WatchdogSec=, the same timer pings WATCHDOG=1 at
 * least twice per period: the pings come from the loop itself, so a loop
 * stuck in a blocking call stops them and systemd restarts the bot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>
#include <uv.h>

#include "bot.h"
#include "buf.h"
#include "log.h"
#include "sdnotify.h"

/* How often readiness is checked: short enough that start-up is not
 * delayed noticeably, long enough to cost nothing. */
#define SDNOTIFY_POLL_MS 250

struct sdnotify {
	struct bot *bot;
	uv_timer_t timer;
	int ready_sent;
	unsigned long long watchdog_ms; /* 0: no watchdog */
	long long last_ping_ms;
	char status[256];
};

static void
send_state(const char *state)
{
	int rc = sd_notify(0, state);

	if (rc < 0)
		log_warn("sdnotify: cannot notify systemd: %s", strerror(-rc));
}

static void
tick(uv_timer_t *t)
{
	struct sdnotify *n = t->data;
	char reason[sizeof(n->status)];
	struct buf msg = BUF_INIT;
	int ready = bot_ready(n->bot, reason, sizeof(reason));
	long long now = (long long)uv_now(t->loop);

	if (ready && !n->ready_sent) {
		buf_puts(&msg, "READY=1\n");
		n->ready_sent = 1;
		log_info("sdnotify: told systemd the bot is ready");
	}
	if (strcmp(reason, n->status) != 0) {
		buf_printf(&msg, "STATUS=%s\n", reason);
		snprintf(n->status, sizeof(n->status), "%s", reason);
	}
	if (n->watchdog_ms &&
	    now - n->last_ping_ms >= (long long)n->watchdog_ms / 2) {
		buf_puts(&msg, "WATCHDOG=1\n");
		n->last_ping_ms = now;
	}
	if (msg.len > 0)
		send_state(buf_str(&msg));
	buf_free(&msg);
}

struct sdnotify *
sdnotify_start(struct bot *bot)
{
	struct sdnotify *n;
	const char *sock = getenv("NOTIFY_SOCKET");
	uint64_t usec = 0;
	uint64_t period = SDNOTIFY_POLL_MS;

	if (sock == NULL || sock[0] == '\0')
		return NULL;
	n = xcalloc(1, sizeof(*n));
	n->bot = bot;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		n->watchdog_ms = usec / 1000;
		/* Pings at least twice per period even if that is short. */
		if (n->watchdog_ms / 4 < period)
			period = n->watchdog_ms / 4 ? n->watchdog_ms / 4 : 1;
	}
	uv_timer_init(&bot->loop, &n->timer);
	n->timer.data = n;
	uv_unref((uv_handle_t *)&n->timer);
	uv_timer_start(&n->timer, tick, 0, period);
	log_info("sdnotify: reporting to systemd%s",
	    n->watchdog_ms ? ", with the watchdog" : "");
	return n;
}

static void
closed(uv_handle_t *h)
{
	free(h->data);
}

void
sdnotify_stop(struct sdnotify *n)
{
	if (n == NULL)
		return;
	send_state("STOPPING=1\nSTATUS=shutting down\n");
	uv_timer_stop(&n->timer);
	uv_close((uv_handle_t *)&n->timer, closed);
}
