import Foundation
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// A catalogue in two partitions behind a real gateway, next to one catalogue holding every
/// town with the same demo data: what the gateway merges must be what the one answers.
final class PartitionedCatalogue: Sendable {
  static let west = ["arnsberg", "menden", "soest"]
  static let east = ["bad-berleburg", "olpe", "iserlohn"]

  let identity: IdentityProcess
  let whole: ServiceProcess
  let partitions: [ServiceProcess]
  let gateway: ServiceProcess
  let topologyFile: URL

  init(gatewayArguments: [String] = []) async throws {
    identity = try await IdentityProcess.start()
    whole = try await ReplicaPlatform.startReplica(identity: identity, datasets: 60)
    partitions = [
      try await ReplicaPlatform.startReplica(identity: identity, datasets: 60, towns: Self.west),
      try await ReplicaPlatform.startReplica(identity: identity, datasets: 60, towns: Self.east),
    ]
    topologyFile = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-topology-\(UUID().uuidString).json")
    func list(_ items: [String]) -> String { items.map { "\"\($0)\"" }.joined(separator: ", ") }
    try """
    {"identity": {"replicas": ["127.0.0.1:\(identity.port)"]},
     "catalogue": {"partitions": [
       {"name": "west", "towns": [\(list(Self.west))], "replicas": ["127.0.0.1:\(partitions[0].port)"]},
       {"name": "east", "towns": [\(list(Self.east))], "default": true, "replicas": ["127.0.0.1:\(partitions[1].port)"]}]},
     "analytics": {"partitions": [{"name": "all", "default": true, "replicas": ["127.0.0.1:9"]}]}}
    """.write(to: topologyFile, atomically: true, encoding: .utf8)
    gateway = try await ReplicaPlatform.startGateway(
      identity: identity, topology: topologyFile, arguments: gatewayArguments)
  }

  func stop() {
    for p in [gateway, whole] + partitions { p.stop(signal: SIGKILL) }
    identity.stop()
    try? FileManager.default.removeItem(at: topologyFile)
  }

  func client(_ process: ServiceProcess) throws -> Ordp_Catalogue_V1_Catalogue_Client {
    Ordp_Catalogue_V1_Catalogue_Client(channel: try process.channel())
  }

  func adminToken() async throws -> String {
    try await Ordp_Identity_V1_Identity_Client(channel: try identity.channel())
      .login("admin", IdentityProcess.adminPassword).accessToken
  }
}

/// Pages through a search to its end: the ids in order, the first page.
func pageThrough(
  _ client: Ordp_Catalogue_V1_Catalogue_Client, _ request: Ordp_Catalogue_V1_SearchRequest,
  options: CallOptions = .defaults
) async throws -> (ids: [String], first: Ordp_Catalogue_V1_SearchResponse) {
  var request = request
  var ids: [String] = []
  var first: Ordp_Catalogue_V1_SearchResponse? = nil
  for _ in 0..<200 {
    let page = try await client.search(request, options: options)
    first = first ?? page
    ids += page.hits.map(\.dataset.id)
    if page.nextPageToken.isEmpty { break }
    request.pageToken = page.nextPageToken
  }
  return (ids, first!)
}

@Suite(.serialized) struct PartitionTests {
  @Test func aSearchMergedFromPartitionsEqualsOneCatalogueHoldingEveryTown() async throws {
    let platform = try await PartitionedCatalogue()
    defer { platform.stop() }
    let merged = try platform.client(platform.gateway)
    let whole = try platform.client(platform.whole)
    let admin = bearer(try await platform.adminToken())
    var compared = 0
    for query in ["", "Parken", "Verkehr Straße", "Statistik"] {
      for sort in [Ordp_Catalogue_V1_SortOrder.relevance, .modified, .title] {
        for pageSize: UInt32 in [7, 50] {
          var request = Ordp_Catalogue_V1_SearchRequest()
          request.query = query
          request.sort = sort
          request.pageSize = pageSize
          request.facets = true
          for options in [CallOptions.defaults, admin] {
            let a = try await pageThrough(merged, request, options: options)
            let b = try await pageThrough(whole, request, options: options)
            #expect(a.ids == b.ids, "\(query) \(sort) \(pageSize)")
            #expect(a.first.total == b.first.total)
            #expect(a.first.facets == b.first.facets, "\(query) \(sort)")
            #expect(a.first.partitions.map(\.code) == [0, 0])
            #expect(a.first.hits.allSatisfy { $0.pageToken.isEmpty })
            compared += a.ids.count
          }
        }
      }
    }
    #expect(compared > 500)
  }

