import Foundation
import GRDB
public import ORDPCatalogueAPI

/// One page of a search, with what a merge of partitions needs.
public struct SearchPage: Sendable {
  public struct Hit: Sendable {
    public var dataset: Ordp_Catalogue_V1_Dataset
    public var score: Double
    /// The order's key of this hit, as text (score, modified micros or folded title).
    public var sortKey: String
    public var seq: Int64
  }

  public var hits: [Hit]
  /// Where the next page starts; nil on the last page.
  public var next: CatalogueQuery.Cursor?
  public var total: Int
  /// Field → (value, count), largest first.
  public var facets: [(field: String, values: [(String, Int)])]
  /// The feed position this result reflects.
  public var position: UInt64
}

extension SQLiteCatalogueStore {
  /// Runs `query` in one read transaction (one consistent snapshot for hits, count and facets).
  public func search(_ query: CatalogueQuery, facets: Bool) async throws -> SearchPage {
    try await pool.read { db in
      let (sql, arguments) = query.pageSQL()
      let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
      var hits: [SearchPage.Hit] = []
      for row in rows.prefix(query.limit) {
        let score: Int64 = row["score"]
        let key: String
        switch query.effectiveOrder {
        case .relevance: key = String(score)
        case .modified: key = String(row["modified"] as Int64)
        case .title: key = row["title_sort"]
        }
        hits.append(
          SearchPage.Hit(
            dataset: try Self.decode(row["data"]), score: Double(score), sortKey: key,
            seq: row["seq"]))
      }
      var next: CatalogueQuery.Cursor?
      if rows.count > query.limit, let last = hits.last {
        next = CatalogueQuery.Cursor(order: query.orderName, key: last.sortKey, id: last.dataset.id)
      }
      let (matches, matchArguments) = query.matchesSQL()
      let total =
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (\(matches))", arguments: matchArguments)
        ?? 0
      var facetCounts: [(field: String, values: [(String, Int)])] = []
      if facets {
        for (field, column) in [("publisher", "d.publisher"), ("license", "d.license")] {
          let rows = try Row.fetchAll(
            db,
            sql: """
              SELECT \(column) AS value, COUNT(*) AS n FROM dataset d
              WHERE d.seq IN (\(matches)) AND \(column) <> ''
              GROUP BY \(column) ORDER BY n DESC, value LIMIT \(query.facetLimit)
              """, arguments: matchArguments)
          facetCounts.append((field, rows.map { ($0["value"], $0["n"]) }))
        }
        for field in ["theme", "keyword", "format"] {
          var arguments = StatementArguments([field])
          _ = arguments.append(contentsOf: matchArguments)
          let rows = try Row.fetchAll(
            db,
            sql: """
              SELECT (SELECT MIN(x.display) FROM dataset_term x
                  WHERE x.field = t.field AND x.value = t.value) AS value, COUNT(*) AS n
              FROM dataset_term t WHERE t.field = ? AND t.seq IN (\(matches))
              GROUP BY t.value ORDER BY n DESC, value LIMIT \(query.facetLimit)
              """, arguments: arguments)
          facetCounts.append((field, rows.map { ($0["value"], $0["n"]) }))
        }
      }
      let position = UInt64(
        try Int64.fetchOne(db, sql: "SELECT MAX(position) FROM change") ?? 0)
      return SearchPage(
        hits: hits, next: next, total: total, facets: facetCounts, position: position)
    }
  }
}
