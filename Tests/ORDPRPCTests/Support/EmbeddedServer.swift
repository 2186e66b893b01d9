import Logging
import NIOCore
import NIOEmbedded
import ORDPEcho
import SwiftProtobuf

@testable import ORDPRPC

/// A server connection handler in an `EmbeddedChannel`, fed frames as bytes: for tests of what
/// the handler does without sockets or time passing.
enum EmbeddedServer {
  /// A connected channel whose server handler serves echo plus `register`'s methods;
  /// `front` handlers sit before it (towards the socket).
  static func channel(
    front: [any ChannelHandler] = [], logger: Logger = Logger(label: "test"),
    register: (inout RPCRouter) -> Void = { _ in }
  ) throws -> EmbeddedChannel {
    var router = RPCRouter()
    EchoService().registerMethods(with: &router)
    register(&router)
    let loop = EmbeddedEventLoop()
    let handler = ServerConnectionHandler(
      router: router, interceptors: [],
      configuration: ServerConfiguration(host: "127.0.0.1", port: 0, security: .plaintext),
      eventLoop: loop, tls: false, logger: logger)
    let channel = EmbeddedChannel(loop: loop)
    try channel.pipeline.syncOperations.addHandlers(front + [handler])
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    return channel
  }

  /// Delivers `bytes` as one read, without the read-complete event that would flush anyway.
  static func read(_ bytes: ByteBuffer, on channel: EmbeddedChannel) {
    channel.pipeline.syncOperations.fireChannelRead(NIOAny(bytes))
  }

  static func hello() throws -> ByteBuffer {
    var b = ByteBuffer()
    try b.writeFrame(.hello, streamID: 0, message: ConnectionSettings.defaults.hello)
    return b
  }

  /// HEADERS and one MESSAGE with END_STREAM.
  static func appendCall(
    _ id: UInt32, method: String, request: some SwiftProtobuf.Message, to b: inout ByteBuffer
  ) throws {
    var headers = Ordp_Rpc_V1_RequestHeaders()
    headers.method = method
    try b.writeFrame(.headers, streamID: id, message: headers)
    try b.writeFrame(.message, flags: .endStream, streamID: id, message: request)
  }

  /// Every frame the server has written so far.
  static func writtenFrames(_ channel: EmbeddedChannel) throws -> [Frame] {
    var frames: [Frame] = []
    let decoder = FrameDecoder(maxFrameSize: 1 << 24)
    while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
      while let frame = try decoder.nextFrame(from: &buffer) { frames.append(frame) }
    }
    return frames
  }
}
