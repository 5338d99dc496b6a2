/*
 * Configuration loading (SPEC "Configuration").  Every key pmbot knows is
 * one row of config_keys[] below: its JSON path, its type, where it lands,
 * its default, whether it is a secret and which environment variable
 * overrides it.  Loading the file, applying defaults and the environment,
 * catching unknown keys and docs/configuration.md all follow that table,
 * so a new key is one new row (and one line in the docs).
 *
 * Loading never stops at the first problem: each one is collected as
 * "$.json.path: reason" (or "PMBOT_X: reason" for the environment) so
 * that an operator fixes the whole file in one pass.  Secrets only come
 * from the environment, are registered with the log's redaction at once,
 * and never appear in a problem.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "config.h"
#include "config_check.h"
#include "limits.h"
#include "log.h"

enum key_type {
	KT_OBJECT,  /* members land in the same struct */
	KT_ARRAY,   /* array of objects, each one new element */
	KT_MAP,     /* object whose member names come from a fixed list,
		     * each member one new element that records its name */
	KT_STRING,  /* char * */
	KT_LONG,    /* long, from an integer */
	KT_INT,     /* int, from an integer */
	KT_STRLIST, /* struct strlist from an array of strings */
	KT_CONV,    /* a string converted by conv() */
	KT_STRMAP,  /* struct strmap from an object of strings whose member
		     * names are free (checked by strmap_name_ok, those in
		     * names refused); check() applies to the values */
};

#define KF_SECRET 0x1   /* environment only; masked in the log */
#define KF_REQUIRED 0x2 /* must be present in its object */

#define NOFIELD SIZE_MAX

struct config_key;
typedef int (*conv_fn)(
    void *base, const struct config_key *k, const char *s, struct buf *why);

struct config_key {
	const char *path; /* "meetings[].reminders[].offset" */
	enum key_type type;
	size_t off;  /* in the enclosing struct, NOFIELD: checked only */
	size_t off2; /* arrays and maps: the count; KT_CONV: second field */
	size_t elem_size;
	size_t name_off;          /* maps: where the member name lands */
	const char *const *names; /* maps: the allowed member names */
	const char *def;          /* default as text, NULL: none */
	unsigned flags;
	const char *env; /* overriding environment variable */
	long min, max;   /* KT_LONG, KT_INT */
	long scale;      /* KT_LONG: stored as value * scale (0: as is) */
	int (*check)(const char *s, struct buf *why);
	conv_fn conv;
};

static int conv_log_level(
    void *, const struct config_key *, const char *, struct buf *);
static int conv_log_format(
    void *, const struct config_key *, const char *, struct buf *);
static int conv_start(
    void *, const struct config_key *, const char *, struct buf *);
static int conv_offset(
    void *, const struct config_key *, const char *, struct buf *);
static int conv_from(
    void *, const struct config_key *, const char *, struct buf *);
static int conv_hhmm(
    void *, const struct config_key *, const char *, struct buf *);
static int conv_weekday(
    void *, const struct config_key *, const char *, struct buf *);
static int conv_duration(
    void *, const struct config_key *, const char *, struct buf *);

static const char *const rotation_names[] = {"twitter", "triage", NULL};
static const char *const checklist_names[] = {
    "pre-launch", "post-launch", "post-experiment", NULL};
/* Fields pmbot fills itself on a QA ticket: jira.fields may not set them
 * a second way (Jira would take one and drop the other silently). */
static const char *const jira_own_fields[] = {"project", "issuetype", "summary",
    "description", "labels", "components", "assignee", NULL};

#define C(f) offsetof(struct config, f)
#define A(f) offsetof(struct area, f)
#define M(f) offsetof(struct meeting, f)
#define R(f) offsetof(struct meeting_reminder, f)
#define ROT(f) offsetof(struct rotation_conf, f)
#define CL(f) offsetof(struct checklist_conf, f)
#define CI(f) offsetof(struct checklist_item_conf, f)

/* One row per key.  The macros only spell the common shapes shorter;
 * each expands to a plain struct config_key. */
#define KEY_OBJ(p)                           \
	{                                    \
		.path = p, .type = KT_OBJECT \
	}
#define KEY_STR(p, o, d, fl, e, chk)                                           \
	{                                                                      \
		.path = p, .type = KT_STRING, .off = o, .def = d, .flags = fl, \
		.env = e, .check = chk                                         \
	}
#define KEY_SECRET(p, o, e)                                                 \
	{                                                                   \
		.path = p, .type = KT_STRING, .off = o, .flags = KF_SECRET, \
		.env = e                                                    \
	}
#define KEY_SECRET_LIST(p, o, e)                                             \
	{                                                                    \
		.path = p, .type = KT_STRLIST, .off = o, .flags = KF_SECRET, \
		.env = e                                                     \
	}
#define KEY_LIST(p, o, fl, chk)                                       \
	{                                                             \
		.path = p, .type = KT_STRLIST, .off = o, .flags = fl, \
		.check = chk                                          \
	}
#define KEY_NUM(t, p, o, d, lo, hi)                                            \
	{                                                                      \
		.path = p, .type = t, .off = o, .def = d, .min = lo, .max = hi \
	}
#define KEY_SCALED(p, o, d, lo, hi, mul)                                   \
	{                                                                  \
		.path = p, .type = KT_LONG, .off = o, .def = d, .min = lo, \
		.max = hi, .scale = mul                                    \
	}
#define KEY_CONV(p, o, o2, d, fl, e, fn)                                    \
	{                                                                   \
		.path = p, .type = KT_CONV, .off = o, .off2 = o2, .def = d, \
		.flags = fl, .env = e, .conv = fn                           \
	}
#define KEY_STRMAP(p, o, refused, chk)                                    \
	{                                                                 \
		.path = p, .type = KT_STRMAP, .off = o, .names = refused, \
		.check = chk                                              \
	}
#define KEY_ARRAY(p, o, n, size)                                  \
	{                                                         \
		.path = p, .type = KT_ARRAY, .off = o, .off2 = n, \
		.elem_size = size                                 \
	}
#define KEY_MAP(p, o, n, size, name, allowed)                         \
	{                                                             \
		.path = p, .type = KT_MAP, .off = o, .off2 = n,       \
		.elem_size = size, .name_off = name, .names = allowed \
	}

