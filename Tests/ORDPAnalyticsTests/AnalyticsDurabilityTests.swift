import Foundation
import ORDPAnalyticsAPI
import ORDPRPC
import ORDPTestSupport
import Synchronization
import Testing

/// Acknowledged batches survive `kill -9`; replays after a crash change nothing; a client
/// that breaks off mid-stream harms nobody else; retention expires data while ingest goes on.
@Suite struct AnalyticsDurabilityTests {
  static let minute: Int64 = 60_000_000

  /// 200 batches of 500 consecutive minutes each.
  static func batches(_ stream: String, base: Int64) -> [Ordp_Analytics_V1_IngestBatch] {
    (0..<200).map { index in
      let times = (0..<500).map { base + Int64(index * 500 + $0) * minute }
      return batch(UInt64(index), [series(stream, times, times.map { Double($0 % 1000) })])
    }
  }

  @Test func acknowledgedBatchesSurviveSIGKILLAndReplaysChangeNothing() async throws {
    let platform = try await AnalyticsPlatform()
    defer { platform.stop() }
    let stream = try await platform.create("Zählstelle")
    let base = thisMinute() - 200 * 500 * Self.minute
    let batches = Self.batches(stream.id, base: base)
    let data = platform.analytics.dataDirectory
    let acked = Mutex<[UInt64]>([])
    // Ingest until 20 batches are acknowledged, then kill the process without warning.
    let call = Task {
      try await platform.client.ingest(
        options: platform.options("soest.sensors"),
        requests: { writer in for batch in batches { try await writer.write(batch) } },
        onResponse: { acks in
          for try await ack in acks {
            let count = acked.withLock {
              $0.append(ack.batchID)
              return $0.count
            }
            if count == 20 { kill(platform.analytics.process.processIdentifier, SIGKILL) }
          }
        })
    }
    _ = await call.result
    platform.analytics.process.waitUntilExit()
    let acknowledged = acked.withLock { $0 }
    #expect(acknowledged.count >= 20 && acknowledged == Array(0..<UInt64(acknowledged.count)))
    // The kill came mid-stream: not everything was acknowledged.
    #expect(acknowledged.count < 200)

    let restarted = try await ServiceProcess.start(
      "ordp-analytics", arguments: AnalyticsPlatform.arguments(platform.identity),
      dataDirectory: data)
    defer { restarted.stop() }
    let channel = try restarted.channel()
    defer { channel.close() }
    let client = Ordp_Analytics_V1_Analytics_Client(channel: channel)
    func stored() async throws -> [Int64] {
      try await client.readObservations(
        .with {
          $0.streams.datastreamIds = [stream.id]
          $0.pageSize = 100_000
        }, options: platform.options("soest.viewer")
      ) { pages in
        var times: [Int64] = []
        for try await page in pages { times += page.series.flatMap(\.timesMicros) }
        return times
      }
    }
    let survived = Set(try await stored())
    for id in acknowledged {
      #expect(batches[Int(id)].series[0].timesMicros.allSatisfy(survived.contains), "batch \(id)")
    }
    // Replaying everything stores each observation exactly once.
    let replay = try await client.ingest(
      options: platform.options("soest.sensors"),
      requests: { writer in for batch in batches { try await writer.write(batch) } },
      onResponse: { acks in
        var counts = (accepted: UInt64(0), duplicates: UInt64(0))
        for try await ack in acks {
          counts.accepted += ack.accepted
          counts.duplicates += ack.duplicates
        }
        return counts
      })
    #expect(replay.accepted + replay.duplicates == 100_000)
    #expect(replay.duplicates == UInt64(survived.count))
    let all = try await stored()
    #expect(all.count == 100_000 && Set(all).count == 100_000)
    // Rollups agree with the raw data after the crash: the yearly count from hour and day
    // cells plus raw edges is every observation.
    let count = try await client.aggregate(
      .with {
        $0.streams.datastreamIds = [stream.id]
        $0.fromMicros = base - 7 * Self.minute
        $0.toMicros = base + 100_000 * Self.minute
        $0.functions = [.count]
      }, options: platform.options("soest.viewer")
    ) { pages in
      var total = 0.0
      for try await page in pages { total += page.rows.reduce(0) { $0 + $1.values[0] } }
      return total
    }
    #expect(count == 100_000)
  }

