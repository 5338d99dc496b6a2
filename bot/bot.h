/*
 * The one context (STYLE.md rule 5): struct bot owns the loop, the
 * configuration, the store, the HTTP client and listener, the adapters and
 * the metrics.  It is created in main, passed explicitly, and torn down in
 * the order ../shared/reference/eventloop.md §2.8 requires.
 */
#ifndef PMBOT_BOT_H
#define PMBOT_BOT_H

#include <uv.h>

#include "adapter.h"
#include "config.h"

struct lws_context;
struct store;
struct http_client;
struct http_server;
struct metrics;
struct local_redis;
struct rate_table;
struct scheduler;
struct jira;
struct sdnotify;

#define BOT_MAX_ADAPTERS 4

enum bot_mode {
	MODE_RUN,     /* pmbot: every adapter the configuration enables */
	MODE_CONSOLE, /* pmbot console */
};

struct bot_options {
	enum bot_mode mode;
	const char *config_path;
	const char *console_user;
	const char *console_channel;
	int console_fd_in;  /* the console reads here (0) */
	int console_fd_out; /* and writes here (1) */
};

struct bot {
	uv_loop_t loop;
	struct config cfg;
	struct bot_options opt;
	struct lws_context *lws;
	struct store *store;
	struct http_client *http;
	struct http_server *httpd;
	struct metrics *metrics;
	struct local_redis *local_redis;
	struct rate_table *rates;
	struct scheduler *sched;
	struct jira *jira;         /* created on first /qa (jira_for_bot) */
	struct sdnotify *sdnotify; /* NULL unless systemd asked (sdnotify.h) */
	struct adapter *adapters[BOT_MAX_ADAPTERS];
	int nadapters;

	uv_signal_t sig_int, sig_term, sig_hup;
	uv_timer_t shutdown_timer; /* the bounded grace period */
	int shutting_down;
	int exit_code;
	int pending_stops;     /* components still closing */
	int inflight;          /* requests started and not yet done (router) */
	struct config retired; /* the configuration before the last reload */
	int has_retired;
	long long started_ms;
	long long shutdown_ms; /* when shutdown began */
};

/* Runs the bot until shutdown; returns the process exit status. */
int bot_run(const struct bot_options *opt);
/* Begins an orderly shutdown (safe from any loop callback). */
void bot_shutdown(struct bot *bot, int exit_code);
/* Posts through the first adapter that is ready (scheduled posts, DMs).
 * Returns 0 or -1. */
int bot_post(struct bot *bot, const struct post *p);
/* Milliseconds since start. */
long long bot_uptime_ms(const struct bot *bot);
/* Whether Redis and every adapter are up; reason filled when not. */
int bot_ready(struct bot *bot, char *reason, size_t len);

#endif
