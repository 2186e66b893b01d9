public import NIOCore
public import SwiftProtobuf

extension ByteBuffer {
  /// Appends a frame header followed by `payload`.
  public mutating func writeFrame(
    _ type: FrameType, flags: FrameFlags = [], streamID: UInt32, payload: ByteBuffer
  ) {
    var payload = payload
    writeFrameHeader(type, flags: flags, streamID: streamID, length: UInt32(payload.readableBytes))
    writeBuffer(&payload)
  }

  /// Appends a frame whose payload is raw bytes.
  public mutating func writeFrame(
    _ type: FrameType, flags: FrameFlags = [], streamID: UInt32, bytes: some Collection<UInt8>
  ) {
    writeFrameHeader(type, flags: flags, streamID: streamID, length: UInt32(bytes.count))
    writeBytes(bytes)
  }

  /// Appends a frame whose payload is the serialized `message`.
  public mutating func writeFrame(
    _ type: FrameType, flags: FrameFlags = [], streamID: UInt32, message: some Message
  ) throws {
    let bytes: [UInt8] = try message.serializedBytes()
    writeFrame(type, flags: flags, streamID: streamID, bytes: bytes)
  }

  /// Appends only the 10-byte header.
  public mutating func writeFrameHeader(
    _ type: FrameType, flags: FrameFlags, streamID: UInt32, length: UInt32
  ) {
    reserveCapacity(minimumWritableBytes: Frame.headerSize + Int(length))
    writeMultipleIntegers(length, type.rawValue, flags.rawValue, streamID)
  }
}
