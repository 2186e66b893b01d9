public import NIOCore

/// Why a byte stream could not be split into frames. Both are connection errors.
public enum FrameDecodingError: Error, Hashable, Sendable {
  /// The header announced more payload than this side's `max_frame_size`.
  case frameTooLarge(length: UInt32, limit: UInt32)
}

/// Splits a byte stream into frames. I/O-free: feed it the bytes read so far.
///
/// An oversized frame is rejected as soon as its header is complete, before any payload
/// arrives, so a peer cannot make the receiver buffer more than `maxFrameSize` bytes.
public struct FrameDecoder: Sendable {
  /// The largest payload this side accepts (its advertised `max_frame_size`).
  public var maxFrameSize: UInt32

  public init(maxFrameSize: UInt32) {
    self.maxFrameSize = maxFrameSize
  }

  /// Reads the next complete frame from `buffer`, or returns nil (and consumes nothing) when
  /// the buffer does not yet hold one. The payload shares storage with `buffer`.
  public func nextFrame(from buffer: inout ByteBuffer) throws(FrameDecodingError) -> Frame? {
    guard buffer.readableBytes >= Frame.headerSize else { return nil }
    // The header in one read of the storage (not one bounds-checked read per field).
    let (length, type, flags, streamID) = buffer.withUnsafeReadableBytes { bytes in
      (
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)),
        bytes[4], bytes[5],
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 6, as: UInt32.self))
      )
    }
    if length > maxFrameSize {
      throw .frameTooLarge(length: length, limit: maxFrameSize)
    }
    guard buffer.readableBytes >= Frame.headerSize + Int(length) else { return nil }
    buffer.moveReaderIndex(forwardBy: Frame.headerSize)
    let payload = buffer.readSlice(length: Int(length))!
    return Frame(
      type: FrameType(rawValue: type), flags: FrameFlags(rawValue: flags), streamID: streamID,
      payload: payload)
  }
}