/* The one table of known keys; docs/configuration.md follows its order. */
static const struct config_key config_keys[] = {
    KEY_NUM(KT_LONG, "version", NOFIELD, "1", 1, 1),
    KEY_STR("timezone", C(timezone), "UTC", 0, NULL, config_check_timezone),
    KEY_STR("bot_name", C(bot_name), "pmbot", 0, NULL, config_check_user),
    KEY_OBJ("log"),
    KEY_CONV("log.level", C(log_level), 0, "info", 0, "PMBOT_LOG_LEVEL",
	conv_log_level),
    KEY_CONV("log.format", C(log_format), 0, "text", 0, "PMBOT_LOG_FORMAT",
	conv_log_format),
    KEY_OBJ("redis"),
    KEY_STR("redis.url", C(redis_url), "redis://127.0.0.1:6379/0", 0,
	"PMBOT_REDIS_URL", config_check_redis_url),
    KEY_STR("redis.prefix", C(redis_prefix), "pmbot:", 0, "PMBOT_REDIS_PREFIX",
	config_check_prefix),
    KEY_OBJ("http"),
    KEY_STR("http.listen", C(http_listen), "127.0.0.1:8787", 0,
	"PMBOT_HTTP_LISTEN", config_check_host_port),
    KEY_STR("http.public_url", C(public_url), NULL, 0, "PMBOT_PUBLIC_URL",
	config_check_http_url),
    KEY_SECRET(
	"http.calendar_token", C(calendar_token), "PMBOT_CALENDAR_TOKEN"),
    KEY_OBJ("mattermost"),
    KEY_STR("mattermost.url", C(mm_url), NULL, 0, "PMBOT_MATTERMOST_URL",
	config_check_http_url),
    KEY_SECRET("mattermost.token", C(mm_token), "PMBOT_MATTERMOST_TOKEN"),
    KEY_STR("mattermost.team", C(mm_team), NULL, 0, "PMBOT_MATTERMOST_TEAM",
	config_check_channel),
    KEY_SECRET_LIST("mattermost.command_tokens", C(mm_command_tokens),
	"PMBOT_MATTERMOST_COMMAND_TOKENS"),
    KEY_OBJ("slack"),
    KEY_SECRET("slack.app_token", C(slack_app_token), "PMBOT_SLACK_APP_TOKEN"),
    KEY_SECRET("slack.bot_token", C(slack_bot_token), "PMBOT_SLACK_BOT_TOKEN"),
    KEY_STR("slack.api_url", C(slack_api_url), "https://slack.com/api/", 0,
	"PMBOT_SLACK_API_URL", config_check_http_url),
    KEY_NUM(KT_INT, "slack.connections", C(slack_connections), "1", 1, 10),
    KEY_SECRET("slack.signing_secret", C(slack_signing_secret),
	"PMBOT_SLACK_SIGNING_SECRET"),
    KEY_OBJ("jira"),
    KEY_STR("jira.url", C(jira_url), NULL, 0, "PMBOT_JIRA_URL",
	config_check_http_url),
    KEY_STR("jira.user", C(jira_user), NULL, 0, "PMBOT_JIRA_USER",
	config_check_text),
    KEY_SECRET("jira.token", C(jira_token), "PMBOT_JIRA_TOKEN"),
    KEY_STR("jira.project", C(jira_project), NULL, 0, NULL,
	config_check_jira_project),
    KEY_STR("jira.issue_type", C(jira_issue_type), "Nimbus/Remote delivery", 0,
	NULL, config_check_text),
    KEY_LIST("jira.labels", C(jira_labels), 0, config_check_prefix),
    KEY_LIST("jira.components", C(jira_components), 0, config_check_text),
    KEY_STR(
	"jira.assignee", C(jira_assignee), NULL, 0, NULL, config_check_text),
    KEY_STRMAP(
	"jira.fields", C(jira_fields), jira_own_fields, config_check_text),
    KEY_STR("experimenter_url", C(experimenter_url), NULL, 0, NULL,
	config_check_experimenter_url),
    KEY_STR("guide", C(guide_path), NULL, 0, NULL, config_check_text),
    KEY_OBJ("channels"),
    KEY_STR("channels.ask", C(ch_ask), "ask-experimenter", 0, NULL,
	config_check_channel),
    KEY_LIST("channels.pm", C(ch_pm), 0, config_check_channel),
    KEY_STR(
	"channels.twitter", C(ch_twitter), NULL, 0, NULL, config_check_channel),
    KEY_STR(
	"channels.triage", C(ch_triage), NULL, 0, NULL, config_check_channel),
    KEY_STR("channels.announce", C(ch_announce), NULL, 0, NULL,
	config_check_channel),
    KEY_OBJ("roles"),
    KEY_LIST("roles.admins", C(admins), 0, config_check_user),
    KEY_LIST("roles.pms", C(pms), 0, config_check_user),
    KEY_LIST("roles.marketing", C(marketing), 0, config_check_user),
    KEY_STR("roles.pm_group", C(pm_group), NULL, 0, NULL, config_check_user),
    KEY_ARRAY("areas", C(areas), C(nareas), sizeof(struct area)),
    KEY_STR(
	"areas[].name", A(name), NULL, KF_REQUIRED, NULL, config_check_text),
    KEY_STR(
	"areas[].owner", A(owner), NULL, KF_REQUIRED, NULL, config_check_user),
    KEY_LIST("areas[].keywords", A(keywords), KF_REQUIRED, config_check_text),
    KEY_ARRAY("meetings", C(meetings), C(nmeetings), sizeof(struct meeting)),
    KEY_STR("meetings[].id", M(id), NULL, KF_REQUIRED, NULL, config_check_slug),
    KEY_STR("meetings[].title", M(title), NULL, KF_REQUIRED, NULL,
	config_check_text),
    KEY_STR("meetings[].channel", M(channel), NULL, KF_REQUIRED, NULL,
	config_check_channel),
    KEY_STR("meetings[].timezone", M(timezone), NULL, 0, NULL,
	config_check_timezone),
    KEY_CONV(
	"meetings[].start", M(dtstart), 0, NULL, KF_REQUIRED, NULL, conv_start),
    KEY_NUM(KT_LONG, "meetings[].duration_minutes", M(duration_min), "30", 1,
	24 * 60),
    KEY_STR("meetings[].rrule", M(rrule), NULL, KF_REQUIRED, NULL,
	config_check_rrule),
    KEY_STR("meetings[].description", M(description), NULL, 0, NULL,
	config_check_text),
    KEY_ARRAY("meetings[].reminders", M(reminders), M(nreminders),
	sizeof(struct meeting_reminder)),
    KEY_STR("meetings[].reminders[].id", R(id), NULL, KF_REQUIRED, NULL,
	config_check_slug),
    KEY_CONV("meetings[].reminders[].offset", R(offset_min), 0, "0m", 0, NULL,
	conv_offset),
    KEY_CONV("meetings[].reminders[].from", R(after_end), 0, "start", 0, NULL,
	conv_from),
    KEY_CONV("meetings[].reminders[].at", R(at_hour), R(at_min), NULL, 0, NULL,
	conv_hhmm),
    KEY_STR("meetings[].reminders[].text", R(text), NULL, KF_REQUIRED, NULL,
	config_check_text),
    KEY_MAP("rotations", C(rotations), C(nrotations),
	sizeof(struct rotation_conf), ROT(name), rotation_names),
    KEY_OBJ("rotations.*"),
    KEY_LIST(
	"rotations.*.members", ROT(members), KF_REQUIRED, config_check_user),
    KEY_OBJ("rotations.*.handoff"),
    KEY_CONV("rotations.*.handoff.weekday", ROT(handoff_weekday), 0, "monday",
	0, NULL, conv_weekday),
    KEY_CONV("rotations.*.handoff.time", ROT(handoff_hour), ROT(handoff_min),
	"09:00", 0, NULL, conv_hhmm),
    KEY_STR("rotations.*.handoff.timezone", ROT(timezone), NULL, 0, NULL,
	config_check_timezone),
    KEY_STR("rotations.*.channel", ROT(channel), NULL, 0, NULL,
	config_check_channel),
    KEY_STR(
	"rotations.*.meeting", ROT(meeting), NULL, 0, NULL, config_check_slug),
    KEY_NUM(KT_LONG, "rotations.*.ack_minutes", ROT(ack_minutes), "30", 1,
	7 * 24 * 60),
    KEY_NUM(KT_LONG, "rotations.*.escalate_minutes", ROT(escalate_minutes),
	"60", 1, 7 * 24 * 60),
    KEY_CONV(
	"rotations.*.ack_after", ROT(ack_s), 0, NULL, 0, NULL, conv_duration),
    KEY_CONV("rotations.*.escalate_after", ROT(escalate_s), 0, NULL, 0, NULL,
	conv_duration),
    KEY_MAP("checklists", C(checklists), C(nchecklists),
	sizeof(struct checklist_conf), CL(name), checklist_names),
    KEY_ARRAY("checklists.*", CL(items), CL(nitems),
	sizeof(struct checklist_item_conf)),
    KEY_STR("checklists.*[].id", CI(id), NULL, KF_REQUIRED, NULL,
	config_check_slug),
    KEY_STR("checklists.*[].text", CI(text), NULL, KF_REQUIRED, NULL,
	config_check_text),
    KEY_STR(
	"checklists.*[].auto", CI(auto_on), NULL, 0, NULL, config_check_auto),
    KEY_OBJ("reminders"),
    KEY_SCALED("reminders.horizon_hours", C(reminder_horizon_min), "24", 1,
	24 * 30, 60),
    KEY_OBJ("limits"),
    KEY_NUM(
	KT_INT, "limits.commands_per_minute", C(rate_commands), "20", 1, 1000),
};

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/* Where a root value came from, for messages about it. */
enum origin { FROM_FILE, FROM_ENV, FROM_ENV_FILE };

