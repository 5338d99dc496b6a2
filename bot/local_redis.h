/*
 * A private redis-server for a bot started with no Redis configured
 * (the README's first command): started as a child process on a unix
 * socket inside a state folder, append-only so nothing acknowledged is
 * lost, and stopped when the bot exits.
 */
#ifndef PMBOT_LOCAL_REDIS_H
#define PMBOT_LOCAL_REDIS_H

#include <stddef.h>
#include <uv.h>

struct config;
struct local_redis;

/* Whether a console run starts its own Redis: when neither
 * PMBOT_REDIS_URL nor the configuration names one. */
int local_redis_wanted(const struct config *cfg);

/* The folder used: $PMBOT_STATE_DIR, else $XDG_STATE_HOME/pmbot, else
 * $HOME/.local/state/pmbot.  Returns a string the caller frees. */
char *local_redis_state_dir(void);
/* Starts redis-server in dir; NULL with err filled when it cannot. */
struct local_redis *local_redis_start(
    uv_loop_t *loop, const char *dir, char *err, size_t errlen);
/* The URL to give the store: unix://DIR/redis.sock. */
const char *local_redis_url(const struct local_redis *lr);
/* Asks redis-server to exit (SIGTERM: it finishes its append-only file);
 * done runs from the loop once the child has exited and every handle is
 * closed.  Then local_redis_free. */
void local_redis_stop(struct local_redis *lr, void (*done)(void *), void *priv);
void local_redis_free(struct local_redis *lr);

#endif
