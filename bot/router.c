/*
 * The router: from a line of text to one handler run (tmux's cmd.c and
 * cmd-queue.c in one).  Every adapter calls router_handle() the same way,
 * so the umbrella "/pm", aliases, "help" as an argument, argument counts,
 * permissions and rate limits behave the same in every chat and on the
 * console.  All checks happen here, before the handler runs, so a
 * handler only ever sees a request it may serve (validate, then act).
 *
 * Whatever happens, the adapter's sink is released exactly once: every
 * path builds the request first and ends in request_done(), either here
 * or, for CMD_WAIT, in the handler's callback.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "bot.h"
#include "buf.h"
#include "limits.h"
#include "log.h"
#include "router.h"

static void bputf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Buffers here have no cap, so a failed append is an allocation that
 * overflowed: as fatal as any other. */
static void
bputf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rv;

	va_start(ap, fmt);
	rv = buf_vprintf(b, fmt, ap);
	va_end(ap);
	if (rv == -1)
		fatal("router: cannot grow a reply");
}

/* ---- rate limiting ---------------------------------------------------- */

/*
 * A token bucket per user: per_window tokens, refilled evenly over
 * LIMIT_RATE_WINDOW_MS.  A burst of a few commands is fine, a script in a
 * loop is not.  A user whose bucket has been full for a window is idle and
 * carries no information, so sweeps drop them; the table never holds more
 * than LIMIT_RATE_USERS users.
 */
#define RATE_BUCKETS 256

struct rate_user {
	char *key;
	double tokens;
	long long last_ms;
	struct rate_user *next;
};

struct rate_table {
	int per_window;
	size_t n;
	long long swept_ms;
	struct rate_user *b[RATE_BUCKETS];
};

struct rate_table *
rate_table_new(int per_minute)
{
	struct rate_table *t = xcalloc(1, sizeof *t);

	t->per_window = per_minute;
	return t;
}

void
rate_table_free(struct rate_table *t)
{
	struct rate_user *u, *next;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < RATE_BUCKETS; i++) {
		for (u = t->b[i]; u != NULL; u = next) {
			next = u->next;
			free(u->key);
			free(u);
		}
	}
	free(t);
}

static unsigned
rate_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % RATE_BUCKETS;
}

/* Drops users idle for a window, or, when keep_room and the table is
 * still full, the one seen longest ago. */
static void
rate_sweep(struct rate_table *t, long long now, int keep_room)
{
	struct rate_user **pp, *u, **oldest = NULL;
	size_t i;

	for (i = 0; i < RATE_BUCKETS; i++) {
		pp = &t->b[i];
		while ((u = *pp) != NULL) {
			if (now - u->last_ms >= LIMIT_RATE_WINDOW_MS) {
				*pp = u->next;
				free(u->key);
				free(u);
				t->n--;
				continue;
			}
			if (oldest == NULL || u->last_ms < (*oldest)->last_ms)
				oldest = pp;
			pp = &u->next;
		}
	}
	t->swept_ms = now;
	if (keep_room && t->n >= LIMIT_RATE_USERS && oldest != NULL) {
		u = *oldest;
		*oldest = u->next;
		free(u->key);
		free(u);
		t->n--;
	}
}

/*
 * Makes room for one user in a full table: the user seen longest ago in
 * bucket h, or in the next bucket that has one.  Walking one bucket
 * rather than the whole table keeps a command's cost flat when more
 * than LIMIT_RATE_USERS people are active within a window (a full sweep
 * per command made that case about a hundred times slower); idle users
 * still go first, at the sweep once a window.
 */
