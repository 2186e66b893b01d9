public import Foundation
import GRDB
import ORDPAuth

/// Identity's embedded store: one SQLite database in WAL mode with `synchronous = FULL`, so a
/// write is on disk when its call returns (and survives `kill -9` and power loss).
public final class SQLiteIdentityStore: IdentityStore {
  let pool: DatabasePool

  /// Opens (creating when missing) `identity.sqlite` in `directory` and migrates it. The
  /// directory and the database (password hashes, signing keys) are owner-only.
  public init(directory: URL) throws {
    try SecretFile.ownerOnlyDirectory(directory)
    try SecretFile.ownerOnlyFile(
      directory.appendingPathComponent("identity.sqlite"), companions: ["-wal", "-shm"])
    var configuration = Configuration()
    configuration.busyMode = .timeout(10)
    configuration.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    pool = try DatabasePool(
      path: directory.appendingPathComponent("identity.sqlite").path,
      configuration: configuration)
    try SQLiteSchema.migrator.migrate(pool)
  }

  // MARK: Organisations

  public func organisations(includeInactive: Bool) async throws -> [OrganisationRecord] {
    try await pool.read { db in
      try Row.fetchAll(
        db,
        sql: "SELECT * FROM organisation \(includeInactive ? "" : "WHERE active = 1") ORDER BY id"
      ).map(Self.organisation)
    }
  }

  public func organisation(id: String) async throws -> OrganisationRecord? {
    try await pool.read { db in try Self.fetchOrganisation(db, id: id) }
  }

  public func seedOrganisations(_ organisations: [OrganisationRecord]) async throws -> Int {
    try await pool.write { db in
      var inserted = 0
      for organisation in organisations {
        if let key = organisation.municipalityKey {
          // A store seeded before towns had keys gets them from the seed (never overwritten).
          try db.execute(
            sql:
              "UPDATE organisation SET municipality_key = ? WHERE id = ? AND municipality_key = ''",
            arguments: [key, organisation.id])
        }
        guard try Self.fetchOrganisation(db, id: organisation.id) == nil else { continue }
        try Self.insert(db, organisation)
        try Self.append(
          db,
          AuditRecord(
            at: organisation.createdAt, actor: "system", action: "organisation.seed",
            target: "organisation:\(organisation.id)", organisations: [organisation.id]))
        inserted += 1
      }
      return inserted
    }
  }

  public func insertOrganisation(
    _ organisation: OrganisationRecord, audit: AuditRecord
  ) async throws {
    try await pool.write { db in
      if try Self.fetchOrganisation(db, id: organisation.id) != nil {
        throw IdentityStoreError.alreadyExists("organisation \(organisation.id)")
      }
      try Self.insert(db, organisation)
      try Self.append(db, audit)
    }
  }

  public func setOrganisationActive(
    id: String, active: Bool, revocationExpiry: Micros, audit: AuditRecord
  ) async throws -> OrganisationRecord {
    try await pool.write { db in
      guard var organisation = try Self.fetchOrganisation(db, id: id) else {
        throw IdentityStoreError.notFound("organisation \(id)")
      }
      organisation.active = active
      try db.execute(
        sql: "UPDATE organisation SET active = ? WHERE id = ?", arguments: [active, id])
      if !active {
        // Tokens of the town's service accounts stop at once.
        let keys = try String.fetchAll(
          db, sql: "SELECT id FROM api_key WHERE organisation_id = ? AND revoked_at IS NULL",
          arguments: [id])
        for key in keys {
          try Self.revoke(
            db,
            NewRevocation(
              kind: .session, value: "apikey:\(key)", revokedAt: audit.at,
              expiresAt: revocationExpiry))
        }
        // Members' tokens carry the town: those issued before now stop; a refresh gives them
        // a token without it.
        let members = try String.fetchAll(
          db, sql: "SELECT user_id FROM membership WHERE organisation_id = ?", arguments: [id])
        for member in members {
          try Self.revoke(
            db,
            NewRevocation(
              kind: .subject, value: "user:\(member)", revokedAt: audit.at,
              expiresAt: revocationExpiry))
        }
      }
      try Self.append(db, audit)
      return organisation
    }
  }

  static func fetchOrganisation(_ db: Database, id: String) throws -> OrganisationRecord? {
    try Row.fetchOne(db, sql: "SELECT * FROM organisation WHERE id = ?", arguments: [id]).map(
      organisation)
  }

