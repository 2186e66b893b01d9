import Foundation
import Logging
import ORDPAnalyticsAPI
import Testing

@testable import ORDPAnalytics

/// The SQLite store: idempotent writes, late data, rollups kept equal to raw data, reads,
/// retention.
@Suite struct AnalyticsStoreTests {
  static let start: Int64 = 1_719_792_000_000_000  // 2024-07-01T00:00Z
  static let minute: Int64 = 60_000_000

  static func store(capacity: Int = 500) throws -> SQLiteAnalyticsStore {
    try SQLiteAnalyticsStore(
      directory: FileManager.default.temporaryDirectory.appendingPathComponent(
        "ordp-analytics-store-\(UUID().uuidString)"), blockCapacity: capacity)
  }

  static func stream(_ store: SQLiteAnalyticsStore, _ name: String) async throws -> Int64 {
    var datastream = Ordp_Analytics_V1_Datastream()
    datastream.id = name
    datastream.owner = "soest"
    return try await store.insertDatastream(datastream).key
  }

  static func minutes(_ range: Range<Int>, value: (Int) -> Double) -> ObservationColumns {
    ObservationColumns(
      times: range.map { start + Int64($0) * minute }, results: range.map(value))
  }

  @Test func writesAreIdempotentAndRollupsFollowLateData() async throws {
    let store = try Self.store()
    let a = try await Self.stream(store, "a")
    let b = try await Self.stream(store, "b")
    let value: (Int) -> Double = { Double(($0 * 37) % 101) - 30.5 }
    // Three days of minutes for a, in batches of 1000, every third minute left out at first.
    let all = 0..<(3 * 1440)
    let first = all.filter { $0 % 3 != 0 }
    for batch in stride(from: 0, to: first.count, by: 1000) {
      let part = Array(first[batch..<min(batch + 1000, first.count)])
      let columns = ObservationColumns(
        times: part.map { Self.start + Int64($0) * Self.minute }, results: part.map(value))
      let results = try await store.write([
        SeriesWrite(stream: a, columns: columns),
        SeriesWrite(stream: b, columns: Self.minutes(0..<10) { Double($0) }),
      ])
      #expect(results[0] == SeriesWriteResult(added: part.count, duplicates: 0))
      #expect(results[1].added + results[1].duplicates == 10)
    }
    // The late thirds, in one batch, together with a replay of what is stored.
    let replay = try await store.write([
      SeriesWrite(stream: a, columns: Self.minutes(all, value: value))
    ])
    #expect(replay == [SeriesWriteResult(added: 1440, duplicates: 2880)])
    let again = try await store.write([
      SeriesWrite(stream: a, columns: Self.minutes(all) { _ in 0 })
    ])
    #expect(again == [SeriesWriteResult(added: 0, duplicates: 4320)])

    let stored = try await store.observations(
      stream: a, from: .min, to: .max, limit: 100_000)
    #expect(stored == Self.minutes(all, value: value))
    let window = try await store.observations(
      stream: a, from: Self.start + 100 * Self.minute, to: .max, limit: 7)
    #expect(window.times == (100..<107).map { Self.start + Int64($0) * Self.minute })

    // Ragged hourly and daily answers from the store equal those from the raw points.
    let times = stored.times
    let results = stored.results
    // Short ranges put two raw edges into one stored block.
    let cases: [(Int, Int, BucketWidth?)] = [
      (17, 4000, .fixed(seconds: 3600)), (17, 4000, .day), (17, 4000, .fixed(seconds: 600)),
      (17, 137, nil), (17, 137, .fixed(seconds: 3600)), (1439, 1501, nil),
    ]
    for (fromMinute, toMinute, width) in cases {
      let from = Self.start + Int64(fromMinute) * Self.minute
      let to = Self.start + Int64(toMinute) * Self.minute
      let plan = try AggregatePlan(from: from, to: to, width: width)
      let filled = try await store.fill([(stream: a, plan: plan)])[0]
      let expected = RollupTests.expected(times, results, from: from, to: to, width: width)
      let answered = zip(filled.buckets, filled.states).filter { $0.1.count > 0 }
      #expect(answered.count == expected.count)
      for (bucket, state) in answered {
        #expect(RollupTests.same(state, try #require(expected[bucket.start])))
      }
    }
    let latest = try await store.latest(streams: [a, b, 99])
    #expect(latest[a] == LatestObservation(time: times.last!, result: results.last!, quality: 0))
    #expect(latest[b]?.result == 9 && latest[99] == nil)
  }

