/*
 * /checklist: each brief's pre-launch, post-launch and post-experiment
 * items with state, assignee and due date, and a log of who changed what
 * when.  The items come from the configured templates (or the shipped
 * ones when the configuration has none) and are copied into the brief's
 * own hash the first time anyone looks, so a later template change does
 * not renumber a running experiment's list.
 *
 * Every operation is one Lua script: instantiate if needed, change one
 * item, append to the log, and read the whole list back, atomically, so
 * two people ticking at once (or two replicas) never lose a change.
 *
 * Keys (after the prefix; docs/redis-keys.md):
 *   checklist:<slug>      hash: v n created_at, and per item i (1..n)
 *                         i:list i:id i:text i:auto i:state i:assignee
 *                         i:due i:by i:at
 *   checklist-log:<slug>  list of JSON entries {at,by,item,id,action,value}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <libical/ical.h>

#include "handler.h"
#include "brief.h"
#include "checklist.h"
#include "limits.h"
#include "log.h"

#define CHECKLIST_FORMAT_VERSION "1"

struct tmpl {
	const char *list, *id, *text, *auto_on;
};

/* SPEC "Checklist templates shipped", used when the configuration has
 * no checklists of its own. */
static const struct tmpl shipped[] = {
    {"pre-launch", "brief-complete", "Brief complete", NULL},
    {"pre-launch", "ds-office-hours", "Data-science office hours attended",
	NULL},
    {"pre-launch", "qa-ticket", "QA ticket created", "qa_ticket"},
    {"pre-launch", "reviewers", "Reviewers identified", NULL},
    {"pre-launch", "qa-signoff", "QA sign-off", NULL},
    {"pre-launch", "launched", "Launched", "stage:enrolling"},
    {"post-launch", "enrollment-checked", "Enrollment checked", NULL},
    {"post-launch", "alerts-triaged", "Monitoring alerts triaged", NULL},
    {"post-launch", "end-enrollment", "End enrollment on time", NULL},
    {"post-experiment", "results-reviewed", "Results reviewed", NULL},
    {"post-experiment", "takeaways",
	"Takeaways and recommendation recorded in the brief", NULL},
    {"post-experiment", "brief-closed", "Brief closed", "stage:complete"},
};

static const char *const list_order[] = {
    "pre-launch", "post-launch", "post-experiment", NULL};

static const char *const list_titles[] = {
    "Pre-launch", "Post-launch", "Post-experiment"};

/* The templates in list order; the caller frees the array. */
static size_t
templates(const struct config *cfg, struct tmpl **out)
{
	const struct checklist_conf *cl;
	struct tmpl *t;
	size_t n = 0, i, k, total = 0;

	for (k = 0; list_order[k]; k++) {
		cl = cfg ? config_checklist(cfg, list_order[k]) : NULL;
		total += cl ? cl->nitems : 0;
	}
	if (total == 0) {
		t = xcalloc(sizeof(shipped) / sizeof(shipped[0]), sizeof(*t));
		memcpy(t, shipped, sizeof(shipped));
		*out = t;
		return sizeof(shipped) / sizeof(shipped[0]);
	}
	if (total > LIMIT_CHECKLIST_ITEMS)
		total = LIMIT_CHECKLIST_ITEMS;
	t = xcalloc(total, sizeof(*t));
	for (k = 0; list_order[k]; k++) {
		cl = config_checklist(cfg, list_order[k]);
		for (i = 0; cl && i < cl->nitems && n < total; i++) {
			t[n].list = list_order[k];
			t[n].id = cl->items[i].id;
			t[n].text = cl->items[i].text;
			t[n].auto_on = cl->items[i].auto_on;
			n++;
		}
	}
	*out = t;
	return n;
}

char *
checklist_key(const struct request *req, const char *slug)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%schecklist:%s", store_prefix(req->store), slug);
	return buf_detach(&b);
}