static void
rate_evict(struct rate_table *t, unsigned h, long long now)
{
	struct rate_user **pp, **oldest = NULL, *u;
	unsigned i;

	for (i = 0; i < RATE_BUCKETS && oldest == NULL; i++)
		for (pp = &t->b[(h + i) % RATE_BUCKETS]; *pp != NULL;
		     pp = &(*pp)->next)
			if (oldest == NULL ||
			    (*pp)->last_ms < (*oldest)->last_ms)
				oldest = pp;
	if (oldest == NULL) {
		rate_sweep(t, now, 1);
		return;
	}
	u = *oldest;
	*oldest = u->next;
	free(u->key);
	free(u);
	t->n--;
}

int
rate_table_take(struct rate_table *t, const char *user, long long now)
{
	struct rate_user *u;
	unsigned h;
	double elapsed;

	if (t == NULL || t->per_window <= 0)
		return 1;
	if (user == NULL)
		user = "";
	if (now - t->swept_ms >= LIMIT_RATE_WINDOW_MS)
		rate_sweep(t, now, 0);
	h = rate_hash(user);
	for (u = t->b[h]; u != NULL; u = u->next)
		if (strcmp(u->key, user) == 0)
			break;
	if (u == NULL && t->n >= LIMIT_RATE_USERS)
		rate_evict(t, h, now);
	if (u == NULL) {
		u = xcalloc(1, sizeof *u);
		u->key = xstrdup(user);
		u->tokens = t->per_window;
		u->last_ms = now;
		u->next = t->b[h];
		t->b[h] = u;
		t->n++;
	}
	/* A clock stepped backwards refills nothing rather than draining. */
	elapsed = now > u->last_ms ? (double)(now - u->last_ms) : 0.0;
	u->tokens += elapsed * t->per_window / LIMIT_RATE_WINDOW_MS;
	if (u->tokens > t->per_window)
		u->tokens = t->per_window;
	u->last_ms = now;
	if (u->tokens < 1.0)
		return 0;
	u->tokens -= 1.0;
	return 1;
}

/* ---- the table ---------------------------------------------------------- */

static int
entry_matches(const struct cmd_entry *e, const char *word)
{
	size_t i;

	if (strcasecmp(e->name, word) == 0)
		return 1;
	for (i = 0; i < sizeof e->aliases / sizeof e->aliases[0] &&
		    e->aliases[i] != NULL;
	     i++)
		if (strcasecmp(e->aliases[i], word) == 0)
			return 1;
	return 0;
}

const struct cmd_entry *
router_find(const char *word)
{
	const struct cmd_entry *const *e;

	if (word == NULL)
		return NULL;
	if (word[0] == '/')
		word++;
	for (e = handler_table; *e != NULL; e++)
		if (entry_matches(*e, word))
			return *e;
	return NULL;
}

const struct cmd_entry *
router_find_sub(const struct cmd_entry *cmd, const char *word)
{
	const struct cmd_entry *s;

	if (cmd == NULL || cmd->subs == NULL || word == NULL)
		return NULL;
	for (s = cmd->subs; s->name != NULL; s++)
		if (entry_matches(s, word))
			return s;
	return NULL;
}

/* Every name and alias in the table, for "did you mean". */
static const char **
command_words(size_t *n)
{
	const struct cmd_entry *const *e;
	const char **v;
	size_t cap = 0, i;

	for (e = handler_table; *e != NULL; e++)
		cap += 1 + sizeof(*e)->aliases / sizeof(*e)->aliases[0];
	v = xcalloc(cap + 1, sizeof *v);
	*n = 0;
	for (e = handler_table; *e != NULL; e++) {
		v[(*n)++] = (*e)->name;
		for (i = 0; i < sizeof(*e)->aliases / sizeof(*e)->aliases[0] &&
			    (*e)->aliases[i] != NULL;
		     i++)
			v[(*n)++] = (*e)->aliases[i];
	}
	return v;
}

