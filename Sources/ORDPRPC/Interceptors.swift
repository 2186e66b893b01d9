/// Runs around every call a server handles, before the handler and after it.
///
/// Interceptors see the call's context (method, metadata, peer identity, deadline), may reject
/// the call by throwing an `RPCError`, may attach attributes for the handler, may add response
/// headers and trailers, and observe the outcome (the error `next` throws, if any). They do
/// not see or change the messages themselves.
public protocol ServerInterceptor: Sendable {
  func intercept(
    context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
  ) async throws

  /// Decides what can be decided from the HEADERS alone, synchronously, when the call opens —
  /// before its request message is even received: throw to refuse the call (an anonymous
  /// call of a method that needs a token, say), or attach attributes that `intercept` then
  /// finds. A refused call never reaches `intercept` or the handler. The default admits all.
  func admit(_ context: inout ServerContext) throws(RPCError)
}

extension ServerInterceptor {
  public func admit(_ context: inout ServerContext) throws(RPCError) {}
}

/// Describes an outgoing call to client interceptors.
public struct ClientCallHead: Sendable {
  public var method: MethodDescriptor
  public var options: CallOptions
}

/// Runs around every call a client channel makes.
///
/// Interceptors may change the call's options (add metadata such as `authorization`, tighten
/// the timeout), fail the call before it is sent, or observe its outcome.
public protocol ClientInterceptor: Sendable {
  func intercept<Result: Sendable>(
    head: ClientCallHead, next: @Sendable (ClientCallHead) async throws -> Result
  ) async throws -> Result
}

extension Array where Element == any ClientInterceptor {
  /// Runs `body` inside the interceptors, first element outermost.
  func run<Result: Sendable>(
    head: ClientCallHead, body: @escaping @Sendable (ClientCallHead) async throws -> Result
  ) async throws -> Result {
    var next = body
    for interceptor in reversed() {
      let inner = next
      next = { head in try await interceptor.intercept(head: head, next: inner) }
    }
    return try await next(head)
  }
}

extension Array where Element == any ServerInterceptor {
  /// Runs `body` inside the interceptors, first element outermost.
  func run(
    context: ServerContext, body: @escaping @Sendable (ServerContext) async throws -> Void
  ) async throws {
    var next = body
    for interceptor in reversed() {
      let inner = next
      next = { context in try await interceptor.intercept(context: context, next: inner) }
    }
    try await next(context)
  }
}
