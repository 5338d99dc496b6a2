/*
 * What other handlers (checklist, qa) share with /brief: the stages, the
 * brief's key and fields, its card, and the hooks a stage change and a
 * first-time owner run.
 */
#ifndef PMBOT_BRIEF_H
#define PMBOT_BRIEF_H

#include "handler.h"

extern const struct cmd_entry cmd_brief_entry;
/* draft, review, preview, enrolling, observation, complete; NULL-ended. */
extern const char *const brief_stages[];

int brief_stage_index(const char *stage);
/* "<prefix>brief:<slug>"; the caller frees it. */
char *brief_key(const struct request *req, const char *slug);
/* The Experimenter URL of a slug from the configured pattern, or NULL. */
char *brief_experimenter_url(const struct config *cfg, const char *slug);
/* A field of an HGETALL reply, or NULL. */
const char *brief_field(const redisReply *r, const char *field);
/* The brief card from its HGETALL reply; the caller frees it. */
struct message *brief_card(const struct request *req, const redisReply *h);

/* Runs after a stage change was stored: ticks what the stage completes,
 * tells the channel, sends the owner the stage's open checklist items;
 * replies and calls request_done(). */
void brief_stage_changed(struct request *req, const char *slug,
    const char *from, const char *to, const char *owner);
/* Answers "no brief x; did you mean ..." with the nearest slugs, then
 * request_done(req, CMD_ERROR).  Uses req->hdata while it waits. */
void brief_suggest_slugs(struct request *req, const char *slug);
/* The new-owner guide sent by DM; the caller frees it. */
struct message *brief_new_owner_guide(
    const struct config *cfg, const char *owner, const char *slug);

#endif
