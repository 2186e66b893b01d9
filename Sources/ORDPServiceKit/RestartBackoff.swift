/// When to restart a supervised process that exited: at once the first time after a long
/// run, then after 1 s, 2 s, 4 s … up to `maximum` while it keeps failing soon after starting.
/// A run that lasted `stableAfter` counts as recovered. I/O-free.
public struct RestartBackoff: Sendable, Hashable {
  public var initial: Duration = .seconds(1)
  public var maximum: Duration = .seconds(30)
  public var stableAfter: Duration = .seconds(60)
  /// Exits in a row that came before `stableAfter`.
  public private(set) var failures = 0

  public init() {}

  /// The process exited after running for `runTime` (zero when it did not start): how long to
  /// wait before starting it again.
  public mutating func exited(after runTime: Duration) -> Duration {
    if runTime >= stableAfter { failures = 0 }
    defer { failures += 1 }
    if failures == 0 { return .zero }
    var delay = initial
    for _ in 1..<failures where delay < maximum { delay *= 2 }
    return min(delay, maximum)
  }
}
