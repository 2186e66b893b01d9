import Foundation
import GRDB
public import ORDPAuth

extension SQLiteIdentityStore {
  // MARK: Sessions and refresh tokens

  public func createSession(
    _ session: SessionRecord, token: RefreshTokenRecord, audit: AuditRecord
  )
    async throws
  {
    try await pool.write { db in
      try db.execute(
        sql: "INSERT INTO session (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        arguments: [session.id, session.userID, session.createdAt, session.expiresAt])
      try Self.insert(db, token)
      try Self.append(db, audit)
    }
  }

  public func useRefreshToken(
    hash: [UInt8], next: RefreshTokenRecord, now: Micros, revocationExpiry: Micros
  ) async throws -> RefreshOutcome {
    try await pool.write { db in
      guard
        let token = try Row.fetchOne(
          db, sql: "SELECT * FROM refresh_token WHERE hash = ?", arguments: [Data(hash)]),
        let session = try Self.fetchSession(db, id: token["session_id"])
      else { return .invalid }
      if session.revokedAt != nil || session.expiresAt <= now { return .invalid }
      let usedAt: Micros? = token["used_at"]
      if usedAt != nil {
        // A used refresh token came back: someone holds a copy. End the whole session.
        try db.execute(
          sql: "UPDATE session SET revoked_at = ? WHERE id = ?", arguments: [now, session.id])
        try Self.revoke(
          db,
          NewRevocation(
            kind: .session, value: session.id, revokedAt: now, expiresAt: revocationExpiry))
        var revoked = session
        revoked.revokedAt = now
        return .reused(revoked)
      }
      let expiresAt: Micros = token["expires_at"]
      if expiresAt <= now { return .invalid }
      try db.execute(
        sql: "UPDATE refresh_token SET used_at = ? WHERE hash = ?", arguments: [now, Data(hash)])
      var successor = next
      successor.sessionID = session.id
      // Every refresh token of a session lives as long as the session: it can be refreshed
      // until the session ends, one rotation after the other.
      successor.expiresAt = session.expiresAt
      try Self.insert(db, successor)
      return .rotated(session)
    }
  }

  public func endSession(
    refreshTokenHash: [UInt8], now: Micros, revocationExpiry: Micros, audit: AuditRecord
  ) async throws -> SessionRecord? {
    try await pool.write { db in
      guard
        let sessionID = try String.fetchOne(
          db, sql: "SELECT session_id FROM refresh_token WHERE hash = ?",
          arguments: [Data(refreshTokenHash)]),
        var session = try Self.fetchSession(db, id: sessionID)
      else { return nil }
      if session.revokedAt == nil {
        try db.execute(
          sql: "UPDATE session SET revoked_at = ? WHERE id = ?", arguments: [now, session.id])
        try Self.revoke(
          db,
          NewRevocation(
            kind: .session, value: session.id, revokedAt: now, expiresAt: revocationExpiry))
        session.revokedAt = now
      }
      var audit = audit
      audit.actor = "user:\(session.userID)"
      try Self.append(db, audit)
      return session
    }
  }

  static func insert(_ db: Database, _ token: RefreshTokenRecord) throws {
    try db.execute(
      sql:
        "INSERT INTO refresh_token (hash, session_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
      arguments: [Data(token.hash), token.sessionID, token.issuedAt, token.expiresAt])
  }

  static func fetchSession(_ db: Database, id: String) throws -> SessionRecord? {
    try Row.fetchOne(db, sql: "SELECT * FROM session WHERE id = ?", arguments: [id]).map { row in
      SessionRecord(
        id: row["id"], userID: row["user_id"], createdAt: row["created_at"],
        expiresAt: row["expires_at"], revokedAt: row["revoked_at"])
    }
  }

  // MARK: Revocations

  public func revocations(
    after sequence: Int64, now: Micros, limit: Int
  ) async throws -> RevocationPage {
    try await pool.read { db in
      let latest =
        try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'revocation'")
        ?? 0
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT * FROM revocation WHERE sequence > ? AND expires_at > ? ORDER BY sequence
          LIMIT ?
          """,
        arguments: [sequence, now, limit + 1])
      let entries = rows.prefix(limit).compactMap { row -> RevocationEntry? in
        let stored: String = row["kind"]
        guard let kind = Self.revocationKind(stored) else { return nil }
        let sequence: Int64 = row["sequence"]
        let expiresAt: Int64 = row["expires_at"]
        let revokedAt: Int64 = row["revoked_at"]
        return RevocationEntry(
          sequence: UInt64(sequence), kind: kind, value: row["value"],
          expiresAt: Double(expiresAt) / 1_000_000, revokedAt: Double(revokedAt) / 1_000_000)
      }
      let more = rows.count > limit
      let covered: Int64 = more ? rows[limit - 1]["sequence"] : latest
      return RevocationPage(entries: entries, latest: UInt64(max(0, covered)), more: more)
    }
  }

  // MARK: Service accounts and API keys

  public func insertServiceAccount(_ account: ServiceAccountRecord, audit: AuditRecord) async throws
  {
    try await pool.write { db in
      let taken =
        try Bool.fetchOne(
          db,
          sql:
            "SELECT EXISTS (SELECT 1 FROM service_account WHERE organisation_id = ? AND name = ?)",
          arguments: [account.organisationID, account.name]) ?? false
      if taken {
        throw IdentityStoreError.alreadyExists(
          "service account \(account.name) in \(account.organisationID)")
      }
      try db.execute(
        sql: """
          INSERT INTO service_account (id, organisation_id, name, description, created_at)
          VALUES (?, ?, ?, ?, ?)
          """,
        arguments: [
          account.id, account.organisationID, account.name, account.description, account.createdAt,
        ])
      try Self.append(db, audit)
    }
  }

  public func serviceAccount(id: String) async throws -> ServiceAccountRecord? {
    try await pool.read { db in
      try Row.fetchOne(db, sql: "SELECT * FROM service_account WHERE id = ?", arguments: [id]).map(
        Self.serviceAccount)
    }
  }

  public func serviceAccounts(
    inOrganisation organisationID: String
  ) async throws
    -> [ServiceAccountRecord]
  {
    try await pool.read { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM service_account WHERE organisation_id = ? ORDER BY name",
        arguments: [organisationID]
      ).map(Self.serviceAccount)
    }
  }

  static func serviceAccount(_ row: Row) -> ServiceAccountRecord {
    ServiceAccountRecord(
      id: row["id"], organisationID: row["organisation_id"], name: row["name"],
      description: row["description"], createdAt: row["created_at"])
  }

  public func insertAPIKey(_ key: APIKeyRecord, audit: AuditRecord) async throws {
    try await pool.write { db in
      try db.execute(
        sql: """
          INSERT INTO api_key (id, service_account_id, organisation_id, secret_hash, scopes,
            created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          key.id, key.serviceAccountID, key.organisationID, Data(key.secretHash),
          key.scopes.map(\.rawValue).joined(separator: " "), key.createdAt, key.expiresAt,
        ])
      try Self.append(db, audit)
    }
  }

