import Logging
import NIOCore
import SwiftProtobuf

/// The frames a connection handler has written and not yet flushed, and when they leave.
///
/// While the handler processes a read, nothing is flushed: everything answered during that
/// read leaves in one write at `channelReadComplete`. Outside a read, a flush is scheduled on
/// the event loop, so that frames written by several calls in the same loop tick are coalesced;
/// with one call alone on the connection, `flushIfAlone` sends at once (lowest latency).
/// Touched only on the connection's event loop.
/// Hot state is `@exclusivity(unchecked)` for the reason given at `ServerConnectionHandler`.
final class OutboundFrames {
  @exclusivity(unchecked) private var buffer = ByteBuffer()
  @exclusivity(unchecked) private var flushScheduled = false
  /// Set while `writeTogether` runs: its frames decide about flushing once, at the end.
  @exclusivity(unchecked) private var holding = false
  private var context: ChannelHandlerContext?
  private let logger: Logger
  /// Buffers up to this size are reused after a flush.
  static let retainedCapacity = 64 * 1024
  /// Set by the handler while it processes a read.
  @exclusivity(unchecked) var inRead = false

  init(logger: Logger) { self.logger = logger }

  /// Starts writing into `context` (from `handlerAdded`).
  func attach(_ context: ChannelHandlerContext) {
    self.context = context
    buffer = context.channel.allocator.buffer(capacity: 4096)
  }

  /// Stops writing (the channel went inactive).
  func detach() { context = nil }

  func write(
    _ type: FrameType, flags: FrameFlags = [], streamID: UInt32,
    message: some SwiftProtobuf.Message
  ) {
    do {
      try buffer.writeFrame(type, flags: flags, streamID: streamID, message: message)
    } catch {
      logger.error("cannot serialize \(type) frame: \(error)")
    }
    scheduleFlush()
  }

  func write(_ type: FrameType, flags: FrameFlags = [], streamID: UInt32, bytes: [UInt8]) {
    buffer.writeFrame(type, flags: flags, streamID: streamID, bytes: bytes)
    scheduleFlush()
  }

  func write(_ type: FrameType, flags: FrameFlags = [], streamID: UInt32, payload: ByteBuffer) {
    buffer.writeFrame(type, flags: flags, streamID: streamID, payload: payload)
    scheduleFlush()
  }

  /// WINDOW_UPDATE granting `increment` bytes on `streamID`.
  func writeWindowUpdate(streamID: UInt32, increment: UInt32) {
    buffer.writeFrameHeader(.windowUpdate, flags: [], streamID: streamID, length: 4)
    buffer.writeInteger(increment)
    scheduleFlush()
  }

  /// Writes the frames `body` writes without scheduling a flush for each; follow it with
  /// `flushIfAlone` (a unary call's frames then cost no scheduled task when they leave at once).
  func writeTogether(_ body: () -> Void) {
    holding = true
    body()
    holding = false
  }

  /// Flushes now when no other call of the connection could add to this write; otherwise the
  /// pending frames leave with the read's flush or a scheduled one.
  func flushIfAlone(openCalls: Int) {
    if openCalls <= 1, !inRead { flushNow() } else { scheduleFlush() }
  }

  private func scheduleFlush() {
    guard !inRead, !holding, !flushScheduled, let context else { return }
    flushScheduled = true
    context.eventLoop.assumeIsolated().execute { [self] in
      flushScheduled = false
      flushNow()
    }
  }

  /// Writes and flushes everything pending.
  func flushNow() {
    guard buffer.readableBytes > 0, let context else { return }
    context.writeAndFlush(NIOAny(buffer), promise: nil)
    if buffer.capacity > Self.retainedCapacity {
      // After a burst, do not keep a large buffer per idle connection.
      buffer = context.channel.allocator.buffer(capacity: 4096)
    } else {
      // The pipeline has usually let go of the bytes by now (TLS encrypted them, or the
      // socket took them), so clearing keeps the storage without an allocation; if not,
      // `clear` gives this buffer fresh storage and leaves the written bytes alone.
      buffer.clear()
    }
  }
}
