/*
 * Slack's side of the neutral message: mrkdwn for text and Block Kit for
 * the whole message, and the way back from Slack's escaped text to what
 * a person typed.  Slack's mrkdwn differs from the subset handlers write
 * in three ways that matter: bold is a single asterisk, links are
 * <url|label>, and &, < and > must be escaped or Slack reads them as its
 * own markup.  Lists have no markup at all, so list items get a bullet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "limits.h"
#include "log.h"
#include "message.h"
#include "slack.h"

static void
put(struct buf *b, const char *s, size_t len)
{
	if (buf_append(b, s, len) == -1)
		fatal("slack: cannot render");
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Text with Slack's three control characters escaped. */
static void
put_escaped(struct buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			puts_(b, "&amp;");
			break;
		case '<':
			puts_(b, "&lt;");
			break;
		case '>':
			puts_(b, "&gt;");
			break;
		default:
			put(b, s + i, 1);
		}
	}
}

/* A URL inside <url|label>: '|' and '>' would end it early. */
static void
put_url(struct buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '|')
			puts_(b, "%7C");
		else if (s[i] == '>')
			puts_(b, "%3E");
		else if (s[i] == '<')
			puts_(b, "%3C");
		else
			put(b, s + i, 1);
	}
}

static size_t
tick_run(const char *s)
{
	size_t n = 0;

	while (s[n] == '`')
		n++;
	return n;
}

static const char *
tick_close(const char *s, const char *end, size_t n)
{
	while (s < end && (s = memchr(s, '`', (size_t)(end - s))) != NULL) {
		size_t r = tick_run(s);

		if (r == n)
			return s;
		s += r;
	}
	return NULL;
}

static void render_inline(struct buf *b, const char *s, const char *end);

/* [label](url) at s, within one line; returns the end or NULL. */
static const char *
render_link(struct buf *b, const char *s, const char *end)
{
	const char *rb, *rp;

	rb = memchr(s + 1, ']', (size_t)(end - (s + 1)));
	if (rb == NULL || rb + 1 >= end || rb[1] != '(')
		return NULL;
	rp = memchr(rb + 2, ')', (size_t)(end - (rb + 2)));
	if (rp == NULL || rp == rb + 2)
		return NULL;
	puts_(b, "<");
	put_url(b, rb + 2, (size_t)(rp - (rb + 2)));
	puts_(b, "|");
	render_inline(b, s + 1, rb);
	puts_(b, ">");
	return rp + 1;
}

/* One line's inline markup, from s up to end. */
static void
render_inline(struct buf *b, const char *s, const char *end)
{
	const char *next;

	while (s < end) {
		if (*s == '`') {
			size_t n = tick_run(s);
			const char *close = tick_close(s + n, end, n);

			/* Code is shown as typed; only the three control
			 * characters are escaped, as everywhere. */
			if (close != NULL) {
				put(b, s, n);
				put_escaped(
				    b, s + n, (size_t)(close - (s + n)));
				put(b, s, n);
				s = close + n;
			} else {
				put(b, s, n);
				s += n;
			}
			continue;
		}
		if (s + 1 < end && s[0] == '*' && s[1] == '*') {
			puts_(b, "*");
			s += 2;
			continue;
		}
		if (*s == '[' && (next = render_link(b, s, end)) != NULL) {
			s = next;
			continue;
		}
		put_escaped(b, s, 1);
		s++;
	}
}

char *
slack_render_mrkdwn(const char *text)
{
	struct buf b = BUF_INIT;
	const char *s = text != NULL ? text : "", *nl, *end;
	int in_fence = 0;

	for (;;) {
		nl = strchr(s, '\n');
		end = nl != NULL ? nl : s + strlen(s);
		/* Lines of a ``` block are code: no bullets, no markup. */
		if (end - s >= 3 && strncmp(s, "```", 3) == 0) {
			in_fence = !in_fence;
			put_escaped(&b, s, (size_t)(end - s));
		} else if (in_fence) {
			put_escaped(&b, s, (size_t)(end - s));
		} else if (end - s >= 2 && s[0] == '-' && s[1] == ' ') {
			puts_(&b, "\xe2\x80\xa2 "); /* U+2022 BULLET */
			render_inline(&b, s + 2, end);
		} else {
			render_inline(&b, s, end);
		}
		if (nl == NULL)
			break;
		puts_(&b, "\n");
		s = nl + 1;
	}
	return b.data != NULL ? buf_detach(&b) : xstrdup("");
}

