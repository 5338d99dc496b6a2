/*
 * Every bound pmbot enforces on data it did not produce, and every timeout,
 * in one place (STYLE.md rule 12).  Each comment says where the number
 * comes from so that a later change knows what it is trading.
 */
#ifndef PMBOT_LIMITS_H
#define PMBOT_LIMITS_H

/* SPEC "HTTP listener": bodies over 64 KiB are refused with 413. */
#define LIMIT_HTTP_BODY (64 * 1024)

/* Largest response body we accept from a REST peer (Jira search results,
 * Mattermost post lists).  Bigger answers are cut off and treated as an
 * error rather than grown without bound. */
#define LIMIT_HTTP_RESPONSE (4 * 1024 * 1024)

/* Largest WebSocket message we reassemble from fragments.  Mattermost
 * posts are at most 16383 runes; 1 MiB leaves room for the JSON
 * wrapping and for Slack's Block Kit envelopes. */
#define LIMIT_WS_MESSAGE (1024 * 1024)

/* One command line, as typed.  Mattermost allows 16383 characters in a
 * post; a command longer than 4 KiB is not a command. */
#define LIMIT_COMMAND_TEXT 4096

/* Words in one command line after quoting is resolved. */
#define LIMIT_COMMAND_ARGS 64

/* Longest single line read by the console adapter. */
#define LIMIT_CONSOLE_LINE 8192

/* Configuration file size: the example is a few KiB. */
#define LIMIT_CONFIG_FILE (1024 * 1024)

/* Per-user command rate: this many commands per window. */
#define LIMIT_RATE_COMMANDS 20
#define LIMIT_RATE_WINDOW_MS 60000
/* Users the rate table remembers at once.  Idle users are dropped first;
 * a team's chat has far fewer people active within one window. */
#define LIMIT_RATE_USERS 4096

/* The guide text file (config/guide.md) is a few KiB; anything much
 * bigger is not the guide. */
#define LIMIT_GUIDE_FILE (256 * 1024)

/* Grace period for in-flight work on SIGINT/SIGTERM before handles are
 * closed regardless (a Redis that accepts but never answers). */
#define LIMIT_SHUTDOWN_MS 5000

/* Redis: connect timeout (hiredis 0.14 has no async timeout of its own)
 * and the reconnect backoff bounds. */
#define LIMIT_REDIS_CONNECT_MS 2000
#define LIMIT_REDIS_BACKOFF_MIN_MS 100
#define LIMIT_REDIS_BACKOFF_MAX_MS 5000
/* A command waiting this long for Redis is answered with an error. */
#define LIMIT_REDIS_COMMAND_MS 3000

/* HTTP client: default total timeout, connect timeout, retries, and the
 * cap on concurrent requests to one host. */
#define LIMIT_HTTP_TIMEOUT_MS 10000
#define LIMIT_HTTP_CONNECT_MS 5000
#define LIMIT_HTTP_RETRIES 4
#define LIMIT_HTTP_BACKOFF_MIN_MS 250
#define LIMIT_HTTP_BACKOFF_MAX_MS 30000
#define LIMIT_HTTP_PER_HOST 8

/* Mattermost's default maximum post size in runes (MaxPostSize). */
#define LIMIT_POST_RUNES 16383

/* Metric series (metric + label set).  Labels can carry user-typed
 * command words; past this many, new series are dropped, not grown. */
#define LIMIT_METRICS_SERIES 512

/* Jira: a failed serverInfo/myself check is tried again after this long,
 * so a fixed token or a Jira back from maintenance is noticed without a
 * restart, yet a broken one is not hammered by every /qa. */
#define LIMIT_JIRA_RECHECK_MS 60000
/* /qa answers "still working" when Jira has not finished within this
 * (a 429/503 being retried after Retry-After), then tells the user when
 * the ticket is done.  Mattermost gives a slash command 3 s. */
#define LIMIT_JIRA_SLOW_MS 2500
/* The per-slug /qa claim in Redis: longer than the HTTP client's worst
 * case for a search plus a create with retries, so it only expires when
 * the replica holding it died. */
#define LIMIT_QA_LOCK_MS 120000
/* Entries kept in one brief's checklist log (oldest dropped first). */
#define LIMIT_CHECKLIST_LOG 500
/* Items in one brief's checklist: the shipped templates have 12. */
#define LIMIT_CHECKLIST_ITEMS 99

