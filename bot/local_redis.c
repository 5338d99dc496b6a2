/*
 * The private redis-server of a bot run without configured Redis.  It is
 * a child on our loop (uv_spawn), so its exit is seen like any other
 * event; the store simply retries until the socket appears, which takes a
 * few milliseconds.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "config.h"
#include "local_redis.h"
#include "log.h"

struct local_redis {
	uv_process_t proc;
	char *dir;
	char *url;
	int running;
	int closing;
	void (*done)(void *);
	void *done_priv;
};

static int
mkdir_p(const char *path)
{
	char *p, *copy = xstrdup(path);
	int rc = 0;

	for (p = copy + 1; *p && rc == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (rc == 0 && mkdir(copy, 0700) < 0 && errno != EEXIST)
		rc = -1;
	free(copy);
	return rc;
}

char *
local_redis_state_dir(void)
{
	struct buf b = BUF_INIT;
	const char *s;

	s = getenv("PMBOT_STATE_DIR");
	if (s && *s)
		return xstrdup(s);
	s = getenv("XDG_STATE_HOME");
	if (s && *s == '/') {
		buf_printf(&b, "%s/pmbot", s);
		return buf_detach(&b);
	}
	s = getenv("HOME");
	if (s && *s == '/') {
		buf_printf(&b, "%s/.local/state/pmbot", s);
		return buf_detach(&b);
	}
	return xstrdup("state");
}

static void
closed(uv_handle_t *h)
{
	struct local_redis *lr = h->data;

	lr->closing = 2;
	if (lr->done)
		lr->done(lr->done_priv);
}

static void
exited(uv_process_t *p, int64_t status, int sig)
{
	struct local_redis *lr = p->data;

	lr->running = 0;
	if (lr->done == NULL)
		log_warn("local-redis: redis-server exited (status %lld, "
			 "signal %d) while the bot runs; see %s/redis.log",
		    (long long)status, sig, lr->dir);
	else
		log_debug("local-redis: redis-server stopped");
	if (lr->done && !lr->closing) {
		lr->closing = 1;
		uv_close((uv_handle_t *)p, closed);
	}
}

/* The configuration's default, which a console run takes to mean "none". */
#define DEFAULT_REDIS_URL "redis://127.0.0.1:6379/0"

int
local_redis_wanted(const struct config *cfg)
{
	const char *env = getenv("PMBOT_REDIS_URL");

	if (env && *env)
		return 0;
	return cfg->redis_url == NULL ||
	       strcmp(cfg->redis_url, DEFAULT_REDIS_URL) == 0;
}

struct local_redis *
local_redis_start(uv_loop_t *loop, const char *dir, char *err, size_t errlen)
{
	struct local_redis *lr;
	uv_process_options_t o;
	uv_stdio_container_t stdio[3];
	struct buf sock = BUF_INIT, log = BUF_INIT;
	char *args[20];
	int n = 0, rc;

	if (mkdir_p(dir) < 0) {
		snprintf(err, errlen, "cannot create state folder \"%s\": %s",
		    dir, strerror(errno));
		return NULL;
	}
	lr = xcalloc(1, sizeof(*lr));
	lr->dir = xstrdup(dir);
	buf_printf(&sock, "%s/redis.sock", dir);
	buf_printf(&log, "%s/redis.log", dir);
	args[n++] = "redis-server";
	args[n++] = "--port";
	args[n++] = "0";
	args[n++] = "--unixsocket";
	args[n++] = sock.data;
	args[n++] = "--unixsocketperm";
	args[n++] = "700";
	args[n++] = "--dir";
	args[n++] = lr->dir;
	args[n++] = "--appendonly";
	args[n++] = "yes";
	args[n++] = "--appendfsync";
	args[n++] = "everysec";
	args[n++] = "--save";
	args[n++] = "";
	args[n++] = "--logfile";
	args[n++] = log.data;
	args[n++] = "--daemonize";
	args[n++] = "no";
	args[n] = NULL;

	memset(&o, 0, sizeof(o));
	memset(stdio, 0, sizeof(stdio));
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_IGNORE;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	o.file = "redis-server";
	o.args = args;
	o.exit_cb = exited;
	o.stdio = stdio;
	o.stdio_count = 3;
	lr->proc.data = lr;
	rc = uv_spawn(loop, &lr->proc, &o);
	buf_free(&log);
	if (rc < 0) {
		snprintf(err, errlen,
		    "cannot start redis-server: %s "
		    "(install the redis-server package, or set "
		    "PMBOT_REDIS_URL)",
		    uv_strerror(rc));
		buf_free(&sock);
		/* A failed spawn still initialised the handle. */
		lr->closing = 1;
		uv_close((uv_handle_t *)&lr->proc, NULL);
		uv_run(loop, UV_RUN_NOWAIT);
		free(lr->dir);
		free(lr);
		return NULL;
	}
	lr->running = 1;
	{
		struct buf url = BUF_INIT;

		buf_printf(&url, "unix://%s", sock.data);
		lr->url = buf_detach(&url);
	}
	buf_free(&sock);
	log_info("local-redis: started redis-server (pid %d) in %s",
	    lr->proc.pid, lr->dir);
	return lr;
}

const char *
local_redis_url(const struct local_redis *lr)
{
	return lr->url;
}

void
local_redis_stop(struct local_redis *lr, void (*done)(void *), void *priv)
{
	lr->done = done;
	lr->done_priv = priv;
	if (lr->running) {
		uv_process_kill(&lr->proc, SIGTERM);
		return;
	}
	if (!lr->closing) {
		lr->closing = 1;
		uv_close((uv_handle_t *)&lr->proc, closed);
	}
}

void
local_redis_free(struct local_redis *lr)
{
	if (lr == NULL)
		return;
	free(lr->dir);
	free(lr->url);
	free(lr);
}
