public import NIOCore

/// Sees every call a server ends — answered, refused at its HEADERS, cancelled by the client
/// or cut off by its deadline — once, after its status was written: for access logs and
/// metrics. Runs on the connection's event loop: it must be quick and never block.
public protocol CallObserver: Sendable {
  func callEnded(_ call: EndedCall)
}

/// A call as an observer sees it when it has ended.
public struct EndedCall: Sendable {
  /// "/package.Service/Method" as the client sent it (also for unknown methods).
  public var path: String
  /// Whether the server serves `path` (false: an unknown method).
  public var methodKnown: Bool
  public var code: StatusCode
  /// From the call's HEADERS to its end.
  public var duration: TimeAmount
  /// The request metadata as the interceptors left it (request id, trace context).
  public var requestMetadata: Metadata
  /// Who called, as the token check found ("user:<id>"), or nil.
  public var caller: String?
  public var remoteAddress: SocketAddress?
  /// The caller's certificate identity when it authenticated with mutual TLS.
  public var peerIdentity: String?
}
