public import NIOCore

/// The groups of methods a caller's rate is limited by.
public enum MethodGroup: String, Sendable, CaseIterable, Hashable {
  /// Login, refresh, API-key exchange, logout: what password guessing goes through.
  case auth
  /// Reads (lookups, searches, aggregates).
  case read
  /// Everything else: writes, ingest, administration.
  case write
}

/// Who a rate limit counts: a token's subject, or the address of an anonymous caller (its
/// bytes: no formatting per call).
public enum Caller: Hashable, Sendable {
  case subject(String)
  case v4(UInt32)
  case v6([UInt8])
  case anonymous
}

/// A token bucket's size: `rate` tokens a second, at most `burst` saved up.
public struct RateLimit: Sendable, Equatable {
  public var rate: Double
  public var burst: Double

  public init(rate: Double, burst: Double) {
    self.rate = rate
    self.burst = burst
  }

  /// The defaults per caller: generous for integrators, a wall for a flood.
  public static let defaults: [MethodGroup: RateLimit] = [
    .auth: RateLimit(rate: 10, burst: 30), .read: RateLimit(rate: 1000, burst: 2000),
    .write: RateLimit(rate: 200, burst: 400),
  ]
}

/// Token buckets per caller and method group — I/O-free, the clock passed in. A caller is
/// the token's subject, or the address of an anonymous one. At most `maximumCallers`
/// buckets are kept: beyond, the fullest are forgotten (a full one holds nothing a new bucket
/// would not), down to half.
public struct RateLimiter: Sendable {
  struct Key: Hashable {
    var caller: Caller
    var group: MethodGroup
  }
  struct Bucket {
    var tokens: Double
    var at: NIODeadline
  }

  public let limits: [MethodGroup: RateLimit]
  public let maximumCallers: Int
  private var buckets: [Key: Bucket] = [:]

  public init(limits: [MethodGroup: RateLimit], maximumCallers: Int = 100_000) {
    self.limits = limits
    self.maximumCallers = maximumCallers
  }

  public var count: Int { buckets.count }

  /// Takes a token for one call of `caller` in `group`: nil when it may go ahead, else how
  /// long until a token is there.
  public mutating func take(
    _ caller: Caller, _ group: MethodGroup, now: NIODeadline
  ) -> TimeAmount? {
    guard let limit = limits[group], limit.rate > 0 else { return nil }
    let key = Key(caller: caller, group: group)
    var bucket = buckets[key] ?? Bucket(tokens: limit.burst, at: now)
    let elapsed = Double(max(0, (now - bucket.at).nanoseconds)) / 1e9
    bucket.tokens = min(limit.burst, bucket.tokens + elapsed * limit.rate)
    bucket.at = now
    defer {
      buckets[key] = bucket
      if buckets.count > maximumCallers { prune(now: now) }
    }
    if bucket.tokens >= 1 {
      bucket.tokens -= 1
      return nil
    }
    return .nanoseconds(Int64(((1 - bucket.tokens) / limit.rate * 1e9).rounded(.up)))
  }

  private mutating func prune(now: NIODeadline) {
    // What each bucket holds now: forgetting a bucket gives its caller a full one, so the
    // fullest are forgotten first (a full one at no cost), the emptiest — the callers the
    // limit holds back — kept.
    var held: [(key: Key, bucket: Bucket, fill: Double)] = []
    held.reserveCapacity(buckets.count)
    for (key, bucket) in buckets {
      guard let limit = limits[key.group] else { continue }
      let refill = Double(max(0, (now - bucket.at).nanoseconds)) / 1e9 * limit.rate
      let fill = min(limit.burst, bucket.tokens + refill) / limit.burst
      if fill < 1 { held.append((key, bucket, fill)) }
    }
    if held.count > maximumCallers / 2 {
      held.sort { $0.fill < $1.fill }
      held.removeLast(held.count - maximumCallers / 2)
    }
    buckets = Dictionary(uniqueKeysWithValues: held.map { ($0.key, $0.bucket) })
  }
}