struct loader {
	struct config *cfg;
	struct config_problems *probs;
	int use_env;
	enum origin origin[NKEYS];
};

const char *
config_key_path(size_t i)
{
	return i < NKEYS ? config_keys[i].path : NULL;
}

const char *
config_key_env(size_t i)
{
	return i < NKEYS ? config_keys[i].env : NULL;
}

static void
problems_add(struct config_problems *probs, const char *text)
{
	/* Belt and braces: whatever reaches a problem is redacted too. */
	probs->v = xrealloc(probs->v, (probs->n + 1) * sizeof(char *));
	probs->v[probs->n++] = log_redact(text);
}

static void problem(struct loader *ld, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct loader *ld, const char *label, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_printf(&b, "%s: ", label);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	problems_add(ld->probs, buf_str(&b));
	buf_free(&b);
}

static void *
field(void *base, size_t off)
{
	return (char *)base + off;
}

static size_t
key_index(const struct config_key *k)
{
	return (size_t)(k - config_keys);
}

static const struct config_key *
key_find(const char *path)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].path, path) == 0)
			return &config_keys[i];
	return NULL;
}

/* The object a key sits in: "meetings[].id" -> "meetings[]". */
static size_t
parent_len(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot == NULL ? 0 : (size_t)(dot - path);
}

/* The element a key's value lands in: the path up to the last "[]" or
 * ".*" before its own name; "" for struct config itself. */
static size_t
scope_len(const char *path)
{
	size_t i, len = strlen(path), scope = 0;

	for (i = 0; i + 1 < len; i++) {
		if (path[i] == '[' && path[i + 1] == ']' && i + 2 < len)
			scope = i + 2;
		/* A map's entry ("checklists.*") is its own element. */
		if (path[i] == '.' && path[i + 1] == '*')
			scope = i + 2;
	}
	return scope;
}

static int
same_prefix(const char *path, size_t len, const char *prefix)
{
	return strlen(prefix) == len && strncmp(path, prefix, len) == 0;
}

static void
strlist_clear(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
strlist_push(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(char *));
	l->v[l->n++] = xstrdup(s);
}

static void
store_string(void *base, const struct config_key *k, const char *s)
{
	char **p = field(base, k->off);

	free(*p);
	*p = xstrdup(s);
}

static int
store_integer(struct loader *ld, void *base, const struct config_key *k, long v,
    const char *label)
{
	if (v < k->min || v > k->max) {
		problem(
		    ld, label, "must be between %ld and %ld", k->min, k->max);
		return -1;
	}
	if (k->off == NOFIELD)
		return 0;
	if (k->type == KT_INT)
		*(int *)field(base, k->off) = (int)v;
	else
		*(long *)field(base, k->off) = k->scale > 0 ? v * k->scale : v;
	return 0;
}

/* A string value of a scalar key, wherever it came from: file, default
 * or environment.  The value is quoted back only when not secret. */