  @Test func expiryRemovesOldBlocksAndCellsInSteps() async throws {
    let store = try Self.store(capacity: 100)
    let a = try await Self.stream(store, "a")
    _ = try await store.write([SeriesWrite(stream: a, columns: Self.minutes(0..<2880) { _ in 1 })])
    // Raw observations before the second day go (whole blocks, and the front of the block
    // holding midnight), rollup cells that ended before it too.
    let cutoff = Self.start + 1440 * Self.minute
    var deleted = 0
    while true {
      let step = try await store.expire(
        stream: a, rawBefore: cutoff, rollupsBefore: cutoff, limit: 5)
      #expect(step <= 5)
      deleted += step
      if step < 5 { break }
    }
    let left = try await store.observations(stream: a, from: .min, to: .max, limit: 10_000)
    #expect(left.times.first == cutoff && left.count == 1440)
    #expect(left.times.last == Self.start + 2879 * Self.minute)
    let plan = try AggregatePlan(
      from: Self.start, to: Self.start + 2880 * Self.minute, width: .fixed(seconds: 3600))
    let filled = try await store.fill([(stream: a, plan: plan)])[0]
    let hours = zip(filled.buckets, filled.states).filter { $0.1.count > 0 }.map(\.0.start)
    #expect(hours.first == cutoff - 3_600_000_000 || hours.first == cutoff)
    #expect(hours.count <= 25 && hours.count >= 24)
    #expect(deleted > 14)
  }
}

/// Partial state: two partitions' answers, sent as `PartialState` and merged, equal the answer
/// of one store holding all the data (what the gateway does with several analytics instances).
@Suite struct PartitionMergeTests {
  @Test func partitionsMergeToTheAnswerOfOneInstance() async throws {
    let whole = try AnalyticsStoreTests.store()
    let partitions = [try AnalyticsStoreTests.store(), try AnalyticsStoreTests.store()]
    let start = AnalyticsStoreTests.start
    let minute = AnalyticsStoreTests.minute
    var wholeKeys: [Int64] = []
    var partitionKeys: [[Int64]] = [[], []]
    // Four streams of 5 days; streams 0 and 1 in partition 0, 2 and 3 in partition 1; one
    // late batch goes to each too.
    for stream in 0..<4 {
      wholeKeys.append(try await AnalyticsStoreTests.stream(whole, "s\(stream)"))
      partitionKeys[stream / 2].append(
        try await AnalyticsStoreTests.stream(partitions[stream / 2], "s\(stream)"))
      let columns = AnalyticsStoreTests.minutes(0..<(5 * 1440)) {
        Double(($0 * (stream + 3) * 7919) % 997) / 7 - Double(stream)
      }
      _ = try await whole.write([SeriesWrite(stream: wholeKeys[stream], columns: columns)])
      _ = try await partitions[stream / 2].write([
        SeriesWrite(stream: partitionKeys[stream / 2][stream % 2], columns: columns)
      ])
    }
    let from = start + 333 * minute
    let to = start + 6000 * minute
    for width in [BucketWidth.fixed(seconds: 3600), .day, nil] {
      let plan = try AggregatePlan(from: from, to: to, width: width)
      // Grouped across all streams (e.g. by town): merge every stream's states per bucket.
      func merged(_ plans: [AggregatePlan]) -> [AggregateState] {
        plans.dropFirst().reduce(into: plans[0].states) { states, next in
          for index in states.indices { states[index].merge(next.states[index]) }
        }
      }
      let reference = merged(try await whole.fill(wholeKeys.map { ($0, plan) }))
      var combined = Array(repeating: AggregateState(), count: plan.buckets.count)
      for (store, keys) in zip(partitions, partitionKeys) {
        let answer = merged(try await store.fill(keys.map { ($0, plan) }))
        for (index, state) in answer.enumerated() {
          // Over the wire and back, as the gateway receives it.
          let wire = try Ordp_Analytics_V1_PartialState(
            serializedBytes: try state.partial.serializedBytes() as [UInt8])
          combined[index].merge(try AggregateState(partial: wire))
        }
      }
      for (ours, theirs) in zip(combined, reference) {
        #expect(RollupTests.same(ours, theirs))
        #expect(ours.value(of: .p95).isNaN || ours.value(of: .p95) == theirs.value(of: .p95))
      }
    }
  }
}

