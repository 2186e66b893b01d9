"""A minimal ORDP/1 client (docs/WIRE.md) with only Python's ssl and the protobuf package.

Frames: a 10-byte header (u32 length, u8 type, u8 flags, u32 stream id, big-endian) and a
payload. A call is HEADERS (RequestHeaders) and MESSAGE+END_STREAM from the client; the server
answers with optional HEADERS, MESSAGEs and TRAILERS (Status). One call at a time here, which is
all a script needs; streams are numbered 1, 2, 3...
"""

import socket
import ssl
import struct

from ordp.rpc.v1 import wire_pb2

HELLO, HEADERS, MESSAGE, TRAILERS, CANCEL, PING, GOAWAY, WINDOW_UPDATE = range(8)
END_STREAM = ACK = 0x01


class RPCError(Exception):
    """A call that ended with a status other than OK."""

    NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
             "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
             "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
             "UNAUTHENTICATED"]

    def __init__(self, code, message):
        name = self.NAMES[code] if code < len(self.NAMES) else f"CODE({code})"
        super().__init__(f"{name}: {message}")
        self.code = code


class Connection:
    """One TLS connection to an ORDP/1 server (the gateway)."""

    def __init__(self, host, port, ca_file, server_name="localhost", timeout=10):
        context = ssl.create_default_context(cafile=ca_file)
        context.set_alpn_protocols(["ordp/1"])
        raw = socket.create_connection((host, port), timeout=timeout)
        self.sock = context.wrap_socket(raw, server_hostname=server_name)
        self.buffer = b""
        self.next_stream = 1
        self.max_frame_size = 4 << 20
        hello = wire_pb2.Hello(version=1, agent="ordp-python-example/0.1")
        self._send(HELLO, 0, 0, hello.SerializeToString())

    def close(self):
        self.sock.close()

    def _send(self, kind, flags, stream, payload):
        self.sock.sendall(struct.pack(">IBBI", len(payload), kind, flags, stream) + payload)

    def _read_frame(self):
        while True:
            if len(self.buffer) >= 10:
                length, kind, flags, stream = struct.unpack(">IBBI", self.buffer[:10])
                if length > self.max_frame_size:
                    raise ConnectionError(f"frame of {length} bytes is over the limit")
                if len(self.buffer) >= 10 + length:
                    payload = self.buffer[10:10 + length]
                    self.buffer = self.buffer[10 + length:]
                    return kind, flags, stream, payload
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self.buffer += data

    def call(self, method, request, response_type, metadata=None, timeout_seconds=10):
        """Yields the responses of `method` (unary or server-streaming) to `request`."""
        stream = self.next_stream
        self.next_stream += 1
        headers = wire_pb2.RequestHeaders(method=method, timeout_micros=int(timeout_seconds * 1e6))
        for key, value in (metadata or {}).items():
            headers.metadata.add(key=key, text=value)
        # Both request frames in one write.
        payload = request.SerializeToString()
        header_bytes = headers.SerializeToString()
        self.sock.sendall(
            struct.pack(">IBBI", len(header_bytes), HEADERS, 0, stream) + header_bytes
            + struct.pack(">IBBI", len(payload), MESSAGE, END_STREAM, stream) + payload)
        while True:
            kind, flags, frame_stream, payload = self._read_frame()
            if kind == HELLO:
                hello = wire_pb2.Hello.FromString(payload)
                if hello.max_frame_size:
                    self.max_frame_size = hello.max_frame_size
            elif kind == PING and not flags & ACK:
                self._send(PING, ACK, 0, payload)
            elif kind == GOAWAY:
                goaway = wire_pb2.GoAway.FromString(payload)
                if goaway.last_stream_id < stream:
                    raise RPCError(14, f"the server is going away: {goaway.message}")
            elif frame_stream != stream:
                continue  # another (ended) stream's frame, or an unknown type
            elif kind == MESSAGE:
                # Give the window back as each message is consumed (flow control, section 5).
                if payload:
                    self._send(WINDOW_UPDATE, 0, stream, struct.pack(">I", len(payload)))
                yield response_type.FromString(payload)
            elif kind in (TRAILERS, CANCEL):
                status = wire_pb2.Status.FromString(payload)
                if status.code != 0:
                    raise RPCError(status.code, status.message)
                return

    def unary(self, method, request, response_type, metadata=None):
        responses = list(self.call(method, request, response_type, metadata))
        if len(responses) != 1:
            raise RPCError(13, f"{method} answered {len(responses)} messages")
        return responses[0]
