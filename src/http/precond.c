/*
 * precond.c - RFC 9110 §13 preconditions for static GET/HEAD and for the
 * writes (PUT, DELETE): one evaluation, in the order of §13.2.2, against
 * the validators the resource has now, so that the ETag and
 * Last-Modified a GET sends are exactly what a later If-Match or
 * If-Unmodified-Since is compared with.
 *
 * Invariant: a list the function cannot parse never makes a condition
 * pass that would stop a write: a malformed If-Match matches nothing
 * (412), a malformed If-None-Match matches nothing (the request goes on,
 * as it would without the field: §13.1.2 asks nothing of a server that
 * sees no tag it knows).  Never does I/O; `now` comes from the caller.
 */
#include <string.h>

#include "precond.h"
#include "static.h"

static const char *precond_skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/*
 * Does the list ("*" or #entity-tag, RFC 9110 §8.8.3) name t?
 * strong: §8.8.3.2 strong comparison, a weak tag never matches (If-Match);
 * else weak comparison, W/ ignored on both sides (If-None-Match).  Our
 * own tags are always strong.  A malformed list matches nothing, even
 * where a tag before the fault would have matched.
 */
static bool precond_list_match(struct slice list,
			       const struct precond_target *t, bool strong)
{
	const char *p = list.ptr, *end = list.ptr + list.len;
	bool found = false;

	p = precond_skip_ows(p, end);
	if (end - p == 1 && *p == '*')
		return t->exists;
	if (!t->exists)
		return false; /* no representation has any tag */
	while (p < end) {
		bool weak = false;
		if (*p == ',') {
			p = precond_skip_ows(p + 1, end);
			continue;
		}
		if (end - p >= 2 && p[0] == 'W' && p[1] == '/') {
			weak = true;
			p += 2;
		}
		if (p == end || *p != '"')
			return false;
		const char *quote = memchr(p + 1, '"', (size_t)(end - p - 1));
		if (!quote)
			return false;
		size_t tag_len = (size_t)(quote + 1 - p);
		if ((!strong || !weak) && tag_len == t->etag_len &&
		    memcmp(p, t->etag, tag_len) == 0)
			found = true;
		p = precond_skip_ows(quote + 1, end);
		if (p < end && *p != ',')
			return false;
	}
	return found;
}

/* A field's HTTP-date, when the field is there and valid (§13.1.3-4:
 * otherwise the field is ignored). */
static bool precond_date(struct slice field, time_t *when)
{
	return field.len > 0 &&
	       http_parse_date(field.ptr, field.len, when) == 0;
}

int precond_eval(const struct http_request *req, const struct precond_target *t,
		 time_t now)
{
	bool safe = req->method == HTTP_GET || req->method == HTTP_HEAD;
	time_t when;

	/* §13.2.2 step 1, else step 2 */
	if (req->if_match.len > 0) {
		if (!precond_list_match(req->if_match, t, true))
			return 412;
	} else if (t->exists && precond_date(req->if_unmodified_since, &when) &&
		   t->mtime > when) {
		return 412;
	}
	/* step 3, else step 4 */
	if (req->if_none_match.len > 0) {
		if (precond_list_match(req->if_none_match, t, false))
			return safe ? 304 : 412;
	} else if (safe && t->exists &&
		   precond_date(req->if_modified_since, &when) && when <= now &&
		   t->mtime <= when) {
		return 304;
	}
	return PRECOND_PASS;
}
