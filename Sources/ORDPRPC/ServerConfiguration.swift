public import NIOCore

/// Everything an `ORDPServer` is configured with.
public struct ServerConfiguration: Sendable {
  /// Address to listen on.
  public var host: String
  /// Port to listen on; 0 picks a free one (see `ORDPServer.localAddress`).
  public var port: Int
  public var security: ServerSecurity
  /// Connection limits and policies (HELLO settings, ping abuse).
  public var connection: ServerConnectionStateMachine.Configuration
  /// TLS handshake plus the client's HELLO must complete within this.
  public var handshakeTimeout: TimeAmount
  /// A connection without open calls for this long is closed with GOAWAY IDLE_TIMEOUT.
  public var idleTimeout: TimeAmount
  /// On graceful shutdown, calls still running after this are cancelled.
  public var drainTimeout: TimeAmount
  /// Where handlers run.
  public var handlerExecution: HandlerExecution
  /// Request bytes all connections together may hold before handlers consume them (each
  /// connection also has its own limit, `connection.maxBufferedRequestBytes`); a message beyond
  /// it ends its call with RESOURCE_EXHAUSTED.
  public var requestMemoryLimit: Int = 256 << 20
  /// Open connections at most; a connection beyond it is closed right after it is accepted.
  public var maximumConnections: Int = 4096
  /// Sees every call that ends (access logs, metrics); nil for none.
  public var observer: (any CallObserver)? = nil

  /// Where server handlers run.
  public enum HandlerExecution: Sendable {
    /// On their connection's event loop thread (fastest: no thread hop per call). Handlers
    /// must not block: use async APIs for I/O and move heavy CPU work elsewhere.
    case eventLoop
    /// On Swift's global concurrent executor.
    case globalExecutor
  }

  public init(
    host: String = "127.0.0.1", port: Int = 0, security: ServerSecurity,
    connection: ServerConnectionStateMachine.Configuration = .defaults,
    handshakeTimeout: TimeAmount = .seconds(10), idleTimeout: TimeAmount = .minutes(5),
    drainTimeout: TimeAmount = .seconds(30), handlerExecution: HandlerExecution = .eventLoop
  ) {
    self.host = host
    self.port = port
    self.security = security
    self.connection = connection
    self.connection.settings.agent = ORDPProtocol.agent
    self.handshakeTimeout = handshakeTimeout
    self.idleTimeout = idleTimeout
    self.drainTimeout = drainTimeout
    self.handlerExecution = handlerExecution
  }
}
