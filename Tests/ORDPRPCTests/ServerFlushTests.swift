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
    let channel = try EmbeddedServer.channel()
    var bytes = try EmbeddedServer.hello()
    try Self.appendCall(1, text: "alone", to: &bytes)
    EmbeddedServer.read(bytes, on: channel)
    // No channelReadComplete yet: HELLO, MESSAGE and TRAILERS are already written, in one write.
    let frames = try Self.frames(try #require(try channel.readOutbound(as: ByteBuffer.self)))
    #expect(frames.map(\.type) == [.hello, .message, .trailers])
    let answer = try Ordp_Echo_V1_EchoResponse(buffer: frames[1].payload)
    #expect(answer.text == "alone")
    #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    _ = try channel.finish()
  }

  @Test func callsReadTogetherAreAnsweredInOneWrite() throws {
    let channel = try EmbeddedServer.channel()
    try channel.writeInbound(try EmbeddedServer.hello())
    channel.pipeline.fireChannelReadComplete()
    _ = try channel.readOutbound(as: ByteBuffer.self)  // HELLO
    var bytes = ByteBuffer()
    for id in [UInt32(1), 2, 3] { try Self.appendCall(id, text: "call \(id)", to: &bytes) }
    EmbeddedServer.read(bytes, on: channel)
    let write = try #require(try channel.readOutbound(as: ByteBuffer.self))
    let frames = try Self.frames(write)
    #expect(frames.filter { $0.type == .trailers }.map(\.streamID) == [1, 2, 3])
    #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    _ = try channel.finish()
  }

  private static func appendCall(_ id: UInt32, text: String, to b: inout ByteBuffer) throws {
    try EmbeddedServer.appendCall(
      id, method: "/ordp.echo.v1.Echo/Get", request: echoRequest(text), to: &b)
  }

  /// The frames of one write.
  private static func frames(_ buffer: ByteBuffer) throws -> [Frame] {
    var buffer = buffer
    let decoder = FrameDecoder(maxFrameSize: 1 << 20)
    var frames: [Frame] = []
    while let frame = try decoder.nextFrame(from: &buffer) { frames.append(frame) }
    return frames
  }
}
