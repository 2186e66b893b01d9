import Foundation
import ORDPAnalyticsAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// Analytics in two partitions behind a real gateway, next to one analytics instance holding
/// every town's demo sensors: the merged answers must be the one instance's.
final class PartitionedAnalytics: Sendable {
  let identity: IdentityProcess
  let whole: ServiceProcess
  let partitions: [ServiceProcess]
  let gateway: ServiceProcess
  let topologyFile: URL

  static func startAnalytics(
    _ identity: IdentityProcess, towns: [String]?
  ) async throws
    -> ServiceProcess
  {
    try await ServiceProcess.start(
      "ordp-analytics",
      arguments: ReplicaPlatform.identityArguments(identity) + [
        "--demo-sensors", "--demo-time", "\(ReplicaPlatform.demoTime)",
      ] + (towns.map { ["--demo-towns", $0.joined(separator: ",")] } ?? []))
  }

  init(gatewayArguments: [String] = []) async throws {
    identity = try await IdentityProcess.start()
    whole = try await Self.startAnalytics(identity, towns: nil)
    partitions = [
      try await Self.startAnalytics(identity, towns: PartitionedCatalogue.west),
      try await Self.startAnalytics(identity, towns: PartitionedCatalogue.east),
    ]
    topologyFile = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-topology-\(UUID().uuidString).json")
    func list(_ items: [String]) -> String { items.map { "\"\($0)\"" }.joined(separator: ", ") }
    try """
    {"identity": {"replicas": ["127.0.0.1:\(identity.port)"]},
     "catalogue": {"partitions": [{"name": "all", "default": true, "replicas": ["127.0.0.1:9"]}]},
     "analytics": {"partitions": [
       {"name": "west", "towns": [\(list(PartitionedCatalogue.west))], "replicas": ["127.0.0.1:\(partitions[0].port)"]},
       {"name": "east", "towns": [\(list(PartitionedCatalogue.east))], "default": true, "replicas": ["127.0.0.1:\(partitions[1].port)"]}]}}
    """.write(to: topologyFile, atomically: true, encoding: .utf8)
    gateway = try await ReplicaPlatform.startGateway(
      identity: identity, topology: topologyFile, arguments: gatewayArguments)
  }

  func stop() {
    for p in [gateway, whole] + partitions { p.stop(signal: SIGKILL) }
    identity.stop()
    try? FileManager.default.removeItem(at: topologyFile)
  }

  func client(_ process: ServiceProcess) throws -> Ordp_Analytics_V1_Analytics_Client {
    Ordp_Analytics_V1_Analytics_Client(channel: try process.channel())
  }
}

/// Whether two aggregate values agree: equal, both NaN, or within 1e-9 relative (states merged
/// in another order round differently in the last bits).
func agree(_ a: Double, _ b: Double) -> Bool {
  if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
  return a == b || abs(a - b) <= 1e-9 * max(abs(a), abs(b))
}

/// Every observation of a raw read from `request`, flattened (stream, time, result, quality),
/// and its pages' sizes and cursors.
func readAll(
  _ client: Ordp_Analytics_V1_Analytics_Client,
  _ request: Ordp_Analytics_V1_ReadObservationsRequest,
  options: CallOptions = .defaults
) async throws -> (observations: [String], pages: [(count: Int, cursor: String)]) {
  try await client.readObservations(request, options: options) { stream in
    var observations: [String] = []
    var pages: [(count: Int, cursor: String)] = []
    for try await page in stream {
      var count = 0
      for series in page.series {
        for i in series.timesMicros.indices {
          observations.append(
            "\(series.datastreamID) \(series.timesMicros[i]) \(series.results[i]) \(series.qualities.isEmpty ? 0 : series.qualities[i])"
          )
        }
        count += series.timesMicros.count
      }
      pages.append((count, page.cursor))
    }
    return (observations, pages)
  }
}

