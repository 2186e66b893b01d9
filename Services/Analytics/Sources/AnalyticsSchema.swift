import GRDB

/// Versioned migrations of the analytics SQLite database. Never edit a registered migration;
/// add a new one.
enum AnalyticsSchema {
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE datastream (
            key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, owner TEXT NOT NULL,
            data BLOB NOT NULL);
          CREATE TABLE town_retention (
            owner TEXT PRIMARY KEY, raw_days INTEGER NOT NULL, rollup_days INTEGER NOT NULL);
          CREATE TABLE block (
            id INTEGER PRIMARY KEY, stream INTEGER NOT NULL, start INTEGER NOT NULL,
            end INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB NOT NULL);
          CREATE UNIQUE INDEX block_by_time ON block(stream, start, end);
          CREATE TABLE rollup (
            stream INTEGER NOT NULL, level INTEGER NOT NULL, start INTEGER NOT NULL,
            state BLOB NOT NULL, PRIMARY KEY (stream, level, start)) WITHOUT ROWID;
          """)
    }
    migrator.registerMigration("v2: raw expiry marks") { db in
      // Per stream: raw observations before `before` have been deleted by retention. Writes
      // before it are refused, since the rollups still count the deleted ones.
      try db.execute(
        sql: """
          CREATE TABLE raw_expiry (stream INTEGER PRIMARY KEY, before INTEGER NOT NULL)
          """)
    }
    return migrator
  }
}
