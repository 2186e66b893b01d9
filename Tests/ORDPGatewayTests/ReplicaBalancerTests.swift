import NIOCore
import ORDPGateway
import Testing

/// A generator that repeats a fixed sequence (P2C's two choices made predictable).
struct ScriptedRandom: RandomNumberGenerator {
  var values: [UInt64]
  var index = 0
  mutating func next() -> UInt64 {
    defer { index += 1 }
    return values[index % values.count]
  }
}

/// SplitMix64: a seeded generator, so a test sees the same choices every run.
struct SeededRandom: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite struct ReplicaBalancerTests {
  let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
  typealias Balancer = ReplicaBalancer<String>

  @Test func leastOutstandingOfTwoRandomChoicesTakesTheLessBusy() {
    var b = Balancer()
    var random = SystemRandomNumberGenerator()
    let partition = ["a", "b"]
    // With two replicas both are always the two choices: the less busy one wins every time.
    for _ in 0..<10 {
      guard
        case .replica(let first) = b.pick(
          partition, now: start, connected: { _ in true }, random: &random)
      else { Issue.record("no pick"); return }
      _ = first
    }
    #expect(b.replicas["a"]!.outstanding == 5)
    #expect(b.replicas["b"]!.outstanding == 5)
  }

  @Test(arguments: [1, 2, 3] as [UInt64]) func overManyReplicasLoadStaysEven(seed: UInt64) {
    var b = Balancer()
    var random = SeededRandom(state: seed)
    let partition = (0..<8).map { "r\($0)" }
    for _ in 0..<800 {
      _ = b.pick(partition, now: start, connected: { _ in true }, random: &random)
    }
    let counts = partition.map { b.replicas[$0]?.outstanding ?? 0 }
    #expect(counts.reduce(0, +) == 800)
    // Two choices keep the busiest within a few calls of the mean (100); random placement
    // alone spreads by ±30.
    #expect(counts.max()! - counts.min()! <= 4, "\(counts)")
  }

  @Test func disconnectedUnhealthyAndEjectedReplicasAreSkippedWhileOthersServe() {
    var b = Balancer()
    var random = SystemRandomNumberGenerator()
    let partition = ["up", "down", "sick"]
    b.setHealth("sick", .notServing, now: start)
    for _ in 0..<20 {
      let pick = b.pick(partition, now: start, connected: { $0 != "down" }, random: &random)
      #expect(pick == .replica("up"))
    }
  }

  @Test func whenNoReplicaIsConnectedOneNotKnownDownIsTriedAndInPanicAnyone() {
    var b = Balancer()
    var random = SystemRandomNumberGenerator()
    b.setHealth("a", .notServing, now: start)
    let p1 = b.pick(["a", "b"], now: start, connected: { _ in false }, random: &random)
    #expect(p1 == .replica("b"))
    b.setHealth("b", .notServing, now: start)
    let p2 = b.pick(["a", "b"], now: start, connected: { _ in false }, random: &random)
    #expect(p2 == .replica("a") || p2 == .replica("b"))
  }

