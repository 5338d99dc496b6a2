/*
 * The neutral message form every handler produces and every adapter
 * renders (STYLE.md rule 4).  Text uses a small Markdown subset that both
 * chats can show: **bold**, _italic_, `code`, [label](url), and lines
 * starting "- " for lists.  Mattermost takes it nearly as is; Slack
 * renders it to mrkdwn and Block Kit; the console prints it plainly.
 *
 * A message may carry one card: a title (optionally linked), fields shown
 * as name/value pairs, and buttons that call back into the bot.
 */
#ifndef PMBOT_MESSAGE_H
#define PMBOT_MESSAGE_H

#include <stddef.h>

#include "buf.h"

struct msg_field {
	char *name;
	char *value;
	int is_short; /* may sit beside another short field */
};

struct msg_button {
	char *label;
	char *action; /* command line to run when pressed, e.g. "ack 42" */
	int primary;
};

struct message {
	struct buf text;
	char *card_title;
	char *card_link;
	struct msg_field *fields;
	size_t nfields;
	struct msg_button *buttons;
	size_t nbuttons;
};

struct message *message_new(void);
void message_free(struct message *m);
struct message *message_dup(const struct message *m);
void message_printf(struct message *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void message_card(struct message *m, const char *title, const char *link);
void message_field(
    struct message *m, const char *name, const char *value, int is_short);
void message_button(
    struct message *m, const char *label, const char *action, int primary);
/* Plain-text rendering (console, logs, fallbacks): markup removed, links
 * shown as "label <url>", the card as indented "name: value" lines. */
char *message_render_plain(const struct message *m);
/* Mattermost Markdown: the text (see message_markdown_text); the card
 * rendered as Markdown too. */
char *message_render_markdown(const struct message *m);
/* The text alone as Markdown: as written, but a line that ends a list
 * starts a paragraph of its own instead of joining the last item.  The
 * caller frees it. */
char *message_markdown_text(const struct message *m);

#endif
