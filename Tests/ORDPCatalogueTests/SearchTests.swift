import Foundation
import ORDPCatalogue
import ORDPCatalogueAPI
import Testing

@Suite struct SearchTests {
  let store: SQLiteCatalogueStore

  init() throws {
    store = try SQLiteCatalogueStore(
      directory: FileManager.default.temporaryDirectory.appendingPathComponent(
        "ordp-search-\(UUID().uuidString)"))
  }

  @discardableResult
  func add(
    _ title: String, description: String = "Daten", publisher: String = "soest",
    keywords: [String] = [], themes: [String] = ["REGI"], format: String = "CSV",
    license: String = "dl-by-de/2.0", access: Ordp_Catalogue_V1_AccessLevel = .public,
    granted: [String] = [], bbox: (Double, Double, Double, Double)? = nil, at: Int64 = 1
  ) async throws -> Ordp_Catalogue_V1_Dataset {
    var dataset = Ordp_Catalogue_V1_Dataset()
    dataset.id = UUID().uuidString
    dataset.publisher = publisher
    dataset.title = title
    dataset.description_p = description
    dataset.keywords = keywords
    dataset.themes = themes
    dataset.license = license
    dataset.accessLevel = access
    dataset.grantedOrganisations = granted
    if let bbox {
      dataset.spatial.hasBbox_p = true
      dataset.spatial.bbox.west = bbox.0
      dataset.spatial.bbox.south = bbox.1
      dataset.spatial.bbox.east = bbox.2
      dataset.spatial.bbox.north = bbox.3
    }
    var distribution = Ordp_Catalogue_V1_Distribution()
    distribution.accessURL = "https://example.org/\(dataset.id)"
    distribution.format = format
    dataset.distributions = [distribution]
    dataset.slug = GermanFolding.slug(title) + "-" + dataset.id.prefix(8).lowercased()
    return try await store.create(
      try DatasetValidator.validate(dataset), action: "create",
      context: WriteContext(author: "user:test", at: at))
  }

  /// Runs the query both ways — SQL in the store, and FTS5 plus the in-memory index as the
  /// service does — expects the same answer, and returns the service's.
  func search(_ edit: (inout CatalogueQuery) -> Void) async throws -> SearchPage {
    var query = CatalogueQuery()
    query.limit = 100
    edit(&query)
    let sql = try await store.search(query, facets: true)
    let indexed = try await CatalogueSearch(store: store).search(query, facets: true)
    expectSame(sql, indexed)
    return indexed
  }

  func titles(_ page: SearchPage) -> [String] { page.hits.map(\.dataset.title) }

