/*
 * The bot's life: start-up, the one libuv loop, reload and shutdown.
 *
 * The loop is ours; libwebsockets runs on it as a foreign loop, hiredis
 * through our own binding (redis_uv.c), curl through multi-socket
 * (http_client.c).  Shutdown follows the order that
 * ../shared/reference/eventloop.md §2.8 established for exactly these
 * library versions: stop taking work, let requests in flight finish for
 * a bounded time, stop the HTTP client and the store, destroy the lws
 * context once inside the loop, let the loop drain, destroy it a second
 * time after uv_run() returns, and close the loop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "bot.h"
#include "buf.h"
#include "calendar.h"
#include "console.h"
#include "handler.h"
#include "http_client.h"
#include "http_server.h"
#include "jira.h"
#include "limits.h"
#include "local_redis.h"
#include "log.h"
#include "lws_setup.h"
#include "mattermost.h"
#include "metrics.h"
#include "recur.h"
#include "router.h"
#include "scheduler.h"
#include "sdnotify.h"
#include "slack.h"
#include "store.h"

/* How often shutdown checks whether requests in flight have finished. */
#define DRAIN_POLL_MS 20

static void stop_components(struct bot *bot);

long long
bot_uptime_ms(const struct bot *bot)
{
	return now_ms() - bot->started_ms;
}

int
bot_post(struct bot *bot, const struct post *p)
{
	int i;

	for (i = 0; i < bot->nadapters; i++) {
		struct adapter *a = bot->adapters[i];

		if (a->ops->ready(a) && a->ops->post(a, p) == 0)
			return 0;
	}
	log_warn("bot: no adapter could take a post to %s",
	    p->channel ? p->channel : "?");
	return -1;
}

int
bot_ready(struct bot *bot, char *reason, size_t len)
{
	int i;

	if (bot->shutting_down) {
		snprintf(reason, len, "shutting down");
		return 0;
	}
	if (bot->store == NULL || !store_ready(bot->store)) {
		snprintf(reason, len, "redis: %s",
		    bot->store ? store_status(bot->store) : "not configured");
		return 0;
	}
	for (i = 0; i < bot->nadapters; i++) {
		struct adapter *a = bot->adapters[i];

		if (!a->ops->ready(a)) {
			snprintf(
			    reason, len, "%s: not connected", a->ops->name);
			return 0;
		}
	}
	snprintf(reason, len, "ready");
	return 1;
}

/* --- HTTP routes of the core ------------------------------------------ */

static void
route_healthz(struct http_exchange *x, void *priv)
{
	static const char ok[] = "ok\n";

	http_respond(x, 200, "text/plain", ok, sizeof(ok) - 1);
}

static void
route_readyz(struct http_exchange *x, void *priv)
{
	struct bot *bot = priv;
	char reason[256];
	struct buf b = BUF_INIT;
	int ready = bot_ready(bot, reason, sizeof(reason));

	buf_printf(&b, "%s\n", reason);
	http_respond(x, ready ? 200 : 503, "text/plain", b.data, b.len);
	buf_free(&b);
}

static void
route_metrics(struct http_exchange *x, void *priv)
{
	struct bot *bot = priv;
	struct buf b = BUF_INIT;

	metrics_render(bot->metrics, &b);
	http_respond(x, 200, "text/plain; version=0.0.4", buf_str(&b), b.len);
	buf_free(&b);
}

/* --- shutdown ------------------------------------------------------------ */

static void
component_stopped(void *priv)
{
	struct bot *bot = priv;

	if (--bot->pending_stops > 0)
		return;
	uv_timer_stop(&bot->shutdown_timer);
	uv_close((uv_handle_t *)&bot->shutdown_timer, NULL);
}

static void
store_stopped(void *priv)
{
	struct bot *bot = priv;

	/* Redis goes last: the store may have been flushing to it. */
	if (bot->local_redis) {
		bot->pending_stops++;
		local_redis_stop(bot->local_redis, component_stopped, bot);
	}
	component_stopped(bot);
}

static void
log_handle(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		log_warn("shutdown: still open: %s handle",
		    uv_handle_type_name(uv_handle_get_type(h)));
}

