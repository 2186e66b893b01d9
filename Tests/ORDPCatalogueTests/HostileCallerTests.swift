import Foundation
import ORDPCatalogue
import ORDPCatalogueAPI
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// The catalogue against callers who send what it does not expect, try to see or keep what
/// is not theirs, or import over local decisions — through the real executables.
@Suite struct CatalogueHostileCallerTests {
  typealias Platform = CatalogueEndToEndTests.Platform

  @Test func feedPositionsAndRevisionsBeyondTheStoreAreInvalidArguments() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    let watch = await statusOf {
      try await platform.client.watchChanges(.with { $0.afterPosition = 1 << 63 }) { changes in
        for try await _ in changes {}
      }
    }
    #expect(watch?.code == .invalidArgument && watch?.message.hasPrefix("after_position:") == true)
    let created = try await platform.create(platform.dataset("Brücken"), as: "soest.editor")
    let update = await statusOf {
      try await platform.client.updateDataset(
        .with {
          $0.dataset = created
          $0.baseRevision = UInt64.max
        }, options: bearer(platform.tokens["soest.editor"]!))
    }
    #expect(update?.code == .invalidArgument && update?.message.hasPrefix("base_revision:") == true)
    let page = await statusOf {
      try await platform.client.listRevisions(
        .with {
          $0.id = created.id
          $0.pageToken = "18446744073709551615"
        })
    }
    #expect(page?.code == .invalidArgument)
    #expect(await platform.get(created.id, as: nil) == nil)
  }

  @Test func whoMayWriteIsDecidedBeforeTheDatasetIsLookedAt() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    // An invalid dataset for Soest, from a viewer: refused for the right, not the content.
    var bad = platform.dataset("")
    bad.keywords = Array(repeating: "", count: 5)
    let byViewer = await statusOf { try await platform.create(bad, as: "soest.viewer") }
    #expect(byViewer?.code == .permissionDenied)
    let byEditor = await statusOf { try await platform.create(bad, as: "soest.editor") }
    #expect(byEditor?.code == .invalidArgument)
    // An import from a caller who may write nowhere is refused before a document is read.
    let importer = await statusOf {
      try await platform.client.importCkan(options: bearer(platform.tokens["menden.viewer"]!)) {
        writer in try await writer.write(.with { $0.ckanJson = "{" })
      }
    }
    #expect(importer?.code == .permissionDenied)
  }

  @Test func aFrameFullOfKeywordsIsRefusedAtOnce() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    // 300,000 short distinct keywords (~2.6 MB): checked pairwise, this held the handler for
    // hours; now the count is checked before any loop.
    var flood = platform.dataset("Viele Schlagwörter")
    flood.keywords = (0..<300_000).map { "k\($0)" }
    let started = ContinuousClock.now
    let error = await statusOf {
      try await platform.client.createDataset(
        .with { $0.dataset = flood },
        options: CallOptions(
          timeout: .seconds(20),
          metadata: Metadata(["authorization": "Bearer \(platform.tokens["soest.editor"]!)"])))
    }
    #expect(error?.code == .invalidArgument && error?.message.hasPrefix("keywords:") == true)
    // Within the limit sent, duplicates after folding count once.
    var folded = platform.dataset("Straßen")
    folded.keywords = (0..<1000).map { $0.isMultiple(of: 2) ? "Straße" : "STRASSE" }
    let created = try await platform.create(folded, as: "soest.editor")
    #expect(created.keywords == ["Straße"])
    _ = started
  }

  @Test func revisionsArePagedAndShowOnlyWhatTheCallerMaySee() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    let editor = bearer(platform.tokens["soest.editor"]!)
    var dataset = try await platform.create(
      platform.dataset("Entwurf", access: .restricted), as: "soest.editor")
    for step in 1...4 {
      dataset.description_p = "Fassung \(step)"
      if step == 3 { dataset.accessLevel = .public }
      dataset = try await platform.client.updateDataset(
        .with {
          $0.dataset = dataset
          $0.baseRevision = dataset.revision
        }, options: editor)
    }
    func all(_ options: CallOptions) async throws -> (revisions: [UInt64], pages: Int) {
      var token = ""
      var revisions: [UInt64] = []
      var pages = 0
      repeat {
        let page = try await platform.client.listRevisions(
          .with {
            $0.id = dataset.id
            $0.pageSize = 2
            $0.pageToken = token
          }, options: options)
        revisions += page.revisions.map(\.revision)
        token = page.nextPageToken
        pages += 1
      } while !token.isEmpty
      return (revisions, pages)
    }
    let own = try await all(editor)
    #expect(own.revisions == [1, 2, 3, 4, 5] && own.pages == 3)
    // Revisions 1–3 were restricted: an anonymous caller sees the public ones only.
    let anonymous = try await all(.defaults)
    #expect(anonymous.revisions == [4, 5])
  }

  @Test func aWriteOnlyKeyReadsNoMoreThanAnonymous() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    let writer = try await platform.serviceToken(town: "soest", scopes: ["catalogue:write"])
    let restricted = try await platform.create(
      platform.dataset("Kanalnetz", access: .restricted), as: "soest.editor")
    let internalOne = try await platform.create(
      platform.dataset("Intern", access: .internal), as: "soest.editor")
    #expect(await platform.get(restricted.id, as: "soest.viewer") == nil)
    for id in [restricted.id, internalOne.id] {
      let error = await statusOf {
        try await platform.client.getDataset(.with { $0.id = id }, options: bearer(writer))
      }
      #expect(error?.code == .notFound)
    }
    let search = try await platform.client.search(.init(), options: bearer(writer))
    #expect(!search.hits.contains { $0.dataset.accessLevel != .public })
    // It still writes its town's datasets, restricted ones included.
    var changed = restricted
    changed.description_p = "Neu beschrieben"
    let updated = try await platform.client.updateDataset(
      .with {
        $0.dataset = changed
        $0.baseRevision = 1
      }, options: bearer(writer))
    #expect(updated.revision == 2)
  }

  @Test func ckanIDsBelongToTheirTownAndReimportsKeepLocalDecisions() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    func importing(
      _ document: String, town: String, as user: String, replace: Bool = false
    ) async throws -> Ordp_Catalogue_V1_ImportResult {
      let results = try await platform.client.importCkan(
        options: bearer(platform.tokens[user]!)
      ) { writer in
        try await writer.write(
          .with {
            $0.ckanJson = document
            $0.publisher = town
            $0.replaceLocalChanges = replace
          })
      }
      return try #require(results.first)
    }
    // Olpe imports a package first; Soest's package with the same CKAN id is its own.
    let olpe = try await importing(CKANImportTests.synthetic, town: "olpe", as: "olpe.editor")
    let soest = try await importing(CKANImportTests.synthetic, town: "soest", as: "soest.editor")
    #expect(olpe.outcome == .created && soest.outcome == .created)
    #expect(olpe.datasetID != soest.datasetID)

    // Soest restricts its copy locally; re-imports keep that, changed or not.
    let editor = bearer(platform.tokens["soest.editor"]!)
    var local = try await platform.client.getDataset(
      .with { $0.id = soest.datasetID }, options: editor)
    local.accessLevel = .restricted
    local.grantedOrganisations = ["menden"]
    _ = try await platform.client.updateDataset(
      .with {
        $0.dataset = local
        $0.baseRevision = local.revision
      }, options: editor)
    #expect(
      try await importing(CKANImportTests.synthetic, town: "soest", as: "soest.editor").outcome
        == .unchanged)
    let changed = CKANImportTests.synthetic.replacingOccurrences(
      of: "minütlich.", with: "alle fünf Minuten.")
    #expect(try await importing(changed, town: "soest", as: "soest.editor").outcome == .updated)
    var now = try await platform.client.getDataset(
      .with { $0.id = soest.datasetID }, options: editor)
    #expect(now.accessLevel == .restricted && now.grantedOrganisations == ["menden"])
    #expect(now.description_p.contains("fünf Minuten"))

    // Withdrawn stays withdrawn, unless the import is told to replace local decisions.
    _ = try await platform.client.withdrawDataset(
      .with {
        $0.id = now.id
        $0.baseRevision = now.revision
      }, options: editor)
    _ = try await importing(CKANImportTests.synthetic, town: "soest", as: "soest.editor")
    now = try await platform.client.getDataset(.with { $0.id = soest.datasetID }, options: editor)
    #expect(now.withdrawn && now.accessLevel == .restricted)
    let replaced = try await importing(
      CKANImportTests.synthetic, town: "soest", as: "soest.editor", replace: true)
    #expect(replaced.outcome == .updated)
    now = try await platform.client.getDataset(.with { $0.id = soest.datasetID }, options: editor)
    #expect(!now.withdrawn && now.accessLevel == .public && now.grantedOrganisations.isEmpty)

    // A client cannot claim a CKAN id by writing one.
    var claimed = platform.dataset("Fremd")
    claimed.ckanID = "7f3e9c1a-0000-4000-8000-000000000002"
    #expect(try await platform.create(claimed, as: "soest.editor").ckanID.isEmpty)
  }

  @Test func importResultsArriveBatchByBatch() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    let synthetic = SyntheticCatalogue()
    let sizes = try await platform.client.importCkan(
      options: bearer(platform.tokens["root"]!),
      requests: { writer in
        for index in 0..<450 {
          try await writer.write(.with { $0.ckanJson = synthetic.ckanJSON(index) })
        }
      },
      onResponse: { pages in
        var sizes: [Int] = []
        for try await page in pages { sizes.append(page.results.count) }
        return sizes
      })
    #expect(sizes == [200, 200, 50])
  }

  @Test func aFollowedFeedEndsWhenTheSessionIsRevoked() async throws {
    let platform = try await Platform()
    defer { platform.stop() }
    let users = Ordp_Identity_V1_Identity_Client(channel: platform.identityChannel)
    let session = try await users.login("soest.viewer", "Correct-Horse-Battery-7")
    let watcher = Task {
      await statusOf {
        try await platform.client.watchChanges(
          .with { $0.follow = true },
          options: CallOptions(
            timeout: .seconds(60),
            metadata: Metadata(["authorization": "Bearer \(session.accessToken)"]))
        ) { changes in for try await _ in changes {} }
      }
    }
    try await Task.sleep(for: .milliseconds(500))
    _ = try await users.logout(.with { $0.refreshToken = session.refreshToken })
    // Verifiers sync revocations every 5 s; the feed checks the token at least every second.
    let ended = await watcher.value
    #expect(ended?.code == .unauthenticated)
  }
}

extension CatalogueEndToEndTests.Platform {
  /// A service account of `town` with an API key of `scopes`, exchanged for a token.
  func serviceToken(town: String, scopes: [String]) async throws -> String {
    try await Ordp_Identity_V1_Identity_Client(channel: identityChannel).serviceKey(
      "key-\(UUID().uuidString.prefix(8).lowercased())", in: town, scopes: scopes,
      admin: tokens["root"]!
    ).token
  }
}
