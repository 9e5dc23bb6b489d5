"""A real SMTP server (aiosmtpd) that stores every message it accepts, for tests and local development.

Run with Debian's interpreter, which has python3-aiosmtpd:  /usr/bin/python3 scripts/smtp-capture.py --port 2525 --dir .data/mail
Prints "READY <port>" once listening. Each message is written as <n>.eml (temp file, then rename), its envelope
sender (MAIL FROM, where bounces go) as <n>.from before that.
--fail-rcpt REGEX answers 550 to matching recipients; --tempfail-first N answers 451 to the first N DATA commands;
--accept-delay-ms N stores each message and then waits N ms before saying so, like a slow server;
--latency-ms N --jitter-ms J does the same with N ms plus a uniform random -J..+J ms per message, to model a relay
(30-100 ms per message); --noop-delay-ms N answers NOOP after N ms, like a connection that went quiet. PIPELINING
(RFC 2920) is offered unless --no-pipelining. stats.json in the folder counts
connections (open now, most at once) and MAIL commands, and how many MAIL commands arrived with the next command
already sent (pipelined: the client did not wait for the MAIL reply).
"""
import argparse
import asyncio
import itertools
import json
import os
import random
import re
import signal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class Capture:
    def __init__(self, directory, fail_rcpt, tempfail_first, accept_delay_ms, latency_ms=0, jitter_ms=0, pipelining=True,
                 noop_delay_ms=0):
        self.directory = directory
        self.noop_delay = noop_delay_ms / 1000
        self.accept_delay = accept_delay_ms / 1000
        self.latency = latency_ms / 1000
        self.jitter = jitter_ms / 1000
        self.pipelining = pipelining
        self.stats = {"connections": 0, "open": 0, "max_open": 0, "mail": 0, "pipelined_mail": 0}
        self.fail_rcpt = re.compile(fail_rcpt) if fail_rcpt else None
        self.tempfail_left = tempfail_first
        self.counter = itertools.count(1)

    def write_stats(self):
        path = os.path.join(self.directory, "stats.json")
        with open(path + ".tmp", "w") as f:
            json.dump(self.stats, f)
        os.replace(path + ".tmp", path)

    def opened(self):
        self.stats["connections"] += 1
        self.stats["open"] += 1
        self.stats["max_open"] = max(self.stats["max_open"], self.stats["open"])
        self.write_stats()

    def closed(self):
        self.stats["open"] -= 1
        self.write_stats()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_NOOP(self, server, session, envelope, arg):
        if self.noop_delay > 0:
            await asyncio.sleep(self.noop_delay)
        return "250 OK"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.stats["mail"] += 1
        # Bytes already waiting behind MAIL FROM: the client sent RCPT TO without waiting for this reply.
        if len(getattr(server._reader, "_buffer", b"")) > 0:
            self.stats["pipelined_mail"] += 1
        self.write_stats()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.fail_rcpt and self.fail_rcpt.search(address):
            # Like Postfix, quote the address in the refusal: the service must keep it out of its logs.
            return f"550 5.1.1 <{address}>: Recipient address rejected: Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail_left > 0:
            self.tempfail_left -= 1
            return "451 4.3.0 Try again later"
        n = next(self.counter)
        path = os.path.join(self.directory, f"{n:06d}.eml")
        with open(os.path.join(self.directory, f"{n:06d}.from"), "w") as f:
            f.write(envelope.mail_from or "")
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.replace(path + ".tmp", path)
        delay = self.accept_delay + max(0.0, self.latency + random.uniform(-self.jitter, self.jitter))
        if delay > 0:
            await asyncio.sleep(delay)
        return "250 Message accepted"


class CountingSMTP(SMTP):
    """Counts connections for stats.json."""

    def connection_made(self, transport):
        self.event_handler.opened()
        super().connection_made(transport)

    def connection_lost(self, error):
        self.event_handler.closed()
        super().connection_lost(error)


class CountingController(Controller):
    def factory(self):
        return CountingSMTP(self.handler, **self.SMTP_kwargs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--fail-rcpt")
    parser.add_argument("--tempfail-first", type=int, default=0)
    parser.add_argument("--accept-delay-ms", type=int, default=0)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--jitter-ms", type=int, default=0)
    parser.add_argument("--noop-delay-ms", type=int, default=0)
    parser.add_argument("--no-pipelining", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Capture(args.dir, args.fail_rcpt, args.tempfail_first, args.accept_delay_ms, args.latency_ms, args.jitter_ms,
                      pipelining=not args.no_pipelining, noop_delay_ms=args.noop_delay_ms)
    handler.write_stats()
    controller = CountingController(handler, hostname=args.host, port=args.port, data_size_limit=10 * 1024 * 1024)
    controller.start()
    print(f"READY {args.port}", flush=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
