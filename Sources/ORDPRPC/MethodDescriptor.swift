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
  public let service: String
  /// Method name, e.g. `Get`.
  public let method: String
  public let kind: RPCKind
  /// The path carried in `RequestHeaders.method`: `/service/method` (built once, not per call).
  public let path: String

  public init(service: String, method: String, kind: RPCKind) {
    self.service = service
    self.method = method
    self.kind = kind
    self.path = "/\(service)/\(method)"
  }

  public var description: String { path }
}