static int
set_text(struct loader *ld, void *base, const struct config_key *k,
    const char *s, const char *label)
{
	struct buf why = BUF_INIT;
	const char *p;
	char *end, *item;
	long v;
	int rc = 0;

	switch (k->type) {
	case KT_STRING:
		if (s[0] == '\0') {
			problem(ld, label, "must not be empty");
			return -1;
		}
		if (k->check != NULL && k->check(s, &why) == -1)
			rc = -1;
		else
			store_string(base, k, s);
		break;
	case KT_LONG:
	case KT_INT:
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0') {
			problem(ld, label, "must be an integer");
			return -1;
		}
		return store_integer(ld, base, k, v, label);
	case KT_STRLIST:
		/* From the environment: comma-separated, spaces trimmed. */
		strlist_clear(field(base, k->off));
		for (p = s; *p != '\0';) {
			p += strspn(p, " ,");
			if (*p == '\0')
				break;
			item = xstrndup(p, strcspn(p, ","));
			p += strlen(item);
			for (v = (long)strlen(item);
			     v > 0 && item[v - 1] == ' ';)
				item[--v] = '\0';
			if (k->check != NULL && k->check(item, &why) == -1)
				rc = -1;
			else
				strlist_push(field(base, k->off), item);
			free(item);
		}
		break;
	case KT_CONV:
		rc = k->conv(base, k, s, &why);
		break;
	default:
		break;
	}
	if (rc == -1) {
		if (k->flags & KF_SECRET)
			problem(ld, label, "is not valid");
		else
			problem(ld, label, "%s", buf_str(&why));
	}
	buf_free(&why);
	return rc;
}

static void
apply_defaults(struct loader *ld, void *base, const char *scope)
{
	const struct config_key *k;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		k = &config_keys[i];
		if (!same_prefix(k->path, scope_len(k->path), scope))
			continue;
		if (k->def != NULL)
			set_text(ld, base, k, k->def, k->path);
		else if (k->type == KT_CONV)
			k->conv(base, k, NULL, NULL);
	}
}

static void set_value(struct loader *ld, void *base, const struct config_key *k,
    const cJSON *v, const char *dpath);

static void
suggest(struct buf *b, const char *name, const char *parent,
    const struct config_key *map)
{
	const char *best = NULL, *cand;
	size_t i, d, bestd = 3, plen = strlen(parent);

	for (i = 0; map != NULL && map->names[i] != NULL; i++) {
		d = config_edit_distance(name, map->names[i], 2);
		if (d < bestd) {
			bestd = d;
			best = map->names[i];
		}
	}
	for (i = 0; map == NULL && i < NKEYS; i++) {
		cand = config_keys[i].path;
		if (!same_prefix(cand, parent_len(cand), parent))
			continue;
		cand += plen + (plen > 0);
		d = config_edit_distance(name, cand, 2);
		if (d < bestd && d < strlen(name)) {
			bestd = d;
			best = cand;
		}
	}
	if (best != NULL)
		buf_printf(b, "; did you mean \"%s\"?", best);
}

static void
unknown_key(struct loader *ld, const char *dpath, const char *name,
    const char *parent, const struct config_key *map)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s: unknown key ", dpath);
	config_quote(&b, name);
	suggest(&b, name, parent, map);
	problems_add(ld->probs, buf_str(&b));
	buf_free(&b);
}

/* Every required key directly inside the object at kpath is present. */
static void
check_required(
    struct loader *ld, const cJSON *obj, const char *kpath, const char *dpath)
{
	const struct config_key *k;
	const char *name;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		k = &config_keys[i];
		if (!(k->flags & KF_REQUIRED) ||
		    !same_prefix(k->path, parent_len(k->path), kpath))
			continue;
		name = k->path + parent_len(k->path) + 1;
		if (cJSON_GetObjectItemCaseSensitive(obj, name) == NULL)
			problem(ld, dpath, "\"%s\" is required", name);
	}
}

static void *
map_add(void *base, const struct config_key *map, const char *name)
{
	void **arr = field(base, map->off);
	size_t *n = field(base, map->off2);
	char *elem;

	*arr = xrealloc(*arr, (*n + 1) * map->elem_size);
	elem = (char *)*arr + *n * map->elem_size;
	memset(elem, 0, map->elem_size);
	(*n)++;
	*(char **)(elem + map->name_off) = xstrdup(name);
	return elem;
}

static int
map_allows(const struct config_key *map, const char *name)
{
	size_t i;

	for (i = 0; map->names[i] != NULL; i++)
		if (strcmp(map->names[i], name) == 0)
			return 1;
	return 0;
}

/*
 * Walks one JSON object whose keys live under kpath, storing into base.
 * A member seen twice is a problem (cJSON keeps both, and which one wins
 * would be an accident); known keys are marked per object so that a huge
 * object costs one table lookup per member, not a comparison per pair.
 */
static void
walk_object(struct loader *ld, const cJSON *obj, void *base, const char *kpath,
    const char *dpath, const struct config_key *map)
{
	unsigned char seen[NKEYS + 8];
	const struct config_key *k;
	struct buf kp = BUF_INIT, dp = BUF_INIT;
	const cJSON *m;
	void *elem;
	size_t i, slot;

	memset(seen, 0, sizeof(seen));
	cJSON_ArrayForEach (m, obj) {
		buf_reset(&kp);
		buf_reset(&dp);
		buf_printf(&dp, "%s.%s", dpath, m->string);
		if (map != NULL) {
			if (!map_allows(map, m->string)) {
				unknown_key(
				    ld, buf_str(&dp), m->string, kpath, map);
				continue;
			}
			buf_printf(&kp, "%s.*", kpath);
		} else if (kpath[0] == '\0')
			buf_puts(&kp, m->string);
		else
			buf_printf(&kp, "%s.%s", kpath, m->string);
		k = key_find(buf_str(&kp));
		if (k == NULL) {
			unknown_key(ld, buf_str(&dp), m->string, kpath, NULL);
			continue;
		}
		slot = key_index(k);
		if (map != NULL)
			for (i = 0; map->names[i] != NULL; i++)
				if (strcmp(map->names[i], m->string) == 0)
					slot = NKEYS + i;
		if (seen[slot]) {
			problem(ld, buf_str(&dp), "duplicate key");
			continue;
		}
		seen[slot] = 1;
		if (map != NULL) {
			elem = map_add(base, map, m->string);
			apply_defaults(ld, elem, k->path);
			set_value(ld, elem, k, m, buf_str(&dp));
		} else
			set_value(ld, base, k, m, buf_str(&dp));
	}
	buf_free(&kp);
	buf_free(&dp);
}

