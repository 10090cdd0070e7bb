#!/usr/bin/env python3
"""A real SMTP server for warroom's tests: aiosmtpd on 127.0.0.1.

Modes: `starttls` (STARTTLS required, then AUTH required), `implicit` (TLS from the first byte,
AUTH required) and `plain` (no TLS offered, no AUTH). Each accepted message is parsed with
Python's own e-mail package and written as one JSON line to --out, so the test can check that
it arrived intact. Prints `READY <port>` once listening and serves until stdin closes.
Needs `pip install aiosmtpd` (.ci/run installs it).
"""

import argparse
import email
import email.policy
import json
import logging
import socket
import ssl
import sys
import warnings

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError:
    sys.stderr.write("aiosmtpd is missing: pip install aiosmtpd (.ci/run installs it)\n")
    sys.exit(3)

parser = argparse.ArgumentParser()
parser.add_argument("--mode", choices=["starttls", "implicit", "plain"], required=True)
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--user", default="")
parser.add_argument("--password", default="")
parser.add_argument("--out", required=True)
parser.add_argument("--reject", action="append", default=[])
args = parser.parse_args()


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in args.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        auth = session.auth_data
        login = auth.login.decode("utf-8", "replace") if isinstance(auth, LoginPassword) else ""

        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "login": login,
            "headers": {k: str(v) for k, v in msg.items()},
            "content_type": msg.get_content_type(),
            "charset": msg.get_content_charset(),
            "body": msg.get_content(),
            "defects": [type(d).__name__ for d in msg.defects],
            "max_line": max((len(l) for l in raw.split(b"\r\n")), default=0),
        }
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return "250 2.0.0 OK: queued"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == args.user.encode()
        and auth_data.password == args.password.encode()
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def tls_context():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        # One context usable on both sides: aiosmtpd's readiness check connects with it too.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS)
    ctx.load_cert_chain(args.cert, args.key)
    return ctx


# With implicit TLS the whole session is encrypted, so AUTH without STARTTLS is fine here.
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
logging.getLogger("mail.log").setLevel(logging.ERROR)

sock = socket.socket()
sock.bind(("127.0.0.1", 0))
port = sock.getsockname()[1]
sock.close()

kwargs = dict(hostname="127.0.0.1", port=port, server_hostname="relay.test.invalid")
if args.mode == "starttls":
    kwargs.update(
        tls_context=tls_context(),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator,
    )
elif args.mode == "implicit":
    kwargs.update(
        ssl_context=tls_context(),
        auth_required=True,
        auth_require_tls=False,
        authenticator=authenticator,
    )
else:
    kwargs.update(auth_required=False)

controller = Controller(Handler(), **kwargs)
controller.start()
print(f"READY {port}", flush=True)
try:
    sys.stdin.read()
finally:
    controller.stop()