char *
checklist_log_key(const struct request *req, const char *slug)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%schecklist-log:%s", store_prefix(req->store), slug);
	return buf_detach(&b);
}

const char *
checklist_list_for_stage(const char *stage)
{
	int i = brief_stage_index(stage);

	if (i < 0 || i < brief_stage_index("enrolling"))
		return "pre-launch";
	if (i < brief_stage_index("complete"))
		return "post-launch";
	return "post-experiment";
}

void
checklist_progress(
    const struct config *cfg, const redisReply *h, int *done, int *total)
{
	const char *n = brief_field(h, "n");
	struct buf f = BUF_INIT;
	struct tmpl *t;
	int i, count;

	*done = 0;
	if (n == NULL) {
		*total = (int)templates(cfg, &t);
		free(t);
		return;
	}
	count = atoi(n);
	*total = count;
	for (i = 1; i <= count; i++) {
		const char *st;

		buf_reset(&f);
		buf_printf(&f, "%d:state", i);
		st = brief_field(h, f.data);
		if (st && strcmp(st, "done") == 0)
			(*done)++;
	}
	buf_free(&f);
}

/* --- due dates ----------------------------------------------------------- */

static const char *const weekdays[] = {"sunday", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", NULL};

static icaltimezone *
zone(const char *tz)
{
	icaltimezone *z = NULL;

	if (tz && *tz)
		z = icaltimezone_get_builtin_timezone(tz);
	return z ? z : icaltimezone_get_utc_timezone();
}

/* Today's date in the zone. */
static struct icaltimetype
today_in(const char *tz, time_t now)
{
	return icaltime_from_timet_with_zone(now, 1, zone(tz));
}

static void
format_date(struct icaltimetype t, char out[11])
{
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)t.year % 10000u,
	    (unsigned)t.month % 100u, (unsigned)t.day % 100u);
}

int
checklist_parse_due(const char *s, const char *tz, time_t now, char out[11])
{
	struct icaltimetype t = today_in(tz, now);
	int y, m, d, k, wd, ahead;
	char extra;
	size_t n;

	if (strlen(s) == 10 &&
	    sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) == 3 &&
	    s[4] == '-' && s[7] == '-') {
		if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 ||
		    d > icaltime_days_in_month(m, y))
			return -1;
		t.year = y;
		t.month = m;
		t.day = d;
		format_date(t, out);
		return 0;
	}
	if (strcasecmp(s, "today") == 0) {
		format_date(t, out);
		return 0;
	}
	if (strcasecmp(s, "tomorrow") == 0) {
		icaltime_adjust(&t, 1, 0, 0, 0);
		format_date(t, out);
		return 0;
	}
	if (strncasecmp(s, "next ", 5) == 0)
		s += 5;
	n = strlen(s);
	for (k = 0; weekdays[k]; k++) {
		if (n >= 3 && n <= strlen(weekdays[k]) &&
		    strncasecmp(s, weekdays[k], n) == 0)
			break;
	}
	if (weekdays[k] == NULL)
		return -1;
	wd = icaltime_day_of_week(t) - 1; /* 0 = Sunday */
	ahead = (k - wd + 7) % 7;
	if (ahead == 0)
		ahead = 7;
	icaltime_adjust(&t, ahead, 0, 0, 0);
	format_date(t, out);
	return 0;
}

/* --- the script ---------------------------------------------------------- */

/*
 * KEYS: checklist hash, log list, brief hash.
 * ARGV: op user now arg value version logmax ntemplates, then list id
 * text auto for each template item.
 * Answers {status, n, ticked, then 8 fields per item} where status is
 * ok, same (nothing to change), range (no such item), nobrief; or
 * {"log", entries...} for op log.
 */
