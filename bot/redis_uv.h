/*
 * Our own libuv binding for a hiredis 0.14 redisAsyncContext.  Debian's
 * <hiredis/adapters/libuv.h> swallows poll errors (a refused connect is
 * never reported), re-arms the poll on every command (which drops the
 * fd's events from the current epoll batch) and leaks when uv_poll_init
 * fails; this one does none of that (eventloop.md P2-P4).
 *
 * One uv_poll per context watches the context's fd.  hiredis calls the
 * cleanup hook when it frees the context; the poll handle is then closed
 * and its memory released in the close callback, after which `closed`
 * runs so the owner knows one handle less is open on the loop.
 */
#ifndef PMBOT_REDIS_UV_H
#define PMBOT_REDIS_UV_H

#include <uv.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

/*
 * Attaches ac to loop.  Returns 0, or -1 when the context already has an
 * event binding or the poll cannot be set up (nothing is left allocated;
 * the caller still owns ac and frees it).  closed(arg) runs from the loop
 * once the poll handle is fully closed; it may be NULL.
 */
int redis_uv_attach(
    redisAsyncContext *ac, uv_loop_t *loop, void (*closed)(void *), void *arg);

#endif
