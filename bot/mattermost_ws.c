/*
 * The Mattermost event stream: one WebSocket to /api/v4/websocket with
 * header authentication, kept up for the life of the bot.
 *
 * Each (re)connect first resolves the host with uv_getaddrinfo (lws's
 * own lookup would block the loop, eventloop.md P10) and then asks to
 * resume: connection_id from the last hello and sequence_number = the
 * next event expected (§2.1).  The server then replays what we missed,
 * or, when it cannot, says hello with a new connection id: events were
 * lost, and the channels are re-read over REST (mm_resync).  An event
 * whose seq is past the one expected means a gap on this socket: it is
 * closed and resumed from the expected seq, as the official client does.
 *
 * Reconnects follow a backoff table with jitter, retried forever, the
 * counter reset once connected (P11); lws runs the keep-alive: it pings after
 * LIMIT_MM_PING_S of silence and hangs up after LIMIT_MM_HANGUP_S
 * without a sign of life; received data counts as one (P12).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "buf.h"
#include "limits.h"
#include "log.h"
#include "lws_setup.h"
#include "mattermost_int.h"
#include "metrics.h"

static const uint32_t backoff_ms[] = {
    250, 500, 1000, 2000, 4000, 8000, 15000, 30000};

static const lws_retry_bo_t retry_policy = {
    .retry_ms_table = backoff_ms,
    .retry_ms_table_count = LWS_ARRAY_SIZE(backoff_ms),
    .conceal_count = LWS_RETRY_CONCEAL_ALWAYS,
    .secs_since_valid_ping = LIMIT_MM_PING_S,
    .secs_since_valid_hangup = LIMIT_MM_HANGUP_S,
    .jitter_percent = 20,
};

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len);

static const struct lws_protocols protocols[] = {
    {"pmbot-mattermost", ws_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_ws_timer(uv_timer_t *t);

/* Backoff from the table with up to a fifth more at random, so replicas
 * that lost the server together do not come back in step. */
static void
schedule_retry(struct mm *mm)
{
	size_t n = LWS_ARRAY_SIZE(backoff_ms);
	uint32_t ms;

	if (mm->stopping || mm->bot->shutting_down)
		return;
	ms = backoff_ms[mm->retry_count < n ? mm->retry_count : n - 1];
	if (mm->retry_count < UINT16_MAX)
		mm->retry_count++;
	ms += (uint32_t)(uv_hrtime() % (ms / 5 + 1));
	log_debug("mattermost: reconnecting in %u ms", (unsigned)ms);
	uv_timer_start(&mm->ws_timer, on_ws_timer, ms, 0);
}

static void
do_connect(struct mm *mm)
{
	struct lws_client_connect_info i;
	struct buf path = BUF_INIT;

	buf_printf(&path,
	    "%s/api/v4/websocket?connection_id=%s&sequence_number=%lld",
	    mm->conn.prefix, mm->conn_id ? mm->conn_id : "", mm->expected);
	memset(&i, 0, sizeof(i));
	i.context = mm->bot->lws;
	i.vhost = mm->vh;
	i.address = mm->addr;
	i.port = mm->conn.port;
	i.path = buf_str(&path);
	/* The name, not the address: it drives the Host header, SNI and
	 * the certificate check.  No Origin header (§1.1). */
	i.host = mm->conn.host;
	i.ssl_connection = mm->conn.tls ? LCCSCF_USE_SSL : 0;
	i.local_protocol_name = protocols[0].name;
	i.pwsi = &mm->wsi;
	i.retry_and_idle_policy = &retry_policy;
	i.opaque_user_data = mm;
	log_debug("mattermost: connecting to %s (%s:%d)", mm->conn.host,
	    mm->addr, mm->conn.port);
	if (lws_client_connect_via_info(&i) == NULL) {
		log_warn("mattermost: cannot start a connection to %s",
		    mm->conn.host);
		mm->wsi = NULL;
		schedule_retry(mm);
	}
	buf_free(&path);
}

static void
resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct mm *mm = req->data;
	int rc = -1;

	mm->gai_busy = 0;
	if (status == 0 && res != NULL) {
		if (res->ai_family == AF_INET6)
			rc = uv_ip6_name((struct sockaddr_in6 *)res->ai_addr,
			    mm->addr, sizeof(mm->addr));
		else
			rc = uv_ip4_name((struct sockaddr_in *)res->ai_addr,
			    mm->addr, sizeof(mm->addr));
	}
	uv_freeaddrinfo(res);
	if (mm->stopping)
		return;
	if (status < 0 || rc < 0) {
		log_warn("mattermost: cannot resolve %s: %s", mm->conn.host,
		    status < 0 ? uv_strerror(status) : "no address");
		schedule_retry(mm);
		return;
	}
	do_connect(mm);
}

static void
on_ws_timer(uv_timer_t *t)
{
	struct mm *mm = t->data;
	struct addrinfo hints;
	char port[8];
	int rc;

	if (mm->stopping || mm->wsi != NULL || mm->gai_busy)
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", mm->conn.port);
	mm->gai.data = mm;
	rc = uv_getaddrinfo(
	    &mm->bot->loop, &mm->gai, resolved, mm->conn.host, port, &hints);
	if (rc < 0) {
		log_warn("mattermost: cannot resolve %s: %s", mm->conn.host,
		    uv_strerror(rc));
		schedule_retry(mm);
		return;
	}
	mm->gai_busy = 1;
}

int
mm_ws_init(struct mm *mm)
{
	uv_timer_init(&mm->bot->loop, &mm->ws_timer);
	mm->ws_timer.data = mm;
	buf_init(&mm->rx, LIMIT_WS_MESSAGE);
	mm->vh = lws_setup_client_vhost(mm->bot->lws, protocols);
	return mm->vh != NULL ? 0 : -1;
}