  @Test func writesLandInTheirTownsPartitionAndLookupsByIdFindThem() async throws {
    let platform = try await PartitionedCatalogue()
    defer { platform.stop() }
    let gateway = try platform.client(platform.gateway)
    let admin = bearer(try await platform.adminToken())
    var create = Ordp_Catalogue_V1_CreateDatasetRequest()
    create.dataset.publisher = "olpe"
    create.dataset.title = "Pegel an der Bigge"
    create.dataset.description_p = "Wasserstände"
    let created = try await gateway.createDataset(create, options: admin)
    // On the east partition, not the west one.
    let east = try platform.client(platform.partitions[1])
    let west = try platform.client(platform.partitions[0])
    #expect(try await east.getDataset(.with { $0.id = created.id }).title == "Pegel an der Bigge")
    #expect(
      await statusOf { try await west.getDataset(.with { $0.id = created.id }) }?.code == .notFound)
    // Through the gateway: by id (asked everywhere) and by town/slug (asked where it lives).
    #expect(try await gateway.getDataset(.with { $0.id = created.id }).id == created.id)
    #expect(
      try await gateway.getDataset(.with { $0.id = "olpe/\(created.slug)" }).id == created.id)
    #expect(
      await statusOf { try await gateway.getDataset(.with { $0.id = "0000-missing" }) }?.code
        == .notFound)
    let withdrawn = try await gateway.withdrawDataset(
      .with {
        $0.id = created.id
        $0.baseRevision = created.revision
      }, options: admin)
    #expect(withdrawn.withdrawn)
    // A town no partition names goes to the default partition (east).
    create.dataset.publisher = "iserlohn"
    create.dataset.title = "Neu in der Region"
    let joined = try await gateway.createDataset(create, options: admin)
    #expect(try await east.getDataset(.with { $0.id = joined.id }).publisher == "iserlohn")
  }

  @Test(.enabled(if: RDFCheck.available, "needs Python with rdflib (scripts/install-deps.sh)"))
  func theRegionsExportJoinedFromPartitionsIsOneCataloguesGraph() async throws {
    let platform = try await PartitionedCatalogue()
    defer { platform.stop() }
    let admin = bearer(try await platform.adminToken())
    func export(
      _ client: Ordp_Catalogue_V1_Catalogue_Client, _ format: Ordp_Catalogue_V1_ExportFormat,
      options: CallOptions
    ) async throws -> Data {
      try await client.export(.with { $0.format = format }, options: options) { chunks in
        var data = Data()
        for try await chunk in chunks { data += chunk.data }
        return data
      }
    }
    let merged = try platform.client(platform.gateway)
    let whole = try platform.client(platform.whole)
    for options in [CallOptions.defaults, admin] {
      let report = try RDFCheck.check([
        ("turtle", try await export(whole, .turtle, options: options)),
        ("turtle", try await export(merged, .turtle, options: options)),
        ("json-ld", try await export(merged, .jsonLd, options: options)),
        ("xml", try await export(merged, .rdfXml, options: options)),
      ])
      // Blank nodes and all: the same graph as one catalogue holding every town.
      #expect(report.isomorphic, "\(report.triples)")
      #expect(Set(report.triples).count == 1, "\(report.triples)")
      #expect(report.catalogues.count == 1)
      #expect(report.datasets.count > 50)
    }
    // A part out of range is refused by a partition.
    let outOfRange = await statusOf {
      try await platform.client(platform.partitions[0]).export(
        .with {
          $0.part = 3
          $0.partCount = 2
        }
      ) { chunks in for try await _ in chunks {} }
    }
    #expect(outOfRange?.code == .invalidArgument)
  }

  @Test func theChangeFeedMergedFromPartitionsMissesNothingAndResumesByCursor() async throws {
    let platform = try await PartitionedCatalogue()
    defer { platform.stop() }
    let admin = bearer(try await platform.adminToken())
    let merged = try platform.client(platform.gateway)
    func feed(
      _ client: Ordp_Catalogue_V1_Catalogue_Client,
      _ request: Ordp_Catalogue_V1_WatchChangesRequest = .init()
    ) async throws -> [Ordp_Catalogue_V1_Change] {
      try await client.watchChanges(request, options: admin) { stream in
        var changes: [Ordp_Catalogue_V1_Change] = []
        for try await change in stream { changes.append(change) }
        return changes
      }
    }
    /// Each partition's changes in order, by the town of their dataset.
    func byPartition(_ changes: [Ordp_Catalogue_V1_Change]) -> [[String]] {
      [PartitionedCatalogue.west, PartitionedCatalogue.east].map { towns in
        changes.filter { towns.contains($0.dataset.publisher) }.map {
          "\($0.position) \($0.datasetID) \($0.revision) \($0.action)"
        }
      }
    }
    let all = try await feed(merged)
    let own = [
      try await feed(try platform.client(platform.partitions[0])),
      try await feed(try platform.client(platform.partitions[1])),
    ]
    #expect(all.count == own[0].count + own[1].count)
    #expect(all.count > 50)
    #expect(byPartition(all) == [byPartition(own[0])[0], byPartition(own[1])[1]])
    #expect(all.allSatisfy { !$0.cursor.isEmpty })
    // Resumed after the 20th change: exactly those after it.
    let rest = try await feed(merged, .with { $0.afterCursor = all[19].cursor })
    #expect(byPartition(rest) == byPartition(Array(all.dropFirst(20))))
    // Positions of one partition do not resume a merged feed; forged cursors are refused.
    for bad in [
      Ordp_Catalogue_V1_WatchChangesRequest.with { $0.afterPosition = 5 },
      .with { $0.afterCursor = "w1.e30K" + String(repeating: "A", count: 13_000) },
      .with { $0.afterCursor = "w1." + Data(#"{"north": 3}"#.utf8).base64EncodedString() },
      .with { $0.afterCursor = "w1." + Data(#"{"west": -3}"#.utf8).base64EncodedString() },
    ] {
      let status = await statusOf { try await feed(merged, bad) }
      #expect(status?.code == .invalidArgument, "\(String(describing: status))")
    }
    // Followed: new changes of both partitions arrive, each with its cursor.
    let last = try #require(all.last?.cursor)
    let followed = Task {
      var options = admin
      options.timeout = .seconds(20)
      return try await merged.watchChanges(
        .with {
          $0.afterCursor = last
          $0.follow = true
        }, options: options
      ) { stream in
        var titles: [String] = []
        for try await change in stream {
          titles.append(change.dataset.title)
          if titles.count == 2 { break }
        }
        return titles.sorted()
      }
    }
    for (town, title) in [("olpe", "Pegel an der Bigge"), ("soest", "Wochenmarkt")] {
      var create = Ordp_Catalogue_V1_CreateDatasetRequest()
      create.dataset.publisher = town
      create.dataset.title = title
      create.dataset.description_p = "Neu"
      _ = try await merged.createDataset(create, options: admin)
    }
    #expect(try await followed.value == ["Pegel an der Bigge", "Wochenmarkt"])
  }

  @Test func aCKANImportSendsEachDocumentToItsTownsPartition() async throws {
    let platform = try await PartitionedCatalogue()
    defer { platform.stop() }
    let admin = bearer(try await platform.adminToken())
    let gateway = try platform.client(platform.gateway)
    func package(_ id: Int, organisation: String?) -> String {
      let org = organisation.map { #", "organization": {"name": "\#($0)"}"# } ?? ""
      return #"""
        {"id": "gw-import-\#(id)", "name": "gw-import-\#(id)", "title": "Import \#(id)",
         "notes": "Aus einem CKAN", "license_id": "dl-by-de/2.0"\#(org)}
        """#
    }
    // Towns by organisation (west, east), by the request's publisher (west), a document that
    // names no town (to the first partition, which says why), one of a joining town (the
    // default partition) — 500 in all, so that the west answers in two commits (of 200 at most).
    var documents: [Ordp_Catalogue_V1_ImportCkanRequest] = []
    for i in 0..<500 {
      var request = Ordp_Catalogue_V1_ImportCkanRequest()
      switch i % 5 {
      case 0: request.ckanJson = package(i, organisation: "soest")
      case 1: request.ckanJson = package(i, organisation: "Olpe")
      case 2:
        request.ckanJson = package(i, organisation: nil)
        request.publisher = "menden"
      case 3: request.ckanJson = "{ not json"
      default: request.ckanJson = package(i, organisation: "iserlohn")
      }
      documents.append(request)
    }
    let all = documents
    func importAll() async throws -> [Ordp_Catalogue_V1_ImportResult] {
      try await gateway.importCkan(options: admin) { writer in
        for document in all { try await writer.write(document) }
      }
    }
    let results = try await importAll()
    #expect(results.map(\.index).sorted() == (0..<500).map(UInt32.init))
    let byIndex = Dictionary(uniqueKeysWithValues: results.map { ($0.index, $0) })
    let west = try platform.client(platform.partitions[0])
    let east = try platform.client(platform.partitions[1])
    for i in 0..<500 {
      let result = try #require(byIndex[UInt32(i)])
      if i % 5 == 3 {
        #expect(result.outcome == .rejected && result.reason.contains("not JSON"), "\(result)")
        continue
      }
      #expect(result.outcome == .created, "\(i): \(result)")
      #expect(result.ckanID == "gw-import-\(i)")
      let home = i % 5 == 0 || i % 5 == 2 ? west : east
      let other = i % 5 == 0 || i % 5 == 2 ? east : west
      #expect(try await home.getDataset(.with { $0.id = result.datasetID }).title == "Import \(i)")
      #expect(
        await statusOf { try await other.getDataset(.with { $0.id = result.datasetID }) }?.code
          == .notFound)
    }
    // Imported again: every document unchanged, none created twice.
    let again = try await importAll()
    #expect(again.filter { $0.outcome == .unchanged }.count == 400)
    #expect(again.filter { $0.outcome == .created }.isEmpty)
  }

  @Test func streamsOverAPartitionThatIsDownFailNamingIt() async throws {
    let platform = try await PartitionedCatalogue()
    defer { platform.stop() }
    let admin = bearer(try await platform.adminToken())
    let gateway = try platform.client(platform.gateway)
    // A gateway whose topology holds the west only, with no default partition.
    let westOnly = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-topology-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: westOnly) }
    try """
    {"identity": {"replicas": ["127.0.0.1:\(platform.identity.port)"]},
     "catalogue": {"partitions": [
       {"name": "west", "towns": ["soest"], "replicas": ["127.0.0.1:\(platform.partitions[0].port)"]},
       {"name": "menden", "towns": ["menden"], "replicas": ["127.0.0.1:\(platform.partitions[0].port)"]}]},
     "analytics": {"partitions": [{"name": "all", "default": true, "replicas": ["127.0.0.1:9"]}]}}
    """.write(to: westOnly, atomically: true, encoding: .utf8)
    let narrow = try await ReplicaPlatform.startGateway(
      identity: platform.identity, topology: westOnly, arguments: [])
    defer { narrow.stop(signal: SIGKILL) }
    let results = try await platform.client(narrow).importCkan(options: admin) { writer in
      try await writer.write(
        .with {
          $0.ckanJson = #"{"id": "x-1", "title": "Pegel", "notes": "Wasserstände"}"#
          $0.publisher = "olpe"
        })
    }
    #expect(results.count == 1)
    #expect(results.first?.outcome == .rejected)
    #expect(results.first?.reason.contains("no partition holds town \"olpe\"") == true)

    // The east partition killed: the merged feed, the region's export and an import into it
    // fail naming it — never a feed, document or import silently without its towns.
    platform.partitions[1].stop(signal: SIGKILL)
    let feed = await statusOf {
      try await gateway.watchChanges(.init(), options: admin) { stream in
        for try await _ in stream {}
      }
    }
    #expect(
      feed?.code == .unavailable && feed?.message.contains("east") == true,
      "\(String(describing: feed))")
    var exported = 0
    let export = await statusOf {
      try await gateway.export(.init()) { chunks in
        for try await chunk in chunks { exported += chunk.data.count }
      }
    }
    #expect(
      export?.code == .unavailable && export?.message.contains("east") == true,
      "\(String(describing: export))")
    #expect(exported > 0)  // the west's part came first
    let imported = await statusOf {
      try await gateway.importCkan(options: admin) { writer in
        try await writer.write(
          .with {
            $0.ckanJson = #"{"id": "x-2", "title": "Pegel", "notes": "Wasserstände"}"#
            $0.publisher = "olpe"
          })
      }
    }
    #expect(
      imported?.code == .unavailable && imported?.message.contains("east") == true,
      "\(String(describing: imported))")
  }

  @Test func aPartitionThatDoesNotAnswerIsNamedAndTheOthersAnswer() async throws {
    let platform = try await PartitionedCatalogue(gatewayArguments: ["--partition-timeout", "1"])
    defer { platform.stop() }
    let gateway = try platform.client(platform.gateway)
    let complete = try await gateway.search(.with { $0.pageSize = 100 })
    let westIDs = try await platform.client(platform.partitions[0]).search(
      .with { $0.pageSize = 100 }
    )
    .hits.map(\.dataset.id)
    let pid = platform.partitions[1].process.processIdentifier
    kill(pid, SIGSTOP)
    defer { kill(pid, SIGCONT) }
    let partial = try await gateway.search(.with { $0.pageSize = 100 })
    #expect(partial.partitions.map(\.partition) == ["west", "east"])
    #expect(partial.partitions[0].code == 0)
    #expect(partial.partitions[1].code == UInt32(StatusCode.deadlineExceeded.rawValue))
    #expect(partial.partitions[1].towns == PartitionedCatalogue.east.sorted())
    #expect(partial.hits.map(\.dataset.id) == westIDs)
    #expect(partial.total < complete.total)
    // A lookup: found in the west; an id found nowhere that answered is not NOT_FOUND.
    let inWest = try #require(westIDs.first)
    #expect(try await gateway.getDataset(.with { $0.id = inWest }).id == inWest)
    let unknown = await statusOf { try await gateway.getDataset(.with { $0.id = "0000-missing" }) }
    #expect(unknown?.code == .unavailable)
    #expect(
      unknown?.message.contains("east (bad-berleburg, iserlohn, olpe") == true,
      "\(String(describing: unknown))")
  }
}
