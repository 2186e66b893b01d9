import NIOCore
import ORDPWire
import SwiftProtobuf

/// Builds frames for tests.
enum F {
  static func frame(
    _ type: FrameType, _ stream: UInt32 = 0, flags: FrameFlags = [], _ message: (any Message)? = nil
  ) -> Frame {
    var payload = ByteBuffer()
    if let message { payload.writeBytes(try! message.serializedBytes() as [UInt8]) }
    return Frame(type: type, flags: flags, streamID: stream, payload: payload)
  }

  static func raw(
    _ type: FrameType, _ stream: UInt32 = 0, flags: FrameFlags = [], bytes: [UInt8]
  ) -> Frame {
    Frame(type: type, flags: flags, streamID: stream, payload: ByteBuffer(bytes: bytes))
  }

  static func hello(version: UInt32 = 1) -> Frame {
    var h = Ordp_Rpc_V1_Hello()
    h.version = version
    return frame(.hello, 0, h)
  }

  static func headers(_ stream: UInt32, method: String = "/x.Y/Z", end: Bool = false) -> Frame {
    var h = Ordp_Rpc_V1_RequestHeaders()
    h.method = method
    return frame(.headers, stream, flags: end ? .endStream : [], h)
  }

  static func message(_ stream: UInt32, size: Int = 3, end: Bool = false) -> Frame {
    raw(.message, stream, flags: end ? .endStream : [], bytes: Array(repeating: 0, count: size))
  }

  static func windowUpdate(_ stream: UInt32, _ increment: UInt32) -> Frame {
    var b = ByteBuffer()
    b.writeInteger(increment)
    return Frame(type: .windowUpdate, streamID: stream, payload: b)
  }

  static func encode(_ frames: [Frame]) -> ByteBuffer {
    var b = ByteBuffer()
    for f in frames {
      b.writeFrame(f.type, flags: f.flags, streamID: f.streamID, payload: f.payload)
    }
    return b
  }
}
