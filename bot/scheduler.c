/*
 * The durable scheduler (see scheduler.h for the keys).  Every replica
 * runs one; Redis decides which of them fires a job.
 *
 * One uv_timer sleeps until the earliest due time or lease expiry, never
 * longer than LIMIT_SCHED_MAX_SLEEP_MS: the cap copes with wall-clock
 * jumps and is also how a replica learns of a job another replica added
 * (we chose the cap over pub/sub, which would need a second Redis
 * connection in subscribe mode for a gain of at most that many seconds).
 * A job added here re-arms the timer at once (scheduler_poke).
 *
 * When it wakes, the claim script moves due jobs into the lease set in
 * one step and returns them.  Each is posted with a de-duplication key
 * of its id and due time, then confirmed; the confirm schedules the next
 * occurrence of a recurring job in the same step.  A replica that dies
 * after claiming leaves a lease that runs out; the next claim puts the
 * job back and fires it, and the de-duplication key keeps the first post
 * from being repeated: the outbox honours the key, and where posts go
 * straight out (the console) a SET NX mark in Redis plays its part.
 *
 * A job due while every replica was down fires when one returns, marked
 * late with its due time; beyond the configured horizon it is reported
 * as missed instead of posted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot.h"
#include "buf.h"
#include "clock.h"
#include "handler.h"
#include "limits.h"
#include "log.h"
#include "metrics.h"
#include "recur.h"
#include "rotation.h"
#include "scheduler.h"
#include "store.h"

/* Meeting reminders are seeded again this often: a Redis that lost its
 * data (no persistence) gets them back, and so does a reload whose new
 * configuration happened to land at the old one's address. */
#define SCHED_RESEED_MS (10 * 60 * 1000)

struct scheduler {
	struct bot *bot;
	uv_timer_t timer;
	int timer_open;
	int stopping;
	int claiming;
	int again;    /* a job was added while a claim was running */
	int inflight; /* claims, seeds and fires not yet finished */
	long long wake_ms;
	const struct meeting *seeded; /* meetings last seeded (reloads) */
	int seeded_once;
	long long seeded_ms;
	int seeding;
	char owner[96]; /* this replica in lease_owner */
	int claim_script, confirm_script, seed_script;
	void (*done)(void *);
	void *done_priv;
};

/* One job being fired. */
struct fire {
	struct scheduler *s;
	char *id;
	long long due;
	long long next; /* 0: no further occurrence */
	char **kv;      /* the job hash, field/value pairs */
	size_t nkv;
	struct message *msg;
	char *channel;
	char *dedup;
	const char *outcome;  /* fired, late, missed; NULL: nothing posted */
	long long now;        /* when it was claimed */
	int missed;           /* beyond the horizon */
	long long unassigned; /* {triage_unassigned}, -1 when unknown */
};

static void scheduler_claim(struct scheduler *s);

static void
maybe_done(struct scheduler *s)
{
	void (*done)(void *) = s->done;

	if (!s->stopping || s->timer_open || s->inflight > 0 || done == NULL)
		return;
	s->done = NULL;
	done(s->done_priv);
}

static void
on_timer(uv_timer_t *t)
{
	struct scheduler *s = t->data;

	s->wake_ms = 0;
	scheduler_claim(s);
}

/* Arms the timer for the wall-clock instant at_ms (capped). */
static void
arm_at(struct scheduler *s, long long at_ms)
{
	long long now = clock_now_ms(), delay = at_ms - now;

	if (s->stopping || !s->timer_open)
		return;
	if (delay < 0)
		delay = 0;
	if (delay > LIMIT_SCHED_MAX_SLEEP_MS)
		delay = LIMIT_SCHED_MAX_SLEEP_MS;
	s->wake_ms = now + delay;
	uv_timer_start(&s->timer, on_timer, (uint64_t)delay, 0);
}

static char *
key(struct scheduler *s, const char *family, const char *id)
{
	struct buf b = BUF_INIT;

	buf_printf(
	    &b, "%s%s%s", store_prefix(s->bot->store), family, id ? id : "");
	return buf_detach(&b);
}

