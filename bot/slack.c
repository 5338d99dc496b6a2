/* Placeholder until the adapter lands: configuring Slack fails plainly. */
#include "bot.h"
#include "log.h"
#include "slack.h"

struct adapter *
slack_new(struct bot *bot)
{
	log_error("slack: this build has no Slack adapter yet");
	return NULL;
}
