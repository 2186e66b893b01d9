/// The policy for failed logins, I/O-free: counts failures per username and per source
/// address within a window, slows answers down after a few and locks for a while after many.
///
/// Unknown usernames are counted exactly like known ones, so that neither the delay nor the
/// lock tells whether a user exists.
public struct LoginThrottlePolicy: Sendable, Equatable {
  /// Failures older than this are forgotten.
  public var window: Micros = 15 * 60 * 1_000_000
  /// Failures (per username) answered without delay.
  public var freeFailures = 3
  /// Delay before answering the first attempt after the free failures; doubles with every
  /// further failure up to `maximumDelay`.
  public var baseDelay: Micros = 500_000
  public var maximumDelay: Micros = 8_000_000
  /// Failures per username that lock it, and for how long.
  public var userLockThreshold = 10
  public var userLockDuration: Micros = 15 * 60 * 1_000_000
  /// Failures per source address that lock the address, and for how long.
  public var addressLockThreshold = 100
  public var addressLockDuration: Micros = 15 * 60 * 1_000_000

  public init() {}

  public enum Decision: Equatable, Sendable {
    /// Check the password after waiting `delay` microseconds.
    case proceed(delay: Micros)
    /// Refuse without checking until `until`.
    case locked(until: Micros)
  }

  public static func userKey(_ username: String) -> String { "user:\(username.lowercased())" }
  public static func addressKey(_ address: String) -> String { "address:\(address)" }

  /// What to do with a login attempt, given the records of its username and address.
  public func decision(user: ThrottleRecord?, address: ThrottleRecord?, now: Micros) -> Decision {
    let lockedUntil = [user?.lockedUntil, address?.lockedUntil].compactMap { $0 }.filter {
      $0 > now
    }.max()
    if let lockedUntil { return .locked(until: lockedUntil) }
    let failures = current(user, now: now)?.failures ?? 0
    guard failures >= freeFailures else { return .proceed(delay: 0) }
    let doublings = min(failures - freeFailures, 20)
    return .proceed(delay: min(maximumDelay, baseDelay << doublings))
  }

  /// The records after one more failure.
  public func failing(
    user: ThrottleRecord?, userKey: String, address: ThrottleRecord?, addressKey: String,
    now: Micros
  ) -> [ThrottleRecord] {
    [
      failing(
        current(user, now: now), key: userKey, threshold: userLockThreshold,
        lockDuration: userLockDuration, now: now),
      failing(
        current(address, now: now), key: addressKey, threshold: addressLockThreshold,
        lockDuration: addressLockDuration, now: now),
    ]
  }

  /// The record as it counts at `now`: nil when its window has passed and no lock holds.
  func current(_ record: ThrottleRecord?, now: Micros) -> ThrottleRecord? {
    guard let record else { return nil }
    if let lockedUntil = record.lockedUntil, lockedUntil > now { return record }
    if record.windowStart + window <= now { return nil }
    if record.lockedUntil != nil {
      // A lock that ended starts the count again.
      return nil
    }
    return record
  }

  private func failing(
    _ record: ThrottleRecord?, key: String, threshold: Int, lockDuration: Micros, now: Micros
  ) -> ThrottleRecord {
    var record = record ?? ThrottleRecord(key: key, failures: 0, windowStart: now, lockedUntil: nil)
    record.failures += 1
    if record.failures >= threshold, record.lockedUntil == nil {
      record.lockedUntil = now + lockDuration
    }
    return record
  }
}
