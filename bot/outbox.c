/*
 * The durable outbox (see outbox.h for the model and the Redis keys).
 *
 * Each queue is worked by at most one replica at a time: a Lua script
 * takes the queue's lease and reads its head in one step, the adapter
 * delivers the head, and a second script removes it (only if it is still
 * the head) and gives the lease back.  A process that dies in between
 * leaves the head and a lease that runs out; whoever takes the queue next
 * sends the head again under the same id.
 *
 * In memory there is one small record per queue (busy, not before when,
 * failures so far) and a single timer armed for the earliest of those
 * times and the next sweep of the pending set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "buf.h"
#include "limits.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "store.h"

/* The entry format's version, first in every entry. */
#define ENTRY_VERSION "1"

struct obq {
	char *name;
	int busy;     /* a take, a delivery or an ack is under way */
	uint64_t due; /* loop time before which it is not tried */
	int fails;    /* consecutive failures, for the backoff */
	int attempt;  /* tries of the current head in this process */
	char *entry;  /* the head being delivered, as stored */
	char *id;     /* parts of entry */
	char *payload;
	struct obq *next;
};

/* Pushes that could not reach Redis yet. */
struct mempush {
	char *queue;
	char *dedup;
	char **entries;
	size_t n;
	struct mempush *next;
};

struct outbox {
	uv_loop_t *loop;
	struct store *st;
	struct metrics *metrics;
	char *name;
	char owner[40]; /* this process, as the lease holder */
	unsigned long long seq;
	outbox_deliver_cb *deliver;
	void *priv;
	int s_push, s_take, s_ack;
	uv_timer_t timer;
	int started, stopping;
	uint64_t paused_until; /* a 429 holds every queue until then */
	uint64_t next_sweep;
	int sweeping;
	int ops;          /* store commands whose callback is still due */
	int timer_closed; /* stopping: the timer has closed */
	long lease_ms;
	struct obq *queues;
	struct mempush *mem, **mem_tail;
	size_t mem_entries;
	void (*stop_done)(void *);
	void *stop_priv;
};

/* The take, shared by take_lua and push_lua: with the queue's lease free
 * or ours, lease it and answer {2, head}; {1} when the queue is empty (its
 * lease and pending mark go); {0} when another replica holds it. */
#define TAKE_LUA_FN                                          \
	"local function take(kq, kl, kp, owner, ms, name)\n" \
	"  local cur = redis.call('GET', kl)\n"              \
	"  if cur and cur ~= owner then return {0} end\n"    \
	"  local head = redis.call('LINDEX', kq, 0)\n"       \
	"  if not head then\n"                               \
	"    redis.call('SREM', kp, name)\n"                 \
	"    redis.call('DEL', kl)\n"                        \
	"    return {1}\n"                                   \
	"  end\n"                                            \
	"  redis.call('SET', kl, owner, 'PX', ms)\n"         \
	"  return {2, head}\n"                               \
	"end\n"

/* Appends ARGV[5..] to the queue (once per dedup key when ARGV[2] is a
 * TTL) and answers {depth}, or {-1} for a duplicate.  When ARGV[3] names
 * this process, it also takes the queue in the same step and answers
 * {depth, take's answer...}: a post to an idle queue costs one round trip
 * to queue and lease instead of two. */