/// Group commit: batches submitted together are written together, in submission order.
@Suite struct WriteCoalescerTests {
  @Test func batchesCommitInOrderAndEachGetsItsOwnResults() async throws {
    let store = try AnalyticsStoreTests.store()
    let key = try await AnalyticsStoreTests.stream(store, "a")
    let service = AnalyticsService(
      store: store, logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    // 50 batches of 100 minutes, each overlapping the previous by half: in submission order
    // every batch adds 50 new observations (the first 100) and finds 50 duplicates.
    let promises = (0..<50).map { index in
      service.writer.submit([
        SeriesWrite(
          stream: key,
          columns: AnalyticsStoreTests.minutes((index * 50)..<(index * 50 + 100)) { Double($0) })
      ])
    }
    var results: [SeriesWriteResult] = []
    for promise in promises { results += try await promise.value }
    #expect(results[0] == SeriesWriteResult(added: 100, duplicates: 0))
    #expect(results.dropFirst().allSatisfy { $0 == SeriesWriteResult(added: 50, duplicates: 50) })
    let stored = try await store.observations(stream: key, from: .min, to: .max, limit: 10_000)
    #expect(stored.count == 50 * 50 + 50)
  }
}

/// Retention: a stream's own retention wins over its town's; without either nothing expires.
@Suite struct RetentionSweeperTests {
  @Test func aStreamsOwnRetentionWinsOverItsTowns() async throws {
    let store = try AnalyticsStoreTests.store()
    let day: Int64 = 86_400_000_000
    let now = AnalyticsStoreTests.start + 10 * day
    var keys: [String: Int64] = [:]
    for (id, owner, ownDays) in [
      ("own", "soest", UInt32(2)), ("town", "soest", 0), ("none", "olpe", 0),
    ] {
      var stream = Ordp_Analytics_V1_Datastream()
      stream.id = id
      stream.owner = owner
      if ownDays > 0 {
        stream.retention.rawDays = ownDays
        stream.retention.rollupDays = ownDays
      }
      keys[id] = try await store.insertDatastream(stream).key
      // Ten days of hourly observations up to `now`.
      let times = (0..<240).map { AnalyticsStoreTests.start + Int64($0) * 3_600_000_000 }
      _ = try await store.write([
        SeriesWrite(
          stream: keys[id]!,
          columns: ObservationColumns(times: times, results: times.map { _ in 1 }))
      ])
    }
    try await store.setTownRetention(
      owner: "soest",
      .with {
        $0.rawDays = 5
        $0.rollupDays = 5
      })
    let service = AnalyticsService(
      store: store, logger: .init(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
      clock: { now })
    try await service.start()
    let sweeper = RetentionSweeper(service: service, logger: service.logger)
    #expect(try await sweeper.sweep() > 0)
    for (id, days) in [("own", Int64(2)), ("town", 5), ("none", 11)] {
      let left = try await store.observations(stream: keys[id]!, from: .min, to: .max, limit: 1000)
      let earliest = max(AnalyticsStoreTests.start, now - days * day)
      #expect(left.times.first == earliest, "\(id)")
      #expect(
        left.count
          == Int((AnalyticsStoreTests.start + 240 * 3_600_000_000 - earliest) / 3_600_000_000),
        "\(id)")
    }
  }
}
