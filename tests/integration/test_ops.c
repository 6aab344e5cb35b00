/*
 * test_ops.c - what an administrator installs besides the binary: the man
 * pages (rendered by groff and man-db without one warning, and listing
 * every setting the config loader accepts), `make install-data` into a
 * temporary DESTDIR, the logrotate snippet (parsed by logrotate -d) and
 * the systemd unit (systemd-analyze verify).  The tools are Debian's
 * groff, man-db, logrotate and systemd; a test whose tool is missing or
 * cannot run here is skipped with a message saying so.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness_extra.h"

static const char *src_dir(void)
{
	const char *src = getenv("WEBSERV_SRC");

	if (src == NULL || *src == '\0')
		cr_skip_test("WEBSERV_SRC not set");
	return src;
}

static bool have(const char *tool)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd),
		 "command -v %s >/dev/null 2>&1 || "
		 "[ -x /usr/sbin/%s ] || [ -x /sbin/%s ]",
		 tool, tool, tool);
	return system(cmd) == 0;
}

/* Remove a temporary directory of a test (best effort). */
static void rm_tree(const char *dir)
{
	char cmd[512];

	if (strncmp(dir, "/tmp/", 5) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove %s", dir);
}

static const char *const pages[] = {"man/webserv.8", "man/webserv.cfg.5"};

Test(ops, man_pages_render_without_a_warning, .timeout = 120)
{
	const char *src = src_dir();
	char cmd[1024], out[8192];

	if (!have("groff") || !have("man"))
		cr_skip_test("groff or man-db missing: apt-get install groff "
			     "man-db");
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		snprintf(cmd, sizeof(cmd), "groff -man -ww -z '%s/%s' 2>&1",
			 src, pages[i]);
		cr_expect_eq(hx_sh(cmd, out, sizeof(out)), 0, "%s", cmd);
		cr_expect_str_empty(out, "groff on %s:\n%s", pages[i], out);
		/* man-db's own check (it runs groff with -ww, and its
		 * preprocessors); only the warnings reach the pipe. */
		snprintf(cmd, sizeof(cmd),
			 "MANWIDTH=80 man --warnings -l '%s/%s' 2>&1 "
			 ">/dev/null",
			 src, pages[i]);
		cr_expect_eq(hx_sh(cmd, out, sizeof(out)), 0, "%s", cmd);
		cr_expect_str_empty(out, "man --warnings on %s:\n%s", pages[i],
				    out);
	}
}

/*
 * The setting names come from the loader's tables themselves: every
 * table row of src/master/config*.c of the form {"name", SCOPE_... or
 * {"name", INHERITED...  Each must appear in webserv.cfg(5) as a tag
 * (.B name or .BR name ...) at the start of a line.
 */
static int collect_settings(const char *src, char names[][64], int max)
{
	char cmd[512], out[16384];
	int count = 0;

	snprintf(cmd, sizeof(cmd),
		 "cat '%s'/src/master/config*.c | "
		 "sed -n 's/^[[:space:]]*{\"\\([a-z_0-9]*\\)\", "
		 "*\\(SCOPE_[A-Z_]*\\|INHERITED\\).*/\\1/p' | sort -u",
		 src);
	cr_assert_eq(hx_sh(cmd, out, sizeof(out)), 0);
	for (char *line = strtok(out, "\n"); line && count < max;
	     line = strtok(NULL, "\n"))
		snprintf(names[count++], 64, "%s", line);
	return count;
}

static bool page_documents(const char *page, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = page; (p = strstr(p, name)) != NULL; p += len) {
		const char *bol = p;

		while (bol > page && bol[-1] != '\n')
			bol--;
		if ((strncmp(bol, ".B ", 3) == 0 ||
		     strncmp(bol, ".BR ", 4) == 0) &&
		    (p[len] == '\n' || p[len] == ' ') &&
		    (p[-1] == ' ' || p[-1] == '\n'))
			return true;
	}
	return false;
}