@Suite(.serialized) struct AnalyticsPartitionTests {
  @Test func mergedAnalyticsAnswersEqualOneInstanceHoldingEveryTown() async throws {
    let platform = try await PartitionedAnalytics()
    defer { platform.stop() }
    let merged = try platform.client(platform.gateway)
    let whole = try platform.client(platform.whole)
    let admin = bearer(
      try await Ordp_Identity_V1_Identity_Client(channel: try platform.identity.channel())
        .login("admin", IdentityProcess.adminPassword).accessToken)

    for options in [CallOptions.defaults, admin] {
      let a = try await merged.latest(.init(), options: options)
      let b = try await whole.latest(.init(), options: options)
      #expect(a.values == b.values)
      #expect(a.values.count > 10)
      #expect(a.partitions.map(\.code) == [0, 0])

      // Listing in pages of 7: the same streams in the same order.
      func listAll(_ client: Ordp_Analytics_V1_Analytics_Client) async throws -> [String] {
        var request = Ordp_Analytics_V1_ListDatastreamsRequest()
        request.pageSize = 7
        var ids: [String] = []
        for _ in 0..<100 {
          let page = try await client.listDatastreams(request, options: options)
          ids += page.datastreams.map(\.id)
          if page.nextPageToken.isEmpty { break }
          request.pageToken = page.nextPageToken
        }
        return ids
      }
      let listed = try await listAll(merged)
      #expect(listed == (try await listAll(whole)))
      #expect(listed.count == b.values.count)
    }

    let end = ReplicaPlatform.demoTime
    for group in [Ordp_Analytics_V1_GroupBy.stream, .town, .observedProperty] {
      var request = Ordp_Analytics_V1_AggregateRequest()
      request.fromMicros = end - 14 * 86_400_000_000
      request.toMicros = end
      request.bucket.calendar = .day
      request.groupBy = group
      request.functions = [.count, .sum, .min, .max, .avg, .stddev, .first, .last, .p50, .p99]
      func rows(
        _ client: Ordp_Analytics_V1_Analytics_Client
      ) async throws
        -> [Ordp_Analytics_V1_AggregateRow]
      {
        try await client.aggregate(request, options: admin) { stream in
          var rows: [Ordp_Analytics_V1_AggregateRow] = []
          for try await page in stream { rows += page.rows }
          return rows
        }
      }
      let a = try await rows(merged)
      let b = try await rows(whole)
      #expect(a.count == b.count, "\(group)")
      #expect(a.count > 20)
      #expect(a.map(\.group) == b.map(\.group))
      #expect(a.map(\.bucketStartMicros) == b.map(\.bucketStartMicros))
      #expect(a.map(\.bucketEndMicros) == b.map(\.bucketEndMicros))
      let disagreeing = zip(a, b).filter { x, y in
        x.values.count != y.values.count || !zip(x.values, y.values).allSatisfy(agree)
      }
      #expect(
        disagreeing.isEmpty, "\(group): \(disagreeing.prefix(2).map { ($0.0.values, $0.1.values) })"
      )
    }
  }

  @Test func aRawReadMergedFromPartitionsEqualsOneInstanceAndResumesByItsCursor() async throws {
    let platform = try await PartitionedAnalytics()
    defer { platform.stop() }
    let merged = try platform.client(platform.gateway)
    let whole = try platform.client(platform.whole)
    var request = Ordp_Analytics_V1_ReadObservationsRequest()
    request.fromMicros = ReplicaPlatform.demoTime - 2 * 86_400_000_000
    request.toMicros = ReplicaPlatform.demoTime
    request.pageSize = 997
    let a = try await readAll(merged, request)
    let b = try await readAll(whole, request)
    // Both partitions' streams, in one instance's order (by stream id, then time).
    #expect(a.observations.count > 3 * 997)
    #expect(a.observations == b.observations)
    #expect(a.observations.contains { $0.contains("olpe") })
    #expect(a.observations.contains { $0.contains("soest") })
    #expect(a.pages.dropLast().allSatisfy { $0.count == 997 && !$0.cursor.isEmpty })
    #expect(a.pages.last?.cursor == "")
    #expect(a.pages.map(\.cursor) == b.pages.map(\.cursor))
    // Resumed after the third page: exactly the rest.
    request.cursor = a.pages[2].cursor
    let rest = try await readAll(merged, request)
    #expect(rest.observations == Array(a.observations.dropFirst(3 * 997)))
    // A selection of one partition's towns goes there alone; a bad cursor is the caller's.
    request.cursor = ""
    request.streams.owners = ["olpe"]
    let olpe = try await readAll(merged, request).observations
    #expect(!olpe.isEmpty && olpe.allSatisfy { $0.hasPrefix("demo-olpe-") })
    request.cursor = "not-a-cursor"
    #expect(await statusOf { try await readAll(merged, request) }?.code == .invalidArgument)
  }

  @Test func aSelectionByStreamIDsAsksThePartitionsThatHoldThem() async throws {
    let platform = try await PartitionedAnalytics()
    defer { platform.stop() }
    let merged = try platform.client(platform.gateway)
    let whole = try platform.client(platform.whole)
    let all = try await whole.latest(.init()).values.map(\.datastreamID)
    let olpe = all.filter { $0.hasPrefix("demo-olpe-") }
    let soest = all.filter { $0.hasPrefix("demo-soest-") }
    try #require(!olpe.isEmpty && !soest.isEmpty)
    let end = ReplicaPlatform.demoTime
    // Both partitions' streams, one partition's, in the caller's order with a repeat.
    for ids in [[soest[0], olpe[0]] + Array(olpe.dropFirst()) + [soest[0]], soest] {
      let selector = Ordp_Analytics_V1_StreamSelector.with { $0.datastreamIds = ids }
      let a = try await merged.latest(.with { $0.streams = selector })
      let b = try await whole.latest(.with { $0.streams = selector })
      #expect(a.values == b.values)
      #expect(a.values.count == Set(ids).count)
      let listA = try await merged.listDatastreams(.with { $0.streams = selector })
      let listB = try await whole.listDatastreams(.with { $0.streams = selector })
      #expect(listA.datastreams.map(\.id) == listB.datastreams.map(\.id))
      var aggregate = Ordp_Analytics_V1_AggregateRequest()
      aggregate.streams = selector
      aggregate.fromMicros = end - 86_400_000_000
      aggregate.toMicros = end
      aggregate.functions = [.count, .avg]
      func rows(_ client: Ordp_Analytics_V1_Analytics_Client) async throws -> [String] {
        try await client.aggregate(aggregate) { stream in
          var rows: [String] = []
          for try await page in stream { rows += page.rows.map { "\($0.group) \($0.values)" } }
          return rows
        }
      }
      #expect(try await rows(merged) == (try await rows(whole)))
      var read = Ordp_Analytics_V1_ReadObservationsRequest()
      read.streams = selector
      read.fromMicros = end - 86_400_000_000
      read.pageSize = 100
      let readA = try await readAll(merged, read).observations
      #expect(!readA.isEmpty)
      #expect(readA == (try await readAll(whole, read).observations))
    }
    // An id no partition holds: NOT_FOUND, as from one instance.
    let missing = Ordp_Analytics_V1_LatestRequest.with {
      $0.streams.datastreamIds = [olpe[0], "no-such-stream"]
    }
    #expect(await statusOf { try await merged.latest(missing) }?.code == .notFound)
    #expect(await statusOf { try await whole.latest(missing) }?.code == .notFound)
  }

  @Test func anIngestBatchIsSplitByPartitionAndAcknowledgedAsOne() async throws {
    let platform = try await PartitionedAnalytics()
    defer { platform.stop() }
    let merged = try platform.client(platform.gateway)
    let admin = bearer(
      try await Ordp_Identity_V1_Identity_Client(channel: try platform.identity.channel())
        .login("admin", IdentityProcess.adminPassword).accessToken)
    let time = ReplicaPlatform.demoTime + 60_000_000
    @Sendable func series(_ id: String, _ values: [Double]) -> Ordp_Analytics_V1_Series {
      .with {
        $0.datastreamID = id
        $0.timesMicros = values.indices.map { time + Int64($0) * 1_000_000 }
        $0.results = values
      }
    }
    let acks = try await merged.ingest(options: admin) { writer in
      try await writer.write(
        .with {
          $0.batchID = 7
          $0.series = [
            series("demo-olpe-water-level", [101, 102]),  // east
            series("demo-soest-water-level", [201]),  // west
            series("nirgendwo", [1]),  // no partition knows it
            .with {  // malformed: two times, one result
              $0.datastreamID = "demo-menden-water-level"
              $0.timesMicros = [time, time + 1]
              $0.results = [1]
            },
          ]
        })
      try await writer.write(.with { $0.batchID = 8 })
      try await writer.write(
        .with {
          $0.batchID = 9
          $0.series = [series("demo-olpe-water-level", [101, 102])]  // a replay
        })
    } onResponse: { stream in
      var acks: [Ordp_Analytics_V1_IngestAck] = []
      for try await ack in stream { acks.append(ack) }
      return acks
    }
    let byID = Dictionary(uniqueKeysWithValues: acks.map { ($0.batchID, $0) })
    #expect(acks.count == 3)
    let first = try #require(byID[7])
    #expect(first.accepted == 3)
    #expect(first.rejected == 3)
    #expect(first.rejections.map(\.seriesIndex) == [2, 3])
    #expect(first.rejections.map(\.reason) == [.unknownStream, .malformed])
    #expect(byID[8]?.accepted == 0)
    #expect(byID[9]?.duplicates == 2)
    // Each observation is in its town's partition, and only there.
    let east = try platform.client(platform.partitions[1])
    let west = try platform.client(platform.partitions[0])
    let olpe = try await east.latest(
      .with { $0.streams.datastreamIds = ["demo-olpe-water-level"] }, options: admin)
    #expect(olpe.values.first?.result == 102)
    let soest = try await west.latest(
      .with { $0.streams.datastreamIds = ["demo-soest-water-level"] }, options: admin)
    #expect(soest.values.first?.result == 201)
    #expect(
      await statusOf {
        try await west.getDatastream(.with { $0.id = "demo-olpe-water-level" }, options: admin)
      }?.code == .notFound)
  }

  @Test func aPartitionDownLeavesTheOthersAnswerWithItsStatus() async throws {
    let platform = try await PartitionedAnalytics(gatewayArguments: ["--partition-timeout", "1"])
    defer { platform.stop() }
    let merged = try platform.client(platform.gateway)
    platform.partitions[1].stop(signal: SIGKILL)
    let latest = try await merged.latest(.init())
    #expect(latest.partitions.map(\.code) == [0, UInt32(StatusCode.unavailable.rawValue)])
    #expect(latest.partitions[1].towns == PartitionedCatalogue.east.sorted())
    #expect(latest.values.allSatisfy { !$0.datastreamID.contains("olpe") })
    #expect(!latest.values.isEmpty)
    var request = Ordp_Analytics_V1_AggregateRequest()
    request.fromMicros = ReplicaPlatform.demoTime - 86_400_000_000
    request.toMicros = ReplicaPlatform.demoTime
    request.groupBy = .town
    request.functions = [.count]
    let first = try await merged.aggregate(request) { stream in
      var pages: [Ordp_Analytics_V1_AggregateResponse] = []
      for try await page in stream { pages.append(page) }
      return pages
    }
    #expect(first.first?.partitions.map(\.partition) == ["west", "east"])
    #expect(first.first?.partitions.last?.code == UInt32(StatusCode.unavailable.rawValue))
    #expect(Set(first.flatMap(\.rows).map(\.group)).isSubset(of: Set(PartitionedCatalogue.west)))
    // A raw read has no place for a partition's status: it fails, naming the partition.
    var read = Ordp_Analytics_V1_ReadObservationsRequest()
    read.fromMicros = ReplicaPlatform.demoTime - 86_400_000_000
    let failed = await statusOf { try await readAll(merged, read) }
    #expect(failed?.code == .unavailable)
    #expect(failed?.message.contains("east") == true, "\(String(describing: failed))")
  }
}
