"""The floor: a bare stdlib HTTP/1.1 server that answers every POST with one constant body.

TCP_NODELAY on and one write per answer, as the stand-in does, so that the comparison measures
the stand-in's own work (parsing, scoring, encoding), not the 40 ms delayed-ACK stall.
"""

from __future__ import annotations

import argparse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = b'{"predictions": [{"score": 0.25, "predicted_label": 0}]}'
_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(ANSWER)).encode()
    + b"\r\n\r\n"
)


class ConstantHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.wfile.write(_HEAD + ANSWER)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    server = ThreadingHTTPServer(("127.0.0.1", port), ConstantHandler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
