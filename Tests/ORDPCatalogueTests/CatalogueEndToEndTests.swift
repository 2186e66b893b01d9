import Foundation
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// Identity and catalogue as real processes over TLS: ownership, access levels, revisions,
/// the change feed.
@Suite struct CatalogueEndToEndTests {
  /// Identity with users in two towns, and a catalogue trusting it.
  final class Platform: Sendable {
    let identity: IdentityProcess
    let catalogue: ServiceProcess
    let identityChannel: RPCChannel
    let channel: RPCChannel
    let client: Ordp_Catalogue_V1_Catalogue_Client
    let tokens: [String: String]

    init() async throws {
      identity = try await IdentityProcess.start()
      catalogue = try await ServiceProcess.start(
        "ordp-catalogue",
        arguments: [
          "--identity-port", "\(identity.port)", "--identity-ca", IdentityPKI.path("ca.pem"),
          "--identity-server-name", "localhost",
        ])
      identityChannel = try identity.channel()
      channel = try catalogue.channel()
      client = Ordp_Catalogue_V1_Catalogue_Client(channel: channel)
      tokens = try await Ordp_Identity_V1_Identity_Client(channel: identityChannel).tokens(for: [
        ("soest.editor", "soest", .editor), ("soest.viewer", "soest", .viewer),
        ("olpe.editor", "olpe", .editor), ("menden.viewer", "menden", .viewer),
      ])
    }

    func stop() {
      channel.close()
      identityChannel.close()
      catalogue.stop()
      identity.stop()
    }

    func dataset(
      _ title: String, publisher: String = "soest", access: Ordp_Catalogue_V1_AccessLevel = .public
    ) -> Ordp_Catalogue_V1_Dataset {
      var dataset = Ordp_Catalogue_V1_Dataset()
      dataset.publisher = publisher
      dataset.title = title
      dataset.description_p = "Beschreibung von \(title)"
      dataset.accessLevel = access
      dataset.themes = ["TRAN"]
      return dataset
    }

    func create(
      _ dataset: Ordp_Catalogue_V1_Dataset, as user: String
    ) async throws
      -> Ordp_Catalogue_V1_Dataset
    {
      var request = Ordp_Catalogue_V1_CreateDatasetRequest()
      request.dataset = dataset
      return try await client.createDataset(request, options: bearer(tokens[user]!))
    }

    func get(_ id: String, as user: String?) async -> RPCError? {
      var request = Ordp_Catalogue_V1_GetDatasetRequest()
      request.id = id
      return await statusOf {
        try await self.client.getDataset(
          request, options: user.map { bearer(self.tokens[$0]!) } ?? .defaults)
      }
    }
  }

  @Test func onlyTheTownsWritersWriteAndAccessLevelsHold() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    let open = try await platform.create(platform.dataset("Parkplätze"), as: "soest.editor")
    #expect(open.revision == 1 && open.slug == "parkplaetze" && !open.id.isEmpty)
    var internalDataset = platform.dataset("Interne Liste", access: .internal)
    internalDataset.slug = "intern"
    let hidden = try await platform.create(internalDataset, as: "soest.editor")
    var restricted = platform.dataset("Leitungsnetz", access: .restricted)
    restricted.grantedOrganisations = ["olpe"]
    let secret = try await platform.create(restricted, as: "soest.editor")

    // Public: anyone. Internal: any token. Restricted: soest and the granted olpe only.
    #expect(await platform.get(open.id, as: nil) == nil)
    #expect(await platform.get("soest/parkplaetze", as: nil) == nil)
    #expect(await platform.get(hidden.id, as: nil)?.code == .notFound)
    #expect(await platform.get(hidden.id, as: "menden.viewer") == nil)
    #expect(await platform.get(secret.id, as: "soest.viewer") == nil)
    #expect(await platform.get(secret.id, as: "olpe.editor") == nil)
    let refused = await platform.get(secret.id, as: "menden.viewer")
    let missing = await platform.get("no-such-dataset", as: "menden.viewer")
    #expect(refused?.code == .notFound && missing?.code == .notFound)
    #expect(refused?.message == "dataset \(secret.id) not found")

