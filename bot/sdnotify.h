/*
 * systemd's service notification (Type=notify, WatchdogSec=): READY=1
 * once Redis and every chat connection are up, the readiness reason as
 * STATUS=, WATCHDOG=1 from the loop, STOPPING=1 at shutdown.  Does
 * nothing when systemd did not ask for it (no NOTIFY_SOCKET).
 */
#ifndef PMBOT_SDNOTIFY_H
#define PMBOT_SDNOTIFY_H

struct bot;
struct sdnotify;

/* Starts watching the bot's readiness; NULL when not run by systemd with
 * a notification socket.  The watcher keeps no loop alive by itself. */
struct sdnotify *sdnotify_start(struct bot *bot);
/* Says STOPPING=1 and closes the watcher; it frees itself from the loop.
 * Safe with NULL. */
void sdnotify_stop(struct sdnotify *n);

#endif
