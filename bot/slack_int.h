/*
 * The Slack adapter's insides, shared by its files and nothing else:
 * slack.c (the adapter, envelopes, events, replies), slack_socket.c
 * (Socket Mode connections), slack_api.c (Web API calls, caches and the
 * paced post queues), slack_http.c (HTTP mode and request signatures)
 * and slack_render.c (mrkdwn and Block Kit).  The router and handlers
 * never include this; they see struct message and struct incoming.
 */
#ifndef PMBOT_SLACK_INT_H
#define PMBOT_SLACK_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>
#include <uv.h>

#include "adapter.h"
#include "buf.h"
#include "slack.h"

struct bot;
struct slack_conn;
struct slack_chanq;

/* One cached id <-> name pair (channels) or user (name and zone). */
struct slack_name {
	char *id;
	char *name;
	char *tz; /* users only; NULL when unknown */
	struct slack_name *next;
	struct slack_name *hnext; /* in its slack_name_index bucket */
};

/* A hash index by id over the channel or the user list, so that the
 * lookups every event makes cost the same in a workspace of ten people
 * as in one of ten thousand. */
#define SLACK_NAME_BUCKETS 1024
struct slack_name_index {
	struct slack_name *b[SLACK_NAME_BUCKETS];
	size_t n;
};

/* The Web API methods whose rate limits are tracked apart. */
enum slack_method { SM_POST_MESSAGE, SM_POST_EPHEMERAL, SM_OTHER, SM_COUNT };

struct slack {
	struct adapter a;
	struct bot *bot;
	char *api_url; /* ends in '/' */
	char *bot_user_id;
	char *bot_id;
	int authed;  /* auth.test answered */
	int started; /* start() ran */
	int stopped;
	int fatal; /* a fatal error was reported */

	/* Socket Mode */
	struct lws_vhost *vhost;
	struct lws_protocols protocols[2];
	struct slack_conn *conns;
	int wanted; /* connections to keep open */
	unsigned next_conn_id;
	int failures; /* consecutive connect failures (backoff) */
	long long backoff_until_ms;
	uv_timer_t tick; /* reconnects, pacing, ack deadlines */
	int tick_open;

	/* caches */
	struct slack_name *channels;
	struct slack_name *users;
	struct slack_name_index channels_idx;
	struct slack_name_index users_idx;
	int channels_loaded;

	/* posting: the durable outbox, paced per channel */
	struct outbox *outbox;
	struct slack_chanq *queues;

	/* de-duplication of events across retries and replicas */
	int dedup_script;
	struct slack_name *recent; /* in-memory fallback when Redis is down */
	size_t nrecent;

	/* HTTP mode */
	char *signing_secret;

	/* pending slash-command acks (slack.c) */
	struct slack_reply *acks;
};

/* --- slack.c ------------------------------------------------------------ */

/* A frame arrived on a Socket Mode connection (parsed JSON, owned by the
 * caller). */
void slack_on_envelope(struct slack *s, struct slack_conn *c, cJSON *env);
/* The fatal path: logs why and shuts the bot down with status 1. */
void slack_fatal(struct slack *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* An events_api payload (event_callback) from either transport. */
void slack_on_event_callback(struct slack *s, const cJSON *payload);
/* A block_actions payload from either transport. */
void slack_on_block_actions(struct slack *s, const cJSON *payload);

/* How an HTTP-mode slash command is answered: the first reply within
 * the window rides in the HTTP response. */
struct http_exchange;
void slack_on_http_command(
    struct slack *s, struct http_exchange *x, const cJSON *fields);

/* --- slack_socket.c ----------------------------------------------------- */

int slack_socket_setup(struct slack *s);
/* Opens connections until `wanted` are open or opening. */
void slack_socket_fill(struct slack *s);
void slack_socket_stop(struct slack *s);
/* 1 when at least one connection has said hello. */
int slack_socket_ready(const struct slack *s);
/* Queues one text frame on connection id (or any ready one when that is
 * gone); -1 when no connection can take it. */
int slack_socket_send(struct slack *s, unsigned conn_id, const char *text);
unsigned slack_conn_id(const struct slack_conn *c);
/* Periodic work: reconnect timers, dead links. */
void slack_socket_tick(struct slack *s);
void slack_socket_free(struct slack *s);

/* --- slack_api.c -------------------------------------------------------- */

/* Completion of one Web API call: root is the parsed answer when Slack
 * said ok:true; otherwise root is NULL and error says why (Slack's error
 * code, "ratelimited", or a transport error). */
typedef void slack_api_cb(struct slack *s, const cJSON *root, const char *error,
    long retry_after_ms, void *priv);

/* POSTs body (JSON object text, or NULL for none) to method with the bot
 * token, or the app token when app_token is set.  cb may be NULL. */
void slack_api_call(struct slack *s, const char *method, const char *body,
    int app_token, slack_api_cb *cb, void *priv);
/* auth.test, then the channel list; starts Socket Mode when done. */
void slack_api_start(struct slack *s);
/* Queues a post in the outbox: channel is a Slack id; thread_ts,
 * ephemeral_user and dedup may be NULL.  Posts to one channel leave in
 * order, paced.  0, or -1 when the outbox cannot take it (logged). */
int slack_api_post(struct slack *s, const char *channel, const char *thread_ts,
    const char *ephemeral_user, const struct message *m, const char *dedup);
/* The outbox's deliver function (outbox.h). */
struct outbox;
struct outbox_item;
void slack_deliver(
    struct outbox *ob, const struct outbox_item *item, void *priv);
/* POSTs a reply to a response_url (slash commands, buttons). */
void slack_api_respond(
    struct slack *s, const char *url, const struct message *m, int ephemeral);
/* Sends the posts that were waiting for their channel's pace. */
void slack_api_pump(struct slack *s);
void slack_api_free(struct slack *s);

/* Channel and user caches. */
const char *slack_channel_name(const struct slack *s, const char *id);
const char *slack_channel_id(const struct slack *s, const char *name);
void slack_channel_remember(struct slack *s, const char *id, const char *name);
typedef void slack_user_cb(
    struct slack *s, const struct slack_name *u, void *priv);
/* The user's name and zone, from the cache or users.info; u is NULL when
 * Slack does not know the id. */
void slack_user_lookup(
    struct slack *s, const char *id, slack_user_cb *cb, void *priv);
const struct slack_name *slack_user_by_name(
    const struct slack *s, const char *name);

/* --- slack_http.c ------------------------------------------------------- */

/* Registers /slack/commands, /slack/events and /slack/actions. */
void slack_http_setup(struct slack *s);

/* --- shared names ------------------------------------------------------- */

struct slack_name *slack_name_find(struct slack_name *l, const char *id);
/* The cached channel or user with that id, or NULL. */
struct slack_name *slack_name_lookup(
    const struct slack_name_index *ix, const char *id);
void slack_names_free(struct slack_name *l);

#endif
