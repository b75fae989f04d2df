"""A loopback SMTP server for newsmon's e-mail tests, on Debian's python3-aiosmtpd.

    smtp_server.py DIR PORT [USERNAME PASSWORD]

Listens on 127.0.0.1:PORT, prints "ready" once it accepts connections, and writes each message
it accepts to DIR as NNNNNN.json (numbering goes on across restarts on the same DIR): the
envelope, the raw message, and the Subject and body as Python's email package decodes them, an
independent reader of RFC 2047 and base64. With USERNAME and PASSWORD it requires AUTH (LOGIN
or PLAIN, allowed without TLS for the test) and refuses any other credentials. Stops on SIGTERM.
"""
import email
import email.policy
import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


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
        }
        with self.lock:
            number = len([n for n in os.listdir(self.directory) if n.endswith(".json")])
            path = os.path.join(self.directory, "%06d.json" % number)
            with open(path + ".tmp", "w", encoding="utf-8") as out:
                json.dump(record, out, ensure_ascii=False)
            os.rename(path + ".tmp", path)
        return "250 OK"


def main():
    directory, port = sys.argv[1], int(sys.argv[2])
    credentials = (sys.argv[3].encode(), sys.argv[4].encode()) if len(sys.argv) > 4 else None

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = credentials is not None and (auth_data.login, auth_data.password) == credentials
        # handled=False: aiosmtpd then answers 535 itself (its default, True, answers nothing).
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    options = {}
    if credentials:
        options = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    controller = Controller(Recorder(directory), hostname="127.0.0.1", port=port, **options)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    controller.start()
    print("ready", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