static const char checklist_lua[] =
    "if redis.call('EXISTS', KEYS[3]) == 0 then return {'nobrief'} end\n"
    "local k, op = KEYS[1], ARGV[1]\n"
    "if op == 'log' then\n"
    "  local out = {'log'}\n"
    "  for _, e in ipairs(redis.call('LRANGE', KEYS[2], -30, -1)) do\n"
    "    out[#out + 1] = e\n"
    "  end\n"
    "  return out\n"
    "end\n"
    "local n = tonumber(redis.call('HGET', k, 'n') or '0')\n"
    "if n == 0 then\n"
    "  local m = tonumber(ARGV[8])\n"
    "  for i = 1, m do\n"
    "    local b = 8 + (i - 1) * 4\n"
    "    redis.call('HSET', k, i .. ':list', ARGV[b + 1], i .. ':id',\n"
    "      ARGV[b + 2], i .. ':text', ARGV[b + 3], i .. ':auto',\n"
    "      ARGV[b + 4], i .. ':state', 'open')\n"
    "  end\n"
    "  redis.call('HSET', k, 'n', m, 'v', ARGV[6], 'created_at', ARGV[3])\n"
    "  n = m\n"
    "end\n"
    "local function log(i, action, value)\n"
    "  redis.call('RPUSH', KEYS[2], cjson.encode({at = tonumber(ARGV[3]),\n"
    "    by = ARGV[2], item = i, id = redis.call('HGET', k, i .. ':id'),\n"
    "    action = action, value = value}))\n"
    "  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[7]), -1)\n"
    "end\n"
    "local function set(i, state)\n"
    "  redis.call('HSET', k, i .. ':state', state, i .. ':by', ARGV[2],\n"
    "    i .. ':at', ARGV[3])\n"
    "end\n"
    "local status, ticked = 'ok', {}\n"
    "if op == 'auto' then\n"
    "  for i = 1, n do\n"
    "    if redis.call('HGET', k, i .. ':auto') == ARGV[4] and\n"
    "       redis.call('HGET', k, i .. ':state') ~= 'done' then\n"
    "      set(i, 'done')\n"
    "      log(i, 'done', ARGV[4])\n"
    "      ticked[#ticked + 1] = i\n"
    "    end\n"
    "  end\n"
    "elseif op ~= 'show' then\n"
    "  local i = tonumber(ARGV[4])\n"
    "  if i == nil or i < 1 or i > n then return {'range', tostring(n)} end\n"
    "  local state = redis.call('HGET', k, i .. ':state')\n"
    "  if op == 'done' then\n"
    "    if state == 'done' then status = 'same'\n"
    "    else set(i, 'done') log(i, 'done', '') end\n"
    "  elseif op == 'undo' then\n"
    "    if state ~= 'done' then status = 'same'\n"
    "    else set(i, 'open') log(i, 'undo', '') end\n"
    "  elseif op == 'assign' then\n"
    "    redis.call('HSET', k, i .. ':assignee', ARGV[5])\n"
    "    log(i, 'assign', ARGV[5])\n"
    "  elseif op == 'due' then\n"
    "    if ARGV[5] == '' then redis.call('HDEL', k, i .. ':due')\n"
    "    else redis.call('HSET', k, i .. ':due', ARGV[5]) end\n"
    "    log(i, 'due', ARGV[5])\n"
    "  end\n"
    "end\n"
    "local out = {status, tostring(n), table.concat(ticked, ',')}\n"
    "for i = 1, n do\n"
    "  local f = redis.call('HMGET', k, i .. ':list', i .. ':id',\n"
    "    i .. ':text', i .. ':state', i .. ':assignee', i .. ':due',\n"
    "    i .. ':by', i .. ':at')\n"
    "  for j = 1, 8 do out[#out + 1] = f[j] or '' end\n"
    "end\n"
    "return out\n";

/* One run of the script: what to do and who asked. */
struct cl_op {
	char *slug;
	char *op;
	char *arg;
	char *value;
	checklist_cb *cb; /* NULL: the /checklist command itself */
	void *priv;
};