static void
set_array(struct loader *ld, void *base, const struct config_key *k,
    const cJSON *v, const char *dpath)
{
	struct buf ep = BUF_INIT, dp = BUF_INIT;
	const cJSON *item;
	void **arr = field(base, k->off);
	size_t *n = field(base, k->off2);
	char *elem;
	size_t i = 0, count = (size_t)cJSON_GetArraySize(v);

	buf_printf(&ep, "%s[]", k->path);
	*arr = xcalloc(count > 0 ? count : 1, k->elem_size);
	*n = count;
	cJSON_ArrayForEach (item, v) {
		elem = (char *)*arr + i * k->elem_size;
		buf_reset(&dp);
		buf_printf(&dp, "%s[%zu]", dpath, i++);
		apply_defaults(ld, elem, buf_str(&ep));
		if (!cJSON_IsObject(item)) {
			problem(ld, buf_str(&dp), "expected an object");
			continue;
		}
		walk_object(ld, item, elem, buf_str(&ep), buf_str(&dp), NULL);
		check_required(ld, item, buf_str(&ep), buf_str(&dp));
	}
	buf_free(&ep);
	buf_free(&dp);
}

static void
set_strlist(struct loader *ld, void *base, const struct config_key *k,
    const cJSON *v, const char *dpath)
{
	struct buf why = BUF_INIT, lb = BUF_INIT;
	struct strlist *l = field(base, k->off);
	const cJSON *item;
	size_t i = 0;

	strlist_clear(l);
	cJSON_ArrayForEach (item, v) {
		buf_reset(&why);
		if (!cJSON_IsString(item) || item->valuestring[0] == '\0')
			buf_puts(&why, "expected a non-empty string");
		else if (k->check != NULL)
			k->check(item->valuestring, &why);
		if (why.len > 0) {
			buf_reset(&lb);
			buf_printf(&lb, "%s[%zu]", dpath, i);
			problem(ld, buf_str(&lb), "%s", buf_str(&why));
		} else
			strlist_push(l, item->valuestring);
		i++;
	}
	buf_free(&why);
	buf_free(&lb);
}

/* A Jira field id: "customfield_10010", "priority", "duedate". */
static int
strmap_name_ok(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i <= 64;
}

static void
strmap_clear(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->names[i]);
		free(m->values[i]);
	}
	free(m->names);
	free(m->values);
	free(m->json);
	memset(m, 0, sizeof(*m));
}

static void
set_strmap(struct loader *ld, void *base, const struct config_key *k,
    const cJSON *v, const char *dpath)
{
	struct buf why = BUF_INIT, lb = BUF_INIT;
	struct strmap *m = field(base, k->off);
	const cJSON *item;
	size_t i;

	strmap_clear(m);
	cJSON_ArrayForEach (item, v) {
		buf_reset(&why);
		buf_reset(&lb);
		buf_printf(&lb, "%s.%s", dpath, item->string);
		if (!strmap_name_ok(item->string))
			buf_puts(&why, "not a Jira field id (letters, digits "
				       "and '_', such as customfield_10010)");
		else if (k->names != NULL && map_allows(k, item->string))
			buf_puts(&why, "pmbot sets this field itself");
		else if (cJSON_IsNull(item) ||
			 (cJSON_IsString(item) && item->valuestring[0] == '\0'))
			buf_puts(&why, "expected a value (a string, or the "
				       "object, array or number the field "
				       "takes)");
		else if (cJSON_IsString(item) && k->check != NULL)
			k->check(item->valuestring, &why);
		for (i = 0; why.len == 0 && i < m->n; i++)
			if (strcmp(m->names[i], item->string) == 0)
				buf_puts(&why, "duplicate key");
		if (why.len > 0) {
			problem(ld, buf_str(&lb), "%s", buf_str(&why));
			continue;
		}
		m->names = xrealloc(m->names, (m->n + 1) * sizeof(m->names[0]));
		m->values =
		    xrealloc(m->values, (m->n + 1) * sizeof(m->values[0]));
		m->json = xrealloc(m->json, (m->n + 1) * sizeof(m->json[0]));
		m->names[m->n] = xstrdup(item->string);
		/* Select, user and multi-value fields take objects and
		 * arrays: kept as JSON text and sent as they were written. */
		m->json[m->n] = !cJSON_IsString(item);
		m->values[m->n] = m->json[m->n] ? cJSON_PrintUnformatted(item)
						: xstrdup(item->valuestring);
		if (m->values[m->n] == NULL)
			fatal("config: out of memory");
		m->n++;
	}
	buf_free(&why);
	buf_free(&lb);
}

static void
set_value(struct loader *ld, void *base, const struct config_key *k,
    const cJSON *v, const char *dpath)
{
	double d;

	if (k->flags & KF_SECRET) {
		problem(ld, dpath,
		    "secrets are not read from the file; set %s or %s_FILE "
		    "in the environment",
		    k->env, k->env);
		return;
	}
	/* The environment wins; the file's value is not even looked at. */
	if (ld->use_env && k->env != NULL && getenv(k->env) != NULL &&
	    getenv(k->env)[0] != '\0')
		return;
	switch (k->type) {
	case KT_OBJECT:
	case KT_MAP:
		if (!cJSON_IsObject(v)) {
			problem(ld, dpath, "expected an object");
			return;
		}
		walk_object(
		    ld, v, base, k->path, dpath, k->type == KT_MAP ? k : NULL);
		if (k->type == KT_OBJECT)
			check_required(ld, v, k->path, dpath);
		return;
	case KT_STRMAP:
		if (!cJSON_IsObject(v)) {
			problem(ld, dpath, "expected an object");
			return;
		}
		set_strmap(ld, base, k, v, dpath);
		return;
	case KT_ARRAY:
	case KT_STRLIST:
		if (!cJSON_IsArray(v)) {
			problem(ld, dpath, "expected an array");
			return;
		}
		if (k->type == KT_ARRAY)
			set_array(ld, base, k, v, dpath);
		else
			set_strlist(ld, base, k, v, dpath);
		return;
	case KT_LONG:
	case KT_INT:
		d = v->valuedouble;
		/* Range first: casting an out-of-range double is undefined. */
		if (!cJSON_IsNumber(v) || d < -1e9 || d > 1e9 ||
		    d != (double)(long)d) {
			problem(ld, dpath, "expected an integer");
			return;
		}
		store_integer(ld, base, k, (long)d, dpath);
		return;
	case KT_STRING:
	case KT_CONV:
		if (!cJSON_IsString(v)) {
			problem(ld, dpath, "expected a string");
			return;
		}
		set_text(ld, base, k, v->valuestring, dpath);
		return;
	}
}

static int
read_secret_file(
    struct loader *ld, const char *var, const char *path, struct buf *out)
{
	char chunk[4096];
	FILE *fp;
	size_t n;

