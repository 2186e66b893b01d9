import Foundation
import GRDB
public import ORDPCatalogueAPI

/// A search as the store runs it: filters, visibility, order and cursor, turned into SQL.
/// I/O-free (it builds statements; the store executes them).
///
/// Relevance is a per-document score that depends only on the dataset and the query — for
/// every query word, 8 if it is in the title, 4 in the keywords, 1 in the description (words
/// match as prefixes after German folding) — not on corpus statistics as BM25 does. So a score
/// does not move when other datasets are written (paging stays stable) and scores of
/// different partitions are comparable (the gateway can merge them).
public struct CatalogueQuery: Sendable {
  public enum Order: Sendable, Equatable {
    case relevance
    case modified
    case title
  }

  /// Where the previous page ended.
  public struct Cursor: Codable, Sendable, Equatable {
    /// Order it belongs to ("relevance", "modified", "title").
    public var order: String
    /// Score, modified time or folded title of the last hit.
    public var key: String
    /// Its dataset id: ties of the key go by id, the same in every replica and partition (a
    /// merged search orders as one catalogue holding every town would).
    public var id: String
  }

  public var words: [String] = []
  public var publishers: [String] = []
  public var themes: [String] = []
  /// Folded keywords.
  public var keywords: [String] = []
  public var licenses: [String] = []
  /// Upper-cased formats.
  public var formats: [String] = []
  public var accessLevels: [Int] = []
  public var modifiedFrom: Int64?
  public var modifiedTo: Int64?
  public var bbox: Ordp_Catalogue_V1_BoundingBox?
  public var order: Order = .relevance
  public var limit = 20
  /// Values per facet.
  public var facetLimit = 50
  public var after: Cursor?
  /// What the caller may see: nil for everything (platform admin), else the access levels and
  /// the towns whose restricted datasets it may see.
  public var visibleLevels: [Int]?
  public var memberOf: [String] = []

  public init() {}

  /// The order actually used: relevance without words sorts by modified.
  var effectiveOrder: Order { order == .relevance && words.isEmpty ? .modified : order }

  var orderName: String {
    switch effectiveOrder {
    case .relevance: "relevance"
    case .modified: "modified"
    case .title: "title"
    }
  }

  /// `score` expression: 0 without words.
  func scoreSQL(_ arguments: inout StatementArguments) -> String {
    guard !words.isEmpty else { return "0" }
    var terms: [String] = []
    for word in words {
      for (column, weight) in [("title", 8), ("keywords", 4), ("description", 1)] {
        terms.append(
          "(d.seq IN (SELECT rowid FROM dataset_search WHERE dataset_search MATCH ?)) * \(weight)")
        _ = arguments.append(contentsOf: ["\(column) : \(Self.phrase(word))*"])
      }
    }
    return "(" + terms.joined(separator: " + ") + ")"
  }