/* --- meetings --------------------------------------------------------------
 */

static const struct meeting_reminder *
find_reminder(const struct meeting *m, const char *id)
{
	size_t i;

	for (i = 0; m != NULL && id != NULL && i < m->nreminders; i++)
		if (strcmp(m->reminders[i].id, id) == 0)
			return &m->reminders[i];
	return NULL;
}

/* Everything that decides when a meeting reminder fires: a change
 * reschedules it, a restart with the same configuration does not. */
static void
meeting_spec(
    const struct meeting *m, const struct meeting_reminder *r, struct buf *b)
{
	buf_printf(b, "%s|%s|%s|%ld|%ld|%d|%d:%d|%s", m->rrule, m->dtstart,
	    m->timezone, m->duration_min, r->offset_min, r->after_end,
	    r->at_hour, r->at_min, SCHED_FORMAT_VERSION);
}

static void
seed_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct scheduler *s = priv;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		log_warn("scheduler: seeding a meeting reminder failed: %s",
		    reply ? reply->str : err);
	s->inflight--;
	if (--s->seeding == 0 && !s->stopping)
		scheduler_claim(s);
	maybe_done(s);
}

/* Writes every configured meeting reminder's next firing, unless Redis
 * already holds it for the same schedule: any number of replicas may
 * start at once and each reminder still exists once. */
static void
seed_meetings(struct scheduler *s)
{
	const struct config *cfg = &s->bot->cfg;
	long long now = clock_now_ms(), fire;
	size_t i, j;

	s->seeded = cfg->meetings;
	s->seeded_once = 1;
	s->seeded_ms = clock_now_ms();
	s->seeding = 1; /* held until every seed is queued */
	for (i = 0; i < cfg->nmeetings; i++) {
		const struct meeting *m = &cfg->meetings[i];

		for (j = 0; j < m->nreminders; j++) {
			const struct meeting_reminder *r = &m->reminders[j];
			struct buf id = BUF_INIT, spec = BUF_INIT;
			char due[24];
			char *kdue, *klease, *kjob;
			const char *argv[13];

			if (recur_reminder_next(m, r, now, &fire, NULL) < 0)
				continue;
			buf_printf(&id, "m:%s:%s", m->id, r->id);
			meeting_spec(m, r, &spec);
			snprintf(due, sizeof(due), "%lld", fire);
			kdue = key(s, "sched:due", NULL);
			klease = key(s, "sched:lease", NULL);
			kjob = key(s, "sched:job:", buf_str(&id));
			argv[0] = kdue;
			argv[1] = klease;
			argv[2] = kjob;
			argv[3] = buf_str(&id);
			argv[4] = buf_str(&spec);
			argv[5] = due;
			argv[6] = store_prefix(s->bot->store);
			argv[7] = "kind";
			argv[8] = "meeting";
			argv[9] = "meeting";
			argv[10] = m->id;
			argv[11] = "reminder";
			argv[12] = r->id;
			if (store_eval(s->bot->store, s->seed_script, seed_done,
				s, 3, 13, argv, NULL) == 0) {
				s->seeding++;
				s->inflight++;
			}
			free(kdue);
			free(klease);
			free(kjob);
			buf_free(&id);
			buf_free(&spec);
		}
	}
	duty_jobs_seed(s->bot);
	nudge_jobs_seed(s->bot);
	if (--s->seeding == 0)
		scheduler_claim(s);
}

#define TRIAGE_PLACEHOLDER "{triage_unassigned}"

/* Replaces the placeholders of a meeting reminder's text.  Unknown ones
 * stay as written, so a typo shows instead of vanishing; a live figure
 * that could not be read (Redis failed) reads "?". */