  static func insert(_ db: Database, _ organisation: OrganisationRecord) throws {
    try db.execute(
      sql:
        "INSERT INTO organisation (id, display_name, kind, active, created_at, municipality_key) VALUES (?, ?, ?, ?, ?, ?)",
      arguments: [
        organisation.id, organisation.displayName, organisation.kind.rawValue, organisation.active,
        organisation.createdAt, organisation.municipalityKey ?? "",
      ])
  }

  static func organisation(_ row: Row) -> OrganisationRecord {
    OrganisationRecord(
      id: row["id"], displayName: row["display_name"],
      kind: OrganisationRecord.Kind(rawValue: row["kind"]) ?? .joining, active: row["active"],
      createdAt: row["created_at"],
      municipalityKey: (row["municipality_key"] as String?).flatMap { $0.isEmpty ? nil : $0 })
  }

  // MARK: Users

  public func user(id: String) async throws -> UserRecord? {
    try await pool.read { db in try Self.fetchUser(db, sql: "id = ?", id) }
  }

  public func user(username: String) async throws -> UserRecord? {
    try await pool.read { db in try Self.fetchUser(db, sql: "username = ?", username) }
  }

  public func users(
    inOrganisation organisationID: String, afterUsername: String?, limit: Int
  )
    async throws -> [UserRecord]
  {
    try await pool.read { db in
      let ids = try String.fetchAll(
        db,
        sql: """
          SELECT user.id FROM membership JOIN user ON user.id = membership.user_id
          WHERE membership.organisation_id = ? AND user.username > ? COLLATE NOCASE
          ORDER BY user.username COLLATE NOCASE LIMIT ?
          """, arguments: [organisationID, afterUsername ?? "", limit])
      return try ids.compactMap { try Self.fetchUser(db, sql: "id = ?", $0) }
    }
  }

  public func hasPlatformAdmin() async throws -> Bool {
    try await pool.read { db in
      try Bool.fetchOne(
        db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE platform_admin = 1 AND disabled = 0)")
        ?? false
    }
  }

