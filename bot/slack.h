/*
 * The Slack adapter: Socket Mode for events and commands, the Web API
 * for posts (through the durable outbox), Block Kit rendering.
 * ../shared/reference/slack.md describes the protocol.
 */
#ifndef PMBOT_SLACK_H
#define PMBOT_SLACK_H

#include <stddef.h>

struct bot;
struct message;

/* The adapter for bot->cfg's workspace; NULL when it cannot be set up. */
struct adapter *slack_new(struct bot *bot);

/*
 * The pure parts, exported for the unit tests and the fuzzer.
 */

/* The neutral Markdown subset of message.h as Slack mrkdwn: **bold**
 * becomes *bold*, [label](url) becomes <url|label>, "- " list items get
 * a bullet, and &, < and > are escaped as Slack requires.  The caller
 * frees the result. */
char *slack_render_mrkdwn(const char *text);
/* The whole message as a Block Kit array (JSON text): sections of
 * mrkdwn, the card as a section with fields, the buttons as an actions
 * block whose values carry the button's command line.  The caller
 * frees it. */
char *slack_render_blocks(const struct message *m);
/* The notification text that goes beside the blocks (mrkdwn). */
char *slack_render_text(const struct message *m);

/* Text as Slack sends it (&amp; &lt; &gt; escaped, links as <url|label>,
 * users as <@U123>, channels as <#C123|name>) back to what the person
 * typed: entities decoded, links as their URL, channels as #name, users
 * as @name when lookup (may be NULL) knows the id, else @U123. */
char *slack_text_decode(const char *text,
    const char *(*lookup)(void *priv, const char *user_id), void *priv);

/* Why a signed request was refused (HTTP mode). */
enum slack_sig_result {
	SLACK_SIG_OK = 0,
	SLACK_SIG_MISSING = -1, /* no timestamp or signature header */
	SLACK_SIG_STALE = -2,   /* timestamp more than 5 minutes away */
	SLACK_SIG_BAD = -3,     /* the signature does not match */
};
/* Checks X-Slack-Signature (v0=hex HMAC-SHA256 of "v0:ts:body" keyed by
 * the signing secret) in constant time, and the replay window against
 * now_s (seconds since the epoch). */
enum slack_sig_result slack_signature_check(const char *secret,
    const char *timestamp, const char *signature, const char *body, size_t len,
    long long now_s);
const char *slack_sig_reason(enum slack_sig_result r);

/* What a Socket Mode frame is, as the adapter reads it. */
enum slack_frame {
	SLACK_FRAME_INVALID,
	SLACK_FRAME_HELLO,
	SLACK_FRAME_DISCONNECT,
	SLACK_FRAME_ENVELOPE,
	SLACK_FRAME_OTHER,
};
/* Classifies a frame.  For an envelope, the id is copied to envelope_id
 * (at most idlen-1 bytes; an id that does not fit is invalid) and type
 * to type; for a disconnect, the reason goes to type. */
enum slack_frame slack_frame_parse(const char *json, size_t len,
    char *envelope_id, size_t idlen, char *type, size_t typelen);

#endif