Test(ops, every_setting_the_loader_accepts_is_in_webserv_cfg_5)
{
	const char *src = src_dir();
	static char names[256][64];
	char path[512];
	char *page;
	int count;

	count = collect_settings(src, names, 256);
	/* The table has at least the settings of DESIGN section 4. */
	cr_assert_geq(count, 30, "only %d settings found in the tables", count);
	snprintf(path, sizeof(path), "%s/man/webserv.cfg.5", src);
	page = read_file(path, NULL);
	cr_assert_not_null(page, "cannot read %s", path);
	for (int i = 0; i < count; i++)
		cr_expect(page_documents(page, names[i]),
			  "setting \"%s\" is not documented in "
			  "man/webserv.cfg.5 (as a .B or .BR tag)",
			  names[i]);
	free(page);
}

/* make install-data DESTDIR=dir PREFIX=/usr; 0 when it worked. */
static void install_data(const char *src, const char *dir)
{
	char cmd[1024], out[8192];

	snprintf(cmd, sizeof(cmd),
		 "make -s -C '%s' install-data DESTDIR='%s' PREFIX=/usr 2>&1",
		 src, dir);
	cr_assert_eq(hx_sh(cmd, out, sizeof(out)), 0, "%s:\n%s", cmd, out);
}

Test(ops, make_install_puts_pages_snippet_unit_and_a_www_data_config,
     .timeout = 120)
{
	const char *src = src_dir();
	static const char *const files[] = {
	    "usr/share/man/man8/webserv.8",
	    "usr/share/man/man5/webserv.cfg.5",
	    "etc/logrotate.d/webserv",
	    "etc/systemd/system/webserv.service",
	    "usr/etc/webserv/webserv.cfg",
	    "usr/share/webserv/www/html/index.html",
	};
	char dir[256], path[512];
	char *text;

	cr_assert_eq(make_tmpdir(dir, sizeof(dir)), 0);
	install_data(src, dir);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		cr_expect_eq(access(path, R_OK), 0, "%s not installed",
			     files[i]);
	}
	/* Issue 12 item 6: the installed configuration drops to www-data;
	 * the checkout's does not. */
	snprintf(path, sizeof(path), "%s/usr/etc/webserv/webserv.cfg", dir);
	text = read_file(path, NULL);
	cr_assert_not_null(text);
	cr_expect_not_null(strstr(text, "\nuser = \"www-data\";\n"),
			   "installed config without user = \"www-data\"");
	cr_expect_null(strstr(text, "@PREFIX@"));
	cr_expect_null(strstr(text, "\"../"), "a checkout path left");
	free(text);
	snprintf(path, sizeof(path), "%s/etc/webserv.cfg", src);
	text = read_file(path, NULL);
	cr_assert_not_null(text);
	cr_expect_null(strstr(text, "\nuser ="),
		       "the checkout's config must run as its caller");
	free(text);
	/* It is valid (-t), user www-data included, once its installed
	 * paths are moved under the DESTDIR. */
	if (getenv("WEBSERV_BIN") != NULL) {
		char cmd[4096], out[4096];

		snprintf(cmd, sizeof(cmd),
			 "sed -e 's|\"/usr/share/webserv|\"%s/usr/share/"
			 "webserv|g' -e 's|/var/log/webserv|%s/var/log/"
			 "webserv|' -e 's|/run/webserv.pid|%s/webserv.pid|' "
			 "'%s/usr/etc/webserv/webserv.cfg' > '%s/t.cfg' && "
			 "'%s' -t -f '%s/t.cfg' 2>&1",
			 dir, dir, dir, dir, dir, getenv("WEBSERV_BIN"), dir);
		cr_expect_eq(hx_sh(cmd, out, sizeof(out)), 0,
			     "installed config fails -t:\n%s", out);
	}
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 i ? "etc/logrotate.d/webserv"
			   : "etc/systemd/system/webserv.service");
		text = read_file(path, NULL);
		cr_assert_not_null(text);
		cr_expect_null(strstr(text, "@PREFIX@"), "%s", path);
		cr_expect_not_null(strstr(text, "/usr/sbin/webserv"), "%s",
				   path);
		free(text);
	}
	rm_tree(dir);
}

