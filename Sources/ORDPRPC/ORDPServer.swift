public import Logging
public import NIOCore
public import NIOPosix
import NIOSSL
public import ServiceLifecycle
import Synchronization

/// An ORDP/1 server: listens, accepts TLS (or, when configured, plaintext) connections and
/// serves the registered services. A `Service` for swift-service-lifecycle: `run()` serves
/// until graceful shutdown (SIGTERM in a `ServiceGroup`), then drains — GOAWAY on every
/// connection, in-flight calls finish, new ones are refused — and returns.
public final class ORDPServer: Service, Sendable {
  public let configuration: ServerConfiguration
  let router: RPCRouter
  let interceptors: [any ServerInterceptor]
  let group: any EventLoopGroup
  let logger: Logger
  /// The built-in health service; set statuses on it.
  public let health: HealthService

  private let state = Mutex(State())
  private let connections = ConnectionRegistry()

  private struct State {
    var serverChannel: (any Channel)?
    var addressWaiters: [CheckedContinuation<SocketAddress, any Error>] = []
    var address: SocketAddress?
    var failed: (any Error)?
    var shuttingDown = false
  }

  public init(
    configuration: ServerConfiguration, services: [any RPCService],
    interceptors: [any ServerInterceptor] = [],
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    logger: Logger = Logger(label: "ordp.server")
  ) {
    self.configuration = configuration
    self.interceptors = interceptors
    self.group = group
    self.logger = logger
    let health = HealthService()
    self.health = health
    var router = RPCRouter()
    health.registerMethods(with: &router)
    router.limitRequests(health.maximumRequestBytes)
    for service in services {
      service.registerMethods(with: &router)
      router.limitRequests(service.maximumRequestBytes)
    }
    self.router = router
  }

  /// The address the server listens on, once it does.
  public var localAddress: SocketAddress {
    get async throws {
      try await withCheckedThrowingContinuation { c in
        state.withLock { s in
          if let a = s.address {
            c.resume(returning: a)
          } else if let e = s.failed {
            c.resume(throwing: e)
          } else {
            s.addressWaiters.append(c)
          }
        }
      }
    }
  }

  public func run() async throws {
    let channel: any Channel
    do {
      channel = try await bind()
    } catch {
      let waiters = state.withLock { s in
        s.failed = error
        defer { s.addressWaiters.removeAll() }
        return s.addressWaiters
      }
      for w in waiters { w.resume(throwing: error) }
      throw error
    }
    let address = channel.localAddress!
    let waiters = state.withLock { s in
      s.serverChannel = channel
      s.address = address
      defer { s.addressWaiters.removeAll() }
      return s.addressWaiters
    }
    for w in waiters { w.resume(returning: address) }
    logger.info("listening", metadata: ["address": "\(address)"])
    // A graceful shutdown drains; so does cancellation (the service group cancels every
    // service when one of them fails: waiting for the channel to close on its own then hung
    // the process, deaf to signals).
    await withTaskCancellationHandler {
      await withGracefulShutdownHandler {
        try? await channel.closeFuture.get()
      } onGracefulShutdown: {
        self.beginGracefulShutdown()
      }
    } onCancel: {
      self.beginGracefulShutdown()
    }
    await connections.waitUntilEmpty()
    logger.info("stopped")
  }

  /// Stops accepting, sends GOAWAY on every connection and lets in-flight calls finish.
  public func beginGracefulShutdown() {
    let channel = state.withLock { s -> (any Channel)? in
      s.shuttingDown = true
      return s.serverChannel
    }
    channel?.close(promise: nil)
    health.enterTerminalState()
    connections.drainAll()
  }

  private func bind() async throws -> any Channel {
    let configuration = self.configuration
    let router = self.router
    let interceptors = self.interceptors
    let logger = self.logger
    let connections = self.connections
    let budget = RequestMemoryBudget(limit: configuration.requestMemoryLimit)
    let sslContext: NIOSSLContext?
    if case .tls(let tls) = configuration.security.mode {
      sslContext = try NIOSSLContext(configuration: tls)
    } else {
      sslContext = nil
    }
    return try await ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 256)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
      .childChannelOption(.allowRemoteHalfClosure, value: false)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          guard connections.count < configuration.maximumConnections else {
            logger.warning(
              "connection refused: \(configuration.maximumConnections) connections open",
              metadata: ["peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
            channel.close(promise: nil)
            return
          }
          let handler = ServerConnectionHandler(
            router: router, interceptors: interceptors, configuration: configuration,
            eventLoop: channel.eventLoop, tls: sslContext != nil, budget: budget, logger: logger)
          let ops = channel.pipeline.syncOperations
          if let sslContext {
            try ops.addHandler(ClientHelloGuardHandler())
            try ops.addHandler(NIOSSLServerHandler(context: sslContext))
          }
          try ops.addHandler(handler)
          connections.add(channel, handler: handler)
        }
      }
      .bind(host: configuration.host, port: configuration.port)
      .get()
  }
}

/// The server's open connections, for drain and for waiting until all are gone.
final class ConnectionRegistry: Sendable {
  private struct Entry: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<ServerConnectionHandler>
  }

  private let state = Mutex(
    (
      entries: [ObjectIdentifier: Entry](), draining: false,
      waiters: [CheckedContinuation<Void, Never>]()
    ))

  /// Open connections.
  var count: Int { state.withLock { $0.entries.count } }

  func add(_ channel: any Channel, handler: ServerConnectionHandler) {
    let id = ObjectIdentifier(channel)
    let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    let drainNow = state.withLock { s in
      s.entries[id] = Entry(channel: channel, handler: bound)
      return s.draining
    }
    if drainNow { channel.eventLoop.execute { bound.value.drain() } }
    channel.closeFuture.whenComplete { _ in
      let waiters = self.state.withLock { s -> [CheckedContinuation<Void, Never>] in
        s.entries[id] = nil
        guard s.entries.isEmpty else { return [] }
        defer { s.waiters.removeAll() }
        return s.waiters
      }
      for w in waiters { w.resume() }
    }
  }

  func drainAll() {
    let entries = state.withLock { s in
      s.draining = true
      return Array(s.entries.values)
    }
    for e in entries { e.channel.eventLoop.execute { e.handler.value.drain() } }
  }

  func waitUntilEmpty() async {
    await withCheckedContinuation { c in
      let done = state.withLock { s in
        if s.entries.isEmpty { return true }
        s.waiters.append(c)
        return false
      }
      if done { c.resume() }
    }
  }
}
