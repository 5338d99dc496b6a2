/*
 * What /rotation, /escalate and /request share: the stored rotation
 * model (handlers/rotation.c), the escalation and triage summaries a
 * handoff tells the incoming PM, and the requests scheduler jobs run in.
 *
 * Keys (after the prefix; docs/rotations.md):
 *   rot:<name>          hash: model (duty.h JSON), rev, v
 *   rot:<name>:hist     list, newest first: "at|from|to|why"
 *   rot:<name>:count    hash: user -> turns taken
 */
#ifndef PMBOT_ROTATION_H
#define PMBOT_ROTATION_H

#include "duty.h"
#include "handler.h"

/* A loaded model; r is NULL when loading failed (err says why, for the
 * user).  rev is the stored revision ("0" for a model made from the
 * configuration), to hand back to rotation_save. The callback owns
 * neither. */
typedef void rotation_loaded_fn(
    struct request *req, struct duty_rot *r, const char *rev, const char *err);
/* 0 when queued, -1 when the store is down (done will not run). */
int rotation_load(struct request *req, const struct rotation_conf *rc,
    rotation_loaded_fn *done);
/* Stores r if nobody changed it since rev (reply: 1 saved, 0 changed
 * meanwhile), adding a history line and counting a turn for counted
 * when they are not NULL.  0 or -1 as store_cmd. */
int rotation_save(struct request *req, const struct duty_rot *r,
    const char *rev, const char *hist, const char *counted, store_cb *cb,
    void *priv);

/* The rotation named by word with an error reply when there is none:
 * NULL after replying. */
const struct rotation_conf *rotation_conf_or_reply(
    struct request *req, const char *word);

/* A request for work a scheduler job does (no caller, no sink): bot is
 * the struct bot.  Finished with request_done like any other. */
struct request *duty_job_request(void *bot);
/* Posts m to channel, in thread when not NULL.  0 or -1. */
int duty_post(struct request *req, const char *channel, const char *thread,
    const struct message *m);
/* Adds or moves a job of kind "duty": id, due, spec (a change of spec
 * rewrites it), then field/value pairs ended by NULL.  Fire and forget:
 * a failure is logged. */
void duty_job_put(struct request *req, const char *id, long long due,
    const char *spec, ...) __attribute__((sentinel));
/* Removes a job that has not fired (an acknowledged escalation). */
void duty_job_drop(struct request *req, const char *id);

/* Scheduler jobs of escalate.c and request.c, dispatched by rotation.c:
 * each finishes req with request_done and calls done(token, next). */
struct sched_job;
typedef void sched_job_done(void *token, long long next_due);
void escalate_job_fire(struct request *req, const char *what,
    const struct sched_job *job, sched_job_done *done, void *token);
void request_job_fire(struct request *req, const char *what,
    const struct sched_job *job, sched_job_done *done, void *token);
/* The triage queue's deadline jobs for the configured meeting. */
void request_jobs_seed(struct request *req);
/* The meeting the triage rotation is tied to (rotations.triage.meeting,
 * default the PM Weekly Sync), or NULL when there is none. */
const struct meeting *request_triage_meeting(const struct config *cfg);
/* The first firing strictly after after_ms of triage deadline which
 * ("triage-eve": the day before at 16:00, "triage-2h": two hours before)
 * on meeting m's clock, or 0: the same instants the jobs fire at, for
 * `pmbot schedule`. */
long long request_deadline_next(
    const struct meeting *m, const char *which, long long after_ms);
/* Reads the number of unassigned requests: cb gets an integer reply.
 * 0 when queued, -1 when the store is down (cb will not run). */
int request_count_unassigned(struct store *st, store_cb *cb, void *priv);
/* A line on the state of a duty for a handoff: open escalations or
 * unassigned requests; calls back with the text (NULL when unknown). */
typedef void duty_summary_fn(struct request *req, const char *text, void *priv);
int escalate_summary(struct request *req, duty_summary_fn *cb, void *priv);
int request_summary(struct request *req, duty_summary_fn *cb, void *priv);

/*
 * For the chat adapters: whether a message in a channel is an escalation
 * (in the Twitter channel, mentioning the PM group or the bot).  When it
 * is, the adapter runs "escalate <text>" as a mention of the poster with
 * the post as the thread; a reply in such a thread runs "escalate ack"
 * with the thread set, which acknowledges quietly when the thread is an
 * escalation and does nothing otherwise.
 */
int escalate_wants_message(
    const struct config *cfg, const char *channel, const char *text);

#endif
