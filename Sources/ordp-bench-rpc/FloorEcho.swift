import NIOCore
import NIOPosix
import NIOSSL

/// The floor: a bare SwiftNIO echo of u32-length-prefixed messages over TLS. The server echoes
/// on its event loop; the client writes one message per call and completes the call's promise
/// when its echo arrives (FIFO), awaited from a Swift task.
enum FloorEcho {
  struct Server {
    let channel: any Channel
    var port: Int { channel.localAddress!.port! }
    func close() async throws { try await channel.close() }
  }

  static func start(
    group: any EventLoopGroup, pki: BenchPKI, tls: Bool = true
  ) async throws -> Server {
    let context = try NIOSSLContext(configuration: pki.serverTLS)
    let channel = try await ServerBootstrap(group: group)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          if tls {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
          }
          try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(LengthPrefixDecoder()))
          try channel.pipeline.syncOperations.addHandler(EchoHandler())
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    return Server(channel: channel)
  }

  struct LengthPrefixDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    mutating func decode(
      context: ChannelHandlerContext, buffer: inout ByteBuffer
    ) throws -> DecodingState {
      guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
        buffer.readableBytes >= 4 + Int(length)
      else { return .needMoreData }
      buffer.moveReaderIndex(forwardBy: 4)
      context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
      return .continue
    }
  }

  final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var pending = false
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var message = unwrapInboundIn(data)
      var out = context.channel.allocator.buffer(capacity: 4 + message.readableBytes)
      out.writeInteger(UInt32(message.readableBytes))
      out.writeBuffer(&message)
      context.write(wrapOutboundOut(out), promise: nil)
      pending = true
    }
    func channelReadComplete(context: ChannelHandlerContext) {
      if pending { context.flush() }
      pending = false
    }
  }

  final class Client: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<ResponseHandler>

    init(channel: any Channel, handler: NIOLoopBound<ResponseHandler>) {
      self.channel = channel
      self.handler = handler
    }

    static func connect(
      port: Int, group: any EventLoopGroup, pki: BenchPKI, tls: Bool = true
    ) async throws -> Client {
      let context = try NIOSSLContext(configuration: pki.clientTLS)
      let channel = try await ClientBootstrap(group: group)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .channelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            if tls {
              try channel.pipeline.syncOperations.addHandler(
                NIOSSLClientHandler(context: context, serverHostname: "localhost"))
            }
            try channel.pipeline.syncOperations.addHandler(
              ByteToMessageHandler(LengthPrefixDecoder()))
            try channel.pipeline.syncOperations.addHandler(ResponseHandler())
          }
        }
        .connect(host: "127.0.0.1", port: port).get()
      let handler = try await channel.eventLoop.submit {
        NIOLoopBound(
          try channel.pipeline.syncOperations.handler(type: ResponseHandler.self),
          eventLoop: channel.eventLoop)
      }.get()
      return Client(channel: channel, handler: handler)
    }

    /// One echo of a 16-byte message.
    func call() async throws {
      let promise = channel.eventLoop.makePromise(of: Void.self)
      let handler = self.handler
      let channel = self.channel
      channel.eventLoop.execute {
        handler.value.waiting.append(promise)
        var b = channel.allocator.buffer(capacity: 20)
        b.writeInteger(UInt32(16))
        b.writeString("0123456789abcdef")
        channel.writeAndFlush(b, promise: nil)
      }
      try await promise.futureResult.get()
    }

    func close() { channel.close(promise: nil) }
  }

  final class ResponseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var waiting = CircularBuffer<EventLoopPromise<Void>>()
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      waiting.removeFirst().succeed()
    }
  }
}
