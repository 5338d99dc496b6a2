/*
 * Everything a command handler may use.  A handler includes this header
 * and nothing from the adapters: it gets a request, the store and a way
 * to reply, and never touches a socket.
 *
 * Adding a command:
 *  1. Write handlers/<family>.c with one constant struct cmd_entry per
 *     command word (name, aliases, usage, summary, argument bounds,
 *     permission, subcommands, exec).
 *  2. Add the entry to handler_table[] in handlers/handlers.c; help,
 *     the umbrella command and registration follow from it.
 *  3. Validate first, then act: argument counts are checked by the router
 *     from the entry; check typed arguments with the *_or_reply helpers
 *     and return their CMD_ERROR; touch Redis or Jira only afterwards.
 *  4. Answer with reply()/reply_private(), errors with reply_error()
 *     (lower-case, the subject quoted, the usage line added by
 *     reply_usage()).  Return CMD_OK or CMD_ERROR, or CMD_WAIT when a
 *     callback will finish the work with request_done().
 *  5. Add tests/unit/test_<family>.c.
 */
#ifndef PMBOT_HANDLER_H
#define PMBOT_HANDLER_H

#include <stddef.h>

#include "config.h"
#include "message.h"
#include "store.h"

enum cmd_retval { CMD_OK, CMD_ERROR, CMD_WAIT };

enum cmd_perm {
	PERM_ANYONE,
	PERM_PM,        /* configured PMs and admins */
	PERM_MARKETING, /* marketing, PMs and admins */
	PERM_ADMIN,
};

enum req_source {
	SRC_SLASH,   /* /brief foo */
	SRC_MENTION, /* @pmbot brief foo in a channel */
	SRC_DM,      /* brief foo in a direct message */
	SRC_CONSOLE, /* typed on the terminal */
	SRC_BUTTON,  /* a button press */
};

struct request;

struct cmd_entry {
	const char *name;
	const char *aliases[4]; /* NULL-terminated */
	const char *usage;      /* "brief add <slug> <url> [owner @user]" */
	const char *summary;    /* one line for the command list */
	const char *examples;   /* lines separated by '\n', or NULL */
	int args_min;           /* words after the name (and subcommand) */
	int args_max;           /* -1: any */
	enum cmd_perm perm;
	const struct cmd_entry *subs; /* array ended by a {NULL} entry */
	enum cmd_retval (*exec)(struct request *req);
};

/* What a reply goes through: the adapter's sink, set by the router. */
struct reply_sink {
	/* Sends one message; ephemeral = only the caller sees it. */
	void (*send)(void *ctx, const struct request *req,
	    const struct message *m, int ephemeral);
	/* Called once when the request is finished. */
	void (*release)(void *ctx);
	void *ctx;
};

#define REQUEST_ID_LEN 16

struct request {
	/* Who and where (owned by the request). */
	char *user;       /* user name, no '@' */
	char *user_id;    /* chat id, or NULL */
	char *channel;    /* channel name, or "@user" for a DM */
	char *channel_id; /* chat id, or NULL */
	char *thread;     /* thread root to reply in, or NULL */
	char *tz;         /* the caller's IANA zone, or NULL */
	char *text;       /* the command line as typed, without mention */
	enum req_source source;

	/* The command, parsed by the router. argv[0] is the command word,
	 * argv[1] the subcommand when entry is a subcommand; args points at
	 * the first argument after them, nargs counts them. */
	int argc;
	char **argv;
	char **args;
	int nargs;
	const struct cmd_entry *cmd;   /* the top-level command */
	const struct cmd_entry *entry; /* the entry being run */

	/* What the handler may use. */
	const struct config *cfg;
	struct store *store;
	void *bot; /* opaque; for the core's helpers only */

	struct reply_sink sink;
	int replied; /* how many replies went out */
	long long started_ms;
	void *hdata; /* the handler's own state while waiting */
	/* A scheduled job's firing: its posts carry "<post_key>:<n>" as
	 * their de-duplication key, so a job fired again by another
	 * replica (its first firing died before confirming) does not say
	 * anything twice.  NULL for a command. */
	char *post_key;
	int nposts;
	/* Names this request in every log line about it, from the event
	 * that brought it to its last reply: 16 hex digits, random, so the
	 * logs of several replicas can be merged. */
	char id[REQUEST_ID_LEN + 1];
};

/* Replies visible in the channel (in the thread for mentions). */
void reply(struct request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Replies only the caller sees. */
void reply_private(struct request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void reply_message(struct request *req, const struct message *m, int ephemeral);
/* An error only the caller sees; returns CMD_ERROR. */
enum cmd_retval reply_error(struct request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* An error followed by the entry's usage line; returns CMD_ERROR. */
enum cmd_retval reply_usage(struct request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The store-unavailable answer; returns CMD_ERROR. */
enum cmd_retval reply_store_down(struct request *req);
/* Finishes a request that returned CMD_WAIT. */
void request_done(struct request *req, enum cmd_retval rv);

/* Posts outside the conversation: to a channel name or "@user" (a DM).
 * Returns 0 or -1 when no adapter could take it. */
int request_post(
    struct request *req, const char *channel, const struct message *m);

/* Typed argument checks that reply on failure (validate, then act):
 * 1 when the argument is valid, 0 after replying with the error and the
 * usage line, so the caller just returns CMD_ERROR.  arg_user_or_reply
 * strips the '@' and gives a copy the caller frees. */
int arg_user_or_reply(struct request *req, const char *arg, char **user);
int arg_slug_or_reply(struct request *req, const char *arg);
int arg_int_or_reply(
    struct request *req, const char *arg, long min, long max, long *out);

/* Time now, in milliseconds since the epoch (wall clock). */
long long now_ms(void);

#endif