static void
force_close(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
shutdown_tick(uv_timer_t *t)
{
	struct bot *bot = t->data;
	long long waited = now_ms() - bot->shutdown_ms;

	if (!bot->pending_stops && bot->inflight > 0 &&
	    waited < LIMIT_SHUTDOWN_MS)
		return;
	if (!bot->pending_stops) {
		if (bot->inflight > 0)
			log_warn("shutdown: %d requests still in flight after "
				 "%d ms; stopping anyway",
			    bot->inflight, LIMIT_SHUTDOWN_MS);
		stop_components(bot);
		return;
	}
	if (waited >= 2 * LIMIT_SHUTDOWN_MS) {
		log_warn("shutdown: components did not close in time");
		uv_walk(&bot->loop, log_handle, NULL);
		uv_stop(&bot->loop);
	}
}

static void stop_store_and_rest(void *priv);

/* The scheduler stops first: a job it has claimed still needs the store
 * and the outbox to finish. */
static void
stop_components(struct bot *bot)
{
	if (bot->sched) {
		scheduler_stop(bot->sched, stop_store_and_rest, bot);
		return;
	}
	stop_store_and_rest(bot);
}

static void
stop_store_and_rest(void *priv)
{
	struct bot *bot = priv;

	bot->pending_stops = 1; /* held until every stop below is issued */
	if (bot->http) {
		bot->pending_stops++;
		http_client_stop(bot->http, component_stopped, bot);
	}
	if (bot->store) {
		bot->pending_stops++;
		store_stop(bot->store, store_stopped, bot);
	} else if (bot->local_redis) {
		bot->pending_stops++;
		local_redis_stop(bot->local_redis, component_stopped, bot);
	}
	/* First of the two destroys: closes every wsi and lws's handles. */
	if (bot->lws)
		lws_context_destroy(bot->lws);
	component_stopped(bot);
}

void
bot_shutdown(struct bot *bot, int exit_code)
{
	int i;

	if (bot->shutting_down)
		return;
	bot->shutting_down = 1;
	bot->exit_code = exit_code;
	log_info("pmbot: shutting down");
	sdnotify_stop(bot->sdnotify);
	bot->sdnotify = NULL;
	uv_signal_stop(&bot->sig_int);
	uv_signal_stop(&bot->sig_term);
	uv_signal_stop(&bot->sig_hup);
	uv_close((uv_handle_t *)&bot->sig_int, NULL);
	uv_close((uv_handle_t *)&bot->sig_term, NULL);
	uv_close((uv_handle_t *)&bot->sig_hup, NULL);
	for (i = 0; i < bot->nadapters; i++)
		bot->adapters[i]->ops->stop(bot->adapters[i]);
	bot->shutdown_ms = now_ms();
	uv_timer_start(&bot->shutdown_timer, shutdown_tick, 0, DRAIN_POLL_MS);
}

/* --- signals and reload ----------------------------------------------------
 */

static void
on_stop_signal(uv_signal_t *s, int signum)
{
	struct bot *bot = s->data;

	log_info("pmbot: %s received", strsignal(signum));
	bot_shutdown(bot, 0);
}

#define SWAP_FIELD(a, b, f)          \
	do {                         \
		char *tmp_ = (a)->f; \
		(a)->f = (b)->f;     \
		(b)->f = tmp_;       \
	} while (0)

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * SIGHUP: re-read the configuration.  What the running connections were
 * built from (Redis, the listener, chat servers and their tokens) needs a
 * restart; it is kept as it was, with a warning.  Everything the
 * handlers read per request (roles, channels, meetings, checklists,
 * texts, log settings) takes effect at once.  The previous configuration
 * is retired rather than freed: a request waiting on Redis may still
 * hold pointers into it; it is freed at the next reload or at exit.
 */
static void
reload(struct bot *bot)
{
	struct config next;
	struct config_problems probs = {0};
	size_t i;

	memset(&next, 0, sizeof(next));
	if (config_load(&next, bot->opt.config_path, &probs) < 0) {
		log_error("reload: configuration has problems; keeping the "
			  "running one");
		for (i = 0; i < probs.n; i++)
			log_error("reload: %s", probs.v[i]);
		config_problems_free(&probs);
		config_free(&next);
		return;
	}
	config_problems_free(&probs);
	if (!same(next.redis_url, bot->cfg.redis_url) ||
	    !same(next.redis_prefix, bot->cfg.redis_prefix) ||
	    !same(next.http_listen, bot->cfg.http_listen) ||
	    !same(next.mm_team, bot->cfg.mm_team) ||
	    !same(next.slack_api_url, bot->cfg.slack_api_url) ||
	    !same(next.mm_url, bot->cfg.mm_url) ||
	    !same(next.mm_token, bot->cfg.mm_token) ||
	    !same(next.slack_app_token, bot->cfg.slack_app_token) ||
	    !same(next.slack_bot_token, bot->cfg.slack_bot_token))
		log_warn("reload: connection settings changed; they take "
			 "effect at the next restart");
	SWAP_FIELD(&next, &bot->cfg, redis_url);
	SWAP_FIELD(&next, &bot->cfg, redis_prefix);
	SWAP_FIELD(&next, &bot->cfg, http_listen);
	SWAP_FIELD(&next, &bot->cfg, mm_url);
	SWAP_FIELD(&next, &bot->cfg, mm_token);
	SWAP_FIELD(&next, &bot->cfg, mm_team);
	SWAP_FIELD(&next, &bot->cfg, slack_app_token);
	SWAP_FIELD(&next, &bot->cfg, slack_bot_token);
	SWAP_FIELD(&next, &bot->cfg, slack_api_url);
	if (bot->has_retired)
		config_free(&bot->retired);
	bot->retired = bot->cfg;
	bot->has_retired = 1;
	bot->cfg = next;
	log_setup(bot->cfg.log_level, bot->cfg.log_format);
	log_info("reload: configuration reloaded");
}

static void
on_hup(uv_signal_t *s, int signum)
{
	reload(s->data);
}

static void
jira_checked(const struct jira_result *res, void *priv)
{
	struct bot *bot = priv;

	if (res->ok)
		log_info("jira: %s answers and accepts our credentials",
		    bot->cfg.jira_url);
	else
		log_warn("jira: %s; /qa will say so until it is fixed",
		    res->message ? res->message : "the check failed");
}

/* --- start-up ----------------------------------------------------------------
 */

static int
setup_listener(struct bot *bot, int console)
{
	char err[256];

	bot->httpd =
	    http_server_new(bot->lws, bot->cfg.http_listen, err, sizeof(err));
	if (bot->httpd == NULL) {
		if (console) {
			log_warn("http: %s; the console runs without the "
				 "listener",
			    err);
			return 0;
		}
		log_error("http: %s", err);
		return -1;
	}
	http_server_route(bot->httpd, "GET", "/healthz", route_healthz, bot);
	http_server_route(bot->httpd, "GET", "/readyz", route_readyz, bot);
	http_server_route(bot->httpd, "GET", "/metrics", route_metrics, bot);
	calendar_routes(bot);
	return 0;
}

static int
setup_store(struct bot *bot, int console)
{
	char err[256];
	const char *url = bot->cfg.redis_url;

	if (console && local_redis_wanted(&bot->cfg)) {
		char *dir = local_redis_state_dir();

		bot->local_redis =
		    local_redis_start(&bot->loop, dir, err, sizeof(err));
		free(dir);
		if (bot->local_redis == NULL) {
			log_error("pmbot: %s", err);
			return -1;
		}
		url = local_redis_url(bot->local_redis);
	}
	bot->store =
	    store_new(&bot->loop, url, bot->cfg.redis_prefix, err, sizeof(err));
	if (bot->store == NULL) {
		log_error("store: %s", err);
		return -1;
	}
	return 0;
}

static int
add_adapter(struct bot *bot, struct adapter *a)
{
	if (a == NULL)
		return -1;
	bot->adapters[bot->nadapters++] = a;
	return 0;
}

static void
free_bot(struct bot *bot)
{
	int i;

	for (i = 0; i < bot->nadapters; i++)
		bot->adapters[i]->ops->free(bot->adapters[i]);
	if (bot->httpd)
		http_server_free(bot->httpd);
	if (bot->jira)
		jira_free(bot->jira); /* before the HTTP client it uses */
	if (bot->http)
		http_client_free(bot->http);
	if (bot->sched)
		scheduler_free(bot->sched);
	if (bot->store)
		store_free(bot->store);
	local_redis_free(bot->local_redis);
	rate_table_free(bot->rates);
	metrics_free(bot->metrics);
	if (bot->has_retired)
		config_free(&bot->retired);
	config_free(&bot->cfg);
	handlers_cleanup();
	recur_cleanup_at_exit();
	log_clear_secrets();
	free(bot);
}

int
bot_run(const struct bot_options *opt)
{
	struct bot *bot = xcalloc(1, sizeof(*bot));
	struct config_problems probs = {0};
	int console, rc, started = 0;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	bot->opt = *opt;
	bot->started_ms = now_ms();
	if (config_load(&bot->cfg, opt->config_path, &probs) < 0) {
		fprintf(stderr, "pmbot: the configuration has problems:\n");
		for (i = 0; i < probs.n; i++)
			fprintf(stderr, "  %s\n", probs.v[i]);
		config_problems_free(&probs);
		config_free(&bot->cfg);
		free(bot);
		return 2;
	}
	config_problems_free(&probs);
	log_setup(bot->cfg.log_level, bot->cfg.log_format);
	console =
	    opt->mode == MODE_CONSOLE ||
	    (bot->cfg.mm_url == NULL && bot->cfg.slack_app_token == NULL &&
		bot->cfg.slack_signing_secret == NULL);

	uv_loop_init(&bot->loop);
	uv_signal_init(&bot->loop, &bot->sig_int);
	uv_signal_init(&bot->loop, &bot->sig_term);
	uv_signal_init(&bot->loop, &bot->sig_hup);
	uv_timer_init(&bot->loop, &bot->shutdown_timer);
	bot->sig_int.data = bot->sig_term.data = bot->sig_hup.data = bot;
	bot->shutdown_timer.data = bot;
	bot->metrics = metrics_new();
	bot->rates = rate_table_new(bot->cfg.rate_commands);
	bot->exit_code = 1;

	if (setup_store(bot, console) < 0)
		goto fail;
	bot->lws = lws_setup_context(&bot->loop);
	if (bot->lws == NULL) {
		log_error("pmbot: cannot create the libwebsockets context");
		goto fail;
	}
	if (setup_listener(bot, console) < 0)
		goto fail;
	bot->http = http_client_new(&bot->loop);
	if (!console && bot->cfg.mm_url &&
	    add_adapter(bot, mattermost_new(bot)) < 0)
		goto fail;
	if (!console &&
	    (bot->cfg.slack_app_token || bot->cfg.slack_signing_secret) &&
	    add_adapter(bot, slack_new(bot)) < 0)
		goto fail;
	bot->sched = scheduler_new(bot);
	if (console)
		bot->adapters[bot->nadapters++] =
		    console_new(bot, opt->console_user,
			opt->console_channel ? opt->console_channel
					     : config_channel(&bot->cfg, "ask"),
			opt->console_fd_in, opt->console_fd_out);

	uv_signal_start(&bot->sig_int, on_stop_signal, SIGINT);
	uv_signal_start(&bot->sig_term, on_stop_signal, SIGTERM);
	uv_signal_start(&bot->sig_hup, on_hup, SIGHUP);
	/* Start-up (TLS init, plugin loading) can take seconds: refresh
	 * the loop's clock before any timer is armed (eventloop.md P8). */
	uv_update_time(&bot->loop);
	store_start(bot->store);
	for (i = 0; i < (size_t)bot->nadapters; i++) {
		if (bot->adapters[i]->ops->start(bot->adapters[i]) < 0)
			goto fail;
	}
	scheduler_start(bot->sched);
	/* Jira is checked now, not at the first /qa, so a wrong URL or
	 * token shows in the log when the operator starts the bot. */
	if (bot->cfg.jira_url != NULL && jira_for_bot(bot) != NULL)
		jira_check(bot->jira, jira_checked, bot);
	bot->sdnotify = sdnotify_start(bot);
	started = 1;
	bot->exit_code = 0;
	log_info("pmbot %s: running (%s)", PMBOT_VERSION,
	    console ? "console" : "chat adapters");
	uv_run(&bot->loop, UV_RUN_DEFAULT);
	goto done;

fail:
	bot_shutdown(bot, 1);
	uv_run(&bot->loop, UV_RUN_DEFAULT);
done:
	(void)started;
	/* A forced stop leaves handles open: close what remains. */
	uv_walk(&bot->loop, force_close, NULL);
	uv_run(&bot->loop, UV_RUN_DEFAULT);
	if (bot->lws)
		lws_context_destroy(bot->lws); /* the second destroy */
	rc = uv_loop_close(&bot->loop);
	if (rc != 0) {
		log_warn("pmbot: the loop did not close: %s", uv_strerror(rc));
		uv_walk(&bot->loop, log_handle, NULL);
	}
	rc = bot->exit_code;
	free_bot(bot);
	return rc;
}
