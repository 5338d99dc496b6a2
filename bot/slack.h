/*
 * The Slack adapter: Socket Mode for events and commands, the Web API
 * for posts (through the durable outbox), Block Kit rendering.
 * ../shared/reference/slack.md describes the protocol.
 */
#ifndef PMBOT_SLACK_H
#define PMBOT_SLACK_H

struct bot;

/* The adapter for bot->cfg's workspace; NULL when it cannot be set up. */
struct adapter *slack_new(struct bot *bot);

#endif
