/*
 * What the Mattermost adapter's files share (mattermost.c: the adapter,
 * events and posts; mattermost_ws.c: the event stream; mattermost_rest.c:
 * REST calls, start-up and register-commands; mattermost_http.c: slash
 * commands and buttons).  Nothing outside them includes this, except the
 * unit tests and fuzzers of the pure parsing functions at the end.
 */
#ifndef PMBOT_MATTERMOST_INT_H
#define PMBOT_MATTERMOST_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>
#include <libwebsockets.h>

#include "adapter.h"
#include "buf.h"
#include "hmac.h"
#include "http_client.h"

struct bot;
struct outbox;
struct http_exchange;

/* Where the server is and how to speak to it over REST. */
struct mm_conn {
	struct http_client *hc;
	char *base; /* "https://chat.example.com[/prefix]", no '/' at end */
	char *auth; /* "Authorization: Bearer <token>" */
	int tls;
	char *host; /* for the WebSocket: name, port, path prefix */
	int port;
	char *prefix;
};

/* A channel the bot knows by name and id. */
struct mm_channel {
	char *id;
	char *name; /* URL name; "@user" for a direct message */
};

struct mm_slash;

struct mm {
	struct adapter a;
	struct bot *bot;
	struct mm_conn conn;
	char *me_id;
	char *me_name;
	char *team_id;
	struct mm_channel *chans;
	size_t nchans;
	struct outbox *outbox;
	char action_key[HMAC_HEX_LEN];

	/* start-up: users/me, the team, the channels */
	uv_timer_t timer;
	int start_step;
	int resolving_channels; /* lookups under way */
	int started, stopping, up;

	/* the event stream */
	struct lws_vhost *vh;
	struct lws *wsi;
	uv_timer_t ws_timer; /* the next (re)connect */
	uint16_t retry_count;
	uv_getaddrinfo_t gai;
	int gai_busy;
	char addr[64];
	struct buf rx;
	int rx_too_big;
	int skipped;        /* messages dropped unread since the last event */
	char *conn_id;      /* from the last hello */
	long long expected; /* seq of the next event */
	int hello;          /* hello seen on this socket */
	long long reconnects;

	struct mm_slash *slashes; /* slash commands and clicks in flight */
};

/* --- mattermost_rest.c ---------------------------------------------------- */

typedef void mm_api_cb(
    const struct http_response *res, cJSON *json, void *priv);
/* Parses url into conn (base, host, port, tls, prefix); -1 when it is
 * not an http(s) URL. */
int mm_conn_init(struct mm_conn *c, struct http_client *hc, const char *url,
    const char *token);
void mm_conn_free(struct mm_conn *c);
/* One REST call under /api/v4 (path starts with '/').  json is the
 * parsed body when it is JSON (freed after cb), else NULL.  retries as
 * http_request.max_retries; GETs are retried on 5xx. */
long mm_api(struct mm_conn *c, const char *method, const char *path,
    const char *body, int retries, mm_api_cb *cb, void *priv);
/* An AppError's message, or the status in words; for logs. */
const char *mm_api_error(const struct http_response *res, cJSON *json);
void mm_startup_begin(struct mm *mm);
/* The channel id for a name we know, or NULL. */
const char *mm_channel_id(const struct mm *mm, const char *name);
const char *mm_channel_name(const struct mm *mm, const char *id);
void mm_channel_add(struct mm *mm, const char *id, const char *name);
/* Re-reads the team's channel ids (after channel events). */
void mm_channels_refresh(struct mm *mm);

/* User facts, cached in Redis with a TTL. */
typedef void mm_user_cb(
    struct mm *mm, const char *username, const char *tz, void *priv);
void mm_user_lookup(
    struct mm *mm, const char *user_id, mm_user_cb *cb, void *priv);

/* --- mattermost_ws.c ------------------------------------------------------ */

int mm_ws_init(struct mm *mm);
void mm_ws_connect_soon(struct mm *mm);
void mm_ws_stop(struct mm *mm);

/* --- mattermost.c --------------------------------------------------------- */

struct store;
/* A store callback for writes whose outcome does not matter. */
void mm_store_ignore(
    struct store *st, redisReply *reply, const char *err, void *priv);

/* The stream is up (hello seen) or down. */
void mm_set_up(struct mm *mm, int up);
/* One parsed event frame. */
void mm_on_event(struct mm *mm, const char *event, cJSON *data);
/* Events were lost: fetch each listened channel's posts since the last
 * one seen. */
void mm_resync(struct mm *mm);
/* Handles one post (from an event or a re-sync): filters, claims it in
 * Redis and routes it.  channel_type is "O", "P", "D", "G" or NULL. */
void mm_handle_post(struct mm *mm, cJSON *post, const char *channel_type);
/* Queues a rendered message into channel (an id) under thread. */
int mm_post_message(struct mm *mm, const char *channel_id, const char *root_id,
    const char *ephemeral_user_id, const struct message *m);
/* CommandResponse objects ({response_type, text, attachments}) for m,
 * one per part of a long text; a cJSON array the caller deletes. */
cJSON *mm_render_responses(
    const struct mm *mm, const struct message *m, int ephemeral);
/* The HMAC a button's context carries: over the action and its expiry
 * (unix seconds, as a string), under key. */
void mm_button_mac(const char *key, const char *action, const char *exp,
    char out[HMAC_HEX_LEN]);

/* --- mattermost_http.c ---------------------------------------------------- */

void mm_http_routes(struct mm *mm);
void mm_http_stop(struct mm *mm);

/* --- pure parsing (unit tests, fuzzers) ----------------------------------- */

enum mm_frame_kind { MM_FRAME_BAD, MM_FRAME_EVENT, MM_FRAME_REPLY };

struct mm_frame {
	enum mm_frame_kind kind;
	const char *event; /* into root */
	long long seq;     /* events */
	cJSON *data;       /* into root; may be NULL */
	cJSON *root;       /* freed with mm_frame_free */
};

/* Classifies one WebSocket message: an event needs a string "event" and
 * an integer "seq" >= 0; a reply has "seq_reply".  Anything else (not
 * JSON, wrong types) is MM_FRAME_BAD.  Returns the kind. */
enum mm_frame_kind mm_parse_frame(
    const char *s, size_t len, struct mm_frame *f);
void mm_frame_free(struct mm_frame *f);

/* The post inside a "posted" event: data.post is a JSON string that must
 * hold an object with string ids.  NULL when it does not. */
cJSON *mm_event_post(const cJSON *data);

struct mm_post_info {
	const char *id, *user_id, *channel_id, *root_id, *message, *type;
	long long create_at;
	int from_webhook, from_bot;
};
/* Reads the fields pmbot uses; -1 when an id or the message is missing
 * or not a string. */
int mm_post_fields(const cJSON *post, struct mm_post_info *pi);

/* Whether text mentions @name as a word (case-insensitive, as the server
 * matches); when it does and out is not NULL, *out is the text without
 * that mention (and a ':' or ',' right after it), trimmed, to free. */
int mm_mentions(const char *text, const char *name, char **out);

/* The JSON bodies for POST /posts of m (text split at LIMIT_POST_RUNES,
 * a card as an attachment on the last part; buttons call action_url and
 * carry key's HMAC).  Returns the count of NULL-terminated strings in
 * *bodies, freed with outbox_split_free. */
size_t mm_render_posts(const struct message *m, const char *channel_id,
    const char *root_id, const char *action_url, const char *key,
    char ***bodies);

#endif