static const char **
sub_words(const struct cmd_entry *cmd, size_t *n)
{
	const struct cmd_entry *s;
	const char **v;
	size_t cap = 0, i;

	*n = 0;
	if (cmd->subs == NULL)
		return xcalloc(1, sizeof *v);
	for (s = cmd->subs; s->name != NULL; s++)
		cap += 1 + sizeof s->aliases / sizeof s->aliases[0];
	v = xcalloc(cap + 1, sizeof *v);
	for (s = cmd->subs; s->name != NULL; s++) {
		v[(*n)++] = s->name;
		for (i = 0; i < sizeof s->aliases / sizeof s->aliases[0] &&
			    s->aliases[i] != NULL;
		     i++)
			v[(*n)++] = s->aliases[i];
	}
	return v;
}

int
router_did_you_mean(
    struct buf *out, const char *word, const char *const *known, size_t nknown)
{
	const char *near[8], *named[3];
	const char **all = NULL;
	int n, i, j, k = 0;

	if (known == NULL) {
		all = command_words(&nknown);
		known = all;
	}
	n = nearest_words(word, known, nknown, near, 8);
	for (i = 0; i < n && k < 3; i++) {
		int dup = 0;

		/* "guide" and its alias "guides" are one suggestion. */
		for (j = 0; all != NULL && j < k; j++)
			if (router_find(near[i]) == router_find(named[j]))
				dup = 1;
		if (!dup)
			named[k++] = near[i];
	}
	for (i = 0; i < k; i++)
		bputf(out, "%s\"%s\"",
		    i == 0       ? "; did you mean "
		    : i == k - 1 ? " or "
				 : ", ",
		    named[i]);
	if (k > 0)
		bputf(out, "?");
	free(all);
	return k;
}

/* ---- help --------------------------------------------------------------- */

/* Usage strings are written without the slash; help shows them as typed
 * in chat. */
static void
put_command_line(struct buf *b, const char *line, size_t len)
{
	bputf(b, "- `%s%.*s`\n", line[0] == '/' ? "" : "/", (int)len, line);
}

static void
put_usage(struct buf *b, const struct cmd_entry *cmd, const struct cmd_entry *e)
{
	if (e->usage != NULL)
		put_command_line(b, e->usage, strlen(e->usage));
	else if (e != cmd)
		bputf(b, "- `/%s %s`\n", cmd->name, e->name);
	else if (e->exec != NULL)
		bputf(b, "- `/%s`\n", e->name);
}

static void
put_examples(struct buf *b, const char *examples)
{
	const char *p = examples, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (nl > p)
			put_command_line(b, p, (size_t)(nl - p));
		p = *nl != '\0' ? nl + 1 : nl;
	}
}

static int
has_examples(const struct cmd_entry *cmd, const struct cmd_entry *sub)
{
	const struct cmd_entry *s;

	if (sub != NULL)
		return sub->examples != NULL;
	if (cmd->examples != NULL)
		return 1;
	for (s = cmd->subs; s != NULL && s->name != NULL; s++)
		if (s->examples != NULL)
			return 1;
	return 0;
}

