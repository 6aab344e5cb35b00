/*
 * cgi.h - the building blocks of CGI/1.1 (RFC 3875) that the connection
 * layer drives:
 *   - cgi_build_env (src/http/cgi_env.c): the meta-variables (§4.1), pure;
 *   - cgi_parse_head (src/http/cgi_head.c): the script's response header
 *     block (§6), pure and incremental;
 *   - cgi_spawn / cgi_kill / cgi_reap (src/worker/cgi_proc.c): the process,
 *     its pipes and its pidfd, all ready for a non-blocking event loop.
 *
 * How a request body reaches the script: a body sent with a
 * Content-Length is streamed to stdin_fd as it arrives, and stdin_fd is
 * closed when the body ends (the script sees EOF).  A chunked body is
 * first spooled, de-chunked, to an unlinked temporary file (bounded by
 * client_max_body_size and body_timeout), and the script starts once it
 * is complete, with that file as its stdin and CONTENT_LENGTH set: RFC
 * 3875 §4.1.2 and §4.2 want the length whenever there is a body, and CGI
 * libraries read exactly CONTENT_LENGTH bytes (nginx and lighttpd do the
 * same).
 */
#ifndef WEBSERV_CGI_H
#define WEBSERV_CGI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "http.h"

/* ---- environment (src/http/cgi_env.c) -------------------------------- */

#define CGI_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/*
 * Everything the meta-variables are made of.  Every string is a slice (not
 * necessarily NUL-terminated, len 0 = empty or absent as said per field);
 * nothing is kept after cgi_build_env returns.
 */
struct cgi_request_info {
	struct slice method;	      /* REQUEST_METHOD: "GET" */
	struct slice request_uri;     /* REQUEST_URI: request-target as sent */
	struct slice query;	      /* QUERY_STRING: after '?', still
				       * encoded; always set, maybe "" */
	struct slice script_name;     /* SCRIPT_NAME: URI path of the script,
				       * canonical (decoded) */
	struct slice path_info;	      /* PATH_INFO: decoded rest of the path
				       * after script_name; len 0: none */
	struct slice script_filename; /* SCRIPT_FILENAME: file system path */
	struct slice document_root;   /* DOCUMENT_ROOT: the root (or alias)
				       * directory the script was found in */
	struct slice server_name;     /* SERVER_NAME: Host without its port,
				       * or the server's first name */
	unsigned server_port;	      /* SERVER_PORT: local port */
	struct slice server_addr;     /* SERVER_ADDR: local address text;
				       * len 0: not set */
	struct slice server_protocol; /* SERVER_PROTOCOL: "HTTP/1.1" */
	struct slice remote_addr;     /* REMOTE_ADDR: "192.0.2.1", "::1" */
	unsigned remote_port;	      /* REMOTE_PORT */
	int64_t content_length;	      /* CONTENT_LENGTH; -1: not set (no
				       * body) */
	struct slice content_type;    /* CONTENT_TYPE; len 0: not set */
	struct slice fields;	      /* the request's field lines, as parsed
				       * (http_request.fields) */
	struct slice request_id;      /* REQUEST_ID; len 0: not set */
	/* cgi_params of the location, set last: each overrides the
	 * variable of its name (count 0: none) */
	const struct name_value *params;
	size_t param_count;
	struct slice uri;    /* $uri: canonical path (after an index) */
	struct slice scheme; /* $scheme: "http" (len 0: "http") */
	bool https;	     /* came over TLS: HTTPS=on, REQUEST_SCHEME=https */
};

/*
 * cgi_params values: "$name" or "${name}" is a variable, any other '$'
 * is itself.  Variables (DESIGN §11, nginx's names): $uri, $request_uri,
 * $query_string, $document_root, $script_filename, $path_info, $host
 * (SERVER_NAME), $scheme, $remote_addr, $server_port, $request_id (the
 * request's id: its valid X-Request-Id, else the one made for it).
 * The first unknown variable of value: its name (*len bytes, after '$'
 * or "${"), or NULL when every one is known.  A "${" without its '}' is
 * reported as unknown (the rest of the value).
 */