static const char push_lua[] = TAKE_LUA_FN
    "if ARGV[2] ~= '0' then\n"
    "  if not redis.call('SET', KEYS[4], '1', 'NX', 'EX', ARGV[2]) then\n"
    "    return {-1}\n"
    "  end\n"
    "end\n"
    "for i = 5, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "local depth = redis.call('INCRBY', KEYS[3], #ARGV - 4)\n"
    "if ARGV[3] == '' then return {depth} end\n"
    "local t = take(KEYS[1], KEYS[5], KEYS[2], ARGV[3], ARGV[4], ARGV[1])\n"
    "table.insert(t, 1, depth)\n"
    "return t\n";

static const char take_lua[] = TAKE_LUA_FN
    "return take(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])\n";

/* Removes the head when ARGV[4] is 1 and it is still ARGV[2]; gives the
 * lease back; answers {depth, what is left in the queue}.  An empty queue
 * is done with here, so it needs no further take to find that out. */
static const char ack_lua[] =
    "local d = tonumber(redis.call('GET', KEYS[4]) or '0')\n"
    "if ARGV[4] == '1' and redis.call('LINDEX', KEYS[1], 0) == ARGV[2] "
    "then\n"
    "  redis.call('LPOP', KEYS[1])\n"
    "  d = redis.call('DECR', KEYS[4])\n"
    "end\n"
    "if redis.call('GET', KEYS[2]) == ARGV[1] then\n"
    "  redis.call('DEL', KEYS[2])\n"
    "end\n"
    "local left = redis.call('LLEN', KEYS[1])\n"
    "if left == 0 then\n"
    "  redis.call('SREM', KEYS[3], ARGV[3])\n"
    "end\n"
    "if d < 0 then redis.call('SET', KEYS[4], '0'); d = 0 end\n"
    "return {d, left}\n";

static void arm_timer(struct outbox *ob);
static void queue_kick(struct outbox *ob, struct obq *q);

static char *
key(const struct outbox *ob, const char *family, const char *queue)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%soutbox:%s:%s%s%s", store_prefix(ob->st), ob->name,
	    family, queue ? ":" : "", queue ? queue : "");
	return buf_detach(&b);
}

static void
set_depth(struct outbox *ob, long long depth)
{
	char labels[96];

	if (ob->metrics == NULL)
		return;
	snprintf(labels, sizeof(labels), "outbox=\"%s\"", ob->name);
	metrics_set(ob->metrics, M_OUTBOX_DEPTH, labels, (double)depth);
}

static struct obq *
queue_get(struct outbox *ob, const char *name, int create)
{
	struct obq *q;

	for (q = ob->queues; q != NULL; q = q->next)
		if (strcmp(q->name, name) == 0)
			return q;
	if (!create)
		return NULL;
	q = xcalloc(1, sizeof(*q));
	q->name = xstrdup(name);
	q->next = ob->queues;
	ob->queues = q;
	return q;
}

static void
queue_clear_head(struct obq *q)
{
	free(q->entry);
	free(q->id);
	free(q->payload);
	q->entry = q->id = q->payload = NULL;
}

static void
queue_remove(struct outbox *ob, struct obq *q)
{
	struct obq **pp;

	for (pp = &ob->queues; *pp != NULL; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	queue_clear_head(q);
	free(q->name);
	free(q);
}

struct outbox *
outbox_new(uv_loop_t *loop, struct store *st, struct metrics *m,
    const char *name, outbox_deliver_cb *deliver, void *priv)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));
	unsigned long long r = 0;

	ob->loop = loop;
	ob->st = st;
	ob->metrics = m;
	ob->name = xstrdup(name);
	ob->deliver = deliver;
	ob->priv = priv;
	ob->lease_ms = LIMIT_OUTBOX_LEASE_MS;
	ob->mem_tail = &ob->mem;
	/* Ids must not repeat across processes and replicas: random bits
	 * plus a counter.  The clock is a fallback only. */
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned long long)uv_hrtime() ^
		    (unsigned long long)getpid();
	snprintf(ob->owner, sizeof(ob->owner), "%016llx", r);
	ob->s_push = store_script(st, push_lua);
	ob->s_take = store_script(st, take_lua);
	ob->s_ack = store_script(st, ack_lua);
	uv_timer_init(loop, &ob->timer);
	ob->timer.data = ob;
	return ob;
}

void
outbox_set_lease_ms(struct outbox *ob, long ms)
{
	ob->lease_ms = ms;
}

/* --- pushing ------------------------------------------------------------ */

struct push_op {
	struct outbox *ob;
	struct mempush *mp;
	int took; /* the push also takes the queue (push_lua's ARGV[3]) */
};

static void mem_keep(struct outbox *ob, struct mempush *mp);
static void op_started(struct outbox *ob);
static void push_done(
    struct store *st, redisReply *reply, const char *err, void *priv);
static void take_done(
    struct store *st, redisReply *reply, const char *err, void *priv);
static void ack_done(
    struct store *st, redisReply *reply, const char *err, void *priv);
static void sweep_done(
    struct store *st, redisReply *reply, const char *err, void *priv);
static int push_send(struct outbox *ob, struct mempush *mp);
static void take_handle(struct outbox *ob, struct obq *q,
    const redisReply *reply, size_t off, const char *err);

