import Foundation
import ORDPAnalyticsAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// Identity and analytics as real processes over TLS: datastreams, ingest, queries, errors.
@Suite struct AnalyticsEndToEndTests {
  static let minute: Int64 = 60_000_000

  @Test func datastreamsFollowOwnershipAndAccessLevels() async throws {
    let platform = try await AnalyticsPlatform()
    defer { platform.stop() }
    let open = try await platform.create("Zählstelle Brüdertor", location: (8.1, 51.57))
    #expect(!open.id.isEmpty && open.accessLevel == .public && open.createdMicros > 0)
    let secret = try await platform.create("Schulen CO2", property: "co2", access: .restricted)
    let internalStream = try await platform.create(
      "Pegel", property: "water_level", access: .internal)

    // Writes: analytics:ingest in the owning town only.
    #expect(
      await statusOf { try await platform.create("X", as: "soest.viewer") }?.code
        == .permissionDenied)
    #expect(
      await statusOf { try await platform.create("X", as: "olpe.editor") }?.code
        == .permissionDenied)
    #expect(
      await statusOf { try await platform.create("X", as: "soest.dashboard") }?.code
        == .permissionDenied)
    let anonymous = await statusOf {
      try await platform.client.createDatastream(.with { $0.datastream.owner = "soest" })
    }
    #expect(anonymous?.code == .unauthenticated)
    let viaService = try await platform.create("Sensor", as: "soest.sensors")
    #expect(viaService.owner == "soest")

    // Reads: hidden answers like missing.
    func get(_ id: String, _ user: String?) async -> RPCError? {
      await statusOf {
        try await platform.client.getDatastream(
          .with { $0.id = id }, options: platform.options(user))
      }
    }
    #expect(await get(open.id, nil) == nil)
    #expect(await get(internalStream.id, nil)?.code == .notFound)
    #expect(await get(internalStream.id, "olpe.editor") == nil)
    #expect(await get(secret.id, "soest.viewer") == nil)
    let hidden = await get(secret.id, "olpe.editor")
    let missing = await get("no-such-stream", "olpe.editor")
    #expect(hidden?.code == .notFound && hidden?.message == "datastream \(secret.id) not found")
    #expect(missing?.code == .notFound)
    let listed = try await platform.client.listDatastreams(
      .with { $0.pageSize = 2 }, options: platform.options("olpe.editor"))
    let rest = try await platform.client.listDatastreams(
      .with { $0.pageToken = listed.nextPageToken }, options: platform.options("olpe.editor"))
    #expect(
      Set((listed.datastreams + rest.datastreams).map(\.id))
        == Set([open.id, internalStream.id, viaService.id]))
    #expect(listed.datastreams.count == 2 && rest.nextPageToken.isEmpty)
    let inBox = try await platform.client.listDatastreams(
      .with {
        $0.streams.bbox = .with {
          $0.west = 8
          $0.south = 51.5
          $0.east = 8.2
          $0.north = 51.6
        }
      })
    #expect(inBox.datastreams.map(\.id) == [open.id])

    // Updates: the unit cannot change; the name can.
    var renamed = open
    renamed.name = "Zählstelle Brüdertor (Rad)"
    let updated = try await platform.client.updateDatastream(
      .with { $0.datastream = renamed }, options: platform.options("soest.editor"))
    #expect(updated.name == renamed.name && updated.createdMicros == open.createdMicros)
    var changedUnit = open
    changedUnit.unit = "Cel"
    let refused = await statusOf {
      try await platform.client.updateDatastream(
        .with { $0.datastream = changedUnit }, options: platform.options("soest.editor"))
    }
    #expect(refused?.code == .invalidArgument && refused?.message.hasPrefix("unit:") == true)

    // Bad fields are named.
    for (mutate, field) in [
      ({ (d: inout Ordp_Analytics_V1_Datastream) in d.observedProperty = "" }, "observed_property"),
      ({ (d: inout Ordp_Analytics_V1_Datastream) in d.unit = "deg C" }, "unit"),
      (
        { (d: inout Ordp_Analytics_V1_Datastream) in
          d.thing.location.latitude = 91
        }, "thing.location.latitude"
      ),
      (
        { (d: inout Ordp_Analytics_V1_Datastream) in
          d.retention.rawDays = 30
          d.retention.rollupDays = 10
        }, "retention.rollup_days"
      ),
    ] {
      var bad = Ordp_Analytics_V1_Datastream()
      bad.owner = "soest"
      bad.name = "Bad"
      bad.observedProperty = "x"
      bad.unit = "1"
      mutate(&bad)
      let error = await statusOf {
        try await platform.client.createDatastream(
          .with { $0.datastream = bad }, options: platform.options("soest.editor"))
      }
      #expect(
        error?.code == .invalidArgument && error?.message.hasPrefix("\(field):") == true, "\(field)"
      )
    }
    // Who may write where is decided first: an editor naming a town that is none of its own
    // (or no town at all) is refused before the rest is looked at; a platform admin, who may
    // write anywhere, learns what is wrong with the owner.
    var badOwner = Ordp_Analytics_V1_Datastream()
    badOwner.owner = "Soest!"
    let refusedOwner = await statusOf {
      try await platform.client.createDatastream(
        .with { $0.datastream = badOwner }, options: platform.options("soest.editor"))
    }
    #expect(refusedOwner?.code == .permissionDenied)
    badOwner.name = "Bad"
    badOwner.observedProperty = "x"
    badOwner.unit = "1"
    let namedOwner = await statusOf {
      try await platform.client.createDatastream(
        .with { $0.datastream = badOwner }, options: platform.options("root"))
    }
    #expect(namedOwner?.code == .invalidArgument && namedOwner?.message.hasPrefix("owner:") == true)
  }

  @Test func ingestCountsEveryItemAndReplaysChangeNothing() async throws {
    let platform = try await AnalyticsPlatform()
    defer { platform.stop() }
    let counter = try await platform.create("Zählstelle")
    let olpe = try await platform.create("Olpe", owner: "olpe", as: "olpe.editor")
    let base = thisMinute() - 180 * Self.minute
    let times = (0..<120).map { base + Int64($0) * Self.minute }
    let values = (0..<120).map { Double($0 % 17) }
    // Batch 1: 120 good items, a NaN, a time 30 years back, a repeated time, a series of an
    // unknown stream, one of another town's stream, and one whose columns differ in length.
    var good = series(
      counter.id,
      times + [base + 500 * Self.minute, base - 30 * 366 * 1440 * Self.minute, times[3]],
      values + [.nan, 1, 99])
    good.qualities = Array(repeating: 0, count: 123)
    good.qualities[5] = 2
    let first = batch(
      1,
      [
        good, series("nope", [base], [1]), series(olpe.id, [base, base + 1], [1, 2]),
        series(counter.id, [base], []),
      ])
    let acks = try await platform.ingest(
      [first, batch(2, [series(counter.id, times, values)])], as: "soest.sensors")
    #expect(acks.map(\.batchID) == [1, 2])
    #expect(acks[0].accepted == 120 && acks[0].duplicates == 1 && acks[0].rejected == 6)
    let reasons = Set(acks[0].rejections.map(\.reason))
    #expect(reasons == [.nonFinite, .outOfWindow, .unknownStream, .notPermitted, .malformed])
    #expect(acks[1].accepted == 0 && acks[1].duplicates == 120 && acks[1].rejected == 0)
    // A viewer may not ingest; without a token nobody may.
    let viewer = try await platform.ingest(
      [batch(3, [series(counter.id, [base], [1])])], as: "soest.viewer")
    #expect(viewer[0].rejected == 1 && viewer[0].rejections.first?.reason == .notPermitted)
    let anonymous = await statusOf {
      try await platform.client.ingest(
        requests: { writer in try await writer.write(batch(4, [])) },
        onResponse: { acks in for try await _ in acks {} })
    }
    #expect(anonymous?.code == .unauthenticated)

    // Latest, raw reads with a resumable cursor, aggregates that match the data.
    let latest = try await platform.client.latest(.with { $0.streams.datastreamIds = [counter.id] })
    #expect(
      latest.values.first?.timeMicros == times.last && latest.values.first?.result == values.last)
    let pages = try await platform.read(
      .with {
        $0.streams.datastreamIds = [counter.id]
        $0.fromMicros = base
        $0.pageSize = 50
      }, as: nil)
    #expect(pages.map { $0.series.reduce(0) { $0 + $1.timesMicros.count } } == [50, 50, 20])
    #expect(pages.last?.cursor == "" && pages.dropLast().allSatisfy { !$0.cursor.isEmpty })
    #expect(pages.flatMap { $0.series.flatMap(\.timesMicros) } == times)
    #expect(pages[0].series[0].qualities[5] == 2)
    let resumed = try await platform.read(
      .with {
        $0.streams.datastreamIds = [counter.id]
        $0.fromMicros = base
        $0.cursor = pages[1].cursor
      }, as: nil)
    #expect(resumed.flatMap { $0.series.flatMap(\.timesMicros) } == Array(times[100...]))

    let rows = try await platform.aggregate(
      .with {
        $0.streams.datastreamIds = [counter.id]
        $0.fromMicros = base + 7 * Self.minute
        $0.toMicros = base + 200 * Self.minute
        $0.functions = [.count, .sum, .min, .max, .avg, .first, .last, .p50]
        $0.partial = true
      }, as: "soest.viewer")
    let expected = Array(values[7...])
    #expect(rows.count == 1)
    let row = try #require(rows.first)
    #expect(row.values[0] == Double(expected.count) && row.values[1] == expected.reduce(0, +))
    #expect(row.values[2] == 0 && row.values[3] == 16)
    #expect(abs(row.values[4] - expected.reduce(0, +) / Double(expected.count)) < 1e-9)
    #expect(row.values[5] == expected.first && row.values[6] == expected.last)
    #expect(abs(row.values[7] - expected.sorted()[(expected.count - 1) / 2]) <= 0.01 * 16)
    #expect(row.partial.count == UInt64(expected.count))
    let byTown = try await platform.aggregate(
      .with {
        $0.fromMicros = base
        $0.toMicros = base + 120 * Self.minute
        $0.bucket.fixedSeconds = 3600
        $0.functions = [.count]
        $0.groupBy = .town
      }, as: "root")
    #expect(byTown.allSatisfy { $0.group == "soest" })
    #expect(byTown.reduce(0) { $0 + $1.values[0] } == 120)
  }

  @Test func badQueriesGetPreciseErrors() async throws {
    let platform = try await AnalyticsPlatform()
    defer { platform.stop() }
    let stream = try await platform.create("Zählstelle")
    func aggregate(_ mutate: (inout Ordp_Analytics_V1_AggregateRequest) -> Void) async -> RPCError?
    {
      var request = Ordp_Analytics_V1_AggregateRequest()
      request.fromMicros = 0
      request.toMicros = 86_400_000_000
      request.functions = [.avg]
      mutate(&request)
      let copy = request
      return await statusOf { try await platform.aggregate(copy, as: nil) }
    }
    let cases: [(RPCError?, StatusCode, String)] = [
      (await aggregate { $0.functions = [] }, .invalidArgument, "functions:"),
      (await aggregate { $0.toMicros = 0 }, .invalidArgument, "to_micros:"),
      (await aggregate { $0.bucket.fixedSeconds = 90 }, .invalidArgument, "bucket.fixed_seconds:"),
      (
        await aggregate {
          $0.bucket.fixedSeconds = 3600
          $0.bucket.calendar = .day
        }, .invalidArgument, "bucket:"
      ),
      (
        await aggregate {
          $0.toMicros = 3 * 366 * 86_400_000_000
          $0.bucket.fixedSeconds = 60
        }, .resourceExhausted, "too many cells"
      ),
      (await aggregate { $0.streams.datastreamIds = ["missing"] }, .notFound, "datastream missing"),
      (await aggregate { $0.functions = [.avg, .unspecified] }, .invalidArgument, "functions[1]:"),
      (
        await aggregate { $0.streams.datasetIds = (0...1000).map { "dataset-\($0)" } },
        .invalidArgument, "streams.dataset_ids:"
      ),
    ]
    for (error, code, prefix) in cases {
      #expect(
        error?.code == code && error?.message.hasPrefix(prefix) == true,
        "\(prefix): \(String(describing: error))")
    }
    let badCursor = await statusOf {
      try await platform.read(
        .with {
          $0.streams.datastreamIds = [stream.id]
          $0.cursor = "not-a-cursor"
        }, as: nil)
    }
    #expect(badCursor?.code == .invalidArgument && badCursor?.message.hasPrefix("cursor:") == true)
    let bigPage = await statusOf {
      try await platform.read(.with { $0.pageSize = 200_000 }, as: nil)
    }
    #expect(bigPage?.code == .invalidArgument)
    // The service is still fine.
    let fine = try await platform.aggregate(
      .with {
        $0.fromMicros = 0
        $0.toMicros = 1
        $0.functions = [.count]
      }, as: nil)
    #expect(fine.isEmpty)
  }
}
