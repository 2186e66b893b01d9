public import Foundation
import GRDB
public import ORDPAnalyticsAPI
import SwiftProtobuf

/// The embedded store: SQLite in WAL mode with `synchronous = FULL`. Observations live in
/// blocks — one row per stream and up to `blockCapacity` consecutive observations, columns
/// packed in a blob (`BlockCodec`) — so that a row insert carries thousands of observations
/// instead of one; rollup cells (hour, Berlin day) are rows of encoded `AggregateState`.
/// See docs/ANALYTICS.md for the measurements behind this layout.
public final class SQLiteAnalyticsStore: AnalyticsStore {
  let pool: DatabasePool
  let blockCapacity: Int
  static let mmapBytes = 1 << 30

  public init(directory: URL, blockCapacity: Int = 2048) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var configuration = Configuration()
    configuration.busyMode = .timeout(10)
    configuration.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
      try db.execute(sql: "PRAGMA mmap_size = \(Self.mmapBytes)")
    }
    pool = try DatabasePool(
      path: directory.appendingPathComponent("analytics.sqlite").path, configuration: configuration)
    self.blockCapacity = blockCapacity
    try AnalyticsSchema.migrator.migrate(pool)
  }

  // MARK: Datastreams and retention

  public func datastreams() async throws -> [StreamRecord] {
    try await pool.read { db in
      try Row.fetchAll(db, sql: "SELECT key, data FROM datastream ORDER BY key").map { row in
        StreamRecord(
          key: row[0],
          datastream: try Ordp_Analytics_V1_Datastream(serializedBytes: [UInt8](row[1] as Data)))
      }
    }
  }

  public func insertDatastream(
    _ datastream: Ordp_Analytics_V1_Datastream
  ) async throws
    -> StreamRecord
  {
    try await pool.write { db in
      try db.execute(
        sql: "INSERT INTO datastream (id, owner, data) VALUES (?, ?, ?)",
        arguments: [
          datastream.id, datastream.owner, Data(try datastream.serializedBytes() as [UInt8]),
        ])
      return StreamRecord(key: db.lastInsertedRowID, datastream: datastream)
    }
  }

  public func updateDatastream(_ datastream: Ordp_Analytics_V1_Datastream) async throws {
    try await pool.write { db in
      try db.execute(
        sql: "UPDATE datastream SET data = ? WHERE id = ?",
        arguments: [Data(try datastream.serializedBytes() as [UInt8]), datastream.id])
      if db.changesCount == 0 { throw AnalyticsStoreError.notFound("datastream \(datastream.id)") }
    }
  }

  public func townRetentions() async throws -> [String: Ordp_Analytics_V1_Retention] {
    try await pool.read { db in
      var result: [String: Ordp_Analytics_V1_Retention] = [:]
      for row in try Row.fetchAll(
        db, sql: "SELECT owner, raw_days, rollup_days FROM town_retention")
      {
        var retention = Ordp_Analytics_V1_Retention()
        retention.rawDays = row[1]
        retention.rollupDays = row[2]
        result[row[0]] = retention
      }
      return result
    }
  }

  public func setTownRetention(
    owner: String, _ retention: Ordp_Analytics_V1_Retention
  )
    async throws
  {
    try await pool.write { db in
      try db.execute(
        sql:
          "INSERT OR REPLACE INTO town_retention (owner, raw_days, rollup_days) VALUES (?, ?, ?)",
        arguments: [owner, retention.rawDays, retention.rollupDays])
    }
  }

  // MARK: Ingest

  public func write(_ series: [SeriesWrite]) async throws -> [SeriesWriteResult] {
    let capacity = blockCapacity
    return try await pool.write { db in
      try series.map { try Self.write($0, capacity: capacity, db) }
    }
  }

  static func write(
    _ series: SeriesWrite, capacity: Int, _ db: Database
  ) throws
    -> SeriesWriteResult
  {
    var new = series.columns
    var expired = 0
    if let mark = try Int64.fetchOne(
      db.cachedStatement(sql: "SELECT before FROM raw_expiry WHERE stream = ?"),
      arguments: [series.stream]), let first = new.times.first, first < mark
    {
      let keep = new.times.partitioningIndex(where: { $0 >= mark })
      expired = keep
      new = new.slice(keep..<new.count)
    }
    guard let first = new.times.first, let last = new.times.last else {
      return SeriesWriteResult(added: 0, duplicates: 0, expired: expired)
    }
    let predecessor = try Int64.fetchOne(
      db.cachedStatement(sql: "SELECT max(start) FROM block WHERE stream = ? AND start <= ?"),
      arguments: [series.stream, first])
    var blocks: [BlockMerge.StoredBlock] = []
    let rows = try Row.fetchCursor(
      db.cachedStatement(
        sql: """
          SELECT id, data FROM block WHERE stream = ? AND start >= ? AND start <= ?
          ORDER BY start
          """),
      arguments: [series.stream, predecessor ?? Int64.min, last])
    while let row = try rows.next() {
      blocks.append(.init(id: row[0], columns: try decodeBlock(row, 1)))
    }
    let merged = BlockMerge.merge(blocks: blocks, new: new, capacity: capacity)
    let update = try db.cachedStatement(
      sql: "UPDATE block SET start = ?, end = ?, count = ?, data = ? WHERE id = ?")
    for (id, columns) in merged.replaced {
      try update.execute(arguments: [
        columns.times.first!, columns.times.last!, columns.count,
        Data(BlockCodec.encode(columns)), id,
      ])
    }
    let insert = try db.cachedStatement(
      sql: "INSERT INTO block (stream, start, end, count, data) VALUES (?, ?, ?, ?, ?)")
    for columns in merged.inserted {
      try insert.execute(arguments: [
        series.stream, columns.times.first!, columns.times.last!, columns.count,
        Data(BlockCodec.encode(columns)),
      ])
    }
    if merged.added.count > 0 {
      try mergeRollups(
        Rollups.deltas(
          stream: series.stream, times: merged.added.times, results: merged.added.results),
        db)
    }
    return SeriesWriteResult(
      added: merged.added.count, duplicates: merged.duplicates, expired: expired)
  }

  static func mergeRollups(_ deltas: [RollupKey: AggregateState], _ db: Database) throws {
    let select = try db.cachedStatement(
      sql: "SELECT state FROM rollup WHERE stream = ? AND level = ? AND start = ?")
    let upsert = try db.cachedStatement(
      sql: "INSERT OR REPLACE INTO rollup (stream, level, start, state) VALUES (?, ?, ?, ?)")
    for (key, delta) in deltas {
      var state = delta
      if let row = try Row.fetchOne(
        select, arguments: [key.stream, key.level.rawValue, key.start])
      {
        var stored = try decodeState(row, 0)
        stored.merge(delta)
        state = stored
      }
      try upsert.execute(arguments: [
        key.stream, key.level.rawValue, key.start, Data(StateCodec.encode(state)),
      ])
    }
  }

  static func decodeBlock(_ row: Row, _ column: Int) throws -> ObservationColumns {
    try row.withUnsafeData(atIndex: column) { data in
      guard let data else { throw AnalyticsStoreError.corrupt("observation block without data") }
      return try data.withUnsafeBytes { (buffer) throws(BlockCodec.Malformed) in
        try BlockCodec.decode(buffer)
      }
    }
  }

  static func decodeState(_ row: Row, _ column: Int) throws -> AggregateState {
    try row.withUnsafeData(atIndex: column) { data in
      guard let data else { throw AnalyticsStoreError.corrupt("rollup cell without state") }
      return try data.withUnsafeBytes { (buffer) throws(StateCodec.Malformed) in
        try StateCodec.decode(buffer)
      }
    }
  }
}
