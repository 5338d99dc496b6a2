/*
 * The state store: an asynchronous Redis client on the bot's libuv loop
 * (hiredis 0.14 with our own small libuv binding, redis_uv.c; see
 * ../shared/reference/eventloop.md for why not hiredis's).
 *
 * The store owns the connection and its life: connect (TCP or unix
 * socket), AUTH and SELECT, reconnect with backoff after the server goes
 * away, and Lua scripts registered once and called by SHA (loaded again
 * when Redis answers NOSCRIPT after a restart).  Callers never see the
 * connection: they queue commands and get one callback each.
 *
 * Every key pmbot writes starts with the configured prefix; callers build
 * keys with store_prefix().
 */
#ifndef PMBOT_STORE_H
#define PMBOT_STORE_H

#include <stddef.h>
#include <uv.h>
#include <hiredis/hiredis.h>

struct store;

/*
 * Completion of one command.  Exactly one call per accepted command:
 *  - reply != NULL: Redis answered (possibly REDIS_REPLY_ERROR); the reply
 *    is freed after the callback returns.
 *  - reply == NULL: the command did not complete (connection lost, the
 *    store stopped, or no answer within LIMIT_REDIS_COMMAND_MS); err says
 *    why in words fit for the log.
 */
typedef void store_cb(
    struct store *st, redisReply *reply, const char *err, void *priv);

/* Called when the connection comes up (up = 1) or goes down (up = 0). */
typedef void store_state_cb(struct store *st, int up, void *priv);

/* A Redis URL taken apart: exactly one of host and path is set. */
struct store_url {
	char *shown; /* for the log, password masked */
	char *host;  /* an IP literal; NULL for a unix socket */
	int port;
	char *path; /* unix socket; NULL for TCP */
	char *user;
	char *password;
	int db;
};

/* Parses url (redis://[[user]:password@]host[:port][/db] or
 * unix:///path/to.sock[?db=N]) into out: 0, or -1 with err filled and
 * nothing left in out to free.  Kept apart from store_new so that it
 * can be fuzzed without a loop. */
int store_url_parse(
    const char *url, struct store_url *out, char *err, size_t errlen);
void store_url_free(struct store_url *u);

/* Parses url as store_url_parse does; NULL with err filled on a bad
 * URL. */
struct store *store_new(uv_loop_t *loop, const char *url, const char *prefix,
    char *err, size_t errlen);
void store_set_state_cb(struct store *st, store_state_cb *cb, void *priv);
/* Starts connecting; reconnects by itself from then on. */
void store_start(struct store *st);
/* Stops reconnecting, fails queued work, lets in-flight replies arrive,
 * then closes every handle.  done runs once everything is closed (from
 * the loop); store_free may be called then. */
void store_stop(struct store *st, void (*done)(void *), void *priv);
void store_free(struct store *st);

int store_ready(const struct store *st);
const char *store_prefix(const struct store *st);
/* A short description for status pages: "up", "connecting", "down: ...". */
const char *store_status(const struct store *st);

/*
 * Queues a command in hiredis's printf-like format (%s, %b, %d...).
 * cb may be NULL for a command nobody waits for (an error is logged).
 * Returns 0 when queued (cb will run), -1 when the store is not connected
 * (cb will not run; reply with STORE_UNAVAILABLE).
 */
int store_cmd(struct store *st, store_cb *cb, void *priv, const char *fmt, ...);
int store_cmdargv(struct store *st, store_cb *cb, void *priv, int argc,
    const char **argv, const size_t *lens);

/* Registers a Lua script; returns its id for store_eval (>= 0). Scripts
 * are registered before store_start. */
int store_script(struct store *st, const char *lua);
/* EVALSHA with a transparent reload on NOSCRIPT.  argv holds the keys
 * first (nkeys of them), then the arguments. Return as store_cmd. */
int store_eval(struct store *st, int script, store_cb *cb, void *priv,
    int nkeys, int argc, const char **argv, const size_t *lens);

/* What a user is told when the store is down (SPEC: recover by itself). */
#define STORE_UNAVAILABLE "state store unavailable, try again shortly"

#endif
