public import Logging
public import NIOCore
public import NIOPosix

/// A client channel to one service, over one or several addresses: pooled connections,
/// reconnect with backoff, round-robin balancing, keepalive, GOAWAY and refused-stream
/// handling with transparent retry of unprocessed calls, deadlines, cancellation, interceptors.
/// Generated clients (`…_Client`) wrap it. Thread-safe; share one per target service.
public final class RPCChannel: Sendable {
  /// An address to connect to.
  public struct Target: Sendable, Hashable {
    public var host: String
    public var port: Int
    public init(host: String, port: Int) {
      self.host = host
      self.port = port
    }
  }

  /// Channel configuration.
  public struct Configuration: Sendable {
    public var targets: [Target]
    public var security: ClientSecurity
    /// What this client announces in its HELLO (its receive limits).
    public var settings: ConnectionSettings
    /// Connections per target address (calls are balanced across all of them).
    public var connectionsPerTarget: Int
    public var connectTimeout: TimeAmount
    /// Ping a connection that received nothing for this long; nil disables keepalive.
    public var keepaliveInterval: TimeAmount?
    /// Close a connection whose ping got no answer within this.
    public var keepaliveTimeout: TimeAmount
    public var backoff: Backoff
    /// When every target is in reconnect backoff: wait for it (true) or fail at once with
    /// UNAVAILABLE (false, gRPC's default "fail fast").
    public var waitForReady: Bool

    public init(
      targets: [Target], security: ClientSecurity, settings: ConnectionSettings = .defaults,
      connectionsPerTarget: Int = 1, connectTimeout: TimeAmount = .seconds(10),
      keepaliveInterval: TimeAmount? = .seconds(30), keepaliveTimeout: TimeAmount = .seconds(10),
      backoff: Backoff = .defaults, waitForReady: Bool = false
    ) {
      self.targets = targets
      self.security = security
      self.settings = settings
      self.settings.agent = ORDPProtocol.agent
      self.connectionsPerTarget = connectionsPerTarget
      self.connectTimeout = connectTimeout
      self.keepaliveInterval = keepaliveInterval
      self.keepaliveTimeout = keepaliveTimeout
      self.backoff = backoff
      self.waitForReady = waitForReady
    }
  }

  public let configuration: Configuration
  @usableFromInline let interceptors: [any ClientInterceptor]
  let pool: ConnectionPool

  public init(
    configuration: Configuration, interceptors: [any ClientInterceptor] = [],
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    logger: Logger = Logger(label: "ordp.client")
  ) {
    precondition(!configuration.targets.isEmpty, "an RPCChannel needs at least one target")
    self.configuration = configuration
    self.interceptors = interceptors
    self.pool = ConnectionPool(configuration: configuration, group: group, logger: logger)
  }

  /// A channel to `host:port`.
  public convenience init(
    host: String, port: Int, security: ClientSecurity,
    interceptors: [any ClientInterceptor] = []
  ) {
    self.init(
      configuration: Configuration(targets: [Target(host: host, port: port)], security: security),
      interceptors: interceptors)
  }

  /// Whether a connection is ready to take a call now (a balancer over several channels
  /// prefers those that are).
  public var hasReadyConnection: Bool { pool.hasReadyConnection }

  /// Closes every connection; calls in flight fail with UNAVAILABLE.
  public func close() {
    pool.close()
  }
}