static void
cl_op_free(struct cl_op *o)
{
	free(o->slug);
	free(o->op);
	free(o->arg);
	free(o->value);
	free(o);
}

static const char *
el(const redisReply *r, size_t i)
{
	if (i >= r->elements || r->element[i]->type != REDIS_REPLY_STRING)
		return "";
	return r->element[i]->str;
}

/* Builds the view from an ok/same reply; items point into r. */
static void
view_from_reply(const redisReply *r, struct checklist_view *v)
{
	const char *ticked = el(r, 2), *p;
	int i, n = atoi(el(r, 1));
	size_t base;

	if (n < 0 || (size_t)n * 8 + 3 > r->elements)
		n = 0;
	v->items = xcalloc((size_t)n + 1, sizeof(*v->items));
	v->nitems = n;
	v->ndone = 0;
	for (i = 0; i < n; i++) {
		struct checklist_item *it = &v->items[i];

		base = 3 + (size_t)i * 8;
		it->n = i + 1;
		it->list = el(r, base);
		it->id = el(r, base + 1);
		it->text = el(r, base + 2);
		it->done = strcmp(el(r, base + 3), "done") == 0;
		it->assignee = el(r, base + 4);
		it->due = el(r, base + 5);
		it->by = el(r, base + 6);
		it->at = atoll(el(r, base + 7));
		if (it->done)
			v->ndone++;
	}
	for (p = ticked; *p;) {
		i = atoi(p);
		if (i >= 1 && i <= n)
			v->items[i - 1].ticked_now = 1;
		p = strchr(p, ',');
		if (p == NULL)
			break;
		p++;
	}
}

static void render_and_reply(struct request *req, struct cl_op *o,
    const char *status, const struct checklist_view *v);
static void render_log(
    struct request *req, const redisReply *r, const char *slug);
static void suggest_or_reply(struct request *req, const char *slug);

static void
script_done(struct store *st, redisReply *r, const char *err, void *priv)
{
	struct request *req = priv;
	struct cl_op *o = req->hdata;
	struct checklist_view v = {NULL, 0, 0};
	const char *status;

	(void)st;
	req->hdata = NULL;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1) {
		const char *why = r == NULL ? STORE_UNAVAILABLE
				  : r->type == REDIS_REPLY_ERROR
				      ? r->str
				      : "unexpected answer";

		if (r != NULL)
			log_msg(LOG_WARN, "checklist: script: %s", why);
		if (o->cb) {
			o->cb(req, NULL, why, o->priv);
		} else {
			reply_error(req, "%s", why);
			request_done(req, CMD_ERROR);
		}
		cl_op_free(o);
		return;
	}
	status = el(r, 0);
	if (o->cb) {
		if (strcmp(status, "ok") == 0 || strcmp(status, "same") == 0) {
			view_from_reply(r, &v);
			o->cb(req, &v, NULL, o->priv);
			free(v.items);
		} else {
			o->cb(req, NULL, "no such brief", o->priv);
		}
		cl_op_free(o);
		return;
	}
	if (strcmp(status, "nobrief") == 0) {
		suggest_or_reply(req, o->slug);
	} else if (strcmp(status, "log") == 0) {
		render_log(req, r, o->slug);
		request_done(req, CMD_OK);
	} else if (strcmp(status, "range") == 0) {
		reply_usage(req, "no item %s: \"%s\" has items 1 to %s", o->arg,
		    o->slug, el(r, 1));
		request_done(req, CMD_ERROR);
	} else {
		view_from_reply(r, &v);
		render_and_reply(req, o, status, &v);
		free(v.items);
		request_done(req, CMD_OK);
	}
	cl_op_free(o);
}