const char *cgi_param_unknown_var(const char *value, size_t *len);
/* NAME is a meta-variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool cgi_param_name_ok(const char *name);

/*
 * Build the environment for a CGI script from info.  Returns a
 * NULL-terminated "NAME=value" vector in ONE malloc'd block (vector and
 * strings together): release it with cgi_free_env().  NULL with errno
 * ENOMEM on allocation failure.
 *
 * Always set: GATEWAY_INTERFACE=CGI/1.1, SERVER_SOFTWARE (response.h),
 * SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL, REQUEST_METHOD, REQUEST_URI,
 * QUERY_STRING (maybe ""), SCRIPT_NAME, SCRIPT_FILENAME, DOCUMENT_ROOT,
 * REMOTE_ADDR, REMOTE_PORT, REDIRECT_STATUS=200 (php-cgi refuses to run
 * without it), PATH.
 * Set only when there is a value: PATH_INFO and PATH_TRANSLATED
 * (document_root + path_info; RFC 3875 §4.1.6: unset when PATH_INFO is),
 * CONTENT_LENGTH (content_length >= 0), CONTENT_TYPE, SERVER_ADDR.
 * PATH is the server's own PATH (getenv) or CGI_DEFAULT_PATH when it has
 * none; nothing else of the server's environment reaches the script.
 *
 * Request fields become HTTP_<NAME> (RFC 3875 §4.1.18): upper-cased, '-'
 * mapped to '_'.  A field whose name holds anything but [A-Za-z0-9-] is
 * skipped, so "X_Foo" cannot pose as "X-Foo".  Repeated fields are joined
 * in order with ", " (Cookie with "; ", RFC 6265 §5.4); any number of
 * fields, in O(n log n).  Never set:
 * HTTP_PROXY (httpoxy, CVE-2016-5385), HTTP_CONTENT_LENGTH and
 * HTTP_CONTENT_TYPE (already CONTENT_*), HTTP_PROXY_AUTHORIZATION (meant
 * for a proxy), and the connection-level fields the server handles:
 * Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
 * Transfer-Encoding, Upgrade (RFC 3875 §4.1.18).  Authorization IS passed
 * (HTTP_AUTHORIZATION): webserv does no authentication itself, so the script is
 * the only party that can check credentials (as nginx and lighttpd do).
 *
 * Last, info->params (cgi_params, nginx's fastcgi_param): each sets
 * NAME to its value with the variables expanded, replacing any variable
 * above of the same name (PATH_INFO = "$uri" for the 42 cgi_tester).
 */
char **cgi_build_env(const struct cgi_request_info *info);

/* Free what cgi_build_env returned (NULL is fine). */
void cgi_free_env(char **envp);

/*
 * Numeric text of an AF_INET / AF_INET6 address into host[cap] (cap >=
 * INET6_ADDRSTRLEN is always enough) and its port into *port, for
 * REMOTE_ADDR / SERVER_ADDR.  0, or -1 for another family or a short cap.
 */
int cgi_addr_text(const struct sockaddr *sa, char *host, size_t cap,
		  unsigned *port);

/* ---- response head (src/http/cgi_head.c) ------------------------------ */

#define CGI_INCOMPLETE	(-2)
#define CGI_ERROR	(-1)
#define CGI_MAX_HEADERS 64   /* passed-through fields */
#define CGI_HEAD_LIMIT	8192 /* a sensible limit for cgi_parse_head */

enum cgi_response_kind {
	/* Send status, content_type, headers[] and the body that follows.
	 * content_type may be absent: it is then not sent either. */
	CGI_RESPONSE_DOCUMENT,
	/* RFC 3875 §6.2.2: Location is a local path and no Status was
	 * given: the server re-runs the request as a GET of location
	 * (path and query) and discards whatever the script writes after
	 * the head. */
	CGI_RESPONSE_LOCAL_REDIRECT,
	/* RFC 3875 §6.2.3-4: send Location to the client with status (302
	 * unless the script gave a Status; e.g. 201 + Location is fine).
	 * Without content_type the script is not meant to send a body
	 * (§6.2.3): the caller may discard one. */
	CGI_RESPONSE_CLIENT_REDIRECT,
};

struct cgi_response_head {
	enum cgi_response_kind kind;
	int status;		   /* 200..599 */
	bool has_status;	   /* the script sent Status */
	struct slice reason;	   /* Status reason phrase; len 0: none */
	struct slice location;	   /* len 0: none */
	struct slice content_type; /* len 0: none */
	int64_t content_length;	   /* -1: not given (the caller chunks) */
	/* Every other field, in order, slices into the caller's buffer,
	 * OWS trimmed.  Fields the server owns are dropped, never passed:
	 * Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, TE,
	 * Trailer, Upgrade (framing and hop-by-hop, RFC 9110 §7.6.1), Date
	 * and Server (response_status writes its own). */
	struct http_header headers[CGI_MAX_HEADERS];
	size_t header_count;
};

/*
 * Parse the header block at the start of a CGI script's output
 * buf[0..len) (RFC 3875 §6).  Lines end with LF or CRLF, mixed freely
 * (scripts commonly print "\n"); the block ends with an empty line.
 *
 * Returns the block's length including the empty line (the body starts at
 * buf + return value), CGI_INCOMPLETE when the empty line has not arrived
 * yet and len < limit, or CGI_ERROR (the caller answers 502) when:
 *   - no empty line within the first limit bytes (block too large);
 *   - a line without ':', an empty or non-token field name, whitespace
 *     before the ':', a line starting with whitespace (obs-fold), a CTL
 *     other than HTAB in a value (a lone CR included);
 *   - Status not "DDD" or "DDD reason" with DDD in 200..599: 1xx cannot
 *     be a final response (RFC 9110 §15.2) and would break framing;
 *   - Content-Length not all digits or over INT64_MAX;
 *   - Status, Location, Content-Type or Content-Length given twice, or
 *     Location or Content-Type empty;
 *   - Location neither a local path ('/'...) nor an absolute URI
 *     (scheme ":" ...);
 *   - an empty block (no field at all: RFC 3875 §6.2 wants one).
 *     A document without Content-Type is NOT an error: RFC 3875 §6.3.1
 *     obliges the script, and the server passes such a response on
 *     without one (as Apache and lighttpd do);
 *   - more than CGI_MAX_HEADERS passed-through fields.
 * On success *out is filled (slices point into buf, which must stay put);
 * on CGI_INCOMPLETE / CGI_ERROR *out is unspecified.  Stateless and
 * correct for every split: a call on more bytes of the same output gives
 * the same answer as one call with all of them.  If the script's stdout
 * ends (EOF) while the result is CGI_INCOMPLETE, the answer is 502.
 */
