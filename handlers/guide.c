/*
 * /guide: the answers #ask-experimenter gives newcomers again and again
 * (where to start, experiment vs rollout vs holdback, shadows, office
 * hours).  The texts are not in the code: they live in config/guide.md,
 * one "## topic" section each, so the PM team can edit them without a
 * release.  The topics are whatever sections the file has.
 *
 * The file is read once and kept, keyed by its path and checked by
 * modification time and size on each request: a stat is cheap enough for
 * the loop, re-reading and re-parsing on every command is not needed, and
 * an edited file still shows up without a restart.  This small cache is
 * the handler's only state; the loop is single-threaded, so it needs no
 * lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include "handler.h"
#include "limits.h"
#include "log.h"
#include "router.h"

#define GUIDE_CACHE_PATHS 4

struct guide_section {
	char *topic; /* "office-hours" */
	char *body;  /* the section's text, trimmed */
};

struct guide {
	char *path;
	struct timespec mtime;
	off_t size;
	struct guide_section *sec;
	size_t nsec;
};

static struct guide cache[GUIDE_CACHE_PATHS];
static size_t cache_next;

static void
guide_clear(struct guide *g)
{
	size_t i;

	for (i = 0; i < g->nsec; i++) {
		free(g->sec[i].topic);
		free(g->sec[i].body);
	}
	free(g->sec);
	free(g->path);
	memset(g, 0, sizeof *g);
}

