import Logging
import NIOCore
import NIOEmbedded
import ORDPEcho
import SwiftProtobuf
import Testing

@testable import ORDPRPC

/// When the server's answers leave: a lone call's answer inside the read that completed it
/// (before the read ends), answers to calls that arrived together in one write.
@Suite struct ServerFlushTests {
  @Test func aLoneUnaryAnswerLeavesInsideTheRead() throws {
    let channel = try Self.serverChannel()
    var bytes = try Self.hello()
    try Self.appendCall(1, text: "alone", to: &bytes)
    Self.read(bytes, on: channel)
    // No channelReadComplete yet: HELLO, MESSAGE and TRAILERS are already written, in one write.
    let frames = try Self.frames(try #require(try channel.readOutbound(as: ByteBuffer.self)))
    #expect(frames.map(\.type) == [.hello, .message, .trailers])
    let answer = try Ordp_Echo_V1_EchoResponse(buffer: frames[1].payload)
    #expect(answer.text == "alone")
    #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    _ = try channel.finish()
  }

  @Test func callsReadTogetherAreAnsweredInOneWrite() throws {
    let channel = try Self.serverChannel()
    try channel.writeInbound(try Self.hello())
    channel.pipeline.fireChannelReadComplete()
    _ = try channel.readOutbound(as: ByteBuffer.self)  // HELLO
    var bytes = ByteBuffer()
    for id in [UInt32(1), 2, 3] { try Self.appendCall(id, text: "call \(id)", to: &bytes) }
    Self.read(bytes, on: channel)
    let write = try #require(try channel.readOutbound(as: ByteBuffer.self))
    let frames = try Self.frames(write)
    #expect(frames.filter { $0.type == .trailers }.map(\.streamID) == [1, 2, 3])
    #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    _ = try channel.finish()
  }

  private static func serverChannel() throws -> EmbeddedChannel {
    var router = RPCRouter()
    EchoService().registerMethods(with: &router)
    let loop = EmbeddedEventLoop()
    let handler = ServerConnectionHandler(
      router: router, interceptors: [],
      configuration: ServerConfiguration(host: "127.0.0.1", port: 0, security: .plaintext),
      eventLoop: loop, tls: false, logger: Logger(label: "test"))
    let channel = EmbeddedChannel(handler: handler, loop: loop)
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    return channel
  }

  /// Delivers `bytes` as one read, without the read-complete event that would flush anyway.
  private static func read(_ bytes: ByteBuffer, on channel: EmbeddedChannel) {
    channel.pipeline.syncOperations.fireChannelRead(NIOAny(bytes))
  }

  private static func hello() throws -> ByteBuffer {
    var b = ByteBuffer()
    try b.writeFrame(.hello, streamID: 0, message: ConnectionSettings.defaults.hello)
    return b
  }

  private static func appendCall(_ id: UInt32, text: String, to b: inout ByteBuffer) throws {
    var headers = Ordp_Rpc_V1_RequestHeaders()
    headers.method = "/ordp.echo.v1.Echo/Get"
    try b.writeFrame(.headers, streamID: id, message: headers)
    try b.writeFrame(.message, flags: .endStream, streamID: id, message: echoRequest(text))
  }

  private static func frames(_ buffer: ByteBuffer) throws -> [Frame] {
    var buffer = buffer
    let decoder = FrameDecoder(maxFrameSize: 1 << 20)
    var frames: [Frame] = []
    while let frame = try decoder.nextFrame(from: &buffer) { frames.append(frame) }
    return frames
  }
}