char *
router_help(const struct cmd_entry *cmd, const struct cmd_entry *sub)
{
	const struct cmd_entry *const *e;
	const struct cmd_entry *s, *one;
	struct buf b = BUF_INIT;
	size_t i;

	if (cmd == NULL) {
		bputf(&b, "**Commands**\n");
		for (e = handler_table; *e != NULL; e++) {
			if ((*e)->summary != NULL)
				bputf(&b, "- `/%s` — %s\n", (*e)->name,
				    (*e)->summary);
			else
				bputf(&b, "- `/%s`\n", (*e)->name);
		}
		bputf(&b, "Type `/pm help <command>` for one command's usage.");
		return buf_detach(&b);
	}

	one = sub != NULL ? sub : cmd;
	if (sub != NULL)
		bputf(&b, "**/%s %s**", cmd->name, sub->name);
	else
		bputf(&b, "**/%s**", cmd->name);
	if (one->summary != NULL)
		bputf(&b, " — %s", one->summary);
	bputf(&b, "\n");
	for (i = 0; i < sizeof one->aliases / sizeof one->aliases[0] &&
		    one->aliases[i] != NULL;
	     i++)
		bputf(&b, "%s`%s%s`", i == 0 ? "also: " : ", ",
		    sub != NULL ? "" : "/", one->aliases[i]);
	if (i > 0)
		bputf(&b, "\n");
	bputf(&b, "usage:\n");
	put_usage(&b, cmd, one);
	if (sub == NULL)
		for (s = cmd->subs; s != NULL && s->name != NULL; s++)
			put_usage(&b, cmd, s);
	if (has_examples(cmd, sub)) {
		bputf(&b, "examples:\n");
		put_examples(&b, one->examples);
		if (sub == NULL)
			for (s = cmd->subs; s != NULL && s->name != NULL; s++)
				put_examples(&b, s->examples);
	}
	while (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	return buf_detach(&b);
}

/* ---- permissions -------------------------------------------------------- */

/* Role lists may name users with or without the '@'. */
static int
role_has(const struct strlist *l, const char *user)
{
	size_t i;

	if (user == NULL)
		return 0;
	if (user[0] == '@')
		user++;
	for (i = 0; i < l->n; i++) {
		const char *n = l->v[i];

		if (n != NULL && n[0] == '@')
			n++;
		if (n != NULL && strcasecmp(n, user) == 0)
			return 1;
	}
	return 0;
}

int
router_permitted(const struct config *cfg, const char *user, enum cmd_perm perm)
{
	int admin;

	if (perm == PERM_ANYONE)
		return 1;
	if (cfg == NULL)
		return 0;
	/*
	 * No admins configured means everyone is an admin: on a fresh
	 * install the only user is whoever runs `pmbot console`, and they
	 * must be able to try every command before writing any roles.
	 * Naming one admin turns the checks on.
	 */
	admin = cfg->admins.n == 0 || role_has(&cfg->admins, user);
	switch (perm) {
	case PERM_PM:
		return admin || role_has(&cfg->pms, user);
	case PERM_MARKETING:
		return admin || role_has(&cfg->pms, user) ||
		       role_has(&cfg->marketing, user);
	case PERM_ADMIN:
		return admin;
	case PERM_ANYONE:
		break;
	}
	return 1;
}

static const char *
perm_who(enum cmd_perm perm)
{
	switch (perm) {
	case PERM_PM:
		return "PMs";
	case PERM_MARKETING:
		return "marketing and PMs";
	case PERM_ADMIN:
		return "admins";
	case PERM_ANYONE:
		break;
	}
	return "everyone";
}

/* ---- routing ------------------------------------------------------------ */

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static const char *
source_name(enum req_source source)
{
	switch (source) {
	case SRC_SLASH:
		return "slash command";
	case SRC_MENTION:
		return "mention";
	case SRC_DM:
		return "direct message";
	case SRC_CONSOLE:
		return "console";
	case SRC_BUTTON:
		return "button";
	}
	return "event";
}

/* Random rather than counted: replicas restart and share one log store,
 * and a counter would repeat.  A failed getrandom falls back to the time
 * and the address, which is still unique enough to follow one command. */
static void
request_make_id(struct request *req)
{
	unsigned char r[REQUEST_ID_LEN / 2];
	size_t i;

	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		unsigned long long t = (unsigned long long)now_ms() ^
				       (unsigned long long)(uintptr_t)req;

		for (i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)(t >> (8 * (i % 8)));
	}
	for (i = 0; i < sizeof r; i++)
		snprintf(req->id + 2 * i, 3, "%02x", r[i]);
}

