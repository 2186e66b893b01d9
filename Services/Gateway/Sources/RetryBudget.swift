/// How many retries may be in flight at once, after Envoy's retry budget: at most
/// `percent` of the calls in flight, but always `minimumConcurrency` — so retries cannot
/// multiply the load on replicas that are already failing. I/O-free; `BackendPool` keeps one
/// per backend under its lock.
public struct RetryBudget: Sendable, Equatable {
  public var percent: Int
  public var minimumConcurrency: Int
  public private(set) var active = 0
  public private(set) var retrying = 0

  public init(percent: Int = 20, minimumConcurrency: Int = 3) {
    self.percent = percent
    self.minimumConcurrency = minimumConcurrency
  }

  /// A call began (first attempt).
  public mutating func callStarted() { active += 1 }
  /// A call ended, after however many attempts.
  public mutating func callEnded() { active = max(0, active - 1) }

  /// Takes a retry from the budget if it allows one; the caller gives it back with
  /// `retryEnded` once that attempt is over.
  public mutating func tryRetry() -> Bool {
    guard retrying < max(minimumConcurrency, active * percent / 100) else { return false }
    retrying += 1
    return true
  }

  public mutating func retryEnded() { retrying = max(0, retrying - 1) }
}