/* --- Block Kit ---------------------------------------------------------- */

/* The longest prefix of s within max bytes that ends on a character. */
static size_t
utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* s cut to max bytes (with an ellipsis when cut), as a new string. */
static char *
clip(const char *s, size_t max)
{
	size_t n = strlen(s), keep;
	char *out;

	if (n <= max)
		return xstrdup(s);
	keep = utf8_cut(s, max - 3); /* room for "…" (3 bytes) */
	out = xmalloc(keep + 4);
	memcpy(out, s, keep);
	memcpy(out + keep, "\xe2\x80\xa6", 4);
	return out;
}

static cJSON *
text_obj(const char *type, const char *text)
{
	cJSON *t = cJSON_CreateObject();

	if (t == NULL)
		fatal("slack: out of memory");
	cJSON_AddStringToObject(t, "type", type);
	cJSON_AddStringToObject(t, "text", text);
	if (strcmp(type, "plain_text") == 0)
		cJSON_AddTrueToObject(t, "emoji");
	return t;
}

static void
add_block(cJSON *blocks, cJSON *block)
{
	if (cJSON_GetArraySize(blocks) >= LIMIT_SLACK_BLOCKS) {
		cJSON_Delete(block);
		return;
	}
	cJSON_AddItemToArray(blocks, block);
}

static void
add_section(cJSON *blocks, const char *mrkdwn)
{
	cJSON *sec;
	char *t;

	if (mrkdwn[0] == '\0')
		return;
	sec = cJSON_CreateObject();
	cJSON_AddStringToObject(sec, "type", "section");
	t = clip(mrkdwn, LIMIT_SLACK_SECTION_TEXT);
	cJSON_AddItemToObject(sec, "text", text_obj("mrkdwn", t));
	free(t);
	add_block(blocks, sec);
}

/* Long text goes into several sections, split at line ends where it can
 * be, so no section passes Slack's 3000 characters. */
static void
add_sections(cJSON *blocks, const char *mrkdwn)
{
	const char *s = mrkdwn;

	while (strlen(s) > LIMIT_SLACK_SECTION_TEXT) {
		size_t cut = utf8_cut(s, LIMIT_SLACK_SECTION_TEXT);
		const char *nl = s + cut;
		char *part;

		while (nl > s && *nl != '\n')
			nl--;
		if (nl > s)
			cut = (size_t)(nl - s);
		part = xstrndup(s, cut);
		add_section(blocks, part);
		free(part);
		s += cut;
		if (*s == '\n')
			s++;
	}
	add_section(blocks, s);
}

/* The card: title (linked) and the fields, short ones side by side in a
 * section's field grid, long ones as their own section. */
static void
add_card(cJSON *blocks, const struct message *m)
{
	struct buf title = BUF_INIT;
	cJSON *sec = NULL, *fields = NULL;
	size_t i;

	if (m->card_title != NULL) {
		char *t = slack_render_mrkdwn(m->card_title);

		if (m->card_link != NULL) {
			puts_(&title, "*<");
			put_url(&title, m->card_link, strlen(m->card_link));
			puts_(&title, "|");
			puts_(&title, t);
			puts_(&title, ">*");
		} else {
			puts_(&title, "*");
			puts_(&title, t);
			puts_(&title, "*");
		}
		free(t);
		add_section(blocks, buf_str(&title));
		buf_free(&title);
	}
	for (i = 0; i < m->nfields; i++) {
		const struct msg_field *f = &m->fields[i];
		char *name = slack_render_mrkdwn(f->name);
		char *value = slack_render_mrkdwn(f->value);
		struct buf cell = BUF_INIT;
		char *clipped;

		buf_printf(&cell, "*%s*\n%s", name, value);
		free(name);
		free(value);
		if (!f->is_short) {
			sec = NULL;
			add_sections(blocks, buf_str(&cell));
			buf_free(&cell);
			continue;
		}
		if (sec == NULL ||
		    cJSON_GetArraySize(fields) >= LIMIT_SLACK_FIELDS) {
			sec = cJSON_CreateObject();
			cJSON_AddStringToObject(sec, "type", "section");
			fields = cJSON_AddArrayToObject(sec, "fields");
			add_block(blocks, sec);
		}
		clipped = clip(buf_str(&cell), LIMIT_SLACK_FIELD_TEXT);
		cJSON_AddItemToArray(fields, text_obj("mrkdwn", clipped));
		free(clipped);
		buf_free(&cell);
	}
}