static struct request *
request_new(struct bot *bot, const struct incoming *in, int text_ok)
{
	struct request *req = xcalloc(1, sizeof *req);

	request_make_id(req);

	req->user = xstrdup(in->user != NULL ? in->user : "");
	req->user_id = dup_or_null(in->user_id);
	req->channel = dup_or_null(in->channel);
	req->channel_id = dup_or_null(in->channel_id);
	req->thread = dup_or_null(in->thread);
	req->tz = dup_or_null(in->tz);
	/* Text that is not UTF-8 must not travel further (into logs or
	 * JSON); the request keeps an empty line instead. */
	req->text = xstrdup(text_ok && in->text != NULL ? in->text : "");
	req->source = in->source;
	req->cfg = &bot->cfg;
	req->store = bot->store;
	req->bot = bot;
	req->sink = in->sink;
	req->started_ms = now_ms();
	/* Shutdown waits for this to reach zero (bounded): a command that
	 * is waiting for Redis or Jira gets to answer. */
	bot->inflight++;
	log_info("request %s: %s from %s in %s%s%s", req->id,
	    source_name(req->source), req->user[0] ? req->user : "?",
	    req->channel != NULL ? req->channel : "?",
	    in->event_id != NULL ? ", event " : "",
	    in->event_id != NULL ? in->event_id : "");
	return req;
}

/* Removes argv[i], keeping the NULL at the end. */
static void
drop_word(struct request *req, int i)
{
	free(req->argv[i]);
	memmove(&req->argv[i], &req->argv[i + 1],
	    (size_t)(req->argc - i) * sizeof req->argv[0]);
	req->argc--;
}

/* Whether word is the umbrella: "pm", or the bot's name as typed in a
 * DM ("pmbot brief x") or a mention left in the text ("@pmbot ..."). */
static int
is_umbrella(const struct config *cfg, const char *word)
{
	const char *name = cfg->bot_name != NULL ? cfg->bot_name : "pmbot";

	if (word[0] == '/')
		word++;
	if (strcasecmp(word, "pm") == 0)
		return 1;
	if (word[0] == '@')
		word++;
	return strcasecmp(word, name) == 0;
}

