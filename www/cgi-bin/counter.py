#!/usr/bin/python3
"""A cookie session counter: each visit increments a counter kept in a cookie."""
import http.cookies
import os

jar = http.cookies.SimpleCookie(os.environ.get("HTTP_COOKIE", ""))
try:
    visits = int(jar["visits"].value) + 1 if "visits" in jar else 1
except ValueError:
    visits = 1
print("Content-Type: text/plain; charset=utf-8")
print(f"Set-Cookie: visits={visits}; Path=/; HttpOnly; SameSite=Lax")
print()
print(f"You have visited this page {visits} time{'s' if visits != 1 else ''}.")
