/*
 * request_id.c - request ids: the checks and formatting are pure; the
 * prefix and counter are per process (workers are single-threaded).
 */
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "request_id.h"

static struct {
	uint64_t prefix;
	uint64_t seq;
} id_state;

bool request_id_valid(const char *p, size_t n)
{
	if (n == 0 || n > REQUEST_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch < 0x21 || ch > 0x7e || ch == '"' || ch == '\\')
			return false;
	}
	return true;
}

void request_id_format(char *out, uint64_t prefix, uint64_t seq)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		out[i] = hex[(prefix >> (60 - 4 * i)) & 0xf];
		out[16 + i] = hex[(seq >> (60 - 4 * i)) & 0xf];
	}
	out[32] = '\0';
}

void request_id_init(void)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		r = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
		    ((uint64_t)getpid() << 48);
	}
	id_state.prefix = r;
	id_state.seq = 0;
}

void request_id_next(char *out)
{
	request_id_format(out, id_state.prefix, ++id_state.seq);
}

void request_id_assign(char *out, const struct http_request *req)
{
	if (req != NULL) {
		struct slice v = http_header_get(req, "X-Request-Id");
		if (request_id_valid(v.ptr, v.len)) {
			memcpy(out, v.ptr, v.len);
			out[v.len] = '\0';
			return;
		}
	}
	request_id_next(out);
}
