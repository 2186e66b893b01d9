import ORDPWire

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

  /// `RequestHeaders` carrying only `method = path`, serialized once: a call without metadata
  /// and deadline sends these bytes as they are, and one with them appends the other fields
  /// (concatenated protobuf messages decode as their merge).
  let pathHeaders: [UInt8]

  public init(service: String, method: String, kind: RPCKind) {
    self.service = service
    self.method = method
    self.kind = kind
    self.path = "/\(service)/\(method)"
    var headers = Ordp_Rpc_V1_RequestHeaders()
    headers.method = path
    // Serializing a message of one string field cannot fail.
    self.pathHeaders = (try? headers.serializedBytes()) ?? []
  }

  public static func == (a: MethodDescriptor, b: MethodDescriptor) -> Bool {
    a.path == b.path && a.kind == b.kind
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(path)
    hasher.combine(kind)
  }

  public var description: String { path }
}
