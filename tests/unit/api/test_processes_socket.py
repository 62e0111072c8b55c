"""The listening socket several API processes share: connections accepted on it send at once.

Two API processes once answered at half the rate of one, each answer about 40 ms late: the
shared socket was made with protocol 0, asyncio then left Nagle's algorithm on for every
accepted connection, and it met the client's delayed acknowledgement.
"""

from __future__ import annotations

import asyncio
import socket

from api.processes import reuseport_socket


def test_connections_accepted_on_the_shared_socket_have_nagle_off() -> None:
    async def accepted_nodelay() -> int:
        listening = reuseport_socket("127.0.0.1", 0)
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn: socket.socket = writer.get_extra_info("socket")
            seen.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connection, sock=listening)
        async with server:
            _, port = listening.getsockname()
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                return await asyncio.wait_for(seen, 5)
            finally:
                writer.close()

    assert asyncio.run(accepted_nodelay()) != 0
