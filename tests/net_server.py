#!/usr/bin/env python3
"""A misbehaving WebDAV-ish server on loopback, for tests/sources.rs.

    python3 net_server.py MODE [ARG]

Binds 127.0.0.1 on a free port, prints the port on the first line of stdout, logs one line
per request ("METHOD /path") on stderr, and stops by itself after two minutes. Modes:

  status CODE   every request is answered CODE (401 with a Basic challenge)
  slow SECONDS  every request waits SECONDS before a 207 (a server past the timeout)
  loop          every request is redirected to itself (a redirect loop)
  drop          lists org-a/reuniones.csv (1000 bytes, ETag "v2"); a GET of it sends 100
                bytes of its declared 1000 and closes the connection (a download cut mid-body)
"""
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = sys.argv[1]
ARG = sys.argv[2] if len(sys.argv) > 2 else ""
LIFETIME_SECONDS = 120

LISTING = """<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:">{}</D:multistatus>"""
ENTRY = """<D:response><D:href>{href}</D:href><D:propstat><D:prop>{props}</D:prop>
<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"""
FOLDER = "<D:resourcetype><D:collection/></D:resourcetype>"
FILE = ("<D:resourcetype/><D:getcontentlength>1000</D:getcontentlength>"
        "<D:getlastmodified>Tue, 05 Mar 2019 12:00:00 GMT</D:getlastmodified>"
        "<D:getetag>\"v2\"</D:getetag>")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self):
        sys.stderr.write(f"{self.command} {self.path}\n")
        sys.stderr.flush()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if MODE == "status":
            code = int(ARG)
            body = b"no"
            self.send_response(code)
            if code == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="participa"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif MODE == "slow":
            time.sleep(float(ARG))
            self.listing()
        elif MODE == "loop":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif MODE == "drop":
            if self.command == "PROPFIND":
                self.listing()
            else:
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.send_header("ETag", '"v2"')
                self.send_header("Last-Modified", "Tue, 05 Mar 2019 12:00:00 GMT")
                self.end_headers()
                self.wfile.write(b"x" * 100)
                self.wfile.flush()
                self.close_connection = True
        else:
            self.send_response(500)
            self.end_headers()

    def listing(self):
        path = self.path.split("?")[0]
        if path.rstrip("/") == "":
            entries = [ENTRY.format(href="/", props=FOLDER), ENTRY.format(href="/ministerio-a/", props=FOLDER)]
        else:
            entries = [ENTRY.format(href="/ministerio-a/", props=FOLDER),
                       ENTRY.format(href="/ministerio-a/reuniones.csv", props=FILE)]
        body = LISTING.format("".join(entries)).encode()
        self.send_response(207)
        self.send_header("Content-Type", "application/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PROPFIND = do_HEAD = do_PUT = answer


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
threading.Timer(LIFETIME_SECONDS, server.shutdown).start()
server.serve_forever()