static void
expand_text(const char *text, const struct config *cfg, const struct meeting *m,
    long long occ, long long unassigned, struct buf *out)
{
	const char *p = text, *close;

	while (*p != '\0') {
		size_t len;

		if (*p != '{' || (close = strchr(p, '}')) == NULL) {
			buf_putc(out, *p++);
			continue;
		}
		len = (size_t)(close - p - 1);
		if (len == 7 && strncmp(p + 1, "meeting", len) == 0)
			buf_puts(out, m->title);
		else if (len == 5 && strncmp(p + 1, "title", len) == 0)
			buf_puts(out, m->title);
		else if (len == 4 && strncmp(p + 1, "time", len) == 0)
			recur_format(out, m->timezone, occ, 0);
		else if (len == 4 && strncmp(p + 1, "when", len) == 0)
			recur_format(out, m->timezone, occ, 1);
		else if (len == 7 && strncmp(p + 1, "channel", len) == 0)
			buf_printf(out, "~%s", config_channel(cfg, m->channel));
		else if (len == 17 &&
			 strncmp(p + 1, "triage_unassigned", len) == 0) {
			if (unassigned >= 0)
				buf_printf(out, "%lld", unassigned);
			else
				buf_putc(out, '?');
		} else
			buf_append(out, p, len + 2);
		p = close + 1;
	}
}

/* --- firing ----------------------------------------------------------------
 */

static const char *
field(const struct fire *f, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < f->nkv; i += 2)
		if (strcmp(f->kv[i], name) == 0)
			return f->kv[i + 1];
	return NULL;
}

static void
fire_free(struct fire *f)
{
	size_t i;

	for (i = 0; i < f->nkv; i++)
		free(f->kv[i]);
	free(f->kv);
	free(f->id);
	free(f->channel);
	free(f->dedup);
	if (f->msg)
		message_free(f->msg);
	free(f);
}

static void
fire_finish(struct fire *f)
{
	struct scheduler *s = f->s;

	fire_free(f);
	s->inflight--;
	maybe_done(s);
}

static void
confirm_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct fire *f = priv;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		log_warn("scheduler: confirming job %s failed (%s); its lease "
			 "will run out and the post's key keeps it from "
			 "repeating",
		    f->id, reply ? reply->str : err);
	else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0)
		log_info("scheduler: job %s was taken over by another replica",
		    f->id);
	fire_finish(f);
}

static void
fire_confirm(struct fire *f)
{
	struct scheduler *s = f->s;
	char next[24], ttl[16];
	char *kdue = key(s, "sched:due", NULL);
	char *klease = key(s, "sched:lease", NULL);
	char *kjob = key(s, "sched:job:", f->id);
	const char *argv[8];

	if (f->next > 0)
		snprintf(next, sizeof(next), "%lld", f->next);
	else
		next[0] = '\0';
	snprintf(ttl, sizeof(ttl), "%d", LIMIT_SCHED_FIRED_TTL_S);
	argv[0] = kdue;
	argv[1] = klease;
	argv[2] = kjob;
	argv[3] = f->id;
	argv[4] = s->owner;
	argv[5] = next;
	argv[6] = ttl;
	argv[7] = store_prefix(s->bot->store);
	if (store_eval(s->bot->store, s->confirm_script, confirm_done, f, 3, 8,
		argv, NULL) < 0) {
		log_warn(
		    "scheduler: store down before confirming job %s", f->id);
		fire_finish(f);
	}
	free(kdue);
	free(klease);
	free(kjob);
}

static int
posts_go_straight_out(struct bot *bot)
{
	int i;

	for (i = 0; i < bot->nadapters; i++)
		if (strcmp(bot->adapters[i]->ops->name, "console") == 0)
			return 1;
	return 0;
}

