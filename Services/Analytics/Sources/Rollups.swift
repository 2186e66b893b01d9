/// Pre-aggregated rollups: per stream, the `AggregateState` of every minute, hour and Berlin
/// day that holds observations. Ingest merges the state of the new (non-duplicate) observations
/// into the stored cells — late data lands in old cells, replays change nothing because
/// duplicates never reach here — and a query reads the coarsest level its buckets allow. Every
/// part of the state merges exactly (sketch counts, min, max, first, last, count; sums and
/// moments up to floating-point rounding), so an answer from rollups equals the one from raw
/// observations. I/O-free.
public enum RollupLevel: Int, Sendable, CaseIterable, Comparable {
  case minute = 0
  case hour = 1
  case day = 2

  public var width: BucketWidth {
    switch self {
    case .minute: .fixed(seconds: 60)
    case .hour: .fixed(seconds: 3600)
    case .day: .day
    }
  }

  public static func < (lhs: RollupLevel, rhs: RollupLevel) -> Bool { lhs.rawValue < rhs.rawValue }

  /// The coarsest level whose cells tile every bucket of `width` exactly (nil: read raw).
  /// Fixed widths: a multiple of an hour reads hours, of a minute reads minutes (every fixed
  /// bucket starts at a multiple of its width since the epoch, so it is a union of whole
  /// minutes or hours). Calendar widths read Berlin days.
  public static func coarsest(for width: BucketWidth) -> RollupLevel? {
    switch width {
    case .fixed(let seconds):
      if seconds % 3600 == 0 { return .hour }
      if seconds % 60 == 0 { return .minute }
      return nil
    case .day, .week, .month, .year: return .day
    }
  }
}

/// A rollup cell's address.
public struct RollupKey: Sendable, Hashable, Comparable {
  public var stream: Int64
  public var level: RollupLevel
  /// Start of the cell, microseconds since 1970 UTC.
  public var start: Int64

  public init(stream: Int64, level: RollupLevel, start: Int64) {
    self.stream = stream
    self.level = level
    self.start = start
  }

  public static func < (lhs: RollupKey, rhs: RollupKey) -> Bool {
    (lhs.stream, lhs.level.rawValue, lhs.start) < (rhs.stream, rhs.level.rawValue, rhs.start)
  }
}

public enum Rollups {
  /// The state of new observations of one stream per cell of every level: what ingest merges
  /// into the stored rollups.
  public static func deltas(
    stream: Int64, times: [Int64], results: [Double], relativeAccuracy: Double = 0.01
  ) -> [RollupKey: AggregateState] {
    var cells: [RollupKey: AggregateState] = [:]
    for (time, result) in zip(times, results) {
      for level in RollupLevel.allCases {
        let start = BerlinCalendar.bucket(containing: time, width: level.width).start
        let key = RollupKey(stream: stream, level: level, start: start)
        cells[key, default: AggregateState(relativeAccuracy: relativeAccuracy)].add(
          time: time, value: result)
      }
    }
    return cells
  }
}
