/// How one stream's aggregate over [from, to) is answered: the query's buckets (clipped to the
/// range), and for each the parts read from day cells, from hour cells and from raw points.
/// Whole Berlin days inside a bucket come from day cells, whole hours left over from hour cells,
/// the rest (the ragged edges of a range that does not start or end on an hour, and buckets
/// narrower than an hour) from raw observations. Each instant of the range belongs to exactly
/// one part, so feeding the plan every fetched cell and raw point gives the same states as
/// feeding it all raw points (tested). I/O-free.
public struct AggregatePlan: Sendable {
  public struct Part: Sendable, Equatable {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
      self.start = start
      self.end = end
    }

    func contains(_ time: Int64) -> Bool { time >= start && time < end }
  }

  public struct Bucket: Sendable {
    public var start: Int64
    public var end: Int64
    public var days: Part?
    public var hours: [Part] = []
    public var raw: [Part] = []
  }

  public enum PlanError: Error, Equatable {
    case tooManyBuckets(limit: Int)
  }

  public private(set) var buckets: [Bucket] = []
  public private(set) var states: [AggregateState]
  /// Whether any bucket reads day cells, hour cells.
  public private(set) var readsDays = false
  public private(set) var readsHours = false
  /// Ranges to read raw observations from: the buckets' raw parts, adjacent ones joined.
  public private(set) var rawRanges: [Part] = []

  static let hour: Int64 = 3_600_000_000

  /// At least as many buckets as [from, to) has at `width` (nil: one), computed without
  /// building them: a plan too big for a query is refused before it takes memory.
  public static func bucketCountBound(from: Int64, to: Int64, width: BucketWidth?) -> Int {
    guard let width, from < to else { return 1 }
    let hour: Int64 = 3_600_000_000
    let day = 24 * hour
    // The narrowest a bucket of the width can be (a Berlin day loses an hour in March).
    let narrowest: Int64 =
      switch width {
      case .fixed(let seconds): seconds * 1_000_000
      case .day: day - hour
      case .week: 7 * day - hour
      case .month: 28 * day - hour
      case .year: 365 * day - hour
      }
    // Plus the clipped buckets at either end.
    let (span, overflow) = to.subtractingReportingOverflow(from)
    guard !overflow else { return Int.max }
    return Int(span / narrowest) + 2
  }

  /// Memory the plan holds (buckets, states, sketch buckets), roughly, in bytes: what a query
  /// is checked against while it fills.
  public var approximateBytes: Int {
    var bytes =
      buckets.count * (MemoryLayout<Bucket>.stride + 48)
      + states.count * MemoryLayout<AggregateState>.stride
    for state in states where state.count > 0 {
      bytes +=
        8 * (state.sketch.positiveStore.counts.count + state.sketch.negativeStore.counts.count)
    }
    return bytes
  }

  /// - Parameters:
  ///   - width: nil for one bucket over the whole range.
  ///   - quantiles: whether the states keep quantile sketches.
  public init(
    from: Int64, to: Int64, width: BucketWidth?, maximumBuckets: Int = 1_000_000,
    relativeAccuracy: Double = 0.01, quantiles: Bool = true
  ) throws(PlanError) {
    var start = from
    while start < to {
      let end = width.map { min(BerlinCalendar.bucket(containing: start, width: $0).end, to) } ?? to
      if buckets.count == maximumBuckets { throw .tooManyBuckets(limit: maximumBuckets) }
      buckets.append(Self.decompose(start, end))
      start = end
    }
    states = Array(
      repeating: AggregateState(relativeAccuracy: relativeAccuracy, tracksQuantiles: quantiles),
      count: buckets.count)
    for bucket in buckets {
      if bucket.days != nil { readsDays = true }
      if !bucket.hours.isEmpty { readsHours = true }
      for part in bucket.raw {
        if let last = rawRanges.last, last.end == part.start {
          rawRanges[rawRanges.count - 1].end = part.end
        } else {
          rawRanges.append(part)
        }
      }
    }
  }

  /// Splits [start, end) into whole Berlin days, whole hours around them, raw edges.
  static func decompose(_ start: Int64, _ end: Int64) -> Bucket {
    var bucket = Bucket(start: start, end: end)
    let first = BerlinCalendar.bucket(containing: start, width: .day)
    let dayFrom = first.start == start ? start : first.end
    let dayTo = BerlinCalendar.bucket(containing: end, width: .day).start
    var rest: [Part] = []
    if dayFrom < dayTo {
      bucket.days = Part(start: dayFrom, end: dayTo)
      if start < dayFrom { rest.append(Part(start: start, end: dayFrom)) }
      if dayTo < end { rest.append(Part(start: dayTo, end: end)) }
    } else {
      rest.append(Part(start: start, end: end))
    }
    for part in rest {
      let hourFrom = -BerlinCalendar.floorDivide(-part.start, hour) * hour
      let hourTo = BerlinCalendar.floorDivide(part.end, hour) * hour
      if hourFrom < hourTo {
        if part.start < hourFrom { bucket.raw.append(Part(start: part.start, end: hourFrom)) }
        bucket.hours.append(Part(start: hourFrom, end: hourTo))
        if hourTo < part.end { bucket.raw.append(Part(start: hourTo, end: part.end)) }
      } else {
        bucket.raw.append(part)
      }
    }
    return bucket
  }

  /// The bucket holding `time`, if it lies in the range.
  func bucketIndex(_ time: Int64) -> Int? {
    var low = 0
    var high = buckets.count
    while low < high {
      let middle = (low + high) / 2
      if buckets[middle].end <= time { low = middle + 1 } else { high = middle }
    }
    return low < buckets.count && buckets[low].start <= time ? low : nil
  }

  /// Takes a stored rollup cell; ignored unless a bucket reads that cell at this level.
  public mutating func add(level: RollupLevel, start: Int64, state: AggregateState) {
    guard let index = bucketIndex(start) else { return }
    let bucket = buckets[index]
    let used: Bool
    switch level {
    case .day: used = bucket.days?.contains(start) ?? false
    case .hour: used = bucket.hours.contains { $0.contains(start) }
    }
    if used { states[index].merge(state) }
  }

  mutating func mergeState(_ state: AggregateState, at index: Int) {
    states[index].merge(state)
  }

  /// Takes a raw observation; ignored unless a bucket reads it raw.
  public mutating func add(time: Int64, value: Double) {
    guard let index = bucketIndex(time), buckets[index].raw.contains(where: { $0.contains(time) })
    else { return }
    states[index].add(time: time, value: value)
  }
}