static void
fire_post(struct fire *f)
{
	struct scheduler *s = f->s;
	struct post p;
	char labels[32];

	memset(&p, 0, sizeof(p));
	p.channel = f->channel;
	p.msg = f->msg;
	p.dedup_key = f->dedup;
	if (bot_post(s->bot, &p) < 0) {
		/* Not confirmed: the lease runs out and it is tried again.
		 * The console mark must go, or the retry would skip it. */
		if (posts_go_straight_out(s->bot)) {
			char *k = key(s, "sched:posted:", f->dedup);

			(void)store_cmd(s->bot->store, NULL, NULL, "DEL %s", k);
			free(k);
		}
		log_warn("scheduler: job %s could not be posted; retrying "
			 "after its lease",
		    f->id);
		fire_finish(f);
		return;
	}
	/* A missed job was counted when it was found; this is only the
	 * notice to its owner. */
	if (strcmp(f->outcome, "missed") != 0) {
		snprintf(labels, sizeof(labels), "outcome=\"%s\"", f->outcome);
		metrics_inc(s->bot->metrics, M_REMINDERS, labels);
	}
	log_info("scheduler: job %s %s to %s", f->id, f->outcome, f->channel);
	fire_confirm(f);
}

static void
mark_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct fire *f = priv;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		log_warn("scheduler: job %s: cannot mark it posted (%s); "
			 "retrying after its lease",
		    f->id, reply ? reply->str : err);
		fire_finish(f);
		return;
	}
	if (reply->type == REDIS_REPLY_NIL) {
		/* A replica that died after posting: only confirm. */
		log_info("scheduler: job %s was already posted", f->id);
		fire_confirm(f);
		return;
	}
	fire_post(f);
}

/* Posts with the de-duplication the adapters need: the outbox honours
 * dedup_key itself; posts that go straight out are marked first. */
static void
fire_send(struct fire *f)
{
	struct scheduler *s = f->s;
	char *k;
	int rc;

	if (!posts_go_straight_out(s->bot)) {
		fire_post(f);
		return;
	}
	k = key(s, "sched:posted:", f->dedup);
	rc = store_cmd(s->bot->store, mark_done, f, "SET %s 1 NX EX %d", k,
	    LIMIT_SCHED_POSTED_TTL_S);
	free(k);
	if (rc < 0)
		fire_finish(f);
}

static void
late_note(struct buf *b, const char *tz, long long due, long long now)
{
	struct recur_local a, c;

	recur_to_local(tz, due, &a, NULL, 0);
	recur_to_local(tz, now, &c, NULL, 0);
	buf_puts(b, " _(late: was due ");
	recur_format(b, tz, due,
	    a.year != c.year || a.month != c.month || a.day != c.day);
	buf_puts(b, ")_");
}

/* Builds the post of a /remind job; 0, or -1 to drop the job. */
static int
build_reminder(struct fire *f, long long now, int missed)
{
	const char *owner = field(f, "owner"), *target = field(f, "target");
	const char *text = field(f, "text"), *tz = field(f, "tz");
	const char *rrule = field(f, "rrule"), *dtstart = field(f, "dtstart");
	struct buf b = BUF_INIT;
	long long base = now > f->due ? now : f->due;

	if (owner == NULL || target == NULL || text == NULL)
		return -1;
	if (tz == NULL || !recur_zone_valid(tz))
		tz = f->s->bot->cfg.timezone ? f->s->bot->cfg.timezone : "UTC";
	if (rrule != NULL && dtstart != NULL &&
	    recur_next(rrule, dtstart, tz, base, &f->next, 1) != 1)
		f->next = 0;
	f->msg = message_new();
	if (missed) {
		/* Not posted where it was meant for: its owner learns. */
		buf_printf(&b, "@%s", owner);
		f->channel = buf_detach(&b);
		message_printf(f->msg,
		    "Missed reminder %s for %s: \"%s\" was due ", f->id, target,
		    text);
		recur_format(&f->msg->text, tz, f->due, 1);
		message_printf(f->msg,
		    " while pmbot was down for more than %ld hours, so it was "
		    "not posted.",
		    f->s->bot->cfg.reminder_horizon_min / 60);
		return 0;
	}
	f->channel = xstrdup(target);
	if (target[0] == '@' && strcmp(target + 1, owner) == 0)
		message_printf(f->msg, "**Reminder:** %s", text);
	else
		message_printf(
		    f->msg, "**Reminder from @%s:** %s", owner, text);
	if (now - f->due > LIMIT_SCHED_LATE_MS)
		late_note(&f->msg->text, tz, f->due, now);
	buf_printf(&b, "remind snooze %s 10m", f->id);
	message_button(f->msg, "Snooze 10 min", buf_str(&b), 0);
	buf_reset(&b);
	buf_printf(&b, "remind snooze %s 1h", f->id);
	message_button(f->msg, "Snooze 1 hour", buf_str(&b), 0);
	if (f->next > 0) {
		buf_reset(&b);
		buf_printf(&b, "remind delete %s", f->id);
		message_button(f->msg, "Stop repeating", buf_str(&b), 0);
	}
	buf_free(&b);
	return 0;
}