    // Writes: editors of the publisher only.
    let byViewer = await statusOf {
      try await platform.create(platform.dataset("X"), as: "soest.viewer")
    }
    #expect(byViewer?.code == .permissionDenied)
    let otherTown = await statusOf {
      try await platform.create(platform.dataset("Y"), as: "olpe.editor")
    }
    #expect(otherTown?.code == .permissionDenied)
    var anonymous = Ordp_Catalogue_V1_CreateDatasetRequest()
    anonymous.dataset = platform.dataset("Z")
    #expect(
      await statusOf { try await platform.client.createDataset(anonymous) }?.code
        == .unauthenticated)
    var update = Ordp_Catalogue_V1_UpdateDatasetRequest()
    update.dataset = open
    update.baseRevision = 1
    let foreign = await statusOf {
      try await platform.client.updateDataset(
        update, options: bearer(platform.tokens["olpe.editor"]!))
    }
    #expect(foreign?.code == .permissionDenied)
    // A platform admin may.
    _ = try await platform.create(platform.dataset("Vom Admin", publisher: "olpe"), as: "root")

    // Bad input: the field named.
    var bad = platform.dataset("Ohne Thema")
    bad.themes = ["WETTER"]
    let invalid = await statusOf { try await platform.create(bad, as: "soest.editor") }
    #expect(invalid?.code == .invalidArgument && invalid?.message.hasPrefix("themes[0]:") == true)
    let duplicate = await statusOf {
      try await platform.create(platform.dataset("Parkplätze"), as: "soest.editor")
    }
    #expect(duplicate?.code == .alreadyExists)
  }

  @Test func revisionsConflictsWithdrawAndTheChangeFeed() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    let editor = bearer(platform.tokens["soest.editor"]!)
    let created = try await platform.create(platform.dataset("Radverkehr"), as: "soest.editor")
    var first = Ordp_Catalogue_V1_UpdateDatasetRequest()
    first.dataset = created
    first.dataset.keywords = ["Fahrrad"]
    first.baseRevision = 1
    let second = first
    let updated = try await platform.client.updateDataset(first, options: editor)
    #expect(updated.revision == 2)
    let conflict = await statusOf {
      try await platform.client.updateDataset(second, options: editor)
    }
    #expect(conflict?.code == .aborted)
    #expect(conflict?.message.contains("is at revision 2") == true)

    var withdraw = Ordp_Catalogue_V1_WithdrawDatasetRequest()
    withdraw.id = created.id
    withdraw.baseRevision = 2
    let withdrawn = try await platform.client.withdrawDataset(withdraw, options: editor)
    #expect(withdrawn.withdrawn && withdrawn.revision == 3)
    var history = Ordp_Catalogue_V1_ListRevisionsRequest()
    history.id = created.id
    let revisions = try await platform.client.listRevisions(history).revisions
    #expect(revisions.map(\.action) == ["create", "update", "withdraw"])
    #expect(revisions[1].dataset.keywords == ["Fahrrad"])

    // The feed: everything the caller may see, in order, resumable.
    var restricted = platform.dataset("Nur Soest", access: .restricted)
    restricted.slug = "nur-soest"
    _ = try await platform.create(restricted, as: "soest.editor")
    func feed(after position: UInt64, as user: String?) async throws -> [Ordp_Catalogue_V1_Change] {
      var request = Ordp_Catalogue_V1_WatchChangesRequest()
      request.afterPosition = position
      let options = user.map { bearer(platform.tokens[$0]!) } ?? .defaults
      return try await platform.client.watchChanges(request, options: options) { stream in
        var changes: [Ordp_Catalogue_V1_Change] = []
        for try await change in stream { changes.append(change) }
        return changes
      }
    }
    let anonymous = try await feed(after: 0, as: nil)
    #expect(anonymous.map(\.action) == ["create", "update", "withdraw"])
    let member = try await feed(after: 0, as: "soest.viewer")
    #expect(member.map(\.position) == [1, 2, 3, 4])
    let resumed = try await feed(after: 2, as: "soest.viewer")
    #expect(resumed.map(\.position) == [3, 4])

    // Following: a change committed while the stream is open arrives.
    var follow = Ordp_Catalogue_V1_WatchChangesRequest()
    follow.afterPosition = 4
    follow.follow = true
    let client = platform.client
    let followed = Task {
      try await client.watchChanges(follow) { stream in
        for try await change in stream { return change.dataset.title }
        return ""
      }
    }
    try await Task.sleep(for: .milliseconds(200))
    _ = try await platform.create(platform.dataset("Neu im Feed"), as: "soest.editor")
    #expect(try await followed.value == "Neu im Feed")
  }

  @Test func searchOverTheRPCAppliesAccessAndPagesByCursor() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    for index in 0..<9 {
      var dataset = platform.dataset("Straßenreinigung Bezirk \(index)")
      dataset.keywords = ["Müll"]
      _ = try await platform.create(dataset, as: "soest.editor")
    }
    var hidden = platform.dataset("Straßenschäden intern", access: .restricted)
    hidden.slug = "strassenschaeden"
    _ = try await platform.create(hidden, as: "soest.editor")

    var request = Ordp_Catalogue_V1_SearchRequest()
    request.query = "Strasse"
    request.pageSize = 4
    request.facets = true
    let anonymous = try await platform.client.search(request)
    #expect(anonymous.total == 9)
    #expect(anonymous.facets.first { $0.field == "keyword" }?.values.first?.value == "Müll")
    let member = try await platform.client.search(
      request, options: bearer(platform.tokens["soest.viewer"]!))
    #expect(member.total == 10)

    var titles: [String] = []
    var page = anonymous
    while true {
      titles += page.hits.map(\.dataset.title)
      // Title (8) and description (1) match.
      #expect(page.hits.allSatisfy { $0.score == 9 && $0.sortKey == "9" })
      if page.nextPageToken.isEmpty { break }
      request.pageToken = page.nextPageToken
      page = try await platform.client.search(request)
    }
    #expect(titles.count == 9 && Set(titles).count == 9)

    request.pageToken = "bm90IGEgdG9rZW4="
    let bad = await statusOf { try await platform.client.search(request) }
    #expect(bad?.code == .invalidArgument && bad?.message.hasPrefix("page_token:") == true)
    request.pageToken = ""
    // facet_limit beyond 1000 is refused; at 1000, and with page tokens per hit, a page answers.
    request.facetLimit = UInt32.max
    let tooMany = await statusOf { try await platform.client.search(request) }
    #expect(
      tooMany?.code == .invalidArgument && tooMany?.message.hasPrefix("facet_limit:") == true)
    request.facetLimit = 1000
    request.facets = true
    request.hitPageTokens = true
    let withTokens = try await platform.client.search(request)
    #expect(withTokens.hits.allSatisfy { !$0.pageToken.isEmpty })
    // A hit's page token continues right after it.
    var after = request
    after.pageToken = withTokens.hits[0].pageToken
    after.hitPageTokens = false
    #expect(
      try await platform.client.search(after).hits.first?.dataset.id
        == withTokens.hits.dropFirst().first?.dataset.id)
    request.facetLimit = 0
    request.facets = false
    request.hitPageTokens = false
    request.query = "Muell"
    request.sort = .title
    let byTitle = try await platform.client.search(request)
    #expect(byTitle.hits.map(\.dataset.title) == (0..<4).map { "Straßenreinigung Bezirk \($0)" })
  }

  @Test func ckanImportIsIdempotentAndABadDocumentStopsNothing() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    let editor = bearer(platform.tokens["soest.editor"]!)
    func run(
      _ documents: [String], options: CallOptions
    ) async throws -> [Ordp_Catalogue_V1_ImportResult] {
      try await platform.client.importCkan(options: options) { writer in
        for document in documents {
          var request = Ordp_Catalogue_V1_ImportCkanRequest()
          request.ckanJson = document
          request.publisher = "soest"
          try await writer.write(request)
        }
      }
    }
    let changed = CKANImportTests.synthetic.replacingOccurrences(
      of: "minütlich.", with: "alle fünf Minuten.")
    let first = try await run(
      [CKANImportTests.synthetic, "{broken", #"{"id": "y", "title": "T"}"#], options: editor)
    #expect(first.map(\.outcome) == [.created, .rejected, .rejected])
    #expect(first[1].reason.hasPrefix("not JSON") && first[2].reason.hasPrefix("no description"))
    let second = try await run([CKANImportTests.synthetic, changed], options: editor)
    #expect(second.map(\.outcome) == [.unchanged, .updated])
    #expect(Set(second.map(\.datasetID)) == [first[0].datasetID])
    var history = Ordp_Catalogue_V1_ListRevisionsRequest()
    history.id = first[0].datasetID
    let revisions = try await platform.client.listRevisions(history).revisions
    #expect(revisions.map(\.action) == ["import", "import"])
    let byOlpe = try await run(
      [CKANImportTests.synthetic], options: bearer(platform.tokens["olpe.editor"]!))
    #expect(
      byOlpe.first?.outcome == .rejected && byOlpe.first?.reason.hasPrefix("not permitted") == true)
  }
}
