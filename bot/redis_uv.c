/*
 * hiredis 0.14 async events on a libuv loop (see redis_uv.h for why this
 * is not hiredis's own adapter).  hiredis tells us through the ev hooks
 * which events it wants; we keep the current interest set and touch the
 * uv_poll only when that set changes.
 */
#include <stdlib.h>

#include <uv.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "buf.h"
#include "log.h"
#include "redis_uv.h"

struct redis_uv {
	uv_poll_t poll;
	redisAsyncContext *ac; /* NULL once hiredis has let go of us */
	int events;            /* UV_READABLE | UV_WRITABLE currently armed */
	void (*closed)(void *);
	void *arg;
};

/*
 * A poll error (status < 0) still means "something happened on the fd":
 * hiredis finds out what by trying the operation it was waiting for, so
 * the armed events are delivered as if they had fired.  That is how a
 * refused connect reaches onConnect instead of hanging (P2).
 */
static void
redis_uv_poll_cb(uv_poll_t *handle, int status, int events)
{
	struct redis_uv *p = handle->data;
	int ev = status < 0 ? p->events : events;

	if (p->ac != NULL && (ev & UV_READABLE))
		redisAsyncHandleRead(p->ac);
	/* The read may have freed the context; cleanup cleared p->ac. */
	if (p->ac != NULL && (ev & UV_WRITABLE))
		redisAsyncHandleWrite(p->ac);
}

/*
 * Re-arming an unchanged interest set is not free in libuv: uv_poll_start
 * stops the watcher first, which discards the fd's pending events from
 * the current epoll batch (P3).  Only call it when the set changes.
 */
static void
redis_uv_update(struct redis_uv *p, int events)
{
	int rc;

	if (events == p->events || p->ac == NULL)
		return;
	p->events = events;
	if (events == 0)
		rc = uv_poll_stop(&p->poll);
	else
		rc = uv_poll_start(&p->poll, events, redis_uv_poll_cb);
	if (rc != 0)
		log_error(
		    "store: cannot watch redis socket: %s", uv_strerror(rc));
}

static void
redis_uv_add_read(void *data)
{
	struct redis_uv *p = data;

	redis_uv_update(p, p->events | UV_READABLE);
}

static void
redis_uv_del_read(void *data)
{
	struct redis_uv *p = data;

	redis_uv_update(p, p->events & ~UV_READABLE);
}

static void
redis_uv_add_write(void *data)
{
	struct redis_uv *p = data;

	redis_uv_update(p, p->events | UV_WRITABLE);
}

static void
redis_uv_del_write(void *data)
{
	struct redis_uv *p = data;

	redis_uv_update(p, p->events & ~UV_WRITABLE);
}

static void
redis_uv_close_done(uv_handle_t *handle)
{
	struct redis_uv *p = handle->data;
	void (*closed)(void *) = p->closed;
	void *arg = p->arg;

	free(p);
	if (closed != NULL)
		closed(arg);
}

/*
 * hiredis is about to close the fd and free the context.  The poll must
 * leave epoll now (uv_poll_stop is synchronous), before the fd number can
 * be reused; the handle itself is released from the close callback.
 */
static void
redis_uv_cleanup(void *data)
{
	struct redis_uv *p = data;

	if (p->ac == NULL)
		return;
	p->ac->ev.data = NULL;
	p->ac = NULL;
	p->events = 0;
	uv_poll_stop(&p->poll);
	uv_close((uv_handle_t *)&p->poll, redis_uv_close_done);
}

int
redis_uv_attach(
    redisAsyncContext *ac, uv_loop_t *loop, void (*closed)(void *), void *arg)
{
	struct redis_uv *p;
	int rc;

	if (ac->ev.data != NULL)
		return -1;
	p = xcalloc(1, sizeof(*p));
	rc = uv_poll_init(loop, &p->poll, ac->c.fd);
	if (rc != 0) {
		/* The handle never joined the loop: plain free is right. */
		log_error(
		    "store: cannot poll redis socket: %s", uv_strerror(rc));
		free(p);
		return -1;
	}
	p->poll.data = p;
	p->ac = ac;
	p->closed = closed;
	p->arg = arg;
	ac->ev.data = p;
	ac->ev.addRead = redis_uv_add_read;
	ac->ev.delRead = redis_uv_del_read;
	ac->ev.addWrite = redis_uv_add_write;
	ac->ev.delWrite = redis_uv_del_write;
	ac->ev.cleanup = redis_uv_cleanup;
	return 0;
}