  @Test func aReplicaAtItsPendingLimitTakesNothingAndAllAtTheLimitIsOverloaded() {
    var policy = BalancingPolicy()
    policy.maximumPending = 2
    var b = Balancer(policy: policy)
    var random = SystemRandomNumberGenerator()
    var picks: [Balancer.Pick] = []
    for _ in 0..<4 {
      picks.append(b.pick(["a", "b"], now: start, connected: { _ in true }, random: &random))
    }
    #expect(!picks.contains(.overloaded))
    #expect(
      b.pick(["a", "b"], now: start, connected: { _ in true }, random: &random) == .overloaded)
    _ = b.finished("a", in: ["a", "b"], .answered, now: start)
    #expect(
      b.pick(["a", "b"], now: start, connected: { _ in true }, random: &random) == .replica("a"))
    #expect(
      b.pick(
        ["a", "b"], now: start, excluding: ["a", "b"], connected: { _ in true }, random: &random)
        == .none)
  }

  @Test func consecutiveFailuresEjectForLongerEachTime() {
    var b = Balancer()
    var random = ScriptedRandom(values: [0])
    let partition = ["a", "b", "c", "d"]
    func fail(_ key: String, _ times: Int, at now: NIODeadline) -> [Balancer.Event] {
      (0..<times).map { _ in
        _ = b.pick([key], now: now, connected: { _ in true }, random: &random)
        return b.finished(key, in: partition, .failed, now: now)
      }
    }
    let first = fail("a", 5, at: start)
    #expect(first.last == .ejected("a", for: .seconds(10)))
    #expect(first.dropLast().allSatisfy { $0 == .none })
    #expect(b.isEjected("a", now: start + .seconds(9)))
    #expect(!b.isEjected("a", now: start + .seconds(10)))
    // An answer between failures resets the count.
    let later = start + .seconds(11)
    _ = fail("a", 4, at: later)
    _ = b.pick(["a"], now: later, connected: { _ in true }, random: &random)
    _ = b.finished("a", in: partition, .answered, now: later)
    #expect(fail("a", 4, at: later).allSatisfy { $0 == .none })
    // The second ejection lasts twice as long.
    #expect(fail("a", 1, at: later) == [.ejected("a", for: .seconds(20))])
    // Cancelled calls say nothing about the replica.
    for _ in 0..<10 {
      _ = b.pick(["b"], now: later, connected: { _ in true }, random: &random)
      #expect(b.finished("b", in: partition, .neutral, now: later) == .none)
    }
    #expect(b.replicas["b"]!.consecutiveFailures == 0)
  }

  @Test func atMostHalfThePartitionIsEjected() {
    var b = Balancer()
    var random = ScriptedRandom(values: [0])
    let partition = ["a", "b"]
    var events: [Balancer.Event] = []
    for key in partition {
      for _ in 0..<5 {
        _ = b.pick([key], now: start, connected: { _ in true }, random: &random)
        events.append(b.finished(key, in: partition, .failed, now: start))
      }
    }
    #expect(events.filter { $0 != .none } == [.ejected("a", for: .seconds(10))])
    #expect(!b.isEjected("b", now: start))
  }

  @Test func servingAgainOnTheHealthWatchEndsAnEjection() {
    var b = Balancer()
    var random = ScriptedRandom(values: [0])
    b.setHealth("a", .serving, now: start)
    for _ in 0..<5 {
      _ = b.pick(["a"], now: start, connected: { _ in true }, random: &random)
      _ = b.finished("a", in: ["a", "b"], .failed, now: start)
    }
    #expect(b.isEjected("a", now: start + .seconds(1)))
    b.setHealth("a", .notServing, now: start + .seconds(1))  // killed
    #expect(b.isEjected("a", now: start + .seconds(2)))
    b.setHealth("a", .serving, now: start + .seconds(2))  // restarted
    #expect(!b.isEjected("a", now: start + .seconds(2)))
  }

  @Test func aReloadForgetsOnlyDroppedReplicasWithNothingOutstanding() {
    var b = Balancer()
    var random = SystemRandomNumberGenerator()
    _ = b.pick(["busy"], now: start, connected: { _ in true }, random: &random)
    b.setHealth("idle", .serving, now: start)
    b.setHealth("kept", .serving, now: start)
    #expect(b.forget(keeping: ["kept"]) == ["idle"])
    #expect(b.replicas.keys.sorted() == ["busy", "kept"])
  }
}

@Suite struct RetryBudgetTests {
  @Test func retriesInFlightAreCappedByShareOfCallsButNeverBelowTheMinimum() {
    var budget = RetryBudget(percent: 20, minimumConcurrency: 3)
    budget.callStarted()
    let first = [budget.tryRetry(), budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]
    #expect(first == [true, true, true, false])
    budget.retryEnded()
    let again = budget.tryRetry()
    #expect(again)
    for _ in 0..<99 { budget.callStarted() }  // 100 in flight: 20 retries
    var granted = 0
    while budget.tryRetry() { granted += 1 }
    #expect(granted == 17)  // 3 already taken
    #expect(budget.retrying == 20)
  }
}

@Suite struct LatencyTrackerTests {
  @Test func theDelayIsTheRecentPercentileOnceEnoughCallsWereSeen() {
    let tracker = LatencyTracker(percentile: 90)
    for n in 1...49 { tracker.record(nanoseconds: Int64(n) * 1000) }
    #expect(tracker.delay == nil)
    tracker.record(nanoseconds: 50_000)
    // 50 samples of 1…50 µs: the 90th percentile is the one at index ⌈0.9 × 49⌉ = 45.
    #expect(tracker.delay == .microseconds(46))
    // The window moves: 512 slow calls later only they count.
    for _ in 0..<512 { tracker.record(nanoseconds: 9_000_000) }
    #expect(tracker.delay == .milliseconds(9))
  }
}
