/*
 * fuzz_proxy.c - libFuzzer harness for proxy_parse (src/http/proxy_proto.c).
 *
 * Input: the bytes a balancer (or anyone) sends first on a proxy_protocol
 * address.  Checks the contract in include/proxy_proto.h:
 *   - the answer is PROXY_INVALID, PROXY_INCOMPLETE or a length <= the
 *     input and <= PROXY_HEADER_MAX;
 *   - a complete header parses the same from exactly its own bytes (what
 *     follows does not matter), and every shorter prefix of it is
 *     PROXY_INCOMPLETE;
 *   - a prefix found invalid stays invalid with more bytes; an address
 *     given is IPv4 or IPv6, source and destination alike.
 * Each call reads its own exact-size copy so ASan catches over-reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proxy_proto.h"

static int parse(const uint8_t *data, size_t len, struct proxy_info *pi)
{
	unsigned char *copy = (unsigned char *)fuzz_dup(data, len);
	int rc = proxy_parse(copy, len, pi);

	free(copy);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_info pi, again;
	int rc, r2;

	if (size > PROXY_HEADER_MAX + 64)
		size = PROXY_HEADER_MAX + 64;
	rc = parse(data, size, &pi);
	FUZZ_CHECK(rc == PROXY_INVALID || rc == PROXY_INCOMPLETE ||
		       (rc > 0 && (size_t)rc <= size && rc <= PROXY_HEADER_MAX),
		   "result %d for %zu bytes", rc, size);
	if (rc > 0) {
		r2 = parse(data, (size_t)rc, &again);
		FUZZ_CHECK(r2 == rc && again.has_addr == pi.has_addr,
			   "its own bytes give %d, not %d", r2, rc);
		if (pi.has_addr) {
			int f = pi.src.ss_family;
			FUZZ_CHECK((f == AF_INET || f == AF_INET6) &&
				       pi.dst.ss_family == f &&
				       memcmp(&pi.src, &again.src,
					      sizeof(pi.src)) == 0,
				   "family %d / %d", f, pi.dst.ss_family);
		}
		for (size_t k = 0; k < (size_t)rc; k += 1 + k / 8) {
			r2 = parse(data, k, &again);
			FUZZ_CHECK(r2 == PROXY_INCOMPLETE,
				   "prefix %zu of a %d-byte header: %d", k, rc,
				   r2);
		}
		return 0;
	}
	for (size_t k = 0; k < size; k += 1 + k / 8) {
		r2 = parse(data, k, &again);
		FUZZ_CHECK(r2 != PROXY_INVALID || rc == PROXY_INVALID,
			   "prefix %zu invalid, %zu bytes %d", k, size, rc);
		FUZZ_CHECK(r2 <= 0, "prefix %zu complete (%d), whole %d", k, r2,
			   rc);
	}
	return 0;
}
