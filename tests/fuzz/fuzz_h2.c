/*
 * fuzz_h2.c - libFuzzer harness for the HTTP/2 receive path
 * (src/worker/h2.c): the input is what a client sends after the preface;
 * it is fed to a server session (h2_start: nghttp2's parser, our
 * callbacks, the stream's head built and parsed, http_handle over a
 * small docroot) and every answer is drained with h2_output (HEADERS,
 * file and memory DATA through the data provider).  No socket: the
 * session is driven in memory.  Checks: no crash, no leak, no read out
 * of bounds (ASan), the output always ends.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "fuzz.h"
#include "h2.h"

static struct config *cfg;
static struct stats_slot slot;

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	FUZZ_CHECK(f != NULL, "%s", path);
	fputs(text, f);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fuzz-h2-XXXXXX", www[64], text[1024], path[128];
	char *errors = NULL;

	(void)argc;
	(void)argv;
	FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(www, sizeof(www), "%s/www", dir);
	FUZZ_CHECK(mkdir(www, 0755) == 0, "mkdir");
	put(www, "index.html", "hello\n");
	put(www, "a.txt", "0123456789abcdefghijklmnopqrstuvwxyz\n");
	snprintf(text, sizeof(text),
		 "servers = ( { listen = [ \"127.0.0.1:8080 h2\" ];\n"
		 "  root = \"%s\"; index = [ \"index.html\" ];\n"
		 "  locations = ( { path = \"/\"; autoindex = true; },\n"
		 "    { path = \"/r/\"; redirect = { code = 302; to = \"/\"; "
		 "}; } ); } );\n",
		 www);
	put(dir, "webserv.cfg", text);
	snprintf(path, sizeof(path), "%s/webserv.cfg", dir);
	cfg = config_load(path, &errors);
	FUZZ_CHECK(cfg != NULL, "%s", errors ? errors : "?");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct worker w;
	struct conn c;
	uint8_t *in = malloc(H2_PREFACE_LEN + size);
	const uint8_t *out;
	ssize_t n;
	int rounds = 0;

	FUZZ_CHECK(in != NULL, "malloc");
	memcpy(in, H2_PREFACE, H2_PREFACE_LEN);
	memcpy(in + H2_PREFACE_LEN, data, size);
	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.access_fd = -1;
	w.stats = &slot;
	memset(&c, 0, sizeof(c));
	c.kind = EV_CONN;
	c.fd = -1;
	c.w = &w;
	c.peer.in.sin_family = AF_INET;
	if (h2_start(&c, (const char *)in, H2_PREFACE_LEN + size) == IO_OK ||
	    c.h2 != NULL) {
		while (c.h2 != NULL && (n = h2_output(&c, &out)) > 0)
			FUZZ_CHECK(++rounds < 1000000, "output never ends");
	}
	h2_free(&c);
	free(in);
	return 0;
}