	fp = fopen(path, "r");
	if (fp == NULL) {
		problem(
		    ld, var, "cannot read \"%s\": %s", path, strerror(errno));
		return -1;
	}
	buf_init(out, LIMIT_CONFIG_FILE);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_append(out, chunk, n) == -1)
			break;
	if (ferror(fp) || n > 0) {
		problem(ld, var, "cannot read \"%s\": %s", path,
		    n > 0 ? "file too large" : strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	while (out->len > 0 && (out->data[out->len - 1] == '\n' ||
				   out->data[out->len - 1] == '\r'))
		out->data[--out->len] = '\0';
	if (out->len == 0) {
		problem(ld, var, "\"%s\" is empty", path);
		return -1;
	}
	return 0;
}

static void
register_secrets(const struct config *cfg)
{
	const struct config_key *k;
	const struct strlist *l;
	char *pw;
	size_t i, j;

	for (i = 0; i < NKEYS; i++) {
		k = &config_keys[i];
		if (!(k->flags & KF_SECRET))
			continue;
		if (k->type == KT_STRING) {
			log_add_secret(*(char **)field((void *)cfg, k->off));
			continue;
		}
		l = field((void *)cfg, k->off);
		for (j = 0; j < l->n; j++)
			log_add_secret(l->v[j]);
	}
	if (cfg->redis_url != NULL) {
		pw = config_redis_password(cfg->redis_url);
		log_add_secret(pw);
		free(pw);
	}
}

/* PMBOT_X overrides the file; a secret may come from PMBOT_X_FILE. */
static void
apply_env(struct loader *ld)
{
	const struct config_key *k;
	struct buf name = BUF_INIT, content = BUF_INIT;
	const char *val, *path;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		k = &config_keys[i];
		if (k->env == NULL)
			continue;
		val = getenv(k->env);
		path = NULL;
		buf_reset(&name);
		buf_printf(&name, "%s_FILE", k->env);
		if (k->flags & KF_SECRET)
			path = getenv(buf_str(&name));
		if (path != NULL && path[0] == '\0')
			path = NULL;
		if (val != NULL && val[0] != '\0' && path != NULL) {
			problem(ld, buf_str(&name),
			    "set together with %s; use "
			    "one of them",
			    k->env);
			continue;
		}
		if (path != NULL) {
			buf_free(&content);
			if (read_secret_file(
				ld, buf_str(&name), path, &content) == -1)
				continue;
			/* Registered before anything could print it. */
			log_add_secret(buf_str(&content));
			ld->origin[i] = FROM_ENV_FILE;
			set_text(
			    ld, ld->cfg, k, buf_str(&content), buf_str(&name));
		} else if (val != NULL && val[0] != '\0') {
			if (k->flags & KF_SECRET)
				log_add_secret(val);
			ld->origin[i] = FROM_ENV;
			set_text(ld, ld->cfg, k, val, k->env);
		}
	}
	buf_free(&content);
	buf_free(&name);
}

/* How to name a root key in a message: its variable when the
 * environment set it (or must set it, for secrets), else its path. */
static void
root_label(struct loader *ld, const char *path, struct buf *b)
{
	const struct config_key *k = key_find(path);
	size_t i = key_index(k);

	buf_reset(b);
	if (ld->origin[i] == FROM_ENV_FILE)
		buf_printf(b, "%s_FILE", k->env);
	else if (ld->origin[i] == FROM_ENV || (k->flags & KF_SECRET))
		buf_puts(b, k->env);
	else
		buf_printf(b, "$.%s", path);
}

static void
require_with(
    struct loader *ld, const void *value, const char *path, const char *because)
{
	struct buf b = BUF_INIT;

	if (value == NULL) {
		root_label(ld, path, &b);
		problem(ld, buf_str(&b), "required when %s", because);
	}
	buf_free(&b);
}

static void
check_token_prefix(
    struct loader *ld, const char *token, const char *path, const char *prefix)
{
	struct buf b = BUF_INIT;

	if (token != NULL && strncmp(token, prefix, strlen(prefix)) != 0) {
		root_label(ld, path, &b);
		/* Which token is wrong, never what it holds. */
		problem(ld, buf_str(&b), "must start with %s", prefix);
	}
	buf_free(&b);
}

/* Index of the first earlier element with the same id, or -1.  The ids
 * are read through a stride so that one loop serves meetings, their
 * reminders and checklist items alike. */
static long
earlier_id(const void *arr, size_t size, size_t idoff, size_t i)
{
	const char *id = *(char *const *)((const char *)arr + i * size + idoff);
	const char *other;
	size_t j;

	for (j = 0; id != NULL && j < i; j++) {
		other = *(char *const *)((const char *)arr + j * size + idoff);
		if (other != NULL && strcmp(other, id) == 0)
			return (long)j;
	}
	return -1;
}

static void
finish_meetings(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	struct buf lb = BUF_INIT;
	struct meeting *m;
	size_t i, j;
	long first;

	for (i = 0; i < cfg->nmeetings; i++) {
		m = &cfg->meetings[i];
		if (m->timezone == NULL && cfg->timezone != NULL)
			m->timezone = xstrdup(cfg->timezone);
		first = earlier_id(cfg->meetings, sizeof(*m), M(id), i);
		if (first >= 0) {
			buf_reset(&lb);
			buf_printf(&lb, "$.meetings[%zu].id", i);
			problem(ld, buf_str(&lb),
			    "duplicate meeting id \"%s\" "
			    "(first at $.meetings[%ld])",
			    m->id, first);
		}
		for (j = 0; j < m->nreminders; j++) {
			if (earlier_id(m->reminders, sizeof(m->reminders[0]),
				R(id), j) < 0)
				continue;
			buf_reset(&lb);
			buf_printf(
			    &lb, "$.meetings[%zu].reminders[%zu].id", i, j);
			problem(ld, buf_str(&lb),
			    "duplicate reminder id \"%s\"", m->reminders[j].id);
		}
	}
	buf_free(&lb);
}

