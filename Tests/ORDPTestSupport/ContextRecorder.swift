public import NIOCore
public import ORDPRPC
import Synchronization

/// Records the context of the last call a server got, and when it got it.
public final class ContextRecorder: ServerInterceptor {
  private let state = Mutex<(context: ServerContext, receivedAt: NIODeadline)?>(nil)

  public init() {}

  /// The last call's context and its arrival, or nil before any.
  public var last: (context: ServerContext, receivedAt: NIODeadline)? { state.withLock { $0 } }

  public func intercept(
    context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
  ) async throws {
    state.withLock { $0 = (context, .now()) }
    try await next(context)
  }
}
