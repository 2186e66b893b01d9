import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import ORDPTestSupport
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

    init(frames: ByteBuffer, keepReading: Bool) {
      self.frames = frames
      self.keepReading = keepReading
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
      if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
        context.writeAndFlush(NIOAny(frames), promise: nil)
        if !keepReading {
          context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
      }
      context.fireUserInboundEventTriggered(event)
    }
  }

  /// Connects over TLS and writes HELLO (granting a huge window) and `frames`.
  static func open(
    port: Int, frames: ByteBuffer, keepReading: Bool
  ) async throws -> any Channel {
    var configuration = TLSConfiguration.makeClientConfiguration()
    configuration.trustRoots = .certificates(
      try NIOSSLCertificate.fromPEMFile(IdentityPKI.path("ca.pem")))
    configuration.applicationProtocols = ["ordp/1"]
    let context = try NIOSSLContext(configuration: configuration)
    var all = ByteBuffer()
    var hello = ConnectionSettings.defaults.hello
    hello.initialWindowSize = UInt32.max
    try all.writeFrame(.hello, streamID: 0, message: hello)
    var rest = frames
    all.writeBuffer(&rest)
    let payload = all
    return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(
            NIOSSLClientHandler(context: context, serverHostname: "localhost"))
          try channel.pipeline.syncOperations.addHandler(
            Writer(frames: payload, keepReading: keepReading))
          try channel.pipeline.syncOperations.addHandler(Sink())
        }
      }
      .connect(host: "127.0.0.1", port: port).get()
  }

  /// A TCP connection that sends the first byte of a TLS record and nothing more.
  static func stalledHandshake(port: Int) async throws -> any Channel {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Sink()) }
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