/* Scheduler.  A claimed job is leased for this long: far more than
 * queueing one post and confirming it takes (two Redis round trips), so
 * a lease only runs out when the replica holding it died. */
#define LIMIT_SCHED_LEASE_MS 20000
/* The loop timer never sleeps longer than this, so a clock jump or a job
 * another replica added sooner is noticed within it (eventloop.md §2.7
 * suggests about a minute; half keeps a dead replica's job late by
 * less). */
#define LIMIT_SCHED_MAX_SLEEP_MS 30000
/* While Redis is down the scheduler looks again this often. */
#define LIMIT_SCHED_RETRY_MS 1000
/* Jobs claimed in one script call; more due are claimed right after. */
#define LIMIT_SCHED_BATCH 50
/* A job firing this much after its due time says it is late. */
#define LIMIT_SCHED_LATE_MS 60000
/* How long the mark that a job's post went out is kept (dedup of a
 * re-fired job on adapters without an outbox), and a fired one-off
 * reminder stays snoozable. */
#define LIMIT_SCHED_POSTED_TTL_S (7 * 86400)
#define LIMIT_SCHED_FIRED_TTL_S 86400
/* Pending reminders one user may have. */
#define LIMIT_REMINDERS_PER_USER 200
/* A reminder's text. */
#define LIMIT_REMINDER_TEXT 2000

/* Duty rotations (duty.c).  A rotation is a team's PMs, not a company:
 * members and overrides in force are bounded so one stored model stays
 * a few KiB.  Turn scans give up after this many edges. */
#define LIMIT_DUTY_MEMBERS 50
#define LIMIT_DUTY_OVERRIDES 100
#define LIMIT_DUTY_SCAN 400
/* Overrides are kept this long after they end, then pruned. */
#define LIMIT_DUTY_KEEP_MS (30LL * 86400 * 1000)
/* History entries kept per rotation (a list, newest first). */
#define LIMIT_DUTY_HISTORY 200
/* Escalation text and customer-request text. */
#define LIMIT_ESCALATION_TEXT 2000
/* The customer named by /request add: a name, not a paragraph. */
#define LIMIT_CUSTOMER_NAME 200
/* Rounds of re-escalation before the bot stops naming the next PM. */
#define LIMIT_ESCALATION_ROUNDS 3
/* Open customer requests and escalations listed in one answer. */
#define LIMIT_DUTY_LIST 50

/* Slack (../shared/reference/slack.md).  Every Socket Mode envelope must
 * be acknowledged within 3 s; a slash command's answer rides in the ack
 * when the handler replies within LIMIT_SLACK_ACK_MS, else the ack goes
 * out empty and the answer follows through the response_url. */
#define LIMIT_SLACK_ACK_MS 2000
/* Block Kit: section text 1..3000 characters, at most 10 fields of 2000
 * each, button text 75, value 2000, 25 elements per actions block, 50
 * blocks per message. */
#define LIMIT_SLACK_SECTION_TEXT 3000
#define LIMIT_SLACK_FIELDS 10
#define LIMIT_SLACK_FIELD_TEXT 2000
#define LIMIT_SLACK_BUTTON_TEXT 75
#define LIMIT_SLACK_BUTTON_VALUE 2000
#define LIMIT_SLACK_ACTIONS 25
#define LIMIT_SLACK_BLOCKS 50
/* chat.postMessage truncates text past 40,000 characters. */
#define LIMIT_SLACK_TEXT 40000
/* chat.postMessage: about one message a second per channel, with short
 * bursts allowed; we allow a burst of this many, then one a second. */
#define LIMIT_SLACK_CHANNEL_PACE_MS 1000
#define LIMIT_SLACK_CHANNEL_BURST 3
/* A Retry-After we cannot read is taken as this (Slack's default tier
 * window), and no pause is longer than the cap. */
#define LIMIT_SLACK_RETRY_AFTER_MS 30000
#define LIMIT_SLACK_RETRY_AFTER_MAX_MS 120000
/* Socket Mode reconnect backoff with jitter, and the longer wait after a
 * too_many_websockets disconnect (opening more makes it worse). */
#define LIMIT_SLACK_BACKOFF_MIN_MS 500
#define LIMIT_SLACK_BACKOFF_MAX_MS 30000
#define LIMIT_SLACK_TOO_MANY_MS 30000
/* Keep-alive: lws pings after this much silence and hangs up when no
 * pong came back within the hangup time (dead-link detection). */
