/*
 * pmbot's command line: a thin layer that parses words and options and
 * hands over to the core (bot_run, config_load).  Options are declared
 * as data so that --help and the errors follow from one table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "bot.h"
#include "config.h"
#include "log.h"
#include "mattermost.h"
#include "scheduler.h"

struct cli {
	const char *command;
	const char *config;
	const char *user;
	const char *channel;
	const char *from;
	const char *days;
	const char *json; /* flags: non-NULL when given */
	const char *ics;
};

struct cli_option {
	const char *name;
	size_t offset;        /* where the value goes in struct cli */
	const char *commands; /* which commands take it, ' '-separated */
	const char *help;
	int flag; /* takes no value */
};

static const struct cli_option options[] = {
    {"--config", offsetof(struct cli, config),
	"run console check-config schedule register-commands",
	"configuration file (default: $PMBOT_CONFIG, config/pmbot.json, "
	"/etc/pmbot/pmbot.json)",
	0},
    {"--user", offsetof(struct cli, user), "console",
	"the user the console speaks as (default: $USER)", 0},
    {"--channel", offsetof(struct cli, channel), "console",
	"the channel the console speaks in (default: the ask channel)", 0},
    {"--from", offsetof(struct cli, from), "schedule",
	"first day of the window, YYYY-MM-DD (default: today)", 0},
    {"--days", offsetof(struct cli, days), "schedule",
	"length of the window in days (default: 7)", 0},
    {"--json", offsetof(struct cli, json), "schedule", "print JSON", 1},
    {"--ics", offsetof(struct cli, ics), "schedule", "print an iCalendar file",
	1},
};

static const char usage_text[] =
    "usage: pmbot [--config FILE]\n"
    "       pmbot console [--config FILE] [--user NAME] [--channel NAME]\n"
    "       pmbot check-config [--config FILE]\n"
    "       pmbot schedule [--config FILE] [--from YYYY-MM-DD] [--days N] "
    "[--json|--ics]\n"
    "       pmbot register-commands [--config FILE]\n"
    "       pmbot --version | --help\n"
    "\n"
    "With no chat server configured, pmbot runs the console on a private\n"
    "redis-server it starts in its state folder ($PMBOT_STATE_DIR).\n";

static int
takes(const struct cli_option *o, const char *command)
{
	const char *p = strstr(o->commands, command);
	size_t n = strlen(command);

	while (p) {
		if ((p == o->commands || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p = strstr(p + 1, command);
	}
	return 0;
}

static int
parse(int argc, char **argv, struct cli *cli)
{
	int i;
	size_t k;

	cli->command = "run";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct cli_option *o = NULL;

		if (a[0] != '-') {
			if (i != 1) {
				fprintf(stderr,
				    "pmbot: unexpected argument "
				    "\"%s\"\n%s",
				    a, usage_text);
				return -1;
			}
			cli->command = a;
			continue;
		}
		for (k = 0; k < sizeof(options) / sizeof(options[0]); k++) {
			size_t n = strlen(options[k].name);

			if (strncmp(a, options[k].name, n) == 0 &&
			    (a[n] == '\0' || a[n] == '=')) {
				o = &options[k];
				break;
			}
		}
		if (o == NULL || !takes(o, cli->command)) {
			fprintf(stderr,
			    "pmbot: unknown option \"%s\" for "
			    "\"%s\"\n%s",
			    a, cli->command, usage_text);
			return -1;
		}
		if (o->flag) {
			*(const char **)((char *)cli + o->offset) = a;
			continue;
		}
		{
			const char *v = strchr(a, '=');

			if (v)
				v++;
			else if (i + 1 < argc)
				v = argv[++i];
			if (v == NULL || *v == '\0') {
				fprintf(stderr,
				    "pmbot: option \"%s\" needs a "
				    "value\n",
				    o->name);
				return -1;
			}
			*(const char **)((char *)cli + o->offset) = v;
		}
	}
	if (strcmp(cli->command, "run") && strcmp(cli->command, "console") &&
	    strcmp(cli->command, "check-config") &&
	    strcmp(cli->command, "schedule") &&
	    strcmp(cli->command, "register-commands")) {
		fprintf(stderr, "pmbot: unknown command \"%s\"\n%s",
		    cli->command, usage_text);
		return -1;
	}
	return 0;
}

static int
check_config(const char *path)
{
	struct config cfg;
	struct config_problems probs = {0};
	size_t i;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	rc = config_load(&cfg, path, &probs);
	if (rc == 0) {
		printf("ok\n");
	} else {
		for (i = 0; i < probs.n; i++)
			printf("%s\n", probs.v[i]);
	}
	config_problems_free(&probs);
	config_free(&cfg);
	log_clear_secrets();
	return rc == 0 ? 0 : 2;
}

/* The commands that need a valid configuration and then do one thing. */
static int
with_config(const struct cli *cli)
{
	struct config cfg;
	struct config_problems probs = {0};
	size_t i;
	long days = 7;
	char *end;
	int rc;

	if (cli->json && cli->ics) {
		fprintf(stderr, "pmbot: --json and --ics exclude each other\n");
		return 2;
	}
	if (cli->days) {
		days = strtol(cli->days, &end, 10);
		if (*end || days < 1 || days > 366) {
			fprintf(stderr,
			    "pmbot: --days wants 1 to 366, not "
			    "\"%s\"\n",
			    cli->days);
			return 2;
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	if (config_load(&cfg, cli->config, &probs) < 0) {
		fprintf(stderr, "pmbot: the configuration has problems:\n");
		for (i = 0; i < probs.n; i++)
			fprintf(stderr, "  %s\n", probs.v[i]);
		config_problems_free(&probs);
		config_free(&cfg);
		return 2;
	}
	config_problems_free(&probs);
	log_setup(cfg.log_level, cfg.log_format);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(cli->command, "schedule") == 0)
		rc = schedule_command(&cfg, cli->from, (int)days,
		    cli->json  ? 1
		    : cli->ics ? 2
			       : 0);
	else
		rc = mattermost_register_commands(&cfg);
	curl_global_cleanup();
	config_free(&cfg);
	log_clear_secrets();
	return rc;
}

int
main(int argc, char **argv)
{
	struct cli cli;
	struct bot_options opt;
	const char *user;
	size_t k;
	int rc;

	memset(&cli, 0, sizeof(cli));
	if (argc > 1 &&
	    (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
		printf("pmbot %s\n", PMBOT_VERSION);
		return 0;
	}
	if (argc > 1 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		fputs("\noptions:\n", stdout);
		for (k = 0; k < sizeof(options) / sizeof(options[0]); k++)
			printf(
			    "  %-10s %s\n", options[k].name, options[k].help);
		return 0;
	}
	if (parse(argc, argv, &cli) < 0)
		return 2;
	if (strcmp(cli.command, "check-config") == 0)
		return check_config(cli.config);
	if (strcmp(cli.command, "schedule") == 0 ||
	    strcmp(cli.command, "register-commands") == 0)
		return with_config(&cli);

	memset(&opt, 0, sizeof(opt));
	opt.mode =
	    strcmp(cli.command, "console") == 0 ? MODE_CONSOLE : MODE_RUN;
	opt.config_path = cli.config;
	user = cli.user ? cli.user : getenv("USER");
	opt.console_user = user && *user ? user : "console";
	opt.console_channel = cli.channel;
	opt.console_fd_in = STDIN_FILENO;
	opt.console_fd_out = STDOUT_FILENO;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = bot_run(&opt);
	curl_global_cleanup();
	return rc;
}
