"""A fake OpenWrt uhttpd-mod-ubus endpoint: JSON-RPC login, list and hostapd get_clients."""
from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeUbus:
    def __init__(self, username: str, password: str, clients: dict,
                 objects: tuple[str, ...] = ("hostapd.phy0-ap0",)):
        self.username, self.password = username, password
        self.clients = {obj: clients for obj in objects}
        self.sessions: set[str] = set()
        self.logins = 0
        self.requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/ubus"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FakeUbus":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def answer(self, req: dict) -> dict:
        self.requests.append(req)
        rid = req.get("id")
        if req.get("method") == "list":
            return {"jsonrpc": "2.0", "id": rid,
                    "result": ["dhcp", "session", *sorted(self.clients)]}
        session, obj, method, args = req["params"]
        if (obj, method) == ("session", "login"):
            if (args.get("username"), args.get("password")) != (self.username, self.password):
                return {"jsonrpc": "2.0", "id": rid, "result": [6]}
            self.logins += 1
            token = secrets.token_hex(16)
            self.sessions.add(token)
            return {"jsonrpc": "2.0", "id": rid,
                    "result": [0, {"ubus_rpc_session": token, "timeout": 300}]}
        if session not in self.sessions:
            return {"jsonrpc": "2.0", "id": rid,
                    "error": {"code": -32002, "message": "Access denied"}}
        if obj in self.clients and method == "get_clients":
            return {"jsonrpc": "2.0", "id": rid, "result": [0, self.clients[obj]]}
        return {"jsonrpc": "2.0", "id": rid, "result": [4]}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                raw = json.dumps(fake.answer(json.loads(body))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *_args):
                pass

        return Handler
