"""A loopback SMTP server for newsmon's e-mail tests, on Debian's python3-aiosmtpd.

    smtp_server.py DIR PORT [--login USERNAME PASSWORD] [--starttls | --tls] [--cert CERT KEY]

Listens on 127.0.0.1:PORT, prints "ready" once it accepts connections, and writes each message
it accepts to DIR as NNNNNN.json (numbering goes on across restarts on the same DIR): the
envelope, the raw message, the Subject and body as Python's email package decodes them (an
independent reader of RFC 2047 and base64), and whether the session was TLS. With --login it
requires AUTH (LOGIN or PLAIN) and refuses any other credentials; every AUTH attempt that
reaches the authenticator is appended to DIR/auth.log as "USERNAME starttls|implicit|none".

With --starttls (and --cert) it offers STARTTLS with that certificate and requires it: MAIL
and AUTH are refused before it (aiosmtpd's require_starttls and auth_require_tls). With --tls it
speaks TLS from the first byte (smtps://). Without either, AUTH is allowed in plain text, for
the tests of a loopback relay. Stops on SIGTERM.

aiosmtpd's settings: https://aiosmtpd.aio-libs.org/en/stable/smtp.html (tls_context,
require_starttls, auth_require_tls, session.ssl) and
https://aiosmtpd.aio-libs.org/en/stable/controller.html (ssl_context for implicit TLS).
"""
import argparse
import email
import email.policy
import json
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def tls_of(server, session):
    """How the session is encrypted: "starttls" (aiosmtpd sets session.ssl once STARTTLS
    completed), "implicit" (TLS from the first byte: the transport itself is TLS) or "none"."""
    if session.ssl is not None:
        return "starttls"
    if server.transport.get_extra_info("sslcontext") is not None:
        return "implicit"
    return "none"


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        login = getattr(session.auth_data, "login", b"") or b""
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "raw": raw.decode("utf-8", "replace"),
            "subject": str(message["subject"]),
            "body": message.get_content(),
            "login": login.decode("utf-8", "replace"),
            "tls": tls_of(server, session),
        }
        with self.lock:
            number = len([n for n in os.listdir(self.directory) if n.endswith(".json")])
            path = os.path.join(self.directory, "%06d.json" % number)
            with open(path + ".tmp", "w", encoding="utf-8") as out:
                json.dump(record, out, ensure_ascii=False)
            os.rename(path + ".tmp", path)
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("port", type=int)
    parser.add_argument("--login", nargs=2, metavar=("USERNAME", "PASSWORD"))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--starttls", action="store_true")
    mode.add_argument("--tls", action="store_true")
    parser.add_argument("--cert", nargs=2, metavar=("CERT", "KEY"))
    args = parser.parse_args()
    credentials = tuple(part.encode() for part in args.login) if args.login else None
    auth_log = os.path.join(args.directory, "auth.log")

    def authenticator(server, session, envelope, mechanism, auth_data):
        with open(auth_log, "a", encoding="utf-8") as out:
            out.write("%s %s\n" % (auth_data.login.decode("utf-8", "replace"),
                                   tls_of(server, session)))
        ok = credentials is not None and (auth_data.login, auth_data.password) == credentials
        # handled=False: aiosmtpd then answers 535 itself (its default, True, answers nothing).
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    options = {}
    if args.starttls or args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*args.cert)
        if args.starttls:
            options.update(tls_context=context, require_starttls=True)
        else:
            options.update(ssl_context=context)
    if credentials:
        # With --starttls, AUTH is refused (538) and not offered until STARTTLS. aiosmtpd 1.4
        # counts only STARTTLS as TLS, so with --tls (encrypted from the start) it must allow
        # AUTH "without" TLS.
        options.update(authenticator=authenticator, auth_required=True,
                       auth_require_tls=args.starttls)
    controller = Controller(Recorder(args.directory), hostname="127.0.0.1", port=args.port,
                            **options)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    controller.start()
    print("ready", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
