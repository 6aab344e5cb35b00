#!/usr/bin/env python3
"""Browser test of the default site (issue 16): Debian's chromium, driven
by chromium-driver through python3-selenium, opens the home page of a
webserv started on a free loopback port, uploads a file through the form,
and must land on the /uploads/ listing that shows it (the form's 303).
Screenshots are kept as build/browser-home.png (the home page) and
build/browser-upload.png (the listing after the upload).

Skipped (exit 0, with a message saying what is missing) where selenium,
chromium or chromedriver are not installed.  Everything is bounded: the
server must be ready within 30 s, each page within 30 s, the whole run
is under `timeout` in the Makefile.

Usage: test_upload.py SRC_DIR WEBSERV_BINARY
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ARTIFACT = "build/browser-upload.png"
HOME_ARTIFACT = "build/browser-home.png"


def skip(why):
    print("browser test SKIPPED: " + why)
    sys.exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONFIG = """workers = 1;
pid_file = "{d}/webserv.pid";
error_log = "{d}/error.log";
http = {{ access_log = "off"; }};
servers = ( {{ listen = [ "127.0.0.1:{port}" ];
  root = "{d}/www/html";
  locations = ( {{ path = "/"; }},
    {{ path = "/uploads/"; alias = "{d}/www/uploads"; autoindex = true;
      upload_dir = "{d}/www/uploads"; client_max_body_size = "10m"; }} );
}} );
"""


def start_server(binary, src, tmp):
    shutil.copytree(os.path.join(src, "www"), os.path.join(tmp, "www"))
    port = free_port()
    cfg = os.path.join(tmp, "webserv.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(d=tmp, port=port))
    # Readiness: READY=1 on a NOTIFY_SOCKET of our own, as under systemd.
    notify_path = os.path.join(tmp, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    proc = subprocess.Popen([binary, "-f", cfg], env=env,
                            stdout=subprocess.DEVNULL)
    notify.settimeout(1.0)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("webserv exited at start (%d)" % proc.returncode)
        try:
            if b"READY=1" in notify.recv(4096):
                notify.close()
                return proc, port
        except socket.timeout:
            pass
    proc.kill()
    sys.exit("webserv not ready within 30 s")


def stop_server(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, binary = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        skip("python3-selenium missing "
             "(apt-get install chromium chromium-driver python3-selenium)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if os.access("/usr/bin/chromedriver", os.X_OK)
        else None)
    if not chromium or not driver_bin:
        skip("chromium or chromedriver missing "
             "(apt-get install chromium chromium-driver)")
    if not os.access(binary, os.X_OK):
        sys.exit("no webserv binary at " + binary)

    tmp = tempfile.mkdtemp(prefix="wsbrowser-")
    proc, port = start_server(binary, src, tmp)
    driver = None
    try:
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--window-size=1024,900",
                    "--user-data-dir=" + os.path.join(tmp, "profile")):
            opts.add_argument(arg)
        driver = webdriver.Chrome(service=Service(driver_bin), options=opts)
        driver.set_page_load_timeout(30)
        base = "http://127.0.0.1:%d" % port
        driver.get(base + "/")
        assert "webserv" in driver.title, driver.title
        os.makedirs(os.path.join(src, "build"), exist_ok=True)
        driver.save_screenshot(os.path.join(src, HOME_ARTIFACT))

        name = "hello-from-chromium.txt"
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write("uploaded through the form by a real browser\n")
        driver.find_element(By.ID, "file").send_keys(path)
        driver.find_element(By.ID, "send").click()
        # The 303 lands on the listing, which must show the file.
        WebDriverWait(driver, 30).until(
            lambda d: d.current_url == base + "/uploads/"
            and name in d.page_source)
        link = driver.find_element(By.LINK_TEXT, name)
        assert link.get_attribute("href") == base + "/uploads/" + name
        with open(os.path.join(tmp, "www", "uploads", name)) as f:
            assert f.read() == "uploaded through the form by a real browser\n"
        os.makedirs(os.path.dirname(os.path.join(src, ARTIFACT)),
                    exist_ok=True)
        driver.save_screenshot(os.path.join(src, ARTIFACT))
        # The file itself, read back through the listing's link.
        link.click()
        WebDriverWait(driver, 30).until(
            lambda d: "real browser" in d.page_source)
        print("browser test passed: uploaded %s through the form, saw it in "
              "the listing; screenshot %s" % (name, ARTIFACT))
    finally:
        if driver is not None:
            driver.quit()
        stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
