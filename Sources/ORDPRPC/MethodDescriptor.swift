/// The four call kinds.
public enum RPCKind: Sendable, Hashable {
  case unary
  case clientStreaming
  case serverStreaming
  case bidirectionalStreaming

  /// Whether the client sends exactly one request message.
  public var hasSingleRequest: Bool { self == .unary || self == .serverStreaming }
}

/// Names one method of one service.
public struct MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
  /// Fully qualified service name, e.g. `ordp.echo.v1.Echo`.
  public var service: String
  /// Method name, e.g. `Get`.
  public var method: String
  public var kind: RPCKind

  public init(service: String, method: String, kind: RPCKind) {
    self.service = service
    self.method = method
    self.kind = kind
  }

  /// The path carried in `RequestHeaders.method`: `/service/method`.
  public var path: String { "/\(service)/\(method)" }

  public var description: String { path }
}
