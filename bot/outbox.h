/*
 * The durable outbox: every post a chat adapter sends goes through a
 * per-queue (per-channel) list in Redis, so that
 *  - posts to one channel leave strictly in the order they were queued
 *    (one in flight per queue, across every replica: a lease in Redis);
 *  - a rate limit (429) pauses every queue for the time the server asked,
 *    a server error or an unreachable server backs off that queue, and
 *    nothing is dropped meanwhile;
 *  - a post survives pmbot being killed: it stays at the head of its list
 *    until the adapter says it was delivered, and the next process (or
 *    another replica) sends it again with the same id, which the chat
 *    server uses to de-duplicate (Mattermost's pending_post_id).
 *
 * The outbox knows nothing of any chat: the adapter gives it opaque
 * payload strings and a deliver function, and reports each delivery's
 * outcome with outbox_done().  Key families (prefix first):
 *   outbox:<name>:q:<queue>      list of entries "1 <id> <payload>"
 *   outbox:<name>:pending        set of queues that may hold entries
 *   outbox:<name>:lease:<queue>  the replica delivering that queue's head
 *   outbox:<name>:depth          entries queued, for the gauge
 *   outbox:<name>:dedup:<key>    posts pushed with a de-duplication key
 */
#ifndef PMBOT_OUTBOX_H
#define PMBOT_OUTBOX_H

#include <stddef.h>
#include <uv.h>

struct outbox;
struct store;
struct metrics;

struct outbox_item {
	const char *queue;   /* the queue it was pushed to */
	const char *id;      /* unique, and the same on every retry */
	const char *payload; /* as pushed */
	int attempt;         /* 1 on this process's first try */
};

enum outbox_status {
	OUTBOX_SENT,      /* delivered: remove it, go on with the next */
	OUTBOX_RETRY,     /* this queue tries again after a backoff */
	OUTBOX_THROTTLED, /* rate limited: every queue waits delay_ms */
	OUTBOX_REJECTED,  /* will never succeed: dropped (the adapter logs) */
};

/* Asked to deliver one item; the adapter answers with outbox_done(),
 * now or later.  The item's strings live until then. */
typedef void outbox_deliver_cb(
    struct outbox *ob, const struct outbox_item *item, void *priv);

/* name tells adapters apart in Redis ("mm"); metrics may be NULL. */
struct outbox *outbox_new(uv_loop_t *loop, struct store *st, struct metrics *m,
    const char *name, outbox_deliver_cb *deliver, void *priv);
/* Starts delivering: picks up what earlier processes left queued, and
 * looks again every LIMIT_OUTBOX_SWEEP_MS. */
void outbox_start(struct outbox *ob);
/*
 * Queues n payloads, in order, on queue.  With dedup_key set, a second
 * push with the same key within LIMIT_OUTBOX_DEDUP_S queues nothing.
 * When Redis cannot be reached the payloads wait in memory (up to
 * LIMIT_OUTBOX_MEMORY) and are written when it returns.  Returns 0, or
 * -1 when even that is full.
 */
int outbox_push(struct outbox *ob, const char *queue,
    const char *const *payloads, size_t n, const char *dedup_key);
/* The outcome of a delivery; delay_ms < 0 lets the outbox choose. */
void outbox_done(struct outbox *ob, const struct outbox_item *item,
    enum outbox_status status, long delay_ms);
/* Forgets every backoff and tries each queue now (the chat server is
 * reachable again). */
void outbox_kick(struct outbox *ob);
/* Stops delivering; done runs from the loop once the timer is closed.
 * Then outbox_free. */
void outbox_stop(struct outbox *ob, void (*done)(void *), void *priv);
void outbox_free(struct outbox *ob);
/* Tests: how long a lease lasts (default LIMIT_OUTBOX_LEASE_MS). */
void outbox_set_lease_ms(struct outbox *ob, long ms);

/*
 * Splits text into parts of at most max_runes code points each, cutting
 * after the last newline, else the last blank, in the second half of the
 * part, and never inside a UTF-8 sequence.  Returns the number of parts
 * (at least 1) in *parts, a NULL-terminated array freed with
 * outbox_split_free.
 */
size_t outbox_split(const char *text, size_t max_runes, char ***parts);
void outbox_split_free(char **parts);

#endif