/* Builds the post of a meeting reminder; 0, or -1 to drop the job (its
 * meeting or reminder left the configuration). */
static int
build_meeting(struct fire *f, long long now, int missed)
{
	const struct config *cfg = &f->s->bot->cfg;
	const struct meeting *m = config_meeting(cfg, field(f, "meeting"));
	const struct meeting_reminder *r =
	    find_reminder(m, field(f, "reminder"));
	long long base = now > f->due ? now : f->due, occ = 0, at;
	struct buf b = BUF_INIT;

	if (m == NULL || r == NULL) {
		log_info("scheduler: job %s is no longer configured; dropped",
		    f->id);
		return -1;
	}
	if (recur_reminder_next(m, r, base, &f->next, NULL) < 0)
		f->next = 0;
	if (missed)
		return 0;
	/* The occurrence this firing belongs to, for {time}. */
	if (recur_reminder_next(m, r, f->due - 1, &at, &occ) < 0)
		occ = f->due;
	f->channel = xstrdup(config_channel(cfg, m->channel));
	f->msg = message_new();
	expand_text(r->text, cfg, m, occ, f->unassigned, &b);
	message_printf(f->msg, "%s", buf_str(&b));
	if (now - f->due > LIMIT_SCHED_LATE_MS)
		late_note(&f->msg->text, m->timezone, f->due, now);
	buf_free(&b);
	return 0;
}

static void
duty_done(void *token, long long next_due)
{
	struct fire *f = token;

	f->next = next_due;
	fire_confirm(f);
}

/* Builds and sends a job of kind remind or meeting once what it needs
 * is known. */
static void
fire_build(struct fire *f)
{
	struct scheduler *s = f->s;
	const char *kind = field(f, "kind");
	long long now = f->now;
	int missed = f->missed, rc;

	if (kind != NULL && strcmp(kind, "remind") == 0)
		rc = build_reminder(f, now, missed);
	else if (kind != NULL && strcmp(kind, "meeting") == 0)
		rc = build_meeting(f, now, missed);
	else
		rc = -1;
	if (rc < 0) {
		f->next = 0;
		fire_confirm(f);
		return;
	}
	if (missed) {
		log_warn("scheduler: job %s was due %lld s ago, beyond the "
			 "horizon; reported as missed",
		    f->id, (now - f->due) / 1000);
		metrics_inc(s->bot->metrics, M_REMINDERS, "outcome=\"missed\"");
		if (f->msg == NULL) {
			fire_confirm(f);
			return;
		}
		f->outcome = "missed";
		fire_send(f);
		return;
	}
	f->outcome = now - f->due > LIMIT_SCHED_LATE_MS ? "late" : "fired";
	fire_send(f);
}

static void
count_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct fire *f = priv;

	(void)st;
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
		f->unassigned = reply->integer;
	else
		log_warn("scheduler: job %s: cannot count the unassigned "
			 "requests: %s",
		    f->id,
		    reply && reply->type == REDIS_REPLY_ERROR ? reply->str
		    : err                                     ? err
							      : "bad reply");
	fire_build(f);
}

/* Whether the meeting reminder f fires shows the triage queue's count,
 * which has to be read from Redis first. */
