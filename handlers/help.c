/*
 * The umbrella command "pm" and help.  `/pm <command> ...` is turned
 * into `/<command> ...` by the router before any handler runs, so this
 * file only answers what is left: `pm` alone and `pm help [command]`
 * (the command list and usage, generated from handler_table), and
 * `pm status` for admins.  A top-level `help` entry makes "help" work in
 * a direct message without the umbrella.
 *
 * Unlike every other handler, this one includes bot.h: `pm status`
 * reports on the process itself (its chat connections and its uptime),
 * which is exactly what a request deliberately does not carry.
 */
#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "handler.h"
#include "log.h"
#include "router.h"

static enum cmd_retval
help_unknown(struct request *req, const char *what, const char *word,
    const char *const *known, size_t nknown)
{
	struct buf b = BUF_INIT;

	if (buf_printf(&b, "unknown %s \"%s\"", what, word) == -1)
		fatal("help: cannot build a reply");
	if (router_did_you_mean(&b, word, known, nknown) == 0 &&
	    known == NULL && buf_puts(&b, "; try \"help\"") == -1)
		fatal("help: cannot build a reply");
	reply_error(req, "%s", buf_str(&b));
	buf_free(&b);
	return CMD_ERROR;
}

/* `help`, `help <command>`, `help <command> <subcommand>`. */
static enum cmd_retval
help_exec(struct request *req)
{
	const struct cmd_entry *cmd = NULL, *sub = NULL;
	char *text;

	if (req->nargs >= 1) {
		cmd = router_find(req->args[0]);
		/* "help status" is the umbrella's own "pm status". */
		if (cmd == NULL && req->nargs == 1) {
			sub = router_find_sub(router_find("pm"), req->args[0]);
			if (sub != NULL)
				cmd = router_find("pm");
		}
		if (cmd == NULL)
			return help_unknown(
			    req, "command", req->args[0], NULL, 0);
	}
	if (req->nargs >= 2) {
		sub = router_find_sub(cmd, req->args[1]);
		if (sub == NULL) {
			const char *known[32];
			size_t n = 0;
			const struct cmd_entry *s;

			for (s = cmd->subs; s != NULL && s->name != NULL &&
					    n < sizeof known / sizeof known[0];
			     s++)
				known[n++] = s->name;
			return help_unknown(
			    req, "subcommand", req->args[1], known, n);
		}
	}
	text = router_help(cmd, sub);
	reply_private(req, "%s", text);
	free(text);
	return CMD_OK;
}

/* "3d 4h 5m": enough to tell a restart from a long run. */
static void
put_uptime(struct message *m, long long ms)
{
	long long min = ms > 0 ? ms / 60000 : 0;

	if (min >= 1440)
		message_printf(m, "%lldd %lldh %lldm", min / 1440,
		    min / 60 % 24, min % 60);
	else if (min >= 60)
		message_printf(m, "%lldh %lldm", min / 60, min % 60);
	else
		message_printf(m, "%lldm", min);
}

static enum cmd_retval
status_exec(struct request *req)
{
	struct bot *bot = req->bot;
	struct message *m;
	int i;

	if (bot == NULL)
		return reply_error(req, "status is not available here");
	m = message_new();
	message_printf(
	    m, "**pmbot status**\n- version: %s\n- uptime: ", PMBOT_VERSION);
	put_uptime(m, bot->started_ms > 0 ? now_ms() - bot->started_ms : 0);
	message_printf(m, "\n- redis: %s",
	    bot->store != NULL ? store_status(bot->store) : "not configured");
	if (bot->nadapters == 0)
		message_printf(m, "\n- chat: no adapter running");
	for (i = 0; i < bot->nadapters; i++) {
		const struct adapter *a = bot->adapters[i];

		if (a == NULL || a->ops == NULL)
			continue;
		message_printf(m, "\n- %s: %s", a->ops->name,
		    a->ops->ready != NULL && a->ops->ready(a)
			? "connected"
			: "not connected");
	}
	reply_message(req, m, 1);
	message_free(m);
	return CMD_OK;
}

static const struct cmd_entry pm_subs[] = {
    {
	.name = "help",
	.usage = "pm help [command] [subcommand]",
	.summary = "the command list, or one command's usage",
	.examples = "pm help\npm help guide",
	.args_min = 0,
	.args_max = 2,
	.perm = PERM_ANYONE,
	.exec = help_exec,
    },
    {
	.name = "status",
	.usage = "pm status",
	.summary = "connections, Redis, version and uptime (admins)",
	.args_min = 0,
	.args_max = 0,
	.perm = PERM_ADMIN,
	.exec = status_exec,
    },
    {.name = NULL},
};

const struct cmd_entry cmd_pm_entry = {
    .name = "pm",
    .usage = "pm <command> [arguments]",
    .summary = "every command under one name: `/pm brief x` is `/brief x`",
    .examples = "pm guide start\npm help brief",
    .args_min = 0,
    .args_max = 0,
    .perm = PERM_ANYONE,
    .subs = pm_subs,
    .exec = help_exec,
};

const struct cmd_entry cmd_help_entry = {
    .name = "help",
    .aliases = {"commands"},
    .usage = "help [command] [subcommand]",
    .summary = "the command list, or one command's usage",
    .examples = "help\nhelp guide",
    .args_min = 0,
    .args_max = 2,
    .perm = PERM_ANYONE,
    .exec = help_exec,
};