  /// The conditions every hit meets (without the cursor).
  func whereSQL(_ arguments: inout StatementArguments) -> String {
    var conditions = ["d.withdrawn = 0"]
    if !words.isEmpty {
      conditions.append("d.seq IN (SELECT rowid FROM dataset_search WHERE dataset_search MATCH ?)")
      _ = arguments.append(contentsOf: [
        words.map { Self.phrase($0) + "*" }.joined(separator: " AND ")
      ])
    }
    if let visibleLevels {
      let levels = visibleLevels.map(String.init).joined(separator: ",")
      var visible = "d.access_level IN (\(levels))"
      if !memberOf.isEmpty {
        let towns = placeholders(memberOf.count)
        visible +=
          " OR (d.access_level = 3 AND (d.publisher IN \(towns) OR EXISTS (SELECT 1 FROM dataset_grant g WHERE g.seq = d.seq AND g.organisation_id IN \(towns))))"
        _ = arguments.append(contentsOf: StatementArguments(memberOf + memberOf))
      }
      conditions.append("(\(visible))")
    }
    if !publishers.isEmpty {
      conditions.append("d.publisher IN \(placeholders(publishers.count))")
      _ = arguments.append(contentsOf: StatementArguments(publishers))
    }
    if !licenses.isEmpty {
      conditions.append("d.license IN \(placeholders(licenses.count))")
      _ = arguments.append(contentsOf: StatementArguments(licenses))
    }
    if !accessLevels.isEmpty {
      conditions.append("d.access_level IN \(placeholders(accessLevels.count))")
      _ = arguments.append(contentsOf: StatementArguments(accessLevels))
    }
    for (field, values) in [("theme", themes), ("keyword", keywords), ("format", formats)]
    where !values.isEmpty {
      conditions.append(
        "EXISTS (SELECT 1 FROM dataset_term t WHERE t.seq = d.seq AND t.field = '\(field)' AND t.value IN \(placeholders(values.count)))"
      )
      _ = arguments.append(contentsOf: StatementArguments(values))
    }
    if let modifiedFrom {
      conditions.append("d.modified >= ?")
      _ = arguments.append(contentsOf: [modifiedFrom])
    }
    if let modifiedTo {
      conditions.append("d.modified < ?")
      _ = arguments.append(contentsOf: [modifiedTo])
    }
    if let bbox {
      conditions.append("d.west <= ? AND d.east >= ? AND d.south <= ? AND d.north >= ?")
      _ = arguments.append(contentsOf: [bbox.east, bbox.west, bbox.north, bbox.south])
    }
    return conditions.joined(separator: " AND ")
  }

  /// The page: hits with their score and sort key, one more than `limit` to know whether
  /// another page follows.
  func pageSQL() -> (String, StatementArguments) {
    var arguments = StatementArguments()
    let score = scoreSQL(&arguments)
    let conditions = whereSQL(&arguments)
    var orderBy: String
    var cursorCondition = ""
    switch effectiveOrder {
    case .relevance:
      orderBy = "score DESC, id ASC"
      if let after {
        cursorCondition = "WHERE score < ? OR (score = ? AND id > ?)"
        appendCursor(after, as: Int64.self, &arguments)
      }
    case .modified:
      orderBy = "modified DESC, id ASC"
      if let after {
        cursorCondition = "WHERE modified < ? OR (modified = ? AND id > ?)"
        appendCursor(after, as: Int64.self, &arguments)
      }
    case .title:
      orderBy = "title_sort ASC, id ASC"
      if let after {
        cursorCondition = "WHERE title_sort > ? OR (title_sort = ? AND id > ?)"
        _ = arguments.append(contentsOf: [after.key, after.key, after.id])
      }
    }
    let sql = """
      SELECT * FROM (
        SELECT d.seq AS seq, d.id AS id, d.data AS data, d.modified AS modified, d.title_sort AS title_sort,
          \(score) AS score
        FROM dataset d WHERE \(conditions)
      ) \(cursorCondition) ORDER BY \(orderBy) LIMIT \(limit + 1)
      """
    return (sql, arguments)
  }

  private func appendCursor<T: LosslessStringConvertible & DatabaseValueConvertible>(
    _ cursor: Cursor, as type: T.Type, _ arguments: inout StatementArguments
  ) {
    let key = T(cursor.key)
    _ = arguments.append(contentsOf: [key, key, cursor.id])
  }

  /// The set of matching rows, for counting and facets.
  func matchesSQL() -> (String, StatementArguments) {
    var arguments = StatementArguments()
    let conditions = whereSQL(&arguments)
    return ("SELECT d.seq FROM dataset d WHERE \(conditions)", arguments)
  }

  /// A folded word as an FTS5 string (double quotes doubled).
  static func phrase(_ word: String) -> String {
    "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  private func placeholders(_ count: Int) -> String {
    "(" + Array(repeating: "?", count: count).joined(separator: ",") + ")"
  }
}
