/*
 * A private redis-server for unit tests: started in a fresh mkdtemp
 * folder on a unix socket (and, when asked, on 127.0.0.1:port), with
 * persistence off unless the test wants appendonly, and stopped by PID.
 * Restart keeps the folder and the socket path, so a client pointed at
 * it can reconnect; SIGKILL and SIGSTOP/SIGCONT simulate a crash and a
 * hung server.
 *
 *	struct redis_fixture rf = REDIS_FIXTURE_INIT;
 *	rf.port = redis_fixture_free_port();	(optional)
 *	rf.requirepass = "secret";		(optional)
 *	assert_int_equal(redis_fixture_start(&rf), 0);
 *	... connect to rf.sock ...
 *	redis_fixture_cleanup(&rf);
 *
 * Everything here blocks: it is test code, never loop code.
 */
#ifndef PMBOT_TEST_REDIS_FIXTURE_H
#define PMBOT_TEST_REDIS_FIXTURE_H

/* Include this first: nftw needs the X/Open declarations. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <hiredis/hiredis.h>

struct redis_fixture {
	char dir[128];  /* the mkdtemp folder; "" until started */
	char sock[160]; /* dir/redis.sock */
	pid_t pid;      /* 0 when not running */
	int port;       /* 0: unix socket only */
	int appendonly;
	const char *requirepass;
};

#define REDIS_FIXTURE_INIT            \
	{                             \
		"", "", 0, 0, 0, NULL \
	}

/* How long start waits for the first PONG. */
#define REDIS_FIXTURE_START_MS 5000

