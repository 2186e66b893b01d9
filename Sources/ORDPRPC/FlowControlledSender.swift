import NIOCore

/// A message waiting for flow-control credit, and the writer waiting on it.
typealias PendingSend = (bytes: [UInt8], continuation: CheckedContinuation<Void, any Error>)

/// One direction of one call that sends messages under ORDP/1 flow control: server responses
/// (`ServerCall`) and client requests (`ClientCall`). Its state lives on `loop`; `send` may be
/// called from any task and suspends while the peer's window is exhausted.
protocol FlowControlledSender: AnyObject, MessageSink {
  var loop: any EventLoop { get }
  /// Messages waiting for credit, in order (touched on `loop` only).
  var pendingSends: [PendingSend] { get set }
  /// Whether the call has ended, so sending fails.
  var hasEnded: Bool { get }
  /// Sends now; nil while the window is exhausted or the stream is not open yet.
  func trySend(_ bytes: [UInt8]) -> Result<Void, any Error>?
}

extension FlowControlledSender {
  func send(_ bytes: [UInt8]) async throws {
    if loop.inEventLoop, pendingSends.isEmpty, let result = trySend(bytes) {
      return try result.get()
    }
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
      onLoop {
        if self.pendingSends.isEmpty, let result = self.trySend(bytes) {
          c.resume(with: result)
        } else if self.hasEnded {
          c.resume(throwing: RPCError(.cancelled, "call already ended"))
        } else {
          self.pendingSends.append((bytes, c))
        }
      }
    }
  }

  /// Sends waiting messages in order while the window allows (after WINDOW_UPDATE).
  func sendPending() {
    while let first = pendingSends.first {
      guard let result = trySend(first.bytes) else { return }
      pendingSends.removeFirst()
      first.continuation.resume(with: result)
    }
  }

  /// The call ended: every waiting writer fails with `error` (built only when one waits).
  func failPendingSends(_ error: @autoclosure () -> any Error) {
    guard !pendingSends.isEmpty else { return }
    let error = error()
    let pending = pendingSends
    pendingSends.removeAll()
    for p in pending { p.continuation.resume(throwing: error) }
  }

  /// Runs `body` on the loop: at once when already there.
  func onLoop(_ body: @escaping @Sendable () -> Void) {
    if loop.inEventLoop { body() } else { loop.execute(body) }
  }
}
