import Foundation
import ORDPAnalyticsAPI
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPPlatformAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// The composite calls of `ordp.platform.v1.Platform`, through the gateway of `ordp dev up`.
@Suite(.serialized) struct PlatformCallsTests {
  /// One partition per service, and the demo towns in two partitions (each call then spread
  /// over both or routed to one; without access logs).
  static let layouts: [(arguments: [String], lines: Int)] = [
    ([], 7), (["--partitions", "2", "--no-access-log"], 10),
  ]

  @Test(arguments: 0..<2) func aDatasetOverviewHasTheDatasetItsStreamsAndItsTown(
    layout: Int
  )
    async throws
  {
    let platform = try await DevPlatform.start(
      arguments: Self.layouts[layout].arguments, lines: Self.layouts[layout].lines)
    defer { _ = platform.stop() }
    let channel = try platform.gateway()
    defer { channel.close() }
    let identity = Ordp_Identity_V1_Identity_Client(channel: channel)
    let catalogue = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    let analytics = Ordp_Analytics_V1_Analytics_Client(channel: channel)
    let composite = Ordp_Platform_V1_Platform_Client(channel: channel)
    let editor = try await identity.login("soest.editor", try platform.demoPassword)
    let token = bearer(editor.accessToken)

    let dataset = try await catalogue.createDataset(
      .with {
        $0.dataset.publisher = "soest"
        $0.dataset.title = "Pegel Soestbach"
        $0.dataset.description_p = "Wasserstände"
      }, options: token)
    let stream = try await analytics.createDatastream(
      .with {
        $0.datastream.owner = "soest"
        $0.datastream.name = "Pegel Soestbach Mitte"
        $0.datastream.observedProperty = "water_level"
        $0.datastream.unit = "cm"
        $0.datastream.datasetID = dataset.id
      }, options: token)
    let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
    _ = try await analytics.ingest(options: token) { writer in
      try await writer.write(
        .with {
          $0.batchID = 1
          $0.series = [
            .with {
              $0.datastreamID = stream.id
              $0.timesMicros = [now - 3_000_000, now - 2_000_000, now - 1_000_000]
              $0.results = [40, 44, 42]
            }
          ]
        })
    } onResponse: { acks in
      for try await _ in acks {}
    }

    for id in [dataset.id, "soest/\(dataset.slug)"] {
      let overview = try await composite.getDatasetOverview(.with { $0.datasetID = id })
      #expect(overview.datasetStatus.code == 0)
      #expect(overview.dataset.id == dataset.id)
      #expect(overview.publisherStatus.code == 0)
      #expect(overview.publisher.id == "soest")
      #expect(overview.datastreamsStatus.code == 0)
      let summary = try #require(overview.datastreams.first)
      #expect(overview.datastreams.count == 1)
      #expect(summary.datastream.id == stream.id)
      #expect(summary.latest.result == 42)
      #expect(summary.count24H == 3)
      #expect(summary.min24H == 40 && summary.max24H == 44 && summary.avg24H == 42)
    }

    // A dataset that is not there: its part says so, and the parts that need it too.
    let missing = try await composite.getDatasetOverview(.with { $0.datasetID = "nirgendwo" })
    #expect(missing.datasetStatus.code == UInt32(StatusCode.notFound.rawValue))
    #expect(missing.publisherStatus.code == UInt32(StatusCode.notFound.rawValue))
    #expect(missing.datastreams.isEmpty)
    let invalid = await statusOf { try await composite.getDatasetOverview(.init()) }
    #expect(invalid?.code == .invalidArgument)
    let long = await statusOf {
      try await composite.getDatasetOverview(
        .with { $0.datasetID = String(repeating: "ä", count: 200) })
    }
    #expect(long?.code == .invalidArgument)
    // Beyond the method's request limit (1 KiB): refused from the frame header.
    let huge = await statusOf {
      try await composite.getDatasetOverview(
        .with { $0.datasetID = String(repeating: "x", count: 4096) })
    }
    #expect(huge?.code == .resourceExhausted)
    // The composite calls stay reachable: the gateway is alive and answering.
    #expect(try await composite.getRegionSummary(.init()).towns.count == 6)
    // Every call made a line in each service it passed through, unless dev up was told not to.
    let log = try String(contentsOf: platform.log, encoding: .utf8)
    #expect(log.contains("ordp.access:") == (layout == 0))
  }

  @Test(arguments: 0..<2) func theRegionSummaryCountsEachTownsDataAsTheServicesDo(
    layout: Int
  )
    async throws
  {
    let platform = try await DevPlatform.start(
      arguments: Self.layouts[layout].arguments, lines: Self.layouts[layout].lines)
    defer { _ = platform.stop() }
    let channel = try platform.gateway()
    defer { channel.close() }
    let catalogue = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
    let analytics = Ordp_Analytics_V1_Analytics_Client(channel: channel)
    let summary = try await Ordp_Platform_V1_Platform_Client(channel: channel)
      .getRegionSummary(.init())
    for status in [
      summary.townsStatus, summary.datasetsStatus, summary.datastreamsStatus,
      summary.observationsStatus,
    ] {
      #expect(status.code == 0, "\(status.message)")
    }
    #expect(summary.towns.count == 6)
    let soest = try #require(summary.towns.first { $0.town == "soest" })
    #expect(soest.name == "Stadt Soest")
    let datasets = try await catalogue.search(.with { $0.publishers = ["soest"] }).total
    #expect(soest.datasets == datasets)
    #expect(soest.datasets > 0)
    let streams = try await analytics.listDatastreams(.with { $0.streams.owners = ["soest"] })
    #expect(soest.datastreams == UInt64(streams.datastreams.count))
    // Demo sensors report every 5 minutes: 288 a day each (public ones, for an anonymous caller).
    #expect(soest.observations24H >= UInt64(streams.datastreams.count) * 280)
    #expect(
      summary.towns.reduce(0) { $0 + $1.datasets } == (try await catalogue.search(.init()).total))
  }
}
