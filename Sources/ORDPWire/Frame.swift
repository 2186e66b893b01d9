public import NIOCore

/// The type byte of an ORDP/1 frame. A struct rather than an enum: unknown types are legal on
/// the wire (receivers ignore them), so every byte value must be representable.
public struct FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public var rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  /// Connection settings, stream 0, first frame of each side.
  public static let hello = FrameType(rawValue: 0x00)
  /// Opens a call (client) or carries response headers (server).
  public static let headers = FrameType(rawValue: 0x01)
  /// One serialized protobuf message.
  public static let message = FrameType(rawValue: 0x02)
  /// Final status of a call, server to client.
  public static let trailers = FrameType(rawValue: 0x03)
  /// Abandons a call, either side.
  public static let cancel = FrameType(rawValue: 0x04)
  /// Keepalive and round-trip probe, stream 0.
  public static let ping = FrameType(rawValue: 0x05)
  /// Connection shutdown or connection error, stream 0.
  public static let goAway = FrameType(rawValue: 0x06)
  /// Grants flow-control credit on a stream.
  public static let windowUpdate = FrameType(rawValue: 0x07)

  public var description: String {
    switch self {
    case .hello: return "HELLO"
    case .headers: return "HEADERS"
    case .message: return "MESSAGE"
    case .trailers: return "TRAILERS"
    case .cancel: return "CANCEL"
    case .ping: return "PING"
    case .goAway: return "GOAWAY"
    case .windowUpdate: return "WINDOW_UPDATE"
    default: return "UNKNOWN(0x\(String(rawValue, radix: 16)))"
    }
  }
}

/// Frame flags. Bit 0x01 is END_STREAM on client HEADERS/MESSAGE and ACK on PING.
public struct FrameFlags: OptionSet, Hashable, Sendable {
  public var rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  /// The client sends nothing more on this call (HEADERS and MESSAGE).
  public static let endStream = FrameFlags(rawValue: 0x01)
  /// This PING is a reply (PING only).
  public static let ack = FrameFlags(rawValue: 0x01)
}

/// One ORDP/1 frame: a 10-byte header and a payload of `length` bytes.
public struct Frame: Hashable, Sendable {
  /// Size of the fixed header: length u32, type u8, flags u8, stream id u32.
  public static let headerSize = 10

  public var type: FrameType
  public var flags: FrameFlags
  public var streamID: UInt32
  public var payload: ByteBuffer

  public init(type: FrameType, flags: FrameFlags = [], streamID: UInt32, payload: ByteBuffer) {
    self.type = type
    self.flags = flags
    self.streamID = streamID
    self.payload = payload
  }
}
