import NIOCore

/// Sits before the TLS handler: closes connections whose first bytes are not a TLS
/// ClientHello, and refuses (with the TLS alert `no_application_protocol`) ClientHellos that
/// offer ALPN without `ordp/1`. Removes itself once the ClientHello passed.
final class ClientHelloGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = ByteBuffer

  private let inspector = TLSClientHelloInspector(requiredProtocol: ORDPProtocol.alpn)
  private var buffered: ByteBuffer?
  private var decided = false

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard !decided else {
      context.fireChannelRead(data)
      return
    }
    var bytes = unwrapInboundIn(data)
    if buffered == nil { buffered = bytes } else { buffered!.writeBuffer(&bytes) }
    switch inspector.inspect(buffered!) {
    case .needMoreData:
      return
    case .notTLS:
      decided = true
      context.close(promise: nil)
    case .alpnMismatch:
      decided = true
      let alert = context.channel.allocator.buffer(
        bytes: TLSClientHelloInspector.noApplicationProtocolAlert)
      context.writeAndFlush(wrapOutboundOut(alert)).assumeIsolated().whenComplete { _ in
        context.close(promise: nil)
      }
    case .accept:
      decided = true
      let all = buffered!
      buffered = nil
      context.fireChannelRead(wrapInboundOut(all))
      context.pipeline.syncOperations.removeHandler(self, promise: nil)
    }
  }

  typealias OutboundOut = ByteBuffer
}
