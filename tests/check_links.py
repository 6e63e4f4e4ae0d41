#!/usr/bin/env python3
"""Loads a published index.html in headless Chromium and checks every link in the DOM that
Chromium built (tests/tools.rs: chromium_check_links). Standard library only.

Usage: check_links.py [--chromium PATH] [--timeout SECONDS] [--file] INDEX_HTML

Default (HTTP): serves the folder *above* the index's folder with a throw-away HTTP server on
127.0.0.1 (a free port the system picks), so the page is read from a sub-path
(http://127.0.0.1:PORT/<folder>/index.html) as a city web server would serve it; then fetches
every same-site href/src with GET and wants 200 and exactly the bytes of the file on disk.
With --file the page is loaded from file:// and every link must name an existing file.

Either way: `#id` links must name an element of the page; href/src must be relative (no
leading `/`, no scheme) and stay inside the published folder; nothing may be loaded from
elsewhere (src, <link href>); links to other sites (the licence) are listed, not fetched.

Prints a JSON report; exits 0 when there is no error, 1 otherwise, 2 when Chromium failed.
"""

import argparse
import functools
import html.parser
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Collector(html.parser.HTMLParser):
    """Every href/src with its tag, every id, and a few structure facts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []  # (tag, attribute, value, rel)
        self.ids = set()
        self.tags = {}
        self.lang = None
        self.th_with_scope = 0
        self.th_without_scope = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "th":
            if a.get("scope"):
                self.th_with_scope += 1
            else:
                self.th_without_scope += 1
        if a.get("id"):
            self.ids.add(a["id"])
        for attribute in ("href", "src"):
            if attribute in a and a[attribute] is not None:
                self.links.append((tag, attribute, a[attribute], (a.get("rel") or "").lower()))

    handle_startendtag = handle_starttag


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def dump_dom(chromium, url, timeout):
    profile = tempfile.mkdtemp(prefix="participa-chromium-")
    try:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            return None, f"Chromium did not finish within {timeout} s: {err.decode(errors='replace')[-2000:]}"
        if proc.returncode != 0:
            return None, f"Chromium exited {proc.returncode}: {err.decode(errors='replace')[-2000:]}"
        dom = out.decode("utf-8", errors="replace")
        if "<html" not in dom or "</html>" not in dom:
            return None, f"Chromium printed no document ({len(out)} bytes): {err.decode(errors='replace')[-2000:]}"
        return dom, None
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--timeout", type=float, default=90.0)
    ap.add_argument("--file", action="store_true", help="load from file:// and check files exist")
    ap.add_argument("index")
    args = ap.parse_args(argv[1:])

    index = os.path.realpath(args.index)
    folder = os.path.dirname(index)
    site_root = os.path.dirname(folder)
    errors, checked, external = [], [], []

    server = None
    if args.file:
        page_url = "file://" + urllib.parse.quote(index)
    else:
        handler = functools.partial(QuietHandler, directory=site_root)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        rel = os.path.relpath(index, site_root).replace(os.sep, "/")
        page_url = f"http://127.0.0.1:{port}/{urllib.parse.quote(rel)}"
    try:
        dom, failure = dump_dom(args.chromium, page_url, args.timeout)
        if failure:
            print(json.dumps({"url": page_url, "errors": [failure]}, ensure_ascii=False, indent=1))
            return 2
        page = Collector()
        page.feed(dom)
        page.close()
        if not page.lang:
            errors.append("<html> has no lang attribute")
        for needed in ("main", "h1", "title"):
            if page.tags.get(needed, 0) == 0:
                errors.append(f"the page has no <{needed}>")
        if page.tags.get("script", 0):
            errors.append("the page has <script>")
        if page.th_without_scope:
            errors.append(f"{page.th_without_scope} <th> without scope")

        page_parts = urllib.parse.urlsplit(page_url)
        base_dir = page_parts.path.rsplit("/", 1)[0] + "/"
        for tag, attribute, value, rel in page.links:
            where = f"<{tag} {attribute}=\"{value}\">"
            parts = urllib.parse.urlsplit(value)
            if value.startswith("#") or (value == "" and attribute == "href"):
                fragment = urllib.parse.unquote(parts.fragment)
                if fragment and fragment not in page.ids:
                    errors.append(f"{where}: no element has id «{fragment}»")
                else:
                    checked.append({"link": value, "kind": "fragment"})
                continue
            if parts.scheme or parts.netloc:
                if parts.scheme in ("http", "https", "mailto") and tag == "a":
                    external.append(value)
                else:
                    errors.append(f"{where}: not relative (loads from elsewhere)")
                continue
            if value.startswith("/"):
                errors.append(f"{where}: absolute path; links must be relative to the index")
                continue
            target = urllib.parse.urljoin(page_url, value)
            target_parts = urllib.parse.urlsplit(target)
            if not target_parts.path.startswith(base_dir):
                errors.append(f"{where}: leaves the published folder")
                continue
            rel_path = urllib.parse.unquote(target_parts.path[len(base_dir):])
            on_disk = os.path.join(folder, *rel_path.split("/"))
            if not os.path.isfile(on_disk):
                errors.append(f"{where}: no file {on_disk}")
                continue
            size = os.path.getsize(on_disk)
            entry = {"link": value, "kind": "file", "bytes": size}
            if server is not None:
                try:
                    with urllib.request.urlopen(target, timeout=15) as response:
                        body = response.read()
                        entry["status"] = response.status
                        entry["content_type"] = response.headers.get("Content-Type")
                        if response.status != 200:
                            errors.append(f"{where}: HTTP {response.status}")
                        elif len(body) != size:
                            errors.append(f"{where}: served {len(body)} bytes, the file has {size}")
                except urllib.error.HTTPError as e:
                    errors.append(f"{where}: HTTP {e.code} for {target}")
                    continue
                except (urllib.error.URLError, OSError) as e:
                    errors.append(f"{where}: cannot fetch {target}: {e}")
                    continue
            checked.append(entry)

        report = {
            "url": page_url,
            "mode": "file" if args.file else "http",
            "dom_bytes": len(dom.encode("utf-8")),
            "lang": page.lang,
            "tags": {t: page.tags.get(t, 0) for t in ("main", "h1", "h2", "table", "caption", "th", "a")},
            "checked": checked,
            "external": external,
            "errors": errors,
        }
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 1 if errors else 0
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
