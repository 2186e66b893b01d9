public import NIOCore

/// Collects the bytes a connection reads and hands out complete frames; what a frame decoder
/// rejects comes back as the connection error to send. I/O-free.
public struct FrameReader: Sendable {
  private var buffer: ByteBuffer?
  private let decoder: FrameDecoder
  /// Payload bytes of a skipped frame still to come (dropped as they arrive).
  private var skipping = 0

  public init(maxFrameSize: UInt32) {
    self.decoder = FrameDecoder(maxFrameSize: maxFrameSize)
  }

  /// Adds bytes just read.
  public mutating func append(_ bytes: ByteBuffer) {
    var bytes = bytes
    if skipping > 0 {
      let dropped = min(skipping, bytes.readableBytes)
      bytes.moveReaderIndex(forwardBy: dropped)
      skipping -= dropped
      if bytes.readableBytes == 0 { return }
    }
    if buffer == nil || buffer!.readableBytes == 0 {
      buffer = bytes
    } else {
      buffer!.writeBuffer(&bytes)
    }
  }

  /// Drops the frame whose header is pending (`pendingHeader`): what of its payload is here
  /// goes now, the rest as it arrives.
  public mutating func skipPendingFrame() {
    guard let header = pendingHeader, var current = buffer else { return }
    let here = current.readableBytes - Frame.headerSize
    current.moveReaderIndex(forwardBy: Frame.headerSize + here)
    skipping = header.length - here
    buffer = current
  }

  /// The next complete frame, or nil until more bytes arrive.
  public mutating func next() throws(ConnectionError) -> Frame? {
    guard buffer != nil else { return nil }
    do {
      return try decoder.nextFrame(from: &buffer!)
    } catch {
      switch error {
      case .frameTooLarge(let length, let limit):
        throw ConnectionError(
          .frameTooLarge, "frame of \(length) bytes exceeds max_frame_size \(limit)")
      }
    }
  }

  /// Whether bytes of a further frame are already here (more of this read is to come).
  public var hasBufferedBytes: Bool { (buffer?.readableBytes ?? 0) > 0 }

  /// The header of the next frame when it is here but its payload is not complete yet: what a
  /// receiver may refuse before reading the payload.
  public var pendingHeader: (type: FrameType, streamID: UInt32, length: Int)? {
    guard let buffer, buffer.readableBytes >= Frame.headerSize else { return nil }
    return buffer.withUnsafeReadableBytes { bytes in
      let length = Int(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
      guard bytes.count < Frame.headerSize + length else { return nil }
      return (
        FrameType(rawValue: bytes[4]),
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 6, as: UInt32.self)), length
      )
    }
  }

  /// Bytes read and not yet handed out as frames.
  public var bufferedBytes: Int { buffer?.readableBytes ?? 0 }

  /// Releases consumed bytes; call after each read has been processed.
  public mutating func compact() {
    if let b = buffer, b.readableBytes == 0 { buffer = nil } else { buffer?.discardReadBytes() }
  }
}
