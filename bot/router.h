/*
 * The router: turns a line of text from any adapter into a command run.
 * It splits the line into words (quotes group words), strips the umbrella
 * "/pm", finds the entry in the handler table, checks arguments,
 * permission and the caller's rate, and runs the handler with a request.
 * An unknown word is answered with the nearest known words.
 */
#ifndef PMBOT_ROUTER_H
#define PMBOT_ROUTER_H

#include "handler.h"

struct bot;

/* What an adapter knows about an incoming command. Strings are copied. */
struct incoming {
	const char *user;
	const char *user_id;
	const char *channel;
	const char *channel_id;
	const char *thread;
	const char *tz;
	const char *text;
	enum req_source source;
	struct reply_sink sink;
	const char *event_id; /* the chat's id of the event, for the log */
};

/* Runs the command in `in`.  The sink's release is called exactly once,
 * when the command has finished (maybe later, from a callback). */
void router_handle(struct bot *bot, const struct incoming *in);

/* The table of every command (handlers/handlers.c), NULL-terminated. */
extern const struct cmd_entry *const handler_table[];

/*
 * A channel post that asks the bot nothing may still be work for it: in
 * the Twitter channel a question for the PM team is an escalation, and a
 * reply in an escalation's thread acknowledges it (quietly when the
 * thread is no escalation).  addressed is the text after the bot's
 * mention, or NULL when it was not mentioned.  Returns the command line
 * the adapter runs as a mention in that thread (the caller frees it), or
 * NULL.  Adapters call it for every human post in a listened channel.
 */
char *router_passive_command(const struct config *cfg, const char *channel,
    const char *text, const char *addressed, int in_thread);

/* Releases what handlers cache between requests (at exit). */
void handlers_cleanup(void);

/* Finds a command by name or alias; NULL when unknown. */
const struct cmd_entry *router_find(const char *word);
const struct cmd_entry *router_find_sub(
    const struct cmd_entry *cmd, const char *word);

/*
 * Splits a command line into words: blanks separate, "double quotes"
 * group (with \" and \\ escaped inside), smart quotes count as quotes.
 * Returns the number of words (argv is NULL-terminated, freed with
 * words_free), or -1 with err set: unbalanced quote, too many words,
 * invalid UTF-8, or a line over LIMIT_COMMAND_TEXT.
 */
int words_split(const char *line, char ***argv, char *err, size_t errlen);
void words_free(char **argv);

/* Up to max known words nearest to word by edit distance (at most a third
 * of its length, at least 2), best first; returns how many. */
int nearest_words(const char *word, const char *const *known, size_t nknown,
    const char **out, int max);
/* Edit distance between two strings (Damerau: adjacent swaps count 1). */
int edit_distance(const char *a, const char *b);
/* Appends `; did you mean "a", "b" or "c"?` naming the known words
 * nearest to word (every command name and alias when known is NULL), or
 * nothing; returns how many were named. */
int router_did_you_mean(
    struct buf *out, const char *word, const char *const *known, size_t nknown);

/* Usage text of one entry, or the command list when cmd is NULL. */
char *router_help(const struct cmd_entry *cmd, const struct cmd_entry *sub);

/* Whether the user may run the entry under cfg's roles. */
int router_permitted(
    const struct config *cfg, const char *user, enum cmd_perm perm);

/* Per-user command rate limiting (LIMIT_RATE_COMMANDS per window), in
 * memory: each replica limits what it serves. */
struct rate_table;
struct rate_table *rate_table_new(int per_minute);
void rate_table_free(struct rate_table *t);
/* 1 when the user may run one more command now (and counts it). */
int rate_table_take(struct rate_table *t, const char *user, long long now_ms);

/* Whether the text is valid UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *s, size_t len);

#endif
