import Foundation
import ORDPCatalogue
import ORDPCatalogueAPI
import Testing

/// The in-memory search index against the SQL it replaces, on random queries over a synthetic
/// catalogue with updates, withdrawals and grants, paged to the end.
@Suite struct SearchIndexTests {
  @Test func indexAndSQLAgreeOnRandomQueriesPagedToTheEnd() async throws {
    let store = try SQLiteCatalogueStore(
      directory: FileManager.default.temporaryDirectory.appendingPathComponent(
        "ordp-search-index-\(UUID().uuidString)"))
    let synthetic = SyntheticCatalogue(seed: 5)
    var random = SystemRandomNumberGenerator()
    var created: [Ordp_Catalogue_V1_Dataset] = []
    for index in 0..<400 {
      var dataset = try DatasetValidator.validate(synthetic.dataset(index))
      dataset.id = String(format: "d%04d", index)
      if index % 7 == 0 { dataset.grantedOrganisations = ["menden"] }
      // Many equal modified times and titles, so tie-breaking by seq is exercised.
      if index % 3 == 0 { dataset.modifiedMicros = 1_700_000_000_000_000 }
      created.append(
        try await store.create(
          dataset, action: "create", context: WriteContext(author: "test", at: 1)))
    }
    let search = CatalogueSearch(store: store)
    try await search.catchUp()
    // Writes after the index was built: it must follow them.
    for index in stride(from: 0, to: 400, by: 11) {
      var changed = created[index]
      changed.title = "Geänderte Straßenbäume \(index % 4)"
      changed.keywords.append("Geändert")
      changed.accessLevel = index % 2 == 0 ? .restricted : .public
      changed.withdrawn = index % 5 == 0
      _ = try await store.update(
        changed, baseRevision: 1, action: "update", context: WriteContext(author: "test", at: 2))
    }
    let words = [
      "strasse", "parkpl", "muell", "energie", "innenstadt", "daten", "geaendert", "2019", "nord",
    ]
    let towns = SyntheticCatalogue.towns.map(\.id)
    for round in 0..<60 {
      var query = CatalogueQuery()
      query.limit = [1, 7, 25][round % 3]
      if Bool.random(using: &random) {
        query.words = (0..<Int.random(in: 1...2, using: &random)).map { _ in
          words.randomElement(using: &random)!
        }
      }
      if Int.random(in: 0..<4, using: &random) == 0 { query.publishers = [towns.randomElement()!] }
      if Int.random(in: 0..<4, using: &random) == 0 { query.themes = ["ENVI", "TRAN"] }
      if Int.random(in: 0..<5, using: &random) == 0 { query.keywords = ["verkehr", "geaendert"] }
      if Int.random(in: 0..<5, using: &random) == 0 { query.formats = ["CSV"] }
      if Int.random(in: 0..<5, using: &random) == 0 { query.licenses = ["dl-by-de/2.0"] }
      if Int.random(in: 0..<6, using: &random) == 0 {
        query.modifiedFrom = 1_700_000_000_000_000
        query.modifiedTo = 1_780_000_000_000_000
      }
      if Int.random(in: 0..<6, using: &random) == 0 {
        var box = Ordp_Catalogue_V1_BoundingBox()
        (box.west, box.south, box.east, box.north) = (7.7, 51.3, 8.1, 51.5)
        query.bbox = box
      }
      switch round % 4 {
      case 0: query.visibleLevels = [1]
      case 1:
        query.visibleLevels = [1, 2]
        query.memberOf = ["menden"]
      case 2:
        query.visibleLevels = [1, 2]
        query.memberOf = ["soest", "olpe"]
      default: query.visibleLevels = nil
      }
      query.order = [.relevance, .modified, .title][Int.random(in: 0..<3, using: &random)]
      // Page to the end on both paths, comparing every page.
      var pages = 0
      while true {
        let sql = try await store.search(query, facets: pages == 0)
        let indexed = try await search.search(query, facets: pages == 0)
        expectSame(sql, indexed)
        pages += 1
        guard let next = indexed.next, pages < 500 else { break }
        query.after = next
      }
    }
  }

  /// Many updates leave unused runs in the term pool; after it is compacted the index answers
  /// exactly like one built from the final states only.
  @Test func compactingTheTermPoolChangesNoAnswer() {
    let synthetic = SyntheticCatalogue(seed: 3)
    var churned = SearchIndex()
    var position: UInt64 = 0
    var finals: [Int64: Ordp_Catalogue_V1_Dataset] = [:]
    for round in 0..<120 {
      for index in 0..<50 {
        var dataset = synthetic.dataset(index * 1000 + round)
        dataset.id = "d\(index)"
        dataset.revision = UInt64(round + 1)
        position += 1
        churned.apply(position: position, seq: Int64(index + 1), dataset: dataset)
        finals[Int64(index + 1)] = dataset
      }
    }
    var fresh = SearchIndex()
    for (number, seq) in finals.keys.sorted().enumerated() {
      fresh.apply(position: UInt64(number + 1), seq: seq, dataset: finals[seq]!)
    }
    for order in [CatalogueQuery.Order.relevance, .modified, .title] {
      var query = CatalogueQuery()
      query.order = order
      query.limit = 50
      query.themes = order == .title ? ["ENVI", "TRAN", "GOVE"] : []
      let a = churned.evaluate(query, scores: nil, facets: true)
      let b = fresh.evaluate(query, scores: nil, facets: true)
      #expect(a.hits.map(\.id) == b.hits.map(\.id))
      #expect(a.total == b.total)
      let left = a.facets.map { "\($0.field) \($0.values.map { "\($0.0)=\($0.1)" })" }
      let right = b.facets.map { "\($0.field) \($0.values.map { "\($0.0)=\($0.1)" })" }
      #expect(left == right)
    }
  }
}
