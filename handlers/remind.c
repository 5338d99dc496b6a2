/*
 * /remind: one-off and recurring reminders for oneself, a user or a
 * channel.  The time phrase is read by bot/when.c in the caller's zone
 * (from the chat server, else the bot's); the reminder is stored as a
 * scheduler job (bot/sched_jobs.c) and the scheduler is woken if it
 * fires sooner than anything it knew of.  The answer says when it will
 * fire in the caller's zone, so a misunderstanding shows at once; a
 * phrase that cannot be read is refused with the reason and examples.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "clock.h"
#include "limits.h"
#include "recur.h"
#include "scheduler.h"
#include "when.h"

/* What the handler keeps while Redis answers. */
struct remind_wait {
	char *target;
	char *text;
	char *id;
	struct when w;
};

static const char *
caller_zone(const struct request *req)
{
	if (req->tz != NULL && recur_zone_valid(req->tz))
		return req->tz;
	if (req->cfg->timezone != NULL && recur_zone_valid(req->cfg->timezone))
		return req->cfg->timezone;
	return "UTC";
}

static void
wait_free(struct request *req)
{
	struct remind_wait *rw = req->hdata;

	if (rw == NULL)
		return;
	free(rw->target);
	free(rw->text);
	free(rw->id);
	free(rw);
	req->hdata = NULL;
}

/* A reply that is no answer or an error: answered here; returns 1. */
static int
failed_or_reply(struct request *req, redisReply *r)
{
	if (r == NULL) {
		reply_store_down(req);
	} else if (r->type == REDIS_REPLY_ERROR) {
		reply_error(req, "the state store refused it: %s", r->str);
	} else {
		return 0;
	}
	wait_free(req);
	request_done(req, CMD_ERROR);
	return 1;
}

/* "in 2 hours", "in 3 days": how far ahead at from now. */
static void
put_ahead(struct buf *b, long long at, long long now)
{
	long long min = (at - now + 59999) / 60000,
		  sec = (at - now + 999) / 1000;

	if (sec < 60)
		buf_printf(b, "in %lld second%s", sec, sec == 1 ? "" : "s");
	else if (min < 120)
		buf_printf(b, "in %lld minute%s", min, min == 1 ? "" : "s");
	else if (min < 48 * 60)
		buf_printf(b, "in %lld hours", (min + 30) / 60);
	else
		buf_printf(b, "in %lld days", (min + 720) / 1440);
}

static void
put_target(struct buf *b, const struct request *req, const char *target)
{
	if (target[0] == '@' && strcmp(target + 1, req->user) == 0)
		buf_puts(b, "you");
	else if (target[0] == '@')
		buf_puts(b, target);
	else
		buf_printf(b, "~%s", target);
}

static void
add_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct remind_wait *rw = req->hdata;
	const char *zone = caller_zone(req);
	struct buf b = BUF_INIT;

	if (failed_or_reply(req, r))
		return;
	if (r->type != REDIS_REPLY_INTEGER || r->integer < 0) {
		reply_error(req,
		    "you have %d reminders already; delete some first "
		    "(/remind list)",
		    LIMIT_REMINDERS_PER_USER);
		wait_free(req);
		request_done(req, CMD_ERROR);
		return;
	}
	scheduler_poke(req->bot, rw->w.at_ms);
	buf_printf(&b, "Reminder %lld set for ", r->integer);
	put_target(&b, req, rw->target);
	if (rw->w.kind == WHEN_REPEAT) {
		buf_printf(&b, ", %s (%s); first ", rw->w.desc, rw->w.tz);
		recur_format(&b, zone, rw->w.at_ms, 1);
	} else {
		buf_puts(&b, ": ");
		recur_format(&b, zone, rw->w.at_ms, 1);
	}
	if (strcmp(zone, rw->w.tz) != 0) {
		buf_puts(&b, " (");
		recur_format(&b, rw->w.tz, rw->w.at_ms, 0);
		buf_puts(&b, ")");
	}
	buf_puts(&b, ", ");
	put_ahead(&b, rw->w.at_ms, clock_now_ms());
	buf_printf(&b, ": %s", rw->text);
	reply_private(req, "%s", buf_str(&b));
	buf_free(&b);
	wait_free(req);
	request_done(req, CMD_OK);
}

static char *
join_args(char **args, int n)
{
	struct buf b = BUF_INIT;
	int i;

	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(&b, ' ');
		buf_puts(&b, args[i]);
	}
	return buf_detach(&b);
}

/* "me", "@user" or "~channel" into "@user" or a channel name; NULL
 * after replying. */