static void
add_buttons(cJSON *blocks, const struct message *m)
{
	cJSON *actions = NULL, *elements = NULL;
	size_t i;

	for (i = 0; i < m->nbuttons; i++) {
		const struct msg_button *bt = &m->buttons[i];
		cJSON *e = cJSON_CreateObject();
		char id[32], *label, *value;

		if (actions == NULL ||
		    cJSON_GetArraySize(elements) >= LIMIT_SLACK_ACTIONS) {
			actions = cJSON_CreateObject();
			cJSON_AddStringToObject(actions, "type", "actions");
			elements = cJSON_AddArrayToObject(actions, "elements");
			add_block(blocks, actions);
		}
		snprintf(id, sizeof id, "pmbot_%zu", i);
		label = clip(bt->label[0] != '\0' ? bt->label : "?",
		    LIMIT_SLACK_BUTTON_TEXT);
		cJSON_AddStringToObject(e, "type", "button");
		cJSON_AddStringToObject(e, "action_id", id);
		cJSON_AddItemToObject(e, "text", text_obj("plain_text", label));
		free(label);
		/* The command line the press runs; one that does not fit is
		 * cut at a character, and the router will say it is wrong
		 * rather than run something else. */
		value = xstrndup(
		    bt->action, utf8_cut(bt->action, LIMIT_SLACK_BUTTON_VALUE));
		cJSON_AddStringToObject(e, "value", value);
		free(value);
		if (bt->primary)
			cJSON_AddStringToObject(e, "style", "primary");
		cJSON_AddItemToArray(elements, e);
	}
}

char *
slack_render_blocks(const struct message *m)
{
	cJSON *blocks = cJSON_CreateArray();
	char *text, *out;

	if (blocks == NULL)
		fatal("slack: out of memory");
	text = slack_render_mrkdwn(buf_str(&m->text));
	add_sections(blocks, text);
	free(text);
	add_card(blocks, m);
	add_buttons(blocks, m);
	out = cJSON_PrintUnformatted(blocks);
	cJSON_Delete(blocks);
	if (out == NULL)
		fatal("slack: out of memory");
	return out;
}

char *
slack_render_text(const struct message *m)
{
	char *t, *c;

	if (m->text.len > 0) {
		t = slack_render_mrkdwn(buf_str(&m->text));
	} else if (m->card_title != NULL) {
		t = slack_render_mrkdwn(m->card_title);
	} else {
		char *plain = message_render_plain(m);

		t = slack_render_mrkdwn(plain);
		free(plain);
	}
	if (t[0] == '\0') {
		free(t);
		/* chat.postMessage refuses a post without text or blocks. */
		t = xstrdup(" ");
	}
	c = clip(t, LIMIT_SLACK_TEXT);
	free(t);
	return c;
}

/* --- Slack's text back to what was typed -------------------------------- */

static void
put_decoded(struct buf *b, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (s[i] == '&') {
			if (len - i >= 5 && strncmp(s + i, "&amp;", 5) == 0) {
				puts_(b, "&");
				i += 5;
				continue;
			}
			if (len - i >= 4 && strncmp(s + i, "&lt;", 4) == 0) {
				puts_(b, "<");
				i += 4;
				continue;
			}
			if (len - i >= 4 && strncmp(s + i, "&gt;", 4) == 0) {
				puts_(b, ">");
				i += 4;
				continue;
			}
		}
		put(b, s + i, 1);
		i++;
	}
}

