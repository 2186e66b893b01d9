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

/// Names one method of one service. Copies share one storage object (a descriptor travels
/// with every call, so copying it costs one reference count, not one per string).
public struct MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
  private final class Storage: Sendable {
    let service: String
    let method: String
    let kind: RPCKind
    let path: String
    let pathHeaders: [UInt8]

    init(service: String, method: String, kind: RPCKind) {
      self.service = service
      self.method = method
      self.kind = kind
      self.path = "/\(service)/\(method)"
      var headers = Ordp_Rpc_V1_RequestHeaders()
      headers.method = path
      // Serializing a message of one string field cannot fail.
      self.pathHeaders = (try? headers.serializedBytes()) ?? []
    }
  }

  private let storage: Storage

  /// Fully qualified service name, e.g. `ordp.echo.v1.Echo`.
  public var service: String { storage.service }
  /// Method name, e.g. `Get`.
  public var method: String { storage.method }
  public var kind: RPCKind { storage.kind }
  /// The path carried in `RequestHeaders.method`: `/service/method` (built once, not per call).
  public var path: String { storage.path }
  /// `RequestHeaders` carrying only `method = path`, serialized once: a call without metadata
  /// and deadline sends these bytes as they are, and one with them appends the other fields
  /// (concatenated protobuf messages decode as their merge).
  var pathHeaders: [UInt8] { storage.pathHeaders }

  public init(service: String, method: String, kind: RPCKind) {
    self.storage = Storage(service: service, method: method, kind: kind)
  }

  public static func == (a: MethodDescriptor, b: MethodDescriptor) -> Bool {
    a.storage === b.storage || (a.path == b.path && a.kind == b.kind)
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(path)
    hasher.combine(kind)
  }

  public var description: String { path }
}