/* A TCP port on 127.0.0.1 that was free a moment ago, or -1. */
static inline int
redis_fixture_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static inline void
redis_fixture_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A blocking connection to the fixture, authenticated; NULL on failure. */
static inline redisContext *
redis_fixture_connect(const struct redis_fixture *rf)
{
	struct timeval tv = {1, 0};
	redisContext *c;
	redisReply *r;

	c = redisConnectUnixWithTimeout(rf->sock, tv);
	if (c == NULL)
		return NULL;
	if (c->err) {
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	if (rf->requirepass != NULL) {
		r = redisCommand(c, "AUTH %s", rf->requirepass);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			if (r != NULL)
				freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}

/* Runs one command on a fresh connection; the reply or NULL. */
static inline redisReply *
redis_fixture_command(const struct redis_fixture *rf, const char *fmt, ...)
{
	redisContext *c = redis_fixture_connect(rf);
	redisReply *r;
	va_list ap;

	if (c == NULL)
		return NULL;
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	redisFree(c);
	return r;
}

static inline int
redis_fixture_ping(const struct redis_fixture *rf)
{
	redisReply *r = redis_fixture_command(rf, "PING");
	int ok = r != NULL && r->type == REDIS_REPLY_STATUS &&
		 strcmp(r->str, "PONG") == 0;

	if (r != NULL)
		freeReplyObject(r);
	return ok;
}

static inline void
redis_fixture_spawn(struct redis_fixture *rf)
{
	char port[16], log[200];
	const char *argv[24];
	int n = 0, fd;

	snprintf(port, sizeof(port), "%d", rf->port);
	snprintf(log, sizeof(log), "%s/redis.log", rf->dir);
	argv[n++] = "redis-server";
	argv[n++] = "--port";
	argv[n++] = port;
	argv[n++] = "--bind";
	argv[n++] = "127.0.0.1";
	argv[n++] = "--unixsocket";
	argv[n++] = rf->sock;
	argv[n++] = "--unixsocketperm";
	argv[n++] = "700";
	argv[n++] = "--dir";
	argv[n++] = rf->dir;
	argv[n++] = "--save";
	argv[n++] = "";
	argv[n++] = "--appendonly";
	argv[n++] = rf->appendonly ? "yes" : "no";
	argv[n++] = "--logfile";
	argv[n++] = log;
	argv[n++] = "--daemonize";
	argv[n++] = "no";
	if (rf->requirepass != NULL) {
		argv[n++] = "--requirepass";
		argv[n++] = rf->requirepass;
	}
	argv[n] = NULL;
	rf->pid = fork();
	if (rf->pid != 0)
		return;
	/* The child.  A failed assertion skips the test's cleanup; the
	 * server must still die with the test process. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Keep the test's stdout clean (and unshared). */
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execvp("redis-server", (char *const *)argv);
	_exit(127);
}

/* Reaps the child without blocking; 1 if it has exited. */
static inline int
redis_fixture_reaped(struct redis_fixture *rf)
{
	int status;

	if (rf->pid == 0)
		return 1;
	if (waitpid(rf->pid, &status, WNOHANG) == rf->pid) {
		rf->pid = 0;
		return 1;
	}
	return 0;
}

/* Starts (or restarts, same folder and socket) the server and waits
 * until it answers PING.  0, or -1 with a line on stderr. */
static inline int
redis_fixture_start(struct redis_fixture *rf)
{
	int waited, fresh = rf->dir[0] == '\0';
	redisReply *r;

	if (rf->pid != 0)
		return 0;
	if (fresh) {
		snprintf(rf->dir, sizeof(rf->dir), "/tmp/pmbot-redis-XXXXXX");
		if (mkdtemp(rf->dir) == NULL) {
			fprintf(
			    stderr, "fixture: mkdtemp: %s\n", strerror(errno));
			rf->dir[0] = '\0';
			return -1;
		}
		snprintf(rf->sock, sizeof(rf->sock), "%s/redis.sock", rf->dir);
	}
	redis_fixture_spawn(rf);
	if (rf->pid < 0) {
		rf->pid = 0;
		fprintf(stderr, "fixture: fork: %s\n", strerror(errno));
		return -1;
	}
	for (waited = 0; waited < REDIS_FIXTURE_START_MS; waited += 10) {
		if (redis_fixture_ping(rf))
			break;
		if (redis_fixture_reaped(rf)) {
			fprintf(stderr,
			    "fixture: redis-server exited; see %s\n", rf->dir);
			return -1;
		}
		redis_fixture_sleep_ms(10);
	}
	if (waited >= REDIS_FIXTURE_START_MS) {
		fprintf(stderr, "fixture: redis-server did not answer\n");
		return -1;
	}
	if (!fresh)
		return 0;
	/* A fresh server must start empty, or the test is not alone. */
	r = redis_fixture_command(rf, "DBSIZE");
	if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer != 0) {
		fprintf(stderr, "fixture: new redis-server is not empty\n");
		if (r != NULL)
			freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

/* Sends sig to the server.  SIGKILL and SIGTERM also wait for the exit
 * (up to 5 s, then SIGKILL) so the socket is free afterwards. */
static inline void
redis_fixture_signal(struct redis_fixture *rf, int sig)
{
	int i, status;

	if (rf->pid == 0)
		return;
	kill(rf->pid, sig);
	if (sig != SIGKILL && sig != SIGTERM)
		return;
	if (sig == SIGTERM)
		kill(rf->pid, SIGCONT); /* a stopped server cannot exit */
	for (i = 0; i < 500; i++) {
		if (redis_fixture_reaped(rf))
			return;
		redis_fixture_sleep_ms(10);
	}
	kill(rf->pid, SIGKILL);
	waitpid(rf->pid, &status, 0);
	rf->pid = 0;
}

static inline void
redis_fixture_stop(struct redis_fixture *rf)
{
	redis_fixture_signal(rf, SIGTERM);
}

static inline int
redis_fixture_restart(struct redis_fixture *rf)
{
	redis_fixture_stop(rf);
	return redis_fixture_start(rf);
}

static inline int
redis_fixture_rm(
    const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Stops the server and removes its folder. */
static inline void
redis_fixture_cleanup(struct redis_fixture *rf)
{
	redis_fixture_stop(rf);
	if (rf->dir[0] != '\0')
		nftw(rf->dir, redis_fixture_rm, 8, FTW_DEPTH | FTW_PHYS);
	rf->dir[0] = '\0';
	rf->sock[0] = '\0';
}

#endif
