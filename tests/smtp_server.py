#!/usr/bin/env python3
"""A small real SMTP server for participa's mail tests (aiosmtpd).

Listens on 127.0.0.1 only and stores every accepted message in --dir as two files, written
atomically (temporary name, then rename), the JSON last so that a reader that sees it finds the
message complete:

    msg-0001.eml   the raw data, exactly as received after DATA
    msg-0001.json  {"mail_from": ..., "rcpt_tos": [...], "auth_user": ..., "tls": bool, "eml": "msg-0001.eml"}

Options that make it behave like the servers participa must cope with:

    --refuse ADDR      answer RCPT TO:<ADDR> with 550 (permanent: unknown user); repeatable
    --defer ADDR       answer RCPT TO:<ADDR> with 451 (transient: try later); repeatable
    --user U --password P
                       require AUTH (PLAIN or LOGIN) with these credentials before MAIL
    --tls-cert C --tls-key K
                       offer STARTTLS with this certificate and require it before AUTH/MAIL
    --implicit-tls     with --tls-cert/--tls-key: TLS from the first byte (SMTPS) instead
    --rcpt-delay-seconds S
                       before answering each RCPT, write rcpt-NNNN (a marker: a client is
                       waiting) and wait S seconds: a test can kill the client there, before
                       the server has accepted anything of that message

Prints "LISTO <port>" on stdout once it accepts connections. Stops when its standard input is
closed (so it never outlives the test that started it) or on SIGTERM.

    smtp_server.py inspect FILE.eml

parses a message with Python's own e-mail package (an independent reader of what lettre wrote)
and prints JSON: decoded headers, the MIME structure, each leaf part's type, file name, decoded
size and text, and the parser's defects.
"""

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import threading

import email
import hashlib
import email.policy
import logging
import warnings

# aiosmtpd warns that AUTH without TLS is unsafe: on loopback in a test it is the point.
warnings.filterwarnings("ignore")
logging.getLogger("mail.log").setLevel(logging.CRITICAL)

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError as e:
    Controller = AuthResult = LoginPassword = None
    MISSING = str(e)


class Store:
    """Accepts, refuses or defers recipients and writes accepted messages to a folder."""

    def __init__(self, folder, refuse, defer, rcpt_delay=0.0):
        self.folder = folder
        self.rcpt_delay = rcpt_delay
        self.rcpts = 0
        self.refuse = {a.lower() for a in refuse}
        self.defer = {a.lower() for a in defer}
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_delay > 0:
            self.rcpts += 1
            write_atomic(os.path.join(self.folder, f"rcpt-{self.rcpts:04d}"), address.encode("utf-8"))
            await asyncio.sleep(self.rcpt_delay)
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: destinatario desconocido"
        if address.lower() in self.defer:
            return f"451 4.3.0 <{address}>: intente más tarde"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = f"msg-{self.count:04d}"
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        write_atomic(os.path.join(self.folder, stem + ".eml"), data)
        auth = session.auth_data
        user = None
        if LoginPassword is not None and isinstance(auth, LoginPassword):
            user = auth.login.decode("utf-8", "replace")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": user,
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "eml": stem + ".eml",
        }
        write_atomic(os.path.join(self.folder, stem + ".json"), json.dumps(meta).encode("utf-8"))
        return f"250 2.0.0 OK: guardado como {stem}"


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode("utf-8")
            and auth_data.password == password.encode("utf-8")
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


def inspect(path):
    with open(path, "rb") as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.default)
    structure, parts, defects = [], [], [str(d) for d in msg.defects]
    for part in msg.walk():
        structure.append(part.get_content_type())
        defects.extend(str(d) for d in part.defects)
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        parts.append({
            "content_type": part.get_content_type(),
            "filename": part.get_filename(),
            "disposition": part.get_content_disposition(),
            "size": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
            "text": part.get_content() if part.get_content_maintype() == "text" else None,
        })
    header = lambda name: str(msg[name]) if msg[name] is not None else None
    print(json.dumps({
        "subject": header("Subject"),
        "from": header("From"),
        "to": [str(a) for a in msg["To"].addresses] if msg["To"] is not None else [],
        "reply_to": header("Reply-To"),
        "message_id": header("Message-ID"),
        "date": header("Date"),
        "auto_submitted": header("Auto-Submitted"),
        "structure": structure,
        "parts": parts,
        "defects": defects,
    }, ensure_ascii=False))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "inspect":
        inspect(sys.argv[2])
        return
    if Controller is None:  # the Rust tests look for this line to skip (or fail under CI)
        print(f"FALTA aiosmtpd: {MISSING}", flush=True)
        sys.exit(3)
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--refuse", action="append", default=[])
    p.add_argument("--defer", action="append", default=[])
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--rcpt-delay-seconds", type=float, default=0.0)
    a = p.parse_args()

    os.makedirs(a.dir, exist_ok=True)
    kwargs = {}
    if a.user is not None:
        kwargs["authenticator"] = authenticator_for(a.user, a.password or "")
        kwargs["auth_required"] = True
        # Loopback tests without TLS still exercise AUTH. With STARTTLS, AUTH only after it.
        # With implicit TLS the connection is encrypted from the start, but aiosmtpd only
        # counts STARTTLS as TLS, so its requirement is turned off there too.
        kwargs["auth_require_tls"] = bool(a.tls_cert) and not a.implicit_tls
    if a.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(a.tls_cert, a.tls_key)
        if a.implicit_tls:
            kwargs["ssl_context"] = context
        else:
            kwargs["tls_context"] = context
            kwargs["require_starttls"] = True

    controller = Controller(Store(a.dir, a.refuse, a.defer, a.rcpt_delay_seconds), hostname="127.0.0.1", port=a.port, **kwargs)
    controller.start()
    print(f"LISTO {a.port}", flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())

    def wait_stdin():
        try:
            sys.stdin.read()
        finally:
            done.set()

    threading.Thread(target=wait_stdin, daemon=True).start()
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
