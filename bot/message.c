/*
 * The neutral message every handler builds and every adapter renders.
 * Handlers write the small Markdown subset of message.h; this file holds
 * the two renderings that are not chat-specific: plain text (the console,
 * logs and fallbacks) and Mattermost Markdown.  Slack's mrkdwn lives in
 * its adapter, which is the only place that knows Slack.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "message.h"

struct message *
message_new(void)
{
	struct message *m = xcalloc(1, sizeof *m);

	buf_init(&m->text, 0);
	return m;
}

void
message_free(struct message *m)
{
	size_t i;

	if (m == NULL)
		return;
	buf_free(&m->text);
	free(m->card_title);
	free(m->card_link);
	for (i = 0; i < m->nfields; i++) {
		free(m->fields[i].name);
		free(m->fields[i].value);
	}
	free(m->fields);
	for (i = 0; i < m->nbuttons; i++) {
		free(m->buttons[i].label);
		free(m->buttons[i].action);
	}
	free(m->buttons);
	free(m);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct message *
message_dup(const struct message *m)
{
	struct message *c = message_new();
	size_t i;

	if (buf_append(&c->text, buf_str(&m->text), m->text.len) == -1)
		fatal("message: cannot copy text");
	c->card_title = dup_or_null(m->card_title);
	c->card_link = dup_or_null(m->card_link);
	for (i = 0; i < m->nfields; i++)
		message_field(c, m->fields[i].name, m->fields[i].value,
		    m->fields[i].is_short);
	for (i = 0; i < m->nbuttons; i++)
		message_button(c, m->buttons[i].label, m->buttons[i].action,
		    m->buttons[i].primary);
	return c;
}

void
message_printf(struct message *m, const char *fmt, ...)
{
	va_list ap;
	int rv;

	va_start(ap, fmt);
	rv = buf_vprintf(&m->text, fmt, ap);
	va_end(ap);
	/* The text buffer has no cap, so only a size overflow fails. */
	if (rv == -1)
		fatal("message: text too large");
}

void
message_card(struct message *m, const char *title, const char *link)
{
	free(m->card_title);
	free(m->card_link);
	m->card_title = dup_or_null(title);
	m->card_link = dup_or_null(link);
}

void
message_field(
    struct message *m, const char *name, const char *value, int is_short)
{
	struct msg_field *f;

	m->fields = xrealloc(m->fields, (m->nfields + 1) * sizeof *m->fields);
	f = &m->fields[m->nfields++];
	f->name = xstrdup(name != NULL ? name : "");
	f->value = xstrdup(value != NULL ? value : "");
	f->is_short = is_short;
}

void
message_button(
    struct message *m, const char *label, const char *action, int primary)
{
	struct msg_button *b;

	m->buttons =
	    xrealloc(m->buttons, (m->nbuttons + 1) * sizeof *m->buttons);
	b = &m->buttons[m->nbuttons++];
	b->label = xstrdup(label != NULL ? label : "");
	b->action = xstrdup(action != NULL ? action : "");
	b->primary = primary;
}

static void
put(struct buf *b, const char *s, size_t len)
{
	if (buf_append(b, s, len) == -1)
		fatal("message: cannot render");
}

static int
is_word_byte(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
	       (u >= '0' && u <= '9') || u >= 0x80;
}

/* Length of the run of backticks at s. */
static size_t
tick_run(const char *s)
{
	size_t n = 0;

	while (s[n] == '`')
		n++;
	return n;
}

/* Where the closing run of exactly n backticks after s starts, or NULL. */
static const char *
tick_close(const char *s, size_t n)
{
	while ((s = strchr(s, '`')) != NULL) {
		size_t r = tick_run(s);

		if (r == n)
			return s;
		s += r;
	}
	return NULL;
}

/*
 * Removes the markup of the subset: ** and _ emphasis, `code` ticks (what
 * is inside code is kept exactly), and [label](url) becomes "label <url>".
 * An underscore between two letters or digits is part of a word
 * (user_id), not emphasis, and stays.
 */
static void
render_plain_text(struct buf *b, const char *s)
{
	const char *start = s;

	while (*s != '\0') {
		if (*s == '`') {
			size_t n = tick_run(s);
			const char *end = tick_close(s + n, n);

			if (end != NULL) {
				put(b, s + n, (size_t)(end - (s + n)));
				s = end + n;
			} else {
				put(b, s, n);
				s += n;
			}
			continue;
		}
		if (s[0] == '*' && s[1] == '*') {
			s += 2;
			continue;
		}
		if (*s == '_') {
			int inword = s > start && is_word_byte(s[-1]) &&
				     is_word_byte(s[1]);

			if (!inword) {
				s++;
				continue;
			}
		}
		if (*s == '[') {
			const char *rb = strchr(s + 1, ']');
			const char *rp = NULL;

			if (rb != NULL && rb[1] == '(')
				rp = strchr(rb + 2, ')');
			if (rp != NULL &&
			    memchr(s, '\n', (size_t)(rp - s)) == NULL) {
				char *label =
				    xstrndup(s + 1, (size_t)(rb - (s + 1)));

				render_plain_text(b, label);
				free(label);
				put(b, " <", 2);
				put(b, rb + 2, (size_t)(rp - (rb + 2)));
				put(b, ">", 1);
				s = rp + 1;
				continue;
			}
		}
		put(b, s, 1);
		s++;
	}
}

