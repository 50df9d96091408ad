#!/usr/bin/env python3
"""A real SMTP server for Postern's integration tests (aiosmtpd, from PyPI).

    smtp_server.py PORT DIR [--refuse CODE --times N] [--drop N] [--delay SECONDS]

Listens on 127.0.0.1:PORT and writes each message it accepts to DIR as one file
(NNNN.eml, written under another name and renamed, so a reader never sees half a message),
headed by an X-Test-Envelope-To line with the envelope recipients. With --refuse, it answers
the first N messages with CODE (such as 451 or 550) instead of accepting them. With --drop, it
closes the connection without an answer on the first N messages. With --delay, it waits that
long before answering each message (a slow server). Prints
"READY PORT" once it accepts connections, and stops on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import os
import signal
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, directory, refuse_code, refuse_times, drop, delay):
        self.directory = directory
        self.refuse_code = refuse_code
        self.refuse_left = refuse_times
        self.drop_left = drop
        self.delay = delay
        self.accepted = len([n for n in os.listdir(directory) if n.endswith(".eml")])

    async def handle_DATA(self, server, session, envelope):
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        if self.drop_left > 0:
            self.drop_left -= 1
            server.transport.close()
            return "421 closing"
        if self.refuse_left > 0:
            self.refuse_left -= 1
            return f"{self.refuse_code} the test server refuses this message"
        self.accepted += 1
        name = os.path.join(self.directory, f"{self.accepted:04d}.eml")
        with open(name + ".part", "wb") as out:
            out.write(b"X-Test-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            out.write(envelope.original_content or envelope.content)
        os.rename(name + ".part", name)
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("directory")
    parser.add_argument("--refuse", type=int, default=451)
    parser.add_argument("--times", type=int, default=0)
    parser.add_argument("--drop", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    handler = Handler(args.directory, args.refuse, args.times, args.drop, args.delay)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    controller.start()
    print(f"READY {args.port}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
