import NIOCore
import NIOHTTP1
import NIOPosix
public import Prometheus
public import ServiceLifecycle
import Synchronization

/// Serves `GET /metrics` (Prometheus text format) over plain HTTP/1.1 on its own port, for a
/// Prometheus server to scrape; anything else is 404. Bounded: request bodies are dropped as
/// they arrive (never collected), a connection idle for 30 s is closed, and at most
/// `maximumConnections` are open (one more is closed on accept).
public final class MetricsEndpoint: Service {
  public static let maximumConnections = 32

  let registry: PrometheusCollectorRegistry
  let host: String
  let port: Int
  private let bound: EventLoopPromise<Int>
  private let open = Atomic<Int>(0)

  public init(registry: PrometheusCollectorRegistry, host: String, port: Int) {
    self.registry = registry
    self.host = host
    self.port = port
    self.bound = MultiThreadedEventLoopGroup.singleton.next().makePromise()
  }

  /// The port it listens on, once it does.
  public var boundPort: Int {
    get async throws { try await bound.futureResult.get() }
  }

  public func run() async throws {
    let registry = self.registry
    let channel: any Channel
    do {
      channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { [self] channel in
          guard open.add(1, ordering: .relaxed).newValue <= Self.maximumConnections else {
            open.subtract(1, ordering: .relaxed)
            return channel.close()
          }
          channel.closeFuture.whenComplete { _ in self.open.subtract(1, ordering: .relaxed) }
          return channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            try sync.addHandler(IdleStateHandler(allTimeout: .seconds(30)))
            try sync.configureHTTPServerPipeline()
            try sync.addHandler(MetricsHandler(registry: registry))
          }
        }
        .bind(host: host, port: port).get()
    } catch {
      bound.fail(error)
      throw error
    }
    bound.succeed(channel.localAddress?.port ?? port)
    try await withGracefulShutdownHandler {
      try await channel.closeFuture.get()
    } onGracefulShutdown: {
      channel.close(promise: nil)
    }
  }
}

/// Answers one HTTP request at a time.
private final class MetricsHandler: ChannelInboundHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart
  let registry: PrometheusCollectorRegistry
  private var path: String?

  init(registry: PrometheusCollectorRegistry) { self.registry = registry }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      path = head.method == .GET ? head.uri : nil
    case .body:
      break
    case .end:
      let found = path == "/metrics"
      let body = found ? registry.emitToString() : "not found\n"
      var headers = HTTPHeaders()
      headers.add(
        name: "content-type",
        value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
      headers.add(name: "content-length", value: "\(body.utf8.count)")
      let head = HTTPResponseHead(
        version: .http1_1, status: found ? .ok : .notFound, headers: headers)
      context.write(wrapOutboundOut(.head(head)), promise: nil)
      context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
      context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
      path = nil
    }
  }

  /// Bytes that are not HTTP: after the 400 the protocol error handler wrote, close.
  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    context.close(promise: nil)
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) }
  }
}