/* Queues the script; on -1 the caller owns o still. */
static int
run_script(struct request *req, struct cl_op *o)
{
	struct tmpl *t;
	size_t nt = templates(req->cfg, &t), i, argc;
	const char **argv;
	char *key = checklist_key(req, o->slug);
	char *lkey = checklist_log_key(req, o->slug);
	char *bkey = brief_key(req, o->slug);
	char now[24], logmax[16], ntmpl[16];
	int rc;

	snprintf(now, sizeof(now), "%lld", now_ms());
	snprintf(logmax, sizeof(logmax), "%d", LIMIT_CHECKLIST_LOG);
	snprintf(ntmpl, sizeof(ntmpl), "%zu", nt);
	argc = 3 + 3 + 8 + nt * 4;
	argv = xcalloc(argc, sizeof(*argv));
	argv[0] = "EVAL";
	argv[1] = checklist_lua;
	argv[2] = "3";
	argv[3] = key;
	argv[4] = lkey;
	argv[5] = bkey;
	argv[6] = o->op;
	argv[7] = o->cb ? "pmbot" : req->user;
	argv[8] = now;
	argv[9] = o->arg ? o->arg : "";
	argv[10] = o->value ? o->value : "";
	argv[11] = CHECKLIST_FORMAT_VERSION;
	argv[12] = logmax;
	argv[13] = ntmpl;
	for (i = 0; i < nt; i++) {
		argv[14 + i * 4] = t[i].list;
		argv[15 + i * 4] = t[i].id;
		argv[16 + i * 4] = t[i].text;
		argv[17 + i * 4] = t[i].auto_on ? t[i].auto_on : "";
	}
	req->hdata = o;
	rc = store_cmdargv(req->store, script_done, req, (int)argc, argv, NULL);
	if (rc < 0)
		req->hdata = NULL;
	free(argv);
	free(t);
	free(key);
	free(lkey);
	free(bkey);
	return rc;
}

int
checklist_auto(struct request *req, const char *slug, const char *event,
    checklist_cb *cb, void *priv)
{
	struct cl_op *o = xcalloc(1, sizeof(*o));

	o->slug = xstrdup(slug);
	o->op = xstrdup("auto");
	o->arg = xstrdup(event);
	o->cb = cb;
	o->priv = priv;
	if (run_script(req, o) < 0) {
		cl_op_free(o);
		return -1;
	}
	return 0;
}

/* --- rendering ----------------------------------------------------------- */

static void
date_of(long long ms, const char *tz, char out[11])
{
	format_date(today_in(tz, (time_t)(ms / 1000)), out);
}

static const char *
caller_tz(const struct request *req)
{
	return req->tz && *req->tz ? req->tz : req->cfg->timezone;
}

static void
render_item(struct message *m, const struct checklist_item *it,
    const char *today, const char *tz)
{
	char d[11];

	message_printf(
	    m, "\n- %d. %s %s", it->n, it->done ? "[x]" : "[ ]", it->text);
	if (*it->assignee)
		message_printf(m, " - @%s", it->assignee);
	if (*it->due)
		message_printf(m, " - due %s%s", it->due,
		    !it->done && strcmp(it->due, today) < 0 ? " **overdue**"
							    : "");
	if (it->done && *it->by && it->at > 0) {
		date_of(it->at, tz, d);
		message_printf(m, " _(done by %s%s, %s)_",
		    strcmp(it->by, "pmbot") ? "@" : "", it->by, d);
	}
}

