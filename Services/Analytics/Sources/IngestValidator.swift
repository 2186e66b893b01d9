public import ORDPAnalyticsAPI

/// Checks one ingest batch before anything is written: which items may be stored, and why the
/// others are refused. Every item ends up in exactly one count — accepted (to be stored; the
/// store may still find some to be duplicates), duplicate (the same stream and time earlier in
/// this batch: the first one wins) or rejected with a reason. A bad item never drops the good
/// ones; a bad series (unknown, not permitted, malformed) is refused as a whole. I/O-free.
public struct IngestValidator: Sendable {
  /// What the validator needs to know of a stream.
  public enum StreamAccess: Sendable {
    case writable
    case notPermitted
    case unknown
  }

  /// Observations accepted for one stream, in the order they came.
  public struct Accepted: Sendable, Equatable {
    public var datastreamID: String
    /// The first series of the batch for this stream.
    public var seriesIndex: Int = 0
    public var times: [Int64] = []
    public var results: [Double] = []
    public var qualities: [UInt32] = []

    public init(
      datastreamID: String, seriesIndex: Int = 0, times: [Int64] = [], results: [Double] = [],
      qualities: [UInt32] = []
    ) {
      self.datastreamID = datastreamID
      self.seriesIndex = seriesIndex
      self.times = times
      self.results = results
      self.qualities = qualities
    }
  }

  public struct Outcome: Sendable {
    public var accepted: [Accepted] = []
    public var acceptedCount: UInt64 = 0
    public var duplicates: UInt64 = 0
    public var rejected: UInt64 = 0
    /// The first `maximumRejections` reasons.
    public var rejections: [Ordp_Analytics_V1_Rejection] = []
  }

  /// Reasons reported per batch at most (the counts include all).
  public static let maximumRejections = 100

  /// Accepted phenomenon times: not older than `maximumAge`, not further ahead than
  /// `maximumLead`, relative to `now` (all microseconds).
  public var maximumAge: Int64 = 20 * 366 * 86_400_000_000
  public var maximumLead: Int64 = 86_400_000_000

  public init() {}

  public func validate(
    _ batch: Ordp_Analytics_V1_IngestBatch, now: Int64,
    access: (String) -> StreamAccess
  ) -> Outcome {
    var outcome = Outcome()
    let earliest = now - maximumAge
    let latest = now + maximumLead
    func reject(
      _ series: Int, _ item: Int, _ reason: Ordp_Analytics_V1_Rejection.Reason, _ message: String,
      count: Int = 1
    ) {
      outcome.rejected += UInt64(count)
      guard outcome.rejections.count < Self.maximumRejections else { return }
      var rejection = Ordp_Analytics_V1_Rejection()
      rejection.seriesIndex = UInt32(series)
      rejection.itemIndex = UInt32(item)
      rejection.reason = reason
      rejection.message = message
      outcome.rejections.append(rejection)
    }
    // Positions already taken in this batch, per stream.
    var seen: [String: Set<Int64>] = [:]
    var slot: [String: Int] = [:]
    for (index, series) in batch.series.enumerated() {
      let count = series.timesMicros.count
      let id = series.datastreamID
      guard series.results.count == count,
        series.qualities.isEmpty || series.qualities.count == count
      else {
        reject(
          index, 0, .malformed,
          "series \(index): \(count) times, \(series.results.count) results, \(series.qualities.count) qualities",
          count: max(count, series.results.count))
        continue
      }
      guard count > 0 else { continue }
      switch access(id) {
      case .unknown:
        reject(index, 0, .unknownStream, "datastream \(id) not found", count: count)
        continue
      case .notPermitted:
        reject(
          index, 0, .notPermitted,
          "not permitted to write to datastream \(id) (needs analytics:ingest in its town)",
          count: count)
        continue
      case .writable: break
      }
      let target =
        slot[id]
        ?? {
          outcome.accepted.append(Accepted(datastreamID: id, seriesIndex: index))
          slot[id] = outcome.accepted.count - 1
          return outcome.accepted.count - 1
        }()
      for item in 0..<count {
        let time = series.timesMicros[item]
        let result = series.results[item]
        if !result.isFinite {
          reject(index, item, .nonFinite, "result is \(result)")
        } else if time < earliest || time > latest {
          reject(index, item, .outOfWindow, "time \(time) is outside the accepted window")
        } else if !seen[id, default: []].insert(time).inserted {
          outcome.duplicates += 1
        } else {
          outcome.accepted[target].times.append(time)
          outcome.accepted[target].results.append(result)
          outcome.accepted[target].qualities.append(
            series.qualities.isEmpty ? 0 : series.qualities[item])
          outcome.acceptedCount += 1
        }
      }
    }
    outcome.accepted.removeAll { $0.times.isEmpty }
    return outcome
  }
}