static void
finish_rotations(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	struct buf lb = BUF_INIT;
	struct rotation_conf *r;
	size_t i;

	for (i = 0; i < cfg->nrotations; i++) {
		r = &cfg->rotations[i];
		if (r->timezone == NULL && cfg->timezone != NULL)
			r->timezone = xstrdup(cfg->timezone);
		if (r->channel == NULL)
			r->channel = xstrdup(r->name);
		buf_reset(&lb);
		buf_printf(&lb, "$.rotations.%s.members", r->name);
		if (r->members.n == 0)
			problem(ld, buf_str(&lb),
			    "must name at least one "
			    "member");
		/* duty.c refuses to grow a rotation past this; one that
		 * starts bigger would be stored and scanned unbounded. */
		if (r->members.n > LIMIT_DUTY_MEMBERS)
			problem(ld, buf_str(&lb), "at most %d members",
			    LIMIT_DUTY_MEMBERS);
		buf_reset(&lb);
		buf_printf(&lb, "$.rotations.%s.meeting", r->name);
		if (r->meeting != NULL &&
		    config_meeting(cfg, r->meeting) == NULL)
			problem(ld, buf_str(&lb),
			    "no meeting has the id \"%s\"", r->meeting);
		buf_reset(&lb);
		buf_printf(&lb, "$.rotations.%s.escalate_minutes", r->name);
		if (r->escalate_minutes <= r->ack_minutes)
			problem(ld, buf_str(&lb),
			    "must be more than "
			    "ack_minutes (%ld)",
			    r->ack_minutes);
		/* The durations win over the minutes when given. */
		if (r->ack_s == 0)
			r->ack_s = r->ack_minutes * 60;
		if (r->escalate_s == 0)
			r->escalate_s = r->escalate_minutes * 60;
		buf_reset(&lb);
		buf_printf(&lb, "$.rotations.%s.escalate_after", r->name);
		if (r->escalate_s <= r->ack_s)
			problem(ld, buf_str(&lb),
			    "must be longer than the acknowledgement time "
			    "(%lds)",
			    r->ack_s);
	}
	buf_free(&lb);
}

static void
finish_checklists(struct loader *ld)
{
	struct checklist_conf *cl;
	struct buf lb = BUF_INIT;
	size_t i, j, total = 0;

	for (i = 0; i < ld->cfg->nchecklists; i++) {
		cl = &ld->cfg->checklists[i];
		total += cl->nitems;
		for (j = 0; j < cl->nitems; j++) {
			if (earlier_id(
				cl->items, sizeof(cl->items[0]), CI(id), j) < 0)
				continue;
			buf_reset(&lb);
			buf_printf(&lb, "$.checklists.%s[%zu].id", cl->name, j);
			problem(ld, buf_str(&lb), "duplicate item id \"%s\"",
			    cl->items[j].id);
		}
	}
	/* Items are numbered 1..LIMIT_CHECKLIST_ITEMS across the lists;
	 * more would be cut off without a word. */
	if (total > LIMIT_CHECKLIST_ITEMS)
		problem(ld, "$.checklists", "%zu items in all, at most %d",
		    total, LIMIT_CHECKLIST_ITEMS);
	buf_free(&lb);
}

/* What can only be judged once the file and the environment are in. */
static void
finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	struct buf b = BUF_INIT;

	if (cfg->public_url == NULL && cfg->http_listen != NULL) {
		buf_printf(&b, "http://%s", cfg->http_listen);
		cfg->public_url = buf_detach(&b);
	}
	if (cfg->mm_url != NULL) {
		require_with(ld, cfg->mm_token, "mattermost.token",
		    "the Mattermost URL is set");
		require_with(ld, cfg->mm_team, "mattermost.team",
		    "the Mattermost URL is set");
	}
	/* Socket Mode needs the app token; HTTP mode (the signing secret)
	 * does without it.  Both post with the bot token. */
	if (cfg->slack_app_token != NULL || cfg->slack_bot_token != NULL ||
	    cfg->slack_signing_secret != NULL) {
		if (cfg->slack_signing_secret == NULL)
			require_with(ld, cfg->slack_app_token,
			    "slack.app_token",
			    "a Slack token is set without the signing "
			    "secret");
		require_with(ld, cfg->slack_bot_token, "slack.bot_token",
		    cfg->slack_app_token != NULL || cfg->slack_bot_token != NULL
			? "a Slack token is set"
			: "the Slack signing secret is set");
	}
	check_token_prefix(
	    ld, cfg->slack_app_token, "slack.app_token", "xapp-");
	check_token_prefix(
	    ld, cfg->slack_bot_token, "slack.bot_token", "xoxb-");
	if (cfg->jira_url != NULL) {
		require_with(
		    ld, cfg->jira_token, "jira.token", "the Jira URL is set");
		require_with(ld, cfg->jira_project, "jira.project",
		    "the Jira URL is set");
	}
	finish_meetings(ld);
	finish_rotations(ld);
	finish_checklists(ld);
	buf_free(&b);
}

static void
load_text(struct loader *ld, const char *text, size_t len)
{
	const char *end = NULL;
	cJSON *root;
	char *plain;
	size_t bad, open_at;
	int line, col;

	if (config_utf8_check(text, len, &bad) == -1) {
		config_line_col(text, bad, &line, &col);
		problem(
		    ld, "$", "invalid UTF-8 at line %d, column %d", line, col);
		return;
	}
	plain = config_strip_comments(text, len, &open_at);
	if (open_at != (size_t)-1) {
		config_line_col(text, open_at, &line, &col);
		problem(ld, "$",
		    "comment opened at line %d, column %d never "
		    "ends",
		    line, col);
		free(plain);
		return;
	}
	if (strspn(plain, " \t\r\n") == len) {
		free(plain); /* an empty file: every default applies */
		return;
	}
	root = cJSON_ParseWithLengthOpts(plain, len, &end, 0);
	if (root == NULL) {
		config_line_col(plain, end != NULL ? (size_t)(end - plain) : 0,
		    &line, &col);
		problem(
		    ld, "$", "syntax error at line %d, column %d", line, col);
	} else if (!cJSON_IsObject(root))
		problem(ld, "$", "expected an object at the top level");
	else
		walk_object(ld, root, ld->cfg, "", "$", NULL);
	cJSON_Delete(root);
	free(plain);
}

static void
loader_init(struct loader *ld, struct config *cfg,
    struct config_problems *probs, int use_env)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(probs, 0, sizeof(*probs));
	memset(ld, 0, sizeof(*ld));
	ld->cfg = cfg;
	ld->probs = probs;
	ld->use_env = use_env;
	apply_defaults(ld, cfg, "");
}

int
config_load_string(
    struct config *cfg, const char *json, struct config_problems *probs)
{
	struct loader ld;

	loader_init(&ld, cfg, probs, 0);
	load_text(&ld, json, strlen(json));
	finish(&ld);
	register_secrets(cfg);
	return probs->n > 0 ? -1 : 0;
}