/* Shows at most 64 bytes of a word in an error, cut at a character. */
static int
shown_len(const char *w)
{
	size_t n = strlen(w);

	if (n <= 64)
		return (int)n;
	n = 64;
	while (n > 0 && ((unsigned char)w[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

static enum cmd_retval
reply_unknown(struct request *req, const char *what, const char *word,
    const char *const *known, size_t nknown)
{
	struct buf b = BUF_INIT;
	enum cmd_retval rv;

	bputf(&b, "unknown %s \"%.*s%s\"", what, shown_len(word), word,
	    (size_t)shown_len(word) < strlen(word) ? "…" : "");
	if (router_did_you_mean(&b, word, known, nknown) == 0 && known == NULL)
		bputf(&b, "; try \"help\"");
	if (known != NULL)
		rv = reply_usage(req, "%s", buf_str(&b));
	else
		rv = reply_error(req, "%s", buf_str(&b));
	buf_free(&b);
	return rv;
}

static enum cmd_retval
reply_help(struct request *req)
{
	char *text;

	text =
	    router_help(req->cmd, req->entry != req->cmd ? req->entry : NULL);
	reply_private(req, "%s", text);
	free(text);
	return CMD_OK;
}

static const char *
rate_key(const struct request *req)
{
	return req->user_id != NULL ? req->user_id : req->user;
}

/* Everything between a request and its handler.  Returns what the run
 * returned, or CMD_ERROR after replying why nothing ran. */
static enum cmd_retval
route(struct bot *bot, struct request *req)
{
	const struct cmd_entry *cmd, *sub = NULL, *pm;
	char err[128];
	int argc, i;

	argc = words_split(req->text, &req->argv, err, sizeof err);
	if (argc == -1)
		return reply_error(req, "could not read the command: %s", err);
	req->argc = argc;

	/* The terminal's user is the operator; scripted console sessions
	 * (and the tests driving them) must not trip the limit. */
	if (req->source != SRC_CONSOLE &&
	    !rate_table_take(bot->rates, rate_key(req), now_ms())) {
		int per = bot->cfg.rate_commands > 0 ? bot->cfg.rate_commands
						     : LIMIT_RATE_COMMANDS;

		log_info("request %s: rate limit for %s", req->id, req->user);
		return reply_error(req,
		    "slow down: at most %d commands a minute; try again in a few seconds",
		    per);
	}
	if (req->argc == 0)
		return reply_error(req, "empty command; try \"help\"");

	/* "/pm brief x" is "/brief x": the umbrella goes unless the next
	 * word is one of its own subcommands ("/pm status"). */
	pm = router_find("pm");
	if (req->argc > 1 && is_umbrella(&bot->cfg, req->argv[0]) &&
	    router_find_sub(pm, req->argv[1]) == NULL)
		drop_word(req, 0);
	if (req->argv[0][0] == '/')
		memmove(req->argv[0], req->argv[0] + 1, strlen(req->argv[0]));
	cmd = is_umbrella(&bot->cfg, req->argv[0]) ? pm
						   : router_find(req->argv[0]);
	if (cmd == NULL)
		return reply_unknown(req, "command", req->argv[0], NULL, 0);
	req->cmd = cmd;
	req->entry = cmd;

	i = 1;
	if (cmd->subs != NULL && req->argc > 1)
		sub = router_find_sub(cmd, req->argv[1]);
	if (sub != NULL) {
		req->entry = sub;
		i = 2;
	}
	if (req->argc > i && strcasecmp(req->argv[i], "help") == 0)
		return reply_help(req);
	if (sub == NULL && cmd->exec == NULL) {
		const char **known;
		size_t n;
		enum cmd_retval rv;

		if (req->argc == 1)
			return reply_usage(
			    req, "\"%s\" needs a subcommand", cmd->name);
		known = sub_words(cmd, &n);
		rv = reply_unknown(req, "subcommand", req->argv[1], known, n);
		free(known);
		return rv;
	}
	req->args = req->argv + i;
	req->nargs = req->argc - i;
	if (req->nargs < req->entry->args_min)
		return reply_usage(req, "expected at least %d argument%s",
		    req->entry->args_min, req->entry->args_min == 1 ? "" : "s");
	if (req->entry->args_max >= 0 && req->nargs > req->entry->args_max) {
		if (req->entry->args_max == 0)
			return reply_usage(req, "expected no arguments");
		return reply_usage(req, "expected at most %d argument%s",
		    req->entry->args_max, req->entry->args_max == 1 ? "" : "s");
	}
	if (!router_permitted(&bot->cfg, req->user, cmd->perm) ||
	    !router_permitted(&bot->cfg, req->user, req->entry->perm)) {
		enum cmd_perm p =
		    router_permitted(&bot->cfg, req->user, cmd->perm)
			? req->entry->perm
			: cmd->perm;

		log_info("request %s: %s may not run %s", req->id, req->user,
		    cmd->name);
		if (sub != NULL)
			return reply_error(req,
			    "permission denied: \"%s %s\" is for %s", cmd->name,
			    sub->name, perm_who(p));
		return reply_error(req, "permission denied: \"%s\" is for %s",
		    cmd->name, perm_who(p));
	}
	if (req->entry->exec == NULL)
		return reply_error(
		    req, "\"%s\" cannot run on its own", cmd->name);
	return req->entry->exec(req);
}

void
router_handle(struct bot *bot, const struct incoming *in)
{
	struct request *req;
	enum cmd_retval rv;
	int text_ok;

	text_ok = in->text == NULL || utf8_valid(in->text, strlen(in->text));
	req = request_new(bot, in, text_ok);
	if (!text_ok) {
		log_info(
		    "request %s: invalid UTF-8 from %s", req->id, req->user);
		rv = reply_error(req,
		    "could not read the command: invalid UTF-8; nothing was run");
	} else {
		rv = route(bot, req);
	}
	if (rv != CMD_WAIT)
		request_done(req, rv);
}
