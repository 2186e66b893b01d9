import Synchronization

/// Recent latencies of one method's calls (the last 512), for hedging: the percentile to wait
/// before a second attempt. Nothing until 50 calls were seen; recomputed every 64 calls (a
/// sort of 512 numbers), not per call.
public final class LatencyTracker: Sendable {
  private struct State {
    var ring = [Int64](repeating: 0, count: 512)
    var next = 0
    var count = 0
    var sinceUpdate = 0
    var cached: Int64? = nil
  }

  let percentile: Double
  private let state = Mutex(State())

  /// `percentile` in (0, 100).
  public init(percentile: Double) { self.percentile = percentile }

  public func record(nanoseconds: Int64) {
    state.withLock { s in
      s.ring[s.next] = nanoseconds
      s.next = (s.next + 1) % s.ring.count
      s.count = min(s.count + 1, s.ring.count)
      s.sinceUpdate += 1
      guard s.count >= 50, s.cached == nil || s.sinceUpdate >= 64 else { return }
      s.sinceUpdate = 0
      let sorted = s.ring.prefix(s.count).sorted()
      let rank = Int((percentile / 100 * Double(sorted.count - 1)).rounded(.up))
      s.cached = sorted[min(sorted.count - 1, max(0, rank))]
    }
  }

  /// How long to wait before hedging; nil while too few calls were seen.
  public var delay: Duration? {
    state.withLock { $0.cached }.map { .nanoseconds($0) }
  }
}
