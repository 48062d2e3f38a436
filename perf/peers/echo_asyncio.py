"""Python peer of the TCP echo comparison (tools/compare, scenario tcp_echo): an asyncio
Protocol server, the fastest idiomatic asyncio echo (no streams, no per-connection task):
data_received writes the bytes straight back through the transport, which sends what the
socket takes at once and buffers the rest. asyncio's TCP transports set TCP_NODELAY
themselves; it is set again here so that holds for uvloop too.

usage: echo_asyncio.py --port N [--uvloop]
  --port N     TCP port on 127.0.0.1 (0 picks a free one); prints "listening on <port>"
  --uvloop     run on uvloop (python3-uvloop) instead of the default asyncio loop
Runs until SIGTERM or SIGINT, then exits 0.
"""

import argparse
import asyncio
import resource
import signal
import socket
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (OSError, AttributeError):
                pass

    def data_received(self, data):
        self.transport.write(data)


async def serve(port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    server = await loop.create_server(Echo, "127.0.0.1", port, backlog=socket.SOMAXCONN)
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    await stop
    server.close()


def main():
    p = argparse.ArgumentParser(description="asyncio / uvloop TCP echo server")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--uvloop", action="store_true")
    args = p.parse_args()
    # A thousand connections need more descriptors than the usual soft limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.uvloop:
        try:
            import uvloop
        except ImportError:
            sys.exit("echo_asyncio.py: --uvloop needs the uvloop module (python3-uvloop)")
        uvloop.install()
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
