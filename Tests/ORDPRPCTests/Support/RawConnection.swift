import NIOCore
import NIOPosix
import NIOSSL
import ORDPRPC
import SwiftProtobuf
import Synchronization

/// A hand-driven connection for feeding a server bytes and frames it should refuse.
final class RawConnection: Sendable {
  private final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let state = Mutex((buffer: ByteBuffer(), closed: false))
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var bytes = unwrapInboundIn(data)
      state.withLock { _ = $0.buffer.writeBuffer(&bytes) }
    }
    func channelInactive(context: ChannelHandlerContext) {
      state.withLock { $0.closed = true }
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      state.withLock { $0.closed = true }
      context.close(promise: nil)
    }
  }

  let channel: any Channel
  private let collector: Collector

  private init(channel: any Channel, collector: Collector) {
    self.channel = channel
    self.collector = collector
  }

  /// Connects; with `alpn` set, over TLS offering exactly those protocols ([] offers none).
  static func connect(
    port: Int, tls alpn: [String]? = nil, hello: Bool = true
  ) async throws -> RawConnection {
    let collector = Collector()
    var sslContext: NIOSSLContext? = nil
    if let alpn {
      var config = TLSConfiguration.makeClientConfiguration()
      config.trustRoots = .certificates([TestPKI.cert(TestPKI.shared.caPEM)])
      config.certificateVerification = .noHostnameVerification
      config.applicationProtocols = alpn
      sslContext = try NIOSSLContext(configuration: config)
    }
    let context = sslContext
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          if let context {
            try channel.pipeline.syncOperations.addHandler(
              NIOSSLClientHandler(context: context, serverHostname: nil))
          }
          try channel.pipeline.syncOperations.addHandler(collector)
        }
      }
      .connect(host: "127.0.0.1", port: port).get()
    let c = RawConnection(channel: channel, collector: collector)
    if hello {
      var h = Ordp_Rpc_V1_Hello()
      h.version = 1
      try await c.send(.hello, message: h)
    }
    return c
  }

  func send(bytes: [UInt8]) async throws {
    try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
  }

  func send(
    _ type: FrameType, flags: FrameFlags = [], stream: UInt32 = 0,
    message: some SwiftProtobufMessage
  ) async throws {
    var b = ByteBuffer()
    try b.writeFrame(type, flags: flags, streamID: stream, message: message)
    try await channel.writeAndFlush(b)
  }

  func send(
    _ type: FrameType, flags: FrameFlags = [], stream: UInt32 = 0, bytes: [UInt8]
  ) async throws {
    var b = ByteBuffer()
    b.writeFrame(type, flags: flags, streamID: stream, bytes: bytes)
    try await channel.writeAndFlush(b)
  }

  /// Opens a call: HEADERS, then (optionally) one MESSAGE with END_STREAM.
  func call(
    _ stream: UInt32, method: String, request: [UInt8]?, timeoutMicros: UInt64 = 0
  ) async throws {
    var h = Ordp_Rpc_V1_RequestHeaders()
    h.method = method
    h.timeoutMicros = timeoutMicros
    var b = ByteBuffer()
    try b.writeFrame(
      .headers, flags: request == nil ? .endStream : [], streamID: stream, message: h)
    if let request { b.writeFrame(.message, flags: .endStream, streamID: stream, bytes: request) }
    try await channel.writeAndFlush(b)
  }

  /// The next frame from the server, skipping HELLO and PING ACKs unless asked for; nil when
  /// the connection closed (or nothing came within `timeout`).
  func nextFrame(timeout: Duration = .seconds(5), skipHello: Bool = true) async throws -> Frame? {
    let decoder = FrameDecoder(maxFrameSize: 16_777_216)
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      let (frame, closed): (Frame?, Bool) = try collector.state.withLock { s in
        (try decoder.nextFrame(from: &s.buffer), s.closed)
      }
      if let frame {
        if skipHello && frame.type == .hello { continue }
        return frame
      }
      if closed { return nil }
      try await Task.sleep(for: .milliseconds(5))
    }
    return nil
  }

  /// The next frame on `stream` (frames of other streams are dropped).
  func nextFrame(on stream: UInt32, timeout: Duration = .seconds(5)) async throws -> Frame? {
    while let f = try await nextFrame(timeout: timeout) {
      if f.streamID == stream { return f }
    }
    return nil
  }

  /// Whether the server closed the connection within `timeout`.
  func closed(within timeout: Duration) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if collector.state.withLock({ $0.closed }) { return true }
      try await Task.sleep(for: .milliseconds(5))
    }
    return false
  }

  /// Reads frames until a GOAWAY; returns it.
  func goAway(timeout: Duration = .seconds(5)) async throws -> Ordp_Rpc_V1_GoAway? {
    while let f = try await nextFrame(timeout: timeout) {
      if f.type == .goAway { return try Ordp_Rpc_V1_GoAway(buffer: f.payload) }
    }
    return nil
  }

  func close() { channel.close(promise: nil) }
}

typealias SwiftProtobufMessage = SwiftProtobuf.Message
