/*
 * The Mattermost adapter: REST with the bot token, the WebSocket event
 * stream with resume, slash commands and button callbacks on the HTTP
 * listener, and posts through the durable outbox.
 * ../shared/reference/mattermost.md describes the server it speaks to.
 */
#ifndef PMBOT_MATTERMOST_H
#define PMBOT_MATTERMOST_H

struct bot;
struct config;

/* The adapter for bot->cfg's server; NULL when it cannot be set up. */
struct adapter *mattermost_new(struct bot *bot);
/* `pmbot register-commands`: creates or updates one custom slash command
 * per command word for the configured team; prints the tokens.  Runs its
 * own short-lived loop.  Returns the process exit status (0, or 1 on an
 * API failure). */
int mattermost_register_commands(const struct config *cfg);

#endif
