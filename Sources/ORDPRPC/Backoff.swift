public import NIOCore

/// Exponential reconnect backoff with jitter (gRPC's connection-backoff defaults, shorter cap).
public struct Backoff: Sendable, Hashable {
  public var initial: TimeAmount = .milliseconds(100)
  public var maximum: TimeAmount = .seconds(10)
  public var multiplier: Double = 1.6
  /// Fraction of random spread around each delay.
  public var jitter: Double = 0.2

  public static var defaults: Backoff { Backoff() }
  public init() {}

  /// The delay before attempt number `attempt` (1 after the first failure).
  public func delay(attempt: Int) -> TimeAmount {
    var nanos = Double(initial.nanoseconds)
    for _ in 1..<max(attempt, 1) { nanos = min(nanos * multiplier, Double(maximum.nanoseconds)) }
    let spread = nanos * jitter
    let jittered = nanos + Double.random(in: -spread...spread)
    return .nanoseconds(Int64(max(0, jittered)))
  }
}
