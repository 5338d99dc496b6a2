/*
 * The Jira REST client (see jira.h).  Every call is one small struct
 * jcall that owns its HTTP request and is freed after its callback; the
 * client keeps them on a list so jira_free can cancel what is in flight.
 *
 * Facts this follows (../shared/reference/jira.md): status first, body
 * parsed only when it is JSON (401s are often plain text); errors come as
 * {"errorMessages":[...],"errors":{field:msg}}; Cloud search is
 * /rest/api/3/search/jql and answers only ids unless fields are asked
 * for, Data Center search is /rest/api/2/search; a remote link with a
 * globalId is an upsert; JQL values are always quoted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bot.h"
#include "buf.h"
#include "http_client.h"
#include "jira.h"
#include "limits.h"
#include "log.h"
#include "metrics.h"

enum jcall_kind { J_SERVERINFO, J_MYSELF, J_SEARCH, J_CREATE, J_GET, J_LINK };

struct jcall {
	struct jira *j;
	enum jcall_kind kind;
	jira_cb *cb;
	void *priv;
	long id; /* the HTTP request, 0 when none is in flight */
	struct jcall *next;
};

/* Someone waiting for the configuration check. */
struct jwaiter {
	jira_cb *cb;
	void *priv;
	struct jwaiter *next;
};

enum check_state { CHECK_NONE, CHECK_RUNNING, CHECK_DONE };

struct jira {
	uv_loop_t *loop;
	struct http_client *hc;
	const struct config *cfg;
	struct metrics *metrics;
	int version;
	struct jcall *calls;

	enum check_state check;
	int check_ok;
	char *check_msg;
	long long checked_at;
	struct jwaiter *waiters;
};

struct jira *
jira_new(uv_loop_t *loop, struct http_client *hc, const struct config *cfg)
{
	struct jira *j;

	if (cfg->jira_url == NULL || *cfg->jira_url == '\0')
		return NULL;
	j = xcalloc(1, sizeof(*j));
	j->loop = loop;
	j->hc = hc;
	j->cfg = cfg;
	/*
	 * Cloud speaks REST v3, Data Center v2, and which one this is comes
	 * from the configuration as SPEC defines it: an account e-mail
	 * (PMBOT_JIRA_USER) means Cloud's basic auth, none means a Data
	 * Center personal access token.  Why not v2 everywhere: /rest/api/3
	 * exists only on Cloud, where a description is an Atlassian
	 * Document Format tree; a v2 wiki-markup string is converted by
	 * Cloud on the way in, and v2's search is gone there (410).  Why
	 * not ask serverInfo: the answer would come after the first /qa
	 * could need it, and the credentials already say which Jira this
	 * is.  On Cloud every call goes to v3 (the same operations), so the
	 * whole conversation is the one Atlassian's OpenAPI document
	 * describes and tests/integration/experiments_openapi.sh checks.
	 */
	j->version = jira_cloud(j) ? 3 : 2;
	return j;
}

void
jira_free(struct jira *j)
{
	struct jcall *c, *next;
	struct jwaiter *w, *wn;

	if (j == NULL)
		return;
	for (c = j->calls; c; c = next) {
		next = c->next;
		if (c->id > 0)
			http_client_cancel(j->hc, c->id);
		free(c);
	}
	for (w = j->waiters; w; w = wn) {
		wn = w->next;
		free(w);
	}
	free(j->check_msg);
	free(j);
}

struct jira *
jira_for_bot(void *opaque)
{
	struct bot *bot = opaque;

	if (bot == NULL || bot->http == NULL)
		return NULL;
	if (bot->jira == NULL) {
		bot->jira = jira_new(&bot->loop, bot->http, &bot->cfg);
		if (bot->jira != NULL)
			bot->jira->metrics = bot->metrics;
	}
	return bot->jira;
}

void
jira_set_api_version(struct jira *j, int version)
{
	j->version = version == 3 ? 3 : 2;
}

static int
cfg_cloud(const struct config *cfg)
{
	return cfg->jira_user != NULL && *cfg->jira_user != '\0';
}

int
jira_cloud(const struct jira *j)
{
	return cfg_cloud(j->cfg);
}

int
jira_api_version(const struct jira *j)
{
	return j->version;
}

uv_loop_t *
jira_loop(const struct jira *j)
{
	return j->loop;
}

/* "/rest/api/3" or "/rest/api/2" followed by rest; caller frees. */
static char *
api_path(const struct jira *j, const char *rest)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "/rest/api/%d%s", j->version, rest);
	return buf_detach(&b);
}

/* --- pure helpers ---------------------------------------------------------
 */