static char *
target_or_reply(struct request *req, const char *arg)
{
	struct buf b = BUF_INIT;
	char *user = NULL;

	if (strcmp(arg, "me") == 0 || strcmp(arg, "myself") == 0) {
		buf_printf(&b, "@%s", req->user);
		return buf_detach(&b);
	}
	if (arg[0] == '@') {
		if (!arg_user_or_reply(req, arg, &user))
			return NULL;
		buf_printf(&b, "@%s", user);
		free(user);
		return buf_detach(&b);
	}
	if (arg[0] == '~' || arg[0] == '#') {
		if (!config_listens_in(req->cfg, arg + 1)) {
			reply_error(req,
			    "pmbot is not in \"%s\": reminders go to the "
			    "channels it serves, to @someone or to you",
			    arg);
			return NULL;
		}
		return xstrdup(arg + 1);
	}
	reply_usage(
	    req, "who is it for? \"%s\" is not me, @user or ~channel", arg);
	return NULL;
}

static enum cmd_retval
remind_add(struct request *req)
{
	struct remind_wait *rw;
	struct sched_reminder sr;
	char err[256], *phrase, *target;
	const char *what;
	struct when w;

	target = target_or_reply(req, req->args[0]);
	if (target == NULL)
		return CMD_ERROR;
	phrase = join_args(req->args + 1, req->nargs - 1);
	if (when_parse(phrase, clock_now_ms(), caller_zone(req), &w, err,
		sizeof(err)) < 0) {
		reply_error(req,
		    "cannot set the reminder: %s\nwhen can be, for example:\n%s",
		    err, when_examples);
		free(phrase);
		free(target);
		return CMD_ERROR;
	}
	what = phrase + w.what;
	if (*what == '\0') {
		reply_usage(req, "what should the reminder say? Put it after "
				 "the time: /remind me in 10 minutes stretch");
		free(phrase);
		free(target);
		return CMD_ERROR;
	}
	if (strlen(what) > LIMIT_REMINDER_TEXT) {
		reply_error(req,
		    "the reminder text is too long (%zu bytes, at "
		    "most %d)",
		    strlen(what), LIMIT_REMINDER_TEXT);
		free(phrase);
		free(target);
		return CMD_ERROR;
	}
	rw = xcalloc(1, sizeof(*rw));
	rw->target = target;
	rw->text = xstrdup(what);
	rw->w = w;
	free(phrase);
	req->hdata = rw;
	memset(&sr, 0, sizeof(sr));
	sr.owner = req->user;
	sr.target = rw->target;
	sr.text = rw->text;
	sr.tz = w.tz;
	sr.due_ms = w.at_ms;
	if (w.kind == WHEN_REPEAT) {
		sr.rrule = rw->w.rrule;
		sr.dtstart = rw->w.dtstart;
		sr.desc = rw->w.desc;
	}
	if (sched_reminder_add(req->store, &sr, add_done, req) < 0) {
		wait_free(req);
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

/* --- list ------------------------------------------------------------------
 */

static int
by_due(const void *a, const void *b)
{
	const redisReply *x = *(const redisReply *const *)a;
	const redisReply *y = *(const redisReply *const *)b;
	long long dx = strtoll(x->element[1]->str, NULL, 10);
	long long dy = strtoll(y->element[1]->str, NULL, 10);

	return dx < dy ? -1 : dx > dy;
}

static void
list_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	const char *zone = caller_zone(req);
	struct message *m;
	redisReply **v;
	size_t i, n = 0;

	if (failed_or_reply(req, r))
		return;
	v = xcalloc(r->elements + 1, sizeof(*v));
	for (i = 0; i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_ARRAY &&
		    r->element[i]->elements == 7)
			v[n++] = r->element[i];
	if (n == 0) {
		reply_private(req, "You have no reminders. Set one with "
				   "/remind me in 10 minutes stretch");
		free(v);
		request_done(req, CMD_OK);
		return;
	}
	qsort(v, n, sizeof(*v), by_due);
	m = message_new();
	message_printf(m, "Your reminders (times in %s):", zone);
	for (i = 0; i < n; i++) {
		redisReply *e = v[i];
		struct buf t = BUF_INIT;

		put_target(&t, req, e->element[2]->str);
		message_printf(m, "\n- `%s` ", e->element[0]->str);
		recur_format(
		    &m->text, zone, strtoll(e->element[1]->str, NULL, 10), 1);
		message_printf(
		    m, " for %s: %s", buf_str(&t), e->element[3]->str);
		if (e->element[4]->len > 0)
			message_printf(m, " _(%s, %s)_",
			    e->element[6]->len ? e->element[6]->str
					       : e->element[4]->str,
			    e->element[5]->str);
		buf_free(&t);
	}
	reply_message(req, m, 1);
	message_free(m);
	free(v);
	request_done(req, CMD_OK);
}

static enum cmd_retval
remind_list(struct request *req)
{
	if (sched_reminder_list(req->store, req->user, list_done, req) < 0)
		return reply_store_down(req);
	return CMD_WAIT;
}

/* --- delete and snooze -------------------------------------------------------
 */

static int
id_or_reply(struct request *req, const char *arg)
{
	long v;

	return arg_int_or_reply(req, arg, 1, 999999999L, &v);
}

static void
changed_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct remind_wait *rw = req->hdata;
	const char *zone = caller_zone(req);
	struct buf b = BUF_INIT;

	if (failed_or_reply(req, r))
		return;
	if (r->type != REDIS_REPLY_INTEGER || r->integer == 0) {
		reply_error(
		    req, "no reminder \"%s\" (see /remind list)", rw->id);
	} else if (r->integer == -1) {
		reply_error(req, "reminder %s is not yours", rw->id);
	} else if (r->integer == -2) {
		reply_error(req,
		    "reminder %s is firing right now; try again in a moment",
		    rw->id);
	} else if (rw->w.at_ms == 0) {
		reply_private(req, "Reminder %s deleted.", rw->id);
		wait_free(req);
		request_done(req, CMD_OK);
		return;
	} else {
		scheduler_poke(req->bot, rw->w.at_ms);
		recur_format(&b, zone, rw->w.at_ms, 1);
		reply_private(
		    req, "Reminder %s snoozed until %s.", rw->id, buf_str(&b));
		buf_free(&b);
		wait_free(req);
		request_done(req, CMD_OK);
		return;
	}
	wait_free(req);
	request_done(req, CMD_ERROR);
}