  public func apiKey(id: String) async throws -> APIKeyRecord? {
    try await pool.read { db in try Self.fetchAPIKey(db, id: id) }
  }

  public func apiKeys(serviceAccountID: String) async throws -> [APIKeyRecord] {
    try await pool.read { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM api_key WHERE service_account_id = ? ORDER BY created_at",
        arguments: [serviceAccountID]
      ).map(Self.apiKey)
    }
  }

  public func revokeAPIKey(
    id: String, at: Micros, revocationExpiry: Micros, audit: AuditRecord
  )
    async throws -> APIKeyRecord
  {
    try await pool.write { db in
      guard var key = try Self.fetchAPIKey(db, id: id) else {
        throw IdentityStoreError.notFound("API key \(id)")
      }
      if key.revokedAt == nil {
        try db.execute(sql: "UPDATE api_key SET revoked_at = ? WHERE id = ?", arguments: [at, id])
        try Self.revoke(
          db,
          NewRevocation(
            kind: .session, value: "apikey:\(id)", revokedAt: at, expiresAt: revocationExpiry))
        key.revokedAt = at
      }
      try Self.append(db, audit)
      return key
    }
  }

  public func recordAPIKeyUse(id: String, touch: Bool, audit: AuditRecord) async throws {
    try await pool.write { db in
      if touch {
        try db.execute(
          sql: "UPDATE api_key SET last_used_at = ? WHERE id = ?", arguments: [audit.at, id])
      }
      try Self.append(db, audit)
    }
  }

  static func fetchAPIKey(_ db: Database, id: String) throws -> APIKeyRecord? {
    try Row.fetchOne(db, sql: "SELECT * FROM api_key WHERE id = ?", arguments: [id]).map(apiKey)
  }

  static func apiKey(_ row: Row) -> APIKeyRecord {
    let hash: Data = row["secret_hash"]
    let scopes: String = row["scopes"]
    return APIKeyRecord(
      id: row["id"], serviceAccountID: row["service_account_id"],
      organisationID: row["organisation_id"], secretHash: Array(hash),
      scopes: scopes.split(separator: " ").compactMap { Scope(rawValue: String($0)) },
      createdAt: row["created_at"], expiresAt: row["expires_at"], revokedAt: row["revoked_at"],
      lastUsedAt: row["last_used_at"])
  }

  // MARK: Signing keys

  public func signingKeys() async throws -> [SigningKeyRecord] {
    try await pool.read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM signing_key ORDER BY created_at").map { row in
        let key: Data = row["private_key"]
        return SigningKeyRecord(
          id: row["id"], privateKey: Array(key), createdAt: row["created_at"],
          retiredAt: row["retired_at"])
      }
    }
  }

  public func addSigningKey(_ key: SigningKeyRecord, audit: AuditRecord?) async throws {
    try await pool.write { db in
      try db.execute(
        sql: "UPDATE signing_key SET retired_at = ? WHERE retired_at IS NULL",
        arguments: [key.createdAt])
      try db.execute(
        sql: "INSERT INTO signing_key (id, private_key, created_at) VALUES (?, ?, ?)",
        arguments: [key.id, Data(key.privateKey), key.createdAt])
      if let audit { try Self.append(db, audit) }
    }
  }

  public func deleteSigningKeys(retiredBefore cutoff: Micros) async throws {
    try await pool.write { db in
      try db.execute(
        sql: "DELETE FROM signing_key WHERE retired_at IS NOT NULL AND retired_at < ?",
        arguments: [cutoff])
    }
  }

  // MARK: Login throttling

  public func updateThrottles(
    keys: [String], _ update: @escaping @Sendable ([String: ThrottleRecord]) -> [ThrottleRecord]
  ) async throws -> [String: ThrottleRecord] {
    try await pool.write { db in
      var before: [String: ThrottleRecord] = [:]
      for key in keys {
        if let row = try Row.fetchOne(
          db, sql: "SELECT * FROM login_throttle WHERE key = ?", arguments: [key])
        {
          before[key] = ThrottleRecord(
            key: row["key"], failures: row["failures"], windowStart: row["window_start"],
            lockedUntil: row["locked_until"])
        }
      }
      for record in update(before) {
        try db.execute(
          sql: """
            INSERT INTO login_throttle (key, failures, window_start, locked_until)
            VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
            window_start = excluded.window_start, locked_until = excluded.locked_until
            """,
          arguments: [record.key, record.failures, record.windowStart, record.lockedUntil])
      }
      return before
    }
  }

  public func clearThrottle(key: String) async throws {
    try await pool.write { db in
      try db.execute(sql: "DELETE FROM login_throttle WHERE key = ?", arguments: [key])
    }
  }

  // MARK: Housekeeping

  public func deleteExpired(now: Micros) async throws -> Int {
    try await pool.write { db in
      var removed = 0
      try db.execute(sql: "DELETE FROM refresh_token WHERE expires_at < ?", arguments: [now])
      removed += db.changesCount
      try db.execute(
        sql: """
          DELETE FROM session WHERE expires_at < ?
          AND NOT EXISTS (SELECT 1 FROM refresh_token WHERE session_id = session.id)
          """, arguments: [now])
      removed += db.changesCount
      try db.execute(sql: "DELETE FROM revocation WHERE expires_at < ?", arguments: [now])
      removed += db.changesCount
      return removed
    }
  }
}
