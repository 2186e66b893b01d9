import Foundation
import GRDB
public import ORDPCatalogueAPI

extension SQLiteCatalogueStore {
  /// Applies a batch of imported datasets in one transaction — one durable commit for all —
  /// each in its own savepoint, so a refused one leaves the others intact.
  public func importBatch(
    _ datasets: [Ordp_Catalogue_V1_Dataset], context: WriteContext
  ) async throws -> [ImportOutcome] {
    try await pool.write { db in
      var outcomes: [ImportOutcome] = []
      outcomes.reserveCapacity(datasets.count)
      for dataset in datasets {
        var outcome = ImportOutcome.rejected(reason: "not applied", id: "")
        try db.inSavepoint {
          do {
            outcome = try Self.importOne(db, dataset, context: context)
            return .commit
          } catch let error as CatalogueStoreError {
            outcome = .rejected(reason: error.rpcError.message, id: "")
            return .rollback
          }
        }
        outcomes.append(outcome)
      }
      return outcomes
    }
  }

  /// Creates the dataset, updates the one imported before from the same CKAN id, or leaves it
  /// when nothing changed. A taken slug gets a numbered suffix.
  static func importOne(
    _ db: Database, _ incoming: Ordp_Catalogue_V1_Dataset, context: WriteContext
  ) throws -> ImportOutcome {
    var dataset = incoming
    if let data = try Data.fetchOne(
      db, sql: "SELECT data FROM dataset WHERE ckan_id = ?", arguments: [dataset.ckanID])
    {
      let existing = try decode(data)
      guard existing.publisher == dataset.publisher else {
        return .rejected(
          reason:
            "CKAN id \(dataset.ckanID) was imported for \(existing.publisher), not \(dataset.publisher)",
          id: existing.id)
      }
      dataset.id = existing.id
      dataset.slug = existing.slug
      if ImportRules.sameContent(existing, dataset) { return .unchanged(id: existing.id) }
      _ = try replace(
        db, dataset, baseRevision: existing.revision, action: "import", context: context)
      return .updated(id: existing.id)
    }
    dataset.id = UUID().uuidString.lowercased()
    let base = dataset.slug
    for attempt in 1...5 {
      if try seq(db, "publisher = ? AND slug = ?", dataset.publisher, dataset.slug) == nil {
        return .created(id: try insert(db, dataset, action: "import", context: context).id)
      }
      dataset.slug = String(base.prefix(75)) + "-\(attempt + 1)"
    }
    return .rejected(reason: "no free slug for \(base) in \(dataset.publisher)", id: "")
  }
}
