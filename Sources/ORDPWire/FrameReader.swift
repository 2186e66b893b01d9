public import NIOCore

/// Collects the bytes a connection reads and hands out complete frames; what a frame decoder
/// rejects comes back as the connection error to send. I/O-free.
public struct FrameReader: Sendable {
  private var buffer: ByteBuffer?
  private let decoder: FrameDecoder

  public init(maxFrameSize: UInt32) {
    self.decoder = FrameDecoder(maxFrameSize: maxFrameSize)
  }

  /// Adds bytes just read.
  public mutating func append(_ bytes: ByteBuffer) {
    if buffer == nil || buffer!.readableBytes == 0 {
      buffer = bytes
    } else {
      var bytes = bytes
      buffer!.writeBuffer(&bytes)
    }
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

  /// Releases consumed bytes; call after each read has been processed.
  public mutating func compact() {
    if let b = buffer, b.readableBytes == 0 { buffer = nil } else { buffer?.discardReadBytes() }
  }
}