/* Decodes one UTF-8 sequence at s; its code point, or -1 when invalid
 * (then *len is 1). */
static long
utf8_decode(const unsigned char *s, size_t *len)
{
	long cp;
	size_t n, i;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return -1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = n;
	return cp;
}

static void
utf8_encode(struct buf *b, long cp)
{
	char o[4];

	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, o, 2);
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, o, 3);
	} else {
		o[0] = (char)(0xf0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		buf_append(b, o, 4);
	}
}

/* The characters Jira's JQL parser treats as control characters and so
 * only accepts as \uXXXX escapes inside a quoted string. */
static int
jql_control(long cp)
{
	return (cp <= 0x08) || cp == 0x0b || cp == 0x0c ||
	       (cp >= 0x0e && cp <= 0x1f) || (cp >= 0x7f && cp <= 0x9f) ||
	       (cp >= 0xfdd0 && cp <= 0xfdef) || cp == 0xfffe || cp == 0xffff;
}

/*
 * Quotes like Jira's JqlStringSupportImpl.encodeAsQuotedString: always
 * double quotes (unquoted values collide with ~150 reserved words), the
 * quote characters and backslash escaped, tab/newline/return as \t \n \r
 * and the other control characters as \uXXXX.  A byte that is not UTF-8
 * becomes U+FFFD: Jira would reject the request otherwise.
 */
