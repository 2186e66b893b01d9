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
}