static int
read_config_file(struct loader *ld, const char *path)
{
	char chunk[8192];
	struct buf b;
	FILE *fp;
	size_t n;
	int rc = 0;

	fp = fopen(path, "r");
	if (fp == NULL) {
		problem(
		    ld, "$", "cannot read \"%s\": %s", path, strerror(errno));
		return -1;
	}
	buf_init(&b, LIMIT_CONFIG_FILE);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_append(&b, chunk, n) == -1)
			break;
	if (n > 0) {
		problem(ld, "$", "\"%s\" is larger than %d bytes", path,
		    LIMIT_CONFIG_FILE);
		rc = -1;
	} else if (ferror(fp)) {
		problem(
		    ld, "$", "cannot read \"%s\": %s", path, strerror(errno));
		rc = -1;
	} else
		load_text(ld, buf_str(&b), b.len);
	fclose(fp);
	buf_free(&b);
	return rc;
}

int
config_load(struct config *cfg, const char *path, struct config_problems *probs)
{
	static const char *const fallbacks[] = {
	    "config/pmbot.json", "/etc/pmbot/pmbot.json"};
	struct loader ld;
	size_t i;

	loader_init(&ld, cfg, probs, 1);
	if (path == NULL && getenv("PMBOT_CONFIG") != NULL &&
	    getenv("PMBOT_CONFIG")[0] != '\0')
		path = getenv("PMBOT_CONFIG");
	/* Only the fallbacks may be missing: a named file must exist. */
	for (i = 0; path == NULL && i < 2; i++)
		if (access(fallbacks[i], F_OK) == 0)
			path = fallbacks[i];
	if (path != NULL) {
		cfg->path = xstrdup(path);
		read_config_file(&ld, path);
	}
	apply_env(&ld);
	finish(&ld);
	register_secrets(cfg);
	return probs->n > 0 ? -1 : 0;
}

static void
free_by_table(void *base, const char *scope)
{
	const struct config_key *k;
	struct buf inner = BUF_INIT;
	char *arr, *elem;
	size_t i, j, n;

	for (i = 0; i < NKEYS; i++) {
		k = &config_keys[i];
		if (k->off == NOFIELD ||
		    !same_prefix(k->path, scope_len(k->path), scope))
			continue;
		switch (k->type) {
		case KT_STRING:
			free(*(char **)field(base, k->off));
			break;
		case KT_CONV:
			if (k->conv == conv_start)
				free(*(char **)field(base, k->off));
			break;
		case KT_STRLIST:
			strlist_clear(field(base, k->off));
			break;
		case KT_STRMAP:
			strmap_clear(field(base, k->off));
			break;
		case KT_ARRAY:
		case KT_MAP:
			arr = *(char **)field(base, k->off);
			n = *(size_t *)field(base, k->off2);
			buf_reset(&inner);
			buf_printf(&inner, "%s%s", k->path,
			    k->type == KT_MAP ? ".*" : "[]");
			for (j = 0; j < n; j++) {
				elem = arr + j * k->elem_size;
				if (k->type == KT_MAP)
					free(*(char **)(elem + k->name_off));
				free_by_table(elem, buf_str(&inner));
			}
			free(arr);
			break;
		default:
			break;
		}
	}
	buf_free(&inner);
}

void
config_free(struct config *cfg)
{
	free(cfg->path);
	free_by_table(cfg, "");
	memset(cfg, 0, sizeof(*cfg));
}

void
config_problems_free(struct config_problems *probs)
{
	size_t i;

	for (i = 0; i < probs->n; i++)
		free(probs->v[i]);
	free(probs->v);
	probs->v = NULL;
	probs->n = 0;
}

/*
 * Conversions: each turns the text of a key into its field(s).  Called
 * with s == NULL (and why == NULL) they set the "unset" state, which
 * apply_defaults uses for keys without a default.
 */
static int
conv_log_level(
    void *base, const struct config_key *k, const char *s, struct buf *why)
{
	int v = s != NULL ? log_level_parse(s) : LOG_INFO;

	if (v < 0) {
		buf_puts(why, "must be one of error, warn, info, debug");
		return -1;
	}
	*(int *)field(base, k->off) = v;
	return 0;
}

static int
conv_log_format(
    void *base, const struct config_key *k, const char *s, struct buf *why)
{
	int v = s != NULL ? log_format_parse(s) : LOG_TEXT;

	if (v < 0) {
		buf_puts(why, "must be text or json");
		return -1;
	}
	*(int *)field(base, k->off) = v;
	return 0;
}

static int
conv_start(
    void *base, const struct config_key *k, const char *s, struct buf *why)
{
	char out[20];
	char **p = field(base, k->off);

	if (s == NULL)
		return 0;
	if (config_parse_local_time(s, out) == -1) {
		buf_puts(why, "must be a local date and time "
			      "\"YYYY-MM-DDTHH:MM\"");
		return -1;
	}
	free(*p);
	*p = xstrdup(out);
	return 0;
}

static int
conv_offset(
    void *base, const struct config_key *k, const char *s, struct buf *why)
{
	long v = 0;

	if (s != NULL && config_parse_offset(s, &v) == -1) {
		buf_puts(why, "must be a signed duration such as -1d, -2h, "
			      "0m or +15m (at most a year)");
		return -1;
	}
	*(long *)field(base, k->off) = v;
	return 0;
}

static int
conv_from(
    void *base, const struct config_key *k, const char *s, struct buf *why)
{
	if (s != NULL && strcmp(s, "start") != 0 && strcmp(s, "end") != 0) {
		buf_puts(why, "must be \"start\" or \"end\"");
		return -1;
	}
	*(int *)field(base, k->off) = s != NULL && strcmp(s, "end") == 0;
	return 0;
}

static int
conv_hhmm(
    void *base, const struct config_key *k, const char *s, struct buf *why)
{
	int h = -1, m = 0;

	if (s != NULL && config_parse_hhmm(s, &h, &m) == -1) {
		buf_puts(
		    why, "must be a time of day \"HH:MM\" (00:00 to 23:59)");
		return -1;
	}
	*(int *)field(base, k->off) = h;
	*(int *)field(base, k->off2) = m;
	return 0;
}

static int
conv_duration(
    void *base, const struct config_key *k, const char *s, struct buf *why)
{
	long v = 0;

	if (s != NULL && config_parse_duration(s, &v) == -1) {
		buf_puts(why, "must be a duration such as 30s, 30m, 2h or 1d "
			      "(more than 0, at most a week)");
		return -1;
	}
	*(long *)field(base, k->off) = v;
	return 0;
}

static int
conv_weekday(
    void *base, const struct config_key *k, const char *s, struct buf *why)
{
	int d = s != NULL ? config_parse_weekday(s) : 1;

	if (d < 0) {
		buf_puts(why, "must be a weekday name such as monday");
		return -1;
	}
	*(int *)field(base, k->off) = d;
	return 0;
}