  @Test func germanAwareMatchingAndRelevance() async throws {
    try await add("Straßenbäume im Stadtgebiet")
    try await add("Müllabfuhr Termine", keywords: ["Abfall"])
    try await add("Abfallkalender", description: "Wann der Müll abgeholt wird")
    try await add("Haltestellen", description: "Nichts davon")
    #expect(
      titles(try await search { $0.words = GermanFolding.words("Strasse") }) == [
        "Straßenbäume im Stadtgebiet"
      ])
    // "Muell" finds "Müll": a title match ranks above a description match.
    #expect(
      titles(try await search { $0.words = GermanFolding.words("Muell") }) == [
        "Müllabfuhr Termine", "Abfallkalender",
      ])
    // Keyword weight: "Abfall" in the title (8) beats it in the keywords (4).
    #expect(
      titles(try await search { $0.words = ["abfall"] }) == [
        "Abfallkalender", "Müllabfuhr Termine",
      ])
    #expect(try await search { $0.words = ["muell", "termine"] }.total == 1)
  }

  @Test func filtersAndFacets() async throws {
    try await add(
      "A", publisher: "soest", keywords: ["Verkehr"], themes: ["TRAN"], format: "CSV",
      bbox: (8.0, 51.5, 8.2, 51.6), at: 100)
    try await add(
      "B", publisher: "soest", keywords: ["verkehr", "Rad"], themes: ["TRAN", "ENVI"],
      format: "GeoJSON", license: "cc-by/4.0", at: 200)
    try await add(
      "C", publisher: "olpe", keywords: ["Wasser"], themes: ["ENVI"], format: "csv",
      bbox: (7.8, 51.0, 7.9, 51.1), at: 300)
    #expect(titles(try await search { $0.publishers = ["olpe"] }) == ["C"])
    #expect(Set(titles(try await search { $0.themes = ["TRAN"] })) == ["A", "B"])
    #expect(
      Set(titles(try await search { $0.keywords = [GermanFolding.fold("VERKEHR")] })) == ["A", "B"])
    #expect(Set(titles(try await search { $0.formats = ["CSV"] })) == ["A", "C"])
    #expect(titles(try await search { $0.licenses = ["cc-by/4.0"] }) == ["B"])
    #expect(
      titles(
        try await search {
          $0.modifiedFrom = 150; $0.modifiedTo = 250
        }) == ["B"])
    var box = Ordp_Catalogue_V1_BoundingBox()
    box.west = 8.1
    box.south = 51.55
    box.east = 9
    box.north = 52
    #expect(titles(try await search { $0.bbox = box }) == ["A"])

    let all = try await search { _ in }
    #expect(all.total == 3)
    #expect(titles(all) == ["C", "B", "A"])  // newest first without words
    let facets = Dictionary(uniqueKeysWithValues: all.facets.map { ($0.field, $0.values) })
    #expect(facets["publisher"]?.map(\.0) == ["soest", "olpe"])
    #expect(facets["publisher"]?.map(\.1) == [2, 1])
    #expect(facets["theme"]?.first.map { [$0.0: $0.1] } != nil)
    #expect(
      Dictionary(uniqueKeysWithValues: facets["theme"]!.map { ($0.0, $0.1) }) == [
        "TRAN": 2, "ENVI": 2,
      ])
    #expect(
      Dictionary(uniqueKeysWithValues: facets["format"]!.map { ($0.0, $0.1) }) == [
        "CSV": 2, "GEOJSON": 1,
      ])
    #expect(facets["keyword"]?.first?.1 == 2)
    #expect(
      Dictionary(uniqueKeysWithValues: facets["license"]!.map { ($0.0, $0.1) }) == [
        "dl-by-de/2.0": 2, "cc-by/4.0": 1,
      ])
  }

  @Test func visibilityIsAppliedToHitsCountsAndFacets() async throws {
    try await add("Offen")
    try await add("Intern", access: .internal)
    try await add("Nur Soest", access: .restricted)
    try await add("Soest und Olpe", access: .restricted, granted: ["olpe"])
    let anonymous = try await search { $0.visibleLevels = [1] }
    #expect(titles(anonymous) == ["Offen"] && anonymous.total == 1)
    #expect(anonymous.facets.first { $0.field == "publisher" }?.values.first?.1 == 1)
    let olpe = try await search {
      $0.visibleLevels = [1, 2]
      $0.memberOf = ["olpe"]
    }
    #expect(Set(titles(olpe)) == ["Offen", "Intern", "Soest und Olpe"])
    let soest = try await search {
      $0.visibleLevels = [1, 2]
      $0.memberOf = ["soest"]
    }
    #expect(soest.total == 4)
  }

  @Test func cursorPagingIsCompleteAndStableUnderConcurrentWrites() async throws {
    for index in 0..<120 {
      try await add(
        "Datensatz \(index % 7 == 0 ? "Parken" : "Sonstiges") \(index)",
        description: index % 3 == 0 ? "Parken am Bahnhof" : "Anderes", at: Int64(index / 5))
    }
    for order in [CatalogueQuery.Order.relevance, .modified, .title] {
      var query = CatalogueQuery()
      query.order = order
      query.limit = 7
      if order == .relevance { query.words = ["parken"] }
      var everything = query
      everything.limit = 1000
      let before = Set(try await store.search(everything, facets: false).hits.map(\.dataset.id))
      var seen: [String] = []
      var pages = 0
      repeat {
        let page = try await store.search(query, facets: false)
        seen += page.hits.map(\.dataset.id)
        query.after = page.next
        pages += 1
        // Writes between pages: they must not shift what is still to come.
        try await add("Parken Neu \(order) \(pages)", description: "Parken", at: 1)
      } while query.after != nil
      // No dataset twice, none that was there from the start skipped; datasets written while
      // paging may show up (once) on later pages.
      #expect(Set(seen).count == seen.count, "\(order): a dataset came twice")
      #expect(before.isSubset(of: Set(seen)), "\(order): \(before.subtracting(seen).count) skipped")
    }
  }
}

/// Both search paths agree: hits in order with score and sort key, next cursor, total, facets.
func expectSame(
  _ sql: SearchPage, _ indexed: SearchPage, sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(
    sql.hits.map(\.dataset.id) == indexed.hits.map(\.dataset.id), sourceLocation: sourceLocation)
  #expect(sql.hits.map(\.score) == indexed.hits.map(\.score), sourceLocation: sourceLocation)
  #expect(sql.hits.map(\.sortKey) == indexed.hits.map(\.sortKey), sourceLocation: sourceLocation)
  #expect(sql.next == indexed.next, sourceLocation: sourceLocation)
  #expect(sql.total == indexed.total, sourceLocation: sourceLocation)
  #expect(sql.position == indexed.position, sourceLocation: sourceLocation)
  let left = sql.facets.map { facet in "\(facet.field): \(facet.values.map { "\($0.0)=\($0.1)" })" }
  let right = indexed.facets.map { facet in
    "\(facet.field): \(facet.values.map { "\($0.0)=\($0.1)" })"
  }
  #expect(left == right, sourceLocation: sourceLocation)
}
