import Foundation
import GRDB
public import ORDPCatalogueAPI

extension SQLiteCatalogueStore {
  public func indexChanges(after position: UInt64, limit: Int) async throws -> [IndexChange] {
    try await pool.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT c.position, d.seq, r.data FROM change c
          JOIN revision r ON r.dataset_id = c.dataset_id AND r.revision = c.revision
          JOIN dataset d ON d.id = c.dataset_id
          WHERE c.position > ? ORDER BY c.position LIMIT ?
          """, arguments: [Int64(position), limit]
      ).map { row in
        IndexChange(
          position: UInt64(row["position"] as Int64), seq: row["seq"],
          dataset: try Self.decode(row["data"]))
      }
    }
  }

  public func textMatches(
    _ words: [String]
  ) async throws -> (
    position: UInt64, scores: [Int64: Int]
  ) {
    try await pool.read { db in
      var scores: [Int64: Int] = [:]
      for (number, word) in words.enumerated() {
        var wordScores: [Int64: Int] = [:]
        for (column, weight) in [("title", 8), ("keywords", 4), ("description", 1)] {
          let rows = try Int64.fetchCursor(
            db, sql: "SELECT rowid FROM dataset_search WHERE dataset_search MATCH ?",
            arguments: ["\(column) : \(CatalogueQuery.phrase(word))*"])
          while let seq = try rows.next() { wordScores[seq, default: 0] += weight }
        }
        // Every word must match: keep only what matched all words so far.
        if number == 0 {
          scores = wordScores
        } else {
          var kept: [Int64: Int] = [:]
          kept.reserveCapacity(min(scores.count, wordScores.count))
          for (seq, score) in wordScores {
            if let previous = scores[seq] { kept[seq] = previous + score }
          }
          scores = kept
        }
        if scores.isEmpty { break }
      }
      let position = UInt64(try Int64.fetchOne(db, sql: "SELECT MAX(position) FROM change") ?? 0)
      return (position, scores)
    }
  }

  public func datasets(
    revisions: [(id: String, revision: UInt64)]
  ) async throws
    -> [Ordp_Catalogue_V1_Dataset]
  {
    try await pool.read { db in
      let statement = try db.cachedStatement(
        sql: "SELECT data FROM revision WHERE dataset_id = ? AND revision = ?")
      return try revisions.map { id, revision in
        guard
          let data = try Data.fetchOne(
            statement, arguments: [id, Int64(revision)])
        else { throw CatalogueStoreError.notFound("revision \(revision) of dataset \(id)") }
        return try Self.decode(data)
      }
    }
  }
}
