import ORDPAnalytics
import Testing

/// Rollups and aggregate plans: an answer read from hour and day cells plus raw edges equals
/// the answer computed from every raw observation.
@Suite struct RollupTests {
  static let start: Int64 = 1_704_067_200_000_000  // 2024-01-01T00:00Z
  static let minute: Int64 = 60_000_000

  /// A year of 10-minute data with varied values.
  static func year() -> (times: [Int64], results: [Double]) {
    var times: [Int64] = []
    var results: [Double] = []
    for index in 0..<(366 * 144) {
      times.append(start + Int64(index) * 10 * minute)
      results.append(Double((index * 7919) % 1000) / 10 - 20)
    }
    return (times, results)
  }

  /// The expected states per bucket start, from raw points.
  static func expected(
    _ times: [Int64], _ results: [Double], from: Int64, to: Int64, width: BucketWidth?
  ) -> [Int64: AggregateState] {
    var states: [Int64: AggregateState] = [:]
    for (time, result) in zip(times, results) where time >= from && time < to {
      let bucket =
        width.map { max(from, BerlinCalendar.bucket(containing: time, width: $0).start) } ?? from
      states[bucket, default: AggregateState()].add(time: time, value: result)
    }
    return states
  }

  static func same(_ a: AggregateState, _ b: AggregateState) -> Bool {
    a.count == b.count && a.minimum == b.minimum && a.maximum == b.maximum
      && a.sketch == b.sketch && a.firstTime == b.firstTime && a.firstValue == b.firstValue
      && a.lastTime == b.lastTime && a.lastValue == b.lastValue
      && abs(a.sum - b.sum) <= 1e-9 * max(1, abs(b.sum))
      && abs((a.standardDeviation ?? 0) - (b.standardDeviation ?? 0))
        <= 1e-9 * max(1, b.standardDeviation ?? 0)
  }

  @Test func plansSplitBucketsIntoDaysHoursAndRawEdges() throws {
    // 2024-03-30 10:17 UTC to 2024-04-02 05:00 UTC, one bucket: raw 10:17–11:00, hours to
    // Berlin midnight (23:00 UTC), days 31 March (23 hours: summer time) and 1 April, hours
    // on 2 April until 05:00.
    let from = Self.start + Int64(89 * 1440 + 10 * 60 + 17) * Self.minute
    let to = Self.start + Int64(92 * 1440 + 5 * 60) * Self.minute
    let plan = try AggregatePlan(from: from, to: to, width: nil)
    #expect(plan.buckets.count == 1)
    let bucket = plan.buckets[0]
    #expect(bucket.raw == [.init(start: from, end: from + 43 * Self.minute)])
    let dayStart = Self.start + Int64(89 * 1440 + 23 * 60) * Self.minute  // 30 Mar 23:00Z
    let dayEnd = Self.start + Int64(91 * 1440 + 22 * 60) * Self.minute  // 1 Apr 22:00Z (CEST)
    #expect(bucket.days == .init(start: dayStart, end: dayEnd))
    #expect(
      bucket.hours == [
        .init(start: from + 43 * Self.minute, end: dayStart), .init(start: dayEnd, end: to),
      ])
    // A 15-minute bucket width reads raw only, in one range.
    let quarters = try AggregatePlan(from: from, to: to, width: .fixed(seconds: 900))
    #expect(!quarters.readsDays && !quarters.readsHours && quarters.rawRanges.count == 1)
    #expect(throws: AggregatePlan.PlanError.tooManyBuckets(limit: 10)) {
      try AggregatePlan(from: from, to: to, width: .fixed(seconds: 3600), maximumBuckets: 10)
    }
  }

  /// A year of 10-minute data ingested in two halves (the second late, into old cells): for
  /// ragged and aligned ranges and every kind of width, the plan fed with stored cells and
  /// raw edges gives the states computed from all raw points.
  @Test func answersFromRollupsEqualAnswersFromRawData() throws {
    let (times, results) = Self.year()
    let odd = times.indices.filter { $0 % 2 == 1 }
    let even = times.indices.filter { $0 % 2 == 0 }
    var stored: [RollupKey: AggregateState] = [:]
    for part in [odd, even] {
      let deltas = Rollups.deltas(
        stream: 1, times: part.map { times[$0] }, results: part.map { results[$0] })
      for (key, state) in deltas { stored[key, default: AggregateState()].merge(state) }
    }
    let ragged = Self.start + 37 * 1440 * Self.minute + 617 * Self.minute
    let raggedEnd = Self.start + 301 * 1440 * Self.minute + 1111 * Self.minute
    let yearEnd = Self.start + 366 * 1440 * Self.minute
    let cases: [(Int64, Int64, BucketWidth?)] = [
      (Self.start, yearEnd, .fixed(seconds: 3600)), (Self.start, yearEnd, .month),
      (ragged, raggedEnd, .week), (ragged, raggedEnd, .day), (ragged, raggedEnd, nil),
      (ragged, raggedEnd, .fixed(seconds: 5400)), (ragged, raggedEnd, .fixed(seconds: 7 * 3600)),
      (ragged, raggedEnd, .year), (Self.start, yearEnd, .fixed(seconds: 86_400)),
    ]
    for (from, to, width) in cases {
      var plan = try AggregatePlan(from: from, to: to, width: width)
      for (key, state) in stored.sorted(by: { $0.key < $1.key }) {
        plan.add(level: key.level, start: key.start, state: state)
      }
      // Every raw point offered: the plan takes those its buckets read raw.
      for (time, result) in zip(times, results) { plan.add(time: time, value: result) }
      let expected = Self.expected(times, results, from: from, to: to, width: width)
      var answered = 0
      for (bucket, state) in zip(plan.buckets, plan.states) where state.count > 0 {
        answered += 1
        let raw = try #require(expected[bucket.start])
        #expect(Self.same(state, raw), "bucket \(bucket.start) of \(String(describing: width))")
      }
      #expect(answered == expected.count, "\(String(describing: width))")
    }
  }
}
