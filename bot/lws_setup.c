/*
 * The libwebsockets context and client vhost on a foreign libuv loop.
 * Every option here answers a finding in ../shared/reference/eventloop.md:
 * the context must not listen itself (each server gets its own vhost), and
 * the client vhost needs its own DO_SSL_GLOBAL_INIT and an explicit CA
 * file, or lws creates no client TLS context (P7) or also trusts a
 * relative "../share" directory (P6).
 */
#include <string.h>

#include <libwebsockets.h>

#include "log.h"
#include "lws_setup.h"

#define CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

static const struct lws_extension client_extensions[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate,
	"permessage-deflate; client_max_window_bits"},
    {NULL, NULL, NULL},
};

struct lws_context *
lws_setup_context(uv_loop_t *loop)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	void *foreign[1];

	/* Before the context exists, so its start-up messages are ours. */
	log_route_lws();
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_LIBUV |
		       LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
		       LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.gid = -1;
	info.uid = -1;
	/* lws copies the loop pointer; the array only has to outlive the
	 * call. */
	foreign[0] = loop;
	info.foreign_loops = foreign;
	ctx = lws_create_context(&info);
	if (ctx == NULL)
		log_error("lws: cannot create the context");
	return ctx;
}

struct lws_vhost *
lws_setup_client_vhost(
    struct lws_context *ctx, const struct lws_protocols *protocols)
{
	struct lws_context_creation_info info;
	struct lws_vhost *vh;

	if (ctx == NULL || protocols == NULL)
		return NULL;
	memset(&info, 0, sizeof(info));
	info.vhost_name = "client";
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.options =
	    LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.client_ssl_ca_filepath = CA_BUNDLE;
	info.extensions = client_extensions;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	vh = lws_create_vhost(ctx, &info);
	if (vh == NULL)
		log_error("lws: cannot create the client vhost");
	return vh;
}