#define LIMIT_SLACK_PING_S 10
#define LIMIT_SLACK_HANGUP_S 30
/* A new connection that has not said hello within this is dropped. */
#define LIMIT_SLACK_HELLO_MS 10000
/* Event de-duplication marks live this long in Redis: Slack retries for
 * about five minutes, replicas see the same retries. */
#define LIMIT_SLACK_DEDUP_S 3600
/* In-memory marks kept when Redis cannot be asked. */
#define LIMIT_SLACK_DEDUP_MEMORY 512
/* HTTP mode: requests signed more than 5 minutes away are replays. */
#define LIMIT_SLACK_SIG_WINDOW_S 300
/* Channels and users cached from the Web API. */
#define LIMIT_SLACK_CACHE 20000

/* The outbox (outbox.c).  A queue's lease outlives one delivery attempt
 * (the HTTP client's LIMIT_HTTP_TIMEOUT_MS) with room to spare, so it
 * only runs out when the replica holding it died. */
#define LIMIT_OUTBOX_LEASE_MS 15000
/* Queues left by other processes are looked for this often. */
#define LIMIT_OUTBOX_SWEEP_MS 5000
/* Backoff after a server error or an unreachable server, per queue:
 * short enough that posts go out soon after the server is back. */
#define LIMIT_OUTBOX_BACKOFF_MIN_MS 500
#define LIMIT_OUTBOX_BACKOFF_MAX_MS 10000
/* The longest pause a 429 may ask of every queue. */
#define LIMIT_OUTBOX_THROTTLE_MAX_MS 120000
/* Posts kept in memory while Redis is unreachable. */
#define LIMIT_OUTBOX_MEMORY 1000
/* How long a post pushed with a de-duplication key blocks its twins. */
#define LIMIT_OUTBOX_DEDUP_S (7 * 86400)

/* Mattermost (../shared/reference/mattermost.md).  Client frames must
 * stay under the server's 8 KiB read limit (§1.1). */
#define LIMIT_MM_CLIENT_FRAME 8192
/* A new connection that has not said hello within this is dropped: an
 * invalid token still upgrades and is closed after ~5 s (§1.2). */
#define LIMIT_MM_HELLO_MS 10000
/* Keep-alive: lws pings after this much silence and hangs up when nothing
 * came back within the hangup time; the server pings every 60 s. */
#define LIMIT_MM_PING_S 30
#define LIMIT_MM_HANGUP_S 75
/* Start-up REST calls (users/me, the team, channels) are tried again
 * after this long when the server is unreachable. */
#define LIMIT_MM_START_RETRY_MS 2000
/* A slash command still running after this answers "working on it" and
 * follows up through response_url; the server waits 30 s (§4.4). */
#define LIMIT_MM_SLASH_WAIT_MS 2000
/* How long a Mattermost button can be pressed after it was posted: its
 * expiry is signed into its context.  Long enough for a reminder's
 * snooze or an escalation's acknowledgement days later. */
#define LIMIT_MM_BUTTON_LIFE_S (30 * 86400)
/* response_url takes at most 5 posts (§4.5). */
#define LIMIT_MM_RESPONSE_URL_USES 5
/* Users' names and zones are cached in Redis this long. */
#define LIMIT_MM_USER_TTL_S 3600
/* Marks that an event was handled, shared by the replicas. */
#define LIMIT_MM_SEEN_TTL_S 86400
/* After a lost connection, missed posts are fetched at most this far
 * back, so a bot that was down for days does not answer old mentions. */
#define LIMIT_MM_RESYNC_WINDOW_MS (15 * 60 * 1000)
/* Posts handled per channel in one re-sync (the server caps since= at
 * 1000). */
#define LIMIT_MM_RESYNC_POSTS 1000

/* Checklist items past due listed in one day's nudges, across everyone:
 * keeps the collecting script short and each DM well under a post's
 * size when a team stops ticking altogether. */
#define LIMIT_NUDGE_ITEMS 200

/* The calendar feed of a rotation: turns from this many weeks back to
 * this many ahead. */
#define LIMIT_CALENDAR_WEEKS_BACK 4
#define LIMIT_CALENDAR_WEEKS_AHEAD 26

#endif
