import GRDB

/// Versioned migrations of the catalogue's SQLite database. Never edit a registered
/// migration; add a new one.
enum CatalogueSchema {
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE dataset (
            seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, publisher TEXT NOT NULL,
            slug TEXT NOT NULL, revision INTEGER NOT NULL, withdrawn INTEGER NOT NULL,
            access_level INTEGER NOT NULL, title_sort TEXT NOT NULL, license TEXT NOT NULL,
            modified INTEGER NOT NULL, west REAL, south REAL, east REAL, north REAL,
            ckan_id TEXT UNIQUE, data BLOB NOT NULL, UNIQUE (publisher, slug));
          CREATE INDEX dataset_by_modified ON dataset(modified, seq);
          CREATE INDEX dataset_by_title ON dataset(title_sort, seq);
          CREATE TABLE dataset_grant (
            seq INTEGER NOT NULL REFERENCES dataset(seq), organisation_id TEXT NOT NULL,
            PRIMARY KEY (organisation_id, seq)) WITHOUT ROWID;
          CREATE TABLE dataset_term (
            seq INTEGER NOT NULL REFERENCES dataset(seq), field TEXT NOT NULL,
            value TEXT NOT NULL, display TEXT NOT NULL,
            PRIMARY KEY (field, value, seq)) WITHOUT ROWID;
          CREATE INDEX dataset_term_by_dataset ON dataset_term(seq);
          CREATE VIRTUAL TABLE dataset_search USING fts5(
            title, description, keywords, tokenize = 'unicode61 remove_diacritics 0');
          CREATE TABLE revision (
            dataset_id TEXT NOT NULL, revision INTEGER NOT NULL, at INTEGER NOT NULL,
            author TEXT NOT NULL, action TEXT NOT NULL, data BLOB NOT NULL,
            PRIMARY KEY (dataset_id, revision)) WITHOUT ROWID;
          CREATE TABLE change (
            position INTEGER PRIMARY KEY AUTOINCREMENT, dataset_id TEXT NOT NULL,
            revision INTEGER NOT NULL, action TEXT NOT NULL, at INTEGER NOT NULL);
          """)
    }
    migrator.registerMigration("v2: change by dataset") { db in
      // Export reads each dataset's state as of one feed position.
      try db.execute(
        sql: "CREATE INDEX change_by_dataset ON change(dataset_id, position, revision)")
    }
    migrator.registerMigration("v3: CKAN ids per town") { db in
      // A CKAN id names a package in one town's portal: two towns may import packages with the
      // same id, and one town's import must not block (squat) another's. The old column kept
      // them unique across the region; SQLite cannot drop that constraint, so the ids move to
      // a new column, unique per publisher, and the old one stays empty.
      try db.execute(
        sql: """
          ALTER TABLE dataset ADD COLUMN ckan_ref TEXT;
          UPDATE dataset SET ckan_ref = ckan_id, ckan_id = NULL WHERE ckan_id IS NOT NULL;
          CREATE UNIQUE INDEX dataset_by_ckan_ref ON dataset(publisher, ckan_ref);
          """)
    }
    return migrator
  }
}