static void
mempush_free(struct mempush *mp)
{
	size_t i;

	for (i = 0; i < mp->n; i++)
		free(mp->entries[i]);
	free(mp->entries);
	free(mp->queue);
	free(mp->dedup);
	free(mp);
}

static void
push_done_inner(
    struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct push_op *op = priv;
	struct outbox *ob = op->ob;
	struct mempush *mp = op->mp;
	struct obq *q = queue_get(ob, mp->queue, 0);
	int took = op->took;

	free(op);
	if (took && q != NULL)
		q->busy = 0;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements < 1 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER) {
		log_warn("outbox: %s: could not queue %zu post(s) for %s: %s; "
			 "keeping them in memory",
		    ob->name, mp->n, mp->queue,
		    err ? err : (reply && reply->str ? reply->str : "?"));
		mem_keep(ob, mp);
		return;
	}
	if (reply->element[0]->integer < 0) {
		log_info("outbox: %s: a post to %s was already queued once; "
			 "not again",
		    ob->name, mp->queue);
		if (took)
			queue_kick(ob, q);
	} else {
		set_depth(ob, reply->element[0]->integer);
		if (took && q != NULL)
			take_handle(ob, q, reply, 1, err);
		else if (!ob->stopping)
			queue_kick(ob, queue_get(ob, mp->queue, 1));
	}
	mempush_free(mp);
}

static int
push_send(struct outbox *ob, struct mempush *mp)
{
	struct push_op *op;
	struct obq *q = queue_get(ob, mp->queue, 1);
	const char **argv;
	size_t *lens, i, argc = 5 + 4 + mp->n;
	char *kq = key(ob, "q", mp->queue), *kp = key(ob, "pending", NULL);
	char *kd = key(ob, "depth", NULL);
	char *kx = key(ob, "dedup", mp->dedup ? mp->dedup : "");
	char *kl = key(ob, "lease", mp->queue);
	char ttl[24], lease[24];
	uint64_t now = uv_now(ob->loop);
	int rc, take;

	/* An idle queue this process may work is taken in the same step. */
	take = ob->started && !ob->stopping && !q->busy && q->due <= now &&
	       ob->paused_until <= now;
	snprintf(ttl, sizeof(ttl), "%d", mp->dedup ? LIMIT_OUTBOX_DEDUP_S : 0);
	snprintf(lease, sizeof(lease), "%ld", ob->lease_ms);
	argv = xcalloc(argc, sizeof(*argv));
	lens = xcalloc(argc, sizeof(*lens));
	argv[0] = kq;
	argv[1] = kp;
	argv[2] = kd;
	argv[3] = kx;
	argv[4] = kl;
	argv[5] = mp->queue;
	argv[6] = ttl;
	argv[7] = take ? ob->owner : "";
	argv[8] = lease;
	for (i = 0; i < mp->n; i++)
		argv[9 + i] = mp->entries[i];
	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	op = xmalloc(sizeof(*op));
	op->ob = ob;
	op->mp = mp;
	op->took = take;
	rc = store_eval(
	    ob->st, ob->s_push, push_done, op, 5, (int)argc, argv, lens);
	if (rc < 0) {
		free(op); /* the caller keeps mp in memory */
	} else {
		op_started(ob);
		if (take)
			q->busy = 1;
	}
	free(kl);
	free(argv);
	free(lens);
	free(kq);
	free(kp);
	free(kd);
	free(kx);
	return rc;
}

static void
mem_keep(struct outbox *ob, struct mempush *mp)
{
	mp->next = NULL;
	*ob->mem_tail = mp;
	ob->mem_tail = &mp->next;
	ob->mem_entries += mp->n;
	arm_timer(ob);
}

/* Writes what waited in memory, oldest first, while Redis takes it. */
static void
mem_flush(struct outbox *ob)
{
	struct mempush *mp;

	while (ob->mem != NULL && store_ready(ob->st)) {
		mp = ob->mem;
		ob->mem = mp->next;
		if (ob->mem == NULL)
			ob->mem_tail = &ob->mem;
		ob->mem_entries -= mp->n;
		if (push_send(ob, mp) < 0) {
			/* Back to the front, to keep the order. */
			mp->next = ob->mem;
			ob->mem = mp;
			if (mp->next == NULL)
				ob->mem_tail = &mp->next;
			ob->mem_entries += mp->n;
			break;
		}
	}
}

