import Synchronization

/// Admission of expensive calls (aggregates, exports, raw reads, searches): at most `total`
/// at once in a service, at most `perCaller` for one caller, and at most `anonymous` for all
/// callers without a token together. A call beyond a limit ends at once with
/// RESOURCE_EXHAUSTED and `retry-after` metadata (as Envoy's circuit breakers answer 503 rather
/// than queue): an overload or one greedy caller never makes other callers wait behind it.
public final class AdmissionControl: Sendable {
  public struct Limits: Sendable, Hashable {
    public var total: Int
    public var perCaller: Int
    public var anonymous: Int

    public init(total: Int = 16, perCaller: Int = 4, anonymous: Int = 2) {
      self.total = total
      self.perCaller = perCaller
      self.anonymous = anonymous
    }

    public static var defaults: Limits { Limits() }
  }

  public let limits: Limits
  private struct State {
    var total = 0
    var anonymous = 0
    var callers: [String: Int] = [:]
  }
  private let state = Mutex(State())

  public init(limits: Limits = .defaults) { self.limits = limits }

  /// Runs `body` once admitted; `caller` is the caller's subject, nil for anonymous callers.
  public func run<Result: Sendable>(
    caller: String?, _ what: String, _ body: () async throws -> Result
  ) async throws -> Result {
    try enter(caller: caller, what)
    defer { leave(caller: caller) }
    return try await body()
  }

  /// Heavy calls running now (for tests and metrics).
  public var running: Int { state.withLock { $0.total } }

  func enter(caller: String?, _ what: String) throws(RPCError) {
    let refusal: String? = state.withLock { state in
      if state.total >= limits.total {
        return "\(limits.total) \(what) calls are running in this service"
      }
      if let caller {
        if state.callers[caller, default: 0] >= limits.perCaller {
          return "you have \(limits.perCaller) \(what) calls running"
        }
        state.callers[caller, default: 0] += 1
      } else {
        if state.anonymous >= limits.anonymous {
          return "\(limits.anonymous) \(what) calls without a token are running"
        }
        state.anonymous += 1
      }
      state.total += 1
      return nil
    }
    if let refusal {
      throw RPCError(
        .resourceExhausted, "\(refusal); try again shortly",
        metadata: Metadata(["retry-after": "1"]))
    }
  }

  func leave(caller: String?) {
    state.withLock { state in
      state.total -= 1
      if let caller {
        let left = state.callers[caller, default: 1] - 1
        state.callers[caller] = left > 0 ? left : nil
      } else {
        state.anonymous -= 1
      }
    }
  }
}
