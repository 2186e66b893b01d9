import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import ORDPWire
import SwiftProtobuf

/// A hand-driven client connection for attacks the client library would never make: frames
/// written as given, answers never read, handshakes never finished.
enum RawConnection {
  /// Discards whatever arrives (while reading at all).
  final class Sink: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      context.close(promise: nil)
    }
  }

  /// Writes `frames` once the TLS handshake is done; then, unless `keepReading`, stops reading
  /// the socket for good (a client that never reads its answers).
  final class Writer: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let frames: ByteBuffer
    let keepReading: Bool
    /// Kept once HELLO and `frames` are written.
    let written: EventLoopPromise<Void>

    init(frames: ByteBuffer, keepReading: Bool, written: EventLoopPromise<Void>) {
      self.frames = frames
      self.keepReading = keepReading
      self.written = written
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
      if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
        context.writeAndFlush(NIOAny(frames), promise: written)
        if !keepReading {
          context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
      }
      context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
      written.fail(ChannelError.ioOnClosedChannel)
      context.fireChannelInactive()
    }
  }

  /// Connects over TLS and writes HELLO (granting a huge window) and `frames`; returns once
  /// they are written, so that what the caller writes next follows HELLO.
  static func open(
    port: Int, ca: String, frames: ByteBuffer, keepReading: Bool
  ) async throws -> any Channel {
    var configuration = TLSConfiguration.makeClientConfiguration()
    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
    configuration.applicationProtocols = ["ordp/1"]
    let context = try NIOSSLContext(configuration: configuration)
    var all = ByteBuffer()
    var hello = ConnectionSettings.defaults.hello
    hello.initialWindowSize = UInt32.max
    try all.writeFrame(.hello, streamID: 0, message: hello)
    var rest = frames
    all.writeBuffer(&rest)
    let payload = all
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(
            NIOSSLClientHandler(context: context, serverHostname: "localhost"))
          try channel.pipeline.syncOperations.addHandler(
            Writer(
              frames: payload, keepReading: keepReading, written: channel.eventLoop.makePromise()))
          try channel.pipeline.syncOperations.addHandler(Sink())
        }
      }
      .connect(host: "127.0.0.1", port: port).get()
    let written = try await channel.eventLoop.submit {
      try channel.pipeline.syncOperations.handler(type: Writer.self).written.futureResult
    }.get()
    try await written.get()
    return channel
  }

  /// A TCP connection that sends the first byte of a TLS record and nothing more.
  static func stalledHandshake(port: Int) async throws -> any Channel {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(Sink())
        }
      }
      .connect(host: "127.0.0.1", port: port).get()
    try await channel.writeAndFlush(ByteBuffer(bytes: [0x16, 0x03]))
    return channel
  }

  /// HEADERS for `method` and one request message, with or without END_STREAM.
  static func call(
    _ stream: UInt32, method: String, message: [UInt8], end: Bool, into buffer: inout ByteBuffer
  ) throws {
    var headers = Ordp_Rpc_V1_RequestHeaders()
    headers.method = method
    try buffer.writeFrame(.headers, streamID: stream, message: headers)
    buffer.writeFrame(.message, flags: end ? .endStream : [], streamID: stream, bytes: message)
  }
}
