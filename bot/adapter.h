/*
 * The interface between the core and a chat adapter (console, Mattermost,
 * Slack).  An adapter translates: it turns its wire events into calls of
 * router_handle() and turns posts into its wire format.  Nothing outside
 * an adapter knows a chat's JSON.
 */
#ifndef PMBOT_ADAPTER_H
#define PMBOT_ADAPTER_H

#include "message.h"

struct bot;
struct adapter;

/* Where a post goes. channel is a channel name, or "@user" for a direct
 * message; ephemeral_user set means only that user sees it. */
struct post {
	const char *channel;
	const char *thread;         /* thread root id, or NULL */
	const char *ephemeral_user; /* or NULL */
	const struct message *msg;
	const char *dedup_key; /* or NULL: posts with the same key are
				  delivered at most once */
};

struct adapter_ops {
	const char *name;
	/* Connects; 0 or -1 (fatal, with the reason logged). */
	int (*start)(struct adapter *a);
	/* Stops taking events; in-flight posts may finish. */
	void (*stop)(struct adapter *a);
	/* Queues a post; 0 or -1. The adapter copies what it keeps. */
	int (*post)(struct adapter *a, const struct post *p);
	/* 1 when connected and serving. */
	int (*ready)(const struct adapter *a);
	void (*free)(struct adapter *a);
};

struct adapter {
	const struct adapter_ops *ops;
	struct bot *bot;
	void *priv;
};

#endif
