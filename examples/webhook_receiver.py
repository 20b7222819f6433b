#!/usr/bin/env python3
"""gate broker webhook receiver: verifies X-Gate-Signature, approves as $GATE_APPROVE_AS (stdlib only)."""
import hashlib, hmac, json, os, time, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ["GATE_WEBHOOK_SECRET"].encode()  # the channel's `secret`
TOKEN = os.environ["GATE_WEBHOOK_TOKEN"]              # the channel's `token`
APPROVER = os.environ.get("GATE_APPROVE_AS", "bob")   # a [[people]] id

def verified(header, body):
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    t = fields.get("t", "")
    if not t.isdigit() or abs(time.time() - int(t)) > 300:  # older or newer than 5 minutes
        return False
    expected = hmac.new(SECRET, t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))

class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ok = verified(self.headers.get("X-Gate-Signature", ""), body)
        self.send_response(204 if ok else 401); self.end_headers()
        event = json.loads(body) if ok else {}
        if event.get("type") == "gate.approval.requested":  # your policy goes here
            answer = {"decision": "approve", "approver": APPROVER, "comment": "approved by the receiver"}
            headers = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}
            request = urllib.request.Request(event["decide_url"], json.dumps(answer).encode(), headers)
            print(urllib.request.urlopen(request).read().decode(), flush=True)

HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "9000"))), Hook).serve_forever()
