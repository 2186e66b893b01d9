public import NIOCore
import ORDPAuth
public import ORDPRPC
import Synchronization

/// The gateway's rate limits per caller identity (`RateLimiter`): a call beyond its caller's
/// bucket for its method group ends with RESOURCE_EXHAUSTED and `retry-after` (seconds,
/// rounded up) before any backend work. Runs after the token check: a caller is the token's
/// subject (a verified token only — a forged one never gets here), an anonymous caller its
/// address.
public final class EdgeRateLimit: ServerInterceptor {
  /// Marks a call counted at its HEADERS already.
  struct Counted: Sendable {}

  /// The group of each method whose group has a limit (an unlimited method costs no look-up
  /// of its caller).
  let groups: [String: MethodGroup]
  let limiter: Mutex<RateLimiter>
  let now: @Sendable () -> NIODeadline

  public init(
    methods: [ProxiedMethod], limits: [MethodGroup: RateLimit],
    now: @escaping @Sendable () -> NIODeadline = { .now() }
  ) {
    groups = Dictionary(
      methods.map { ($0.descriptor.path, Self.group(of: $0)) }
        .filter { (limits[$0.1]?.rate ?? 0) > 0 },
      uniquingKeysWith: { a, _ in a })
    limiter = Mutex(RateLimiter(limits: limits))
    self.now = now
  }

  static func group(of method: ProxiedMethod) -> MethodGroup {
    if GatewayMethods.authentication.contains(method.descriptor.path) { return .auth }
    return method.idempotent ? .read : .write
  }

  public func admit(_ context: inout ServerContext) throws(RPCError) {
    guard groups[context.method.path] != nil else { return }
    // Decidable now: a token verified before, or no token at all.
    let principal = context.attributes[Principal.self]
    guard principal != nil || context.requestMetadata["authorization"] == nil else { return }
    try check(context, principal)
    context.attributes[Counted.self] = Counted()
  }

  public func intercept(
    context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
  ) async throws {
    if context.attributes[Counted.self] == nil, groups[context.method.path] != nil {
      try check(context, context.attributes[Principal.self])
    }
    try await next(context)
  }

  func check(_ context: ServerContext, _ principal: Principal?) throws(RPCError) {
    guard let group = groups[context.method.path] else { return }
    let caller: Caller
    if let principal {
      caller = .subject(principal.subject)
    } else {
      switch context.remoteAddress {
      case .v4(let a): caller = .v4(a.address.sin_addr.s_addr)
      case .v6(let a):
        caller = .v6(
          withUnsafeBytes(of: a.address.sin6_addr) { bytes in
            bytes.reduce(into: [UInt8]()) { $0.append($1) }
          })
      default: caller = .anonymous
      }
    }
    let now = self.now()
    guard let wait = limiter.withLock({ $0.take(caller, group, now: now) }) else { return }
    let milliseconds = max(1, (wait.nanoseconds + 999_999) / 1_000_000)
    let seconds = (milliseconds + 999) / 1000
    throw RPCError(
      .resourceExhausted,
      "rate limit of \(group.rawValue) calls reached for this caller; retry in \(milliseconds) ms",
      metadata: Metadata(["retry-after": "\(seconds)"]))
  }
}
