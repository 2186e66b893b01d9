import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One client connection: a channel whose pipeline ends in a `ClientConnectionHandler`.
final class ClientConnection: Sendable {
  let channel: any Channel
  let handler: NIOLoopBound<ClientConnectionHandler>
  private let available = Atomic<Bool>(true)

  var eventLoop: any EventLoop { channel.eventLoop }
  /// Whether new calls may go here (no GOAWAY received, not closed).
  var isAvailable: Bool { available.load(ordering: .relaxed) }

  private init(channel: any Channel, handler: ClientConnectionHandler) {
    self.channel = channel
    self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
  }

  /// Connects, secures and greets; returns once the connection can take calls.
  static func connect(
    host: String, port: Int, configuration: RPCChannel.Configuration, group: any EventLoopGroup,
    logger: Logger, onUnavailable: @escaping @Sendable (ClientConnection) -> Void
  ) async throws -> ClientConnection {
    let security = configuration.security
    let settings = configuration.settings
    let keepalive = ClientConnectionHandler.Keepalive(
      interval: configuration.keepaliveInterval, timeout: configuration.keepaliveTimeout)
    let sslContext: NIOSSLContext?
    var serverHostname: String? = nil
    if case .tls(let tls, let name) = security.mode {
      sslContext = try NIOSSLContext(configuration: tls)
      serverHostname = name
    } else {
      sslContext = nil
    }
    // SNI carries names only; for an IP literal NIOSSL checks the certificate against the
    // connected address instead.
    let sniName = serverHostname.flatMap { isIPAddress($0) ? nil : $0 }
    let channel = try await ClientBootstrap(group: group)
      .connectTimeout(configuration.connectTimeout)
      .channelOption(.socketOption(.tcp_nodelay), value: 1)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          if let sslContext {
            try channel.pipeline.syncOperations.addHandler(
              NIOSSLClientHandler(context: sslContext, serverHostname: sniName))
          }
          try channel.pipeline.syncOperations.addHandler(
            ClientConnectionHandler(
              settings: settings, keepalive: keepalive,
              helloTimeout: configuration.connectTimeout, eventLoop: channel.eventLoop,
              logger: logger))
        }
      }
      .connect(host: host, port: port)
      .get()
    let (connection, ready) = try await channel.eventLoop.submit {
      let handler = try channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self)
      let connection = ClientConnection(channel: channel, handler: handler)
      handler.onUnavailable = { [weak connection] in
        guard let connection else { return }
        connection.available.store(false, ordering: .relaxed)
        onUnavailable(connection)
      }
      return (connection, handler.readyPromise.futureResult)
    }.get()
    do {
      try await ready.get()
    } catch {
      channel.close(promise: nil)
      throw error
    }
    return connection
  }

  /// Starts `call` on this connection.
  func start(_ call: ClientCall) {
    if eventLoop.inEventLoop {
      handler.value.start(call)
    } else {
      let handler = self.handler
      eventLoop.execute { handler.value.start(call) }
    }
  }

  func close() {
    channel.close(promise: nil)
  }
}

private func isIPAddress(_ s: String) -> Bool {
  (try? SocketAddress(ipAddress: s, port: 0)) != nil
}
