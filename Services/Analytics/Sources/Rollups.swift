/// Pre-aggregated rollups: per stream, the `AggregateState` of every hour and every Berlin day
/// that holds observations. Ingest merges the state of the new (non-duplicate) observations
/// into the stored cells — late data lands in old cells, replays change nothing because
/// duplicates never reach here — and a query reads whole cells where its buckets cover them
/// (see `AggregatePlan`). Every part of the state merges exactly (sketch counts, min, max,
/// first, last, count; sums and moments up to floating-point rounding), so an answer from
/// rollups equals the one from raw observations.
///
/// There is no minute level: a minute cell (~120 bytes of state) is larger than the minute of
/// 1-minute data it would replace, so minute-aligned buckets read raw blocks instead. I/O-free.
public enum RollupLevel: Int, Sendable, CaseIterable, Comparable {
  case hour = 1
  case day = 2

  public var width: BucketWidth {
    switch self {
    case .hour: .fixed(seconds: 3600)
    case .day: .day
    }
  }

  public static func < (lhs: RollupLevel, rhs: RollupLevel) -> Bool { lhs.rawValue < rhs.rawValue }
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
  static let hour: Int64 = 3_600_000_000

  /// The state of new observations of one stream per cell of every level: what ingest merges
  /// into the stored rollups. Hours are built from the points (one state per run of points in
  /// the same hour, so sorted input touches each cell once); days are merged from hours, a
  /// Berlin day being a union of whole UTC hours.
  public static func deltas(
    stream: Int64, times: [Int64], results: [Double], relativeAccuracy: Double = 0.01
  ) -> [RollupKey: AggregateState] {
    var hours: [Int64: AggregateState] = [:]
    var current = AggregateState(relativeAccuracy: relativeAccuracy)
    var currentStart = Int64.min
    for (time, result) in zip(times, results) {
      let start = BerlinCalendar.floorDivide(time, hour) * hour
      if start != currentStart {
        put(current, at: currentStart, into: &hours)
        current = AggregateState(relativeAccuracy: relativeAccuracy)
        currentStart = start
      }
      current.add(time: time, value: result)
    }
    put(current, at: currentStart, into: &hours)
    var cells: [RollupKey: AggregateState] = [:]
    cells.reserveCapacity(hours.count + hours.count / 20 + 2)
    var dayOf: (hourStart: Int64, day: (start: Int64, end: Int64)) = (.min, (0, 0))
    for (start, state) in hours {
      cells[RollupKey(stream: stream, level: .hour, start: start)] = state
      if !(start >= dayOf.day.start && start < dayOf.day.end) {
        dayOf = (start, BerlinCalendar.bucket(containing: start, width: .day))
      }
      let key = RollupKey(stream: stream, level: .day, start: dayOf.day.start)
      if cells[key] == nil {
        cells[key] = state
      } else {
        cells[key]!.merge(state)
      }
    }
    return cells
  }

  static func put(
    _ state: AggregateState, at start: Int64, into cells: inout [Int64: AggregateState]
  ) {
    guard state.count > 0 else { return }
    if cells[start] == nil {
      cells[start] = state
    } else {
      cells[start]!.merge(state)
    }
  }
}
