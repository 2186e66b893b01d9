import Foundation
import GRDB
import ORDPCatalogueAPI

extension SQLiteCatalogueStore {
  /// Applies a batch of imported datasets in one transaction — one durable commit for all —
  /// each in its own savepoint, so a refused one leaves the others intact.
  public func importBatch(
    _ items: [ImportItem], context: WriteContext
  ) async throws -> [ImportOutcome] {
    try await pool.write { db in
      var outcomes: [ImportOutcome] = []
      outcomes.reserveCapacity(items.count)
      for item in items {
        var outcome = ImportOutcome.rejected(reason: "not applied", id: "")
        try db.inSavepoint {
          do {
            outcome = try Self.importOne(db, item, context: context)
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

  /// Creates the dataset, updates the one the same town imported before from the same CKAN id
  /// (keeping local decisions unless told otherwise, `ImportRules.merged`), or leaves it when
  /// the document has not changed since it was last imported — then not even fields edited
  /// here since are touched. A taken slug gets a numbered suffix. Another town's dataset with
  /// the same CKAN id is not looked at: for this town the id is new.
  static func importOne(
    _ db: Database, _ item: ImportItem, context: WriteContext
  ) throws -> ImportOutcome {
    var dataset = item.dataset
    if let data = try Data.fetchOne(
      db, sql: "SELECT data FROM dataset WHERE publisher = ? AND ckan_ref = ?",
      arguments: [dataset.publisher, dataset.ckanID])
    {
      let existing = try decode(data)
      let incoming = dataset
      dataset = ImportRules.merged(
        dataset, over: existing, replaceLocalChanges: item.replaceLocalChanges)
      if item.replaceLocalChanges {
        if ImportRules.sameContent(existing, dataset) { return .unchanged(id: existing.id) }
      } else if ImportRules.sameImportedContent(
        try lastImport(db, id: existing.id) ?? existing, incoming)
      {
        return .unchanged(id: existing.id)
      }
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

  /// The dataset as its latest import stored it.
  static func lastImport(_ db: Database, id: String) throws -> Ordp_Catalogue_V1_Dataset? {
    try Data.fetchOne(
      db,
      sql: """
        SELECT data FROM revision WHERE dataset_id = ? AND action = 'import'
        ORDER BY revision DESC LIMIT 1
        """, arguments: [id]
    ).map(decode)
  }
}