int cgi_parse_head(const char *buf, size_t len, size_t limit,
		   struct cgi_response_head *out);

/* ---- process (src/worker/cgi_proc.c) ---------------------------------- */

struct cgi_proc {
	pid_t pid;     /* also the process group id */
	int pidfd;     /* readable when the script has exited */
	int stdin_fd;  /* write end of the script's stdin */
	int stdout_fd; /* read end of the script's stdout */
	int stderr_fd; /* read end of its stderr, or -1 */
	bool reaped;   /* cgi_reap collected the exit status */
};

/*
 * Run interpreter with argv { interpreter, script, NULL } and environment
 * envp (from cgi_build_env), in directory cwd (NULL: the worker's).
 *
 * The script gets exactly fds 0, 1, 2 (blocking pipes to us; stderr see
 * below), default dispositions for every signal (but glibc's reserved 32
 * and 33, see cgi_proc.c) and an empty signal mask, and its own process
 * group (pgid = pid) so that cgi_kill reaches every process it starts.
 * Started with posix_spawn (glibc >= 2.34), else fork + exec.  The
 * worker gets the other ends in *out, all O_NONBLOCK | O_CLOEXEC, ready
 * for epoll, plus a pidfd (pidfd_open, Linux >= 5.3) that turns readable
 * when the script exits.
 *
 * stdin_file: -1 gives the script's stdin a pipe (out->stdin_fd, the
 * worker writes the body there); >= 0 hands that fd (a spooled body: a
 * regular file, read from its current offset) straight to the script as
 * its stdin, out->stdin_fd = -1.
 *
 * stderr_fd: -1 gives the script's stderr its own pipe (out->stderr_fd,
 * the worker drains it into the error log, and must keep draining or the
 * script blocks once 64 KiB are pending); >= 0 hands that fd (e.g. the
 * error log's) straight to the script as its stderr, out->stderr_fd = -1.
 *
 * Synchronous about exec: returns only after the child has exec'd or
 * failed to.  Returns 0 on success.  Returns -1 when anything failed,
 * with nothing left behind (every fd closed, any child reaped) and:
 *   - *exec_errno = 0 and errno set: the worker could not set up (pipe2,
 *     fork/clone, pidfd_open: EMFILE, ENFILE, EAGAIN, ENOMEM) -> 503;
 *   - *exec_errno (= errno) non-zero: the child failed before running
 *     the script (chdir, setpgid, execve: ENOENT, ENOTDIR, EACCES,
 *     ENOEXEC...) -> 502 (the gateway could not run it), log the
 *     interpreter and the errno.
 * (posix_spawn reports both kinds as one errno: EAGAIN and ENOMEM are
 * taken as setup failures, anything else as the child's.)
 * The worker must not set SIGCHLD to SIG_IGN (children would be reaped
 * by the kernel and cgi_reap could not report their status).
 */
int cgi_spawn(const char *interpreter, const char *script, const char *cwd,
	      char *const *envp, int stdin_file, int stderr_fd,
	      struct cgi_proc *out, int *exec_errno);

/*
 * Send sig to the script's whole process group (the script and anything it
 * started that stayed in the group).  Timeouts and client disconnects:
 * SIGTERM, then SIGKILL a moment later (the caller times it).  0, or -1
 * with errno (ESRCH: nobody left).  Before cgi_reap this is always safe;
 * right after reaping it still reaches stragglers (a pid stays reserved
 * while it names a live group), but do not call it long after the whole
 * group is gone: the number may then be recycled.
 */
int cgi_kill(const struct cgi_proc *proc, int sig);

/*
 * Collect the script's exit status without blocking (call it when the
 * pidfd is readable).  Returns 1 and sets *wstatus (waitpid(2) encoding)
 * and proc->reaped, 0 while the script still runs, -1 with errno.
 */
int cgi_reap(struct cgi_proc *proc, int *wstatus);

/*
 * Close every fd still open in proc (setting it to -1).  Neither signals
 * nor reaps: the caller kills and reaps first (or lets the pidfd tell it
 * when to reap).  The caller may close stdin_fd (end of body) or any other
 * fd earlier itself, setting the field to -1.
 */
void cgi_proc_close(struct cgi_proc *proc);

#endif
