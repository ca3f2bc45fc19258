"""Fixtures for serialprobe tests: persona servers on real ptys."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from serialprobe.sim.server import PersonaServer


@pytest.fixture
def persona_server() -> Iterator[Callable[[str], PersonaServer]]:
    """Start persona servers by name; every server is stopped at teardown."""
    servers: list[PersonaServer] = []

    def start(name: str) -> PersonaServer:
        server = PersonaServer(name).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class FakePort:
    """Records writes; each write queues the bytes ``respond(written)`` returns for reading."""

    def __init__(self, respond: Callable[[bytes], bytes] | None = None, *, preload: bytes = b"") -> None:
        self.written: list[bytes] = []
        self._rx = bytearray(preload)
        self.respond = respond
        self.baudrate = 115200
        self.closed = False

    @property
    def in_waiting(self) -> int:
        return len(self._rx)

    def write(self, data: bytes) -> int:
        self.written.append(bytes(data))
        if self.respond is not None:
            self._rx += self.respond(bytes(data))
        return len(data)

    def read(self, size: int = 1) -> bytes:
        out = bytes(self._rx[:size])
        del self._rx[:size]
        return out

    def feed(self, data: bytes) -> None:
        self._rx += data

    def reset_input_buffer(self) -> None:
        self._rx.clear()

    def close(self) -> None:
        self.closed = True


@pytest.fixture(scope="session")
def fake_port_cls() -> type[FakePort]:
    """The scripted port class (session scope so hypothesis tests can use it)."""
    return FakePort
