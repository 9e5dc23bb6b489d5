"""A real SMTP server (aiosmtpd) that stores every message it accepts, for tests and local development.

Run with Debian's interpreter, which has python3-aiosmtpd:  /usr/bin/python3 scripts/smtp-capture.py --port 2525 --dir .data/mail
Prints "READY <port>" once listening. Each message is written as <n>.eml (temp file, then rename), its envelope
sender (MAIL FROM, where bounces go) as <n>.from before that.
--fail-rcpt REGEX answers 550 to matching recipients; --tempfail-first N answers 451 to the first N DATA commands;
--accept-delay-ms N stores each message and then waits N ms before saying so, like a slow server.
"""
import argparse
import asyncio
import itertools
import os
import re
import signal

from aiosmtpd.controller import Controller


class Capture:
    def __init__(self, directory, fail_rcpt, tempfail_first, accept_delay_ms):
        self.directory = directory
        self.accept_delay = accept_delay_ms / 1000
        self.fail_rcpt = re.compile(fail_rcpt) if fail_rcpt else None
        self.tempfail_left = tempfail_first
        self.counter = itertools.count(1)

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
        if self.accept_delay > 0:
            await asyncio.sleep(self.accept_delay)
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--fail-rcpt")
    parser.add_argument("--tempfail-first", type=int, default=0)
    parser.add_argument("--accept-delay-ms", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Capture(args.dir, args.fail_rcpt, args.tempfail_first, args.accept_delay_ms),
                            hostname=args.host, port=args.port, data_size_limit=10 * 1024 * 1024)
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
