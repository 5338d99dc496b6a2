/* Placeholder until the adapter lands: configuring a server fails plainly. */
#include <stdio.h>

#include "bot.h"
#include "log.h"
#include "mattermost.h"

struct adapter *
mattermost_new(struct bot *bot)
{
	log_error("mattermost: this build has no Mattermost adapter yet");
	return NULL;
}

int
mattermost_register_commands(const struct config *cfg)
{
	fprintf(stderr, "pmbot: register-commands is not available yet\n");
	return 1;
}