void
mm_ws_connect_soon(struct mm *mm)
{
	if (mm->stopping || mm->wsi != NULL || mm->gai_busy)
		return;
	uv_timer_start(&mm->ws_timer, on_ws_timer, 0, 0);
}

void
mm_ws_stop(struct mm *mm)
{
	uv_timer_stop(&mm->ws_timer);
	if (!uv_is_closing((uv_handle_t *)&mm->ws_timer))
		uv_close((uv_handle_t *)&mm->ws_timer, NULL);
	if (mm->gai_busy)
		uv_cancel((uv_req_t *)&mm->gai);
	/* The socket itself closes with the lws context. */
}

static void
on_hello(struct mm *mm, struct lws *wsi, const struct mm_frame *f)
{
	cJSON *cid = cJSON_GetObjectItemCaseSensitive(f->data, "connection_id");
	int lost;

	if (!cJSON_IsString(cid) || cid->valuestring[0] == '\0') {
		log_warn("mattermost: hello without a connection id");
		return;
	}
	/* A new id means the server could not resume: whatever happened
	 * meanwhile is lost to this stream (§2.3).  The first hello after
	 * start may follow a restart; re-sync covers that too (it only
	 * looks at channels with a post seen before). */
	lost = mm->conn_id == NULL || strcmp(mm->conn_id, cid->valuestring);
	if (mm->conn_id != NULL && lost)
		log_info("mattermost: the server started a new session; "
			 "re-reading the channels");
	free(mm->conn_id);
	mm->conn_id = xstrdup(cid->valuestring);
	mm->expected = f->seq + 1;
	mm->hello = 1;
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	mm_set_up(mm, 1);
	if (lost)
		mm_resync(mm);
}

/* One whole message; returns -1 to close the socket. */
static int
on_message(struct mm *mm, struct lws *wsi, const char *s, size_t len)
{
	struct mm_frame f;
	int rc = 0;

	switch (mm_parse_frame(s, len, &f)) {
	case MM_FRAME_BAD:
		log_info("mattermost: ignoring an unreadable frame (%zu bytes)",
		    len);
		break;
	case MM_FRAME_REPLY:
		break;
	case MM_FRAME_EVENT:
		if (strcmp(f.event, "hello") == 0) {
			on_hello(mm, wsi, &f);
			break;
		}
		if (f.seq < mm->expected) {
			log_debug("mattermost: seq %lld seen already", f.seq);
			break;
		}
		/* A message too big to read was most likely the event
		 * expected; resuming would only get it again. */
		if (f.seq > mm->expected && f.seq <= mm->expected + mm->skipped)
			mm->expected = f.seq;
		mm->skipped = 0;
		if (f.seq > mm->expected) {
			log_warn("mattermost: missed events (got seq %lld, "
				 "expected %lld); resuming",
			    f.seq, mm->expected);
			rc = -1;
			break;
		}
		mm->expected = f.seq + 1;
		mm_set_up(mm, 1);
		mm_on_event(mm, f.event, f.data);
		break;
	}
	mm_frame_free(&f);
	return rc;
}

static int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct mm *mm = lws_get_opaque_user_data(wsi);
	const char *auth;
	unsigned char **p, *end;
	int rc;

	if (mm == NULL)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		p = (unsigned char **)in;
		end = *p + len;
		auth = mm->conn.auth + strlen("Authorization: ");
		if (lws_add_http_header_by_name(wsi,
			(const unsigned char *)"authorization:",
			(const unsigned char *)auth, (int)strlen(auth), p, end))
			return -1;
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		mm->retry_count = 0; /* P11 */
		mm->hello = 0;
		buf_reset(&mm->rx);
		mm->rx_too_big = 0;
		mm->skipped = 0;
		if (mm->conn_id == NULL)
			/* A bad token still upgrades and just never says
			 * hello (§1.2). */
			lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK,
			    LIMIT_MM_HELLO_MS / 1000);
		else
			mm_set_up(mm, 1); /* resuming: no hello comes */
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		lws_validity_confirmed(wsi);
		if (lws_frame_is_binary(wsi)) {
			mm->rx_too_big = 1; /* msgpack: not ours */
		} else if (!mm->rx_too_big &&
			   buf_append(&mm->rx, in, len) < 0) {
			log_warn("mattermost: a message over %d bytes; "
				 "ignored",
			    LIMIT_WS_MESSAGE);
			mm->rx_too_big = 1;
		}
		if (!lws_is_final_fragment(wsi) ||
		    lws_remaining_packet_payload(wsi) > 0)
			return 0;
		rc = 0;
		if (mm->rx_too_big)
			mm->skipped++;
		else
			rc = on_message(mm, wsi, buf_str(&mm->rx), mm->rx.len);
		buf_reset(&mm->rx);
		mm->rx_too_big = 0;
		return rc;
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		return 0;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		log_warn("mattermost: cannot connect to %s: %s", mm->conn.host,
		    in ? (const char *)in : "unknown error");
		mm->wsi = NULL;
		mm_set_up(mm, 0);
		schedule_retry(mm);
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		mm->wsi = NULL;
		mm_set_up(mm, 0);
		if (!mm->stopping && !mm->bot->shutting_down) {
			log_info("mattermost: the connection closed; "
				 "reconnecting");
			metrics_inc(mm->bot->metrics, M_RECONNECTS,
			    "adapter=\"mattermost\"");
		}
		schedule_retry(mm);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (mm->wsi == wsi)
			mm->wsi = NULL;
		return 0;
	default:
		return 0;
	}
}