int
outbox_push(struct outbox *ob, const char *queue, const char *const *payloads,
    size_t n, const char *dedup_key)
{
	struct mempush *mp;
	struct buf b = BUF_INIT;
	size_t i;

	if (n == 0)
		return 0;
	mp = xcalloc(1, sizeof(*mp));
	mp->queue = xstrdup(queue);
	mp->dedup = dedup_key ? xstrdup(dedup_key) : NULL;
	mp->entries = xcalloc(n, sizeof(*mp->entries));
	mp->n = n;
	for (i = 0; i < n; i++) {
		buf_printf(&b, ENTRY_VERSION " %s-%llx %s", ob->owner,
		    ++ob->seq, payloads[i]);
		mp->entries[i] = buf_detach(&b);
	}
	/* Behind what already waits in memory, or order would break. */
	if (ob->mem == NULL && store_ready(ob->st) && push_send(ob, mp) == 0)
		return 0;
	if (ob->mem_entries + n > LIMIT_OUTBOX_MEMORY) {
		log_error("outbox: %s: Redis is unreachable and %d posts "
			  "already wait in memory; dropping a post to %s",
		    ob->name, LIMIT_OUTBOX_MEMORY, queue);
		mempush_free(mp);
		return -1;
	}
	mem_keep(ob, mp);
	return 0;
}

/* --- delivering --------------------------------------------------------- */

struct take_op {
	struct outbox *ob;
	char *queue;
};

static void
retry_later(struct outbox *ob, struct obq *q, long ms)
{
	q->due = uv_now(ob->loop) + (uint64_t)ms;
	arm_timer(ob);
}

/* Splits "1 <id> <payload>"; -1 when it is not an entry we know. */
static int
parse_entry(struct obq *q, const char *entry)
{
	const char *id, *sp;

	if (strncmp(entry, ENTRY_VERSION " ", 2) != 0)
		return -1;
	id = entry + 2;
	sp = strchr(id, ' ');
	if (sp == NULL || sp == id)
		return -1;
	q->entry = xstrdup(entry);
	q->id = xstrndup(id, (size_t)(sp - id));
	q->payload = xstrdup(sp + 1);
	return 0;
}

static void send_ack(struct outbox *ob, struct obq *q, int pop);

/* Acts on a take's answer, found at reply->element[off] on: deliver the
 * head, forget an empty queue, or look again later. */
static void
take_handle(struct outbox *ob, struct obq *q, const redisReply *reply,
    size_t off, const char *err)
{
	struct outbox_item item;

	if (ob->stopping)
		return;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements < off + 1 ||
	    reply->element[off]->type != REDIS_REPLY_INTEGER) {
		log_debug("outbox: %s: could not read %s: %s", ob->name,
		    q->name, err ? err : "unexpected reply");
		retry_later(ob, q, LIMIT_OUTBOX_BACKOFF_MIN_MS);
		return;
	}
	switch (reply->element[off]->integer) {
	case 0: /* another replica is delivering it; look again later */
		retry_later(ob, q, ob->lease_ms / 2);
		return;
	case 1:
		queue_remove(ob, q);
		return;
	default:
		break;
	}
	if (reply->elements < off + 2 ||
	    reply->element[off + 1]->type != REDIS_REPLY_STRING) {
		retry_later(ob, q, LIMIT_OUTBOX_BACKOFF_MIN_MS);
		return;
	}
	queue_clear_head(q);
	if (parse_entry(q, reply->element[off + 1]->str) < 0) {
		log_warn("outbox: %s: dropping an entry of %s in an unknown "
			 "format",
		    ob->name, q->name);
		q->entry = xstrdup(reply->element[off + 1]->str);
		send_ack(ob, q, 1);
		return;
	}
	q->busy = 1;
	q->attempt++;
	item.queue = q->name;
	item.id = q->id;
	item.payload = q->payload;
	item.attempt = q->attempt;
	ob->deliver(ob, &item, ob->priv);
}

