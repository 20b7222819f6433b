"""The official MCP Python SDK as a client of `gate mcp`, in one protocol mode.

Usage: client.py MODE GATE WORKDIR MARKER_DIR
  MODE: auto (probes server/discover: the 2026-07-28 envelope) or legacy (the 2025-11-25
  initialize handshake). Prints one JSON object with what it saw; the Rust test asserts on it.
The environment (HOME, GATE_POLICY, GATE_DB) is passed on to gate.
"""

import asyncio
import json
import os
import sys

from mcp import Client, StdioServerParameters


def text(result):
    return "".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def main(mode, gate, workdir, markers):
    params = StdioServerParameters(command=gate, args=["mcp"], env=dict(os.environ), cwd=workdir)
    seen = {}
    async with Client(params, mode=mode) as client:
        seen["protocol_version"] = client.protocol_version
        tools = await client.list_tools()
        seen["tools"] = [
            {
                "name": tool.name,
                "destructive": tool.annotations.destructive_hint if tool.annotations else None,
                "read_only": tool.annotations.read_only_hint if tool.annotations else None,
                "required": tool.input_schema.get("required"),
            }
            for tool in tools.tools
        ]
        name = tools.tools[0].name
        calls = {
            "allowed": "echo out; echo err >&2; exit 3",
            "long": "head -c 100000 /dev/zero | tr '\\0' x",
            "denied": f"touch {markers}/denied",
            "ask": f"mkdir {markers}/asked",
        }
        for key, command in calls.items():
            result = await client.call_tool(name, {"command": command})
            seen[key] = {"is_error": bool(result.is_error), "text": text(result), "structured": result.structured_content}
    print(json.dumps(seen))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
