import GRDB

/// Versioned migrations of identity's SQLite database. Never edit a registered migration;
/// add a new one.
enum SQLiteSchema {
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE organisation (
            id TEXT PRIMARY KEY, display_name TEXT NOT NULL, kind TEXT NOT NULL,
            active INTEGER NOT NULL, created_at INTEGER NOT NULL);
          CREATE TABLE user (
            id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL, email TEXT NOT NULL, password_hash TEXT NOT NULL,
            platform_admin INTEGER NOT NULL, disabled INTEGER NOT NULL, created_at INTEGER NOT NULL);
          CREATE TABLE membership (
            user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
            organisation_id TEXT NOT NULL REFERENCES organisation(id),
            role TEXT NOT NULL, PRIMARY KEY (user_id, organisation_id));
          CREATE INDEX membership_by_organisation ON membership(organisation_id, user_id);
          CREATE TABLE session (
            id TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL, revoked_at INTEGER);
          CREATE INDEX session_by_user ON session(user_id);
          CREATE TABLE refresh_token (
            hash BLOB PRIMARY KEY, session_id TEXT NOT NULL REFERENCES session(id) ON DELETE CASCADE,
            issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
          CREATE INDEX refresh_token_by_session ON refresh_token(session_id);
          CREATE TABLE revocation (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, value TEXT NOT NULL,
            revoked_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
          CREATE TABLE service_account (
            id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisation(id),
            name TEXT NOT NULL, description TEXT NOT NULL, created_at INTEGER NOT NULL,
            UNIQUE (organisation_id, name));
          CREATE TABLE api_key (
            id TEXT PRIMARY KEY,
            service_account_id TEXT NOT NULL REFERENCES service_account(id),
            organisation_id TEXT NOT NULL, secret_hash BLOB NOT NULL, scopes TEXT NOT NULL,
            created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER,
            last_used_at INTEGER);
          CREATE INDEX api_key_by_account ON api_key(service_account_id);
          CREATE TABLE signing_key (
            id TEXT PRIMARY KEY, private_key BLOB NOT NULL, created_at INTEGER NOT NULL,
            retired_at INTEGER);
          CREATE TABLE login_throttle (
            key TEXT PRIMARY KEY, failures INTEGER NOT NULL, window_start INTEGER NOT NULL,
            locked_until INTEGER);
          CREATE TABLE audit_event (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL,
            source TEXT NOT NULL, detail TEXT NOT NULL);
          CREATE INDEX audit_event_by_actor ON audit_event(actor, sequence);
          CREATE INDEX audit_event_by_time ON audit_event(at);
          CREATE TABLE audit_organisation (
            organisation_id TEXT NOT NULL, sequence INTEGER NOT NULL REFERENCES audit_event(sequence),
            PRIMARY KEY (organisation_id, sequence)) WITHOUT ROWID;
          CREATE INDEX audit_organisation_by_sequence ON audit_organisation(sequence);
          CREATE TRIGGER audit_event_append_only_update BEFORE UPDATE ON audit_event
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
          CREATE TRIGGER audit_event_append_only_delete BEFORE DELETE ON audit_event
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
          CREATE TRIGGER audit_organisation_append_only_update BEFORE UPDATE ON audit_organisation
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
          CREATE TRIGGER audit_organisation_append_only_delete BEFORE DELETE ON audit_organisation
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
          """)
    }
    migrator.registerMigration("v2-municipality-key") { db in
      try db.execute(
        sql: "ALTER TABLE organisation ADD COLUMN municipality_key TEXT NOT NULL DEFAULT ''")
    }
    return migrator
  }
}