static void
render_and_reply(struct request *req, struct cl_op *o, const char *status,
    const struct checklist_view *v)
{
	struct message *m = message_new();
	const char *tz = caller_tz(req);
	char today[11];
	int k, i, any;

	format_date(today_in(tz, time(NULL)), today);
	if (strcmp(o->op, "show") != 0) {
		const struct checklist_item *it = &v->items[atoi(o->arg) - 1];

		if (strcmp(status, "same") == 0)
			message_printf(m, "Item %d of **%s** was already %s.",
			    it->n, o->slug, it->done ? "done" : "open");
		else if (strcmp(o->op, "done") == 0)
			message_printf(m, "@%s ticked item %d of **%s**: %s.",
			    req->user, it->n, o->slug, it->text);
		else if (strcmp(o->op, "undo") == 0)
			message_printf(m, "@%s reopened item %d of **%s**: %s.",
			    req->user, it->n, o->slug, it->text);
		else if (strcmp(o->op, "assign") == 0)
			message_printf(m,
			    "@%s assigned item %d of **%s** (%s) to @%s.",
			    req->user, it->n, o->slug, it->text, o->value);
		else if (*o->value)
			message_printf(m, "Item %d of **%s** (%s) is due %s.",
			    it->n, o->slug, it->text, o->value);
		else
			message_printf(m,
			    "Item %d of **%s** (%s) has no due date now.",
			    it->n, o->slug, it->text);
		message_printf(
		    m, " Progress: %d/%d done.", v->ndone, v->nitems);
		reply_message(req, m, 0);
		message_free(m);
		return;
	}
	message_printf(m, "**Checklist for %s**: %d/%d done", o->slug, v->ndone,
	    v->nitems);
	for (k = 0; list_order[k]; k++) {
		any = 0;
		for (i = 0; i < v->nitems; i++) {
			if (strcmp(v->items[i].list, list_order[k]) != 0)
				continue;
			if (!any)
				message_printf(m, "\n**%s**", list_titles[k]);
			any = 1;
			render_item(m, &v->items[i], today, tz);
		}
	}
	message_printf(m,
	    "\n`/checklist %s done <n>`, `undo <n>`, `assign <n> @user`, "
	    "`due <n> <date>`, `log`",
	    o->slug);
	reply_message(req, m, 0);
	message_free(m);
}

static void
render_log(struct request *req, const redisReply *r, const char *slug)
{
	struct message *m = message_new();
	const char *tz = caller_tz(req);
	size_t i;
	char d[11];

	if (r->elements <= 1) {
		message_printf(m,
		    "No checklist changes recorded for **%s** "
		    "yet.",
		    slug);
	} else {
		message_printf(
		    m, "**Checklist log for %s** (latest last)", slug);
	}
	for (i = 1; i < r->elements; i++) {
		cJSON *e = cJSON_Parse(el(r, i));
		const cJSON *at = cJSON_GetObjectItem(e, "at");
		const cJSON *by = cJSON_GetObjectItem(e, "by");
		const cJSON *item = cJSON_GetObjectItem(e, "item");
		const cJSON *act = cJSON_GetObjectItem(e, "action");
		const cJSON *val = cJSON_GetObjectItem(e, "value");
		const cJSON *id = cJSON_GetObjectItem(e, "id");
		time_t t;
		struct icaltimetype it;

		if (e == NULL)
			continue;
		t = cJSON_IsNumber(at) ? (time_t)(at->valuedouble / 1000) : 0;
		it = icaltime_from_timet_with_zone(t, 0, zone(tz));
		date_of(
		    cJSON_IsNumber(at) ? (long long)at->valuedouble : 0, tz, d);
		message_printf(m, "\n- %s %02d:%02d %s%s %s item %d (%s)%s%s",
		    d, it.hour, it.minute,
		    cJSON_IsString(by) && strcmp(by->valuestring, "pmbot") ? "@"
									   : "",
		    cJSON_IsString(by) ? by->valuestring : "?",
		    cJSON_IsString(act) ? act->valuestring : "?",
		    cJSON_IsNumber(item) ? item->valueint : 0,
		    cJSON_IsString(id) ? id->valuestring : "?",
		    cJSON_IsString(val) && *val->valuestring ? ": " : "",
		    cJSON_IsString(val) ? val->valuestring : "");
		cJSON_Delete(e);
	}
	reply_message(req, m, 0);
	message_free(m);
}

/* "no brief x; did you mean ..." through /brief's suggestions. */
static void
suggest_or_reply(struct request *req, const char *slug)
{
	brief_suggest_slugs(req, slug);
}

