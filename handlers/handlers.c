/*
 * The table of every command (STYLE.md rule 2): help, the umbrella, the
 * did-you-mean answers and Mattermost command registration are all
 * generated from it, so adding a command is adding its entry here.
 * The order is the order of the command list in help.
 */
#include <stddef.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "handler.h"
#include "limits.h"
#include "rotation.h"
#include "router.h"

extern const struct cmd_entry cmd_pm_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_guide_entry;
extern const struct cmd_entry cmd_brief_entry;
extern const struct cmd_entry cmd_checklist_entry;
extern const struct cmd_entry cmd_qa_entry;
extern const struct cmd_entry cmd_remind_entry;
extern const struct cmd_entry cmd_meeting_entry;
extern const struct cmd_entry cmd_rotation_entry;
extern const struct cmd_entry cmd_escalate_entry;
extern const struct cmd_entry cmd_request_entry;

const struct cmd_entry *const handler_table[] = {
    &cmd_pm_entry,
    &cmd_help_entry,
    &cmd_brief_entry,
    &cmd_guide_entry,
    &cmd_checklist_entry,
    &cmd_qa_entry,
    &cmd_remind_entry,
    &cmd_meeting_entry,
    &cmd_rotation_entry,
    &cmd_escalate_entry,
    &cmd_request_entry,
    /* Further command entries go here, e.g. &cmd_brief_entry. */
    NULL,
};

void guide_cache_free(void);

void
handlers_cleanup(void)
{
	guide_cache_free();
}

/* The first word of text, as far as a blank. */
static int
first_word_is_command(const char *text)
{
	char word[64];
	size_t n = 0;

	while (*text == ' ' || *text == '\t')
		text++;
	if (*text == '/')
		text++;
	while (text[n] && text[n] != ' ' && text[n] != '\t' &&
	       n + 1 < sizeof(word)) {
		word[n] = text[n];
		n++;
	}
	word[n] = '\0';
	return n > 0 && router_find(word) != NULL;
}

/*
 * The text of a post as the argument of "escalate": double quotes (plain
 * and typographic) become single ones so that quoting cannot fail,
 * line breaks become blanks, and the length stays well inside a command
 * line without cutting a UTF-8 sequence.
 */
static char *
escalate_line(const char *text)
{
	struct buf b = BUF_INIT;
	const unsigned char *p = (const unsigned char *)text;
	size_t max = LIMIT_COMMAND_TEXT / 2;

	buf_puts(&b, "escalate ");
	while (*p && b.len < max) {
		if (*p == '"' || *p == '\n' || *p == '\r' || *p == '\t') {
			buf_putc(&b, *p == '"' ? '\'' : ' ');
			p++;
		} else if (p[0] == 0xe2 && p[1] == 0x80 &&
			   (p[2] == 0x9c || p[2] == 0x9d)) {
			buf_putc(&b, '\'');
			p += 3;
		} else {
			size_t n = *p < 0x80    ? 1
				   : *p >= 0xf0 ? 4
				   : *p >= 0xe0 ? 3
						: 2;

			if (b.len + n > max)
				break;
			buf_append(&b, p, n);
			p += n;
		}
	}
	return buf_detach(&b);
}

char *
router_passive_command(const struct config *cfg, const char *channel,
    const char *text, const char *addressed, int in_thread)
{
	const char *tw = config_channel(cfg, "twitter");

	if (channel == NULL || text == NULL || tw == NULL ||
	    strcasecmp(channel, tw) != 0)
		return NULL;
	/* "@pmbot help" in the Twitter channel is still a command. */
	if (addressed != NULL && first_word_is_command(addressed))
		return NULL;
	if (in_thread)
		return xstrdup("escalate ack");
	if (!escalate_wants_message(cfg, channel, text))
		return NULL;
	return escalate_line(text);
}
