/*
 * The table of every command (STYLE.md rule 2): help, the umbrella, the
 * did-you-mean answers and Mattermost command registration are all
 * generated from it, so adding a command is adding its entry here.
 * The order is the order of the command list in help.
 */
#include <stddef.h>

#include "handler.h"
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