static void
take_done_inner(
    struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct take_op *op = priv;
	struct outbox *ob = op->ob;
	struct obq *q = queue_get(ob, op->queue, 0);

	free(op->queue);
	free(op);
	if (q == NULL)
		return;
	q->busy = 0;
	take_handle(ob, q, reply, 0, err);
}

static void
queue_kick(struct outbox *ob, struct obq *q)
{
	struct take_op *op;
	const char *argv[6];
	size_t lens[6];
	char lease[24];
	char *kq, *kl, *kp;
	uint64_t now = uv_now(ob->loop);
	int i;

	if (q == NULL || q->busy || ob->stopping || !ob->started)
		return;
	if (q->due > now || ob->paused_until > now) {
		arm_timer(ob);
		return;
	}
	kq = key(ob, "q", q->name);
	kl = key(ob, "lease", q->name);
	kp = key(ob, "pending", NULL);
	snprintf(lease, sizeof(lease), "%ld", ob->lease_ms);
	argv[0] = kq;
	argv[1] = kl;
	argv[2] = kp;
	argv[3] = ob->owner;
	argv[4] = lease;
	argv[5] = q->name;
	for (i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	op = xmalloc(sizeof(*op));
	op->ob = ob;
	op->queue = xstrdup(q->name);
	if (store_eval(ob->st, ob->s_take, take_done, op, 3, 6, argv, lens) <
	    0) {
		free(op->queue);
		free(op);
		retry_later(ob, q, LIMIT_OUTBOX_BACKOFF_MIN_MS);
	} else {
		op_started(ob);
		q->busy = 1;
	}
	free(kq);
	free(kl);
	free(kp);
}

struct ack_op {
	struct outbox *ob;
	char *queue;
};

static void
ack_done_inner(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct ack_op *op = priv;
	struct outbox *ob = op->ob;
	struct obq *q = queue_get(ob, op->queue, 0);

	long long left = -1;

	free(op->queue);
	free(op);
	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 2 &&
	    reply->element[0]->type == REDIS_REPLY_INTEGER &&
	    reply->element[1]->type == REDIS_REPLY_INTEGER) {
		set_depth(ob, reply->element[0]->integer);
		left = reply->element[1]->integer;
	} else {
		log_debug("outbox: %s: ack failed: %s", ob->name,
		    err ? err : "unexpected reply");
	}
	if (q == NULL)
		return;
	q->busy = 0;
	queue_clear_head(q);
	/* Empty and its lease given back: done with it.  A push that lands
	 * later is answered after this and takes the queue itself (one
	 * connection answers in order). */
	if (left == 0 && !ob->stopping)
		queue_remove(ob, q);
	else
		queue_kick(ob, q);
}

static void
send_ack(struct outbox *ob, struct obq *q, int pop)
{
	struct ack_op *op;
	const char *argv[8];
	size_t lens[8];
	char *kq = key(ob, "q", q->name), *kl = key(ob, "lease", q->name);
	char *kp = key(ob, "pending", NULL), *kd = key(ob, "depth", NULL);
	int i;

	argv[0] = kq;
	argv[1] = kl;
	argv[2] = kp;
	argv[3] = kd;
	argv[4] = ob->owner;
	argv[5] = q->entry ? q->entry : "";
	argv[6] = q->name;
	argv[7] = pop ? "1" : "0";
	for (i = 0; i < 8; i++)
		lens[i] = strlen(argv[i]);
	op = xmalloc(sizeof(*op));
	op->ob = ob;
	op->queue = xstrdup(q->name);
	q->busy = 1;
	if (store_eval(ob->st, ob->s_ack, ack_done, op, 4, 8, argv, lens) < 0) {
		/* The head stays and the lease runs out: it is sent again
		 * under the same id, which the server de-duplicates. */
		free(op->queue);
		free(op);
		q->busy = 0;
		queue_clear_head(q);
		retry_later(ob, q, LIMIT_OUTBOX_BACKOFF_MIN_MS);
	} else {
		op_started(ob);
	}
	free(kq);
	free(kl);
	free(kp);
	free(kd);
}

static long
backoff_ms(int fails)
{
	long ms = LIMIT_OUTBOX_BACKOFF_MIN_MS;

	while (--fails > 0 && ms < LIMIT_OUTBOX_BACKOFF_MAX_MS)
		ms *= 2;
	if (ms > LIMIT_OUTBOX_BACKOFF_MAX_MS)
		ms = LIMIT_OUTBOX_BACKOFF_MAX_MS;
	/* Up to a fifth more, so replicas do not retry in step. */
	return ms + (long)(uv_hrtime() % (uint64_t)(ms / 5 + 1));
}

