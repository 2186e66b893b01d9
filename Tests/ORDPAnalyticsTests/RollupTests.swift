import ORDPAnalytics
import Testing

@Suite struct RollupTests {
  @Test func levelsTileTheBucketsTheyServe() {
    #expect(RollupLevel.coarsest(for: .fixed(seconds: 900)) == .minute)
    #expect(RollupLevel.coarsest(for: .fixed(seconds: 7200)) == .hour)
    #expect(RollupLevel.coarsest(for: .fixed(seconds: 90)) == nil)
    #expect(RollupLevel.coarsest(for: .month) == .day)
  }

  /// A year of 10-minute data in two ingests (the second late, into old cells): hourly and
  /// monthly answers from the rollups equal those computed from the raw observations.
  @Test func answersFromRollupsEqualAnswersFromRawData() {
    let start: Int64 = 1_704_067_200_000_000  // 2024-01-01T00:00Z
    let step: Int64 = 600_000_000
    var times: [Int64] = []
    var results: [Double] = []
    for index in 0..<(366 * 144) {
      times.append(start + Int64(index) * step)
      results.append(Double((index * 7919) % 1000) / 10 - 20)
    }
    // Ingest: odd items first, even items later (late data).
    let odd = times.indices.filter { $0 % 2 == 1 }
    let even = times.indices.filter { $0 % 2 == 0 }
    var stored: [RollupKey: AggregateState] = [:]
    for part in [odd, even] {
      let deltas = Rollups.deltas(
        stream: 1, times: part.map { times[$0] }, results: part.map { results[$0] })
      for (key, state) in deltas { stored[key, default: AggregateState()].merge(state) }
    }
    for width in [BucketWidth.fixed(seconds: 3600), .month, .week] {
      let level = RollupLevel.coarsest(for: width)!
      var fromRollups: [Int64: AggregateState] = [:]
      for (key, state) in stored where key.level == level {
        let bucket = BerlinCalendar.bucket(containing: key.start, width: width).start
        fromRollups[bucket, default: AggregateState()].merge(state)
      }
      var fromRaw: [Int64: AggregateState] = [:]
      for (time, result) in zip(times, results) {
        fromRaw[
          BerlinCalendar.bucket(containing: time, width: width).start, default: AggregateState()
        ]
        .add(time: time, value: result)
      }
      #expect(Set(fromRollups.keys) == Set(fromRaw.keys))
      for (bucket, raw) in fromRaw {
        let rolled = fromRollups[bucket]!
        #expect(rolled.count == raw.count && rolled.minimum == raw.minimum)
        #expect(rolled.maximum == raw.maximum && rolled.sketch == raw.sketch)
        #expect(rolled.firstTime == raw.firstTime && rolled.lastValue == raw.lastValue)
        #expect(abs(rolled.sum - raw.sum) <= 1e-9 * max(1, abs(raw.sum)))
        #expect(
          abs(rolled.standardDeviation! - raw.standardDeviation!)
            <= 1e-9 * max(1, raw.standardDeviation!))
      }
    }
  }
}
