#!/usr/bin/python3
"""A form handler: GET shows the form, POST echoes the submitted fields."""
import html
import os
import sys
import urllib.parse

method = os.environ.get("REQUEST_METHOD", "GET")
if method == "POST":
    length = os.environ.get("CONTENT_LENGTH")
    raw = sys.stdin.read(int(length)) if length else sys.stdin.read()
    fields = urllib.parse.parse_qs(raw, keep_blank_values=True)
else:
    fields = urllib.parse.parse_qs(os.environ.get("QUERY_STRING", ""))

rows = "".join(
    f"<tr><th>{html.escape(k)}</th><td>{html.escape(', '.join(v))}</td></tr>"
    for k, v in sorted(fields.items())
)
sys.stdout.write("Content-Type: text/html; charset=utf-8\r\n\r\n")
sys.stdout.write(f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Form</title>
<link rel="stylesheet" href="/style.css"></head><body><main>
<h1>A form handled by a CGI script</h1>
<form method="post" action="{html.escape(os.environ.get('SCRIPT_NAME', ''))}">
<label>Name <input name="name"></label>
<label>Colour <input name="colour"></label>
<button type="submit">Send</button></form>
<h2>Received ({html.escape(method)})</h2>
<table>{rows or '<tr><td>nothing yet</td></tr>'}</table>
</main></body></html>
""")
