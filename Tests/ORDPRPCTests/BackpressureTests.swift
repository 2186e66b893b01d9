import NIOCore
import NIOEmbedded
import ORDPEcho
import SwiftProtobuf
import Testing

@testable import ORDPRPC

/// A client that does not read its answers stalls its own calls: while the connection's
/// outbound buffer is over its high-water mark (the channel is not writable), streaming
/// responses wait and the socket is not read.
@Suite struct BackpressureTests {
  /// Counts the reads that reach the socket end of the pipeline.
  final class ReadCounter: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = ByteBuffer
    var reads = 0
    func read(context: ChannelHandlerContext) {
      reads += 1
      context.read()
    }
  }

  @Test func streamingResponsesWaitWhileTheChannelIsNotWritable() throws {
    let channel = try EmbeddedServer.channel()
    var bytes = try EmbeddedServer.hello()
    var request = echoRequest("x")
    request.repeat = 500
    try EmbeddedServer.appendCall(
      1, method: "/ordp.echo.v1.Echo/Expand", request: request, to: &bytes)
    channel.isWritable = false
    channel.pipeline.fireChannelWritabilityChanged()
    EmbeddedServer.read(bytes, on: channel)
    channel.pipeline.fireChannelReadComplete()
    channel.embeddedEventLoop.run()
    let stalled = try EmbeddedServer.writtenFrames(channel)
    // HELLO only: no response message while the client is not reading.
    #expect(stalled.filter { $0.type == .message }.count == 0)
    channel.isWritable = true
    channel.pipeline.fireChannelWritabilityChanged()
    channel.embeddedEventLoop.run()
    let resumed = try EmbeddedServer.writtenFrames(channel)
    #expect(resumed.filter { $0.type == .message }.count == 500)
    #expect(resumed.last?.type == .trailers)
    _ = try channel.finish()
  }

  @Test func theSocketIsNotReadWhileTheChannelIsNotWritable() throws {
    let counter = ReadCounter()
    let channel = try EmbeddedServer.channel(front: [counter])
    channel.read()
    #expect(counter.reads == 1)
    channel.isWritable = false
    channel.pipeline.fireChannelWritabilityChanged()
    channel.read()
    channel.read()
    #expect(counter.reads == 1)
    channel.isWritable = true
    channel.pipeline.fireChannelWritabilityChanged()
    // The held read goes out once the client reads again.
    #expect(counter.reads == 2)
    _ = try channel.finish()
  }

  @Test func aClosedConnectionDropsWhatItStillReceives() throws {
    let channel = try EmbeddedServer.channel()
    let handler = try channel.pipeline.syncOperations.handler(type: ServerConnectionHandler.self)
    // A first frame that is not HELLO: GOAWAY, and the connection lingers until the client
    // closes. Whatever the client goes on sending is dropped, not collected.
    var bytes = ByteBuffer()
    bytes.writeFrame(.ping, streamID: 0, bytes: [0, 0, 0, 0, 0, 0, 0, 0])
    EmbeddedServer.read(bytes, on: channel)
    for _ in 0..<16 {
      EmbeddedServer.read(ByteBuffer(repeating: 0x0a, count: 1 << 20), on: channel)
    }
    #expect(handler.bufferedInboundBytes == 0)
    #expect(try EmbeddedServer.writtenFrames(channel).contains { $0.type == .goAway })
    _ = try? channel.finish()
  }

  @Test func aMessageBeyondItsMethodsLimitIsRefusedAndNeverCollected() throws {
    let limited = MethodDescriptor(service: "test.Limited", method: "Get", kind: .unary)
    let channel = try EmbeddedServer.channel { router in
      router.registerUnary(limited) {
        (
          request: Ordp_Echo_V1_EchoRequest, _: ServerContext
        ) async throws
          -> Ordp_Echo_V1_EchoResponse in Ordp_Echo_V1_EchoResponse.with { $0.text = request.text }
      }
      router.limitRequests([limited.path: 1024])
    }
    let handler = try channel.pipeline.syncOperations.handler(type: ServerConnectionHandler.self)
    let counter = ReadCounter()
    try channel.pipeline.syncOperations.addHandler(counter, position: .first)
    var bytes = try EmbeddedServer.hello()
    var headers = Ordp_Rpc_V1_RequestHeaders()
    headers.method = limited.path
    try bytes.writeFrame(.headers, streamID: 1, message: headers)
    let length = 4 << 20
    bytes.writeFrameHeader(.message, flags: .endStream, streamID: 1, length: UInt32(length))
    EmbeddedServer.read(bytes, on: channel)
    // Refused from its header: the socket is not read for 50 ms.
    channel.read()
    #expect(counter.reads == 0)
    channel.embeddedEventLoop.advanceTime(by: .milliseconds(50))
    #expect(counter.reads == 1)
    // The payload arrives in 64 KiB reads and is dropped as it comes.
    for _ in 0..<(length / 65_536) {
      EmbeddedServer.read(ByteBuffer(repeating: 0x0a, count: 65_536), on: channel)
      #expect(handler.bufferedInboundBytes == 0)
    }
    // The call was refused; the next one on the connection is answered.
    var next = ByteBuffer()
    try EmbeddedServer.appendCall(2, method: limited.path, request: echoRequest("ok"), to: &next)
    EmbeddedServer.read(next, on: channel)
    channel.pipeline.fireChannelReadComplete()
    channel.embeddedEventLoop.run()
    let frames = try EmbeddedServer.writtenFrames(channel)
    let first = try #require(frames.first { $0.streamID == 1 && $0.type == .trailers })
    #expect(RPCStatus(try Ordp_Rpc_V1_Status(buffer: first.payload)).code == .resourceExhausted)
    #expect(frames.contains { $0.streamID == 2 && $0.type == .message })
    _ = try? channel.finish()
  }
}
