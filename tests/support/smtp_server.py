"""A real SMTP server on loopback (aiosmtpd) whose answers are scripted by recipient.

Usage: smtp_server.py --log FILE [--stall SECONDS] [--tls implicit|starttls --cert PEM --key PEM]
                      [--user NAME --password SECRET] [--delay SECONDS]
Binds a free port on 127.0.0.1 (port 0, so no other process can take it first), prints
"ready PORT" on stdout once it accepts connections, then serves until its stdin closes.

With --delay every reply to the message data comes that many seconds late (a slow server).

With --tls implicit every connection starts with TLS; with --tls starttls the server refuses
mail until the client has sent STARTTLS. With --user, AUTH (PLAIN or LOGIN, only after TLS)
is required before MAIL.

The local part of the recipient address, up to the first "-", chooses the behaviour:
  ok          accept
  perm        550 at RCPT (permanent, before the data)
  temp        451 at RCPT the first time, then accept (transient, before the data)
  busy        451 at RCPT every time (a transient failure that never clears)
  dropbefore  close the connection at RCPT the first time, then accept
  permdata    554 after the data
  tempdata    452 after the data the first time, then accept
  dropafter   read the data, then close the connection without a reply
  stall       read the data, then wait --stall seconds before accepting

Every message whose data the server read is appended to FILE as a JSON line with the
recipient, the Message-ID, what the server did with it ("accepted", "dropped", "stalled",
"refused"), the connection it came on (the client's port), whether that connection was
encrypted and the user it authenticated as, so a test can count what each recipient could
have received and over which session.
"""
import argparse
import asyncio
import json
import re
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def kind(address):
    return address.split("@", 1)[0].split("-", 1)[0].lower()


class Scripted:
    def __init__(self, log, stall, delay=0.0):
        self.log = log
        self.stall = stall
        self.delay = delay
        self.seen = {}

    def first_time(self, key):
        self.seen[key] = self.seen.get(key, 0) + 1
        return self.seen[key] == 1

    def record(self, server, session, envelope, outcome):
        match = re.search(rb"^Message-ID:\s*(\S+)", envelope.original_content or b"", re.M | re.I)
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        user = session.auth_data.login.decode() if session.authenticated else None
        line = {
            "rcpt": envelope.rcpt_tos[0] if envelope.rcpt_tos else None,
            "message_id": match.group(1).decode() if match else None,
            "outcome": outcome,
            "connection": session.peer[1] if session.peer else None,
            "tls": encrypted,
            "user": user,
        }
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
            f.flush()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        k = kind(address)
        if k == "perm":
            return "550 5.1.1 no such user"
        if k == "temp" and self.first_time(("rcpt", address)):
            return "451 4.7.1 greylisted, try again later"
        if k == "busy":
            return "451 4.3.2 system busy, try again later"
        if k == "dropbefore" and self.first_time(("rcpt", address)):
            server.transport.close()
            return "421 4.3.0 closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        address = envelope.rcpt_tos[0]
        k = kind(address)
        if k == "permdata":
            self.record(server, session, envelope, "refused")
            return "554 5.6.0 message refused"
        if k == "tempdata" and self.first_time(("data", address)):
            self.record(server, session, envelope, "refused")
            return "452 4.3.1 insufficient storage, try later"
        if k == "dropafter":
            self.record(server, session, envelope, "dropped")
            server.transport.close()
            return "421 4.3.0 closing"
        if k == "stall":
            self.record(server, session, envelope, "stalled")
            await asyncio.sleep(self.stall)
            return "250 OK late"
        self.record(server, session, envelope, "accepted")
        return "250 OK queued"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        if ok:
            return AuthResult(success=True, auth_data=auth_data)
        # Not handled: aiosmtpd answers 535 itself.
        return AuthResult(success=False, handled=False)

    return check


async def serve(args):
    context = None
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    handler = Scripted(args.log, args.stall, args.delay)

    def session():
        options = {"enable_SMTPUTF8": True, "decode_data": False, "hostname": "smtp.test"}
        if args.tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        if args.user:
            options.update(
                authenticator=authenticator(args.user, args.password),
                auth_required=True,
                # aiosmtpd counts only STARTTLS as TLS; a connection that began with TLS
                # is encrypted all the same.
                auth_require_tls=args.tls != "implicit",
            )
        return SMTP(handler, **options)

    loop = asyncio.get_running_loop()
    implicit = context if args.tls == "implicit" else None
    server = await loop.create_server(session, "127.0.0.1", 0, ssl=implicit)
    port = server.sockets[0].getsockname()[1]
    print(f"ready {port}", flush=True)
    # Serve until whoever started the server closes its stdin (or kills it).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", required=True)
    parser.add_argument("--stall", type=float, default=30.0)
    parser.add_argument("--tls", choices=["implicit", "starttls"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user")
    parser.add_argument("--password", default="")
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    if args.tls and not (args.cert and args.key):
        parser.error("--tls needs --cert and --key")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