/* --- /checklist ---------------------------------------------------------- */

static enum cmd_retval
checklist_exec(struct request *req)
{
	struct cl_op *o;
	const char *verb;
	char *user = NULL, due[11];
	long n;
	int i;
	struct buf when = BUF_INIT;

	if (req->nargs == 0)
		return reply_usage(req, "which brief? give its slug");
	if (!arg_slug_or_reply(req, req->args[0]))
		return CMD_ERROR;
	o = xcalloc(1, sizeof(*o));
	o->slug = xstrdup(req->args[0]);
	verb = req->nargs > 1 ? req->args[1] : "show";
	if (strcasecmp(verb, "show") == 0 || strcasecmp(verb, "log") == 0) {
		if (req->nargs > 2)
			goto usage;
		o->op = xstrdup(strcasecmp(verb, "log") == 0 ? "log" : "show");
	} else if (strcasecmp(verb, "done") == 0 ||
		   strcasecmp(verb, "undo") == 0) {
		if (req->nargs != 3)
			goto usage;
		if (!arg_int_or_reply(
			req, req->args[2], 1, LIMIT_CHECKLIST_ITEMS, &n))
			goto fail;
		o->op =
		    xstrdup(strcasecmp(verb, "done") == 0 ? "done" : "undo");
	} else if (strcasecmp(verb, "assign") == 0) {
		if (req->nargs != 4)
			goto usage;
		if (!arg_int_or_reply(
			req, req->args[2], 1, LIMIT_CHECKLIST_ITEMS, &n))
			goto fail;
		if (!arg_user_or_reply(req, req->args[3], &user))
			goto fail;
		o->op = xstrdup("assign");
		o->value = user;
	} else if (strcasecmp(verb, "due") == 0) {
		if (req->nargs < 4)
			goto usage;
		if (!arg_int_or_reply(
			req, req->args[2], 1, LIMIT_CHECKLIST_ITEMS, &n))
			goto fail;
		for (i = 3; i < req->nargs; i++)
			buf_printf(
			    &when, "%s%s", i > 3 ? " " : "", req->args[i]);
		if (strcasecmp(when.data, "none") == 0 ||
		    strcasecmp(when.data, "clear") == 0) {
			o->value = xstrdup("");
		} else if (checklist_parse_due(when.data, caller_tz(req),
			       time(NULL), due) < 0) {
			reply_usage(req,
			    "\"%s\" is not a date: use YYYY-MM-DD, today, "
			    "tomorrow, a weekday, or none",
			    when.data);
			buf_free(&when);
			goto fail;
		} else {
			o->value = xstrdup(due);
		}
		buf_free(&when);
		o->op = xstrdup("due");
	} else {
		reply_usage(req,
		    "unknown action \"%s\": use done, undo, assign, due or log",
		    verb);
		goto fail;
	}
	if (req->nargs > 2)
		o->arg = xstrdup(req->args[2]);
	if (run_script(req, o) < 0) {
		cl_op_free(o);
		return reply_store_down(req);
	}
	return CMD_WAIT;
usage:
	cl_op_free(o);
	return reply_usage(req, "wrong number of words after \"%s\"", verb);
fail:
	cl_op_free(o);
	return CMD_ERROR;
}

const struct cmd_entry cmd_checklist_entry = {
    .name = "checklist",
    .aliases = {"cl", NULL},
    .usage = "checklist <slug> [done <n> | undo <n> | assign <n> @user | "
	     "due <n> <date> | log]",
    .summary = "a brief's launch checklists: tick, assign, set due dates",
    .examples = "/checklist checkout-v2\n/checklist checkout-v2 done 1\n"
		"/checklist checkout-v2 assign 4 @bob\n"
		"/checklist checkout-v2 due 5 friday\n"
		"/checklist checkout-v2 log",
    .args_min = 1,
    .args_max = 6,
    .perm = PERM_ANYONE,
    .exec = checklist_exec,
};
