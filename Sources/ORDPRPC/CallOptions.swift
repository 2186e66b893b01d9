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

  public init(
    timeout: Duration? = nil, metadata: Metadata = Metadata(), maxTransparentRetries: Int = 3
  ) {
    self.timeout = timeout
    self.metadata = metadata
    self.maxTransparentRetries = maxTransparentRetries
  }

  public static var defaults: CallOptions { CallOptions() }
}
