"""A real SMTP server on loopback (aiosmtpd) whose answers are scripted by recipient.

Usage: smtp_server.py --port PORT --log FILE [--stall SECONDS]
Prints "ready" on stdout once it accepts connections, then serves until killed.

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
recipient, the Message-ID and what the server did with it ("accepted", "dropped",
"stalled", "refused"), so a test can count what each recipient could have received.
"""
import argparse
import asyncio
import json
import re
import sys

from aiosmtpd.controller import Controller


def kind(address):
    return address.split("@", 1)[0].split("-", 1)[0].lower()


class Scripted:
    def __init__(self, log, stall):
        self.log = log
        self.stall = stall
        self.seen = {}

    def first_time(self, key):
        self.seen[key] = self.seen.get(key, 0) + 1
        return self.seen[key] == 1

    def record(self, envelope, outcome):
        match = re.search(rb"^Message-ID:\s*(\S+)", envelope.original_content or b"", re.M | re.I)
        line = {
            "rcpt": envelope.rcpt_tos[0] if envelope.rcpt_tos else None,
            "message_id": match.group(1).decode() if match else None,
            "outcome": outcome,
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
        address = envelope.rcpt_tos[0]
        k = kind(address)
        if k == "permdata":
            self.record(envelope, "refused")
            return "554 5.6.0 message refused"
        if k == "tempdata" and self.first_time(("data", address)):
            self.record(envelope, "refused")
            return "452 4.3.1 insufficient storage, try later"
        if k == "dropafter":
            self.record(envelope, "dropped")
            server.transport.close()
            return "421 4.3.0 closing"
        if k == "stall":
            self.record(envelope, "stalled")
            await asyncio.sleep(self.stall)
            return "250 OK late"
        self.record(envelope, "accepted")
        return "250 OK queued"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--stall", type=float, default=30.0)
    args = parser.parse_args()
    controller = Controller(
        Scripted(args.log, args.stall),
        hostname="127.0.0.1",
        port=args.port,
        enable_SMTPUTF8=True,
        decode_data=False,
    )
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