void
outbox_done(struct outbox *ob, const struct outbox_item *item,
    enum outbox_status status, long delay_ms)
{
	struct obq *q = queue_get(ob, item->queue, 0);
	uint64_t now = uv_now(ob->loop);

	if (q == NULL || q->id == NULL || strcmp(q->id, item->id) != 0)
		return;
	switch (status) {
	case OUTBOX_SENT:
		q->fails = 0;
		q->attempt = 0;
		send_ack(ob, q, 1);
		return;
	case OUTBOX_REJECTED:
		q->fails = 0;
		q->attempt = 0;
		send_ack(ob, q, 1);
		return;
	case OUTBOX_THROTTLED:
		if (delay_ms < 0)
			delay_ms = LIMIT_OUTBOX_BACKOFF_MIN_MS;
		if (delay_ms > LIMIT_OUTBOX_THROTTLE_MAX_MS)
			delay_ms = LIMIT_OUTBOX_THROTTLE_MAX_MS;
		if (now + (uint64_t)delay_ms > ob->paused_until)
			ob->paused_until = now + (uint64_t)delay_ms;
		log_info("outbox: %s: rate limited; every queue waits %ld ms",
		    ob->name, delay_ms);
		break;
	case OUTBOX_RETRY:
		q->fails++;
		if (delay_ms < 0)
			delay_ms = backoff_ms(q->fails);
		q->due = now + (uint64_t)delay_ms;
		log_debug("outbox: %s: %s waits %ld ms (failure %d)", ob->name,
		    q->name, delay_ms, q->fails);
		break;
	}
	/* Keep the head (and its id) but give the lease back. */
	send_ack(ob, q, 0);
}

/* --- the timer and the sweep ---------------------------------------------- */

static void
sweep_done_inner(
    struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct outbox *ob = priv;
	size_t i;

	ob->sweeping = 0;
	if (ob->stopping || reply == NULL || reply->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i < reply->elements; i++)
		if (reply->element[i]->type == REDIS_REPLY_STRING)
			queue_kick(
			    ob, queue_get(ob, reply->element[i]->str, 1));
}

static void
sweep(struct outbox *ob)
{
	char *kp;

	if (ob->sweeping || !store_ready(ob->st))
		return;
	kp = key(ob, "pending", NULL);
	if (store_cmd(ob->st, sweep_done, ob, "SMEMBERS %s", kp) == 0) {
		op_started(ob);
		ob->sweeping = 1;
	}
	free(kp);
}

static void
on_timer(uv_timer_t *t)
{
	struct outbox *ob = t->data;
	struct obq *q, *next;
	uint64_t now = uv_now(ob->loop);

	if (ob->stopping)
		return;
	mem_flush(ob);
	if (now >= ob->next_sweep) {
		ob->next_sweep = now + LIMIT_OUTBOX_SWEEP_MS;
		sweep(ob);
	}
	for (q = ob->queues; q != NULL; q = next) {
		next = q->next;
		if (!q->busy && q->due <= now && ob->paused_until <= now)
			queue_kick(ob, q);
	}
	arm_timer(ob);
}

static void
arm_timer(struct outbox *ob)
{
	struct obq *q;
	uint64_t now = uv_now(ob->loop), when = ob->next_sweep;

	if (!ob->started || ob->stopping)
		return;
	if (ob->mem != NULL && now + LIMIT_OUTBOX_BACKOFF_MIN_MS < when)
		when = now + LIMIT_OUTBOX_BACKOFF_MIN_MS;
	for (q = ob->queues; q != NULL; q = q->next) {
		uint64_t due =
		    q->due > ob->paused_until ? q->due : ob->paused_until;

		if (!q->busy && due < when)
			when = due;
	}
	uv_timer_start(&ob->timer, on_timer, when > now ? when - now : 0, 0);
}

void
outbox_start(struct outbox *ob)
{
	ob->started = 1;
	ob->next_sweep = uv_now(ob->loop);
	arm_timer(ob);
}

