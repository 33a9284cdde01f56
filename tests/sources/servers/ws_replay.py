"""A local websocket server replaying liquidation messages, one script per connection.

Connection *k* checks the client's subscription frame(s), acknowledges them in
the exchange's format, sends ``scripts[k].messages`` and then either drops the
TCP connection without a close frame (``drop=True``: a network cut mid-stream)
or stays open until the client leaves. Application pings (``ping`` or
``{"op":"ping"}``) are answered and counted.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed


@dataclass
class Script:
    """What one connection receives."""

    messages: list[str]
    drop: bool = False


@dataclass
class WsReplay:
    """The server state a test inspects."""

    scripts: list[Script]
    check_subscribe: Callable[[str], str | None]
    """Returns the ack frame for a valid subscription, or None to reject it (the server then closes 1008)."""
    subscriptions: list[str] = field(default_factory=list)
    pings: int = 0
    connections: int = 0
    server: Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = next(iter(self.server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}"

    async def start(self) -> WsReplay:
        self.server = await serve(self._handle, "127.0.0.1", 0)
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, ws: ServerConnection) -> None:
        index = self.connections
        self.connections += 1
        script = self.scripts[min(index, len(self.scripts) - 1)]
        try:
            frame = str(await ws.recv())
            self.subscriptions.append(frame)
            ack = self.check_subscribe(frame)
            if ack is None:
                await ws.close(1008, "bad subscription")
                return
            await ws.send(ack)
            for message in script.messages:
                await ws.send(message)
                await asyncio.sleep(0)
            if script.drop:
                while ws.transport.get_write_buffer_size():  # let the sent frames reach the socket first
                    await asyncio.sleep(0.001)
                ws.transport.abort()  # no close frame: the client sees a dropped connection
                return
            async for incoming in ws:
                if incoming in ("ping", '{"op": "ping"}'):
                    self.pings += 1
                    await ws.send("pong" if incoming == "ping" else json.dumps({"op": "pong", "success": True}))
        except ConnectionClosed:
            return
