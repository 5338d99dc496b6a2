/*
 * Creating the libwebsockets context on the bot's own libuv loop, and the
 * client vhost the WebSocket adapters connect through.  lws is attached as
 * a "foreign loop" user (../shared/reference/eventloop.md §2.2): pmbot
 * owns the uv_loop_t and runs it; nothing calls lws_service().
 *
 * Tearing the context down takes two calls, in this order:
 *
 *   1. lws_context_destroy(ctx) from inside the running loop (a uv
 *      callback: the shutdown path, a 0 ms timer).  This closes every
 *      connection and starts closing lws's own uv handles.
 *   2. lws_context_destroy(ctx) again after uv_run() has returned (all
 *      handles closed), which frees what is left and unloads the evlib
 *      plugin.  Then http_server_free(), and finally uv_loop_close().
 *
 * Calling both back to back inside the loop crashes; skipping the second
 * leaks the context.  The runtime needs the libwebsockets-evlib-uv
 * package (the plugin is dlopen()ed, so no shared-library scan finds it).
 */
#ifndef PMBOT_LWS_SETUP_H
#define PMBOT_LWS_SETUP_H

#include <uv.h>

struct lws_context;
struct lws_vhost;
struct lws_protocols;

/* The context, listening nowhere (vhosts are created explicitly), with
 * lws's log routed through log.h.  NULL on failure (logged). */
struct lws_context *lws_setup_context(uv_loop_t *loop);

/* A client-only vhost: TLS verified against the system CA bundle given
 * explicitly, permessage-deflate offered.  protocols is the caller's
 * array, terminated by an all-zero entry, and must outlive the context.
 * NULL on failure (logged). */
struct lws_vhost *lws_setup_client_vhost(
    struct lws_context *ctx, const struct lws_protocols *protocols);

#endif
