/// Per-call options on the client.
public struct CallOptions: Sendable {
  /// How long the call may take; nil for no deadline. Inside a server handler the remaining
  /// time of the incoming call caps it (deadline propagation).
  public var timeout: Duration?
  /// Request metadata sent in HEADERS.
  public var metadata: Metadata
  /// How often a call that was not processed (refused, or above a GOAWAY's last stream id)
  /// is retried on another connection. Only calls with a single request message are retried.
  public var maxTransparentRetries: Int
  /// Receives the response's headers as they arrive and, when the call ends OK, its trailers
  /// (a proxy gives its own call's `ServerContext.response`, so that a backend's response
  /// metadata reaches its caller; a client reads them after the call). A failed call's
  /// trailers come with its `RPCError`.
  public var responseMetadata: ResponseMetadata?

  public init(
    timeout: Duration? = nil, metadata: Metadata = Metadata(), maxTransparentRetries: Int = 3
  ) {
    self.timeout = timeout
    self.metadata = metadata
    self.maxTransparentRetries = maxTransparentRetries
  }

  public static var defaults: CallOptions { CallOptions() }
}
