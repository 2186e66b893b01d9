public import Foundation
import GRDB
public import ORDPCatalogueAPI
import SwiftProtobuf

/// The catalogue's embedded store: SQLite in WAL mode with `synchronous = FULL`; datasets as
/// protobuf blobs beside the columns that filters, sorting and facets need, an FTS5 index of
/// the folded text, every revision, and the change feed.
public final class SQLiteCatalogueStore: CatalogueStore {
  let pool: DatabasePool
  /// Bytes of the database file each connection may map.
  static let mmapBytes = 1 << 30

  public init(directory: URL) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var configuration = Configuration()
    configuration.busyMode = .timeout(10)
    configuration.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
      // Reads through a memory map instead of copying every page with pread: text matches
      // touch many FTS5 pages (measured: 2–5× faster searches at 100,000 datasets).
      try db.execute(sql: "PRAGMA mmap_size = \(Self.mmapBytes)")
    }
    pool = try DatabasePool(
      path: directory.appendingPathComponent("catalogue.sqlite").path, configuration: configuration)
    try CatalogueSchema.migrator.migrate(pool)
  }

  public func create(
    _ dataset: Ordp_Catalogue_V1_Dataset, action: String, context: WriteContext
  )
    async throws -> Ordp_Catalogue_V1_Dataset
  {
    try await pool.write { db in try Self.insert(db, dataset, action: action, context: context) }
  }

  public func update(
    _ dataset: Ordp_Catalogue_V1_Dataset, baseRevision: UInt64, action: String,
    context: WriteContext
  ) async throws -> Ordp_Catalogue_V1_Dataset {
    try await pool.write { db in
      try Self.replace(db, dataset, baseRevision: baseRevision, action: action, context: context)
    }
  }

  static func insert(
    _ db: Database, _ dataset: Ordp_Catalogue_V1_Dataset, action: String, context: WriteContext
  ) throws -> Ordp_Catalogue_V1_Dataset {
    var stored = dataset
    stored.revision = 1
    stored.withdrawn = false
    if stored.issuedMicros == 0 { stored.issuedMicros = context.at }
    if stored.modifiedMicros == 0 { stored.modifiedMicros = context.at }
    if try Self.seq(db, "id = ?", stored.id) != nil {
      throw CatalogueStoreError.alreadyExists("dataset \(stored.id)")
    }
    if try Self.seq(db, "publisher = ? AND slug = ?", stored.publisher, stored.slug) != nil {
      throw CatalogueStoreError.alreadyExists("slug \(stored.publisher)/\(stored.slug)")
    }
    if !stored.ckanID.isEmpty,
      try Self.seq(db, "publisher = ? AND ckan_ref = ?", stored.publisher, stored.ckanID) != nil
    {
      throw CatalogueStoreError.alreadyExists("CKAN id \(stored.ckanID)")
    }
    try db.execute(
      sql: """
        INSERT INTO dataset (id, publisher, slug, revision, withdrawn, access_level, title_sort,
          license, modified, ckan_ref, data) VALUES (?, ?, ?, 1, 0, 0, '', '', 0, ?, x'')
        """,
      arguments: [
        stored.id, stored.publisher, stored.slug, stored.ckanID.isEmpty ? nil : stored.ckanID,
      ])
    try Self.write(db, stored, seq: db.lastInsertedRowID, action: action, context: context)
    return stored
  }

  static func replace(
    _ db: Database, _ dataset: Ordp_Catalogue_V1_Dataset, baseRevision: UInt64, action: String,
    context: WriteContext
  ) throws -> Ordp_Catalogue_V1_Dataset {
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT seq, revision, data FROM dataset WHERE id = ?", arguments: [dataset.id])
    else { throw CatalogueStoreError.notFound("dataset \(dataset.id)") }
    let seq: Int64 = row["seq"]
    let current = UInt64(row["revision"] as Int64)
    guard current == baseRevision else {
      throw CatalogueStoreError.conflict(id: dataset.id, current: current, base: baseRevision)
    }
    let previous = try Self.decode(row["data"])
    var stored = dataset
    stored.revision = current + 1
    stored.issuedMicros = previous.issuedMicros
    stored.ckanID = stored.ckanID.isEmpty ? previous.ckanID : stored.ckanID
    if stored.modifiedMicros == 0 || stored.modifiedMicros == previous.modifiedMicros {
      stored.modifiedMicros = context.at
    }
    if stored.slug != previous.slug,
      try Self.seq(db, "publisher = ? AND slug = ?", stored.publisher, stored.slug) != nil
    {
      throw CatalogueStoreError.alreadyExists("slug \(stored.publisher)/\(stored.slug)")
    }
    try db.execute(
      sql: "UPDATE dataset SET slug = ?, publisher = ?, ckan_ref = ? WHERE seq = ?",
      arguments: [
        stored.slug, stored.publisher, stored.ckanID.isEmpty ? nil : stored.ckanID, seq,
      ])
    try Self.write(db, stored, seq: seq, action: action, context: context)
    return stored
  }

  /// Writes the dataset's columns, terms, search text, revision and change.
  static func write(
    _ db: Database, _ dataset: Ordp_Catalogue_V1_Dataset, seq: Int64, action: String,
    context: WriteContext
  ) throws {
    let data = Data(try dataset.serializedBytes() as [UInt8])
    let box = dataset.hasSpatial && dataset.spatial.hasBbox_p ? dataset.spatial.bbox : nil
    try db.execute(
      sql: """
        UPDATE dataset SET revision = ?, withdrawn = ?, access_level = ?, title_sort = ?,
          license = ?, modified = ?, west = ?, south = ?, east = ?, north = ?, data = ?
        WHERE seq = ?
        """,
      arguments: [
        Int64(dataset.revision), dataset.withdrawn, dataset.accessLevel.rawValue,
        GermanFolding.fold(dataset.title), dataset.license, dataset.modifiedMicros, box?.west,
        box?.south, box?.east, box?.north, data, seq,
      ])
    try db.execute(sql: "DELETE FROM dataset_grant WHERE seq = ?", arguments: [seq])
    for organisation in dataset.grantedOrganisations {
      try db.execute(
        sql: "INSERT INTO dataset_grant (seq, organisation_id) VALUES (?, ?)",
        arguments: [seq, organisation])
    }
    try db.execute(sql: "DELETE FROM dataset_term WHERE seq = ?", arguments: [seq])
    var terms: [(String, String, String)] = []
    for keyword in dataset.keywords {
      terms.append(("keyword", GermanFolding.fold(keyword), keyword))
    }
    for theme in dataset.themes { terms.append(("theme", theme, theme)) }
    for distribution in dataset.distributions where !distribution.format.isEmpty {
      terms.append(("format", distribution.format.uppercased(), distribution.format.uppercased()))
    }
    var seen = Set<String>()
    for (field, value, display) in terms where seen.insert("\(field)\u{0}\(value)").inserted {
      try db.execute(
        sql: "INSERT INTO dataset_term (seq, field, value, display) VALUES (?, ?, ?, ?)",
        arguments: [seq, field, value, display])
    }
    try db.execute(sql: "DELETE FROM dataset_search WHERE rowid = ?", arguments: [seq])
    if !dataset.withdrawn {
      try db.execute(
        sql: "INSERT INTO dataset_search (rowid, title, description, keywords) VALUES (?, ?, ?, ?)",
        arguments: [
          seq, GermanFolding.fold(dataset.title), GermanFolding.fold(dataset.description_p),
          GermanFolding.fold(dataset.keywords.joined(separator: " ")),
        ])
    }
    try db.execute(
      sql: """
        INSERT INTO revision (dataset_id, revision, at, author, action, data)
        VALUES (?, ?, ?, ?, ?, ?)
        """,
      arguments: [dataset.id, Int64(dataset.revision), context.at, context.author, action, data])
    try db.execute(
      sql: "INSERT INTO change (dataset_id, revision, action, at) VALUES (?, ?, ?, ?)",
      arguments: [dataset.id, Int64(dataset.revision), action, context.at])
  }

  static func seq(_ db: Database, _ condition: String, _ values: String...) throws -> Int64? {
    try Int64.fetchOne(
      db, sql: "SELECT seq FROM dataset WHERE \(condition)",
      arguments: StatementArguments(values))
  }

  static func decode(_ data: Data) throws -> Ordp_Catalogue_V1_Dataset {
    try Ordp_Catalogue_V1_Dataset(serializedBytes: [UInt8](data))
  }

  public func dataset(id: String) async throws -> Ordp_Catalogue_V1_Dataset? {
    try await fetchOne("id = ?", id)
  }

  public func dataset(publisher: String, slug: String) async throws -> Ordp_Catalogue_V1_Dataset? {
    try await fetchOne("publisher = ? AND slug = ?", publisher, slug)
  }

  public func dataset(publisher: String, ckanID: String) async throws -> Ordp_Catalogue_V1_Dataset?
  {
    try await fetchOne("publisher = ? AND ckan_ref = ?", publisher, ckanID)
  }

  private func fetchOne(
    _ condition: String, _ values: String...
  ) async throws
    -> Ordp_Catalogue_V1_Dataset?
  {
    let arguments = StatementArguments(values)
    return try await pool.read { db in
      try Data.fetchOne(
        db, sql: "SELECT data FROM dataset WHERE \(condition)", arguments: arguments
      )
      .map(Self.decode)
    }
  }

  public func revisions(
    id: String, after revision: Int64, limit: Int
  ) async throws -> [Ordp_Catalogue_V1_Revision] {
    try await pool.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT * FROM revision WHERE dataset_id = ? AND revision > ? ORDER BY revision LIMIT ?
          """, arguments: [id, revision, limit]
      ).map { row in
        var revision = Ordp_Catalogue_V1_Revision()
        revision.revision = UInt64(row["revision"] as Int64)
        revision.atMicros = row["at"]
        revision.author = row["author"]
        revision.action = row["action"]
        revision.dataset = try Self.decode(row["data"])
        return revision
      }
    }
  }

  public func changes(
    after position: Int64, limit: Int
  ) async throws
    -> [Ordp_Catalogue_V1_Change]
  {
    try await pool.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT c.position, c.dataset_id, c.revision, c.action, c.at, r.data FROM change c
          JOIN revision r ON r.dataset_id = c.dataset_id AND r.revision = c.revision
          WHERE c.position > ? ORDER BY c.position LIMIT ?
          """, arguments: [position, limit]
      ).map { row in
        var change = Ordp_Catalogue_V1_Change()
        change.position = UInt64(row["position"] as Int64)
        change.datasetID = row["dataset_id"]
        change.revision = UInt64(row["revision"] as Int64)
        change.action = row["action"]
        change.atMicros = row["at"]
        change.dataset = try Self.decode(row["data"])
        return change
      }
    }
  }

  public func latestPosition() async throws -> UInt64 {
    try await pool.read { db in
      UInt64(try Int64.fetchOne(db, sql: "SELECT MAX(position) FROM change") ?? 0)
    }
  }

  public func snapshot(
    at position: UInt64, publisher: String?, afterID: String, limit: Int
  ) async throws -> SnapshotPage {
    try await pool.read { db in
      // Datasets created after `position` have no revision then and are skipped.
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT s.id, r.data FROM (
            SELECT d.id AS id, (
              SELECT c.revision FROM change c WHERE c.dataset_id = d.id AND c.position <= ?
              ORDER BY c.position DESC LIMIT 1) AS revision
            FROM dataset d WHERE d.id > ? AND (? IS NULL OR d.publisher = ?)
            ORDER BY d.id LIMIT ?) AS s
          LEFT JOIN revision r ON r.dataset_id = s.id AND r.revision = s.revision
          ORDER BY s.id
          """, arguments: [Int64(position), afterID, publisher, publisher, limit])
      let datasets = try rows.compactMap { row -> Ordp_Catalogue_V1_Dataset? in
        guard let data = row["data"] as Data? else { return nil }
        return try Self.decode(data)
      }
      return SnapshotPage(
        datasets: datasets, nextAfterID: rows.count < limit ? nil : rows.last?["id"])
    }
  }
}