char *
jira_jql_quote(const char *s)
{
	struct buf b = BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	long cp;

	buf_putc(&b, '"');
	while (*p) {
		cp = utf8_decode(p, &n);
		if (cp < 0)
			cp = 0xfffd;
		switch (cp) {
		case '"':
			buf_puts(&b, "\\\"");
			break;
		case '\'':
			buf_puts(&b, "\\'");
			break;
		case '\\':
			buf_puts(&b, "\\\\");
			break;
		case '\t':
			buf_puts(&b, "\\t");
			break;
		case '\n':
			buf_puts(&b, "\\n");
			break;
		case '\r':
			buf_puts(&b, "\\r");
			break;
		default:
			if (jql_control(cp))
				buf_printf(&b, "\\u%04lx", cp);
			else
				utf8_encode(&b, cp);
		}
		p += n;
	}
	buf_putc(&b, '"');
	return buf_detach(&b);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The decoder side of Jira's rules: only \" \' \\ \t \n \r \<space> and
 * \uXXXX are escapes; anything else is "Illegal escape sequence". */
char *
jira_jql_unquote(const char *lit)
{
	struct buf b = BUF_INIT;
	size_t len = strlen(lit), i;
	long cp;
	int k, h;

	if (len < 2 || lit[0] != '"' || lit[len - 1] != '"')
		return NULL;
	buf_puts(&b, "");
	for (i = 1; i < len - 1; i++) {
		if (lit[i] == '"')
			goto bad;
		if (lit[i] != '\\') {
			buf_putc(&b, lit[i]);
			continue;
		}
		if (++i >= len - 1)
			goto bad;
		switch (lit[i]) {
		case '"':
		case '\'':
		case '\\':
		case ' ':
			buf_putc(&b, lit[i]);
			break;
		case 't':
			buf_putc(&b, '\t');
			break;
		case 'n':
			buf_putc(&b, '\n');
			break;
		case 'r':
			buf_putc(&b, '\r');
			break;
		case 'u':
			if (i + 4 > len - 2)
				goto bad;
			for (cp = 0, k = 1; k <= 4; k++) {
				h = hexval(lit[i + k]);
				if (h < 0)
					goto bad;
				cp = cp * 16 + h;
			}
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
				goto bad;
			utf8_encode(&b, cp);
			i += 4;
			break;
		default:
			goto bad;
		}
	}
	return buf_detach(&b);
bad:
	buf_free(&b);
	return NULL;
}

char *
jira_label_jql(const char *project, const char *label)
{
	struct buf b = BUF_INIT;
	char *p = jira_jql_quote(project), *l = jira_jql_quote(label);

	buf_printf(
	    &b, "project = %s AND labels = %s ORDER BY created ASC", p, l);
	free(p);
	free(l);
	return buf_detach(&b);
}

/* Adds a text node unless text is empty (ADF: minLength 1). */
static void
adf_text(cJSON *content, const char *text, size_t len, const char *href)
{
	cJSON *node, *marks, *mark, *attrs;
	char *s;

	if (len == 0)
		return;
	s = xstrndup(text, len);
	node = cJSON_CreateObject();
	cJSON_AddStringToObject(node, "type", "text");
	cJSON_AddStringToObject(node, "text", s);
	if (href != NULL) {
		marks = cJSON_AddArrayToObject(node, "marks");
		mark = cJSON_CreateObject();
		cJSON_AddStringToObject(mark, "type", "link");
		attrs = cJSON_AddObjectToObject(mark, "attrs");
		cJSON_AddStringToObject(attrs, "href", href);
		cJSON_AddItemToArray(marks, mark);
	}
	cJSON_AddItemToArray(content, node);
	free(s);
}

/* One line of text into a paragraph's content: [label](url) becomes a
 * text node with a link mark, everything else plain text. */
static void
adf_line(cJSON *content, const char *s, size_t len)
{
	const char *end = s + len, *p = s, *lb, *rb, *rp;
	char *href;

	while (p < end) {
		lb = memchr(p, '[', (size_t)(end - p));
		if (lb == NULL)
			break;
		rb = memchr(lb, ']', (size_t)(end - lb));
		if (rb == NULL || rb + 1 >= end || rb[1] != '(') {
			adf_text(content, p, (size_t)(lb + 1 - p), NULL);
			p = lb + 1;
			continue;
		}
		rp = memchr(rb, ')', (size_t)(end - rb));
		if (rp == NULL || rp == rb + 2 || rb == lb + 1) {
			adf_text(content, p, (size_t)(rb + 1 - p), NULL);
			p = rb + 1;
			continue;
		}
		adf_text(content, p, (size_t)(lb - p), NULL);
		href = xstrndup(rb + 2, (size_t)(rp - rb - 2));
		adf_text(content, lb + 1, (size_t)(rb - lb - 1), href);
		free(href);
		p = rp + 1;
	}
	adf_text(content, p, (size_t)(end - p), NULL);
}

/*
 * ADF (reference §1.4): the root is {"type":"doc","version":1,
 * "content":[blocks]}, text only inside a block such as a paragraph, no
 * empty text node, links as a "link" mark with "href".  A blank line
 * starts a new paragraph; a single newline is a hardBreak.
 */
cJSON *
jira_adf_from_text(const char *text)
{
	cJSON *doc = cJSON_CreateObject(), *blocks, *para = NULL, *content;
	const char *p = text, *nl;
	size_t len;
	int pending_break = 0;

	cJSON_AddStringToObject(doc, "type", "doc");
	cJSON_AddNumberToObject(doc, "version", 1);
	blocks = cJSON_AddArrayToObject(doc, "content");
	while (*p) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == 0 || (len == 1 && *p == '\r')) {
			para = NULL; /* a blank line ends the paragraph */
			pending_break = 0;
		} else {
			if (para == NULL) {
				para = cJSON_CreateObject();
				cJSON_AddStringToObject(
				    para, "type", "paragraph");
				cJSON_AddArrayToObject(para, "content");
				cJSON_AddItemToArray(blocks, para);
			}
			content = cJSON_GetObjectItem(para, "content");
			if (pending_break) {
				cJSON *br = cJSON_CreateObject();

				cJSON_AddStringToObject(
				    br, "type", "hardBreak");
				cJSON_AddItemToArray(content, br);
			}
			adf_line(content, p, len);
			pending_break = 1;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	if (cJSON_GetArraySize(blocks) == 0) {
		para = cJSON_CreateObject();
		cJSON_AddStringToObject(para, "type", "paragraph");
		cJSON_AddItemToArray(blocks, para);
	}
	return doc;
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Summary: at most 255 characters (Jira's limit), cut on a character. */
static char *
qa_summary(const struct jira_issue *in)
{
	struct buf b = BUF_INIT;
	size_t n;

	if (in->title && *in->title && strcmp(in->title, in->slug) != 0)
		buf_printf(&b, "QA: %s (%s)", in->slug, in->title);
	else
		buf_printf(&b, "QA: %s", in->slug);
	if (b.len > 255) {
		n = 252;
		while (n > 0 && ((unsigned char)b.data[n] & 0xc0) == 0x80)
			n--;
		b.data[n] = '\0';
		b.len = n;
		buf_puts(&b, "...");
	}
	return buf_detach(&b);
}

/* The description as text with [label](url) links (v3 turns it into
 * ADF) or as Jira wiki markup [label|url] (v2). */
static char *
qa_description(const struct jira_issue *in, int wiki)
{
	struct buf b = BUF_INIT;

	if (wiki)
		buf_printf(&b, "QA ticket for experiment *%s*", in->slug);
	else
		buf_printf(&b, "QA ticket for experiment %s", in->slug);
	if (in->title && *in->title && strcmp(in->title, in->slug) != 0)
		buf_printf(&b, " (%s)", in->title);
	buf_puts(&b, ".\n\n");
	if (wiki)
		buf_printf(&b, "Brief: [experiment brief|%s]\n", in->brief_url);
	else
		buf_printf(
		    &b, "Brief: [experiment brief](%s)\n", in->brief_url);
	if (in->experimenter_url && wiki)
		buf_printf(&b, "Experimenter: [%s|%s]\n", in->slug,
		    in->experimenter_url);
	else if (in->experimenter_url)
		buf_printf(&b, "Experimenter: [%s](%s)\n", in->slug,
		    in->experimenter_url);
	if (in->owner)
		buf_printf(&b, "Owner: @%s\n", in->owner);
	if (in->requested_by)
		buf_printf(&b, "Requested from chat by @%s.", in->requested_by);
	return buf_detach(&b);
}

/*
 * The create body (reference §1.2).  The assignee is jira.assignee when
 * configured, in the one shape the deployment accepts (Cloud an
 * accountId, Data Center a user name; never both), else left to the
 * project's default: a chat name is neither for certain, so the owner is
 * named in the description instead.  No reporter: it is pmbot's account.
 * jira.fields adds fields as strings (the config refuses the ones set
 * here).  The slug label is what /qa searches by; the issue property
 * records the slug for humans and for a later migration (it is not
 * searchable without an app, §4.3).
 */
char *
jira_create_body(
    const struct config *cfg, const struct jira_issue *in, int version)
{
	cJSON *root = cJSON_CreateObject(), *f, *o, *arr, *prop, *val;
	char *s, *out;
	size_t i;

	f = cJSON_AddObjectToObject(root, "fields");
	o = cJSON_AddObjectToObject(f, "project");
	cJSON_AddStringToObject(o, "key", cfg->jira_project ?: "");
	o = cJSON_AddObjectToObject(f, "issuetype");
	if (cfg->jira_issue_type && all_digits(cfg->jira_issue_type))
		cJSON_AddStringToObject(o, "id", cfg->jira_issue_type);
	else
		cJSON_AddStringToObject(o, "name",
		    cfg->jira_issue_type ?: "Nimbus/Remote delivery");
	s = qa_summary(in);
	cJSON_AddStringToObject(f, "summary", s);
	free(s);
	s = qa_description(in, version != 3);
	if (version == 3)
		cJSON_AddItemToObject(f, "description", jira_adf_from_text(s));
	else
		cJSON_AddStringToObject(f, "description", s);
	free(s);
	arr = cJSON_AddArrayToObject(f, "labels");
	for (i = 0; i < cfg->jira_labels.n; i++)
		if (strcmp(cfg->jira_labels.v[i], in->slug) != 0)
			cJSON_AddItemToArray(
			    arr, cJSON_CreateString(cfg->jira_labels.v[i]));
	cJSON_AddItemToArray(arr, cJSON_CreateString(in->slug));
	if (cfg->jira_components.n > 0) {
		arr = cJSON_AddArrayToObject(f, "components");
		for (i = 0; i < cfg->jira_components.n; i++) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(
			    o, "name", cfg->jira_components.v[i]);
			cJSON_AddItemToArray(arr, o);
		}
	}
	if (cfg->jira_assignee != NULL && *cfg->jira_assignee != '\0') {
		o = cJSON_AddObjectToObject(f, "assignee");
		cJSON_AddStringToObject(o,
		    cfg_cloud(cfg) ? "accountId" : "name", cfg->jira_assignee);
	}
	for (i = 0; i < cfg->jira_fields.n; i++) {
		const char *name = cfg->jira_fields.names[i];
		const char *value = cfg->jira_fields.values[i];

		if (cJSON_GetObjectItemCaseSensitive(f, name) != NULL)
			continue;
		if (cfg->jira_fields.json != NULL && cfg->jira_fields.json[i]) {
			o = cJSON_Parse(value);
			if (o == NULL)
				fatal("jira: out of memory");
			cJSON_AddItemToObject(f, name, o);
		} else {
			cJSON_AddStringToObject(f, name, value);
		}
	}
	arr = cJSON_AddArrayToObject(root, "properties");
	prop = cJSON_CreateObject();
	cJSON_AddStringToObject(prop, "key", "pmbot.experiment");
	val = cJSON_AddObjectToObject(prop, "value");
	cJSON_AddStringToObject(val, "slug", in->slug);
	cJSON_AddStringToObject(val, "brief", in->brief_url);
	cJSON_AddItemToArray(arr, prop);
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (out == NULL)
		fatal("jira: out of memory");
	return out;
}

char *
jira_search_body(const char *jql, int cloud)
{
	cJSON *root = cJSON_CreateObject(), *fields;
	char *out;

	cJSON_AddStringToObject(root, "jql", jql);
	fields = cJSON_AddArrayToObject(root, "fields");
	cJSON_AddItemToArray(fields, cJSON_CreateString("summary"));
	cJSON_AddItemToArray(fields, cJSON_CreateString("status"));
	cJSON_AddItemToArray(fields, cJSON_CreateString("assignee"));
	cJSON_AddItemToArray(fields, cJSON_CreateString("labels"));
	cJSON_AddNumberToObject(root, "maxResults", 1);
	if (!cloud)
		cJSON_AddNumberToObject(root, "startAt", 0);
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (out == NULL)
		fatal("jira: out of memory");
	return out;
}

char *
jira_remotelink_body(const struct jira_issue *in)
{
	cJSON *root = cJSON_CreateObject(), *o;
	struct buf b = BUF_INIT;
	char *out;

	buf_printf(&b, "pmbot-brief:%s", in->slug);
	cJSON_AddStringToObject(root, "globalId", b.data);
	o = cJSON_AddObjectToObject(root, "application");
	cJSON_AddStringToObject(o, "name", "Experiment briefs");
	cJSON_AddStringToObject(o, "type", "pmbot.brief");
	cJSON_AddStringToObject(root, "relationship", "brief");
	o = cJSON_AddObjectToObject(root, "object");
	cJSON_AddStringToObject(o, "url", in->brief_url);
	buf_reset(&b);
	buf_printf(&b, "Experiment brief: %s", in->slug);
	cJSON_AddStringToObject(o, "title", b.data);
	if (in->title && *in->title)
		cJSON_AddStringToObject(o, "summary", in->title);
	buf_free(&b);
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (out == NULL)
		fatal("jira: out of memory");
	return out;
}

/* Hints for the messages Jira gives most (reference §3.2). */
static void
explain_field(struct buf *b, const char *field, const char *msg)
{
	buf_printf(b, "\n- %s: %s", field, msg);
	if (strstr(msg, "is required"))
		buf_puts(b, " (the project requires a field pmbot does not "
			    "fill: make it optional or give it a default in "
			    "Jira)");
	else if (strstr(msg, "cannot be set"))
		buf_puts(b, " (not on the project's create screen: check "
			    "jira.project and jira.issue_type)");
	else if (strcmp(field, "issuetype") == 0)
		buf_puts(b, " (check jira.issue_type)");
	else if (strcmp(field, "project") == 0)
		buf_puts(b, " (check jira.project)");
}

char *
jira_explain(long status, const char *content_type, const char *body)
{
	struct buf b = BUF_INIT;
	cJSON *root = NULL, *msgs, *errs, *it;
	int json =
	    content_type && strncmp(content_type, "application/json", 16) == 0;

	if (json && body)
		root = cJSON_Parse(body);
	switch (status) {
	case 400:
		buf_puts(&b, "Jira rejected the request (HTTP 400)");
		break;
	case 401:
		buf_puts(&b, "Jira rejected pmbot's credentials (HTTP 401): "
			     "check PMBOT_JIRA_USER and PMBOT_JIRA_TOKEN "
			     "(API tokens expire)");
		break;
	case 403:
		buf_puts(&b, "Jira refused: pmbot's Jira account lacks the "
			     "permission (HTTP 403)");
		break;
	case 404:
		buf_puts(&b, "Jira says it does not exist or pmbot may not "
			     "see it (HTTP 404)");
		break;
	case 410:
		buf_puts(&b, "Jira removed that API (HTTP 410): is "
			     "PMBOT_JIRA_USER right for this Jira (set for "
			     "Cloud, unset for Data Center)?");
		break;
	case 429:
	case 503:
		buf_printf(&b,
		    "Jira is busy (HTTP %ld) and stayed busy after "
		    "retrying; try again in a few minutes",
		    status);
		break;
	default:
		if (status >= 500)
			buf_printf(&b, "Jira failed (HTTP %ld)", status);
		else
			buf_printf(
			    &b, "Jira answered HTTP %ld unexpectedly", status);
	}
	if (root != NULL) {
		errs = cJSON_GetObjectItem(root, "errors");
		if (cJSON_IsObject(errs) && errs->child != NULL) {
			buf_puts(&b, "; the fields it named:");
			cJSON_ArrayForEach (it, errs) {
				if (cJSON_IsString(it))
					explain_field(
					    &b, it->string, it->valuestring);
			}
		}
		msgs = cJSON_GetObjectItem(root, "errorMessages");
		cJSON_ArrayForEach (it, msgs) {
			if (cJSON_IsString(it) && *it->valuestring) {
				buf_printf(&b, "\n- %s", it->valuestring);
				if (strstr(it->valuestring, "is required"))
					buf_puts(&b, " (the project requires "
						     "a field pmbot does not "
						     "fill)");
			}
		}
		cJSON_Delete(root);
	}
	return buf_detach(&b);
}

/* --- the calls ------------------------------------------------------------
 */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
base64(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i;
	unsigned long v;

	for (i = 0; i + 2 < n; i += 3) {
		v = ((unsigned long)p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
		buf_putc(out, b64[(v >> 18) & 63]);
		buf_putc(out, b64[(v >> 12) & 63]);
		buf_putc(out, b64[(v >> 6) & 63]);
		buf_putc(out, b64[v & 63]);
	}
	if (n - i == 1) {
		v = (unsigned long)p[i] << 16;
		buf_putc(out, b64[(v >> 18) & 63]);
		buf_putc(out, b64[(v >> 12) & 63]);
		buf_puts(out, "==");
	} else if (n - i == 2) {
		v = ((unsigned long)p[i] << 16) | (p[i + 1] << 8);
		buf_putc(out, b64[(v >> 18) & 63]);
		buf_putc(out, b64[(v >> 12) & 63]);
		buf_putc(out, b64[(v >> 6) & 63]);
		buf_putc(out, '=');
	}
}

static void
call_unlink(struct jcall *c)
{
	struct jcall **pp;

	for (pp = &c->j->calls; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

static const char *
kind_name(enum jcall_kind k)
{
	static const char *const names[] = {
	    "serverInfo", "myself", "search", "create", "get", "remotelink"};

	return names[k];
}

static void
string_field(struct buf *b, const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItem(o, name);

	buf_reset(b);
	if (cJSON_IsString(v))
		buf_puts(b, v->valuestring);
}

/* Fills the issue part of res from an issue object (get, search hit). */
static void
issue_fields(
    struct jira *j, const cJSON *issue, struct jira_result *res, struct buf *s)
{
	const cJSON *f = cJSON_GetObjectItem(issue, "fields"), *st, *as;

	string_field(&s[0], issue, "key");
	res->key = s[0].len ? s[0].data : NULL;
	string_field(&s[1], f, "summary");
	res->summary = s[1].len ? s[1].data : NULL;
	st = cJSON_GetObjectItem(f, "status");
	string_field(&s[2], st, "name");
	res->status_name = s[2].len ? s[2].data : NULL;
	string_field(&s[3], cJSON_GetObjectItem(st, "statusCategory"), "key");
	res->status_category = s[3].len ? s[3].data : NULL;
	as = cJSON_GetObjectItem(f, "assignee");
	string_field(&s[4], as, "displayName");
	if (s[4].len == 0)
		string_field(&s[4], as, "name");
	res->assignee = s[4].len ? s[4].data : NULL;
}

static void
call_done(const struct http_response *hr, void *priv)
{
	struct jcall *c = priv;
	struct jira *j = c->j;
	struct jira_result res;
	struct buf s[6], lbl = BUF_INIT;
	const char *ctype = http_response_header(hr, "content-type");
	cJSON *root = NULL, *issues;
	char *msg = NULL;
	size_t i;

	c->id = 0;
	call_unlink(c);
	for (i = 0; i < 6; i++)
		buf_init(&s[i], 0);
	memset(&res, 0, sizeof(res));
	res.status = hr->status;
	res.attempts = hr->attempts;
	buf_printf(&lbl, "status=\"%ld\"", hr->status);
	metrics_inc(j->metrics, M_JIRA_CALLS, lbl.data);
	buf_free(&lbl);
	if (hr->status == 0) {
		res.transport = 1;
		buf_printf(&s[5], "Jira did not answer (%s)",
		    hr->error ? hr->error : "no response");
		res.message = s[5].data;
		log_warn("jira: %s: no answer: %s", kind_name(c->kind),
		    hr->error ? hr->error : "?");
		goto out;
	}
	if (ctype && strncmp(ctype, "application/json", 16) == 0)
		root = cJSON_Parse(hr->body);
	res.ok = hr->status >= 200 && hr->status < 300;
	if (!res.ok) {
		msg = jira_explain(hr->status, ctype, hr->body);
		res.message = msg;
		log_warn("jira: %s answered %ld after %d attempt(s): %.500s",
		    kind_name(c->kind), hr->status, hr->attempts, hr->body);
		goto out;
	}
	if (root == NULL && c->kind != J_LINK) {
		res.ok = 0;
		res.message = "Jira's answer was not JSON";
		log_warn("jira: %s: answer is not JSON: %.200s",
		    kind_name(c->kind), hr->body);
		goto out;
	}
	switch (c->kind) {
	case J_CREATE:
		string_field(&s[0], root, "key");
		res.key = s[0].len ? s[0].data : NULL;
		if (res.key == NULL) {
			res.ok = 0;
			res.message = "Jira created no issue key";
		}
		break;
	case J_SEARCH:
		issues = cJSON_GetObjectItem(root, "issues");
		if (cJSON_GetArraySize(issues) > 0) {
			issue_fields(j, cJSON_GetArrayItem(issues, 0), &res, s);
			res.found = res.key != NULL;
		}
		break;
	case J_GET:
		issue_fields(j, root, &res, s);
		break;
	default:
		break;
	}
out:
	if (res.key) {
		buf_reset(&s[5]);
		buf_printf(&s[5], "%.*s/browse/%s",
		    (int)(strlen(j->cfg->jira_url) -
			  (j->cfg->jira_url[strlen(j->cfg->jira_url) - 1] ==
			      '/')),
		    j->cfg->jira_url, res.key);
		res.browse_url = s[5].data;
	}
	c->cb(&res, c->priv);
	cJSON_Delete(root);
	free(msg);
	for (i = 0; i < 6; i++)
		buf_free(&s[i]);
	free(c);
}

/* Starts one REST call; on failure to queue, the callback runs with an
 * error before this returns. */
static void
call_start(struct jira *j, enum jcall_kind kind, const char *method,
    const char *path, const char *body, int idempotent, int auth, jira_cb *cb,
    void *priv)
{
	struct jcall *c = xcalloc(1, sizeof(*c));
	struct http_request hr;
	struct buf url = BUF_INIT, ah = BUF_INIT, cred = BUF_INIT;
	const char *headers[3];
	size_t n = strlen(j->cfg->jira_url);

	c->j = j;
	c->kind = kind;
	c->cb = cb;
	c->priv = priv;
	if (n > 0 && j->cfg->jira_url[n - 1] == '/')
		n--;
	buf_printf(&url, "%.*s%s", (int)n, j->cfg->jira_url, path);
	headers[0] = "Accept: application/json";
	if (jira_cloud(j)) {
		buf_printf(&cred, "%s:%s", j->cfg->jira_user,
		    j->cfg->jira_token ?: "");
		buf_puts(&ah, "Authorization: Basic ");
		base64(&ah, cred.data);
	} else {
		buf_printf(
		    &ah, "Authorization: Bearer %s", j->cfg->jira_token ?: "");
	}
	/*
	 * No connection to Jira is kept for reuse.  libcurl silently sends a
	 * request again when a reused connection dies before any answer,
	 * POST included: a create Jira carried out whose answer was lost
	 * would be filed twice.  On a fresh connection curl reports the
	 * failure instead, and /qa searches by label before trying again.
	 * /qa is rare; the extra handshake is cheap.
	 */
	headers[2] = "Connection: close";
	headers[1] = ah.data;
	memset(&hr, 0, sizeof(hr));
	hr.method = method;
	hr.url = url.data;
	hr.body = body;
	hr.body_len = body ? strlen(body) : 0;
	if (!auth)
		headers[1] = headers[2];
	hr.headers = headers;
	hr.nheaders = auth ? 3 : 2;
	hr.max_retries = -1;
	hr.idempotent = idempotent;
	c->next = j->calls;
	j->calls = c;
	c->id = http_client_send(j->hc, &hr, call_done, c);
	buf_free(&url);
	buf_free(&ah);
	if (cred.data)
		memset(cred.data, 0, cred.len);
	buf_free(&cred);
	if (c->id < 0) {
		struct http_response none;

		memset(&none, 0, sizeof(none));
		none.body = "";
		none.error = "shutting down";
		c->id = 0;
		call_done(&none, c);
	}
}

static void
check_finish(struct jira *j, int ok, const char *msg)
{
	struct jwaiter *w = j->waiters, *next;
	struct jira_result res;

	j->check = CHECK_DONE;
	j->check_ok = ok;
	free(j->check_msg);
	j->check_msg = msg ? xstrdup(msg) : NULL;
	j->checked_at = (long long)uv_now(j->loop);
	j->waiters = NULL;
	if (ok)
		log_info("jira: %s answers and accepts pmbot's credentials",
		    j->cfg->jira_url);
	else
		log_warn("jira: configuration check failed: %s", msg);
	memset(&res, 0, sizeof(res));
	res.ok = ok;
	res.message = j->check_msg;
	for (; w; w = next) {
		next = w->next;
		w->cb(&res, w->priv);
		free(w);
	}
}

static void
myself_done(const struct jira_result *res, void *priv)
{
	struct jira *j = priv;
	struct buf b = BUF_INIT;

	if (res->ok) {
		check_finish(j, 1, NULL);
		return;
	}
	buf_printf(&b, "Jira is configured but not usable: %s",
	    res->message ? res->message : "?");
	check_finish(j, 0, b.data);
	buf_free(&b);
}

static void
serverinfo_done(const struct jira_result *res, void *priv)
{
	struct jira *j = priv;
	struct buf b = BUF_INIT;
	char *path;

	if (!res->ok) {
		buf_printf(&b,
		    "Jira at PMBOT_JIRA_URL does not answer serverInfo: %s",
		    res->message ? res->message : "?");
		check_finish(j, 0, b.data);
		buf_free(&b);
		return;
	}
	path = api_path(j, "/myself");
	call_start(j, J_MYSELF, "GET", path, NULL, 1, 1, myself_done, j);
	free(path);
}

void
jira_check(struct jira *j, jira_cb *cb, void *priv)
{
	struct jwaiter *w;
	struct jira_result res;
	char *path;

	if (j->check == CHECK_DONE &&
	    (j->check_ok || (long long)uv_now(j->loop) - j->checked_at <
				LIMIT_JIRA_RECHECK_MS)) {
		memset(&res, 0, sizeof(res));
		res.ok = j->check_ok;
		res.message = j->check_msg;
		cb(&res, priv);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->cb = cb;
	w->priv = priv;
	w->next = j->waiters;
	j->waiters = w;
	if (j->check == CHECK_RUNNING)
		return;
	j->check = CHECK_RUNNING;
	/* serverInfo needs no credentials: it tells "Jira is not there"
	 * apart from "Jira refuses us", which myself then tests. */
	path = api_path(j, "/serverInfo");
	call_start(
	    j, J_SERVERINFO, "GET", path, NULL, 1, 0, serverinfo_done, j);
	free(path);
}

void
jira_search_label(struct jira *j, const char *label, jira_cb *cb, void *priv)
{
	char *jql = jira_label_jql(j->cfg->jira_project ?: "", label);
	char *body = jira_search_body(jql, jira_cloud(j));

	/* POST keeps the JQL out of the URL; a search changes nothing, so
	 * it is safe to repeat after a timeout. */
	call_start(j, J_SEARCH, "POST",
	    jira_cloud(j) ? "/rest/api/3/search/jql" : "/rest/api/2/search",
	    body, 1, 1, cb, priv);
	free(jql);
	free(body);
}

void
jira_create_issue(
    struct jira *j, const struct jira_issue *in, jira_cb *cb, void *priv)
{
	char *body = jira_create_body(j->cfg, in, j->version);
	char *path = api_path(j, "/issue");

	/* Not idempotent: after a timeout the issue may exist.  The HTTP
	 * client still retries 429 and 503, which Jira sends before it acts;
	 * the caller searches by label before any other retry. */

	call_start(j, J_CREATE, "POST", path, body, 0, 1, cb, priv);
	free(path);
	free(body);
}

void
jira_get_issue(struct jira *j, const char *key, jira_cb *cb, void *priv)
{
	struct buf path = BUF_INIT;
	const char *p;

	/* Keys are PROJECT-123; anything else must not reach the path. */
	for (p = key; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			*p == '-' || *p == '_'))
			break;
	if (*p != '\0' || *key == '\0') {
		struct jira_result res;

		memset(&res, 0, sizeof(res));
		res.message = "not a Jira issue key";
		cb(&res, priv);
		return;
	}
	buf_printf(&path,
	    "/rest/api/%d/issue/%s?fields=status,summary,assignee", j->version,
	    key);
	call_start(j, J_GET, "GET", path.data, NULL, 1, 1, cb, priv);
	buf_free(&path);
}

void
jira_link_brief(struct jira *j, const char *key, const struct jira_issue *in,
    jira_cb *cb, void *priv)
{
	struct buf path = BUF_INIT;
	char *body = jira_remotelink_body(in);

	buf_printf(&path, "/rest/api/%d/issue/%s/remotelink", j->version, key);
	/* The globalId makes this an upsert: repeating it is harmless. */
	call_start(j, J_LINK, "POST", path.data, body, 1, 1, cb, priv);
	buf_free(&path);
	free(body);
}
