public import NIOCore

/// How the gateway balances calls over the replicas of one partition, and when it stops
/// sending them to one. Defaults after Envoy's: five consecutive failures eject a replica for
/// `baseEjection` times the number of its ejections (capped), at most half the replicas at a
/// time; a replica back to SERVING on its health watch returns at once.
public struct BalancingPolicy: Sendable, Equatable {
  /// Calls in flight per replica beyond which it takes no more (circuit breaking).
  public var maximumPending: Int = 1024
  public var consecutiveFailuresToEject: Int = 5
  public var baseEjection: TimeAmount = .seconds(10)
  public var maximumEjection: TimeAmount = .seconds(300)
  /// At most this share of a partition's replicas is ejected at once.
  public var maximumEjectedPercent: Int = 50

  public init() {}
}

/// What ended a call, as far as the replica's health is concerned.
public enum CallOutcome: Sendable, Equatable {
  /// Answered (with any status the service chose: NOT_FOUND, INVALID_ARGUMENT …).
  case answered
  /// UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS, or no connection: the replica failed.
  case failed
  /// Cancelled by the caller, or the caller's deadline: says nothing about the replica.
  case neutral
}

/// The balancing state of a backend's replicas — I/O-free: the runtime (`BackendPool`) asks
/// it which replica of a partition takes a call and tells it how calls ended and what health
/// watches report; it decides. Least outstanding requests over two random choices (P2C) among
/// the partition's replicas that are connected, serving and not ejected; when none is, among
/// those not known to be down; when none is, among all (Envoy's panic mode: better to try than
/// to refuse everything). Replicas at their pending limit take nothing. Replicas are keyed by
/// address, so a reloaded topology keeps the state of the replicas it still names.
public struct ReplicaBalancer<Key: Hashable & Sendable>: Sendable {
  public enum Health: Sendable, Equatable {
    /// No health answer yet (a new replica, or its watch is reconnecting).
    case unknown
    case serving
    /// NOT_SERVING, or its health watch failed: the replica is down or draining.
    case notServing
  }

  public struct Replica: Sendable, Equatable {
    public var outstanding = 0
    public var health = Health.unknown
    public var consecutiveFailures = 0
    /// Ejections in a row (each one longer); forgotten after `maximumEjection` without one.
    public var ejections = 0
    public var ejectedUntil: NIODeadline? = nil
    /// Ejections over its lifetime (a metric).
    public var totalEjections = 0
  }

  public enum Pick: Sendable, Equatable {
    case replica(Key)
    /// Every replica (but those excluded) is at its pending limit.
    case overloaded
    /// Nothing to pick (every replica excluded).
    case none
  }

  /// What a finished call changed.
  public enum Event: Sendable, Equatable {
    case none
    case ejected(Key, for: TimeAmount)
  }

  public let policy: BalancingPolicy
  public private(set) var replicas: [Key: Replica] = [:]

  public init(policy: BalancingPolicy = BalancingPolicy()) {
    self.policy = policy
  }

  /// Whether `key` is ejected at `now`.
  public func isEjected(_ key: Key, now: NIODeadline) -> Bool {
    guard let until = replicas[key]?.ejectedUntil else { return false }
    return until > now
  }

  /// The replica of `partition` for the next call, not one in `excluding` (those that failed
  /// this call already), with `connected(key)` telling whether it has a ready connection.
  /// Counts the call as outstanding on it.
  public mutating func pick(
    _ partition: [Key], now: NIODeadline, excluding: [Key] = [], connected: (Key) -> Bool,
    random: inout some RandomNumberGenerator
  ) -> Pick {
    // Each replica's tier, without allocating: 0 excluded or at its limit, 1 open, 2 usable
    // (not ejected, not known down), 3 ready (usable and connected).
    let chosen: Key? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: partition.count) {
      tiers in
      var counts = (open: 0, usable: 0, ready: 0)
      for (i, key) in partition.enumerated() {
        var tier: UInt8 = 0
        if !excluding.contains(key), (replicas[key]?.outstanding ?? 0) < policy.maximumPending {
          tier = 1
          if !isEjected(key, now: now), replicas[key]?.health != .notServing {
            tier = connected(key) ? 3 : 2
          }
        }
        tiers[i] = tier
        if tier >= 1 { counts.open += 1 }
        if tier >= 2 { counts.usable += 1 }
        if tier == 3 { counts.ready += 1 }
      }
      let (least, count): (UInt8, Int) =
        counts.ready > 0
        ? (3, counts.ready) : counts.usable > 0 ? (2, counts.usable) : (1, counts.open)
      guard count > 0 else { return nil }
      /// The `n`th replica (from 0) of the chosen tier or better.
      func member(_ n: Int) -> Key {
        var seen = 0
        for i in 0..<partition.count where tiers[i] >= least {
          if seen == n { return partition[i] }
          seen += 1
        }
        return partition[0]
      }
      if count == 1 { return member(0) }
      let a = Int.random(in: 0..<count, using: &random)
      var b = Int.random(in: 0..<(count - 1), using: &random)
      if b >= a { b += 1 }
      let (x, y) = (member(a), member(b))
      return (replicas[y]?.outstanding ?? 0) < (replicas[x]?.outstanding ?? 0) ? y : x
    }
    guard let chosen else {
      return partition.allSatisfy { excluding.contains($0) } ? .none : .overloaded
    }
    replicas[chosen, default: Replica()].outstanding += 1
    return .replica(chosen)
  }

  /// A call on `key`, a replica of `partition`, ended with `outcome`.
  public mutating func finished(
    _ key: Key, in partition: [Key], _ outcome: CallOutcome, now: NIODeadline
  ) -> Event {
    guard var r = replicas[key] else { return .none }
    defer { replicas[key] = r }
    r.outstanding = max(0, r.outstanding - 1)
    switch outcome {
    case .answered:
      r.consecutiveFailures = 0
      if let until = r.ejectedUntil, now - until >= policy.maximumEjection {
        r.ejections = 0
        r.ejectedUntil = nil
      }
      return .none
    case .neutral:
      return .none
    case .failed:
      r.consecutiveFailures += 1
      guard r.consecutiveFailures >= policy.consecutiveFailuresToEject, !isEjected(key, now: now)
      else { return .none }
      let ejectedNow = partition.filter { isEjected($0, now: now) }.count
      let allowed = max(1, partition.count * policy.maximumEjectedPercent / 100)
      guard ejectedNow < allowed else { return .none }
      r.ejections += 1
      r.totalEjections += 1
      let time = min(
        policy.maximumEjection,
        TimeAmount.nanoseconds(policy.baseEjection.nanoseconds * Int64(r.ejections)))
      r.ejectedUntil = now + time
      r.consecutiveFailures = 0
      return .ejected(key, for: time)
    }
  }

  /// The health watch of `key` reported. SERVING ends an ejection (the replica passed an
  /// active check, as Envoy un-ejects).
  public mutating func setHealth(_ key: Key, _ health: Health, now: NIODeadline) {
    var r = replicas[key, default: Replica()]
    let was = r.health
    r.health = health
    if health == .serving, was != .serving, let until = r.ejectedUntil, until > now {
      r.ejectedUntil = now
      r.consecutiveFailures = 0
    }
    replicas[key] = r
  }

  /// Forgets replicas not in `keep` that have nothing outstanding (a reloaded topology
  /// dropped them); returns those forgotten.
  public mutating func forget(keeping keep: Set<Key>) -> [Key] {
    let gone = replicas.filter { !keep.contains($0.key) && $0.value.outstanding == 0 }.map(\.key)
    for key in gone { replicas.removeValue(forKey: key) }
    return gone
  }
}
