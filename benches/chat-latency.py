#!/usr/bin/env python3
"""Time from a click in chat to the approved command starting, through the real broker and the
real `gate exec` (release build), over N requests per path: p50 and p99.

    cargo build --release && npm ci --prefix tests/web && python3 benches/chat-latency.py [N]

Paths:
  slack-http    a signed block_actions POST to /v1/slack/interactivity (as Slack sends it)
  slack-socket  the same click as a Socket Mode envelope over the broker's own WebSocket
  teams-page    the Teams card's Action.OpenUrl: the approval page in headless Chromium, signed
                in once at a real OpenID Connect provider (tests/web/provider.mjs); the clock
                starts as Approve is pressed

Slack is a stand-in here (its wire format, on 127.0.0.1). Each request is
`gate exec -- sh -c 'date +%s%N > OUT'` with no terminal; the clock stops at the time the command
itself wrote.
"""
import base64, hashlib, hmac, json, os, queue, socket, subprocess, sys, tempfile, threading, time
import urllib.parse, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

N = int(sys.argv[1]) if len(sys.argv) > 1 else 50
HOST = subprocess.run(["rustc", "--print", "host-tuple"], capture_output=True, text=True, check=True).stdout.strip()
GATE = os.path.abspath(f"target/{HOST}/release/gate")
WEB = os.path.abspath("tests/web")
SECRET = "bench-signing-secret"

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

posted = queue.Queue()  # chat.postMessage bodies; Teams cards

class SlackApi(BaseHTTPRequestHandler):
    ts = 0
    def log_message(self, *args):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        method = self.path.rsplit("/", 1)[-1]
        answer = {"ok": True}
        if method == "chat.postMessage":
            SlackApi.ts += 1
            message = json.loads(body)
            posted.put(message)
            answer = {"ok": True, "channel": message["channel"], "ts": f"1700000000.{SlackApi.ts:06d}"}
        elif method == "apps.connections.open":
            answer = {"ok": True, "url": f"ws://127.0.0.1:{WS_PORT}/link"}
        elif "/workflows/" in self.path:
            card = json.loads(body)
            if card["attachments"][0]["content"]["actions"][0]["title"] == "Open to approve or deny":
                posted.put(card)  # not the follow-up cards
            self.send_response(202); self.end_headers()
            return
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

# A minimal Socket Mode server (RFC 6455, text frames only): hello, then envelopes.
sockets = queue.Queue()
WS_PORT = free_port()

def ws_send(conn, text):
    data = text.encode()
    header = bytes([0x81, len(data)]) if len(data) < 126 else bytes([0x81, 126]) + len(data).to_bytes(2, "big")
    if len(data) >= 65536:
        header = bytes([0x81, 127]) + len(data).to_bytes(8, "big")
    conn.sendall(header + data)

def ws_serve():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", WS_PORT))
    server.listen()
    while True:
        conn, _ = server.accept()
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        key = [l.split(b":", 1)[1].strip() for l in request.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key")][0]
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        ws_send(conn, json.dumps({"type": "hello", "num_connections": 1}))
        threading.Thread(target=lambda c=conn: [c.recv(65536) for _ in iter(int, 1)], daemon=True).start()
        sockets.put(conn)

def click(message, user="U0BOB"):
    button = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["text"]["text"] == "Approve")
    return {"type": "block_actions", "user": {"id": user, "team_id": "T0"}, "team": {"id": "T0"},
            "trigger_id": "1.2.3", "container": {"type": "message", "channel_id": message["channel"], "message_ts": "1"},
            "actions": [{"type": "button", "action_id": button["action_id"], "value": button["value"],
                         "action_ts": str(time.time())}]}

def post_click(url, payload):
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"{url}/v1/slack/interactivity", body, headers={
        "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded"})
    urllib.request.urlopen(request).read()