Test(ops, logrotate_snippet_parses_and_reopens_the_logs, .timeout = 120)
{
	const char *src = src_dir();
	char dir[256], cmd[1024], out[16384];
	char *text;
	int rc;

	if (!have("logrotate"))
		cr_skip_test("logrotate missing: apt-get install logrotate");
	cr_assert_eq(make_tmpdir(dir, sizeof(dir)), 0);
	install_data(src, dir);
	text = read_file(strcat(strcpy(cmd, dir), "/etc/logrotate.d/webserv"),
			 NULL);
	cr_assert_not_null(text);
	cr_expect_not_null(strstr(text, "webserv -s reopen"));
	cr_expect_not_null(strstr(text, "/var/log/webserv/*.log"));
	free(text);
	/* -d: debug, nothing rotated, no script run; the state file is
	 * ours so the system's is not touched. */
	snprintf(cmd, sizeof(cmd),
		 "logrotate -d -s '%s/state' '%s/etc/logrotate.d/webserv' 2>&1",
		 dir, dir);
	rc = hx_sh(cmd, out, sizeof(out));
	cr_expect_eq(rc, 0, "%s:\n%s", cmd, out);
	cr_expect_null(strstr(out, "error:"), "%s", out);
	cr_expect_not_null(strstr(out, "rotating pattern: /var/log/webserv/"),
			   "%s", out);
	rm_tree(dir);
}

Test(ops, systemd_unit_is_hardened_and_verifies, .timeout = 180)
{
	const char *src = src_dir();
	static const char *const musts[] = {
	    "\nNoNewPrivileges=yes\n", "\nProtectSystem=full\n",
	    "\nProtectHome=yes\n", "\nPrivateTmp=yes\n",
	    "\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SETUID "
	    "CAP_SETGID "};
	char dir[256], cmd[2048], out[8192];
	char *text;
	int rc;

	snprintf(cmd, sizeof(cmd), "%s/etc/webserv.service", src);
	text = read_file(cmd, NULL);
	cr_assert_not_null(text);
	for (size_t i = 0; i < sizeof(musts) / sizeof(musts[0]); i++)
		cr_expect_not_null(strstr(text, musts[i]), "unit lacks %s",
				   musts[i] + 1);
	free(text);
	if (!have("systemd-analyze"))
		cr_skip_test("systemd-analyze missing: cannot verify the unit "
			     "(apt-get install systemd)");
	/* The unit with PREFIX = a temp dir holding a real binary: verify
	 * checks that every Exec command exists. */
	cr_assert_eq(make_tmpdir(dir, sizeof(dir)), 0);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s/sbin' && cp '%s/webserv' '%s/sbin/webserv' && "
		 "sed 's|@PREFIX@|%s|g' '%s/etc/webserv.service' > "
		 "'%s/webserv.service' 2>&1",
		 dir, src, dir, dir, src, dir);
	if (hx_sh(cmd, out, sizeof(out)) != 0)
		cr_skip_test("no release binary %s/webserv to verify the unit "
			     "with (`make test` builds it)",
			     src);
	snprintf(cmd, sizeof(cmd),
		 "SYSTEMD_LOG_COLOR=0 timeout 120 systemd-analyze verify "
		 "'%s/webserv.service' 2>&1",
		 dir);
	rc = hx_sh(cmd, out, sizeof(out));
	rm_tree(dir);
	if (rc != 0 && (strstr(out, "Failed to initialize manager") ||
			strstr(out, "Failed to setup") ||
			strstr(out, "Operation not permitted"))) {
		cr_skip_test("systemd-analyze verify cannot run here: %s", out);
	}
	cr_expect_eq(rc, 0, "%s:\n%s", cmd, out);
	/* Unknown keys are a message with exit 0: any output fails. */
	cr_expect_str_empty(out, "systemd-analyze verify:\n%s", out);
}
