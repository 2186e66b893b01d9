import Foundation
import GRDB

extension SQLiteAnalyticsStore {
  public func fill(
    _ plans: [(stream: Int64, plan: AggregatePlan)]
  ) async throws
    -> [AggregatePlan]
  {
    try await pool.read { db in
      try plans.map { stream, plan in
        var plan = plan
        try Self.fill(&plan, stream: stream, db)
        return plan
      }
    }
  }

  static func fill(_ plan: inout AggregatePlan, stream: Int64, _ db: Database) throws {
    guard let first = plan.buckets.first, let last = plan.buckets.last else { return }
    for level in RollupLevel.allCases
    where level == .day ? plan.readsDays : plan.readsHours {
      let rows = try Row.fetchCursor(
        db.cachedStatement(
          sql: """
            SELECT start, state FROM rollup WHERE stream = ? AND level = ? AND start >= ?
            AND start < ? ORDER BY start
            """),
        arguments: [stream, level.rawValue, first.start, last.end])
      while let row = try rows.next() {
        plan.add(level: level, start: row[0], state: try decodeState(row, 1))
      }
    }
    for range in plan.rawRanges {
      // Only this range's points: a block may reach into the next raw range too.
      try forEachBlock(stream: stream, from: range.start, to: range.end, db) { columns in
        var index = columns.times.partitioningIndex(where: { $0 >= range.start })
        while index < columns.count && columns.times[index] < range.end {
          plan.add(time: columns.times[index], value: columns.results[index])
          index += 1
        }
        return index == columns.count
      }
    }
  }

  /// Blocks of a stream overlapping [from, to), in time order, until `body` says stop.
  static func forEachBlock(
    stream: Int64, from: Int64, to: Int64, _ db: Database,
    _ body: (ObservationColumns) throws -> Bool
  ) throws {
    // The block holding `from` starts at or before it: begin at the last such block.
    let begin =
      try Int64.fetchOne(
        db.cachedStatement(sql: "SELECT max(start) FROM block WHERE stream = ? AND start <= ?"),
        arguments: [stream, from]) ?? from
    let rows = try Row.fetchCursor(
      db.cachedStatement(
        sql: """
          SELECT data FROM block WHERE stream = ? AND start >= ? AND start < ? ORDER BY start
          """),
      arguments: [stream, begin, to])
    while let row = try rows.next() {
      if try !body(try decodeBlock(row, 0)) { return }
    }
  }

  public func observations(
    stream: Int64, from: Int64, to: Int64, limit: Int
  ) async throws
    -> ObservationColumns
  {
    try await pool.read { db in
      var result = ObservationColumns()
      try Self.forEachBlock(stream: stream, from: from, to: to, db) { columns in
        var index = columns.times.partitioningIndex(where: { $0 >= from })
        while index < columns.count && columns.times[index] < to && result.count < limit {
          result.append(from: columns, index)
          index += 1
        }
        return result.count < limit && index == columns.count
      }
      return result
    }
  }

  public func latest(streams: [Int64]) async throws -> [Int64: LatestObservation] {
    try await pool.read { db in
      var result: [Int64: LatestObservation] = [:]
      let statement = try db.cachedStatement(
        sql: "SELECT data FROM block WHERE stream = ? ORDER BY start DESC LIMIT 1")
      for stream in streams {
        guard let row = try Row.fetchOne(statement, arguments: [stream]) else { continue }
        let columns = try Self.decodeBlock(row, 0)
        guard let last = columns.times.indices.last else { continue }
        result[stream] = LatestObservation(
          time: columns.times[last], result: columns.results[last],
          quality: columns.quality(last))
      }
      return result
    }
  }

  public func expire(
    stream: Int64, rawBefore: Int64?, rollupsBefore: Int64?, limit: Int
  )
    async throws -> Int
  {
    try await pool.write { db in
      var deleted = 0
      if let rawBefore {
        try db.execute(
          sql: """
            INSERT INTO raw_expiry (stream, before) VALUES (?, ?)
            ON CONFLICT (stream) DO UPDATE SET before = max(before, excluded.before)
            """, arguments: [stream, rawBefore])
        try db.execute(
          sql: """
            DELETE FROM block WHERE id IN (
              SELECT id FROM block WHERE stream = ? AND end < ? ORDER BY start LIMIT ?)
            """, arguments: [stream, rawBefore, limit])
        deleted += db.changesCount
        if deleted < limit { deleted += try Self.trimBlock(stream: stream, before: rawBefore, db) }
      }
      if let rollupsBefore, deleted < limit {
        // A cell goes once it has ended: an hour an hour after its start, a day (at most 25
        // hours long) 25 hours after.
        for (level, length) in [(RollupLevel.hour, Int64(3_600_000_000)), (.day, 90_000_000_000)] {
          try db.execute(
            sql: """
              DELETE FROM rollup WHERE stream = ? AND level = ? AND start IN (
                SELECT start FROM rollup WHERE stream = ? AND level = ? AND start <= ?
                ORDER BY start LIMIT ?)
              """,
            arguments: [
              stream, level.rawValue, stream, level.rawValue, rollupsBefore - length,
              limit - deleted,
            ])
          deleted += db.changesCount
        }
      }
      return deleted
    }
  }
}

extension SQLiteAnalyticsStore {
  /// Drops the observations before `before` from the one block that straddles it (blocks that
  /// ended before it are deleted whole), so that retention is exact, not per block.
  static func trimBlock(stream: Int64, before: Int64, _ db: Database) throws -> Int {
    guard
      let row = try Row.fetchOne(
        db.cachedStatement(
          sql: "SELECT id, data FROM block WHERE stream = ? AND start < ? ORDER BY start LIMIT 1"),
        arguments: [stream, before])
    else { return 0 }
    let columns = try decodeBlock(row, 1)
    let keep = columns.times.partitioningIndex(where: { $0 >= before })
    guard keep > 0 else { return 0 }
    if keep == columns.count {
      try db.execute(sql: "DELETE FROM block WHERE id = ?", arguments: [row[0] as Int64])
      return 1
    }
    let rest = columns.slice(keep..<columns.count)
    try db.execute(
      sql: "UPDATE block SET start = ?, end = ?, count = ?, data = ? WHERE id = ?",
      arguments: [
        rest.times.first!, rest.times.last!, rest.count, Data(BlockCodec.encode(rest)),
        row[0] as Int64,
      ])
    return 1
  }
}

extension Array where Element == Int64 {
  /// The first index whose element satisfies `predicate` (which must be false then true).
  func partitioningIndex(where predicate: (Int64) -> Bool) -> Int {
    var low = 0
    var high = count
    while low < high {
      let middle = (low + high) / 2
      if predicate(self[middle]) { high = middle } else { low = middle + 1 }
    }
    return low
  }
}
