public import NIOCore
public import SwiftProtobuf

extension ByteBuffer {
  /// Appends a frame header followed by `payload`.
  @inlinable
  public mutating func writeFrame(
    _ type: FrameType, flags: FrameFlags = [], streamID: UInt32, payload: ByteBuffer
  ) {
    var payload = payload
    writeFrameHeader(type, flags: flags, streamID: streamID, length: UInt32(payload.readableBytes))
    writeBuffer(&payload)
  }

  /// Appends a frame whose payload is raw bytes.
  @inlinable
  public mutating func writeFrame(
    _ type: FrameType, flags: FrameFlags = [], streamID: UInt32, bytes: [UInt8]
  ) {
    writeFrameHeader(type, flags: flags, streamID: streamID, length: UInt32(bytes.count))
    writeBytes(bytes)
  }

  /// Appends a frame whose payload is the serialized `message`.
  @inlinable
  public mutating func writeFrame(
    _ type: FrameType, flags: FrameFlags = [], streamID: UInt32, message: some Message
  ) throws {
    let bytes: [UInt8] = try message.serializedBytes()
    writeFrame(type, flags: flags, streamID: streamID, bytes: bytes)
  }

  /// Appends only the 10-byte header (one write into the buffer's storage, room for the
  /// payload reserved with it).
  @inlinable
  public mutating func writeFrameHeader(
    _ type: FrameType, flags: FrameFlags, streamID: UInt32, length: UInt32
  ) {
    reserveCapacity(minimumWritableBytes: Frame.headerSize + Int(length))
    writeWithUnsafeMutableBytes(minimumWritableBytes: Frame.headerSize) { out in
      out.storeBytes(of: length.bigEndian, toByteOffset: 0, as: UInt32.self)
      out.storeBytes(of: type.rawValue, toByteOffset: 4, as: UInt8.self)
      out.storeBytes(of: flags.rawValue, toByteOffset: 5, as: UInt8.self)
      out.storeBytes(of: streamID.bigEndian, toByteOffset: 6, as: UInt32.self)
      return Frame.headerSize
    }
  }
}
