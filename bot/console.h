/*
 * The console adapter (`pmbot console`): each line typed is a message
 * from one user in one channel; replies and scheduled posts print to the
 * terminal.  With a terminal attached it offers line editing and history
 * (libedit); on a pipe it reads plain lines, one command at a time in
 * order, and shuts the bot down cleanly at end of input.
 */
#ifndef PMBOT_CONSOLE_H
#define PMBOT_CONSOLE_H

struct bot;
struct adapter;

struct adapter *console_new(struct bot *bot, const char *user,
    const char *channel, int fd_in, int fd_out);

#endif
