/*
 * redirect.c - expand $scheme, $host, $request_uri in redirect.to.
 * Longest name first is not needed: no name is a prefix of another.
 * Never does I/O; never writes past cap.
 */
#include <string.h>

#include "redirect.h"

static int put(char *out, size_t cap, size_t *len, const char *p, size_t n)
{
	if (n >= cap - *len)
		return -1;
	memcpy(out + *len, p, n);
	*len += n;
	return 0;
}

ssize_t redirect_expand(const char *tmpl, const struct redirect_vars *v,
			char *out, size_t cap)
{
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
	    {"$scheme", offsetof(struct redirect_vars, scheme)},
	    {"$host", offsetof(struct redirect_vars, host)},
	    {"$request_uri", offsetof(struct redirect_vars, request_uri)},
	};
	size_t len = 0;

	if (cap == 0)
		return -1;
	for (const char *p = tmpl; *p != '\0';) {
		size_t k = 0, nlen = 0;
		if (*p == '$') {
			for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
				nlen = strlen(names[k].name);
				if (strncmp(p, names[k].name, nlen) == 0)
					break;
			}
		}
		if (*p == '$' && k < sizeof(names) / sizeof(names[0])) {
			const struct slice *s =
			    (const struct slice *)((const char *)v +
						   names[k].off);
			if (put(out, cap, &len, s->ptr, s->len) == -1)
				return -1;
			p += nlen;
			continue;
		}
		if (put(out, cap, &len, p, 1) == -1)
			return -1;
		p++;
	}
	out[len] = '\0';
	return (ssize_t)len;
}
