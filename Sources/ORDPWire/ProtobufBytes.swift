public import NIOCore
public import SwiftProtobuf

/// Lets swift-protobuf read a message straight out of a `ByteBuffer` without copying.
public struct ByteBufferBytes: SwiftProtobufContiguousBytes {
  public var buffer: ByteBuffer

  @inlinable
  public init(_ buffer: ByteBuffer) { self.buffer = buffer }

  public init(repeating: UInt8, count: Int) {
    self.buffer = ByteBuffer(repeating: repeating, count: count)
  }

  public init<S: Sequence>(_ sequence: S) where S.Element == UInt8 {
    self.buffer = ByteBuffer(bytes: Array(sequence))
  }

  @inlinable
  public var count: Int { buffer.readableBytes }

  @inlinable
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try buffer.withUnsafeReadableBytes(body)
  }

  public mutating func withUnsafeMutableBytes<R>(
    _ body: (UnsafeMutableRawBufferPointer) throws -> R
  ) rethrows -> R {
    try buffer.withUnsafeMutableReadableBytes(body)
  }
}

extension Message {
  /// Decodes a message from the readable bytes of `buffer`.
  @inlinable
  public init(buffer: ByteBuffer) throws {
    try self.init(serializedBytes: ByteBufferBytes(buffer))
  }
}