void
outbox_kick(struct outbox *ob)
{
	struct obq *q;

	ob->paused_until = 0;
	for (q = ob->queues; q != NULL; q = q->next) {
		q->due = 0;
		q->fails = 0;
	}
	ob->next_sweep = uv_now(ob->loop);
	arm_timer(ob);
}

/*
 * Every store command the outbox sends holds the outbox until its
 * callback has run: outbox_stop() reports done only when the last one has
 * come back, so nothing frees the outbox under a reply still on its way.
 */
static void
op_started(struct outbox *ob)
{
	ob->ops++;
}

static void
maybe_stopped(struct outbox *ob)
{
	void (*done)(void *) = ob->stop_done;

	if (!ob->stopping || !ob->timer_closed || ob->ops > 0 || done == NULL)
		return;
	ob->stop_done = NULL;
	done(ob->stop_priv);
}

static void
op_finished(struct outbox *ob)
{
	ob->ops--;
	maybe_stopped(ob);
}

static void
push_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct outbox *ob = ((struct push_op *)priv)->ob;

	push_done_inner(st, reply, err, priv);
	op_finished(ob);
}

static void
take_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct outbox *ob = ((struct take_op *)priv)->ob;

	take_done_inner(st, reply, err, priv);
	op_finished(ob);
}

static void
ack_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct outbox *ob = ((struct ack_op *)priv)->ob;

	ack_done_inner(st, reply, err, priv);
	op_finished(ob);
}

static void
sweep_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	sweep_done_inner(st, reply, err, priv);
	op_finished(priv);
}

static void
timer_closed(uv_handle_t *h)
{
	struct outbox *ob = h->data;

	ob->timer_closed = 1;
	maybe_stopped(ob);
}

void
outbox_stop(struct outbox *ob, void (*done)(void *), void *priv)
{
	if (ob->stopping)
		return;
	ob->stopping = 1;
	if (ob->mem_entries > 0)
		log_warn("outbox: %s: %zu post(s) never reached Redis and are "
			 "lost",
		    ob->name, ob->mem_entries);
	ob->stop_done = done;
	ob->stop_priv = priv;
	uv_timer_stop(&ob->timer);
	uv_close((uv_handle_t *)&ob->timer, timer_closed);
}

void
outbox_free(struct outbox *ob)
{
	struct mempush *mp, *next;

	if (ob == NULL)
		return;
	while (ob->queues != NULL)
		queue_remove(ob, ob->queues);
	for (mp = ob->mem; mp != NULL; mp = next) {
		next = mp->next;
		mempush_free(mp);
	}
	free(ob->name);
	free(ob);
}

/* --- splitting long messages ---------------------------------------------- */

/* Length of the UTF-8 sequence starting with byte c (1 for stray bytes,
 * which the router never lets through anyway). */
static size_t
seq_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

size_t
outbox_split(const char *text, size_t max_runes, char ***parts)
{
	const char *p = text;
	size_t n = 0, len = strlen(text);
	char **v = NULL;

	if (max_runes == 0)
		max_runes = 1;
	do {
		const char *q = p, *end = text + len, *cut;
		const char *nl = NULL, *blank = NULL, *half = NULL;
		size_t runes = 0, l;

		/* Walk max_runes code points, remembering where the last
		 * newline and blank in the second half were. */
		while (q < end && runes < max_runes) {
			l = seq_len((unsigned char)*q);
			if ((size_t)(end - q) < l)
				l = (size_t)(end - q);
			if (runes == max_runes / 2)
				half = q;
			if (half != NULL && *q == '\n')
				nl = q;
			if (half != NULL && (*q == ' ' || *q == '\t'))
				blank = q;
			q += l;
			runes++;
		}
		if (q >= end)
			cut = end;
		else if (nl != NULL)
			cut = nl + 1;
		else if (blank != NULL)
			cut = blank + 1;
		else
			cut = q;
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = xstrndup(p, (size_t)(cut - p));
		p = cut;
	} while (p < text + len);
	v[n] = NULL;
	*parts = v;
	return n;
}

void
outbox_split_free(char **parts)
{
	size_t i;

	if (parts == NULL)
		return;
	for (i = 0; parts[i] != NULL; i++)
		free(parts[i]);
	free(parts);
}
