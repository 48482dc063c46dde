"""A tiny JSON service: the application every slimcheck example variant packages."""
import ctypes
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

FASTPATH = os.environ.get("FASTPATH_LIB", "/opt/app/libfastpath.so")


def checksum(text: str) -> int:
    """Uses the compiled helper when the image ships it, else pure Python."""
    if os.path.exists(FASTPATH):
        return ctypes.CDLL(FASTPATH).checksum(text.encode(), len(text))
    return sum(text.encode()) % 65521


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "checksum": checksum(self.path)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8000"))), Handler).serve_forever()