static char *
trimmed(const char *s, size_t len)
{
	while (
	    len > 0 && (*s == '\n' || *s == ' ' || *s == '\t' || *s == '\r')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' ' ||
			      s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	return xstrndup(s, len);
}

/* Splits the text at "## " lines; what precedes the first is the file's
 * own preamble (title, notes to editors) and is not shown. */
static void
guide_parse(struct guide *g, const char *text)
{
	const char *p = text, *body = NULL, *nl;
	char *topic = NULL;

	for (;;) {
		int heading = strncmp(p, "## ", 3) == 0;

		if ((heading || *p == '\0') && topic != NULL) {
			g->sec =
			    xrealloc(g->sec, (g->nsec + 1) * sizeof *g->sec);
			g->sec[g->nsec].topic = topic;
			g->sec[g->nsec].body =
			    trimmed(body, (size_t)(p - body));
			g->nsec++;
			topic = NULL;
		}
		if (*p == '\0')
			break;
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (heading) {
			char *t = trimmed(p + 3, (size_t)(nl - (p + 3)));
			char *c;

			for (c = t; *c != '\0'; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c += 'a' - 'A';
			topic = t;
			body = *nl != '\0' ? nl + 1 : nl;
		}
		p = *nl != '\0' ? nl + 1 : nl;
	}
}

static int
guide_read(const char *path, struct buf *out)
{
	FILE *f;
	char chunk[4096];
	size_t n;
	int rv = 0;

	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	buf_init(out, LIMIT_GUIDE_FILE);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (buf_append(out, chunk, n) == -1) {
			log_warn("guide: %s is over %d bytes", path,
			    LIMIT_GUIDE_FILE);
			rv = -1;
			break;
		}
	}
	if (ferror(f))
		rv = -1;
	fclose(f);
	if (rv == -1)
		buf_free(out);
	return rv;
}

/* The parsed guide at path, from the cache when the file is unchanged;
 * NULL when it cannot be read. */
static const struct guide *
guide_load(const char *path)
{
	struct stat st;
	struct guide *g = NULL;
	struct buf text;
	size_t i;

	if (stat(path, &st) == -1) {
		log_warn("guide: cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	for (i = 0; i < GUIDE_CACHE_PATHS; i++) {
		if (cache[i].path == NULL || strcmp(cache[i].path, path) != 0)
			continue;
		if (cache[i].size == st.st_size &&
		    cache[i].mtime.tv_sec == st.st_mtim.tv_sec &&
		    cache[i].mtime.tv_nsec == st.st_mtim.tv_nsec)
			return &cache[i];
		g = &cache[i];
		break;
	}
	if (guide_read(path, &text) == -1) {
		log_warn("guide: cannot read %s", path);
		return NULL;
	}
	if (!utf8_valid(buf_str(&text), text.len)) {
		log_warn("guide: %s is not UTF-8", path);
		buf_free(&text);
		return NULL;
	}
	if (g == NULL) {
		g = &cache[cache_next];
		cache_next = (cache_next + 1) % GUIDE_CACHE_PATHS;
	}
	guide_clear(g);
	g->path = xstrdup(path);
	g->mtime = st.st_mtim;
	g->size = st.st_size;
	guide_parse(g, buf_str(&text));
	buf_free(&text);
	return g;
}

static int
readable(const char *path)
{
	return access(path, R_OK) == 0;
}

/* dir of file + name, when file has a directory part. */
static int
beside(struct buf *b, const char *file, const char *name)
{
	const char *slash = strrchr(file, '/');

	if (slash == NULL)
		return -1;
	if (buf_printf(b, "%.*s/%s", (int)(slash - file), file, name) == -1)
		fatal("guide: path too long");
	return 0;
}

/*
 * An absolute configured path is used as it is (a missing file is then
 * an error worth seeing).  A relative one, like the default
 * "config/guide.md", is looked for beside the configuration file first,
 * not wherever the bot happens to be started, then in the working
 * directory.  When neither has it, the guide comes from the source tree
 * named by $PMBOT_SOURCE_DIR (tests, a checkout), else the installed
 * copy, else the source tree the binary was built from, so a bot started
 * from any folder without a configuration file still has its guide.
 */
static char *
guide_path(const struct config *cfg)
{
	struct buf b = BUF_INIT;
	const char *src, *conf = NULL;

	if (cfg != NULL && cfg->guide_path != NULL && cfg->guide_path[0]) {
		conf = cfg->guide_path;
		if (conf[0] == '/')
			return xstrdup(conf);
		if (cfg->path != NULL && beside(&b, cfg->path, conf) == 0 &&
		    readable(buf_str(&b)))
			return buf_detach(&b);
		buf_free(&b);
		if (readable(conf))
			return xstrdup(conf);
	}
	src = getenv("PMBOT_SOURCE_DIR");
	if (src != NULL && src[0] != '\0') {
		if (buf_printf(&b, "%s/config/guide.md", src) == -1)
			fatal("guide: path too long");
		if (readable(buf_str(&b)))
			return buf_detach(&b);
		buf_free(&b);
	}
	if (readable(PMBOT_DATADIR "/guide.md"))
		return xstrdup(PMBOT_DATADIR "/guide.md");
	if (conf == NULL || readable(PMBOT_SOURCE_DIR "/config/guide.md"))
		return xstrdup(PMBOT_SOURCE_DIR "/config/guide.md");
	/* Found nowhere: the log names the file that was configured. */
	return xstrdup(conf);
}

/* Drops every cached guide (at exit, so that nothing stays allocated). */
void
guide_cache_free(void)
{
	size_t i;

	for (i = 0; i < GUIDE_CACHE_PATHS; i++)
		guide_clear(&cache[i]);
	cache_next = 0;
}

static const struct guide_section *
guide_find(const struct guide *g, const char *topic)
{
	size_t i, n = strlen(topic);

	for (i = 0; i < g->nsec; i++)
		if (strcasecmp(g->sec[i].topic, topic) == 0)
			return &g->sec[i];
	/* "experiments", "shadows": a plural is the same topic. */
	for (i = 0; n > 1 && topic[n - 1] == 's' && i < g->nsec; i++)
		if (strncasecmp(g->sec[i].topic, topic, n - 1) == 0 &&
		    g->sec[i].topic[n - 1] == '\0')
			return &g->sec[i];
	return NULL;
}

/* The index: each topic with the first line of its section. */
static void
guide_index(struct request *req, const struct guide *g)
{
	struct message *m = message_new();
	size_t i;

	message_printf(m, "**The experimenter's guide**\n");
	for (i = 0; i < g->nsec; i++) {
		const char *b = g->sec[i].body;
		size_t len = strcspn(b, "\n");

		/* A heading line in bold is shown without its markers. */
		if (len > 4 && strncmp(b, "**", 2) == 0 &&
		    strncmp(b + len - 2, "**", 2) == 0) {
			b += 2;
			len -= 4;
		}
		message_printf(
		    m, "- `/guide %s` — %.*s\n", g->sec[i].topic, (int)len, b);
	}
	message_printf(m, "New here? Start with `/guide start`.");
	reply_message(req, m, 0);
	message_free(m);
}

static void
guide_unknown(struct request *req, const struct guide *g, const char *topic)
{
	struct buf b = BUF_INIT;
	const char **known;
	size_t k;

	known = xcalloc(g->nsec + 1, sizeof *known);
	for (k = 0; k < g->nsec; k++)
		known[k] = g->sec[k].topic;
	if (buf_printf(&b, "unknown topic \"%s\"", topic) == -1)
		fatal("guide: cannot build a reply");
	router_did_you_mean(&b, topic, known, g->nsec);
	reply_usage(req, "%s", buf_str(&b));
	buf_free(&b);
	free(known);
}

static enum cmd_retval
guide_exec(struct request *req)
{
	const struct guide *g;
	const struct guide_section *s;
	struct buf topic = BUF_INIT;
	char *path;
	int i;

	path = guide_path(req->cfg);
	g = guide_load(path);
	free(path);
	if (g == NULL || g->nsec == 0)
		return reply_error(req,
		    "the guide is not available right now; an admin can find why in the log");
	if (req->nargs == 0) {
		guide_index(req, g);
		return CMD_OK;
	}
	/* "/guide office hours" means office-hours. */
	for (i = 0; i < req->nargs; i++)
		if (buf_printf(
			&topic, "%s%s", i > 0 ? "-" : "", req->args[i]) == -1)
			fatal("guide: cannot build a topic");
	s = guide_find(g, buf_str(&topic));
	if (s != NULL) {
		reply(req, "%s", s->body);
		buf_free(&topic);
		return CMD_OK;
	}
	guide_unknown(req, g, buf_str(&topic));
	buf_free(&topic);
	return CMD_ERROR;
}

const struct cmd_entry cmd_guide_entry = {
    .name = "guide",
    .aliases = {"guides"},
    .usage = "guide [start|rollout|experiment|holdback|shadow|office-hours]",
    .summary =
	"where to start, experiment vs rollout vs holdback, shadows, office hours",
    .examples = "guide start\nguide holdback\nguide office-hours",
    .args_min = 0,
    .args_max = 3,
    .perm = PERM_ANYONE,
    .exec = guide_exec,
};
