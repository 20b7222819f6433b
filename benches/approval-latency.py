#!/usr/bin/env python3
"""Time from an approval to the approved command starting, through the real broker and the real
`gate exec` (release build), over N requests one after another: p50 and p99.

    cargo build --release && python3 benches/approval-latency.py [N]

Each request is `gate exec -- sh -c 'date +%s%N > OUT'` with no terminal, so the broker alone is
asked; the clock starts just before the approver's decision is POSTed and stops at the time the
command itself wrote.
"""
import json, os, socket, subprocess, sys, tempfile, time, urllib.request

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100
HOST = subprocess.run(["rustc", "--print", "host-tuple"], capture_output=True, text=True, check=True).stdout.strip()
GATE = os.path.abspath(f"target/{HOST}/release/gate")

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def call(method, url, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, method=method, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)

work = tempfile.mkdtemp()
port = free_port()
with open(f"{work}/broker.toml", "w") as f:
    f.write(f'''[server]
listen = "127.0.0.1:{port}"
[[hosts]]
name = "bench"
token = "env:HOST_TOKEN"
[[people]]
id = "bob"
token = "env:BOB_TOKEN"
[[routes]]
rules = ["*"]
approvers = ["bob"]
''')
with open(f"{work}/ask.toml", "w") as f:
    f.write('version = 1\n[settings]\ndefault = "ask"\napproval_timeout = 60\n')
env = dict(os.environ, HOST_TOKEN="bench-host", BOB_TOKEN="bench-bob")
broker = subprocess.Popen([GATE, "serve", "--config", f"{work}/broker.toml"], env=env,
                          stderr=subprocess.PIPE, text=True)
while "listening on" not in broker.stderr.readline():
    pass
url = f"http://127.0.0.1:{port}"
key = call("GET", f"{url}/v1/key", "")["key"]
exec_env = dict(env, GATE_BROKER_URL=url, GATE_BROKER_TOKEN="bench-host", GATE_BROKER_KEY=key,
                GATE_DB=f"{work}/audit.db", GATE_POLICY=f"{work}/ask.toml")
latencies = []
try:
    for n in range(N):
        out = f"{work}/started"
        child = subprocess.Popen(["setsid", "--wait", GATE, "exec", "--", "sh", "-c", f"date +%s%N > {out}"],
                                 env=exec_env, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not (pending := call("GET", f"{url}/v1/requests?state=pending", "bench-bob")["requests"]):
            time.sleep(0.005)
        time.sleep(0.05)  # let gate exec settle into its long poll, as a human's delay would
        started = time.time_ns()
        call("POST", f"{url}/v1/requests/{pending[0]['id']}/decisions", "bench-bob", {"decision": "approve"})
        assert child.wait() == 0
        latencies.append((int(open(out).read()) - started) / 1e6)
finally:
    broker.terminate()
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
print(f"approval to command start over {N} requests: p50 {pick(0.50):.1f} ms, p99 {pick(0.99):.1f} ms, "
      f"min {latencies[0]:.1f} ms, max {latencies[-1]:.1f} ms")