/* Ends the rendering so far with a newline before more lines follow. */
static void
new_line(struct buf *b)
{
	if (b->len > 0 && b->data[b->len - 1] != '\n')
		put(b, "\n", 1);
}

char *
message_render_plain(const struct message *m)
{
	struct buf b = BUF_INIT;
	size_t i;

	render_plain_text(&b, buf_str(&m->text));
	if (m->card_title != NULL) {
		new_line(&b);
		render_plain_text(&b, m->card_title);
		if (m->card_link != NULL) {
			put(&b, " <", 2);
			put(&b, m->card_link, strlen(m->card_link));
			put(&b, ">", 1);
		}
	}
	for (i = 0; i < m->nfields; i++) {
		new_line(&b);
		put(&b, "  ", 2);
		render_plain_text(&b, m->fields[i].name);
		put(&b, ": ", 2);
		render_plain_text(&b, m->fields[i].value);
	}
	if (m->nbuttons > 0) {
		new_line(&b);
		for (i = 0; i < m->nbuttons; i++) {
			put(&b, i == 0 ? "  [" : " [", i == 0 ? 3 : 2);
			put(&b, m->buttons[i].label,
			    strlen(m->buttons[i].label));
			put(&b, "]", 1);
		}
	}
	/* Callers print the result as one message: no trailing newline. */
	while (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	return b.data != NULL ? buf_detach(&b) : xstrdup("");
}

/* Whether line (up to its end) is an item of a "- " or "1. " list. */
static int
is_list_item(const char *line)
{
	const char *p = line;

	if ((p[0] == '-' || p[0] == '*') && p[1] == ' ')
		return 1;
	while (*p >= '0' && *p <= '9')
		p++;
	return p > line && (p[0] == '.' || p[0] == ')') && p[1] == ' ';
}

/*
 * Text for Markdown: as written, except that a line right after a list
 * item which is neither an item nor indented gets a blank line before it.
 * In Markdown such a line is a lazy continuation of the item, so "- a\n
 * See also" would show "See also" inside the last bullet (seen in the
 * render preview); handlers write it as the paragraph after the list,
 * as Slack shows it.  Fenced code is left alone.
 */
static void
put_markdown_text(struct buf *b, const char *text)
{
	const char *line = text, *end;
	int in_fence = 0, after_item = 0;

	while (*line != '\0') {
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		if (strncmp(line, "```", 3) == 0) {
			in_fence = !in_fence;
			after_item = 0;
		} else if (!in_fence) {
			if (after_item && end > line && !is_list_item(line) &&
			    line[0] != ' ' && line[0] != '\t')
				put(b, "\n", 1);
			after_item = is_list_item(line);
		}
		put(b, line, (size_t)(end - line) + (*end == '\n'));
		line = *end == '\n' ? end + 1 : end;
	}
}

static int
last_line_is_item(const struct buf *b)
{
	size_t i = b->len;

	while (i > 0 && b->data[i - 1] == '\n')
		i--;
	while (i > 0 && b->data[i - 1] != '\n')
		i--;
	return b->len > 0 && is_list_item(b->data + i);
}

char *
message_markdown_text(const struct message *m)
{
	struct buf b = BUF_INIT;

	put_markdown_text(&b, buf_str(&m->text));
	return b.data != NULL ? buf_detach(&b) : xstrdup("");
}

/*
 * Buttons are not rendered: Mattermost shows them as the post's actions,
 * which the adapter builds from m->buttons; drawing them in the text too
 * would show each twice.
 */
char *
message_render_markdown(const struct message *m)
{
	struct buf b = BUF_INIT;
	size_t i;

	put_markdown_text(&b, buf_str(&m->text));
	/* The card's lines would join a list that ends the text. */
	if ((m->card_title != NULL || m->nfields > 0) &&
	    last_line_is_item(&b)) {
		new_line(&b);
		put(&b, "\n", 1);
	}
	if (m->card_title != NULL) {
		new_line(&b);
		if (m->card_link != NULL) {
			if (buf_printf(&b, "#### [%s](%s)", m->card_title,
				m->card_link) == -1)
				fatal("message: cannot render");
		} else {
			if (buf_printf(&b, "#### %s", m->card_title) == -1)
				fatal("message: cannot render");
		}
	}
	for (i = 0; i < m->nfields; i++) {
		new_line(&b);
		if (buf_printf(&b, "**%s:** %s", m->fields[i].name,
			m->fields[i].value) == -1)
			fatal("message: cannot render");
	}
	while (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	return b.data != NULL ? buf_detach(&b) : xstrdup("");
}