def start_broker(work, channel, sign_in=""):
    port = free_port()
    with open(f"{work}/broker.toml", "w") as f:
        f.write(f'''[server]
listen = "127.0.0.1:{port}"
[[hosts]]
name = "bench"
token = "env:HOST_TOKEN"
[[people]]
id = "bob"
slack = "U0BOB"
email = "bob@example.com"
[[routes]]
rules = ["*"]
approvers = ["bob"]
{channel}
{sign_in}
''')
    with open(f"{work}/ask.toml", "w") as f:
        f.write('version = 1\n[settings]\ndefault = "ask"\napproval_timeout = 60\n')
    env = dict(os.environ, HOST_TOKEN="bench-host", SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET,
               SLACK_APP_TOKEN="xapp-bench", OIDC_SECRET="bench-oidc")
    broker = subprocess.Popen([GATE, "serve", "--config", f"{work}/broker.toml"], env=env,
                              stderr=subprocess.PIPE, text=True)
    while "listening on" not in broker.stderr.readline():
        pass
    threading.Thread(target=lambda: [None for _ in broker.stderr], daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    key = json.load(urllib.request.urlopen(f"{url}/v1/key"))["key"]
    exec_env = dict(env, GATE_BROKER_URL=url, GATE_BROKER_TOKEN="bench-host", GATE_BROKER_KEY=key,
                    GATE_DB=f"{work}/audit.db", GATE_POLICY=f"{work}/ask.toml")
    return broker, url, exec_env

def measure(name, channel, decide, sign_in="", before=None):
    work = tempfile.mkdtemp()
    broker, url, exec_env = start_broker(work, channel, sign_in)
    context = before(url) if before else None
    latencies = []
    try:
        for _ in range(N):
            out = f"{work}/started"
            child = subprocess.Popen(["setsid", "--wait", GATE, "exec", "--", "sh", "-c", f"date +%s%N > {out}"],
                                     env=exec_env, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            message = posted.get(timeout=20)
            time.sleep(0.05)  # let gate exec settle into its long poll, as a human's delay would
            started = decide(url, message, context)
            assert child.wait(timeout=30) == 0
            latencies.append((int(open(out).read()) - started) / 1e6)
    finally:
        broker.terminate()
        if context and hasattr(context, "terminate"):
            context.terminate()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"{name:13} click to command start over {N}: p50 {pick(0.50):.1f} ms, p99 {pick(0.99):.1f} ms, "
          f"min {latencies[0]:.1f} ms, max {latencies[-1]:.1f} ms", flush=True)

api = ThreadingHTTPServer(("127.0.0.1", 0), SlackApi)
threading.Thread(target=api.serve_forever, daemon=True).start()
API = f"http://127.0.0.1:{api.server_port}/api"
threading.Thread(target=ws_serve, daemon=True).start()
SLACK = f'''[[channels]]
name = "slack"
type = "slack"
bot_token = "env:SLACK_BOT_TOKEN"
signing_secret = "env:SLACK_SIGNING_SECRET"
channel = "C0BENCH"
api_url = "{API}"'''

def http_click(url, message, _):
    started = time.time_ns()
    post_click(url, click(message))
    return started

measure("slack-http", SLACK, http_click)

connection = {}
def socket_click(url, message, _):
    conn = connection.get("conn") or connection.setdefault("conn", sockets.get(timeout=20))
    envelope = {"envelope_id": f"e{time.time_ns()}", "type": "interactive", "accepts_response_payload": False,
                "payload": click(message)}
    started = time.time_ns()
    ws_send(conn, json.dumps(envelope))
    return started

measure("slack-socket", SLACK + '\napp_token = "env:SLACK_APP_TOKEN"', socket_click)

# Teams: the card's OpenUrl, in Chromium, signed in once.
provider_port = free_port()
def teams_setup(url):
    provider = subprocess.Popen(["node", f"{WEB}/provider.mjs", str(provider_port), "gate", "bench-oidc",
                                 f"{url}/auth/callback"], stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    provider.stdout.readline()
    browser = subprocess.Popen(["node", f"{WEB}/approve.mjs", json.dumps({"mode": "decide-each", "login": "bob"})],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    class Both:
        def terminate(self):
            browser.stdin.close(); browser.wait(); provider.terminate()
    both = Both(); both.browser = browser
    return both

def page_click(url, message, context):
    open_url = message["attachments"][0]["content"]["actions"][0]["url"]
    context.browser.stdin.write(open_url + "\n"); context.browser.stdin.flush()
    answer = json.loads(context.browser.stdout.readline())
    assert answer.get("result", "").startswith("approved"), answer
    return int(answer["clicked_ns"])

TEAMS = f'''[[channels]]
name = "teams"
type = "teams"
url = "file:teams-url"'''
SIGN_IN = f'''[sign_in]
issuer = "http://127.0.0.1:{provider_port}"
client_id = "gate"
client_secret = "env:OIDC_SECRET"'''
original_start = start_broker
def start_with_url(work, channel, sign_in=""):
    with open(f"{work}/teams-url", "w") as f:
        f.write(f"http://127.0.0.1:{api.server_port}/workflows/bench?sig=s\n")
    return original_start(work, channel, sign_in)
start_broker = start_with_url
measure("teams-page", TEAMS, page_click, SIGN_IN, teams_setup)