static int
needs_unassigned(const struct fire *f)
{
	const struct meeting *m =
	    config_meeting(&f->s->bot->cfg, field(f, "meeting"));
	const struct meeting_reminder *r =
	    find_reminder(m, field(f, "reminder"));

	return r != NULL && r->text != NULL &&
	       strstr(r->text, TRIAGE_PLACEHOLDER) != NULL;
}

static void
fire_job(struct scheduler *s, const redisReply *id, const redisReply *hash)
{
	struct fire *f = xcalloc(1, sizeof(*f));
	long long now = clock_now_ms(), horizon;
	const char *kind, *due;
	struct buf b = BUF_INIT;
	int missed;
	size_t i;

	f->s = s;
	f->id = xstrndup(id->str, id->len);
	f->nkv = hash->type == REDIS_REPLY_ARRAY ? hash->elements : 0;
	f->kv = xcalloc(f->nkv + 1, sizeof(char *));
	for (i = 0; i < f->nkv; i++)
		f->kv[i] =
		    hash->element[i]->str
			? xstrndup(hash->element[i]->str, hash->element[i]->len)
			: xstrdup("");
	s->inflight++;
	kind = field(f, "kind");
	due = field(f, "due");
	f->due = due ? strtoll(due, NULL, 10) : now;
	horizon = s->bot->cfg.reminder_horizon_min * 60000LL;
	missed = horizon > 0 && now - f->due > horizon;
	f->now = now;
	f->missed = missed;
	f->unassigned = -1;
	/* How late the scheduler runs: the claim is when a job fires. */
	metrics_set(s->bot->metrics, M_SCHED_LAG, NULL,
	    now > f->due ? (double)(now - f->due) / 1000.0 : 0.0);
	buf_printf(&b, "%s:%lld", f->id, f->due);
	f->dedup = buf_detach(&b);
	if (kind != NULL &&
	    (strcmp(kind, "duty") == 0 || strcmp(kind, "nudge") == 0)) {
		struct sched_job job;

		job.id = f->id;
		job.due = f->due;
		job.missed = missed;
		job.kv = f->kv;
		job.nkv = f->nkv;
		if (strcmp(kind, "duty") == 0)
			duty_job_fire(s->bot, &job, duty_done, f);
		else
			nudge_job_fire(s->bot, &job, duty_done, f);
		return;
	}
	if (kind != NULL && strcmp(kind, "meeting") == 0 && !missed &&
	    needs_unassigned(f) &&
	    request_count_unassigned(s->bot->store, count_done, f) == 0)
		return;
	fire_build(f);
}

/* --- claiming ----------------------------------------------------------------
 */

static long long
score(const redisReply *r)
{
	if (r == NULL || r->type != REDIS_REPLY_STRING || r->len == 0)
		return 0;
	return (long long)strtod(r->str, NULL);
}

static void
claim_done(struct store *st, redisReply *reply, const char *err, void *priv)
{
	struct scheduler *s = priv;
	long long next = clock_now_ms() + LIMIT_SCHED_MAX_SLEEP_MS, t;
	size_t i, jobs = 0;

	s->claiming = 0;
	s->inflight--;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements < 2) {
		log_warn("scheduler: claim failed: %s",
		    reply && reply->type == REDIS_REPLY_ERROR ? reply->str
		    : err                                     ? err
							      : "bad reply");
		arm_at(s, clock_now_ms() + LIMIT_SCHED_RETRY_MS);
		maybe_done(s);
		return;
	}
	/* Fired even when stopping: they are leased to us now, and the
	 * store stays up until the scheduler has finished. */
	for (i = 2; i + 1 < reply->elements; i += 2) {
		fire_job(s, reply->element[i], reply->element[i + 1]);
		jobs++;
	}
	t = score(reply->element[0]);
	if (t > 0 && t < next)
		next = t;
	/* A lease runs out: wake just after, to fire what it held. */
	t = score(reply->element[1]);
	if (t > 0 && t + 1 < next)
		next = t + 1;
	if (jobs >= LIMIT_SCHED_BATCH || s->again)
		next = 0;
	s->again = 0;
	arm_at(s, next);
	maybe_done(s);
}