  public func insertUser(_ user: UserRecord, audit: AuditRecord) async throws {
    try await pool.write { db in
      if try Self.fetchUser(db, sql: "username = ?", user.username) != nil {
        throw IdentityStoreError.alreadyExists("username \(user.username)")
      }
      try db.execute(
        sql: """
          INSERT INTO user (id, username, display_name, email, password_hash, platform_admin,
            disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          user.id, user.username, user.displayName, user.email, user.passwordHash,
          user.platformAdmin, user.disabled, user.createdAt,
        ])
      try Self.writeMemberships(db, user)
      try Self.append(db, audit)
    }
  }

  public func modifyUser(
    id: String, revocationExpiry: Micros,
    _ change: @escaping @Sendable (inout UserRecord) throws -> UserUpdate
  ) async throws -> UserRecord {
    try await pool.write { db in
      guard var user = try Self.fetchUser(db, sql: "id = ?", id) else {
        throw IdentityStoreError.notFound("user \(id)")
      }
      let update = try change(&user)
      user.id = id
      try db.execute(
        sql: """
          UPDATE user SET display_name = ?, email = ?, password_hash = ?, platform_admin = ?,
            disabled = ? WHERE id = ?
          """,
        arguments: [
          user.displayName, user.email, user.passwordHash, user.platformAdmin, user.disabled, id,
        ])
      try Self.writeMemberships(db, user)
      let at = update.audit.at
      switch update.revocation {
      case .none: break
      case .sessions:
        try Self.revokeSessions(db, userID: id, at: at, expiresAt: revocationExpiry)
      case .earlierTokens:
        try Self.revoke(
          db,
          NewRevocation(
            kind: .subject, value: user.subject, revokedAt: at, expiresAt: revocationExpiry))
      }
      try Self.append(db, update.audit)
      return user
    }
  }

  public func deleteUser(id: String, revocationExpiry: Micros, audit: AuditRecord) async throws {
    try await pool.write { db in
      try Self.revokeSessions(db, userID: id, at: audit.at, expiresAt: revocationExpiry)
      try db.execute(sql: "DELETE FROM session WHERE user_id = ?", arguments: [id])
      try db.execute(sql: "DELETE FROM user WHERE id = ?", arguments: [id])
      guard db.changesCount == 1 else { throw IdentityStoreError.notFound("user \(id)") }
      try Self.append(db, audit)
    }
  }

  static func writeMemberships(_ db: Database, _ user: UserRecord) throws {
    try db.execute(sql: "DELETE FROM membership WHERE user_id = ?", arguments: [user.id])
    for membership in user.memberships {
      try db.execute(
        sql: "INSERT INTO membership (user_id, organisation_id, role) VALUES (?, ?, ?)",
        arguments: [user.id, membership.organisationID, membership.role.rawValue])
    }
  }

  static func fetchUser(
    _ db: Database, sql condition: String, _ value: String
  ) throws
    -> UserRecord?
  {
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT * FROM user WHERE \(condition)", arguments: [value])
    else { return nil }
    let id: String = row["id"]
    let memberships = try Row.fetchAll(
      db,
      sql:
        "SELECT organisation_id, role FROM membership WHERE user_id = ? ORDER BY organisation_id",
      arguments: [id]
    ).compactMap { row -> MembershipRecord? in
      guard let role = MemberRole(rawValue: row["role"]) else { return nil }
      return MembershipRecord(organisationID: row["organisation_id"], role: role)
    }
    return UserRecord(
      id: id, username: row["username"], displayName: row["display_name"], email: row["email"],
      passwordHash: row["password_hash"], platformAdmin: row["platform_admin"],
      disabled: row["disabled"], createdAt: row["created_at"], memberships: memberships)
  }

  /// Ends every open session of a user and publishes each as revoked.
  static func revokeSessions(_ db: Database, userID: String, at: Micros, expiresAt: Micros) throws {
    let sessions = try String.fetchAll(
      db, sql: "SELECT id FROM session WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
      arguments: [userID, at])
    for session in sessions {
      try db.execute(
        sql: "UPDATE session SET revoked_at = ? WHERE id = ?", arguments: [at, session])
      try revoke(
        db, NewRevocation(kind: .session, value: session, revokedAt: at, expiresAt: expiresAt))
    }
  }

  static func revoke(_ db: Database, _ revocation: NewRevocation) throws {
    try db.execute(
      sql: "INSERT INTO revocation (kind, value, revoked_at, expires_at) VALUES (?, ?, ?, ?)",
      arguments: [
        revocationKinds[revocation.kind], revocation.value, revocation.revokedAt,
        revocation.expiresAt,
      ])
  }

  /// How revocation kinds are stored.
  static let revocationKinds: [RevocationEntry.Kind: String] = [
    .tokenID: "token", .session: "session", .subject: "subject",
  ]

  static func revocationKind(_ stored: String) -> RevocationEntry.Kind? {
    revocationKinds.first { $0.value == stored }?.key
  }

  // MARK: Audit

  static func append(_ db: Database, _ record: AuditRecord) throws {
    try db.execute(
      sql: """
        INSERT INTO audit_event (at, actor, action, target, outcome, source, detail)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        record.at, record.actor, record.action, record.target, record.outcome, record.source,
        record.detail,
      ])
    let sequence = db.lastInsertedRowID
    for organisation in Set(record.organisations) {
      try db.execute(
        sql: "INSERT INTO audit_organisation (organisation_id, sequence) VALUES (?, ?)",
        arguments: [organisation, sequence])
    }
  }

  public func appendAudit(_ record: AuditRecord) async throws {
    try await pool.write { db in try Self.append(db, record) }
  }

  public func queryAudit(_ query: AuditQuery) async throws -> [AuditRecord] {
    try await pool.read { db in
      var conditions: [String] = []
      var arguments: StatementArguments = []
      var from = "audit_event e"
      if let organisation = query.organisationID {
        from += " JOIN audit_organisation o ON o.sequence = e.sequence AND o.organisation_id = ?"
        _ = arguments.append(contentsOf: [organisation])
      }
      if let actor = query.actor {
        conditions.append("e.actor = ?")
        _ = arguments.append(contentsOf: [actor])
      }
      if let start = query.from {
        conditions.append("e.at >= ?")
        _ = arguments.append(contentsOf: [start])
      }
      if let end = query.to {
        conditions.append("e.at < ?")
        _ = arguments.append(contentsOf: [end])
      }
      if let before = query.before {
        conditions.append("e.sequence < ?")
        _ = arguments.append(contentsOf: [before])
      }
      let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
      _ = arguments.append(contentsOf: [query.limit])
      let rows = try Row.fetchAll(
        db, sql: "SELECT e.* FROM \(from) \(whereClause) ORDER BY e.sequence DESC LIMIT ?",
        arguments: arguments)
      return try rows.map { row in
        let sequence: Int64 = row["sequence"]
        var record = AuditRecord(
          at: row["at"], actor: row["actor"], action: row["action"], target: row["target"],
          outcome: row["outcome"],
          organisations: try String.fetchAll(
            db, sql: "SELECT organisation_id FROM audit_organisation WHERE sequence = ?",
            arguments: [sequence]),
          source: row["source"], detail: row["detail"])
        record.sequence = UInt64(sequence)
        return record
      }
    }
  }
}
