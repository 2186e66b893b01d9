import Foundation
import ORDPCatalogue
import ORDPCatalogueAPI
import Testing

@Suite struct StoreTests {
  func makeStore() throws -> SQLiteCatalogueStore {
    try SQLiteCatalogueStore(
      directory: FileManager.default.temporaryDirectory.appendingPathComponent(
        "ordp-catalogue-\(UUID().uuidString)"))
  }

  func dataset(_ id: String, title: String = "Parkplätze") throws -> Ordp_Catalogue_V1_Dataset {
    var dataset = FoldingAndValidationTests.valid()
    dataset.id = id
    dataset.title = title
    return try DatasetValidator.validate(dataset)
  }

  @Test func revisionsAreOptimisticAndKeptWhole() async throws {
    let store = try makeStore()
    let created = try await store.create(
      try dataset("d1"), action: "create", context: WriteContext(author: "user:a", at: 1_000))
    #expect(created.revision == 1 && created.issuedMicros == 1_000)
    var change = created
    change.title = "Parkplätze Innenstadt"
    let updated = try await store.update(
      change, baseRevision: 1, action: "update", context: WriteContext(author: "user:b", at: 2_000))
    #expect(
      updated.revision == 2 && updated.modifiedMicros == 2_000 && updated.issuedMicros == 1_000)
    // A second writer based on revision 1 loses.
    await #expect(throws: CatalogueStoreError.conflict(id: "d1", current: 2, base: 1)) {
      try await store.update(
        created, baseRevision: 1, action: "update",
        context: WriteContext(author: "user:c", at: 3_000))
    }
    var withdrawn = updated
    withdrawn.withdrawn = true
    _ = try await store.update(
      withdrawn, baseRevision: 2, action: "withdraw",
      context: WriteContext(author: "user:b", at: 4_000))
    let history = try await store.revisions(id: "d1", after: 0, limit: 10)
    #expect(history.map(\.revision) == [1, 2, 3])
    #expect(history.map(\.action) == ["create", "update", "withdraw"])
    #expect(history.map(\.author) == ["user:a", "user:b", "user:b"])
    #expect(history[0].dataset.title == "Parkplätze")
    #expect(try await store.dataset(id: "d1")?.withdrawn == true)
    #expect(try await store.dataset(publisher: "soest", slug: "parkplaetze")?.id == "d1")
  }

  @Test func snapshotsReadOneStateWhateverIsWrittenMeanwhile() async throws {
    let store = try makeStore()
    let context = WriteContext(author: "user:a", at: 1_000)
    for index in 0..<7 {
      var next = try dataset("d\(index)", title: "Titel \(index)")
      next.slug = "titel-\(index)"
      _ = try await store.create(next, action: "create", context: context)
    }
    let position = try await store.latestPosition()
    // After the snapshot's position: one changed, one withdrawn, one new.
    var changed = try #require(try await store.dataset(id: "d2"))
    changed.title = "Geändert"
    _ = try await store.update(changed, baseRevision: 1, action: "update", context: context)
    var withdrawn = try #require(try await store.dataset(id: "d4"))
    withdrawn.withdrawn = true
    _ = try await store.update(withdrawn, baseRevision: 1, action: "withdraw", context: context)
    var added = try dataset("d00", title: "Neu")
    added.slug = "neu"
    _ = try await store.create(added, action: "create", context: context)

    var seen: [Ordp_Catalogue_V1_Dataset] = []
    var after = ""
    var pages = 0
    while true {
      let page = try await store.snapshot(
        at: position, publisher: "soest", afterID: after, limit: 3)
      seen += page.datasets
      pages += 1
      guard let next = page.nextAfterID else { break }
      after = next
    }
    #expect(pages == 3)
    #expect(seen.map(\.id) == (0..<7).map { "d\($0)" })
    #expect(seen.map(\.title) == (0..<7).map { "Titel \($0)" })
    #expect(!seen.contains { $0.withdrawn })
    // The current state and another town.
    let now = try await store.snapshot(
      at: try await store.latestPosition(), publisher: nil, afterID: "", limit: 100)
    #expect(now.nextAfterID == nil && now.datasets.count == 8)
    #expect(now.datasets.first { $0.id == "d2" }?.title == "Geändert")
    #expect(now.datasets.first { $0.id == "d4" }?.withdrawn == true)
    let olpe = try await store.snapshot(at: position, publisher: "olpe", afterID: "", limit: 100)
    #expect(olpe.datasets.isEmpty && olpe.nextAfterID == nil)
  }

  @Test func uniqueSlugsAndIds() async throws {
    let store = try makeStore()
    let context = WriteContext(author: "user:a", at: 1)
    _ = try await store.create(try dataset("d1"), action: "create", context: context)
    await #expect(throws: CatalogueStoreError.alreadyExists("slug soest/parkplaetze")) {
      try await store.create(try dataset("d2"), action: "create", context: context)
    }
    await #expect(throws: CatalogueStoreError.alreadyExists("dataset d1")) {
      try await store.create(try dataset("d1", title: "Other"), action: "create", context: context)
    }
    await #expect(throws: CatalogueStoreError.notFound("dataset nope")) {
      try await store.update(
        try dataset("nope"), baseRevision: 1, action: "update", context: context)
    }
  }

  @Test func changeFeedHasEveryCommitOnceInOrderUnderConcurrentWriters() async throws {
    let store = try makeStore()
    try await withThrowingTaskGroup(of: Void.self) { group in
      for writer in 0..<4 {
        group.addTask {
          for index in 0..<25 {
            let id = "w\(writer)-\(index)"
            let created = try await store.create(
              try dataset(id, title: "Datensatz \(id)"), action: "create",
              context: WriteContext(author: "user:\(writer)", at: Int64(index)))
            _ = try await store.update(
              created, baseRevision: 1, action: "update",
              context: WriteContext(author: "user:\(writer)", at: Int64(index) + 1))
          }
        }
      }
      // A reader following the feed while the writers run, resuming after what it saw.
      group.addTask {
        var position: UInt64 = 0
        var seen: [String: [UInt64]] = [:]
        while seen.values.reduce(0, { $0 + $1.count }) < 200 {
          let page = try await store.changes(after: Int64(position), limit: 7)
          for change in page {
            #expect(change.position > position)
            position = change.position
            seen[change.datasetID, default: []].append(change.revision)
          }
          if page.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(seen.count == 100)
        #expect(seen.values.allSatisfy { $0 == [1, 2] })
      }
      try await group.waitForAll()
    }
    #expect(try await store.latestPosition() == 200)
  }
}