static void
scheduler_claim(struct scheduler *s)
{
	struct store *st = s->bot->store;
	char now[24], lease[16], limit[16];
	char *kdue, *klease;
	const char *argv[7];

	if (s->stopping || s->claiming)
		return;
	if (st == NULL || !store_ready(st)) {
		arm_at(s, clock_now_ms() + LIMIT_SCHED_RETRY_MS);
		return;
	}
	if (!s->seeded_once || s->seeded != s->bot->cfg.meetings ||
	    clock_now_ms() - s->seeded_ms > SCHED_RESEED_MS) {
		seed_meetings(s);
		return;
	}
	snprintf(now, sizeof(now), "%lld", clock_now_ms());
	snprintf(lease, sizeof(lease), "%d", LIMIT_SCHED_LEASE_MS);
	snprintf(limit, sizeof(limit), "%d", LIMIT_SCHED_BATCH);
	kdue = key(s, "sched:due", NULL);
	klease = key(s, "sched:lease", NULL);
	argv[0] = kdue;
	argv[1] = klease;
	argv[2] = now;
	argv[3] = lease;
	argv[4] = s->owner;
	argv[5] = limit;
	argv[6] = store_prefix(st);
	s->claiming = 1;
	s->inflight++;
	if (store_eval(st, s->claim_script, claim_done, s, 2, 7, argv, NULL) <
	    0) {
		s->claiming = 0;
		s->inflight--;
		arm_at(s, clock_now_ms() + LIMIT_SCHED_RETRY_MS);
	}
	free(kdue);
	free(klease);
}

/* --- life ------------------------------------------------------------------
 */

struct scheduler *
scheduler_new(struct bot *bot)
{
	struct scheduler *s = xcalloc(1, sizeof(*s));
	char host[64] = "";

	s->bot = bot;
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "pmbot");
	snprintf(s->owner, sizeof(s->owner), "%s:%ld:%lld", host,
	    (long)getpid(), clock_now_ms());
	s->claim_script = s->confirm_script = s->seed_script = -1;
	if (bot->store != NULL) {
		s->claim_script = store_script(bot->store, sched_lua_claim);
		s->confirm_script = store_script(bot->store, sched_lua_confirm);
		s->seed_script = store_script(bot->store, sched_lua_seed);
	}
	return s;
}

void
scheduler_start(struct scheduler *s)
{
	if (s->timer_open || s->bot->store == NULL)
		return;
	uv_timer_init(&s->bot->loop, &s->timer);
	s->timer.data = s;
	s->timer_open = 1;
	arm_at(s, clock_now_ms());
}

static void
timer_closed(uv_handle_t *h)
{
	struct scheduler *s = h->data;

	s->timer_open = 0;
	maybe_done(s);
}

void
scheduler_stop(struct scheduler *s, void (*done)(void *), void *priv)
{
	s->done = done;
	s->done_priv = priv;
	if (s->stopping)
		return;
	s->stopping = 1;
	if (s->timer_open) {
		uv_timer_stop(&s->timer);
		uv_close((uv_handle_t *)&s->timer, timer_closed);
		return;
	}
	maybe_done(s);
}

/* The scheduler goes last of the users of time zones, at exit: it also
 * releases the zones libical cached, so valgrind sees nothing left. */
void
scheduler_free(struct scheduler *s)
{
	free(s);
	recur_cleanup();
}

void
scheduler_poke(void *botp, long long due_ms)
{
	struct bot *bot = botp;
	struct scheduler *s = bot ? bot->sched : NULL;

	if (s == NULL || s->stopping || !s->timer_open)
		return;
	if (s->claiming || s->seeding) {
		s->again = 1;
		return;
	}
	if (s->wake_ms == 0 || due_ms < s->wake_ms)
		arm_at(s, due_ms);
}