static enum cmd_retval
remind_delete(struct request *req)
{
	struct remind_wait *rw;

	if (!id_or_reply(req, req->args[0]))
		return CMD_ERROR;
	rw = xcalloc(1, sizeof(*rw));
	rw->id = xstrdup(req->args[0]);
	req->hdata = rw;
	if (sched_reminder_delete(req->store, rw->id, req->user,
		config_is_admin(req->cfg, req->user), changed_done, req) < 0) {
		wait_free(req);
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

static enum cmd_retval
remind_snooze(struct request *req)
{
	struct remind_wait *rw;
	struct buf phrase = BUF_INIT;
	char err[256], *rest;
	struct when w;
	int rc;

	if (!id_or_reply(req, req->args[0]))
		return CMD_ERROR;
	rest = join_args(req->args + 1, req->nargs - 1);
	buf_printf(&phrase, "in %s", rest);
	free(rest);
	rc = when_parse(buf_str(&phrase), clock_now_ms(), caller_zone(req), &w,
	    err, sizeof(err));
	if (rc == 0 && (w.kind != WHEN_ONCE || buf_str(&phrase)[w.what]))
		snprintf(err, sizeof(err), "\"%s\" is not a duration",
		    buf_str(&phrase) + 3);
	if (rc < 0 || w.kind != WHEN_ONCE || buf_str(&phrase)[w.what]) {
		reply_usage(
		    req, "cannot snooze: %s (e.g. 10m, 1h, 2 days)", err);
		buf_free(&phrase);
		return CMD_ERROR;
	}
	buf_free(&phrase);
	rw = xcalloc(1, sizeof(*rw));
	rw->id = xstrdup(req->args[0]);
	rw->w = w;
	req->hdata = rw;
	if (sched_reminder_snooze(req->store, rw->id, req->user, w.at_ms,
		changed_done, req) < 0) {
		wait_free(req);
		return reply_store_down(req);
	}
	return CMD_WAIT;
}

static const struct cmd_entry remind_subs[] = {
    {.name = "list",
	.usage = "remind list",
	.summary = "your reminders, soonest first",
	.args_min = 0,
	.args_max = 0,
	.perm = PERM_ANYONE,
	.exec = remind_list},
    {.name = "delete",
	.aliases = {"rm", "cancel", NULL},
	.usage = "remind delete <id>",
	.summary = "delete one of your reminders",
	.examples = "/remind delete 12",
	.args_min = 1,
	.args_max = 1,
	.perm = PERM_ANYONE,
	.exec = remind_delete},
    {.name = "snooze",
	.usage = "remind snooze <id> <duration>",
	.summary = "move a reminder later",
	.examples = "/remind snooze 12 10m\n/remind snooze 12 2 hours",
	.args_min = 2,
	.args_max = 4,
	.perm = PERM_ANYONE,
	.exec = remind_snooze},
    {.name = NULL},
};

const struct cmd_entry cmd_remind_entry = {
    .name = "remind",
    .usage = "remind <me|@user|~channel> <when> <what> | remind "
	     "list|delete|snooze ...",
    .summary = "one-off and recurring reminders, in your time zone",
    .examples = "/remind me in 10 minutes stretch\n"
		"/remind @carol tomorrow 9am send the deck\n"
		"/remind ~pm every weekday at 9:30 PT standup\n"
		"/remind me every 1st Monday prepare the sales call\n"
		"/remind me on 2026-12-01 at 10:00 renew the licence",
    .args_min = 2,
    .args_max = -1,
    .perm = PERM_ANYONE,
    .subs = remind_subs,
    .exec = remind_add,
};
