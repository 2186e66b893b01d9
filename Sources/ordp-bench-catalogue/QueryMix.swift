import Foundation
import GRDB
import ORDPCatalogueAPI

/// One query of the benchmark's mix: the search request as a client sends it, and the same
/// query written by hand in plain SQL against the catalogue's tables (FTS5 match ranked by
/// bm25, filters, the page, the total and the five facet counts), returning the total.
struct BenchQuery: Sendable {
  var name: String
  var request: Ordp_Catalogue_V1_SearchRequest
  /// FROM clause, WHERE clause with its arguments, ORDER BY.
  var from: String
  var conditions: String
  var arguments: [DatabaseValue]
  var orderBy: String

  func handWritten(_ db: Database) throws -> Int {
    let arguments = StatementArguments(arguments)
    let page = try Data.fetchAll(
      db,
      sql: "SELECT d.data FROM \(from) WHERE \(conditions) ORDER BY \(orderBy) LIMIT 21",
      arguments: arguments)
    precondition(page.count <= 21)
    let total =
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM \(from) WHERE \(conditions)", arguments: arguments) ?? 0
    let matches =
      "WITH m AS MATERIALIZED (SELECT d.seq, d.publisher, d.license FROM \(from) WHERE \(conditions))"
    for column in ["publisher", "license"] {
      _ = try Row.fetchAll(
        db,
        sql:
          "\(matches) SELECT \(column), COUNT(*) AS n FROM m GROUP BY \(column) ORDER BY n DESC LIMIT 50",
        arguments: arguments)
    }
    for field in ["theme", "keyword", "format"] {
      var facetArguments = arguments
      _ = facetArguments.append(contentsOf: [field])
      _ = try Row.fetchAll(
        db,
        sql: """
          \(matches) SELECT t.value, COUNT(*) AS n FROM dataset_term t JOIN m ON m.seq = t.seq
          WHERE t.field = ? GROUP BY t.value ORDER BY n DESC LIMIT 50
          """,
        arguments: facetArguments)
    }
    return total
  }
}

enum QueryMix {
  // CROSS JOIN makes the FTS5 match the outer loop (the planner otherwise may walk an index of
  // `dataset` and run the match per row — seconds instead of milliseconds).
  static let text = "dataset_search s CROSS JOIN dataset d ON d.seq = s.rowid"
  static let table = "dataset d"
  static let publicOnly = "d.withdrawn = 0 AND d.access_level = 1"
  /// The synthetic catalogue's "now".
  static let now: Int64 = 1_790_000_000_000_000

  static func request(
    _ edit: (inout Ordp_Catalogue_V1_SearchRequest) -> Void
  )
    -> Ordp_Catalogue_V1_SearchRequest
  {
    var request = Ordp_Catalogue_V1_SearchRequest()
    request.facets = true
    request.pageSize = 20
    edit(&request)
    return request
  }

  static var all: [BenchQuery] {
    var mix: [BenchQuery] = []
    mix.append(
      BenchQuery(
        name: "text: Parkplätze", request: request { $0.query = "Parkplätze" }, from: text,
        conditions: "dataset_search MATCH ? AND \(publicOnly)",
        arguments: ["\"parkplaetze\"*".databaseValue], orderBy: "s.rank"))
    mix.append(
      BenchQuery(
        name: "text folded: Strasse", request: request { $0.query = "Strasse" }, from: text,
        conditions: "dataset_search MATCH ? AND \(publicOnly)",
        arguments: ["\"strasse\"*".databaseValue], orderBy: "s.rank"))
    mix.append(
      BenchQuery(
        name: "two words: Muell Abfuhr", request: request { $0.query = "Muell Abfuhr" }, from: text,
        conditions: "dataset_search MATCH ? AND \(publicOnly)",
        arguments: ["\"muell\"* AND \"abfuhr\"*".databaseValue], orderBy: "s.rank"))
    mix.append(
      BenchQuery(
        name: "text + town: radverkehr, soest",
        request: request {
          $0.query = "radverkehr"
          $0.publishers = ["soest"]
        }, from: text, conditions: "dataset_search MATCH ? AND \(publicOnly) AND d.publisher = ?",
        arguments: ["\"radverkehr\"*".databaseValue, "soest".databaseValue], orderBy: "s.rank"))
    mix.append(
      BenchQuery(
        name: "theme ENVI by modified",
        request: request {
          $0.themes = ["ENVI"]
          $0.sort = .modified
        }, from: table,
        conditions:
          "\(publicOnly) AND d.seq IN (SELECT seq FROM dataset_term WHERE field = 'theme' AND value = ?)",
        arguments: ["ENVI".databaseValue], orderBy: "d.modified DESC"))
    mix.append(
      BenchQuery(
        name: "keyword Fahrrad + licence",
        request: request {
          $0.keywords = ["Fahrrad"]
          $0.licenses = ["dl-by-de/2.0"]
        }, from: table,
        conditions:
          "\(publicOnly) AND d.license = ? AND d.seq IN (SELECT seq FROM dataset_term WHERE field = 'keyword' AND value = ?)",
        arguments: ["dl-by-de/2.0".databaseValue, "fahrrad".databaseValue],
        orderBy: "d.modified DESC"))
    mix.append(
      BenchQuery(
        name: "text + format + last year",
        request: request {
          $0.query = "energie"
          $0.formats = ["CSV"]
          $0.modifiedFromMicros = now - 365 * 86_400_000_000
          $0.modifiedToMicros = now
        }, from: text,
        conditions:
          "dataset_search MATCH ? AND \(publicOnly) AND d.modified >= ? AND d.modified < ? AND d.seq IN (SELECT seq FROM dataset_term WHERE field = 'format' AND value = ?)",
        arguments: [
          "\"energie\"*".databaseValue, (now - 365 * 86_400_000_000).databaseValue,
          now.databaseValue, "CSV".databaseValue,
        ], orderBy: "s.rank"))
    mix.append(
      BenchQuery(
        name: "bounding box + theme TRAN",
        request: request {
          $0.hasBbox_p = true
          $0.bbox.west = 8.0
          $0.bbox.south = 51.35
          $0.bbox.east = 8.1
          $0.bbox.north = 51.45
          $0.themes = ["TRAN"]
        }, from: table,
        conditions:
          "\(publicOnly) AND d.west <= ? AND d.east >= ? AND d.south <= ? AND d.north >= ? AND d.seq IN (SELECT seq FROM dataset_term WHERE field = 'theme' AND value = ?)",
        arguments: [
          (8.1).databaseValue, (8.0).databaseValue, (51.45).databaseValue, (51.35).databaseValue,
          "TRAN".databaseValue,
        ],
        orderBy: "d.modified DESC"))
    mix.append(
      BenchQuery(
        name: "everything by title", request: request { $0.sort = .title }, from: table,
        conditions: publicOnly, arguments: [], orderBy: "d.title_sort"))
    return mix
  }
}