/* One <...> token (without the brackets) as a person would have typed
 * it. */
static void
put_token(struct buf *b, const char *s, size_t len,
    const char *(*lookup)(void *, const char *), void *priv)
{
	const char *bar = memchr(s, '|', len);
	size_t head = bar != NULL ? (size_t)(bar - s) : len;

	if (len > 1 && s[0] == '@') {
		char *id = xstrndup(s + 1, head - 1);
		const char *name = lookup != NULL ? lookup(priv, id) : NULL;

		puts_(b, "@");
		if (name != NULL)
			puts_(b, name);
		else if (bar != NULL)
			put_decoded(b, bar + 1, len - head - 1);
		else
			puts_(b, id);
		free(id);
		return;
	}
	if (len > 1 && s[0] == '#') {
		puts_(b, "#");
		if (bar != NULL)
			put_decoded(b, bar + 1, len - head - 1);
		else
			put_decoded(b, s + 1, head - 1);
		return;
	}
	if (len > 1 && s[0] == '!') {
		/* <!here>, <!channel>, <!subteam^S1|@pm-team> */
		if (bar != NULL) {
			put_decoded(b, bar + 1, len - head - 1);
		} else {
			puts_(b, "@");
			put_decoded(b, s + 1, head - 1);
		}
		return;
	}
	if (head > 7 && strncmp(s, "mailto:", 7) == 0) {
		put_decoded(b, s + 7, head - 7);
		return;
	}
	/* A link: the URL is what was typed; Slack's label is only its
	 * shortened display. */
	put_decoded(b, s, head);
}

char *
slack_text_decode(const char *text,
    const char *(*lookup)(void *priv, const char *user_id), void *priv)
{
	struct buf b = BUF_INIT;
	const char *s = text != NULL ? text : "", *lt, *gt;

	while ((lt = strchr(s, '<')) != NULL) {
		gt = strchr(lt + 1, '>');
		if (gt == NULL)
			break;
		put_decoded(&b, s, (size_t)(lt - s));
		put_token(&b, lt + 1, (size_t)(gt - (lt + 1)), lookup, priv);
		s = gt + 1;
	}
	put_decoded(&b, s, strlen(s));
	return b.data != NULL ? buf_detach(&b) : xstrdup("");
}

/* --- Socket Mode frames --------------------------------------------------- */

enum slack_frame
slack_frame_parse(const char *json, size_t len, char *envelope_id, size_t idlen,
    char *type, size_t typelen)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *t, *id, *reason;
	enum slack_frame r = SLACK_FRAME_INVALID;

	if (idlen > 0)
		envelope_id[0] = '\0';
	if (typelen > 0)
		type[0] = '\0';
	if (root == NULL || !cJSON_IsObject(root))
		goto out;
	t = cJSON_GetObjectItemCaseSensitive(root, "type");
	id = cJSON_GetObjectItemCaseSensitive(root, "envelope_id");
	if (!cJSON_IsString(t))
		goto out;
	if (strlen(t->valuestring) >= typelen)
		goto out;
	if (cJSON_IsString(id)) {
		if (strlen(id->valuestring) == 0 ||
		    strlen(id->valuestring) >= idlen)
			goto out;
		snprintf(envelope_id, idlen, "%s", id->valuestring);
		snprintf(type, typelen, "%s", t->valuestring);
		r = SLACK_FRAME_ENVELOPE;
		goto out;
	}
	if (strcmp(t->valuestring, "hello") == 0) {
		r = SLACK_FRAME_HELLO;
	} else if (strcmp(t->valuestring, "disconnect") == 0) {
		reason = cJSON_GetObjectItemCaseSensitive(root, "reason");
		if (cJSON_IsString(reason) &&
		    strlen(reason->valuestring) < typelen)
			snprintf(type, typelen, "%s", reason->valuestring);
		r = SLACK_FRAME_DISCONNECT;
	} else {
		snprintf(type, typelen, "%s", t->valuestring);
		r = SLACK_FRAME_OTHER;
	}
out:
	cJSON_Delete(root);
	return r;
}