  @Test func aClientBreakingOffHarmsNobodyElse() async throws {
    let platform = try await AnalyticsPlatform()
    defer { platform.stop() }
    let broken = try await platform.create("Abgebrochen")
    let steady = try await platform.create("Stetig")
    let base = thisMinute() - 200 * 500 * Self.minute
    struct BrokeOff: Error {}
    async let breaking = statusOf {
      try await platform.client.ingest(
        options: platform.options("soest.sensors"),
        requests: { writer in
          for batch in Self.batches(broken.id, base: base).prefix(5) {
            try await writer.write(batch)
          }
          throw BrokeOff()
        }, onResponse: { acks in for try await _ in acks {} })
    }
    async let steadyAcks = platform.ingest(
      Array(Self.batches(steady.id, base: base).prefix(40)), as: "soest.sensors")
    let (error, acks) = try await (breaking, steadyAcks)
    #expect(error != nil)
    #expect(acks.map(\.batchID) == Array(0..<40) && acks.allSatisfy { $0.accepted == 500 })
    // The service still answers.
    let latest = try await platform.client.latest(.with { $0.streams.datastreamIds = [steady.id] })
    #expect(latest.values.first?.timeMicros == base + Int64(40 * 500 - 1) * Self.minute)
  }

  @Test func retentionExpiresDataWhileIngestGoesOn() async throws {
    let platform = try await AnalyticsPlatform(extraArguments: ["--retention-interval", "1"])
    defer { platform.stop() }
    let stream = try await platform.create("Pegel", property: "water_level")
    let day: Int64 = 1440 * Self.minute
    let now = thisMinute()
    let hourAgo = (now - 2 * 60 * Self.minute) / (60 * Self.minute) * (60 * Self.minute)
    let ranges = [hourAgo - 3 * day, hourAgo - day - day / 2, hourAgo]
    let series = ranges.map { start in (0..<60).map { start + Int64($0) * Self.minute } }
    let acks = try await platform.ingest(
      series.enumerated().map {
        batch(
          UInt64($0.offset),
          [ORDPAnalyticsTests.series(stream.id, $0.element, $0.element.map { _ in 1 })])
      },
      as: "soest.sensors")
    #expect(acks.allSatisfy { $0.accepted == 60 })
    /// Raw observations left in the two old hours, and each hour's count from the aggregate.
    func counts() async throws -> (raw: Int, hours: [Double]) {
      let pages = try await platform.read(
        .with {
          $0.streams.datastreamIds = [stream.id]
          $0.fromMicros = ranges[0]
          $0.toMicros = ranges[1] + 60 * Self.minute
        }, as: nil)
      let hours = try await ranges.asyncMap { start in
        try await platform.aggregate(
          .with {
            $0.streams.datastreamIds = [stream.id]
            $0.fromMicros = start
            $0.toMicros = start + 60 * Self.minute
            $0.functions = [.count]
          }, as: nil
        ).first?.values[0] ?? 0
      }
      return (pages.reduce(0) { $0 + $1.series.reduce(0) { $0 + $1.timesMicros.count } }, hours)
    }
    // Everything is there before a retention applies (the sweeper runs every second).
    let before = try await counts()
    #expect(before.raw == 120 && before.hours == [60, 60, 60])
    // Only a town admin sets the town's retention.
    var request = Ordp_Analytics_V1_SetTownRetentionRequest()
    request.owner = "soest"
    request.retention.rawDays = 1
    request.retention.rollupDays = 2
    let denied = await statusOf {
      try await platform.client.setTownRetention(request, options: platform.options("soest.editor"))
    }
    #expect(denied?.code == .permissionDenied)
    _ = try await platform.client.setTownRetention(
      request, options: platform.options("soest.admin"))

    var waited = 0
    var current = before
    while (current.raw != 0 || current.hours[0] != 0) && waited < 100 {
      // Ingest goes on meanwhile, acknowledged as usual.
      let more = try await platform.ingest(
        [
          batch(
            UInt64(100 + waited),
            [ORDPAnalyticsTests.series(stream.id, [now - Int64(waited + 1)], [2])])
        ], as: "soest.sensors")
      #expect(more.first?.accepted == 1)
      try await Task.sleep(for: .milliseconds(100))
      waited += 1
      current = try await counts()
    }
    // Raw data older than a day is gone; the hour 1.5 days back still answers from its
    // rollup cell (kept 2 days); the hour 3 days back is gone entirely.
    #expect(current.raw == 0)
    #expect(current.hours == [0, 60, 60])
  }
}

extension Array {
  func asyncMap<T>(_ transform: (Element) async throws -> T) async throws -> [T] {
    var result: [T] = []
    for element in self { result.append(try await transform(element)) }
    return result
  }
}
