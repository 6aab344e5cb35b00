/*
 * response_fields.c - the configured `headers` of a location added to a
 * response head.  A request refused before routing (400, 408, 414...)
 * gets those of its address's default server's "/", like its error
 * pages; with no server at all, the http level's.
 */
#include "config.h"
#include "response.h"
#include "router.h"

void response_add_fields(struct response *resp, const struct config *cfg,
			 size_t listen_idx, const struct location *loc)
{
	if (loc == NULL) {
		const struct server *srv =
		    router_server(cfg, listen_idx, (struct slice){"", 0});
		if (srv != NULL)
			loc = router_location(srv, "/", 1);
	}
	const struct name_value *h = loc ? loc->headers : cfg->headers;
	size_t n = loc ? loc->header_count : cfg->header_count;

	for (size_t i = 0; i < n; i++)
		response_header(resp, h[i].name, "%s", h[i].value);
}
