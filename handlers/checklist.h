/*
 * What /brief and /qa use of the checklists: the automatic ticks (the QA
 * ticket filed, a stage reached), the open items of a stage's list, and
 * the progress shown on the brief card.
 */
#ifndef PMBOT_CHECKLIST_H
#define PMBOT_CHECKLIST_H

#include <time.h>

#include "handler.h"

extern const struct cmd_entry cmd_checklist_entry;

/* One item of a brief's checklist, as read back from Redis.  Strings are
 * "" when unset and live as long as the reply they came from. */
struct checklist_item {
	int n;            /* 1..N across the three lists */
	const char *list; /* "pre-launch", "post-launch", "post-experiment" */
	const char *id;
	const char *text;
	int done;
	const char *assignee; /* user name without '@' */
	const char *due;      /* YYYY-MM-DD */
	const char *by;       /* who changed the state last */
	long long at;         /* when, ms since the epoch; 0 when never */
	int ticked_now;       /* ticked by this very call (auto) */
};

struct checklist_view {
	struct checklist_item *items;
	int nitems;
	int ndone;
};

/* Called once with the checklist after the change; view is NULL when the
 * brief does not exist or the store failed (err says which in words). */
typedef void checklist_cb(struct request *req,
    const struct checklist_view *view, const char *err, void *priv);

/* Ticks the open items whose "auto" is event ("qa_ticket",
 * "stage:enrolling"), recording the bot as who did it; instantiates the
 * checklist from the templates first if needed.  Returns 0, or -1 when
 * the store is down (cb does not run). */
int checklist_auto(struct request *req, const char *slug, const char *event,
    checklist_cb *cb, void *priv);

/* The list a stage works through: pre-launch until enrolling, then
 * post-launch, and post-experiment once complete. */
const char *checklist_list_for_stage(const char *stage);

/* Done and total items from the HGETALL reply of the checklist hash; a
 * brief whose checklist was never opened counts the templates. */
void checklist_progress(
    const struct config *cfg, const redisReply *h, int *done, int *total);

/* "<prefix>checklist:<slug>"; the caller frees it. */
char *checklist_key(const struct request *req, const char *slug);
char *checklist_log_key(const struct request *req, const char *slug);

/* Parses a due date typed by a user: YYYY-MM-DD, today, tomorrow, a
 * weekday name (the next one; "friday" on a Friday is a week later), in
 * zone tz (IANA; NULL or unknown = UTC) at time now.  Writes YYYY-MM-DD
 * into out and returns 0, or -1 when it is not a date. */
int checklist_parse_due(
    const char *s, const char *tz, time_t now, char out[11]);

#endif
